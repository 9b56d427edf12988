"""疑点核查: the consistency checks assessments run on monitored households (docs/domain.md §20.1).

Each rule is a handful of set-based queries over the whole scope (a city, a county, a village), never one
query per household: the cases of a state with the facts each rule needs annotated or read alongside,
then plain Python over the rows. `consistency_check` brings the stored `ConsistencyFinding` rows in line
with what holds now: a finding that appears is opened, one that still holds keeps its first date and gets
`last_seen_at`, one that no longer holds is resolved (never deleted). Messages are plain Chinese and never
carry an ID number, a phone or a health detail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dixian.common.access import region_range_q
from dixian.domain import dictionaries as d
from dixian.domain import lifecycle as lc
from dixian.domain.household_facts import age_on
from dixian.domain.income import lines_by_year
from dixian.domain.risks import risk_name
from dixian.registry.models import HelperAssignment, HouseholdIncome, IncomeLine, Person

from .models import ConsistencyFinding, Measure, MonitoringCase

# The rules (docs/domain.md §20.1), in the order the page and the command list them.
ELIM_SAME_MONTH = "elim_same_month"
ELIM_BEFORE_6_MONTHS = "elim_before_6_months"
RISK07_NO_LABOUR = "risk07_no_labour"
INCOME_TOO_HIGH = "income_too_high"
CHILD_OUT_OF_SCHOOL = "child_out_of_school"
NO_HELPER = "no_helper"
MEASURES_MISMATCH = "measures_mismatch"
SAFETY_NET_ONLY = "safety_net_only"
NO_DEVELOPMENT_MEASURE = "no_development_measure"
BELOW_LINE_ELIMINATED = "below_line_eliminated"
IDENTIFICATION_OVERDUE = "identification_overdue"

RULES: dict[str, str] = {
    ELIM_SAME_MONTH: "识别当月或次月即消除风险",
    ELIM_BEFORE_6_MONTHS: "识别不满6个月消除风险",
    RISK07_NO_LABOUR: "务工就业不稳风险但无劳动力",
    INCOME_TOO_HIGH: "监测对象收入明显偏高",
    CHILD_OUT_OF_SCHOOL: "义务教育适龄儿童未在校且无原因",
    NO_HELPER: "监测对象无帮扶联系人",
    MEASURES_MISMATCH: "帮扶措施与风险类型不匹配",
    SAFETY_NET_ONLY: "有劳动能力仅有综合保障措施",
    NO_DEVELOPMENT_MEASURE: "识别满1个月未落实开发式措施",
    BELOW_LINE_ELIMINATED: "收入低于监测线却已消除风险",
    IDENTIFICATION_OVERDUE: "识别认定超期",
}

# docs/domain.md §2: a household identified since 2023 with a per-capita income above this is implausible.
INCOME_TOO_HIGH_FROM = dt.date(2023, 1, 1)
INCOME_TOO_HIGH_YUAN = Decimal("20000")
# docs/domain.md §6: the development measures are due one month after identification.
MEASURE_GRACE_MONTHS = 1
# A reason recorded for a child out of school (docs/domain.md §8: a sick or disabled child may be taught at
# home, 送教上门, or be on sick leave from school): a recorded illness or disability.
EXCUSED_HEALTH: tuple[str, ...] = (d.CHRONIC, d.MAJOR_ILLNESS, d.DISABLED)
IN_SCHOOL_CODES: tuple[str, ...] = tuple(c for stage in d.IN_SCHOOL_STAGES for c in d.STAGE_CODES[stage])
CHUNK = 2000


@dataclass(frozen=True)
class Hit:
    household_id: int
    code: str
    case_id: int | None
    region_code: str
    message: str


@dataclass
class CheckResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))  # open after the run
    opened: int = 0
    kept: int = 0
    resolved: int = 0


def compulsory_birth_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """Birth dates of the children in compulsory schooling (小学一年级 to 九年级) in the school year of
    `today`: a child enters school in the September after its sixth birthday (cut-off 31 August), so in
    the school year starting in September of year Y, grades 1-9 were born from 1 September of Y-15 to
    31 August of Y-6 (aged 6 to 15, docs/domain.md §8)."""
    start = today.year if today.month >= 9 else today.year - 1
    return dt.date(start - 15, 9, 1), dt.date(start - 6, 8, 31)


def elimination_too_soon(identified: dt.date, eliminated: dt.date, method: str) -> str | None:
    """The rule an elimination breaks by its dates (docs/domain.md §7), or None: 帮扶消除 in the month of
    identification or the next is ELIM_SAME_MONTH; any other elimination less than six months after
    identification is ELIM_BEFORE_6_MONTHS (one rule per case, the stricter first)."""
    months = (eliminated.year - identified.year) * 12 + eliminated.month - identified.month
    if months <= 1 and method != lc.NATURAL:
        return ELIM_SAME_MONTH
    if eliminated < lc.months_after(identified, lc.ELIMINATION_MIN_MONTHS):
        return ELIM_BEFORE_6_MONTHS
    return None


def _risks(codes: Iterable[str]) -> str:
    return "、".join(risk_name(c) for c in codes)


def _labourers() -> QuerySet[Person]:
    return Person.objects.filter(household_id=OuterRef("household_id"), labour_skill__in=d.LABOURER_SKILLS)


class _Scope:
    def __init__(self, prefix: str, today: dt.date) -> None:
        self.prefix = prefix
        self.today = today

    def cases(self) -> QuerySet[MonitoringCase]:
        qs = MonitoringCase.objects.all()
        return qs.filter(region_range_q(self.prefix)) if self.prefix else qs

    def monitored(self) -> QuerySet[MonitoringCase]:
        return self.cases().filter(state__in=lc.MONITORED_STATES)

    def eliminated(self) -> QuerySet[MonitoringCase]:
        """Each household's latest case, when it is eliminated (a later episode supersedes it)."""
        later = MonitoringCase.objects.filter(
            household_id=OuterRef("household_id"), episode__gt=OuterRef("episode")
        )
        return self.cases().filter(state=lc.ELIMINATED).exclude(Exists(later))


