"""The push API for department systems: token-authenticated JSON, no session, no CSRF.

Every answer is JSON with Chinese messages: 201 a new delivery, 200 the same content again, 400 a body that
is not what the document describes, 401 no or a bad token, 403 an account that may not deliver, 404 an
unknown feed or a delivery outside the account's region, 413 too many rows, 422 row errors (nothing stored).
The OpenAPI document and its HTML rendering are public: they describe the interface and hold no data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from dixian.accounts.capabilities import Capability, user_can

from . import catalogue, openapi, services
from .models import FeedDelivery
from .selectors import deliveries_for_user, token_authenticate

logger = logging.getLogger("dixian.api")

MAX_ROWS = openapi.MAX_ROWS
MAX_BODY_BYTES = 64 * 1024 * 1024


def _json(data: dict[str, Any], status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(
    status: int, message: str, errors: list[dict[str, Any]] | None = None, **extra: Any
) -> JsonResponse:
    headers = {"WWW_Authenticate": 'Bearer realm="dixian"'} if status == 401 else {}
    body = {
        "message": message,
        "errors": errors or [{"row": None, "column": "", "message": message}],
        **extra,
    }
    return _json(body, status, **headers)


def delivery_json(delivery: FeedDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "feed": delivery.feed,
        "period": delivery.period,
        "channel": delivery.channel,
        "status": delivery.status,
        "status_label": delivery.get_status_display(),
        "row_count": delivery.row_count,
        "error_count": delivery.error_count,
        "checksum": delivery.checksum,
        "message": delivery.message,
        "created_at": delivery.created_at.isoformat(),
        "screened_at": delivery.screened_at.isoformat() if delivery.screened_at else None,
    }


ApiView = Callable[..., HttpResponse]


def token_required(view: ApiView) -> ApiView:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _error(401, "缺少接口令牌:请在请求头中携带 Authorization: Bearer <令牌>")
        token = token_authenticate(key.strip())
        if token is None:
            return _error(401, "接口令牌无效或已停用,请在平台的“接口令牌”页面重新创建")
        if not user_can(token.user, Capability.FEEDS_UPLOAD):
            return _error(403, "该令牌所属账号不是部门数据员或县、市级管理员,不能使用报送接口")
        services.api_token_touch(token)
        request.api_user = token.user  # type: ignore[attr-defined]  # the account the token acts for
        request.api_token = token  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except Exception:
            logger.exception("API error on %s", request.path)
            return _error(
                500, "服务器处理时出现意外错误,已记录日志,本批数据未接收。请稍后重试或联系平台管理员。"
            )

    wrapper.capability = Capability.FEEDS_UPLOAD  # type: ignore[attr-defined]  # read by the capability test
    return wrapper


def _method_not_allowed(allowed: str) -> JsonResponse:
    response = _error(405, f"该地址只接受 {allowed} 请求")
    response["Allow"] = allowed
    return response


@token_required
def delivery_create(request: HttpRequest, code: str) -> HttpResponse:
    if request.method != "POST":
        return _method_not_allowed("POST")
    if code not in catalogue.FEEDS_BY_CODE:
        return _error(404, f"没有数据类型「{code}」,可用的类型见 GET /api/v1/feeds")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "请求头 Content-Length 不是数字")
    if length > MAX_BODY_BYTES:
        return _error(
            413, f"请求体超过 {MAX_BODY_BYTES // (1024 * 1024)} MB,请分批推送(每批不超过 {MAX_ROWS} 行)"
        )
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        return _error(
            413, f"请求体超过 {MAX_BODY_BYTES // (1024 * 1024)} MB,请分批推送(每批不超过 {MAX_ROWS} 行)"
        )
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "请求体不是合法的 UTF-8 JSON")
    problems = _body_problems(body)
    if problems:
        return _error(
            400,
            "请求体格式不对:" + problems[0]["message"],
            problems[: openapi.MAX_ERRORS_LISTED],
            error_count=len(problems),
        )
    rows = body["rows"]
    if len(rows) > MAX_ROWS:
        return _error(413, f"一批有 {len(rows)} 行,超过了 {MAX_ROWS} 行的上限,请分批推送")
    user = request.api_user  # type: ignore[attr-defined]
    if user.region_id is None:
        return _error(403, "该令牌所属账号没有分配区划,不能报送数据。请联系管理员")
    try:
        delivery, created = services.delivery_receive(
            feed=code,
            period=body["period"],
            source=user,
            region=user.region,
            channel=FeedDelivery.Channel.API,
            file_name=f"接口推送:{request.api_token.name}"[:255],  # type: ignore[attr-defined]
            rows=rows,
        )
    except ValidationError as exc:
        return _error(400, exc.messages[0], [{"row": None, "column": "period", "message": exc.messages[0]}])
    if delivery.status == FeedDelivery.Status.REJECTED:
        return _error(
            422,
            delivery.message,
            list(delivery.errors),
            error_count=delivery.error_count,
            delivery=delivery_json(delivery),
        )
    return _json({"delivery": delivery_json(delivery)}, 201 if created else 200)


def _body_problems(body: Any) -> list[dict[str, Any]]:
    def problem(row: int | None, column: str, message: str) -> dict[str, Any]:
        return {"row": row, "column": column, "message": message}

    if not isinstance(body, dict):
        return [problem(None, "", '请求体应是一个 JSON 对象:{"period": "2026-10", "rows": [...]}')]
    out = []
    unknown = sorted(set(body) - {"period", "rows"})
    if unknown:
        out.append(problem(None, unknown[0], f"不认识的字段:{'、'.join(unknown)};只接受 period 和 rows"))
    if not isinstance(body.get("period"), str):
        out.append(problem(None, "period", '缺少 period(数据期间,字符串,如 "2026-10")'))
    rows = body.get("rows")
    if not isinstance(rows, list):
        out.append(problem(None, "rows", "缺少 rows(数据行的数组)"))
        return out
    if not rows:
        out.append(problem(None, "rows", "rows 是空的,至少要有一行"))
    for n, row in enumerate(rows[: MAX_ROWS + 1], start=1):
        if not isinstance(row, dict):
            out.append(problem(n, "", "每一行应是一个 JSON 对象,键为表头"))
            continue
        for key, value in row.items():
            if isinstance(value, (dict, list)):
                out.append(problem(n, str(key), "值应是字符串、数字或 null,不能是对象或数组"))
    return out


@token_required
def delivery_get(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed("GET")
    delivery = deliveries_for_user(request.api_user).filter(pk=pk).first()  # type: ignore[attr-defined]
    if delivery is None:
        return _error(404, "报送不存在或不在您的管辖范围内")
    return _json({"delivery": delivery_json(delivery)})


@token_required
def feed_list(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed("GET")
    return _json({"feeds": catalogue.describe()})


def openapi_json(request: HttpRequest) -> JsonResponse:
    return _json(openapi.document())


def api_docs(request: HttpRequest) -> HttpResponse:
    doc = openapi.document()
    schemas = doc["components"]["schemas"]
    operations = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body_ref = None
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            items = content.get("schema", {}).get("properties", {}).get("rows", {}).get("items", {})
            if "$ref" in items:
                body_ref = items["$ref"].rsplit("/", 1)[-1]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "op": op,
                    "responses": sorted(op["responses"].items()),
                    "rows": schemas.get(body_ref) if body_ref else None,
                }
            )
    example = json.dumps(
        {"period": "2026-10", "rows": [_example_row(catalogue.feed("medical"))]}, ensure_ascii=False, indent=2
    )
    return render(
        request,
        "feeds/api_docs.html",
        {"doc": doc, "operations": operations, "example": example, "max_rows": MAX_ROWS},
    )


def _example_row(spec: catalogue.Feed) -> dict[str, Any]:
    sample = {
        "settlement_no": "JS2026100001",
        "name": "示例患者",
        "id_number": "110101190001011009",
        "visit_type": "住院",
        "settlement_date": "2026-10-08",
        "total_cost": 12000,
        "fund_paid": 7000,
        "critical_illness_paid": 1000,
        "assistance_paid": 500,
        "supplementary_paid": 0,
        "out_of_pocket": 3500,
    }
    return {spec.column(f).header: v for f, v in sample.items()}
