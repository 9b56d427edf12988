"""The push API: token auth, status codes, machine-readable errors, scoping, the OpenAPI document."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse

from dixian.accounts.models import Role, User
from dixian.common.models import Job
from dixian.common.testing import persona
from dixian.domain import catalogue
from dixian.feeds import api_schemas
from dixian.feeds.models import ApiToken, FeedDelivery
from dixian.feeds.services import api_token_create, api_token_revoke, token_hash

from .helpers import json_rows, medical_rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/feeds/medical/deliveries"


@pytest.fixture
def key(people) -> str:
    return api_token_create(user=people["department_uploader"], name="医保系统", actor=None)[1]


def push(client, key: str | None, body, url: str = URL):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
    return client.post(url, data=data, content_type="application/json", headers=headers)


def batch(n: int = 3, **kw):
    return {"period": "2026-10", "rows": json_rows(medical_rows(n, **kw))}


def test_a_new_batch_is_accepted_with_201_and_the_same_batch_again_answers_200(client, key, world):
    response = push(client, key, batch())
    assert response.status_code == 201
    body = response.json()["delivery"]
    assert body["status"] == "accepted" and body["row_count"] == 3 and body["channel"] == "api"
    delivery = FeedDelivery.objects.get()
    assert delivery.region == world.county
    assert Job.objects.filter(kind="screen_delivery", params__delivery_id=delivery.pk).exists()
    again = push(client, key, batch())
    assert again.status_code == 200 and again.json()["delivery"]["id"] == body["id"]
    assert FeedDelivery.objects.count() == 1


def test_row_errors_answer_422_with_one_based_rows_and_nothing_is_stored(client, key):
    body = batch(3)
    body["rows"][1]["证件号码"] = "12345"
    body["rows"][2]["结算日期"] = "2026-02-30"
    response = push(client, key, body)
    assert response.status_code == 422
    data = response.json()
    assert data["error_count"] == 2
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(2, "证件号码"), (3, "结算日期")]
    assert all(e["message"] for e in data["errors"])
    assert data["delivery"]["status"] == "rejected"
    assert not FeedDelivery.objects.filter(status__in=["accepted", "screened"]).exists()
    assert not Job.objects.exists()


def test_a_422_lists_the_first_thousand_errors_as_the_openapi_document_says(client, key):
    body = batch(1_500)
    for row in body["rows"]:
        row["证件号码"] = "12345"
    first = push(client, key, body).json()
    again = push(client, key, body).json()
    for data in (first, again):
        assert data["error_count"] == 1_500
        assert len(data["errors"]) == api_schemas.MAX_ERRORS_LISTED == 1_000
        assert [e["row"] for e in data["errors"]] == list(range(1, 1_001))


def test_rows_without_any_field_are_refused_with_an_error_list_not_a_crash(client, key):
    response = push(client, key, {"period": "2026-10", "rows": [{}]})
    assert response.status_code in (400, 422)
    assert response.json()["errors"][0]["message"]
    assert not FeedDelivery.objects.filter(status__in=["accepted", "screened"]).exists()


def test_the_same_batch_for_another_period_is_another_delivery(client, key):
    assert push(client, key, batch()).status_code == 201
    body = batch()
    body["period"] = "2026-09"
    assert push(client, key, body).status_code == 201
    assert sorted(FeedDelivery.objects.values_list("period", flat=True)) == ["2026-09", "2026-10"]


def test_wrong_keys_in_the_rows_answer_422_naming_them(client, key):
    body = batch(1)
    body["rows"][0]["科室"] = "内科"
    response = push(client, key, body)
    assert response.status_code == 422
    assert any("无法识别的列:“科室”" in e["message"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    ("body", "column"),
    [
        ("{not json", ""),
        ("[1, 2]", ""),
        ({"rows": []}, "period"),
        ({"period": "2026-10"}, "rows"),
        ({"period": "2026-10", "rows": []}, "rows"),
        ({"period": "2026-10", "rows": [1]}, ""),
        ({"period": "2026-10", "rows": [{"姓名": {"a": 1}}]}, "姓名"),
        ({"period": "2026-13", "rows": [{"姓名": "x"}]}, "period"),
    ],
)
def test_a_malformed_body_answers_400_with_an_error_list(client, key, body, column):
    response = push(client, key, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and errors[0]["column"] == column and errors[0]["message"]
    assert FeedDelivery.objects.count() == 0


def test_a_row_of_the_wrong_shape_is_reported_with_its_row_number(client, key):
    response = push(client, key, {"period": "2026-10", "rows": [{"姓名": "x"}, "oops"]})
    assert response.json()["errors"][0]["row"] == 2


def test_missing_bad_and_revoked_tokens_answer_401(client, key, people):
    assert push(client, None, batch()).status_code == 401
    assert push(client, "dx_wrong", batch()).status_code == 401
    response = client.post(URL, data="{}", content_type="application/json", headers={"Authorization": key})
    assert response.status_code == 401  # no Bearer scheme
    api_token_revoke(token=ApiToken.objects.get(), actor=None)
    response = push(client, key, batch())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "无效或已停用" in response.json()["message"]
    assert FeedDelivery.objects.count() == 0


def test_a_session_login_is_not_enough(client, people):
    client.force_login(people["department_uploader"])
    assert push(client, None, batch()).status_code == 401


def test_an_account_that_may_not_deliver_answers_403(client, people):
    key = api_token_create(user=people["village_officer"], name="x", actor=None)[1]
    assert push(client, key, batch()).status_code == 403
    assert client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {key}"}).status_code == 403


def test_an_unknown_feed_answers_404(client, key):
    assert push(client, key, batch(), url="/api/v1/feeds/weather/deliveries").status_code == 404


def test_more_than_50000_rows_answers_413(client, key):
    row = json_rows(medical_rows(1))[0]
    response = push(client, key, {"period": "2026-10", "rows": [row] * (api_schemas.MAX_ROWS + 1)})
    assert response.status_code == 413
    assert FeedDelivery.objects.count() == 0


def test_the_token_is_stored_only_as_a_hash_and_its_use_is_recorded(client, key):
    token = ApiToken.objects.get()
    assert token.key_hash == token_hash(key) and key not in (token.key_hash, token.key_prefix)
    assert token.last_used_at is None
    push(client, key, batch())
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_delivery_can_be_read_back_only_within_the_accounts_region(client, key, world):
    own = push(client, key, batch()).json()["delivery"]["id"]
    far_user = persona("dept_far", world.other_county, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    far_key = api_token_create(user=far_user, name="x", actor=None)[1]
    far = push(client, far_key, batch(start=50)).json()["delivery"]["id"]
    auth = {"Authorization": f"Bearer {key}"}
    response = client.get(f"/api/v1/deliveries/{own}", headers=auth)
    assert response.status_code == 200 and response.json()["delivery"]["id"] == own
    assert client.get(f"/api/v1/deliveries/{far}", headers=auth).status_code == 404
    assert client.get("/api/v1/deliveries/999999", headers=auth).status_code == 404
    assert client.get(f"/api/v1/deliveries/{far}").status_code == 401


def test_the_catalogue_is_served_as_json(client, key):
    response = client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    feeds = response.json()["feeds"]
    assert [f["code"] for f in feeds] == [f.code for f in catalogue.FEEDS]
    assert feeds[0]["columns"][0]["header"] == "结算单号"


def test_a_wrong_method_answers_405_in_json(client, key):
    response = client.get(URL, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 405 and response.json()["errors"]


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_the_openapi_document_is_valid_and_describes_every_feed_and_route(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"]
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, item in doc["paths"].items():
        concrete = re.sub(r"\{pk\}", "1", path)
        try:
            match = resolve(concrete)
        except Resolver404:
            pytest.fail(f"{path} is not served")
        assert match.namespace in ("api", "cases_api")  # the push API and the case API (monitoring)
        for method, op in item.items():
            assert method in ("get", "post")
            assert op["operationId"] and op["summary"] and op["responses"]
            for code in op["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", code)
    for spec in catalogue.FEEDS:
        path = f"/api/v1/feeds/{spec.code}/deliveries"
        assert path in doc["paths"]
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        body = schemas[body["$ref"].rsplit("/", 1)[1]]
        assert body["properties"]["rows"]["items"]["$ref"] == f"#/components/schemas/Row_{spec.code}"
        row = schemas[f"Row_{spec.code}"]
        assert list(row["properties"]) == [c.header for c in spec.columns]
        assert row["required"] == [c.header for c in spec.columns if c.required]
        for col in spec.columns:
            prop = row["properties"][col.header]
            assert col.header in prop["description"]
            if col.choices:
                # An optional column also allows null: {"anyOf": [{"enum": [...]}, {"type": "null"}]}.
                values = prop["enum"] if col.required else prop["anyOf"][0]["enum"]
                assert values == list(col.choices)
    assert set(doc["paths"]) == {
        *(f"/api/v1/feeds/{f.code}/deliveries" for f in catalogue.FEEDS),
        "/api/v1/deliveries/{pk}",
        "/api/v1/feeds",
        # The monitoring case API (dixian.monitoring.api), added to the document by MonitoringConfig.ready().
        "/api/v1/cases/{pk}",
        *(f"/api/v1/cases/{{pk}}/{move}" for move in ("advance", "send-back", "refuse")),
    }


def test_the_docs_page_renders_the_document_without_third_party_scripts(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "POST /api/v1/feeds/medical/deliveries" in text
    assert "结算单号" in text
    assert not re.search(r"<script[^>]+src=\"https?://", text)
    # Nothing fetched from another host (the page carries a random token, where "cdn" may occur by chance).
    assert not re.search(r"(src|href)=\"(https?:)?//", text)


def test_the_token_page_shows_a_new_key_once_and_revokes(client, people):
    client.force_login(people["department_uploader"])
    response = client.post(reverse("feeds:tokens"), {"name": "医保系统每日推送"})
    text = response.content.decode()
    key = re.search(r'value="(dx_[^"]+)"', text).group(1)
    assert ApiToken.objects.get().key_hash == token_hash(key)
    listing = client.get(reverse("feeds:tokens")).content.decode()
    assert key not in listing and "医保系统每日推送" in listing
    token = ApiToken.objects.get()
    client.post(reverse("feeds:tokens"), {"revoke": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert push(client, key, batch()).status_code == 401


def test_an_account_cannot_revoke_anothers_token(client, people):
    other, _ = api_token_create(user=people["city_admin"], name="x", actor=None)
    client.force_login(people["department_uploader"])
    assert client.post(reverse("feeds:tokens"), {"revoke": other.pk}).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_the_command_creates_a_token_and_prints_it_once(people):
    out, err = StringIO(), StringIO()
    call_command(
        "api_token", "create", "--user", "department_uploader", "--name", "医保前置机", stdout=out, stderr=err
    )
    key = out.getvalue().strip()
    assert ApiToken.objects.get(name="医保前置机").key_hash == token_hash(key)
    # An account without a role may use neither API; a village officer may use the case API only.
    User.objects.create_user("no_role", password="x")
    with pytest.raises(Exception, match="不能使用接口"):
        call_command("api_token", "create", "--user", "no_role", "--name", "x", stdout=out, stderr=err)
    call_command("api_token", "create", "--user", "village_officer", "--name", "村务", stdout=out, stderr=err)
    assert ApiToken.objects.filter(user=people["village_officer"], name="村务").exists()
