"""The push API for department systems on django-ninja: token-authenticated JSON, no session, no CSRF.

The request and answer models are in api_schemas.py (generated from the feed catalogue and the ingest
checks); ninja validates every request with them and writes /api/openapi.json from them. Every answer under
/api/ is JSON with Chinese messages, errors included (`ApiJsonErrors` catches what ninja does not answer
itself: unknown paths, 405, Django's own error pages):

201 a new delivery, 200 the same content again, 400 a request that is not JSON or not the document's shape
(a missing or wrong period, rows not a list of objects, a value that is an object or array), 401 no or a bad
token, 403 an account that may not deliver (or not this feed: docs/security.md §3), 404 an unknown feed or a delivery outside the account's region,
405 a wrong method, 413 more than 50,000 rows or 64 MB, 429 too many pushes by the token this hour
(with Retry-After), 422 row errors (the batch is recorded as refused,
nothing of it kept), 500 an unexpected error (logged, never shown).

The delivery service (services.delivery_receive / delivery_refuse) writes every delivery; this module only
reads requests and answers them.
"""

# No `from __future__ import annotations` here: ninja reads the views' annotations as types.

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Path, Router, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.ratelimit import RateLimited, rate_limit_take
from dixian.domain import catalogue as cat

from . import api_schemas as s
from . import ingest, services
from .models import ApiToken, FeedDelivery
from .selectors import deliveries_for_user, token_authenticate

logger = logging.getLogger("dixian.api")

PREFIX = "/api/"
UNEXPECTED = "服务器处理时出现意外错误,已记录日志,本批数据未接收。请稍后重试或联系平台管理员。"
STATUS_MESSAGES = {
    400: "请求格式不对",
    401: "缺少接口令牌:请在请求头中携带 Authorization: Bearer <令牌>",
    403: "该令牌所属账号不能使用这个接口",
    404: "接口地址不存在,可用的地址见 /api/docs",
    405: "该地址不接受这种请求方法",
    429: "推送过于频繁,请稍后再试",
    413: f"请求体超过 {s.MAX_BODY_BYTES // (1024 * 1024)} MB,请分批推送(每批不超过 {s.MAX_ROWS} 行)",
    500: UNEXPECTED,
}