def _latest_incomes(households: QuerySet[MonitoringCase]) -> dict[int, tuple[int, Decimal]]:
    """household → (year, per-capita net income) of its latest income year, for the households of the
    cases `households` (one query, the cases as a subquery)."""
    latest: dict[int, tuple[int, Decimal]] = {}
    rows = HouseholdIncome.objects.filter(household_id__in=households.values("household_id")).values_list(
        "household_id", "year", "net_income_per_capita"
    )
    for hid, year, per_capita in rows.iterator(chunk_size=5000):
        if hid not in latest or year > latest[hid][0]:
            latest[hid] = (year, per_capita)
    return latest


def _elimination_rules(scope: _Scope) -> list[Hit]:
    hits: list[Hit] = []
    rows = list(
        scope.eliminated().values_list(
            "id", "household_id", "region_code", "identified_on", "eliminated_on", "elimination_method"
        )
    )
    for case_id, hid, code, identified, eliminated, method in rows:
        if identified is None or eliminated is None:
            continue
        rule = elimination_too_soon(identified, eliminated, method)
        if rule == ELIM_SAME_MONTH:
            message = (
                f"{identified:%Y年%m月}识别为监测对象,{eliminated:%Y年%m月}即以帮扶消除方式消除风险,"
                "识别当月或次月不应消除,请核实"
            )
        elif rule == ELIM_BEFORE_6_MONTHS:
            message = (
                f"{identified:%Y年%m月%d日}识别,{eliminated:%Y年%m月%d日}消除风险,"
                f"不满{lc.ELIMINATION_MIN_MONTHS}个月,请核实"
            )
        else:
            continue
        hits.append(Hit(hid, rule, case_id, code, message))
    # 收入低于监测线却已消除风险: the latest year's per-capita income against that year's line.
    households = {hid: (case_id, code) for case_id, hid, code, *_ in rows}
    if households:
        incomes = _latest_incomes(scope.eliminated())
        entries = [
            (line.region.prefix if line.region is not None else "", line.year, line.amount)
            for line in IncomeLine.objects.select_related("region")
        ]
        by_code: dict[str, dict[int, Decimal]] = {}
        for hid, (year, per_capita) in incomes.items():
            if hid not in households:
                continue
            case_id, code = households[hid]
            lines = by_code.get(code)
            if lines is None:
                lines = by_code[code] = lines_by_year(entries, code)
            line = lines.get(year)
            if line is not None and per_capita < line:
                hits.append(
                    Hit(
                        hid,
                        BELOW_LINE_ELIMINATED,
                        case_id,
                        code,
                        f"{year}年人均纯收入 {per_capita:.2f} 元,低于当年监测线 {line:.0f} 元,"
                        "却已标记风险消除,请核实收入或消除结论",
                    )
                )
    return hits


