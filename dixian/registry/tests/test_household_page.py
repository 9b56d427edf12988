"""The household page (农户画像): what it shows to whom, and in how many queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dixian.common.access import mask_id_number, mask_phone
from dixian.common.models import ChangeLog
from dixian.common.testing import PASSWORD, fake_id
from dixian.registry import services
from dixian.registry.models import HouseholdIncome, IncomeLine, Person
from dixian.registry.selectors import income_lines_for_code

pytestmark = pytest.mark.django_db


def page(client, user, household):
    client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("registry:household_detail", args=[household.pk]))
    assert response.status_code == 200
    return response.content.decode()


def add_member(household, seq: int, **extra) -> Person:
    birth = extra.pop("birth_date", dt.date(1995, 3, 4))
    values = {
        "name": f"成员{seq}",
        "relation": "son",
        "labour_skill": "ordinary",
        "medical_insurance": "resident",
    }
    values.update(extra)
    return Person.objects.create(
        household=household,
        region_code=household.region_code,
        birth_date=birth,
        sex="male",
        id_number=fake_id(household.region_code[:6], birth, 100 + seq),
        **values,
    )


def test_header_shows_household_facts_and_masks_phone_without_pii_permission(client, world, people):
    html = page(client, people["village_officer"], world.home)
    assert world.home.household_no in html
    assert "九江市修水县义宁镇良塘村" in html
    assert "脱贫户" in html and "2018年" in html
    assert mask_phone(world.home.phone) in html
    assert world.home.phone not in html


def test_account_with_pii_permission_sees_full_numbers_and_health(client, world, people):
    head = world.home.members.get(relation="head")
    head.health_status, head.disability_category, head.disability_grade = "disabled", "physical", 2
    head.save()
    html = page(client, people["county_admin"], world.home)
    assert head.id_number in html and world.home.phone in html
    assert "肢体残疾 二级" in html and "已隐藏" not in html


def test_account_without_pii_permission_sees_masked_ids_and_hidden_health(client, world, people):
    head = world.home.members.get(relation="head")
    head.health_status, head.disability_category, head.disability_grade = "disabled", "physical", 2
    head.save()
    html = page(client, people["village_officer"], world.home)
    assert head.id_number not in html
    assert mask_id_number(head.id_number) in html
    assert "肢体残疾" not in html and "残疾</td>" not in html
    assert "已隐藏" in html


def test_members_table_shows_age_from_birth_date(client, world, people):
    with time_machine.travel(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)):
        html = page(client, people["village_officer"], world.home)
    assert "56岁" in html  # head born 1970-01-01
    assert "53岁" in html  # spouse born 1972-05-06


def test_income_below_the_example_line_is_highlighted(client, world, people):
    HouseholdIncome.objects.create(
        household=world.home,
        year=2024,
        wages=Decimal("9000"),
        business=0,
        property=0,
        transfers=Decimal("1000"),
        production_costs=0,
        members=2,
        net_income=Decimal("10000"),
        net_income_per_capita=Decimal("5000"),
    )
    html = page(client, people["village_officer"], world.home)
    assert IncomeLine.objects.get(region=None, year=2024).amount == Decimal("7900")
    assert "7,900" in html and "示例标准" in html and "7900.00" not in html
    assert html.count("低于监测线") == 1  # 2024 (5,000 < 7,900); 2025 (11,600) is above its 8,200 line
    assert 'class="below-line"' in html


def test_three_guarantees_name_the_member_who_causes_a_red_flag(client, world, people):
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)):
        add_member(world.home, 1, name="辍学娃", birth_date=dt.date(2013, 9, 1), student_status="dropout")
        add_member(world.home, 2, name="没医保", medical_insurance="")
        world.home.housing_grade = "D"
        world.home.save()
        html = page(client, people["village_officer"], world.home)
    assert "辍学娃(12岁)失学或辍学" in html
    assert "没医保 未参加基本医疗保险" in html
    assert "住房安全等级为D级" in html


def test_helpers_are_listed(client, world, people):
    people["helper"].first_name = "帮扶员甲"
    people["helper"].save()
    html = page(client, people["village_officer"], world.home)
    assert "帮扶员甲" in html and "结对中" in html


def test_history_shows_chinese_labels_choice_labels_and_masks_ids(client, world, people):
    officer = people["village_officer"]
    spouse = world.home.members.get(relation="spouse")
    services.person_update(actor=officer, person=spouse, data={"education": "junior", "dibao": True})
    new_id = fake_id("360424", dt.date(1972, 5, 6), 77, female=True)
    services.person_update(actor=officer, person=spouse, data={"id_number": new_id})
    html = page(client, officer, world.home)
    assert "文化程度" in html and "未填写 → <strong>初中</strong>" in html
    assert "享受低保" in html and "否 → <strong>是</strong>" in html
    assert new_id not in html and mask_id_number(new_id) in html
    assert "页面" in html and "修改成员 张三妻" in html
    pii_html = page(client, people["county_admin"], world.home)
    assert new_id in pii_html


def test_history_is_paged_newest_first(client, world, people):
    officer = people["village_officer"]
    spouse = world.home.members.get(relation="spouse")
    for n in range(25):
        services.person_update(actor=officer, person=spouse, data={"name": f"名{n:02d}"})
    html = page(client, officer, world.home)
    assert "查看更早的记录" in html
    assert html.index("名23 → <strong>名24</strong>") < html.index("名04 → <strong>名05</strong>")
    assert "名03 → <strong>名04</strong>" not in html
    more = client.get(
        reverse("registry:household_history", args=[world.home.pk]) + "?offset=20",
        headers={"HX-Request": "true"},
    )
    body = more.content.decode()
    assert "名03 → <strong>名04</strong>" in body and "名04 → <strong>名05</strong>" not in body
    assert "<html" not in body and "查看更早的记录" not in body


# session, account, account's region, household + village, members, incomes, open findings (疑点), income lines, helpers, alerts
# (预警线索, whatever their number), the latest visits, whether the account may record a visit here (an
# account that records no visits skips it), history (a history page that mentions a move adds one query:
# which of the named households the viewer may see), the access log's row (docs/security.md §5), and the
# monitoring cases with their timelines (监测帮扶: one query for a household without a case), and the funds
# panel's four (到户类 assets, income shares, benefit links, 以工代赈 hires: dixian/funds/selectors_assets.py),
# and the relocation panel's one (the household's site: dixian/relocation/views.household_panel), and the
# governance panel's one (the household's points: dixian/governance/views.household_panel)
PAGE_QUERIES = 21


def test_household_page_query_count_does_not_grow_with_members_or_history(
    client, world, people, django_assert_num_queries
):
    officer = people["village_officer"]
    client.login(username=officer.username, password=PASSWORD)
    url = reverse("registry:household_detail", args=[world.home.pk])
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200

    for seq in range(8):
        add_member(world.home, seq)
    head = world.home.members.get(relation="head")
    for n in range(30):
        services.person_update(
            actor=officer, person=head, data={"months_worked": n % 12 + 1, "work_place": "in_county"}
        )
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(url)
    assert response.content.decode().count('<tr id="member-') == 10


def test_person_move_in_history_names_the_other_household_only_in_scope(client, world, people):
    township = people["township_reviewer"]
    spouse = world.home.members.get(relation="spouse")
    services.person_move(actor=township, person=spouse, to_household=world.neighbour)
    township_html = page(client, township, world.home)
    assert world.neighbour.household_no in township_html
    officer_html = page(client, people["village_officer"], world.home)
    assert world.neighbour.household_no not in officer_html
    assert "其他户(不在您的管辖范围内)" in officer_html


def test_import_move_rows_do_not_reveal_the_other_households_number(client, world, people):
    # The importer's move rows name both households by pk and by number, also in the summary.
    spouse = world.home.members.get(relation="spouse")
    ChangeLog.objects.create(
        at=timezone.now(),
        source="import",
        entity="person",
        entity_id=spouse.pk,
        household_id=world.home.pk,
        action="move",
        summary=f"张三妻 从 {world.far.household_no} 户迁入本户",
        changes={
            "household_id": [world.far.pk, world.home.pk],
            "household_no": [world.far.household_no, world.home.household_no],
        },
    )
    html = page(client, people["village_officer"], world.home)
    assert world.far.household_no not in html
    assert "张三妻 从 其他 户迁入本户" in html and "其他户(不在您的管辖范围内)" in html
    assert world.far.household_no in page(client, people["city_admin"], world.home)


def test_a_countys_own_income_line_overrides_the_city_example(client, world, people):
    IncomeLine.objects.create(region=world.county, year=2025, amount=Decimal("12000"))
    lines = income_lines_for_code(world.home.region_code)
    assert (lines[2025].amount, lines[2025].is_example) == (Decimal("12000"), False)
    assert lines[2024].region is None and lines[2024].is_example  # other years keep the example line
    assert income_lines_for_code(world.far.region_code)[2025].amount == Decimal("8200")
    html = page(client, people["village_officer"], world.home)
    assert "12,000" in html and "低于监测线" in html  # 2025: 11,600 per person < 12,000


def test_the_guarantee_badges_say_what_is_wrong(client, world, people):
    world.home.water_ok = False
    world.home.housing_grade = "C"
    world.home.save()
    html = page(client, people["village_officer"], world.home)
    assert '<span class="badge red">饮水不安全</span>' in html
    assert '<span class="badge red">住房不安全</span>' in html
    assert '<span class="badge green">有保障</span>' in html  # 义务教育, 基本医疗
    assert "未保障" not in html
