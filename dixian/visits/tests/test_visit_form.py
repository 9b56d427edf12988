"""The visit form: what it accepts, and what it says in Chinese when the input is wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dixian.common.models import ChangeLog
from dixian.visits.models import Visit
from dixian.visits.services import MAX_DAYS_BACK, visit_date_check

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def post(client, target, **overrides):
    data = {
        "household": str(target.pk),
        "visit_date": "2026-11-18",
        "method": "home",
        "notes": "家中一切正常",
        **overrides,
    }
    return client.post(reverse("visits:new"), {k: v for k, v in data.items() if v is not None})


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_village_officer_records_a_visit_and_is_sent_to_its_page(client, world, people, today):
    client.force_login(people["village_officer"])
    response = post(client, world.home)
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:detail", args=[visit.pk])
    assert (visit.household, visit.visit_date, visit.visitor) == (
        world.home,
        dt.date(2026, 11, 18),
        people["village_officer"],
    )
    assert visit.region_code == world.home.region_code and visit.risks == [] and not visit.has_risks
    page = client.get(response["Location"])
    assert "走访记录已保存:张三户 2026-11-18,未发现风险" in page.content.decode()
    log = ChangeLog.objects.get(entity="visit")
    assert (log.household_id, log.entity_id, log.actor) == (
        world.home.pk,
        visit.pk,
        people["village_officer"],
    )


def test_a_date_in_the_future_is_refused_in_chinese(client, world, people, today):
    client.force_login(people["village_officer"])
    text = errors_of(post(client, world.home, visit_date="2026-11-21"))
    assert "走访日期 2026-11-21 晚于今天(2026-11-20),请填写实际走访的日期" in text
    assert not Visit.objects.exists()


def test_a_date_more_than_ninety_days_back_is_refused_in_chinese(client, world, people, today):
    client.force_login(people["village_officer"])
    text = errors_of(post(client, world.home, visit_date="2026-08-21"))
    assert "已超过 90 天(最早可填 2026-08-22)" in text
    assert post(client, world.home, visit_date="2026-08-22").status_code == 302


def test_a_malformed_date_says_which_format_to_use(client, world, people, today):
    client.force_login(people["village_officer"])
    assert "请按 2026-11-20 的格式填写" in errors_of(post(client, world.home, visit_date="20日"))


def test_no_household_chosen_asks_to_pick_one(client, world, people, today):
    client.force_login(people["village_officer"])
    assert "请先查找并选择要走访的农户" in errors_of(post(client, world.home, household=None))


def test_a_household_out_of_scope_reads_like_one_that_does_not_exist(client, world, people, today):
    client.force_login(people["village_officer"])
    hidden = errors_of(post(client, world.neighbour))
    missing = errors_of(post(client, world.home, household=str(10**9)))
    assert hidden == missing == "所选农户不存在或不在您的走访范围内,请重新查找选择。"
    assert not Visit.objects.exists()


def test_an_unknown_method_or_risk_is_refused(client, world, people, today):
    client.force_login(people["village_officer"])
    assert "请选择走访方式:入户走访或电话联系" in errors_of(post(client, world.home, method="letter"))
    response = client.post(
        reverse("visits:new"),
        {"household": world.home.pk, "visit_date": "2026-11-18", "method": "home", "risks": ["lottery"]},
    )
    assert "风险项「lottery」不在排查清单中" in errors_of(response)


def test_notes_longer_than_two_thousand_characters_are_refused(client, world, people, today):
    client.force_login(people["village_officer"])
    assert "情况记录最多 2000 字(现有 2001 字)" in errors_of(post(client, world.home, notes="字" * 2001))


def test_the_form_opened_from_the_household_page_has_the_household_chosen(client, world, people, today):
    client.force_login(people["village_officer"])
    page = client.get(reverse("visits:new"), {"household": world.home.pk}).content.decode()
    assert f'name="household" value="{world.home.pk}"' in page and "张三户" in page
    assert 'value="2026-11-20"' in page  # the date starts at today


def test_a_preset_household_out_of_scope_is_ignored_with_a_notice(client, world, people, today):
    client.force_login(people["village_officer"])
    page = client.get(reverse("visits:new"), {"household": world.neighbour.pk}).content.decode()
    assert "所选农户不存在或不在您的走访范围内" in page
    assert world.neighbour.head_name not in page and world.neighbour.household_no not in page


@given(st.integers(min_value=0, max_value=MAX_DAYS_BACK))
def test_any_date_from_ninety_days_back_to_today_is_accepted(days):
    visit_date_check(TODAY - dt.timedelta(days=days), today=TODAY)


@given(st.one_of(st.integers(min_value=1, max_value=5000), st.integers(min_value=-5000, max_value=-91)))
def test_any_date_outside_the_window_is_refused(offset):
    with pytest.raises(ValidationError):
        visit_date_check(TODAY + dt.timedelta(days=offset), today=TODAY)


def test_without_javascript_the_search_button_lists_households_to_pick(client, world, people, today):
    client.force_login(people["village_officer"])
    page = client.get(reverse("visits:new"), {"q": "张三"}).content.decode()
    assert f'type="radio" name="household" value="{world.home.pk}"' in page
    page = client.get(reverse("visits:new"), {"q": "李四"}).content.decode()
    assert "没有找到「李四」" in page and world.neighbour.household_no not in page


def test_the_helper_sees_its_own_households_first_without_searching(client, world, people, today):
    from dixian.registry.models import HelperAssignment

    client.force_login(people["helper"])
    html = client.get(reverse("visits:new")).content.decode()
    assert "我结对帮扶的农户" in html
    assert f'name="household" value="{world.home.pk}" checked' in html  # its only household, chosen
    # A village officer who also helps one household of its village finds it first when searching (here
    # the newer one, which the plain order by village and key would put last).
    officer = people["village_officer"]
    own = world.home.__class__.objects.create(
        household_no="3604241002010009",
        region=world.village,
        region_code=world.village.code,
        kind="ordinary",
        head_name="张大",
        member_count=1,
    )
    HelperAssignment.objects.create(household=own, helper=officer, start_date=dt.date(2025, 1, 1))
    client.force_login(officer)
    found = client.get(reverse("visits:household_search"), {"q": "张"}).content.decode()
    assert found.index(own.household_no) < found.index(world.home.household_no)
    form = client.get(reverse("visits:new")).content.decode()
    assert form.count('name="household"') == 1 and own.household_no in form


def test_an_account_without_households_of_its_own_gets_only_the_search(client, world, people, today):
    client.force_login(people["village_officer"])
    html = client.get(reverse("visits:new")).content.decode()
    assert "我结对帮扶的农户" not in html and 'id="id_q"' in html
