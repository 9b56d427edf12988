"""The supervision pages (docs/domain.md §26): scoped lists with key villages starred, constant query counts,
masked phones on the page and in the workbook, forms that say what is wrong, the calendar and the due list."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.common.due import due_sources
from dixian.common.masking import mask_phone
from dixian.rectification.models import Finding

from ..models import AssistUnit, Expert, StationedStaff
from .helpers import PHONE, TODAY, build, staff, visit

pytestmark = pytest.mark.django_db

LISTS = ("visit_list", "calendar", "leader_list", "unit_list", "staff_list", "expert_list")


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_village_officer_sees_its_village_only_and_the_key_village_starred(client, world, people):
    sup = build(world)
    client.force_login(people["village_officer"])
    page = text(client.get(reverse("supervision:staff_list")))
    assert sup.secretary.name in page and "★重点村" in page
    assert sup.neighbour_member.name not in page and sup.far_secretary.name not in page
    visits = text(client.get(reverse("supervision:visit_list")))
    assert sup.visit.topic in visits and sup.far_visit.topic not in visits and "★重点村" in visits
    # Its county's leader and the city's pool are shown to it; another county's are not.
    leaders = text(client.get(reverse("supervision:leader_list")))
    assert sup.leader.name in leaders and sup.far_leader.name not in leaders
    experts = text(client.get(reverse("supervision:expert_list")))
    assert sup.city_expert.name in experts and sup.far_expert.name not in experts


def test_the_key_only_filter_keeps_key_villages(client, world, people):
    sup = build(world)
    client.force_login(people["county_admin"])
    page = text(client.get(reverse("supervision:staff_list"), {"key_only": "on"}))
    assert sup.secretary.name in page and sup.neighbour_member.name not in page


def test_a_region_out_of_scope_in_the_filter_is_ignored_with_a_notice(client, world, people):
    sup = build(world)
    client.force_login(people["county_admin"])
    page = text(client.get(reverse("supervision:staff_list"), {"region": world.far_village.pk}))
    assert "所选区划不在您的管辖范围内" in page and sup.far_secretary.name not in page


def test_a_planned_unannounced_visit_is_hidden_from_the_units_it_may_visit(client, world, people):
    build(world)
    secret = visit(world.village, "四不两直暗访", TODAY + dt.timedelta(days=3), kind="unannounced")
    client.force_login(people["village_officer"])
    assert secret.topic not in text(client.get(reverse("supervision:visit_list")))
    assert secret.topic not in text(client.get(reverse("supervision:calendar")))
    assert client.get(reverse("supervision:visit_detail", args=[secret.pk])).status_code == 404
    client.force_login(people["county_admin"])
    assert secret.topic in text(client.get(reverse("supervision:visit_list")))


@pytest.mark.parametrize("name", LISTS)
def test_each_list_takes_the_same_number_of_queries_for_more_rows(
    name, client, world, people, django_assert_num_queries
):
    sup = build(world)
    client.force_login(people["county_admin"])
    url = reverse(f"supervision:{name}")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(15):
        village = world.other_village if n % 2 else world.village
        staff(village, f"队员{n}", f"1370000{n:04d}", role="member")
        AssistUnit.objects.create(
            unit=f"单位{n}", village=village, region_code=village.code, start_on=dt.date(2025, 1, 1)
        )
        Expert.objects.create(
            name=f"专家{n}", field="health", unit="医院", region=world.county, region_code=world.county.code
        )
        v = visit(village, f"调研{n}", TODAY - dt.timedelta(days=n))
        v.leaders.add(sup.leader)
        v.experts.add(sup.city_expert)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_phone_is_masked_without_the_personal_data_right_on_the_page_and_in_the_workbook(
    client, world, people
):
    build(world)
    client.force_login(people["county_reviewer"])
    page = text(client.get(reverse("supervision:staff_list")))
    assert PHONE not in page and mask_phone(PHONE) in page
    response = client.get(reverse("supervision:staff_xlsx"))
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("驻村干部").to_python()
    assert rows[0][:5] == ["县(市、区)", "乡镇", "村", "重点帮扶村", "姓名"]
    cells = {str(c) for row in rows for c in row}
    assert PHONE not in cells and mask_phone(PHONE) in cells
    assert {"赵书记", "钱队员"} <= cells and "孙书记" not in cells
    client.force_login(people["county_admin"])  # with the right
    assert PHONE in text(client.get(reverse("supervision:staff_list")))


def post_staff(client, world, **changes):
    data = {
        "name": "李队员",
        "phone": "13600000000",
        "role": "member",
        "unit": "县农业农村局",
        "village": world.other_village.pk,
        "start_on": "2026-01-01",
        "end_on": "",
    } | changes
    return client.post(reverse("supervision:staff_new"), data)


def test_the_staff_form_refuses_an_overlapping_stationing_with_a_clear_reason(client, world, people):
    build(world)
    client.force_login(people["county_admin"])
    response = post_staff(client, world, name="赵书记", phone=PHONE)
    assert response.status_code == 400
    assert "同一时期只能驻一个村" in response.content.decode()
    response = post_staff(client, world, end_on="2025-01-01")
    assert response.status_code == 400 and "早于起始日期" in response.content.decode()
    response = post_staff(client, world)
    assert response.status_code == 302
    assert StationedStaff.objects.filter(name="李队员", village=world.other_village).exists()


def test_an_edit_without_the_right_keeps_the_phone_left_blank(client, world, people):
    sup = build(world)
    people["county_admin"].can_view_pii = False
    people["county_admin"].save()
    client.force_login(people["county_admin"])
    url = reverse("supervision:staff_edit", args=[sup.secretary.pk])
    assert PHONE not in text(client.get(url))
    data = {"name": "赵书记", "phone": "", "role": "first_secretary", "unit": "市审计局"}
    data |= {"village": world.village.pk, "start_on": "2025-01-01", "end_on": ""}
    assert client.post(url, data).status_code == 302
    sup.secretary.refresh_from_db()
    assert sup.secretary.phone == PHONE and sup.secretary.unit == "市审计局"


def test_a_visit_is_planned_and_recorded_and_its_findings_reach_the_rectification_ledger(
    client, world, people
):
    sup = build(world)
    client.force_login(people["county_admin"])
    data = {"kind": "quarterly", "topic": "一季度督导", "region": world.village.pk}
    data |= {"planned_on": "2026-05-12", "leaders": [sup.leader.pk], "experts": [sup.city_expert.pk]}
    response = client.post(reverse("supervision:visit_new"), data)
    assert response.status_code == 302, response.content.decode()
    detail = response["Location"]
    record = detail + "record/"
    early = client.post(record, {"done_on": "2026-05-11", "checked": "台账", "findings": ""})
    assert early.status_code == 400 and "早于计划日期" in early.content.decode()
    done = client.post(
        record, {"done_on": "2026-05-12", "checked": "台账", "findings": "责任落实:帮扶责任人不熟悉政策"}
    )
    assert done.status_code == 302
    finding = Finding.objects.get()
    assert finding.title == "帮扶责任人不熟悉政策" and finding.source == Finding.Source.SUPERVISION
    page = text(client.get(detail))
    assert "帮扶责任人不熟悉政策" in page and "已进入问题整改台账" in page


def test_the_calendar_lists_a_month_by_week(client, world, people):
    sup = build(world)
    visit(world.village, "上月调研", dt.date(2026, 4, 8))
    client.force_login(people["county_admin"])
    page = text(client.get(reverse("supervision:calendar"), {"month": "2026-05"}))
    assert sup.visit.topic in page and "上月调研" not in page and "05-11 至 05-17" in page
    assert "上月调研" in text(client.get(reverse("supervision:calendar"), {"month": "2026-04"}))


def test_the_due_provider_lists_this_weeks_visits_and_overdue_plans(world, people):
    sup = build(world)
    late = visit(world.other_village, "逾期未记录的调研", dt.date(2026, 4, 1))
    visit(world.village, "已实施的旧调研", dt.date(2026, 4, 1), done_on=dt.date(2026, 4, 1))
    source = next(s for s in due_sources() if s.name == "supervision")
    items = source.provider(
        people["county_admin"], world.county.prefix, dt.date(2026, 5, 11), dt.date(2026, 5, 17)
    )
    titles = {i.title.split(":")[-1] for i in items}
    assert titles == {sup.visit.topic, late.topic}
    assert next(i for i in items if late.topic in i.title).overdue(TODAY)
    village_items = source.provider(
        people["village_officer"], world.village.prefix, dt.date(2026, 5, 11), dt.date(2026, 5, 17)
    )
    assert {i.title.split(":")[-1] for i in village_items} == {sup.visit.topic}


def test_the_menu_links_the_ledger_for_those_who_may_see_it(client, world, people):
    client.force_login(people["village_officer"])
    assert reverse("supervision:visit_list") in text(client.get(reverse("registry:household_list")))
    client.force_login(people["finance"])
    assert client.get(reverse("supervision:visit_list")).status_code == 403


def test_whole_phones_shown_or_exported_are_logged(client, world, people):
    from dixian.common.models import AccessLog

    build(world)
    client.force_login(people["county_reviewer"])  # masked: the page logs nothing
    client.get(reverse("supervision:staff_list"))
    assert not AccessLog.objects.exists()
    client.force_login(people["county_admin"])  # holds PII_VIEW: whole numbers on the page
    client.get(reverse("supervision:staff_list"))
    client.get(reverse("supervision:staff_xlsx"))
    logged = list(AccessLog.objects.order_by("pk").values_list("account__username", "action", "fields"))
    assert [(a, act) for a, act, _ in logged] == [("county_admin", "view"), ("county_admin", "export")]
    assert all("phone" in f for *_, f in logged)