class ApiError(Exception):
    """An answer other than success, with its Chinese message and, for a batch, the errors found."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.errors = errors if errors is not None else [{"row": None, "column": "", "message": message}]
        self.extra = extra


def problem(message: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    errors = errors if errors is not None else [{"row": None, "column": "", "message": message}]
    return {
        "message": message,
        "errors": errors,
        "error_count": extra.pop("error_count", len(errors)),
        **extra,
    }


def problem_response(status: int, message: str, **kwargs: Any) -> JsonResponse:
    response = JsonResponse(
        problem(message, **kwargs), status=status, json_dumps_params={"ensure_ascii": False}
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="dixian"'
    return response


# ---- reading requests --------------------------------------------------------------------------------------

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]", re.ASCII)


class BodyError(Exception):
    pass


class BodyParser(Parser):
    """The body as UTF-8 JSON, or a 400 with its Chinese reason (the monitoring case API uses it too)."""

    def parse_body(self, request: HttpRequest) -> Any:
        raw = request.body
        try:
            data = json.loads(raw.decode("utf-8-sig"))
            if _SURROGATE_ESCAPE.search(raw):
                # \ud800 alone is valid JSON text but no character: it cannot be stored or shown.
                json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, ValueError) as exc:
            raise BodyError("请求体不是合法的 UTF-8 JSON") from exc
        except RecursionError as exc:  # docs/security.md §4: malformed requests answer 400
            raise BodyError(
                "请求体的数组或对象嵌套层数过多:请按接口文档,每行一个对象、值为字符串或数字"
            ) from exc
        return data


def _read_body(request: HttpRequest) -> None:
    """Read the body now, up to MAX_BODY_BYTES. Django's request.body refuses more than
    DATA_UPLOAD_MAX_MEMORY_SIZE (20 MB, set for forms), and a batch of 50,000 rows may take more."""
    if hasattr(request, "_body"):
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "请求头 Content-Length 不是数字") from None
    if length > s.MAX_BODY_BYTES:
        raise ApiError(413, STATUS_MESSAGES[413])
    raw = request.read(s.MAX_BODY_BYTES + 1)
    if len(raw) > s.MAX_BODY_BYTES:
        raise ApiError(413, STATUS_MESSAGES[413])
    request._body = raw  # what request.body returns from now on


PUSH_BUCKET = "dept_push_token"  # noqa: S105 - a rate-limit bucket's name, not a secret


def _push_rate_limit(token: ApiToken) -> None:
    """At most DIXIAN_API_PUSHES_PER_TOKEN_HOUR pushes per token and hour, refused ones included: a
    flooding system cannot queue work without end (docs/security.md §3)."""
    limit = settings.DIXIAN_API_PUSHES_PER_TOKEN_HOUR
    if limit <= 0:
        return
    try:
        rate_limit_take(bucket=PUSH_BUCKET, value=str(token.pk), limit=limit, window=dt.timedelta(hours=1))
    except RateLimited as exc:
        wait = max(1, math.ceil((exc.retry_at - timezone.now()).total_seconds()))
        local = timezone.localtime(exc.retry_at)
        raise ApiError(
            429,
            f"该令牌一小时内的推送已达 {limit} 次上限,请在 {local:%H:%M} 之后再推送"
            f"(约 {math.ceil(wait / 60)} 分钟后)。数据较多时请合并成较大的批次(每批最多 {s.MAX_ROWS} 行)。",
            headers={"Retry-After": str(wait)},
        ) from None


class TokenAuth(HttpBearer):
    """An API token (dixian api_token, or the 接口令牌 page) of an account that may deliver."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, STATUS_MESSAGES[401])
        token = self.authenticate(request, key.strip())
        if token is None:
            raise ApiError(401, "接口令牌无效或已停用,请在平台的“接口令牌”页面重新创建")
        if not user_can(token.user, Capability.FEEDS_UPLOAD):
            raise ApiError(403, "该令牌所属账号不是部门数据员或县、市级管理员,不能使用报送接口")
        services.api_token_touch(token)
        if request.method == "POST":
            _push_rate_limit(token)
            if token.user.region_id is None:
                raise ApiError(403, "该令牌所属账号没有分配区划,不能报送数据。请联系管理员")
            code = _feed_of(request)
            if code in cat.FEEDS_BY_CODE:
                # The token acts as its account: only the account's feeds, for its region (docs/security.md §3).
                try:
                    services.delivery_permission_check(token.user, code, token.user.region)
                except services.DeliveryNotPermitted as exc:
                    raise ApiError(403, exc.messages[0]) from None
            _read_body(request)
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(token)


class ApiRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # noqa: RUF012 - ninja's own class attribute


RESPONSE_DESCRIPTIONS = {
    "200": "成功(报送:相同内容已接收过,返回原来的报送,没有任何变化)",
    "201": "已接收(新的报送),随即进入筛查",
    "400": "请求体不是合法的 JSON,或不是文档所写的结构:缺少或写错 period、rows 不是对象数组、值是对象或数组",
    "401": "缺少令牌、令牌错误或已停用",
    "403": "令牌所属账号不是部门数据员或县、市级管理员,没有分配区划,或不负责这类数据(账号的数据项)",
    "404": "报送不存在或不在本账号的区划内",
    "429": "该令牌一小时内的推送次数已达上限;Retry-After 头给出需等待的秒数",
    "413": f"一批超过 {s.MAX_ROWS} 行或请求体超过 {s.MAX_BODY_BYTES // (1024 * 1024)} MB,请分批推送",
    "422": (
        f"有行错误:整批未接收,记为拒收;errors 列出每一处错误(最多前 {s.MAX_ERRORS_LISTED:,} 处,"
        "error_count 为总数),delivery 为拒收的报送"
    ),
    "500": "服务器意外出错(已记录日志),本批未接收",
}


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        doc = super().get_openapi_schema(**kwargs)
        for item in doc["paths"].values():
            for op in item.values():
                for status, answer in op["responses"].items():
                    answer["description"] = RESPONSE_DESCRIPTIONS.get(str(status), answer["description"])
                if not op.get("parameters"):
                    op.pop("parameters", None)
        for scheme in doc["components"].get("securitySchemes", {}).values():
            scheme["description"] = "接口令牌:请求头 Authorization: Bearer <令牌>"
        return doc

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> NinjaValidationError:
        # As ninja's, but keeping each error's input: a value that is an object or an array is a request
        # of the wrong shape (400), any other wrong value a row error (422).
        errors = [
            {
                "source": context.model.__ninja_param_source__,
                "loc": e["loc"],
                "type": e["type"],
                "input": e.get("input"),
            }
            for context in error_contexts
            for e in context.pydantic_validation_error.errors(include_url=False, include_context=False)
        ]
        return NinjaValidationError(errors)


