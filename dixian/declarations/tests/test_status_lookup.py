"""Status lookup: reference + phone → the status in plain words, nothing else; any wrong pair → not found."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dixian.accounts.models import User
from dixian.declarations import services
from dixian.declarations.models import Declaration

from .helpers import STRANGER_ID, declaration_post

pytestmark = pytest.mark.django_db
URL = "/declare/status/"


@pytest.fixture
def declared(client, world, captcha_test_mode) -> Declaration:
    client.post(reverse("declare:form"), declaration_post(world.village.code))
    return Declaration.objects.get()


def look(client, reference: str, phone: str) -> str:
    response = client.post(URL, {"reference": reference, "phone": phone})
    assert response.status_code == 200
    return response.content.decode()


def test_reference_and_phone_show_the_status_in_plain_words_and_nothing_else(client, declared):
    html = look(client, declared.reference, "13912345678")
    assert "已受理,等待村里核实" in html
    for private in ("赵六", STRANGER_ID, "13912345678", "住院", "良塘村"):
        assert private not in html.replace('value="13912345678"', ""), private


def test_the_status_follows_the_handling(client, world, declared):
    officer = User.objects.create_user("vo", region=world.village, roles=["village_officer"])
    services.declaration_set_status(declaration=declared, status="verifying", note="", actor=officer)
    assert "正在入户核实" in look(client, declared.reference, "13912345678")
    services.declaration_set_status(
        declaration=declared, status="dismissed", note="家庭收入较高", actor=officer
    )
    html = look(client, declared.reference, "139 1234 5678")
    assert "核实后未纳入" in html and "家庭收入较高" not in html


def test_the_reference_may_be_typed_loosely(client, declared):
    typed = declared.reference.lower().replace("-", " ")
    assert "已受理,等待村里核实" in look(client, typed, "+8613912345678")


def _outcome(html: str) -> str:
    return re.search(r'<section id="status-result".*?</section>', html, re.S)[0]


def test_a_wrong_reference_and_a_wrong_phone_get_the_same_answer(client, declared):
    other = declared.reference[:-1] + ("A" if declared.reference[-1] != "A" else "B")
    wrong_reference = _outcome(look(client, other, "13912345678"))
    wrong_phone = _outcome(look(client, declared.reference, "13912345679"))
    nonsense = _outcome(look(client, "SB0000-AAAAAA", "13000000000"))
    assert "没有查到这条申报" in wrong_reference
    assert (
        wrong_reference.replace(other, "")
        == wrong_phone.replace(declared.reference, "")
        == nonsense.replace("SB0000-AAAAAA", "")
    )


def test_malformed_lookup_input_is_explained_next_to_the_field(client, declared):
    html = look(client, "12345", "abc")
    assert "申报编号的格式不对" in html
    assert "手机号码应为11位数字" in html
    assert "没有查到这条申报" not in html


def test_the_status_follows_the_alert_and_the_case(client, world, declared):
    """Staff usually work the alert queue: the declaration behind an alert moves with it, and with the case
    the alert joins: 核实中 while the household is identified, 已纳入 on the county's approval only."""
    import datetime as dt

    from django.utils import timezone

    from dixian.cases.models import Alert
    from dixian.cases.services import alert_set_status
    from dixian.domain import lifecycle as lc
    from dixian.monitoring.entry import case_register_and_open
    from dixian.monitoring.testing import walk_case
    from dixian.registry.models import HelperAssignment
    from dixian.registry.testing import personas, step_actors

    people = personas(world)
    officer = people["village_officer"]
    alert = Alert.objects.get(evidences__declaration=declared)
    alert_set_status(alert=alert, status="verifying", note="", actor=officer)
    assert "正在入户核实" in look(client, declared.reference, "13912345678")
    with pytest.raises(ValidationError, match="随监测帮扶档案的县级审定自动更新"):
        services.declaration_set_status(declaration=declared, status="confirmed", note="", actor=officer)
    case = case_register_and_open(
        actor=officer,
        village=world.village,
        name=declared.name,
        id_number=declared.id_number,
        kind="ordinary",
        labour_skill="ordinary",
        origin="declaration",
        reason="住院自付高",
        alerts=[alert],
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PROPOSED
    assert "正在入户核实" in look(client, declared.reference, "13912345678")
    HelperAssignment.objects.create(
        household=case.household, helper=people["helper"], start_date=dt.date(2025, 1, 1)
    )
    walk_case(case, lc.MONITORING, step_actors(people), start=timezone.localdate() - dt.timedelta(days=30))
    assert "已纳入监测帮扶" in look(client, declared.reference, "13912345678")
    declared.refresh_from_db()
    assert declared.status == Declaration.Status.CONFIRMED and declared.status_note == "县级审定纳入监测"


def test_a_refused_case_answers_the_applicant_with_the_reason_kept_for_staff(client, world, declared):
    from dixian.cases.models import Alert
    from dixian.monitoring.entry import case_register_and_open
    from dixian.monitoring.services import case_refuse

    officer = User.objects.create_user("vo", region=world.village, roles=["village_officer"])
    alert = Alert.objects.get(evidences__declaration=declared)
    case = case_register_and_open(
        actor=officer,
        village=world.village,
        name=declared.name,
        id_number=declared.id_number,
        kind="ordinary",
        labour_skill="ordinary",
        origin="declaration",
        reason="住院自付高",
        alerts=[alert],
    )
    case_refuse(case=case, actor=officer, seq=case.seq, reason="家庭人均纯收入远高于监测范围")
    html = look(client, declared.reference, "13912345678")
    assert "核实后未纳入" in html and "监测范围" not in html  # the public answer is the status alone
    declared.refresh_from_db()
    assert declared.status == Declaration.Status.DISMISSED
    assert declared.status_note == "不予纳入:家庭人均纯收入远高于监测范围"


def test_a_dismissed_alert_answers_the_applicant_unless_the_declaration_was_decided_on_its_page(
    client, world, captcha_test_mode
):
    from dixian.cases.models import Alert
    from dixian.cases.services import alert_set_status

    officer = User.objects.create_user("vo", region=world.village, roles=["village_officer"])
    client.post(reverse("declare:form"), declaration_post(world.village.code))
    declared = Declaration.objects.get()
    alert = Alert.objects.get(evidences__declaration=declared)
    alert_set_status(
        alert=alert, status="dismissed", note="家庭收入较高", actor=officer
    )  # straight from 待核实
    html = look(client, declared.reference, "13912345678")
    assert "核实后未纳入" in html and "家庭收入较高" not in html

    client.cookies.clear()
    client.post(reverse("declare:form"), declaration_post(world.village.code, difficulty="housing"))
    second = Declaration.objects.exclude(pk=declared.pk).get()
    services.declaration_set_status(declaration=second, status="verifying", note="", actor=officer)
    services.declaration_set_status(
        declaration=second, status="dismissed", note="已由民政兜底", actor=officer
    )
    alert = Alert.objects.get(evidences__declaration=second)
    alert_set_status(alert=alert, status="dismissed", note="已另行处理", actor=officer)
    second.refresh_from_db()
    assert second.status == "dismissed" and second.status_note == "已由民政兜底"