def _monitored_rules(scope: _Scope) -> list[Hit]:
    today = scope.today
    hits: list[Hit] = []
    active_helper = HelperAssignment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        household_id=OuterRef("household_id"),
        start_date__lte=today,
    )
    rows = list(
        scope.monitored()
        .annotate(has_labour=Exists(_labourers()), has_helper=Exists(active_helper))
        .values_list(
            "id", "household_id", "region_code", "risk_codes", "identified_on", "has_labour", "has_helper"
        )
    )
    if not rows:
        return hits
    measures: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for case_id, category, status in (
        Measure.objects.filter(case__in=scope.monitored())
        .exclude(status=Measure.Status.CANCELLED)
        .values_list("case_id", "category", "status")
        .iterator(chunk_size=5000)
    ):
        measures[case_id].append((category, status))
    grace_before = lc.months_after(today, -MEASURE_GRACE_MONTHS)
    for case_id, hid, code, risks, identified, has_labour, has_helper in rows:
        risks = list(risks or [])
        plan = measures.get(case_id, [])
        categories = {c for c, _ in plan}
        if "07" in risks and not has_labour:
            hits.append(
                Hit(
                    hid,
                    RISK07_NO_LABOUR,
                    case_id,
                    code,
                    "风险类型为因务工就业不稳,但家庭成员中没有劳动力,请核实风险类型或劳动技能",
                )
            )
        if not has_helper:
            hits.append(Hit(hid, NO_HELPER, case_id, code, "监测对象没有在岗的帮扶联系人,请落实结对帮扶"))
        past_grace = identified is not None and identified <= grace_before
        if past_grace and risks:
            unanswered = lc.measures_match(risks, categories)
            if unanswered:
                hits.append(
                    Hit(
                        hid,
                        MEASURES_MISMATCH,
                        case_id,
                        code,
                        f"风险类型「{_risks(unanswered)}」没有对应的帮扶措施,请按缺什么补什么调整帮扶计划",
                    )
                )
        if has_labour and categories and categories <= {"social_security"}:
            hits.append(
                Hit(
                    hid,
                    SAFETY_NET_ONLY,
                    case_id,
                    code,
                    "家庭有劳动能力,帮扶措施只有综合保障,请增加产业、就业等开发式措施",
                )
            )
        if has_labour and past_grace:
            applied = {c for c, s in plan if c in lc.DEVELOPMENT_CATEGORIES and s in Measure.APPLIED_STATUSES}
            if not applied:
                hits.append(
                    Hit(
                        hid,
                        NO_DEVELOPMENT_MEASURE,
                        case_id,
                        code,
                        f"{identified:%Y年%m月%d日}识别,已满{MEASURE_GRACE_MONTHS}个月,家庭有劳动能力,"
                        "尚未落实开发式帮扶措施",
                    )
                )
    # 收入明显偏高: identified since 2023, latest year's per-capita income above 20,000 元 (§2).
    cases = {hid: (case_id, code) for case_id, hid, code, *_ in rows}
    recent = scope.monitored().filter(identified_on__gte=INCOME_TOO_HIGH_FROM)
    for hid, (year, per_capita) in _latest_incomes(recent).items():
        # (a case approved between two of these reads is left to the next run)
        if per_capita > INCOME_TOO_HIGH_YUAN and hid in cases:
            case_id, code = cases[hid]
            hits.append(
                Hit(
                    hid,
                    INCOME_TOO_HIGH,
                    case_id,
                    code,
                    f"{year}年人均纯收入 {per_capita:.2f} 元,超过 {INCOME_TOO_HIGH_YUAN:.0f} 元,"
                    "作为监测对象明显偏高,请核实收入或监测结论",
                )
            )
    # 义务教育适龄儿童未在校且无原因 (§8): one query over the members of monitored households.
    born_from, born_to = compulsory_birth_range(today)
    children = (
        Person.objects.filter(
            household_id__in=scope.monitored().values("household_id"),
            birth_date__gte=born_from,
            birth_date__lte=born_to,
        )
        .exclude(student_status__in=IN_SCHOOL_CODES)
        .exclude(health_status__in=EXCUSED_HEALTH)
        .filter(disability_category="")
        .values_list("household_id", "birth_date")
        .order_by("household_id", "birth_date")
    )
    seen: set[int] = set()
    for hid, birth in children:
        if hid in seen or hid not in cases:
            continue
        seen.add(hid)
        case_id, code = cases[hid]
        hits.append(
            Hit(
                hid,
                CHILD_OUT_OF_SCHOOL,
                case_id,
                code,
                f"家中有{age_on(birth, today)}岁义务教育阶段适龄儿童未登记在校,也未登记原因(如送教上门),"
                "请核实在校生情况",
            )
        )
    return hits