api = Api(
    title="底线 · 部门数据报送接口",
    version="1.0.0",
    description=(
        "各部门系统向乡村振兴监测预警平台推送数据的接口。认证:在请求头中携带 "
        "`Authorization: Bearer <令牌>`,令牌由部门数据员在平台的“接口令牌”页面创建。"
        "所有应答都是 JSON,错误也一样:errors 中每一项给出行号(从 1 起)、列名和中文原因。"
    ),
    urls_namespace="api",
    docs_url=None,
    openapi_url=None,
    auth=TokenAuth(),
    renderer=ApiRenderer(),
    parser=BodyParser(),
)


# ---- errors as JSON ------------------------------------------------------------------------------------------


def _api_error(request: HttpRequest, exc: Any) -> HttpResponse:  # an ApiError
    response = problem_response(exc.status, exc.message, errors=exc.errors, **exc.extra)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _no_auth(request: HttpRequest, exc: Any) -> HttpResponse:
    return problem_response(401, STATUS_MESSAGES[401])


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:  # an HttpError
    if isinstance(exc.__cause__, BodyError):
        return problem_response(400, str(exc.__cause__))
    return problem_response(exc.status_code, STATUS_MESSAGES.get(exc.status_code, str(exc)))


def error_handlers_register(target: NinjaAPI) -> None:
    """The errors every token API answers alike (an ApiError, no or a bad token, a body that is not JSON
    or a wrong method), in this API's problem format; the case API registers them too (monitoring/api.py)."""
    target.add_exception_handler(ApiError, _api_error)
    target.add_exception_handler(AuthenticationError, _no_auth)
    target.add_exception_handler(HttpError, _http_error)


error_handlers_register(api)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(413, STATUS_MESSAGES[413])


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: list[dict[str, Any]] = exc.errors  # as built by Api above
    if any(e["source"] == "path" for e in errors):
        return problem_response(404, "报送不存在或不在您的管辖范围内(报送编号应为正整数)")
    code = _feed_of(request)
    assert code is not None, request.path
    try:
        return batch_invalid(request, code, errors)
    except ApiError as exc:
        return _api_error(request, exc)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return problem_response(500, UNEXPECTED)


def _feed_of(request: HttpRequest) -> str | None:
    match = request.resolver_match
    return match.kwargs.get("code") if match else None


# ---- a batch that does not fit the document -----------------------------------------------------------------


def _shown(value: Any, limit: int = 30) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # Control characters and lone surrogates are written as escapes: the message is stored and shown.
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value_message(col: cat.FeedColumn, value: Any) -> str:
    h, shown = col.header, _shown(value)
    if value is None or (col.type == cat.TEXT and isinstance(value, str) and not value.strip(ingest._WS)):  # noqa: SLF001
        return f"{h}是必填项,不能为空"
    if col.type == cat.TEXT:
        if not isinstance(value, str):
            return f"{h}应为文字(字符串),不能是 {shown}"
        return f"{h}超过{ingest.TEXT_MAX}个字,请精简"
    if col.type == cat.ID:
        return (
            f"{h}「{shown}」不是身份证号:应为18位(末位为大写X)或老的15位数字的字符串。"
            "号码不详时请填 null,系统会按姓名、性别、出生日期和行政村匹配"
        )
    if col.type == cat.DATE:
        today = timezone.localdate()
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                return f"{h}「{shown}」不存在(月份或日期超出范围),请核对"
            if day > today:
                return f"{h}「{shown}」晚于今天({today.isoformat()}),日期不能在将来"
            return f"{h}「{shown}」早于{ingest.EARLIEST.year}年,请核对"
        return f'{h}「{shown}」应写成 YYYY-MM-DD 的日期字符串,如 "2026-03-05"'
    if col.type == cat.MONEY:
        return f'{h}「{shown}」应为 0 到 {s.MAX_YUAN} 元的金额:整数,或最多两位小数的字符串,如 "1200.50"'
    if col.type == cat.INT:
        return f"{h}「{shown}」应为 0 到 {ingest.INT_MAX.get(col.field, ingest.INT_DEFAULT_MAX)} 之间的整数"
    return f"{h}「{shown}」不是可选的值,可填:{'、'.join(col.choices)}"


