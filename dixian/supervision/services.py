"""Writes of the organisation-and-supervision ledger (docs/domain.md §26): leaders, units, stationed cadres,
experts, and the visits planned and recorded, whose findings enter the rectification ledger through
`dixian.rectification.services.finding_raise`.

Every service is keyword-only, takes `actor=`, needs SUPERVISION_EDIT, runs in one transaction, leaves a
change-log row (entity `supervision_*`) and raises `ValidationError` keyed by field with a Chinese message that
says what is wrong and what to do. A record or place outside the actor's subtree is "not found".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record, plain
from dixian.common.models import ChangeLog
from dixian.rectification.models import Finding
from dixian.rectification.services import finding_raise
from dixian.regions.models import Region
from dixian.relocation.services import phone_clean

from .models import AssistUnit, CountyLeader, Expert, StationedStaff, SupervisionVisit, VisitFinding

if TYPE_CHECKING:
    from dixian.accounts.models import User

NOT_FOUND = "该记录不存在或不在您的管辖范围内"
VISIT_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE)
EXPERT_LEVELS = (Region.Level.CITY, Region.Level.COUNTY)
# The four check dimensions of the assessments (docs/domain.md §12), a visit finding's category.
CATEGORIES = ("责任落实", "政策落实", "工作落实", "成效巩固")
DEFAULT_CATEGORY = "工作落实"
FINDINGS_MAX = 20
TITLE_MAX = 200
# A start more than this far ahead is a typo (a year typed wrong), not a plan.
START_AHEAD_MAX = dt.timedelta(days=366)
_LINE_SEPARATOR = re.compile(r"[:：]")
# A text this short before the first colon was meant as a category (a longer one is part of the problem).
CATEGORY_LIKE = 6


def _need(actor: User) -> None:
    if not user_can(actor, Capability.SUPERVISION_EDIT):
        raise PermissionDenied(f"您的账号没有“{Capability.SUPERVISION_EDIT.label}”的权限")


def _today() -> dt.date:
    return timezone.localdate()


def _log(actor: User, entity: str, pk: int, action: str, summary: str, changes: dict[str, Any]) -> None:
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity=f"supervision_{entity}",
        entity_id=pk,
        household_id=None,
        action=action,
        changes={k: [None, plain(v)] for k, v in changes.items()},
        summary=summary,
    )


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _period(errors: dict[str, list[str]], start: dt.date | None, end: dt.date | None) -> None:
    """from–to: a start, not after the end, not absurdly far ahead (docs/domain.md §26)."""
    if start is None:
        _add(errors, "start_on", "请填写起始日期")
        return
    if start > _today() + START_AHEAD_MAX:
        _add(errors, "start_on", "起始日期在一年以后,请核对年份")
    if end is not None and end < start:
        _add(errors, "end_on", f"结束日期({end:%Y-%m-%d})早于起始日期({start:%Y-%m-%d}),请核对")


def overlapping(qs: QuerySet[Any], start: dt.date, end: dt.date | None) -> QuerySet[Any]:
    """Rows of `qs` whose [start_on, end_on] (end open when null) meets [start, end]."""
    qs = qs.filter(Q(end_on__isnull=True) | Q(end_on__gte=start))
    return qs if end is None else qs.filter(start_on__lte=end)


def _text(data: Mapping[str, Any], name: str) -> str:
    return str(data.get(name) or "").strip()


def _place(
    errors: dict[str, list[str]], actor: User, field: str, region: Region | None, levels: tuple[str, ...]
) -> None:
    names = "、".join(Region.Level(level).label for level in levels)
    if region is None:
        _add(errors, field, "请选择地点")
    elif region.level not in levels:
        _add(errors, field, f"须选择{names},请重新选择")
    elif not code_in_scope(actor, region.code):
        _add(errors, field, "所选地点不在您的管辖范围内,请重新选择")


def _editable(actor: User, record: Any) -> None:
    if record is not None and not code_in_scope(actor, record.region_code):
        raise ValidationError(NOT_FOUND)


def _period_text(start: dt.date, end: dt.date | None) -> str:
    return f"{start:%Y-%m-%d}至{end:%Y-%m-%d}" if end else f"{start:%Y-%m-%d}起"


# ---- 挂点领导 -------------------------------------------------------------------------------------------


@transaction.atomic
def leader_save(*, actor: User, data: Mapping[str, Any], leader: CountyLeader | None = None) -> CountyLeader:
    _need(actor)
    _editable(actor, leader)
    errors: dict[str, list[str]] = {}
    name, post = _text(data, "name"), _text(data, "post")
    county: Region | None = data.get("county")
    start, end = data.get("start_on"), data.get("end_on")
    if not name:
        _add(errors, "name", "请填写姓名")
    if not post:
        _add(errors, "post", "请填写职务")
    _place(errors, actor, "county", county, (Region.Level.COUNTY,))
    _period(errors, start, end)
    if errors:
        raise ValidationError(errors)
    assert county is not None and start is not None  # noqa: S101 - checked above
    same = overlapping(CountyLeader.objects.filter(name=name, county=county), start, end)
    if leader is not None:
        same = same.exclude(pk=leader.pk)
    if same.exists():
        raise ValidationError(
            {"start_on": f"{name}在此期间已是{county.name}的挂点领导,请修改已有记录的起止日期,不要重复登记"}
        )
    values = {"name": name, "post": post, "county": county, "region_code": county.code}
    values |= {"start_on": start, "end_on": end, "note": _text(data, "note")}
    leader = _store(CountyLeader, leader, values)
    _log(actor, "chief", leader.pk, "save", f"挂点领导 {name} {county.name}", values)
    return leader


def _store[M: (CountyLeader, AssistUnit, StationedStaff, Expert)](
    model: type[M], record: M | None, values: dict[str, Any]
) -> M:
    if record is None:
        return model.objects.create(**values)
    for key, value in values.items():
        setattr(record, key, value)
    record.save()
    return record


# ---- 定点帮扶单位 ----------------------------------------------------------------------------------------


@transaction.atomic
def unit_save(*, actor: User, data: Mapping[str, Any], assignment: AssistUnit | None = None) -> AssistUnit:
    _need(actor)
    _editable(actor, assignment)
    errors: dict[str, list[str]] = {}
    unit = _text(data, "unit")
    village: Region | None = data.get("village")
    start, end = data.get("start_on"), data.get("end_on")
    if not unit:
        _add(errors, "unit", "请填写帮扶单位名称")
    _place(errors, actor, "village", village, (Region.Level.VILLAGE,))
    _period(errors, start, end)
    if errors:
        raise ValidationError(errors)
    assert village is not None and start is not None  # noqa: S101 - checked above
    same = overlapping(AssistUnit.objects.filter(unit=unit, village=village), start, end)
    if assignment is not None:
        same = same.exclude(pk=assignment.pk)
    if same.exists():
        raise ValidationError(
            {"start_on": f"{unit}在此期间已定点帮扶{village.name},请修改已有记录的起止日期,不要重复登记"}
        )
    values = {"unit": unit, "village": village, "region_code": village.code, "start_on": start, "end_on": end}
    assignment = _store(AssistUnit, assignment, values)
    _log(actor, "unit", assignment.pk, "save", f"定点帮扶 {unit} {village.name}", values)
    return assignment


# ---- 驻村第一书记和工作队员 --------------------------------------------------------------------------------


@transaction.atomic
def staff_save(
    *, actor: User, data: Mapping[str, Any], staff: StationedStaff | None = None
) -> StationedStaff:
    """A stationing: a person (name and phone) is stationed in one village at a time, and a village has one
    first secretary at a time (docs/domain.md §26)."""
    _need(actor)
    _editable(actor, staff)
    errors: dict[str, list[str]] = {}
    name, unit = _text(data, "name"), _text(data, "unit")
    role = _text(data, "role")
    village: Region | None = data.get("village")
    start, end = data.get("start_on"), data.get("end_on")
    phone = ""
    if not name:
        _add(errors, "name", "请填写姓名")
    if not unit:
        _add(errors, "unit", "请填写派出单位")
    if role not in StationedStaff.Duty.values:
        _add(errors, "role", "请从选项中选择身份")
    try:
        phone = phone_clean(_text(data, "phone"))
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(m for ms in exc.message_dict.values() for m in ms)
    else:
        if not phone:
            _add(errors, "phone", "请填写联系电话(同名人员以电话区分)")
    _place(errors, actor, "village", village, (Region.Level.VILLAGE,))
    _period(errors, start, end)
    if errors:
        raise ValidationError(errors)
    assert village is not None and start is not None  # noqa: S101 - checked above
    others = StationedStaff.objects.all() if staff is None else StationedStaff.objects.exclude(pk=staff.pk)
    clash = (
        overlapping(others.filter(name=name, phone=phone), start, end)
        .select_related("village")
        .order_by("start_on")
        .first()
    )
    if clash is not None:
        # The other village is named only when the actor may see it (docs/security.md: nothing of the rest).
        where = (
            clash.village.full_name or clash.village.name
            if code_in_scope(actor, clash.region_code)
            else "另一个村(不在您的管辖范围内)"
        )
        same_village = clash.region_code == village.code
        raise ValidationError(
            {
                "start_on": (
                    f"{name}在{_period_text(clash.start_on, clash.end_on)}已驻{where}"
                    + (",同一时期不能重复登记" if same_village else ",同一时期只能驻一个村")
                    + ";请先结束原驻村记录,或核对起止日期"
                )
            }
        )
    if role == StationedStaff.Duty.FIRST_SECRETARY:
        secretary = (
            overlapping(others.filter(village=village, role=role), start, end).order_by("start_on").first()
        )
        if secretary is not None:
            raise ValidationError(
                {
                    "role": f"{village.name}在{_period_text(secretary.start_on, secretary.end_on)}已有驻村第一书记"
                    f"{secretary.name},一个村同一时期只有一名第一书记;请先填写其驻村结束日期"
                }
            )
    values = {"name": name, "phone": phone, "unit": unit, "village": village, "region_code": village.code}
    values |= {"role": role, "start_on": start, "end_on": end}
    staff = _store(StationedStaff, staff, values)
    logged = {k: v for k, v in values.items() if k != "phone"}  # the log is read without the PII right
    _log(actor, "staff", staff.pk, "save", f"驻村干部 {name} {village.name}", logged)
    return staff


# ---- 专家库 --------------------------------------------------------------------------------------------


@transaction.atomic
def expert_save(*, actor: User, data: Mapping[str, Any], expert: Expert | None = None) -> Expert:
    _need(actor)
    _editable(actor, expert)
    errors: dict[str, list[str]] = {}
    name, unit, field = _text(data, "name"), _text(data, "unit"), _text(data, "field")
    region: Region | None = data.get("region")
    if not name:
        _add(errors, "name", "请填写姓名")
    if not unit:
        _add(errors, "unit", "请填写工作单位")
    if field not in Expert.Field.values:
        _add(errors, "field", "请从选项中选择专业领域")
    _place(errors, actor, "region", region, EXPERT_LEVELS)
    if errors:
        raise ValidationError(errors)
    assert region is not None  # noqa: S101 - checked above
    twin = Expert.objects.filter(name=name, unit=unit, region=region)
    if expert is not None:
        twin = twin.exclude(pk=expert.pk)
    if twin.exists():
        raise ValidationError({"name": f"{region.name}专家库已有{unit}的{name},请编辑已有记录"})
    values: dict[str, Any] = {"name": name, "unit": unit, "field": field, "title": _text(data, "title")}
    values |= {"region": region, "region_code": region.code, "active": bool(data.get("active", True))}
    expert = _store(Expert, expert, values)
    _log(actor, "expert", expert.pk, "save", f"专家 {name}", values)
    return expert


# ---- 督导调研 ------------------------------------------------------------------------------------------


def county_of(region: Region) -> str:
    """The county code (12 digits) of a county, township or village."""
    return region.code[:6] + "000000"


def leaders_on(county_code: str, day: dt.date) -> QuerySet[CountyLeader]:
    """The leaders assigned to the county on the day: those a visit there may name."""
    return overlapping(CountyLeader.objects.filter(region_code=county_code), day, day)


@transaction.atomic
def visit_plan(
    *,
    actor: User,
    data: Mapping[str, Any],
    experts_seen: QuerySet[Expert],
    visit: SupervisionVisit | None = None,
) -> SupervisionVisit:
    """Plan a visit (visit=None) or change a plan not yet recorded. `experts_seen` is the pool the actor sees
    (selectors.experts_for_user): a visit names only active experts of it."""
    _need(actor)
    _editable(actor, visit)
    if visit is not None:  # read again, locked: a record made since the page was read wins
        visit = SupervisionVisit.objects.select_for_update().get(pk=visit.pk)
    if visit is not None and visit.done_on is not None:
        raise ValidationError("该督导调研已记录实施情况,不能再修改计划")
    errors: dict[str, list[str]] = {}
    kind, topic = _text(data, "kind"), _text(data, "topic")
    region: Region | None = data.get("region")
    planned_on: dt.date | None = data.get("planned_on")
    leaders = list(data.get("leaders") or [])
    experts = list(data.get("experts") or [])
    if kind not in SupervisionVisit.Kind.values:
        _add(errors, "kind", "请从选项中选择督导类型")
    if not topic:
        _add(errors, "topic", "请填写督导调研主题")
    _place(errors, actor, "region", region, VISIT_LEVELS)
    if planned_on is None:
        _add(errors, "planned_on", "请填写计划日期")
    elif planned_on > _today() + START_AHEAD_MAX:
        _add(errors, "planned_on", "计划日期在一年以后,请核对年份")
    if not leaders and not experts:
        _add(errors, "leaders", "请至少选择一名带队领导或参加专家")
    if errors:
        raise ValidationError(errors)
    assert region is not None and planned_on is not None  # noqa: S101 - checked above
    allowed = set(leaders_on(county_of(region), planned_on).values_list("pk", flat=True))
    wrong = [leader.name for leader in leaders if leader.pk not in allowed]
    if wrong:
        _add(
            errors,
            "leaders",
            f"{'、'.join(wrong)}在{planned_on:%Y-%m-%d}不是{region.name}所在县的挂点领导,请重新选择",
        )
    active = set(experts_seen.filter(active=True).values_list("pk", flat=True))
    wrong = [expert.name for expert in experts if expert.pk not in active]
    if wrong:
        _add(errors, "experts", f"{'、'.join(wrong)}不在您可选的专家库中(或已出库),请重新选择")
    if errors:
        raise ValidationError(errors)
    values = {"kind": kind, "topic": topic, "region": region, "region_code": region.code}
    values["planned_on"] = planned_on
    if visit is None:
        visit = SupervisionVisit.objects.create(planned_by=actor, **values)
    else:
        for key, value in values.items():
            setattr(visit, key, value)
        visit.save()
    visit.leaders.set(leaders)
    visit.experts.set(experts)
    _log(actor, "visit", visit.pk, "plan", f"计划{visit.get_kind_display()} {topic}", values)
    return visit


def findings_parse(text: str) -> list[tuple[str, str]]:
    """The findings typed into a visit's record, one per line: "类别:问题" or just "问题" (工作落实).

    Blank lines are skipped; a category must be one of the four check dimensions (docs/domain.md §12); a line
    may hold at most TITLE_MAX characters and the text at most FINDINGS_MAX lines. Every bad line is named."""
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    lines = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), 1) if line.strip()]
    for number, line in lines:
        match = _LINE_SEPARATOR.search(line)
        head = line[: match.start()].strip() if match else ""
        if match and head in CATEGORIES:
            category, title = head, line[match.end() :].strip()
        elif match and 0 < len(head) <= CATEGORY_LIKE:
            problems.append(f"第{number}行的类别「{head}」无效,类别须为{'、'.join(CATEGORIES)}之一")
            continue
        else:
            category, title = DEFAULT_CATEGORY, line
        if not title:
            problems.append(f"第{number}行只有类别,请写明发现的问题")
        elif len(title) > TITLE_MAX:
            problems.append(f"第{number}行超过{TITLE_MAX}字,请精简(详细情况可写入督导调研内容)")
        else:
            found.append((category, title))
    if len(lines) > FINDINGS_MAX:
        problems.append(f"一次最多登记{FINDINGS_MAX}个问题,请合并相近的问题")
    if problems:
        raise ValidationError({"findings": problems})
    return found


@transaction.atomic
def visit_record(
    *, actor: User, visit: SupervisionVisit, done_on: dt.date | None, checked: str, findings: str
) -> list[Finding]:
    """Record a planned visit once: the date done (not in the future, not before the planned date), what was
    checked, and the findings, each filed in the rectification ledger (docs/domain.md §26)."""
    _need(actor)
    _editable(actor, visit)
    visit = SupervisionVisit.objects.select_for_update().select_related("region").get(pk=visit.pk)
    if visit.done_on is not None:
        raise ValidationError(f"该督导调研已于{visit.done_on:%Y-%m-%d}记录,不能重复记录")
    errors: dict[str, list[str]] = {}
    if done_on is None:
        _add(errors, "done_on", "请填写实施日期")
    elif done_on > _today():
        _add(errors, "done_on", f"实施日期({done_on:%Y-%m-%d})在今天之后,督导调研完成后再记录")
    elif done_on < visit.planned_on:
        _add(
            errors,
            "done_on",
            f"实施日期({done_on:%Y-%m-%d})早于计划日期({visit.planned_on:%Y-%m-%d});"
            "如提前实施,请先修改计划日期",
        )
    if not (checked or "").strip():
        _add(errors, "checked", "请填写督导调研了哪些内容")
    parsed: list[tuple[str, str]] = []
    try:
        parsed = findings_parse(findings)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    assert done_on is not None  # noqa: S101 - checked above
    source = (
        Finding.Source.UNANNOUNCED
        if visit.kind == SupervisionVisit.Kind.UNANNOUNCED
        else Finding.Source.SUPERVISION
    )
    raised = []
    for seq, (category, title) in enumerate(parsed, 1):
        finding, _ = finding_raise(
            actor=actor,
            source=source,
            category=category,
            title=title,
            region=visit.region,
            found_on=done_on,
            description=f"{visit.get_kind_display()}“{visit.topic}”({done_on:%Y-%m-%d})发现",
            origin_key=f"supervision.visit:{visit.pk}:{seq}",
        )
        VisitFinding.objects.create(visit=visit, seq=seq, finding=finding, region_code=visit.region_code)
        raised.append(finding)
    visit.done_on = done_on
    visit.checked = checked.strip()
    visit.findings_count = len(raised)
    visit.recorded_by = actor
    visit.save(update_fields=["done_on", "checked", "findings_count", "recorded_by", "updated_at"])
    _log(
        actor,
        "visit",
        visit.pk,
        "record",
        f"记录{visit.get_kind_display()} {visit.topic},发现问题{len(raised)}个",
        {"done_on": done_on, "findings": len(raised)},
    )
    return raised
