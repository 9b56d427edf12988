"""The monitoring case API (dixian.monitoring.api): scoped reads, the moves through the services, and each
refused move answered with its Chinese reason and the right status (docs/domain.md §20)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from dixian.domain import lifecycle as lc
from dixian.feeds.services import api_token_create
from dixian.monitoring.models import CaseTransition, MonitoringCase
from dixian.monitoring.services import case_open
from dixian.monitoring.testing import authorisation_on_file, walk_case
from dixian.registry.testing import build_world, personas, step_actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def people(world):
    return personas(world)


def api_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='test', actor=None)[1]}")


def post(client: Client, url: str, body: dict) -> tuple[int, dict]:
    response = client.post(url, json.dumps(body, ensure_ascii=False), content_type="application/json")
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, response.json()


def opened(world, people, reason: str = "走访发现,联系电话13812345678") -> MonitoringCase:
    return case_open(household=world.home, actor=people["village_officer"], origin="manual", reason=reason)


def test_a_case_reads_with_its_labels_and_history_and_only_inside_the_scope(world, people):
    case = opened(world, people)
    url = f"/api/v1/cases/{case.pk}"
    response = api_client(people["county_reviewer"]).get(url)
    assert response.status_code == 200, response.content
    body = response.json()["case"]
    assert body["household_no"] == world.home.household_no
    assert body["state"] == lc.HOME_CHECK and body["state_label"] == lc.STEPS[lc.HOME_CHECK].label
    assert body["seq"] == case.seq and body["deadline_colour"] in (lc.GREEN, lc.ORANGE, lc.RED)
    assert body["village_code"] == case.region.code
    [opening] = body["transitions"]
    assert opening["action"] == CaseTransition.Action.OPEN and opening["to_label"]
    # No ID number, no phone: the reason's mobile number is masked for an account without the PII right.
    text = response.content.decode()
    assert "13812345678" not in text
    assert world.home.members.first().id_number not in text
    assert "13812345678" in api_client(people["county_admin"]).get(url).content.decode()  # has PII_VIEW

    # Another county's reviewer: 404, as for a case that does not exist; a department uploader: 403.
    for who, status in (("other_county_reviewer", 404), ("department_uploader", 403)):
        response = api_client(people[who]).get(url)
        assert response.status_code == status, (who, response.content)
        assert response.json()["message"]
    assert api_client(people["county_reviewer"]).get("/api/v1/cases/999999999").status_code == 404
    assert api_client(people["county_reviewer"]).get("/api/v1/cases/abc").status_code == 404
    assert Client().get(url).status_code == 401
    # Out of scope is 404 before the body is read: no hint from a malformed request either.
    client = api_client(people["other_county_reviewer"])
    response = client.post(f"{url}/advance", "not json", content_type="application/json")
    assert response.status_code == 404


def test_advance_send_back_and_refuse_move_the_case_through_the_services(world, people):
    case = opened(world, people)
    authorisation_on_file(case)
    village = api_client(people["village_officer"])
    status, body = post(
        village,
        f"/api/v1/cases/{case.pk}/advance",
        {"seq": case.seq, "data": {"category": "edge", "risk_codes": ["01", "03"]}},
    )
    assert status == 200, body
    assert body["case"]["state"] == lc.ASSET_CHECK and body["case"]["risk_codes"] == ["01", "03"]
    assert body["case"]["category_label"] and body["case"]["risk_names"][0] == "因病"
    last = CaseTransition.objects.filter(case=case).order_by("-seq").first()
    assert last.actor == people["village_officer"] and last.to_state == lc.ASSET_CHECK

    seq = body["case"]["seq"]
    status, body = post(
        api_client(people["county_reviewer"]),  # 信息比对 is the county's, and so is its send-back
        f"/api/v1/cases/{case.pk}/send-back",
        {"seq": seq, "to_state": lc.HOME_CHECK, "reason": "授权书签字不清"},
    )
    assert status == 200, body
    assert body["case"]["state"] == lc.HOME_CHECK
    assert body["case"]["transitions"][-1]["reason"] == "授权书签字不清"
    assert body["case"]["transitions"][-1]["action"] == CaseTransition.Action.SEND_BACK

    status, body = post(
        village, f"/api/v1/cases/{case.pk}/refuse", {"seq": body["case"]["seq"], "reason": "家庭收入较高"}
    )
    assert status == 200, body
    assert body["case"]["state"] == lc.REFUSED and not body["case"]["is_open"]
    assert MonitoringCase.objects.get(pk=case.pk).state == lc.REFUSED


def test_refused_moves_answer_with_the_services_chinese_reason(world, people):
    start = timezone.localdate() - dt.timedelta(days=3)
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现", on=start
    )
    case = walk_case(case, lc.PUBLIC_NOTICE, step_actors(people), start=start)
    url = f"/api/v1/cases/{case.pk}/advance"
    before = CaseTransition.objects.filter(case=case).count()

    # The township may not close the village's notice: 403 with who does it.
    status, body = post(api_client(people["township_reviewer"]), url, {"seq": case.seq})
    assert status == 403 and "办理" in body["message"], body
    # The notice has not run five full days: 422 with the date it may close.
    village = api_client(people["village_officer"])
    status, body = post(village, url, {"seq": case.seq})
    assert status == 422 and "5个整天" in body["message"], body
    # A request drawn from the case before its last step: 409.
    status, body = post(village, url, {"seq": case.seq - 1})
    assert status == 409 and "重复提交" in body["message"], body
    # A send-back without a reason, to a step after this one, a field of the wrong shape.
    status, body = post(
        village,
        f"/api/v1/cases/{case.pk}/send-back",
        {"seq": case.seq, "to_state": lc.HOME_CHECK, "reason": " "},
    )
    assert status == 422 and "理由" in body["message"], body
    status, body = post(
        village,
        f"/api/v1/cases/{case.pk}/send-back",
        {"seq": case.seq, "to_state": lc.MONITORING, "reason": "试试"},
    )
    assert status == 422 and "不能退回" in body["message"], body
    status, body = post(village, url, {"seq": "第三次"})
    assert status == 422 and "seq" in body["message"], body
    status, body = post(village, url, {"seq": case.seq, "colour": "red"})
    assert status == 422 and "不认识的字段:colour" in body["message"], body
    status, body = post(village, url, {"seq": case.seq, "data": {"risk_codes": "01"}})
    assert status == 422 and "data.risk_codes" in body["message"], body
    status, body = post(village, url, {"seq": case.seq, "data": {"category": "edge", "risk_codes": ["01"]}})
    assert status == 422 and "只有入户核实" in body["message"], body
    response = village.post(url, "{", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["message"]
    assert CaseTransition.objects.filter(case=case).count() == before
    assert village.get(url).status_code == 405


def test_the_api_documentation_lists_the_case_operations(client):
    document = client.get("/api/openapi.json").json()
    assert "/api/v1/cases/{pk}/advance" in document["paths"]
    assert "/api/v1/feeds" in document["paths"]
    page = client.get("/api/docs")
    assert page.status_code == 200
    text = page.content.decode()
    assert "/api/v1/cases/{pk}/send-back" in text and "/api/v1/feeds" in text
    assert "退回理由(必填)" in text  # the move's body, field by field
