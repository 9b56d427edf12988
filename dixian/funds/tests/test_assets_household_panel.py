"""The household page shows what the funds chain gave the household (docs/domain.md §22): projects, 到户类
assets, income shares, benefit links and 以工代赈 wages, in a fixed number of queries; and the funds rows of a
household follow it when it moves (docs/security.md §4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dixian.funds.models import Asset, BenefitLink, Distribution, WorkReliefHire
from dixian.registry import services as registry

from .helpers_assets import funds_records_of

pytestmark = pytest.mark.django_db


def test_the_household_page_shows_assets_shares_links_and_wages(client, world, people):
    records = funds_records_of(world.home)
    WorkReliefHire.objects.create(
        project_id=records["project"],
        person=world.home.members.get(relation="head"),
        household=world.home,
        hired_on=dt.date(2026, 4, 2),
        days=20,
        wages_paid=Decimal("2400.00"),
        region_code=world.village.code,
    )
    client.force_login(people["village_officer"])
    page = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert 'id="household-funds"' in page
    for text in (
        "到户能繁母牛",
        "光伏电站",
        "300",
        "良塘村合作社",
        "良塘村茶叶基地",
        "入股分红",
        "2,400",
    ):
        assert text in page, text
    # Another household's page shows none of it.
    client.force_login(people["county_reviewer"])
    response = client.get(reverse("registry:household_detail", args=[world.neighbour.pk]))
    other = response.content.decode()
    assert response.status_code == 200
    assert "到户能繁母牛" not in other and "还没有项目" in other, other[other.find("household-funds") :][
        :3000
    ]


def test_the_panel_is_hidden_from_an_account_that_sees_neither_funds_nor_the_registry(world, people):
    from dixian.funds.selectors_assets import household_funds

    funds_records_of(world.home)
    assert household_funds(people["helper"], world.home) == {"funds_shown": False}
    assert household_funds(people["leader"], world.home)["funds_assets"]


def test_the_panel_makes_the_same_queries_however_much_reached_the_household(
    world, people, django_assert_num_queries
):
    from dixian.funds.selectors_assets import household_funds

    with django_assert_num_queries(4):
        household_funds(people["village_officer"], world.home)
    funds_records_of(world.home)
    funds_records_of(world.home, "-2")
    with django_assert_num_queries(4):
        shown = household_funds(people["village_officer"], world.home)
    assert len(shown["funds_projects"]) == 2 and len(shown["funds_links"]) == 6


def test_a_moved_household_takes_its_funds_rows_with_it(world, people):
    funds_records_of(world.home)
    registry.household_update(
        actor=people["city_admin"], household=world.home, data={}, region=world.other_village
    )
    code = world.other_village.code
    assert set(Distribution.objects.filter(household=world.home).values_list("region_code", flat=True)) == {
        code
    }
    assert set(BenefitLink.objects.filter(household=world.home).values_list("region_code", flat=True)) == {
        code
    }
    assert Asset.objects.get(household=world.home).region_code == code
    # The operating asset stays where its project was built.
    assert Asset.objects.get(household__isnull=True).region_code == world.village.code
