"""What feeds monitoring cases (docs/domain.md §20): 拟纳入 from the alert queue (one case per household,
however many alerts were ticked), a household not yet in the registry registered from what is known and
taken into a case (a declarant, an 应纳未纳 record), and a household imported as already monitored.

Every write is all or nothing: one refused household refuses the whole action, with its reason in Chinese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dixian.accounts.capabilities import Capability, user_can
from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.cases.services import BULK_MAX, unmatched_close
from dixian.common.access import code_in_scope
from dixian.domain.risks import RISK_TYPES
from dixian.registry import choices as rc
from dixian.registry.models import Household
from dixian.registry.services import household_create, id_number_facts, person_create

from .models import MonitoringCase
from .services import OPENERS, case_from_import, case_open

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region


def _named(alerts: Iterable[Alert], limit: int = 5) -> str:
    shown = [
        f"{(a.household.head_name if a.household else a.subject_name) or '未登记'}({RISK_TYPES[a.risk_code].name})"
        for a in alerts
    ]
    return "、".join(shown[:limit]) + (f" 等 {len(shown)} 条" if len(shown) > limit else "")


@transaction.atomic
def alerts_propose(*, alerts: Iterable[Alert], actor: User, reason: str = "") -> list[MonitoringCase]:
    """拟纳入 for the ticked alerts: grouped by household, each household's alerts open its case or join the
    one already open (`case_open`), so several pieces of evidence of one household make one case. All or
    nothing; `alerts` must be the account's scope (the view selects them through `alert_scope_for_user`)."""
    ids = sorted({a.pk for a in alerts})
    if not ids:
        raise ValidationError("请先勾选要拟纳入的预警线索")
    if len(ids) > BULK_MAX:
        raise ValidationError(f"一次最多拟纳入 {BULK_MAX} 条预警线索(本次勾选了 {len(ids)} 条)")
    if not any(user_can(actor, c) for c in OPENERS):
        raise PermissionDenied("您的账号不能发起监测帮扶档案(拟纳入由村、乡镇或县级办理人员发起)")
    # Locked in one statement, in a stable order: two clerks ticking overlapping alerts wait for each other.
    locked = list(
        Alert.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("household")
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise ValidationError("所选预警线索有的已不存在,请刷新页面后重新勾选")
    unregistered = [a for a in locked if a.household is None]
    if unregistered:
        raise ValidationError(
            f"所选预警线索中有 {len(unregistered)} 条的申报人尚未在农户信息库中登记:{_named(unregistered)}。"
            "请在该申报的页面“登记并发起监测”"
        )
    closed = [a for a in locked if not a.is_open]
    if closed:
        raise ValidationError(
            f"所选预警线索中有 {len(closed)} 条已办结,不能再拟纳入:{_named(closed)}。请取消勾选后再提交"
        )
    proposed = [a for a in locked if a.status == Alert.Status.PROPOSED]
    if proposed:
        raise ValidationError(
            f"所选预警线索中有 {len(proposed)} 条已拟纳入监测:{_named(proposed)}。请取消勾选后再提交"
        )
    by_household: dict[int, list[Alert]] = {}
    for a in locked:
        by_household.setdefault(a.household_id, []).append(a)  # type: ignore[arg-type]  # household checked above
    cases = []
    for group in by_household.values():
        household = group[0].household
        assert household is not None  # checked above
        cases.append(
            case_open(
                household=household,
                actor=actor,
                origin=MonitoringCase.Origin.ALERT,
                alerts=group,
                reason=reason,
            )
        )
    return cases


# --- a household not yet in the registry -----------------------------------------------------------------

# A household registered from a case carries a provisional number until the national system gives it one:
# its village's code, "L" (临时登记) and a serial.
PROVISIONAL_MARK = "L"


def _provisional_no(village: Region) -> str:
    prefix = f"{village.code}{PROVISIONAL_MARK}"
    taken = set(
        Household.objects.filter(household_no__startswith=prefix).values_list("household_no", flat=True)
    )
    n = len(taken) + 1
    while f"{prefix}{n:04d}" in taken:
        n += 1
    return f"{prefix}{n:04d}"


def valid_id_number(value: str) -> str:
    """The normalised ID number when it is a valid one, else "" (a declarant's number may be mistyped; the
    household is then registered without it and completed at the home check)."""
    try:
        return id_number_facts(value)[0]
    except ValidationError:
        return ""


@transaction.atomic
def case_register_and_open(
    *,
    actor: User,
    village: Region,
    name: str,
    id_number: str,
    kind: str,
    labour_skill: str,
    origin: str,
    reason: str,
    alerts: Iterable[Alert] = (),
    first_clue_on: dt.date | None = None,
) -> MonitoringCase:
    """登记并发起监测: register a minimal household from what is known (the head's name, the ID number when
    it is valid, the village) through the registry's own services, and open its case. The rest of the
    household is completed at the home check (docs/domain.md §20)."""
    if not (user_can(actor, Capability.REGISTRY_EDIT) and any(user_can(actor, c) for c in OPENERS)):
        raise PermissionDenied("您的账号不能登记农户并发起监测帮扶档案")
    if not code_in_scope(actor, village.code):
        raise PermissionDenied("该村不在您的管辖范围内")
    name = name.strip()
    reason = reason.strip()
    if not name:
        raise ValidationError("请填写户主姓名")
    if kind not in rc.HouseholdKind.values:
        raise ValidationError("请选择户类型(脱贫户或一般农户)")
    if labour_skill not in rc.LabourSkill.values:
        raise ValidationError("请选择户主的劳动技能")
    if not reason:
        raise ValidationError("请填写发起理由(例如:申报人反映因病支出大,经初步了解情况属实)")
    alerts = list(alerts)
    if any(a.household_id is not None for a in alerts):
        raise ValidationError("所选预警线索已属于登记在册的农户,请在该户发起监测")
    if any(not a.is_open for a in alerts):
        raise ValidationError("该申报的预警线索已办结,不能再发起监测")
    number = valid_id_number(id_number) if id_number else ""
    household = household_create(
        actor=actor,
        region=village,
        household_no=_provisional_no(village),
        data={"kind": kind},
    )
    if number:
        try:
            person_create(
                actor=actor,
                household=household,
                data={
                    "name": name,
                    "id_number": number,
                    "relation": rc.Relation.HEAD,
                    "labour_skill": labour_skill,
                },
            )
        except ValidationError as exc:
            errors: Any = getattr(exc, "message_dict", {}) or {"": exc.messages}
            raise ValidationError("；".join(m for ms in errors.values() for m in ms)) from None
    # The declarant's alerts (raised for a name in a village) now belong to the registered household.
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(
        household=household, region_code=household.region_code
    )
    AlertEvidence.objects.filter(alert__in=[a.pk for a in alerts]).update(
        household=household, region_code=household.region_code
    )
    for a in alerts:
        a.household, a.region_code = household, household.region_code
    return case_open(
        household=household,
        actor=actor,
        origin=origin,
        alerts=alerts,
        reason=reason if number else f"{reason}(户主 {name},证件号码待入户核实时补录)",
        first_clue_on=first_clue_on,
    )


@transaction.atomic
def case_from_unmatched(
    *, actor: User, record: UnmatchedRecord, kind: str, labour_skill: str, reason: str, name: str = ""
) -> MonitoringCase:
    """登记并发起监测 from a 应纳未纳 record: the person it names is registered in the record's village and a
    case opened (its clock from the record's event date); the record is closed with a note naming the case."""
    if not user_can(actor, Capability.UNMATCHED_HANDLE):
        raise PermissionDenied("您的账号不能核查应纳未纳线索")
    record = (
        UnmatchedRecord.objects.select_for_update(of=("self",)).select_related("region").get(pk=record.pk)
    )
    if record.status != UnmatchedRecord.Status.OPEN:
        raise ValidationError("该应纳未纳线索已核查完毕,不能再登记")
    village = record.region
    if village.level not in ("village", "group"):
        raise ValidationError("该线索未能定位到村,请先核实其所在村后在农户信息库中登记")
    case = case_register_and_open(
        actor=actor,
        village=village,
        name=name or record.name,
        id_number=record.id_number,
        kind=kind,
        labour_skill=labour_skill,
        origin=MonitoringCase.Origin.UNMATCHED,
        reason=reason,
        first_clue_on=record.event_date,
    )
    unmatched_close(
        record=record,
        note=f"已登记为农户 {case.household.household_no} 并发起监测帮扶档案(第{case.episode}次):{reason.strip()}",
        actor=actor,
    )
    return case


def cases_from_registry_import(
    *, households: dict[int, tuple[dt.date, str]], actor: User | None, **_: object
) -> None:
    """Households imported as already monitored ({pk: (识别时间, 监测对象类别)}) become cases in 监测帮扶中
    with that history (`case_from_import`), in the import's transaction. Connected to registry's
    `households_imported_monitored` (apps.py)."""
    for household in Household.objects.filter(pk__in=list(households)).order_by("pk"):
        identified_on, category = households[household.pk]
        case_from_import(
            household=household, identified_on=identified_on, category=category, risk_codes=[], actor=actor
        )
