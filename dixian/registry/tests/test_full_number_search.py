"""Searching the household list by a full number (docs/security.md §5): a phone only with the personal-data
right; any full ID or phone number rate-limited per account and logged; fragments never an oracle."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.models import AccessLog
from dixian.registry.filters import FULL_NUMBER_MISSES_PER_DAY
from dixian.registry.models import Person

pytestmark = pytest.mark.django_db
URL = reverse("registry:household_list")


def search(client, user, q: str, **extra: str):
    client.force_login(user)
    response = client.get(URL, {"q": q, **extra})
    assert response.status_code == 200
    return {h.household_no for h in response.context["page"].rows}, response.content.decode()


def head(household) -> Person:
    return Person.objects.get(household=household, relation="head")


def test_a_phone_search_is_refused_without_the_right(client, world, people):
    found, html = search(client, people["village_officer"], head(world.home).phone)
    assert found == set()
    assert "按完整电话号码查找需开通查看个人信息权限" in html
    # Written with hyphens it is the same number, refused the same way.
    phone = head(world.home).phone
    found, _ = search(client, people["village_officer"], f"{phone[:3]}-{phone[3:7]}-{phone[7:]}")
    assert found == set()


def test_a_phone_search_with_the_right_finds_and_is_logged(client, world, people):
    admin = people["county_admin"]
    found, _ = search(client, admin, head(world.home).phone)
    assert found == {world.home.household_no}
    row = AccessLog.objects.get(action=AccessLog.Action.SEARCH)
    assert row.account_id == admin.pk and row.household_id == world.home.pk and row.record_count == 1
    assert head(world.home).phone not in row.scope  # the log keeps the number masked


def test_a_full_id_search_without_the_right_finds_and_is_logged(client, world, people):
    officer = people["village_officer"]
    number = head(world.home).id_number
    found, _ = search(client, officer, number)
    assert found == {world.home.household_no}
    row = AccessLog.objects.get(action=AccessLog.Action.SEARCH)
    assert row.masked and number not in row.scope and number[-4:] in row.scope


def test_full_number_searches_are_rate_limited_per_account(client, world, people, settings):
    settings.DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR = 3
    admin = people["county_admin"]
    number = head(world.home).id_number
    for _ in range(3):
        assert search(client, admin, number)[0] == {world.home.household_no}
    found, html = search(client, admin, number)
    assert found == set() and "次数已达上限(每小时 3 次)" in html
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH).count() == 3
    # Another account has its own count; a name search is not counted.
    assert search(client, people["city_admin"], number)[0] == {world.home.household_no}
    assert search(client, admin, world.home.head_name)[0] == {world.home.household_no}


def test_guessing_full_numbers_without_the_right_stops_after_a_few_misses(client, world, people):
    """Rebuilding a masked ID by trying birth dates one by one: every try misses, and misses run out."""
    officer = people["village_officer"]
    number = head(world.home).id_number
    for day in range(1, FULL_NUMBER_MISSES_PER_DAY + 1):
        guess = number[:6] + f"197001{day + 1:02d}" + number[14:]
        assert search(client, officer, guess)[0] == set()
    found, html = search(client, officer, number)  # even the right number is now refused for the day
    assert found == set() and "查无结果每天" in html


def test_birth_date_digits_find_nothing_without_the_right(client, world, people):
    """The masked digits (the birth date) never match as a fragment for an account without the right, in a
    village list where fragments are searched; with the right they do."""
    birth = head(world.home).id_number[6:14]
    found, html = search(client, people["village_officer"], birth)
    assert found == set() and "片段" in html
    assert search(client, people["village_officer"], head(world.home).id_number[-4:])[0] == set()
    found, _ = search(client, people["county_admin"], birth, region=str(world.village.pk))
    assert world.home.household_no in found
