"""The permission map: what each role may do, in one place.

Code never asks which role an account holds; it asks whether the account has a capability:
`user_can(user, Capability.FEEDS_UPLOAD)` (or `user.can(...)`), `@capability_required(...)` on a view,
`{% if can.feeds_upload %}` in a template (the `can` context processor). An account's capabilities are the
union of its roles' rows in ROLE_CAPABILITIES, plus PII_VIEW when its own `can_view_pii` flag is set.

Two kinds of decision stay outside the map, on purpose:
- Which records: region scoping (`dixian.common.access`) and, for 帮扶干部, the assigned households. A
  capability says what an account may do; its region says where.
- 查看完整个人信息 (PII_VIEW) is granted per account, never per role: two village officers may differ, and
  the grant is made (and audited) on the account pages. No role lists it; `user_can` reads the flag.

The Django admin site (accounts, regions, dictionaries) is for the superuser only (`admin_site.py`), not
governed by this map; administrators manage accounts in the app (ACCOUNTS_MANAGE, docs/security.md §6).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse

from .models import Role

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase


class Capability(models.TextChoices):
    REGISTRY_VIEW = "registry_view", "查看辖区内的农户信息"
    REGISTRY_VIEW_ASSIGNED = "registry_view_assigned", "查看结对帮扶的农户"
    REGISTRY_EDIT = "registry_edit", "修改和导入农户信息"
    ALERTS_VIEW = "alerts_view", "查看预警线索"
    ALERTS_HANDLE = "alerts_handle", "核实和办结预警线索"
    UNMATCHED_VIEW = "unmatched_view", "查看应纳未纳线索"
    UNMATCHED_HANDLE = "unmatched_handle", "核查应纳未纳线索"
    VISITS_VIEW = "visits_view", "查看走访记录"
    VISITS_RECORD = "visits_record", "记录走访"
    DECLARATIONS_HANDLE = "declarations_handle", "受理自主申报"
    FEEDS_UPLOAD = "feeds_upload", "报送部门数据(网页和接口)"
    # Without it a delivering account sends only the feeds listed on the account (docs/security.md §3).
    FEEDS_ANY = "feeds_any", "报送任何类型的部门数据(不限于账号负责的数据项)"
    LINKS_REVIEW = "links_review", "复核概率匹配"
    RUNS_VIEW = "runs_view", "查看筛查运行"
    RUNS_START = "runs_start", "发起筛查"
    RULES_EDIT = "rules_edit", "修改筛查规则"
    RULES_EDIT_COUNTIES = "rules_edit_counties", "为全市和各县设定筛查规则"
    PII_VIEW = "pii_view", "查看完整个人信息"
    ACCOUNTS_MANAGE = "accounts_manage", "管理本辖区的账号"
    ACCESS_LOG_VIEW = "access_log_view", "查阅个人信息访问记录"
    # The city's region tree from the statistical division code table (docs/domain.md §19).
    REGIONS_MANAGE = "regions_manage", "导入统计用区划代码表(维护全市区划)"
    # The monitoring lifecycle (docs/domain.md §20): each step is done by the level that owns it.
    CASES_VIEW = "cases_view", "查看监测帮扶档案"
    CASES_VILLAGE = "cases_village", "办理村级环节(入户核实、民主评议、村内公示)"
    CASES_TOWNSHIP = "cases_township", "办理乡镇环节(乡镇初审、公告)"
    CASES_CROSS_CHECK = "cases_cross_check", "办理县级信息比对"
    CASES_COUNTY = "cases_county", "县级审定(纳入监测、风险消除)"
    MEASURES_EDIT = "measures_edit", "制定和落实帮扶措施"
    # The identification time limit of a region and its subtree (DeadlinePolicy, docs/domain.md §5, §20).
    DEADLINES_EDIT = "deadlines_edit", "设定本辖区的识别认定时限"
    # Pairing a household with its 帮扶联系人 decides who sees the household: the village and the township
    # do it, never the helper itself (docs/domain.md §20).
    HELPERS_ASSIGN = "helpers_assign", "安排和结束结对帮扶(帮扶联系人)"
    # Front-line accounts call a household from its case: the number is shown on an explicit, audited
    # request, even to an account that sees masked numbers elsewhere (docs/security.md §5).
    PHONE_REVEAL = "phone_reveal", "查看并拨打农户电话(留痕)"
    # The dashboard, the map and the monthly bulletin of the account's subtree (docs/domain.md §21).
    REPORTS_VIEW = "reports_view", "查看统计指标、监测一张图和月度通报"
    # 衔接资金, the project bank and project assets (docs/domain.md §22): each step by the office that owns it.
    FUNDS_VIEW = "funds_view", "查看衔接资金、项目和资产"
    FUNDS_EDIT = "funds_edit", "录入和导入资金下达、资金安排和资金支付"
    PROJECTS_PROPOSE = "projects_propose", "申报村级项目(项目库)"
    PROJECTS_REVIEW = "projects_review", "乡镇审核项目"
    PROJECTS_DECIDE = "projects_decide", "县级审定项目、纳入年度实施计划"
    PROJECTS_EDIT = "projects_edit", "维护项目实施(开工、完工、验收、以工代赈、联农带农)"
    ASSETS_EDIT = "assets_edit", "登记项目资产、管护台账和收益分配"
    ASSETS_DISPOSE_APPROVE = "assets_dispose_approve", "审批项目资产处置"
    # The negative list and the year's industry share and publicity period are the city's (docs/domain.md §22).
    FUNDS_RULES_EDIT = "funds_rules_edit", "维护资金负面清单和年度资金管理要求"
    # Employment monitoring (docs/domain.md §23): the village records its monthly survey; townships and counties
    # also import workbooks, follow up key groups and keep 公益性岗位; the city sets the base year.
    EMPLOYMENT_VIEW = "employment_view", "查看就业监测(劳动力名册、摸排、重点群体、公益性岗位、统计)"
    EMPLOYMENT_SURVEY = "employment_survey", "录入和导入就业信息摸排"
    EMPLOYMENT_FOLLOW_UP = "employment_follow_up", "记录重点群体跟踪帮扶"
    POSTS_EDIT = "posts_edit", "管理公益性岗位、聘用和补贴发放"
    EMPLOYMENT_SETTINGS = "employment_settings", "设定就业监测比较基准年和劳动年龄"
    # Relocation follow-up (docs/domain.md §24): sites, their households, problems and special funds.
    RELOCATION_VIEW = "relocation_view", "查看易地搬迁安置点及后续扶持"
    RELOCATION_EDIT = "relocation_edit", "维护安置点、搬迁户和安置点问题整改"
    # The work ledgers (docs/domain.md §25–§29). Rectification: the county and the city register findings and
    # split them into tasks; the owning unit does a task; the accounts named on a finding review it jointly.
    RECTIFICATION_VIEW = "rectification_view", "查看问题整改台账"
    RECTIFICATION_EDIT = "rectification_edit", "登记和导入问题、分解整改任务、指定联审人、举一反三排查"
    RECTIFICATION_TASK = "rectification_task", "办理整改任务(上传佐证材料、完成任务)"
    SUPERVISION_VIEW = "supervision_view", "查看组织保障与督导台账"
    SUPERVISION_EDIT = "supervision_edit", "维护挂点领导、帮扶单位、驻村干部、专家库和督导调研"
    ENVIRONMENT_VIEW = "environment_view", "查看人居环境台账、周调度和月通报"
    ENVIRONMENT_REPORT = "environment_report", "填报人居环境周报和村庄整治进度"
    GOVERNANCE_VIEW = "governance_view", "查看乡村治理台账"
    GOVERNANCE_EDIT = "governance_edit", "记录四议两公开、积分制和村规民约"
    DISPATCH_VIEW = "dispatch_view", "查看本周工作调度和周汇总"


C = Capability

# Staff who keep the registry of their subtree: they read and change it, work its alerts, 应纳未纳 and
# declarations, and record visits for any household in it.
_REGISTRY_STAFF = frozenset(
    {
        C.REGISTRY_VIEW,
        C.REGISTRY_EDIT,
        C.ALERTS_VIEW,
        C.ALERTS_HANDLE,
        C.UNMATCHED_VIEW,
        C.UNMATCHED_HANDLE,
        C.VISITS_VIEW,
        C.VISITS_RECORD,
        C.DECLARATIONS_HANDLE,
    }
)

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.CITY_ADMIN: _REGISTRY_STAFF
    | {
        C.FEEDS_UPLOAD,
        C.FEEDS_ANY,
        C.LINKS_REVIEW,
        C.RUNS_VIEW,
        C.RUNS_START,
        C.RULES_EDIT,
        C.RULES_EDIT_COUNTIES,
        C.ACCOUNTS_MANAGE,
        C.ACCESS_LOG_VIEW,
        C.REGIONS_MANAGE,
        C.CASES_VIEW,
        C.DEADLINES_EDIT,
        C.REPORTS_VIEW,
        C.FUNDS_VIEW,
        C.FUNDS_RULES_EDIT,
        C.EMPLOYMENT_VIEW,
        C.EMPLOYMENT_SETTINGS,
        C.RELOCATION_VIEW,
        C.RECTIFICATION_VIEW,
        C.SUPERVISION_VIEW,
        C.ENVIRONMENT_VIEW,
        C.GOVERNANCE_VIEW,
        C.DISPATCH_VIEW,
        C.RECTIFICATION_EDIT,
        C.SUPERVISION_EDIT,
    },
    Role.COUNTY_ADMIN: _REGISTRY_STAFF
    | {
        C.FEEDS_UPLOAD,
        C.FEEDS_ANY,
        C.LINKS_REVIEW,
        C.RUNS_VIEW,
        C.RUNS_START,
        C.RULES_EDIT,
        C.ACCOUNTS_MANAGE,
        C.ACCESS_LOG_VIEW,
        C.CASES_VIEW,
        C.CASES_COUNTY,
        C.DEADLINES_EDIT,
        C.REPORTS_VIEW,
        C.FUNDS_VIEW,
        C.PROJECTS_DECIDE,
        C.ASSETS_DISPOSE_APPROVE,
        C.EMPLOYMENT_VIEW,
        C.EMPLOYMENT_SURVEY,
        C.EMPLOYMENT_FOLLOW_UP,
        C.POSTS_EDIT,
        C.RELOCATION_VIEW,
        C.RELOCATION_EDIT,
        C.RECTIFICATION_VIEW,
        C.SUPERVISION_VIEW,
        C.ENVIRONMENT_VIEW,
        C.GOVERNANCE_VIEW,
        C.DISPATCH_VIEW,
        C.RECTIFICATION_EDIT,
        C.RECTIFICATION_TASK,
        C.SUPERVISION_EDIT,
        C.ENVIRONMENT_REPORT,
    },
    Role.COUNTY_REVIEWER: _REGISTRY_STAFF
    | {
        C.LINKS_REVIEW,
        C.RUNS_VIEW,
        C.CASES_VIEW,
        C.CASES_CROSS_CHECK,
        C.REPORTS_VIEW,
        C.FUNDS_VIEW,
        C.EMPLOYMENT_VIEW,
        C.RELOCATION_VIEW,
        C.RECTIFICATION_VIEW,
        C.SUPERVISION_VIEW,
        C.ENVIRONMENT_VIEW,
        C.GOVERNANCE_VIEW,
        C.DISPATCH_VIEW,
        C.RECTIFICATION_TASK,
    },
    Role.TOWNSHIP_REVIEWER: _REGISTRY_STAFF
    | {
        C.RUNS_VIEW,
        C.CASES_VIEW,
        C.CASES_TOWNSHIP,
        C.MEASURES_EDIT,
        C.HELPERS_ASSIGN,
        C.REPORTS_VIEW,
        C.FUNDS_VIEW,
        C.PROJECTS_REVIEW,
        C.EMPLOYMENT_VIEW,
        C.EMPLOYMENT_SURVEY,
        C.EMPLOYMENT_FOLLOW_UP,
        C.POSTS_EDIT,
        C.RELOCATION_VIEW,
        C.RELOCATION_EDIT,
        C.RECTIFICATION_VIEW,
        C.SUPERVISION_VIEW,
        C.ENVIRONMENT_VIEW,
        C.GOVERNANCE_VIEW,
        C.DISPATCH_VIEW,
        C.RECTIFICATION_TASK,
        C.ENVIRONMENT_REPORT,
        C.GOVERNANCE_EDIT,
    },
    Role.VILLAGE_OFFICER: _REGISTRY_STAFF
    | {
        C.CASES_VIEW,
        C.CASES_VILLAGE,
        C.MEASURES_EDIT,
        C.HELPERS_ASSIGN,
        C.PHONE_REVEAL,
        C.REPORTS_VIEW,
        C.FUNDS_VIEW,
        C.PROJECTS_PROPOSE,
        C.EMPLOYMENT_VIEW,
        C.EMPLOYMENT_SURVEY,
        C.EMPLOYMENT_FOLLOW_UP,
        C.RELOCATION_VIEW,
        C.RECTIFICATION_VIEW,
        C.SUPERVISION_VIEW,
        C.ENVIRONMENT_VIEW,
        C.GOVERNANCE_VIEW,
        C.DISPATCH_VIEW,
        C.RECTIFICATION_TASK,
        C.GOVERNANCE_EDIT,
    },
    # A helper works only on the households assigned to it (registry.selectors.household_scope_for_user).
    Role.HELPER: frozenset(
        {
            C.REGISTRY_VIEW_ASSIGNED,
            C.ALERTS_VIEW,
            C.VISITS_VIEW,
            C.VISITS_RECORD,
            C.CASES_VIEW,
            C.MEASURES_EDIT,
            C.PHONE_REVEAL,
        }
    ),
    Role.DEPARTMENT_UPLOADER: frozenset({C.FEEDS_UPLOAD}),
    # 领导 reads everything of its subtree and changes nothing.
    Role.LEADER: frozenset(
        {
            C.REGISTRY_VIEW,
            C.ALERTS_VIEW,
            C.UNMATCHED_VIEW,
            C.VISITS_VIEW,
            C.CASES_VIEW,
            C.REPORTS_VIEW,
            C.FUNDS_VIEW,
            C.EMPLOYMENT_VIEW,
            C.RELOCATION_VIEW,
            C.RECTIFICATION_VIEW,
            C.SUPERVISION_VIEW,
            C.ENVIRONMENT_VIEW,
            C.GOVERNANCE_VIEW,
            C.DISPATCH_VIEW,
        }
    ),
    # The finance office issues, arranges and pays; it reads projects and assets but sees no household page.
    Role.FINANCE_OFFICER: frozenset({C.FUNDS_VIEW, C.FUNDS_EDIT}),
    # A sector office runs the projects of its region once planned: progress, 以工代赈, assets, 联农带农.
    Role.SECTOR_OFFICER: frozenset({C.FUNDS_VIEW, C.PROJECTS_EDIT, C.ASSETS_EDIT}),
}


# Which roles an administrator may give (docs/security.md §6): nobody grants a role above its own, and only
# the city's administrators make another city administrator. Where (the account's region) is decided apart:
# always inside the administrator's own subtree.
ROLE_GRANTS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(Role.values),
    Role.COUNTY_ADMIN: frozenset(Role.values) - {Role.CITY_ADMIN},
}

# Roles whose accounts send department data: only these carry a list of feeds (`User.feeds`).
ROLES_WITH_FEEDS: frozenset[str] = frozenset({Role.DEPARTMENT_UPLOADER})


def grantable_roles(user: Any) -> frozenset[str]:
    """The roles `user` may give to the accounts it manages (none without ACCOUNTS_MANAGE)."""
    if not user_can(user, C.ACCOUNTS_MANAGE):
        return frozenset()
    found: set[str] = set()
    for role in user.roles or ():
        found |= ROLE_GRANTS.get(role, frozenset())
    return frozenset(found)


def role_has_feeds(roles: Any) -> bool:
    return any(role in ROLES_WITH_FEEDS for role in roles or ())


def capabilities_of(user: Any) -> frozenset[Capability]:
    """Everything the account may do (empty for the anonymous visitor and a deactivated account)."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return frozenset()
    found: set[Capability] = set()
    for role in user.roles or ():
        found |= ROLE_CAPABILITIES.get(role, frozenset())
    if user.can_view_pii:
        found.add(C.PII_VIEW)
    return frozenset(found)


