"""The dispatch page (docs/domain.md §29): a unit's week across the ledgers the account may see, overdue first,
counted per ledger and per child unit, never outside the account's subtree."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from dixian.accounts.capabilities import Capability
from dixian.accounts.models import Role
from dixian.common.testing import persona

from .providers import MONDAY, TODAY, FakeLedger, ledgers_registered

pytestmark = pytest.mark.django_db
URL = reverse("dispatch:week")


@pytest.fixture
def ledgers(world):
    """Two ledgers every dispatch account sees, and one only administrators see (ACCOUNTS_MANAGE)."""
    tasks = FakeLedger("问题整改", 1, Capability.RECTIFICATION_VIEW.value)
    reports = FakeLedger("人居环境", 3, Capability.ENVIRONMENT_VIEW.value)
    admin_only = FakeLedger("管理事项", 2, Capability.ACCOUNTS_MANAGE.value)
    tasks.item(world.village.code, MONDAY + dt.timedelta(days=4), title="良塘村整改任务(本周到期)")
    tasks.item(world.village.code, MONDAY - dt.timedelta(days=9), title="良塘村整改任务(上周前超期)")
    tasks.item(world.other_village.code, MONDAY + dt.timedelta(days=1), title="桃坪村整改任务(本周已超期)")
    tasks.item(world.other_village.code, MONDAY, title="桃坪村整改任务(已完成)", done=True)
    tasks.item(world.far_village.code, MONDAY + dt.timedelta(days=2), title="城西村整改任务")
    reports.item(
        world.township.code, MONDAY + dt.timedelta(days=6), title="义宁镇人居环境周报", kind="周报未报"
    )
    admin_only.item(world.county.code, MONDAY + dt.timedelta(days=3), title="修水县管理事项")
    return tasks, reports, admin_only


def titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="[^"]*">([^<]*)</a>', html)


@time_machine.travel(TODAY, tick=False)
def test_a_county_sees_its_week_grouped_by_ledger_with_overdue_first(client, people, ledgers, world):
    client.force_login(people["county_reviewer"])
    with ledgers_registered(*ledgers):
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    # Grouped by ledger in the ledgers' order; within one, overdue (oldest first), open, then done.
    assert titles(html) == [
        "良塘村整改任务(上周前超期)",
        "桃坪村整改任务(本周已超期)",
        "良塘村整改任务(本周到期)",
        "桃坪村整改任务(已完成)",
        "义宁镇人居环境周报",
    ]
    assert html.index('data-ledger="问题整改"') < html.index('data-ledger="人居环境"')
    # Marked like the cases' deadlines: red once overdue, orange within 3 days, done struck through.
    assert 'class="due-item deadline-red" data-overdue="1"' in html
    assert '<span class="due red">已超期 11 天</span>' in html
    assert '<span class="due orange">剩 2 天</span>' in html  # due Friday, today Wednesday
    assert 'deadline-green done" data-overdue="0"' in html
    assert "2026年第49周(2026-11-30 至 2026-12-06)" in html
    # Nothing of the other county, even though the ledger holds it.
    assert "城西村" not in html


@time_machine.travel(TODAY, tick=False)
def test_a_county_sees_which_township_lags_and_a_township_which_village(client, people, ledgers, world):
    client.force_login(people["county_reviewer"])
    with ledgers_registered(*ledgers):
        html = client.get(URL).content.decode()
        units = re.search(r'<table class="responsive" id="table-units">(.*?)</table>', html, re.S).group(1)
        township_row = re.search(
            rf'<tr data-unit="{world.township.code}" class="lagging">(.*?)</tr>', units, re.S
        )
        assert township_row, units
        # 合计: 5 listed, 1 done, 2 overdue; 问题整改 4/1/2; 人居环境 1/0/0.
        cells = re.findall(r'class="num">(.*?)</td>', township_row.group(1), re.S)
        assert [re.sub(r"<[^>]+>", "", c) for c in cells] == ["5 / 1 / 2", "4 / 1 / 2", "1 / 0 / 0"]

        client.force_login(people["township_reviewer"])
        html = client.get(URL).content.decode()
    assert f'data-unit="{world.village.code}" class="lagging"' in html
    assert f'data-unit="{world.other_village.code}" class="lagging"' in html
    assert 'data-unit="own"' in html  # the township's own weekly report counts as 本级


@time_machine.travel(TODAY, tick=False)
def test_a_ledger_appears_only_to_accounts_holding_its_capability(client, people, ledgers):
    tasks, reports, admin_only = ledgers
    with ledgers_registered(*ledgers):
        client.force_login(people["county_reviewer"])
        html = client.get(URL).content.decode()
        assert "管理事项" not in html
        assert admin_only.calls == []  # not even asked
        client.force_login(people["county_admin"])
        html = client.get(URL).content.decode()
    assert "修水县管理事项" in html
    assert (
        html.index('data-ledger="问题整改"')
        < html.index('data-ledger="管理事项"')
        < html.index('data-ledger="人居环境"')
    )


@time_machine.travel(TODAY, tick=False)
def test_a_provider_is_only_ever_asked_for_a_unit_inside_the_accounts_subtree(client, people, ledgers, world):
    tasks = ledgers[0]
    units = [world.city, world.county, world.other_county, world.township, world.village, world.far_village]
    with ledgers_registered(*ledgers):
        for name in (
            "city_admin",
            "county_reviewer",
            "other_county_reviewer",
            "township_reviewer",
            "village_officer",
        ):
            user = people[name]
            client.force_login(user)
            for unit in units:
                response = client.get(URL, {"region": unit.code, "week": "2026-W49"})
                inside = unit.code.startswith(user.region.prefix)
                assert response.status_code == (200 if inside else 404), (name, unit.code)
    assert tasks.calls
    for username, prefix, start, end in tasks.calls:
        account = people[username]
        assert prefix.startswith(account.region.prefix), (username, prefix)
        assert (start, end) == (MONDAY, MONDAY + dt.timedelta(days=6))


@time_machine.travel(TODAY, tick=False)
def test_a_unit_out_of_scope_or_no_unit_at_all_answers_404_without_asking_a_provider(
    client, people, ledgers, world
):
    tasks = ledgers[0]
    client.force_login(people["county_reviewer"])
    with ledgers_registered(*ledgers):
        for code in (
            world.other_county.code,
            world.far_village.code,
            world.city.code,
            "360499000000",
            "3604",
            "x",
        ):
            assert client.get(URL, {"region": code}).status_code == 404, code
    assert tasks.calls == []


@time_machine.travel(TODAY, tick=False)
def test_an_item_a_provider_returns_outside_the_unit_is_never_shown(client, people, ledgers, world):
    leaky = FakeLedger("漏报台账", 5, Capability.DISPATCH_VIEW.value, keeps_to_prefix=False)
    leaky.item(world.far_village.code, MONDAY, title="城西村不该出现")
    leaky.item(world.village.code, MONDAY, title="良塘村可以出现")
    client.force_login(people["county_reviewer"])
    with ledgers_registered(leaky):
        html = client.get(URL).content.decode()
    assert "良塘村可以出现" in html
    assert "城西村" not in html


@time_machine.travel(TODAY, tick=False)
def test_previous_and_next_week_and_a_week_asked_by_a_date(client, people, ledgers, world):
    client.force_login(people["township_reviewer"])
    with ledgers_registered(*ledgers):
        html = client.get(URL, {"week": "2026-12-10"}).content.decode()
        assert "2026年第50周(2026-12-07 至 2026-12-13)" in html
        assert f'id="week-previous" href="?region={world.township.code}&amp;week=2026-W49"' in html
        assert f'id="week-next" href="?region={world.township.code}&amp;week=2026-W51"' in html
        assert 'id="week-current"' in html
        html = client.get(URL).content.decode()
    assert "2026年第49周" in html and 'id="week-current"' not in html


@time_machine.travel(TODAY, tick=False)
def test_a_bad_week_is_named_in_chinese_over_the_current_week(client, people, ledgers):
    client.force_login(people["township_reviewer"])
    with ledgers_registered(*ledgers):
        response = client.get(URL, {"week": "2025-W53"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "“2025-W53”不是有效的周次:2025 年只有第 1 至第 52 周。已显示本周。" in html
    assert "2026年第49周" in html


@time_machine.travel(TODAY, tick=False)
def test_a_long_ledger_shows_its_first_fifty_and_pages_through_the_rest(client, people, world):
    long = FakeLedger("问题整改", 1, Capability.RECTIFICATION_VIEW.value)
    for n in range(60):
        long.item(world.village.code, MONDAY + dt.timedelta(days=n % 7), title=f"任务{n:02d}")
    client.force_login(people["village_officer"])
    with ledgers_registered(long):
        html = client.get(URL).content.decode()
        assert len(titles(html)) == 50
        assert "查看全部 60 项" in html
        html = client.get(URL, {"ledger": "问题整改", "page": "2"}).content.decode()
        assert len(titles(html)) == 10
        assert "第 2 / 2 页" in html
        html = client.get(URL, {"ledger": "不存在的台账"}).content.decode()
    assert len(titles(html)) == 50


@time_machine.travel(TODAY, tick=False)
def test_the_page_makes_the_same_number_of_queries_for_few_items_and_many(
    client, people, world, django_assert_num_queries
):
    few = FakeLedger("问题整改", 1, Capability.RECTIFICATION_VIEW.value)
    many = FakeLedger("问题整改", 1, Capability.RECTIFICATION_VIEW.value)
    other = FakeLedger("人居环境", 2, Capability.ENVIRONMENT_VIEW.value)
    few.item(world.village.code, MONDAY)
    for n in range(300):
        many.item((world.village, world.other_village)[n % 2].code, MONDAY + dt.timedelta(days=n % 9 - 2))
    client.force_login(people["county_reviewer"])
    # Session, account, the account's unit; the unit's children; one per provider; the breadcrumb.
    for ledger in (few, many):
        with ledgers_registered(ledger, other), django_assert_num_queries(7):
            assert client.get(URL).status_code == 200
    with ledgers_registered(many, other), django_assert_num_queries(8):  # + the unit asked by its code
        assert client.get(URL, {"region": world.township.code}).status_code == 200


def test_an_account_without_a_region_is_told_so(client, db):
    user = persona("nowhere", None, Role.LEADER)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "还没有分配区划" in response.content.decode()


def test_the_menu_links_the_page_for_accounts_that_may_open_it(client, people):
    client.force_login(people["township_reviewer"])
    assert f'href="{URL}">工作调度</a>' in client.get(reverse("registry:household_list")).content.decode()
    client.force_login(people["finance"])
    assert client.get(URL).status_code == 403