def _rows_sent(request: HttpRequest) -> list[Any] | None:
    try:
        rows = json.loads(request.body.decode("utf-8-sig")).get("rows")
    except (ValueError, AttributeError):  # pragma: no cover - the parser read it before
        return None
    return rows if isinstance(rows, list) else None


def batch_invalid(request: HttpRequest, code: str, errors: list[dict[str, Any]]) -> HttpResponse:
    """Answer a batch the models refused: 400 for the request's shape, 413 for too many rows, else 422 with
    one error per row and key, the batch recorded as refused (as the checks' rejections are)."""
    spec = cat.feed(code)
    shape: list[dict[str, Any]] = []
    rows: list[tuple[int, int, dict[str, Any]]] = []
    positions = {c.header: j for j, c in enumerate(spec.columns)}
    for e in errors:
        loc, kind, value = tuple(e["loc"]), e["type"], e["input"]
        if loc[:1] == ("payload",):
            loc = loc[1:]
        if not loc:
            shape.append(_err(None, "", '请求体应是一个 JSON 对象:{"period": "2026-10", "rows": [...]}'))
        elif loc[0] == "period":
            shape.append(
                _err(None, "period", '缺少 period(数据期间,字符串,如 "2026-10")')
                if kind == "missing"
                else _err(
                    None, "period", f'数据期间「{_shown(value)}」应为 2000-01 到本月之间的年月,如 "2026-10"'
                )
            )
        elif loc[0] != "rows":
            shape.append(
                _err(None, _shown(loc[0], 100), f"不认识的字段:{_shown(loc[0])};只接受 period 和 rows")
            )
        elif len(loc) == 1:
            if kind == "too_long":
                raise ApiError(413, f"一批超过了 {s.MAX_ROWS} 行的上限,请分批推送")
            message = {"missing": "缺少 rows(数据行的数组)", "too_short": "rows 是空的,至少要有一行"}
            shape.append(_err(None, "rows", message.get(kind, "rows 应是数据行的数组")))
        elif len(loc) == 2:
            shape.append(_err(loc[1] + 1, "", "每一行应是一个 JSON 对象,键为表头"))
        else:
            n, key = loc[1] + 1, str(loc[2])
            column = _shown(key, 100)
            if kind != "missing" and isinstance(value, (dict, list)):
                shape.append(_err(n, column, "值应是字符串、数字或 null,不能是对象或数组"))
            elif kind == "extra_forbidden":
                rows.append(
                    (
                        n,
                        len(positions),
                        _err(
                            n,
                            column,
                            f"无法识别的列:“{_shown(key)}”。表头应为:{ingest.expected_headers(spec)}",
                        ),
                    )
                )
            elif kind == "missing":
                rows.append((n, positions[key], _err(n, key, f"{key}是必填项,不能为空")))
            else:
                col = next(c for c in spec.columns if c.header == key)
                rows.append((n, positions[key], _err(n, key, _value_message(col, value))))
    if shape:
        raise ApiError(
            400, "请求体格式不对:" + shape[0]["message"], shape[: s.MAX_ERRORS_LISTED], error_count=len(shape)
        )
    # One error per row and key: a value outside a union (an amount) fails each of its branches.
    unique = {(n, e["column"]): (n, p, e) for n, p, e in rows}
    ordered = [e for _, _, e in sorted(unique.values(), key=lambda t: (t[0], t[1]))]
    token = request.auth  # type: ignore[attr-defined]  # set by TokenAuth
    user = token.user
    sent = _rows_sent(request) or []
    try:
        delivery = services.delivery_refuse(
            feed=code,
            period=json.loads(request.body.decode("utf-8-sig"))["period"],
            source=user,
            region=user.region,
            channel=FeedDelivery.Channel.API,
            file_name=f"接口推送:{token.name}"[:255],
            rows=sent,
            errors=[
                ingest.RowError(e["row"], e["column"], e["message"]) for e in ordered[: s.MAX_ERRORS_LISTED]
            ],
            error_count=len(ordered),
        )
    except ValidationError as exc:
        raise ApiError(400, exc.messages[0], [_err(None, "period", exc.messages[0])]) from None
    return problem_response(
        422,
        delivery.message,
        errors=list(delivery.errors),
        error_count=delivery.error_count,
        delivery=s.delivery_out(delivery),
    )


