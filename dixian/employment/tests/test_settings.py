"""The city's employment settings (docs/domain.md §23): base year and working age from a month on, audited, never
for a month already past; the roll and the figures read them through `policy_for`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dixian.common.models import ChangeLog
from dixian.domain import employment as e
from dixian.employment.models import EmploymentPolicy
from dixian.employment.roll import policy_for
from dixian.employment.settings import policy_set

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)
DEC, JAN = dt.date(2026, 12, 1), dt.date(2027, 1, 1)


def test_a_setting_applies_from_its_month_and_is_audited(people):
    admin = people["city_admin"]
    assert policy_for(JAN).base_year == e.DEFAULT_BASE_YEAR
    policy_set(actor=admin, valid_from=JAN, base_year=2023, age_min=18, age_max=60, today=TODAY)
    assert (policy_for(JAN).base_year, policy_for(JAN).age_min, policy_for(JAN).age_max) == (2023, 18, 60)
    assert policy_for(DEC).base_year == e.DEFAULT_BASE_YEAR  # the month before keeps the defaults
    policy_set(actor=admin, valid_from=JAN, base_year=2022, age_min=16, age_max=60, today=TODAY)
    assert EmploymentPolicy.objects.count() == 1 and policy_for(JAN).base_year == 2022
    logs = ChangeLog.objects.filter(entity="employment_policy").order_by("pk")
    assert [log.action for log in logs] == [ChangeLog.Action.CREATE, ChangeLog.Action.UPDATE]
    assert logs[1].changes == {"settings": [[2023, 18, 60], [2022, 16, 60]]}


@pytest.mark.parametrize(
    ("valid_from", "base_year", "age_min", "age_max", "field"),
    [
        (dt.date(2026, 11, 1), 2022, 16, 64, "valid_from"),  # a month already past
        (dt.date(2027, 1, 15), 2022, 16, 64, "valid_from"),  # not a month's first day
        (JAN, 2026, 16, 64, "base_year"),  # the base year must be a past year
        (JAN, 2015, 16, 64, "base_year"),
        (JAN, 2022, 10, 64, "age_min"),
        (JAN, 2022, 16, 90, "age_max"),
        (JAN, 2022, 30, 30, "age_max"),  # below its range and not above the minimum
    ],
)
def test_bad_settings_are_refused_with_the_field(people, valid_from, base_year, age_min, age_max, field):
    with pytest.raises(ValidationError) as refused:
        policy_set(
            actor=people["city_admin"],
            valid_from=valid_from,
            base_year=base_year,
            age_min=age_min,
            age_max=age_max,
            today=TODAY,
        )
    assert field in refused.value.message_dict
    assert not EmploymentPolicy.objects.exists()


def test_only_the_city_sets_them(client, people):
    with pytest.raises(PermissionDenied):
        policy_set(actor=people["county_admin"], valid_from=JAN, base_year=2022, age_min=16, age_max=64)
    client.force_login(people["county_admin"])
    assert client.get(reverse("employment:settings")).status_code == 403


def test_the_page_sets_a_month_and_says_what_is_wrong(client, people):
    client.force_login(people["city_admin"])
    url = reverse("employment:settings")
    page = client.get(url).content.decode()
    assert "比较基准年" in page and "尚未设定" in page
    nxt = e.month_add(timezone.localdate().replace(day=1), 1)
    response = client.post(
        url, {"valid_from": e.month_key(nxt), "base_year": 2022, "age_min": 16, "age_max": 62}
    )
    assert response.status_code == 302
    assert EmploymentPolicy.objects.get().age_max == 62
    page = client.post(url, {"valid_from": "下个月", "base_year": 2022, "age_min": 16, "age_max": 62})
    assert "不是有效的月份" in page.content.decode()
    page = client.post(url, {"valid_from": e.month_key(nxt), "base_year": 2022, "age_min": 40, "age_max": 30})
    assert "劳动年龄上限" in page.content.decode()


def test_a_setting_whose_author_was_deleted_still_shows(client, people):
    # updated_by is SET_NULL: the page must not look up a name on None.
    policy_set(
        actor=people["city_admin"], valid_from=JAN, base_year=2022, age_min=16, age_max=64, today=TODAY
    )
    EmploymentPolicy.objects.update(updated_by=None)
    client.force_login(people["city_admin"])
    assert client.get(reverse("employment:settings")).status_code == 200
