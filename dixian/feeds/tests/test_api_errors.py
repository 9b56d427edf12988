"""Every answer under /api/ is JSON with a Chinese message, errors included; the docs page's examples work."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse

from dixian.feeds import api, api_schemas, services
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import api_token_create

from .helpers import json_rows, medical_rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/feeds/medical/deliveries"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def auth(people) -> dict[str, str]:
    key = api_token_create(user=people["department_uploader"], name="医保系统", actor=None)[1]
    return {"Authorization": f"Bearer {key}"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert CHINESE.search(body["message"]), body
    assert body["errors"] and all(CHINESE.search(e["message"]) for e in body["errors"])
    assert body["error_count"] >= len(body["errors"])
    assert "Traceback" not in response.content.decode()
    return body


def push(client, auth, rows, period="2026-10"):
    return client.post(
        URL, data=json.dumps({"period": period, "rows": rows}), content_type="application/json", headers=auth
    )


@pytest.mark.parametrize(
    "path", ["/api/", "/api/v2/feeds", "/api/v1/feeds/medical", "/api/v1/deliveries/x/y"]
)
def test_an_unknown_path_under_api_answers_404_in_json(client, auth, path):
    problem(client.get(path, headers=auth), 404)


def test_a_wrong_method_answers_405_in_json_naming_the_allowed_one(client, auth):
    response = client.put("/api/v1/feeds", headers=auth)
    problem(response, 405)
    assert response["Allow"] == "GET"
    response = client.get(URL, headers=auth)
    assert "POST" in problem(response, 405)["message"] and response["Allow"] == "POST"


def test_an_unknown_feed_answers_401_without_a_token_and_404_with_one(client, auth):
    problem(client.post("/api/v1/feeds/weather/deliveries", data="{}", content_type="application/json"), 401)
    body = problem(
        client.post(
            "/api/v1/feeds/weather/deliveries", data="{}", content_type="application/json", headers=auth
        ),
        404,
    )
    assert "weather" in body["message"]


def test_a_body_over_the_limit_answers_413_before_it_is_read(client, auth, monkeypatch):
    monkeypatch.setattr(api_schemas, "MAX_BODY_BYTES", 1_000)
    response = push(client, auth, json_rows(medical_rows(20)))
    problem(response, 413)
    assert FeedDelivery.objects.count() == 0


def test_text_that_is_not_utf8_json_answers_400(client, auth):
    for data in (b"\xff\xfe{", b'{"period": "2026-10", "rows": [{"\\u59d3\\u540d": "\\ud800"}]}'):
        problem(client.post(URL, data=data, content_type="application/json", headers=auth), 400)
    assert FeedDelivery.objects.count() == 0


def test_an_unexpected_error_answers_500_in_json_and_is_logged(client, auth, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "delivery_receive", broken)
    response = push(client, auth, json_rows(medical_rows(1)))
    assert "disk full" not in problem(response, 500)["message"]
    assert any("disk full" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_an_error_outside_the_operations_also_answers_json(client, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "openapi_document", broken)
    client.raise_request_exception = False
    problem(client.get("/api/openapi.json"), 500)


def test_values_in_a_form_the_document_does_not_allow_are_row_errors_with_chinese_reasons(client, auth):
    rows = json_rows(medical_rows(4))
    rows[0]["结算日期"] = "2099-01-01"
    rows[1]["医疗总费用"] = 1000.5
    rows[2]["姓名"] = 42
    rows[3]["结算日期"] = "2026/10/8"
    body = problem(push(client, auth, rows), 422)
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "日期不能在将来" in messages[(1, "结算日期")]
    assert "最多两位小数的字符串" in messages[(2, "医疗总费用")]
    assert "应为文字" in messages[(3, "姓名")]
    assert "YYYY-MM-DD" in messages[(4, "结算日期")]
    delivery = FeedDelivery.objects.get()
    assert delivery.status == FeedDelivery.Status.REJECTED and delivery.report_file
    assert body["delivery"]["id"] == delivery.pk and delivery.errors == body["errors"]


def test_a_control_character_in_a_refused_value_is_stored_as_an_escape(client, auth):
    rows = json_rows(medical_rows(1))
    rows[0]["证件号码"] = "12\x003"
    body = problem(push(client, auth, rows), 422)
    assert "12\\u00003" in body["errors"][0]["message"]
    assert FeedDelivery.objects.get().errors == body["errors"]


def test_the_docs_page_shows_copyable_examples_that_the_api_accepts(client, auth):
    text = client.get(reverse("api:docs")).content.decode()
    blocks = [
        html.unescape(b) for b in re.findall(r"<pre class=\"code\"><code>(.*?)</code></pre>", text, re.S)
    ]
    example, curl = blocks
    assert curl.count("\n") >= 3 and all(line.endswith(" \\") for line in curl.splitlines()[:-1])
    assert "Authorization: Bearer" in curl and "/api/v1/feeds/medical/deliveries" in curl
    response = client.post(URL, data=example, content_type="application/json", headers=auth)
    assert response.status_code == 201, response.content
    for code in ("400", "401", "413", "422"):
        assert api.RESPONSE_DESCRIPTIONS[code] in text
