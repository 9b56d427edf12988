"""The monitoring case API (监测帮扶档案接口, docs/domain.md §20): read a case and move it one legal step,
with the same token as the push API (dixian.feeds.api) and the same rules as the case pages.

A second NinjaAPI next to the push API's (feeds may not import monitoring: docs/architecture.md), with the
push API's token, renderer, parser and JSON problem format. Every operation asks, in this order: a live
token (401), an account that may see cases (CASES_VIEW, 403), a case inside the account's scope
(selectors.case_scope_for_user; anything else 404, before the body is read), then the body (400 not JSON,
422 a field of the wrong shape). The moves go through monitoring.services with the token's account as the
actor: a move the lifecycle refuses is 422 with the service's Chinese reason, a step the account may not
do 403 with its reason, a request drawn from the case before its last step (a double submission) 409.
Attachments (the signed authorisation of the home check, notices) are uploaded on the case page only.
"""

# No `from __future__ import annotations` here: ninja reads the views' annotations as types.

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils import timezone
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict, StringConstraints

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import may_view_pii
from dixian.common.masking import text_shown
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import MONITORING_CATEGORY
from dixian.feeds import api_schemas as fs
from dixian.feeds.api import (
    STATUS_MESSAGES,
    ApiError,
    ApiRenderer,
    BodyParser,
    error_handlers_register,
    problem_response,
)
from dixian.feeds.models import ApiToken
from dixian.feeds.selectors import token_authenticate
from dixian.feeds.services import api_token_touch

from . import services
from .models import CaseTransition, MonitoringCase
from .rows import deadline_of, risk_names
from .selectors import case_scope_for_user, transitions_of

logger = logging.getLogger("dixian.api")

NOT_FOUND = "档案不存在或不在您的管辖范围内"
NO_CASES = "该令牌所属账号不能查看监测帮扶档案"
UNEXPECTED_MOVE = "服务器处理时出现意外错误,已记录日志,档案没有变化。请稍后重试或联系平台管理员。"


def _case_in_scope(request: HttpRequest, user: Any) -> MonitoringCase:
    match = request.resolver_match
    raw = str(match.kwargs.get("pk", "")) if match else ""
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise ApiError(404, NOT_FOUND)
    case = case_scope_for_user(user).select_related("household", "region").filter(pk=int(raw)).first()
    if case is None:
        raise ApiError(404, NOT_FOUND)
    return case


