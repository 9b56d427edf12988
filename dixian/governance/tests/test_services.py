"""Writes of village governance (docs/domain.md §28): steps in order, missing steps raised as findings once,
points and the shop's balance, documents with checked files, scope and rights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from dixian.governance import services
from dixian.governance.models import Decision, DecisionStep, PointsAward, PointsRedemption
from dixian.rectification.models import Finding

from .helpers import DAY, decision, full_steps, pdf, rule

pytestmark = pytest.mark.django_db


def test_a_decision_is_created_in_a_village_of_the_subtree_only(world, people):
    officer = people["village_officer"]
    d = services.decision_create(
        actor=officer,
        region=world.village,
        title="村集体鱼塘发包",
        category="assets",
        amount=Decimal("12000"),
    )
    assert d.region_code == world.village.code and d.next_step == "proposal"
    with pytest.raises(ValidationError) as exc:
        services.decision_create(actor=officer, region=world.other_village, title="x", category="assets")
    assert "不在您的管辖范围内" in str(exc.value)
    with pytest.raises(ValidationError, match="请选择一个村"):
        services.decision_create(
            actor=people["township_reviewer"], region=world.township, title="x", category="assets"
        )
    with pytest.raises(PermissionDenied):
        services.decision_create(actor=people["leader"], region=world.village, title="x", category="assets")


def test_steps_are_recorded_in_order_with_their_attachment(world, people):
    officer = people["village_officer"]
    d = decision(world.village)
    services.step_record(actor=officer, decision=d, step="proposal", held_on=DAY, attachment=pdf())
    with pytest.raises(ValidationError) as exc:
        services.step_record(actor=officer, decision=d, step="discussion", held_on=DAY - dt.timedelta(days=1))
    assert "早于党支部提议" in str(exc.value)
    step = services.step_record(
        actor=officer,
        decision=d,
        step="discussion",
        held_on=DAY + dt.timedelta(days=2),
        expected=7,
        attending=7,
        votes_for=6,
        votes_against=1,
    )
    assert step.attending == 7
    with pytest.raises(ValidationError, match="不能重复登记"):
        services.step_record(actor=officer, decision=d, step="discussion", held_on=DAY + dt.timedelta(days=3))
    d.refresh_from_db()
    assert d.steps_done == 2 and d.next_step == "members_review"
    assert d.next_due_on == DAY + dt.timedelta(days=32)
    stored = DecisionStep.objects.get(decision=d, step="proposal").attachment
    assert stored.startswith(f"governance/decisions/{d.pk}/") and default_storage.exists(stored)


def test_votes_beyond_attendance_and_a_file_that_is_not_a_photo_or_pdf_are_refused(world, people):
    officer = people["village_officer"]
    d = decision(world.village)
    with pytest.raises(ValidationError, match="多于实到人数"):
        services.step_record(
            actor=officer, decision=d, step="discussion", held_on=DAY, attending=5, votes_for=6
        )
    fake = SimpleUploadedFile("纪要.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.step_record(actor=officer, decision=d, step="proposal", held_on=DAY, attachment=fake)
    assert "纪要.pdf" in str(exc.value)
    assert not DecisionStep.objects.filter(decision=d).exists()


def test_an_implemented_decision_missing_a_step_is_flagged_and_raised_once(world, people):
    officer = people["village_officer"]
    steps = full_steps(upto=5)
    del steps["members_review"]
    d = decision(world.village, steps=steps)
    services.decision_implement(actor=officer, decision=d, implemented_on=DAY + dt.timedelta(days=20))
    d.refresh_from_db()
    assert d.status == "implemented" and d.missing == "members_review"
    finding = Finding.objects.get(origin_key=f"governance.decision:{d.pk}:members_review")
    assert finding.source == Finding.Source.PLATFORM and finding.region_code == world.village.code
    assert "党员大会审议" in finding.title
    assert services.governance_check() == (1, 0)  # the check again files nothing new
    services.decision_close(actor=officer, decision=d, closed_on=DAY + dt.timedelta(days=25))
    keys = set(Finding.objects.values_list("origin_key", flat=True))
    assert keys == {
        f"governance.decision:{d.pk}:members_review",
        f"governance.decision:{d.pk}:result_disclosure",
    }


def test_a_complete_decision_raises_nothing(world, people):
    officer = people["village_officer"]
    d = decision(world.village, steps=full_steps(upto=5))
    services.decision_implement(actor=officer, decision=d, implemented_on=DAY + dt.timedelta(days=20))
    services.step_record(
        actor=officer, decision=d, step="result_disclosure", held_on=DAY + dt.timedelta(days=21)
    )
    services.decision_close(actor=officer, decision=d, closed_on=DAY + dt.timedelta(days=22))
    d.refresh_from_db()
    assert d.missing == "" and d.status == "closed" and not Finding.objects.exists()


def test_the_result_is_published_only_after_the_implementation(world, people):
    officer = people["village_officer"]
    d = decision(world.village, steps=full_steps(upto=5))
    with pytest.raises(ValidationError, match="尚未实施"):
        services.step_record(
            actor=officer, decision=d, step="result_disclosure", held_on=DAY + dt.timedelta(days=20)
        )
    with pytest.raises(ValidationError, match="尚未实施"):
        services.decision_close(actor=officer, decision=d, closed_on=DAY + dt.timedelta(days=20))
    with pytest.raises(ValidationError, match="不能早于"):
        services.decision_implement(actor=officer, decision=d, implemented_on=DAY)


def test_the_command_files_the_findings_of_loaded_decisions(world):
    d = decision(world.village, steps=full_steps(upto=2), status="closed", implemented_on=DAY, closed_on=DAY)
    decision(world.far_village, steps=full_steps(upto=1))  # open: nothing is missing yet
    call_command("governance_check", "--region", world.county.code)
    assert Finding.objects.filter(origin_key__startswith=f"governance.decision:{d.pk}:").count() == 4
    call_command("governance_check")
    assert Finding.objects.count() == 4


def test_redemption_beyond_the_balance_is_refused(world, people):
    officer = people["village_officer"]
    plus = rule(world.village, points=10)
    minus = rule(world.village, item="乱堆乱放", points=-3)
    services.points_award(actor=officer, household=world.home, rule=plus, reason="评比优秀", awarded_on=DAY)
    services.points_award(
        actor=officer, household=world.home, rule=minus, reason="门前堆放杂物", awarded_on=DAY
    )
    assert services.balance_of(world.home.pk) == 7
    services.points_redeem(actor=officer, household=world.home, item="洗衣粉", points=5, redeemed_on=DAY)
    with pytest.raises(ValidationError) as exc:
        services.points_redeem(actor=officer, household=world.home, item="大米", points=3, redeemed_on=DAY)
    assert "余额为 2 分" in str(exc.value)
    assert PointsRedemption.objects.count() == 1


def test_points_need_an_active_rule_of_the_households_village(world, people):
    officer = people["village_officer"]
    other = rule(world.other_village)
    with pytest.raises(ValidationError, match="本村的积分规则"):
        services.points_award(actor=officer, household=world.home, rule=other, reason="x", awarded_on=DAY)
    retired = rule(world.village, item="旧规则")
    services.rule_toggle(actor=officer, rule=retired)
    with pytest.raises(ValidationError, match="已停用"):
        services.points_award(actor=officer, household=world.home, rule=retired, reason="x", awarded_on=DAY)
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        services.points_award(
            actor=officer, household=world.neighbour, rule=other, reason="x", awarded_on=DAY
        )


def test_a_rule_item_is_unique_per_village_and_not_zero(world, people):
    officer = people["village_officer"]
    services.rule_create(actor=officer, region=world.village, item="参与义务劳动", points=5)
    with pytest.raises(ValidationError, match="已有积分项目"):
        services.rule_create(actor=officer, region=world.village, item="参与义务劳动", points=3)
    with pytest.raises(ValidationError, match="不能为 0"):
        services.rule_create(actor=officer, region=world.village, item="新项目", points=0)


def test_a_document_needs_its_file(world, people):
    officer = people["village_officer"]
    with pytest.raises(ValidationError, match="请上传文件"):
        services.document_add(
            actor=officer,
            region=world.village,
            kind="rules",
            title="良塘村村规民约",
            adopted_on=DAY,
            file=None,
        )
    doc = services.document_add(
        actor=officer, region=world.village, kind="rules", title="良塘村村规民约", adopted_on=DAY, file=pdf()
    )
    assert doc.file.endswith(".pdf") and default_storage.exists(doc.file)


def test_a_moved_households_points_follow_it(world, people):
    from dixian.registry.services import household_followers_move

    officer = people["township_reviewer"]
    plus = rule(world.village)
    services.points_award(actor=officer, household=world.home, rule=plus, reason="评比", awarded_on=DAY)
    household_followers_move({world.home.pk: world.other_village})
    assert set(PointsAward.objects.values_list("region_code", flat=True)) == {world.other_village.code}


def test_decision_states_are_the_models(world):
    assert set(Decision.Status.values) == {"open", "implemented", "closed"}
