"""A recipient who died or left receives nothing from the month after (docs/domain.md §9, §22): the 公安 feed's
死亡/迁出 with its date refuses a later share with a clear message, and a share already recorded for such a month
is listed as a finding; so is a share to a person who has since left the household (the registry)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dixian.domain import funds as fd
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import delivery_receive
from dixian.funds import assets as services
from dixian.funds.models import Asset, AssetIncome, Distribution
from dixian.funds.recipients import Departure, civil_registry_departures
from dixian.funds.selectors_assets import gone_recipient_findings
from dixian.funds.testing import funds_personas
from dixian.registry import services as registry
from dixian.registry.models import Person

from .helpers_assets import accepted_project

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def income(world):
    project = accepted_project(world.village, "P1")
    asset = Asset.objects.create(
        project=project,
        name="光伏电站",
        asset_class=fd.OPERATING,
        value=D("50000"),
        owner_unit="村集体",
        region_code=project.region_code,
    )
    return AssetIncome.objects.create(asset=asset, year=2026, amount=D("5000"), region_code=asset.region_code)


def civil_registry(people, world, rows, period="2026-06"):
    delivery, _ = delivery_receive(
        feed="civil_registry",
        period=period,
        source=people["department_uploader"],
        region=world.county,
        channel=FeedDelivery.Channel.UPLOAD,
        rows=[
            {"姓名": name, "证件号码": id_number, "变动类型": kind, "变动日期": day}
            for name, id_number, kind, day in rows
        ],
    )
    assert delivery.status == FeedDelivery.Status.ACCEPTED, delivery.errors
    return delivery


def head(household) -> Person:
    return household.members.get(relation="head")


def test_a_share_after_the_month_of_death_is_refused_and_the_month_itself_is_not(world, people, income):
    sector = funds_personas(world)["sector"]
    dead = head(world.home)
    civil_registry(people, world, [(dead.name, dead.id_number, "死亡", "2026-05-20")])
    share = services.distribution_record(
        actor=sector, income=income, household_no=world.home.household_no, period="2026-05", amount=D("100")
    )
    assert share.person == dead  # the month of the death is still paid
    with pytest.raises(ValidationError) as exc:
        services.distribution_record(
            actor=sector,
            income=income,
            household_no=world.home.household_no,
            period="2026-06",
            amount=D("100"),
        )
    text = " ".join(exc.value.messages)
    assert "张三已于2026年05月20日死亡" in text and "自2026年6月起不再领取" in text
    # Another member of the household may receive it.
    other = services.distribution_record(
        actor=sector,
        income=income,
        household_no=world.home.household_no,
        period="2026-06",
        amount=D("100"),
        recipient_name="张三妻",
    )
    assert other.recipient_name == "张三妻"


def test_a_departure_followed_by_a_return_is_no_departure(world, people):
    person = head(world.home)
    civil_registry(people, world, [(person.name, person.id_number, "迁出", "2026-02-01")], period="2026-02")
    assert civil_registry_departures([person.id_number])[person.id_number].on == dt.date(2026, 2, 1)
    civil_registry(people, world, [(person.name, person.id_number, "迁入", "2026-04-01")], period="2026-04")
    assert civil_registry_departures([person.id_number]) == {}
    civil_registry(people, world, [(person.name, person.id_number, "迁出", "2026-09-03")], period="2026-09")
    assert civil_registry_departures([person.id_number])[person.id_number].on == dt.date(2026, 9, 3)


def test_a_december_departure_stops_in_january():
    gone = Departure(dt.date(2025, 12, 31), "死亡")
    assert gone.first_stopped == "2026-01"
    assert not gone.stops("2025-12") and gone.stops("2026-01")


def test_shares_already_recorded_after_a_death_are_findings(client, world, people, income):
    dead = head(world.home)
    for period in ("2026-04", "2026-05", "2026-06", "2026-07"):
        Distribution.objects.create(
            income=income,
            household=world.home,
            person=dead,
            recipient_name=dead.name,
            period=period,
            amount=D("10"),
            region_code=world.home.region_code,
        )
    assert gone_recipient_findings(Distribution.objects.all()) == []
    civil_registry(people, world, [(dead.name, dead.id_number, "死亡", "2026-05-20")])
    found = gone_recipient_findings(Distribution.objects.all())
    assert sorted(f.distribution.period for f in found) == ["2026-06", "2026-07"]
    assert "死亡" in found[0].message
    client.force_login(people["county_admin"])
    page = client.get(reverse("funds:distribution_findings")).content.decode()
    assert page.count("但仍登记了") == 2
    listed = client.get(reverse("funds:distribution_list", args=[income.pk])).content.decode()
    assert "疑点" in listed


def test_a_share_to_a_person_who_has_since_left_the_household_is_a_finding(world, people, income):
    spouse = world.home.members.get(relation="spouse")
    Distribution.objects.create(
        income=income,
        household=world.home,
        person=spouse,
        recipient_name=spouse.name,
        period="2026-01",
        amount=D("10"),
        region_code=world.home.region_code,
    )
    registry.person_move(actor=None, person=spouse, to_household=world.neighbour, relation="other")
    Distribution.objects.create(
        income=income,
        household=world.home,
        person=spouse,
        recipient_name=spouse.name,
        period="2099-01",
        amount=D("10"),
        region_code=world.home.region_code,
    )
    [found] = gone_recipient_findings(Distribution.objects.all())
    assert found.distribution.period == "2099-01" and "迁出本户" in found.message
