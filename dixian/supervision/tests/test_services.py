"""The supervision ledger's rules (docs/domain.md §26), each refused with a Chinese reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dixian.rectification.models import Finding

from .. import services
from ..models import SupervisionVisit, VisitFinding
from ..selectors import experts_for_user
from .helpers import PHONE, TODAY, build, visit

pytestmark = pytest.mark.django_db


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


def staff_data(world, **changes):
    data = {
        "name": "赵书记",
        "phone": PHONE,
        "role": "member",
        "unit": "市农业农村局",
        "village": world.other_village,
        "start_on": dt.date(2026, 1, 1),
        "end_on": None,
    }
    return data | changes


def test_a_person_stationed_in_one_village_is_refused_in_another_for_an_overlapping_period(world, people):
    build(world)
    with pytest.raises(ValidationError) as exc:
        services.staff_save(actor=people["county_admin"], data=staff_data(world))
    assert "同一时期只能驻一个村" in refusal(exc) and "良塘村" in refusal(exc)


def test_the_same_person_may_be_stationed_elsewhere_after_the_first_stationing_ends(world, people):
    sup = build(world)
    sup.secretary.end_on = dt.date(2025, 12, 31)
    sup.secretary.save()
    saved = services.staff_save(actor=people["county_admin"], data=staff_data(world))
    assert saved.village == world.other_village


def test_the_other_village_is_not_named_when_it_is_out_of_the_actors_scope(world, people):
    sup = build(world)
    data = staff_data(world, name=sup.far_secretary.name, phone=sup.far_secretary.phone)
    with pytest.raises(ValidationError) as exc:
        services.staff_save(actor=people["county_admin"], data=data)
    assert "不在您的管辖范围内" in refusal(exc) and "城西村" not in refusal(exc)


def test_a_village_has_one_first_secretary_at_a_time(world, people):
    build(world)
    data = staff_data(
        world, name="新书记", phone="13700000000", role="first_secretary", village=world.village
    )
    with pytest.raises(ValidationError) as exc:
        services.staff_save(actor=people["county_admin"], data=data)
    assert "已有驻村第一书记赵书记" in refusal(exc)


def test_a_period_ending_before_it_starts_is_refused(world, people):
    build(world)
    data = staff_data(world, name="新人", phone="13700000000", end_on=dt.date(2025, 6, 1))
    with pytest.raises(ValidationError) as exc:
        services.staff_save(actor=people["county_admin"], data=data)
    assert exc.value.message_dict["end_on"] == ["结束日期(2025-06-01)早于起始日期(2026-01-01),请核对"]


def test_a_bad_phone_is_refused_on_the_phone_field(world, people):
    build(world)
    with pytest.raises(ValidationError) as exc:
        services.staff_save(actor=people["county_admin"], data=staff_data(world, name="新人", phone="12345"))
    assert "不是有效的电话号码" in exc.value.message_dict["phone"][0]


def test_a_village_out_of_scope_is_refused(world, people):
    build(world)
    data = staff_data(world, name="新人", phone="13700000000", village=world.far_village)
    with pytest.raises(ValidationError) as exc:
        services.staff_save(actor=people["county_admin"], data=data)
    assert "不在您的管辖范围内" in exc.value.message_dict["village"][0]


def test_an_account_without_the_edit_right_changes_nothing(world, people):
    build(world)
    with pytest.raises(PermissionDenied):
        services.staff_save(actor=people["county_reviewer"], data=staff_data(world, name="新人"))


def test_the_same_leader_is_not_assigned_twice_to_a_county_for_overlapping_periods(world, people):
    build(world)
    data = {"name": "刘副市长", "post": "副市长", "county": world.county, "start_on": dt.date(2026, 1, 1)}
    with pytest.raises(ValidationError) as exc:
        services.leader_save(actor=people["city_admin"], data=data)
    assert "已是修水县的挂点领导" in refusal(exc)


def test_a_unit_is_not_assigned_twice_to_a_village_for_overlapping_periods(world, people):
    build(world)
    data = {"unit": "市财政局", "village": world.village, "start_on": dt.date(2026, 1, 1)}
    with pytest.raises(ValidationError) as exc:
        services.unit_save(actor=people["county_admin"], data=data)
    assert "已定点帮扶良塘村" in refusal(exc)


def plan(world, people, **changes):
    sup = build(world)
    data = {
        "kind": "monthly",
        "topic": "饮水安全",
        "region": world.village,
        "planned_on": dt.date(2026, 5, 20),
        "leaders": [sup.leader],
        "experts": [sup.city_expert],
    } | changes
    actor = people["county_admin"]
    return sup, services.visit_plan(actor=actor, data=data, experts_seen=experts_for_user(actor))


def test_a_visit_names_only_leaders_of_its_county(world, people):
    sup = build(world)
    actor = people["county_admin"]
    data = {"kind": "monthly", "topic": "x", "region": world.village, "planned_on": TODAY}
    with pytest.raises(ValidationError) as exc:
        services.visit_plan(
            actor=actor, data=data | {"leaders": [sup.far_leader]}, experts_seen=experts_for_user(actor)
        )
    assert "陈部长" in exc.value.message_dict["leaders"][0]


def test_a_visit_names_only_experts_of_the_pool_the_actor_sees(world, people):
    sup = build(world)
    actor = people["county_admin"]
    data = {"kind": "monthly", "topic": "x", "region": world.village, "planned_on": TODAY}
    with pytest.raises(ValidationError) as exc:
        services.visit_plan(
            actor=actor, data=data | {"experts": [sup.far_expert]}, experts_seen=experts_for_user(actor)
        )
    assert "吴工不在您可选的专家库中" in exc.value.message_dict["experts"][0]


def test_a_visit_needs_a_leader_or_an_expert(world, people):
    with pytest.raises(ValidationError) as exc:
        plan(world, people, leaders=[], experts=[])
    assert exc.value.message_dict["leaders"] == ["请至少选择一名带队领导或参加专家"]


def test_a_visit_is_not_recorded_before_its_date(world, people):
    _, planned = plan(world, people)  # planned for 2026-05-20, today is 2026-05-13
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            actor=people["county_admin"], visit=planned, done_on=TODAY, checked="查看", findings=""
        )
    assert "早于计划日期(2026-05-20)" in exc.value.message_dict["done_on"][0]
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            actor=people["county_admin"],
            visit=planned,
            done_on=dt.date(2026, 5, 20),
            checked="查看",
            findings="",
        )
    assert "在今天之后" in exc.value.message_dict["done_on"][0]
    assert SupervisionVisit.objects.get(pk=planned.pk).done_on is None


def test_recording_a_visit_files_each_finding_in_the_rectification_ledger(world, people):
    sup = build(world)
    findings = "政策落实:监测对象识别不及时\n\n村级公示栏未更新"
    raised = services.visit_record(
        actor=people["county_admin"],
        visit=sup.visit,
        done_on=TODAY,
        checked="查阅台账,入户3户",
        findings=findings,
    )
    assert [(f.category, f.title) for f in raised] == [
        ("政策落实", "监测对象识别不及时"),
        ("工作落实", "村级公示栏未更新"),
    ]
    first = Finding.objects.get(origin_key=f"supervision.visit:{sup.visit.pk}:1")
    assert first.source == Finding.Source.SUPERVISION
    assert first.region == world.village and first.found_on == TODAY
    sup.visit.refresh_from_db()
    assert sup.visit.done_on == TODAY and sup.visit.findings_count == 2
    assert VisitFinding.objects.filter(visit=sup.visit).count() == 2


def test_an_unannounced_visit_files_its_findings_as_unannounced(world, people):
    build(world)
    secret = visit(world.other_village, "暗访", TODAY, kind="unannounced")
    services.visit_record(
        actor=people["county_admin"], visit=secret, done_on=TODAY, checked="直奔现场", findings="危房未改造"
    )
    assert Finding.objects.get().source == Finding.Source.UNANNOUNCED


def test_a_visit_is_recorded_once_and_not_re_planned_after(world, people):
    sup = build(world)
    actor = people["county_admin"]
    services.visit_record(actor=actor, visit=sup.visit, done_on=TODAY, checked="x", findings="问题一")
    with pytest.raises(ValidationError, match="不能重复记录"):
        services.visit_record(actor=actor, visit=sup.visit, done_on=TODAY, checked="x", findings="问题二")
    with pytest.raises(ValidationError, match="不能再修改计划"):
        services.visit_plan(actor=actor, data={}, experts_seen=experts_for_user(actor), visit=sup.visit)
    assert Finding.objects.count() == 1


def test_a_bad_findings_line_refuses_the_whole_record(world, people):
    sup = build(world)
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            actor=people["county_admin"],
            visit=sup.visit,
            done_on=TODAY,
            checked="x",
            findings="问题一\n乱写:问题二",
        )
    assert "第2行的类别「乱写」无效" in exc.value.message_dict["findings"][0]
    assert Finding.objects.count() == 0


def test_a_visit_out_of_scope_is_not_found(world, people):
    sup = build(world)
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        services.visit_record(
            actor=people["county_admin"], visit=sup.far_visit, done_on=TODAY, checked="x", findings=""
        )
