"""The change history reads in Chinese for every kind of record it mentions, not only households and persons:
an alert's status change reads 状态:待核实 → 核实中, never status: open → verifying."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dixian.cases.services import alert_add_evidence, alert_set_status
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.registry.history import entity_model
from dixian.visits.models import Visit

pytestmark = pytest.mark.django_db


def history_text(client, user, household) -> str:
    client.force_login(user)
    html = client.get(reverse("registry:household_history", args=[household.pk])).content.decode()
    return re.sub(r"<[^>]+>", "", html)


def test_an_alert_status_change_in_the_history_names_field_and_statuses_in_chinese(client, world, people):
    officer = people["village_officer"]
    alert = alert_add_evidence(
        household=world.home,
        region=world.village,
        risk_code="01",
        channel="department",
        grade="红",
        reason="医疗个人负担 23,400 元",
        dedup_parts=("history",),
    ).alert
    assert alert is not None
    alert_set_status(alert=alert, status="verifying", note="", actor=officer)
    text = history_text(client, officer, world.home)
    assert "状态: 待核实 → 核实中" in text
    assert "open" not in text and "verifying" not in text and "status" not in text


def test_fields_of_other_apps_records_read_with_their_labels(client, world, people):
    officer = people["village_officer"]
    change_record(
        actor=officer,
        source=ChangeLog.Source.WEB,
        entity="visit",
        entity_id=1,
        household_id=world.home.pk,
        action=ChangeLog.Action.CREATE,
        changes={"visit_date": [None, "2026-12-03"], "method": [None, "home"]},
        summary="走访记录",
    )
    text = history_text(client, officer, world.home)
    assert "走访日期: 空 → 2026-12-03" in text
    assert f"方式: 空 → {Visit.Method.HOME.label}" in text
    assert "visit_date" not in text and "method" not in text and ": 空 → home" not in text


def test_entities_are_found_by_model_name_and_alias():
    assert entity_model("alert")._meta.model_name == "alert"
    assert entity_model("link_candidate")._meta.model_name == "linkcandidate"
    assert entity_model("unmatched")._meta.model_name == "unmatchedrecord"
    assert entity_model("no_such_thing") is None