def user_can(user: Any, capability: Capability) -> bool:
    return capability in capabilities_of(user)


def reader_account(region: Any, username: str = "command_reader") -> Any:
    """An account never saved that reads everything of `region`'s subtree and changes nothing (领导's rights):
    what a command-line report runs as when no account is named (`dixian dispatch_summary`)."""
    from .models import User

    return User(username=username, region=region, roles=[Role.LEADER], is_active=True)


def holding_any[U](users: Iterable[U], *capabilities: Capability) -> list[U]:
    """The accounts of `users` that hold at least one of `capabilities` (asked of the map, by capability,
    so that a caller choosing, say, who may be a household's 帮扶联系人 never names a role)."""
    wanted = frozenset(capabilities)
    return [u for u in users if capabilities_of(u) & wanted]


# --- views ------------------------------------------------------------------------------------------

View = Callable[..., "HttpResponseBase"]


def capability_required(capability: Capability) -> Callable[[View], View]:
    """The view answers the login page to the anonymous visitor and 403 to an account without `capability`.

    The capability is kept on the view (`view.capability`) so the capability test reads each URL's
    requirement off the view itself.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            require(request.user, capability)
            return view(request, *args, **kwargs)

        wrapper.capability = capability  # type: ignore[attr-defined]  # read by the capability test
        return wrapper

    return decorator


def require(user: Any, capability: Capability) -> None:
    """403 unless the account has `capability` (for a check inside a view or service)."""
    if not user_can(user, capability):
        raise PermissionDenied(f"您的账号没有“{capability.label}”的权限。")


# --- templates --------------------------------------------------------------------------------------


class CapabilitySet:
    """`{% if can.feeds_upload %}`: the account's capabilities by name.

    A template reads a misspelt name as false; `accounts/tests/test_no_role_literals.py` checks that every
    `can.<name>` in the templates names a capability.
    """

    def __init__(self, user: Any) -> None:
        self._user = user
        self._held: frozenset[Capability] | None = None

    def __getitem__(self, name: str) -> bool:
        try:
            capability = Capability(name)
        except ValueError:
            raise KeyError(name) from None
        if self._held is None:
            self._held = capabilities_of(self._user)
        return capability in self._held


def capabilities(request: HttpRequest) -> dict[str, CapabilitySet]:
    """Template context processor (settings.TEMPLATES): `can`."""
    return {"can": CapabilitySet(getattr(request, "user", None))}


# --- where each account starts ------------------------------------------------------------------------

# The first capability in this list that an account holds decides the page it lands on after login and at
# "/": every account starts where its work is (docs/domain.md §21). Whoever does a village's own steps starts
# from the village's queue of clues (预警线索, with their deadlines); a township or county reviewer from the
# queue of cases waiting for its step (乡镇初审, 信息比对). Who oversees a subtree (administrators, 领导)
# starts from its dashboard (统计分析), where every figure leads to the list behind it; an account that reads
# the registry without the figures from its household list; a 帮扶干部 from the households it is paired with;
# a department account from its deliveries (it sees no household).
LANDING: tuple[tuple[Capability, str], ...] = (
    (C.CASES_VILLAGE, "cases:alert_queue"),
    (C.CASES_TOWNSHIP, "monitoring:case_queue"),
    (C.CASES_CROSS_CHECK, "monitoring:case_queue"),
    (C.REPORTS_VIEW, "reports:dashboard"),
    (C.REGISTRY_VIEW, "registry:household_list"),
    (C.REGISTRY_VIEW_ASSIGNED, "registry:household_list"),
    # The finance and sector offices (docs/domain.md §22): their region's money and projects.
    (C.FUNDS_VIEW, "funds:report"),
    (C.FEEDS_UPLOAD, "feeds:delivery_list"),
    (C.VISITS_RECORD, "visits:list"),
)
LANDING_DEFAULT = "registry:household_list"


def landing_url(user: Any) -> str:
    held = capabilities_of(user)
    for capability, name in LANDING:
        if capability in held:
            return reverse(name)
    return reverse(LANDING_DEFAULT)