def _identification_rules(scope: _Scope) -> list[Hit]:
    rows = (
        scope.cases()
        .filter(state__in=lc.IDENTIFYING, due_on__lt=scope.today)
        .values_list("id", "household_id", "region_code", "due_on", "state")
    )
    return [
        Hit(
            hid,
            IDENTIFICATION_OVERDUE,
            case_id,
            code,
            f"识别认定期限为{due:%Y年%m月%d日},已超期{(scope.today - due).days}天,"
            f"仍在「{lc.STEPS[state].label}」环节,请尽快办理",
        )
        for case_id, hid, code, due, state in rows
    ]


def consistency_hits(*, prefix: str = "", today: dt.date | None = None) -> list[Hit]:
    """Every finding that holds now in the subtree of `prefix` ("" = everywhere)."""
    scope = _Scope(prefix, today or timezone.localdate())
    return [*_elimination_rules(scope), *_monitored_rules(scope), *_identification_rules(scope)]


def consistency_check(*, prefix: str = "", today: dt.date | None = None) -> CheckResult:
    """Bring the stored findings of the subtree of `prefix` in line with what holds now (see module)."""
    now = timezone.now()
    hits = {(h.household_id, h.code): h for h in consistency_hits(prefix=prefix, today=today)}
    result = CheckResult()
    stored = ConsistencyFinding.objects.filter(resolved_at__isnull=True)
    if prefix:
        stored = stored.filter(region_range_q(prefix))
    with transaction.atomic():
        open_rows = {
            (hid, code): (pk, case_id, region_code, message)
            for pk, hid, code, case_id, region_code, message in stored.values_list(
                "id", "household_id", "code", "case_id", "region_code", "message"
            )
        }
        gone = [row[0] for key, row in open_rows.items() if key not in hits]
        for i in range(0, len(gone), CHUNK):
            ConsistencyFinding.objects.filter(id__in=gone[i : i + CHUNK]).update(resolved_at=now)
        changed = []
        for key, (pk, case_id, region_code, message) in open_rows.items():
            hit = hits.get(key)
            if hit is not None and (hit.case_id, hit.region_code, hit.message) != (
                case_id,
                region_code,
                message,
            ):
                changed.append(
                    ConsistencyFinding(
                        id=pk, case_id=hit.case_id, region_code=hit.region_code, message=hit.message[:300]
                    )
                )
        ConsistencyFinding.objects.bulk_update(changed, ["case", "region_code", "message"], batch_size=500)
        # Every finding still open in the scope holds again now: one statement.
        result.kept = stored.update(last_seen_at=now)
        new = [
            ConsistencyFinding(
                household_id=h.household_id,
                case_id=h.case_id,
                region_code=h.region_code,
                code=h.code,
                message=h.message[:300],
                first_seen_at=now,
                last_seen_at=now,
            )
            for key, h in hits.items()
            if key not in open_rows
        ]
        ConsistencyFinding.objects.bulk_create(new, batch_size=1000)
    result.opened = len(new)
    result.resolved = len(gone)
    for _hid, code in hits:
        result.counts[code] += 1
    return result