def _err(row: int | None, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


# ---- operations --------------------------------------------------------------------------------------------

router = Router()
ERRORS = {400: s.Problem, 401: s.Problem, 403: s.Problem, 500: s.Problem}
PUSH_ERRORS = {**ERRORS, 429: s.Problem}


def _deliver_operation(spec: cat.Feed) -> Callable[..., Any]:
    def deliver(request: HttpRequest, payload: Any) -> Status:
        token = request.auth  # type: ignore[attr-defined]  # set by TokenAuth
        user = token.user
        rows = [row.model_dump(by_alias=True, exclude_unset=True) for row in payload.rows]
        try:
            delivery, created = services.delivery_receive(
                feed=spec.code,
                period=payload.period,
                source=user,
                region=user.region,
                channel=FeedDelivery.Channel.API,
                file_name=f"接口推送:{token.name}"[:255],
                rows=rows,
            )
        except ValidationError as exc:
            raise ApiError(400, exc.messages[0], [_err(None, "period", exc.messages[0])]) from None
        if delivery.status == FeedDelivery.Status.REJECTED:
            return Status(
                422,
                problem(
                    delivery.message,
                    list(delivery.errors),
                    error_count=delivery.error_count,
                    delivery=s.delivery_out(delivery),
                ),
            )
        return Status(201 if created else 200, {"delivery": s.delivery_out(delivery)})

    deliver.__name__ = f"deliver_{spec.code}"
    deliver.__annotations__ = {"request": HttpRequest, "payload": s.batch_model(spec.code)}
    return deliver


for _spec in cat.FEEDS:
    router.add_api_operation(
        f"/v1/feeds/{_spec.code}/deliveries",
        ["POST"],
        _deliver_operation(_spec),
        response={
            201: s.DeliveryEnvelope,
            200: s.DeliveryEnvelope,
            **PUSH_ERRORS,
            413: s.Problem,
            422: s.Rejection,
        },
        operation_id=f"deliver_{_spec.code}",
        summary=f"推送{_spec.department}“{_spec.name}”数据",
        description=(
            f"{_spec.meaning}。一批最多 {s.MAX_ROWS} 行;整批校验,有一处错误整批不接收(422,errors 列出前 "
            f"{s.MAX_ERRORS_LISTED:,} 处,error_count 为总数)。同一批内容再次推送返回已接收的报送(200),"
            "不会重复接收。接收后立即进入筛查。"
        ),
        tags=["报送"],
        url_name=f"delivery_create_{_spec.code}",
    )


@router.get(
    "/v1/deliveries/{pk}",
    response={200: s.DeliveryEnvelope, **ERRORS, 404: s.Problem},
    operation_id="delivery_get",
    summary="查询一次报送的状态",
    description="只能查询本账号区划内的报送,其他报送一律 404。",
    tags=["报送"],
    url_name="delivery_get",
)
def delivery_get(
    request: HttpRequest, pk: int = Path(..., ge=1, le=2**63 - 1, description="报送编号")
) -> dict[str, Any]:
    user = request.auth.user  # type: ignore[attr-defined]  # set by TokenAuth
    delivery = deliveries_for_user(user).filter(pk=pk).first()
    if delivery is None:
        raise ApiError(404, "报送不存在或不在您的管辖范围内")
    return {"delivery": s.delivery_out(delivery)}


@router.get(
    "/v1/feeds",
    response={200: s.Catalogue, **ERRORS},
    operation_id="catalogue",
    summary="部门数据目录",
    description="各类数据的列、类型、是否必填、可填的值、含义与别名。",
    tags=["数据目录"],
    url_name="feed_list",
)
def feed_list(request: HttpRequest) -> dict[str, Any]:
    return {"feeds": cat.describe()}


api.add_router("", router)


# ---- URL patterns ------------------------------------------------------------------------------------------


def _ninja_views() -> dict[str, Callable[..., HttpResponse]]:
    return {p.name: p.callback for p in api.urls[0] if isinstance(p, URLPattern) and p.name}


_VIEWS = _ninja_views()


@csrf_exempt
def delivery_create(request: HttpRequest, code: str) -> HttpResponse:
    """One URL for every feed (one name for the scoping walk), one operation per feed (one row model each)."""
    view = _VIEWS.get(f"delivery_create_{code}")
    if view is not None:
        return view(request)
    try:
        TokenAuth()(request)
    except ApiError as exc:
        return _api_error(request, exc)
    return problem_response(404, f"没有数据类型「{_shown(code)}」,可用的类型见 GET /api/v1/feeds")


feed_list_view = _VIEWS["feed_list"]
delivery_get_view = _VIEWS["delivery_get"]

# Every operation asks the token's account for FEEDS_UPLOAD (TokenAuth); the views carry it as
# capability_required marks the web pages, so the capability walk reads each URL's requirement off its view.
for _view in (delivery_create, feed_list_view, delivery_get_view):
    _view.capability = Capability.FEEDS_UPLOAD  # type: ignore[union-attr]  # read by the capability walk


# The OpenAPI documents of the other APIs under /api/ that share this token and error format (the monitoring
# case API registers its own in MonitoringConfig.ready(): feeds may not import it, docs/architecture.md).
EXTRA_DOCUMENTS: list[Callable[[], dict[str, Any]]] = []


def openapi_document() -> dict[str, Any]:
    doc = api.get_openapi_schema(path_prefix=PREFIX)
    for extra in EXTRA_DOCUMENTS:
        more = extra()
        doc["paths"].update(more["paths"])
        doc["components"].setdefault("schemas", {}).update(more["components"].get("schemas", {}))
        doc.setdefault("tags", []).extend(t for t in more.get("tags", []) if t not in doc.get("tags", []))
    return doc


def openapi_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


# ---- every answer under /api/ is JSON ----------------------------------------------------------------------


class ApiJsonErrors:
    """Under /api/, turn an error page that is not JSON (Django's 404 for an unknown path, ninja's 405, the
    friendly 500 page) into the API's JSON error, keeping the status and its headers (Allow …)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        message = STATUS_MESSAGES.get(status) or STATUS_MESSAGES[400 if status < 500 else 500]
        if status == 405 and response.has_header("Allow"):
            message = f"该地址只接受 {response['Allow']} 请求"
        out = problem_response(status, message)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if response.has_header(header):
                out[header] = response[header]
        return out


# ---- the documentation page --------------------------------------------------------------------------------

CURL_EXAMPLE = """curl -X POST \\
  -H "Authorization: Bearer <令牌>" \\
  -H "Content-Type: application/json" \\
  --data @batch.json \\
  https://<平台地址>/api/v1/feeds/medical/deliveries"""

EXAMPLE_ROW = {
    "结算单号": "JS2026100001",
    "姓名": "示例患者",
    "证件号码": "110101190001011009",
    "就诊类别": "住院",
    "结算日期": "2026-10-08",
    "医疗总费用": 12000,
    "统筹基金支付": 7000,
    "大病保险支付": 1000,
    "医疗救助支付": "500.00",
    "补充保险支付": 0,
    "个人负担": "3500.00",
}


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _allowed(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf", [schema])
    enums = [v for o in options for v in o.get("enum", [])]
    return "、".join(enums) if enums else "—"


def api_docs(request: HttpRequest) -> HttpResponse:
    doc = openapi_document()
    operations = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            rows = None
            fields = None
            if body and "rows" not in _resolve(doc, body).get("properties", {}):
                # Another API's body (the monitoring case API's moves): its fields, one line each.
                shape = _resolve(doc, body)
                fields = [
                    {
                        "key": key,
                        "required": key in shape.get("required", []),
                        "description": prop.get("description", ""),
                    }
                    for key, prop in shape.get("properties", {}).items()
                ]
            elif body:
                row = _resolve(doc, _resolve(doc, body)["properties"]["rows"]["items"])
                rows = {
                    "title": row.get("title", ""),
                    "description": row.get("description", ""),
                    "columns": [
                        {
                            "key": key,
                            "required": key in row.get("required", []),
                            "allowed": _allowed(prop),
                            "description": prop.get("description", ""),
                        }
                        for key, prop in row["properties"].items()
                    ],
                }
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "op": op,
                    "responses": sorted(op["responses"].items()),
                    "rows": rows,
                    "fields": fields,
                }
            )
    batch = {"period": "2026-10", "rows": [EXAMPLE_ROW]}
    return render(
        request,
        "feeds/api_docs.html",
        {
            "doc": doc,
            "operations": operations,
            "curl": CURL_EXAMPLE,
            "example": json.dumps(batch, ensure_ascii=False, indent=2),
            "max_rows": s.MAX_ROWS,
            "max_errors": s.MAX_ERRORS_LISTED,
        },
    )