class CaseTokenAuth(HttpBearer):
    """An API token of an account that may see cases; the case named in the path must be in its scope."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, STATUS_MESSAGES[401])
        token = self.authenticate(request, key.strip())
        if token is None:
            raise ApiError(401, "接口令牌无效或已停用,请在平台的“接口令牌”页面重新创建")
        if not user_can(token.user, Capability.CASES_VIEW):
            raise ApiError(403, NO_CASES)
        api_token_touch(token)
        # Scope before the body: a case out of scope is 404 whatever is sent (docs/security.md §4).
        case = _case_in_scope(request, token.user)
        request.monitoring_case = case  # type: ignore[attr-defined]  # read by the operations below
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(token)


RESPONSE_DESCRIPTIONS = {
    "200": "成功:返回档案的当前状态与全部办理记录",
    "400": "请求体不是合法的 JSON 对象",
    "401": "缺少令牌、令牌错误或已停用",
    "403": "令牌所属账号不能查看监测帮扶档案,或不能办理档案当前的环节(message 说明由谁办理)",
    "404": "档案不存在或不在本账号的管辖范围内",
    "409": "档案已经办理过这一步(重复提交或他人已处理):请重新读取档案,按新的 seq 办理",
    "422": "请求的字段不对,或这一步不合规定(message 为中文原因,如公示未满 5 个整天、缺少理由)",
    "500": "服务器意外出错(已记录日志),档案没有变化",
}


class CasesApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        doc = super().get_openapi_schema(**kwargs)
        for item in doc["paths"].values():
            for op in item.values():
                for status, answer in op["responses"].items():
                    answer["description"] = RESPONSE_DESCRIPTIONS.get(str(status), answer["description"])
                if not op.get("parameters"):
                    op.pop("parameters", None)
        return doc


api = CasesApi(
    title="底线 · 监测帮扶档案接口",
    version="1.0.0",
    urls_namespace="cases_api",
    docs_url=None,
    openapi_url=None,
    auth=CaseTokenAuth(),
    renderer=ApiRenderer(),
    parser=BodyParser(),
)


# ---- errors as JSON (the push API's format: message, errors, error_count) ----------------------------------


error_handlers_register(api)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(413, "请求体过大")


FIELD_LABELS = {
    "seq": "seq(档案的办理次数,读取档案时得到)",
    "on": "on(办理日期,YYYY-MM-DD)",
    "reason": "reason(理由或意见)",
    "data": "data(入户核实的办理内容,对象)",
    "data.category": "data.category(监测对象类别代码)",
    "data.risk_codes": "data.risk_codes(风险类型代码的列表)",
    "data.checklist": "data.checklist(核实清单,对象)",
    "method": "method(风险消除方式)",
    "to_state": "to_state(退回到的环节代码)",
}


def _field_message(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(x) for x in error.get("loc", []) if x not in ("body", "payload")]
    where = ".".join(loc)[:100]
    label = FIELD_LABELS.get(where, where)
    kind = error.get("type", "")
    if not loc:
        message = "请求体应是一个 JSON 对象"
    elif kind == "missing":
        message = f"缺少 {label}"
    elif kind == "extra_forbidden":
        message = f"不认识的字段:{where[:60]}"
    else:
        message = f"{label} 的值不对"
    return {"row": None, "column": where, "message": message}


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [_field_message(e) for e in exc.errors]
    if any(e.get("loc", [None])[0] == "path" for e in exc.errors):
        return problem_response(404, NOT_FOUND)
    return problem_response(422, "请求的字段不对:" + errors[0]["message"], errors=errors)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return problem_response(500, UNEXPECTED_MOVE)


# ---- the case as the API shows it ---------------------------------------------------------------------------


class TransitionOut(Schema):
    model_config = ConfigDict(title="办理记录")

    seq: int = Field(description="序号(第几次办理)")
    action: str = Field(description="动作代码:open 发起、advance 办理、send_back 退回、refuse 不予纳入等")
    action_label: str = Field(description="动作(中文)")
    from_state: str = Field(description="原环节代码(发起时为空)")
    from_label: str = Field(description="原环节(中文)")
    to_state: str = Field(description="新环节代码")
    to_label: str = Field(description="新环节(中文)")
    on: dt.date = Field(description="办理日期")
    at: dt.datetime = Field(description="录入时间")
    actor: str = Field(description="办理人姓名")
    reason: str = Field(description="理由或意见(无权查看完整个人信息的账号,其中的证件号、手机号已脱敏)")


class CaseOut(Schema):
    model_config = ConfigDict(title="监测帮扶档案")

    id: int = Field(description="档案编号")
    household_no: str = Field(description="户编号")
    village_code: str = Field(description="所在村的区划代码")
    village_name: str = Field(description="所在村")
    episode: int = Field(description="该户第几次监测")
    category: str = Field(description="监测对象类别代码(入户核实前为空)")
    category_label: str = Field(description="监测对象类别")
    risk_codes: list[str] = Field(description="风险类型代码")
    risk_names: list[str] = Field(description="风险类型")
    state: str = Field(description="办理环节代码")
    state_label: str = Field(description="办理环节")
    owner: str = Field(description="当前环节由谁办理")
    is_open: bool = Field(description="是否在办(未办结)")
    seq: int = Field(description="办理次数:办理、退回、不予纳入时原样传回,防止重复提交")
    due_on: dt.date = Field(description="认定期限")
    deadline_colour: str = Field(description="期限颜色:green 正常、orange 临期、red 超期(认定后为 green)")
    deadline_text: str = Field(description="期限说明,如“剩 3 天”“已超期 2 天”")
    identified_on: dt.date | None = Field(description="识别纳入日期")
    eliminated_on: dt.date | None = Field(description="风险消除日期")
    send_back_to: list[str] = Field(description="当前环节可以退回到的环节代码")
    may_refuse: bool = Field(description="当前环节能否作不予纳入处理")
    transitions: list[TransitionOut] = Field(description="办理记录,按序号")


class CaseEnvelope(Schema):
    case: CaseOut


def _label(state: str) -> str:
    return lc.STEPS[state].label if state in lc.STEPS else ""


def case_out(case: MonitoringCase, *, pii: bool, today: dt.date | None = None) -> dict[str, Any]:
    """The case for the API: no ID number, no phone; free text masked without the PII right."""
    deadline = deadline_of(case, today or timezone.localdate())
    transitions: list[CaseTransition] = transitions_of([case])[case.pk]
    return {
        "id": case.pk,
        "household_no": case.household.household_no,
        "village_code": case.region.code,
        "village_name": case.region.name,
        "episode": case.episode,
        "category": case.category,
        "category_label": MONITORING_CATEGORY.get(case.category, "") if case.category else "",
        "risk_codes": list(case.risk_codes or []),
        "risk_names": risk_names(case.risk_codes),
        "state": case.state,
        "state_label": case.step.label,
        "owner": lc.OWNERS.get(case.step.owner, "") if case.is_open else "",
        "is_open": case.is_open,
        "seq": case.seq,
        "due_on": case.due_on,
        "deadline_colour": deadline.colour,
        "deadline_text": deadline.text,
        "identified_on": case.identified_on,
        "eliminated_on": case.eliminated_on,
        "send_back_to": list(lc.earlier_states(case.state)) if case.is_open else [],
        "may_refuse": case.is_open and lc.can_refuse(case.state),
        "transitions": [
            {
                "seq": t.seq,
                "action": t.action,
                "action_label": t.get_action_display(),
                "from_state": t.from_state,
                "from_label": _label(t.from_state),
                "to_state": t.to_state,
                "to_label": _label(t.to_state),
                "on": t.on,
                "at": t.at,
                "actor": t.actor_name,
                "reason": text_shown(t.reason, pii=pii),
            }
            for t in transitions
        ],
    }


# ---- requests -----------------------------------------------------------------------------------------------


class _In(Schema):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, le=2**31 - 1, description="读取档案时得到的 seq(办理次数)")


ChecklistValue = Annotated[str, StringConstraints(max_length=500)] | int | bool | None


class HomeCheckIn(Schema):
    model_config = ConfigDict(title="入户核实的办理内容", extra="forbid")

    category: str = Field("", max_length=20, description="监测对象类别代码(如 edge 边缘易致贫户)")
    risk_codes: list[Annotated[str, StringConstraints(max_length=4)]] = Field(
        default_factory=list, max_length=20, description=f"风险类型代码,1 到 {lc.MAX_RISKS} 项(如 01 因病)"
    )
    checklist: dict[Annotated[str, StringConstraints(max_length=50)], ChecklistValue] = Field(
        default_factory=dict, max_length=50, description="核实清单(选填):键为项目,值为文字、数字或是否"
    )


class AdvanceIn(_In):
    model_config = ConfigDict(title="办理当前环节", extra="forbid")

    on: dt.date | None = Field(None, description="办理日期(默认今天;不能晚于今天,不能早于上一步)")
    reason: str = Field("", max_length=2000, description="意见(选填)")
    data: HomeCheckIn | None = Field(None, description="入户核实的办理内容(只在入户核实环节填写)")
    method: str = Field(
        "", max_length=10, description="提出风险消除时的消除方式:assisted 帮扶消除、natural 自然消除"
    )


class SendBackIn(_In):
    model_config = ConfigDict(title="退回", extra="forbid")

    to_state: str = Field(max_length=20, description="退回到的环节代码(见档案的 send_back_to)")
    reason: str = Field(max_length=2000, description="退回理由(必填)")


class RefuseIn(_In):
    model_config = ConfigDict(title="不予纳入", extra="forbid")

    reason: str = Field(max_length=2000, description="不予纳入的理由(必填)")


# ---- operations ---------------------------------------------------------------------------------------------

router = Router()
ERRORS = {400: fs.Problem, 401: fs.Problem, 403: fs.Problem, 404: fs.Problem, 500: fs.Problem}
MOVE_ERRORS = {**ERRORS, 409: fs.Problem, 422: fs.Problem}


def _answer(request: HttpRequest, case: MonitoringCase) -> dict[str, Any]:
    user = request.auth.user  # type: ignore[attr-defined]  # set by CaseTokenAuth
    return {"case": case_out(case, pii=may_view_pii(user))}


def _move(request: HttpRequest, move: Callable[..., MonitoringCase], **kwargs: Any) -> dict[str, Any]:
    user = request.auth.user  # type: ignore[attr-defined]  # set by CaseTokenAuth
    case = request.monitoring_case  # type: ignore[attr-defined]  # set by CaseTokenAuth, in scope
    try:
        moved = move(case=case, actor=user, **kwargs)
    except PermissionDenied as exc:
        raise ApiError(403, str(exc) or "您的账号不能办理这一步") from None
    except ValidationError as exc:
        status = 409 if getattr(exc, "code", None) == "stale" else 422
        raise ApiError(status, exc.messages[0]) from None
    fresh = MonitoringCase.objects.select_related("household", "region").get(pk=moved.pk)
    return _answer(request, fresh)


@router.get(
    "/v1/cases/{pk}",
    response={200: CaseEnvelope, **ERRORS},
    operation_id="case_get",
    summary="读取一份监测帮扶档案",
    description="档案的户编号、所在村、类别、风险类型、办理环节、认定期限与办理记录。不含证件号码和电话。"
    "只能读取本账号管辖范围内的档案,其他一律 404。",
    tags=["监测帮扶档案"],
    url_name="case_get",
)
def case_get(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _answer(request, request.monitoring_case)  # type: ignore[attr-defined]  # set by CaseTokenAuth


@router.post(
    "/v1/cases/{pk}/advance",
    response={200: CaseEnvelope, **MOVE_ERRORS},
    operation_id="case_advance",
    summary="办理档案的当前环节(进入下一环节)",
    description="与档案页面上的“办理”相同:由当前环节的办理层级办理,检查该环节的条件(公示满 5 个整天、"
    "审定前落实帮扶联系人、风险消除条件等)。入户核实须先在页面上传农户签字的承诺授权书:接口不接收附件。",
    tags=["监测帮扶档案"],
    url_name="case_advance",
)
def case_advance(request: HttpRequest, pk: int, payload: AdvanceIn) -> dict[str, Any]:
    case = request.monitoring_case  # type: ignore[attr-defined]  # set by CaseTokenAuth
    if payload.data is not None and case.state != lc.HOME_CHECK:
        raise ApiError(422, f"档案处于“{case.step.label}”,只有入户核实环节需要填写 data")
    return _move(
        request,
        services.case_advance,
        seq=payload.seq,
        on=payload.on,
        reason=payload.reason.strip(),
        data=payload.data.model_dump() if payload.data is not None else {},
        method=payload.method,
    )


@router.post(
    "/v1/cases/{pk}/send-back",
    response={200: CaseEnvelope, **MOVE_ERRORS},
    operation_id="case_send_back",
    summary="退回到前面的环节",
    description="必须写明理由;只能退回到 send_back_to 所列的环节。",
    tags=["监测帮扶档案"],
    url_name="case_send_back",
)
def case_send_back(request: HttpRequest, pk: int, payload: SendBackIn) -> dict[str, Any]:
    return _move(
        request, services.case_send_back, seq=payload.seq, to_state=payload.to_state, reason=payload.reason
    )


@router.post(
    "/v1/cases/{pk}/refuse",
    response={200: CaseEnvelope, **MOVE_ERRORS},
    operation_id="case_refuse",
    summary="不予纳入",
    description="认定过程中(审定纳入之前)的档案才能作不予纳入处理,必须写明理由;档案的预警线索随之排除。",
    tags=["监测帮扶档案"],
    url_name="case_refuse",
)
def case_refuse(request: HttpRequest, pk: int, payload: RefuseIn) -> dict[str, Any]:
    return _move(request, services.case_refuse, seq=payload.seq, reason=payload.reason)


api.add_router("", router)


# ---- URL patterns (monitoring/urls_api.py) -----------------------------------------------------------------

_VIEWS = {p.name: p.callback for p in api.urls[0] if isinstance(p, URLPattern) and p.name}
case_get_view = _VIEWS["case_get"]
case_advance_view = _VIEWS["case_advance"]
case_send_back_view = _VIEWS["case_send_back"]
case_refuse_view = _VIEWS["case_refuse"]

# Every operation asks the token's account for CASES_VIEW (CaseTokenAuth); the views carry it as
# capability_required marks the web pages, so the capability walk reads each URL's requirement off its view.
for _view in (case_get_view, case_advance_view, case_send_back_view, case_refuse_view):
    _view.capability = Capability.CASES_VIEW  # type: ignore[attr-defined]  # read by the capability walk


def openapi_document() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/")
