"""A retired unit keeps its households but takes nothing new: the pickers for new data leave it out, the
list filters keep it (docs/domain.md §19)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dixian.accounts.models import User
from dixian.common.filters import region_picker
from dixian.declarations import selectors
from dixian.regions.models import Region

pytestmark = pytest.mark.django_db
TEMP = "Zhu-2026-linshi"


@pytest.fixture
def retired(world):
    Region.objects.filter(pk=world.other_village.pk).update(retired_on=dt.date(2026, 3, 1))
    return Region.objects.get(pk=world.other_village.pk)


def _villages(levels):
    return [r.code for r in levels[-1].options]


def test_the_picker_for_new_data_leaves_out_retired_units_and_the_filter_keeps_them(people, world, retired):
    admin = people["county_admin"]
    chain = region_picker(admin, world.village, in_use_only=True)
    assert _villages(chain) == [world.village.code]
    assert _villages(region_picker(admin, world.village)) == [world.village.code, retired.code]


def test_no_new_account_on_a_retired_village(client, people, world, retired):
    client.force_login(people["county_admin"])
    form = client.get(
        reverse("accounts:account_create"), {"region": [str(world.township.pk)]}
    ).content.decode()
    assert world.village.name in form and retired.name not in form
    data = {
        "username": "new_officer",
        "name": "赵村干",
        "phone": "13900001111",
        "region": [str(retired.pk)],
        "roles": ["village_officer"],
        "password1": TEMP,
        "password2": TEMP,
    }
    html = client.post(reverse("accounts:account_create"), data).content.decode()
    assert "已撤销,不能再分配账号" in html
    assert not User.objects.filter(username="new_officer").exists()


def test_the_self_declaration_page_offers_only_villages_in_use(world, retired):
    assert [r.code for r in selectors.region_children(world.township.code, "village")] == [world.village.code]
    Region.objects.filter(pk=world.other_county.pk).update(retired_on=dt.date(2026, 3, 1))
    assert [r.code for r in selectors.counties()] == [world.county.code]


def test_households_move_out_of_a_retired_village_and_never_into_one(people, world, retired):
    from django.core.exceptions import ValidationError

    from dixian.registry import services

    with pytest.raises(ValidationError, match="已撤销"):
        services.household_update(
            actor=people["township_reviewer"], household=world.home, data={}, region=retired
        )
    world.home.refresh_from_db()
    assert world.home.region_id == world.village.pk
    # The household left on the retired village is moved to a village in use.
    services.household_update(
        actor=people["township_reviewer"], household=world.neighbour, data={}, region=world.village
    )
    world.neighbour.refresh_from_db()
    assert world.neighbour.region_code == world.village.code
