"""The demo's monitoring cases (监测帮扶档案, docs/domain.md §20), so that a newcomer sees the whole lifecycle:

- every household the generated registry marks as monitored becomes a case in 监测帮扶中 through
  `case_from_import`, with a plausible 识别时间, as the national system's households do;
- in the demo village, cases in every state of the lifecycle, each moved step by step through
  `monitoring.services` by the demo account that owns the step (the village officer, the township
  reviewer, the county reviewer for the cross-check, the county administrator), on plausible past days:
  the first steps from the village's open department alerts, the later ones from cadres' visits weeks or
  months ago; some overdue (red) or near their limit (orange); monitored households with measures; an
  elimination at each of its steps and one eliminated; one refused.

Idempotent: nothing is written when the demo village already has cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dixian.accounts.models import User
from dixian.cases.models import Alert, Channel
from dixian.common.models import ChangeLog
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import LABOURER_SKILLS
from dixian.monitoring.models import CaseAttachment, Measure, MonitoringCase
from dixian.monitoring.services import case_from_import, case_open, case_refuse
from dixian.monitoring.testing import SMALL_PDF, walk_case
from dixian.registry.models import HelperAssignment, Household, HouseholdIncome, Person

Say = Callable[[str], None]
HELPER_UNIT = "修水县农业农村局(演示)"
# 识别时间 of the imported monitored households: a day between these, drawn from the household number.
IMPORTED_FROM = dt.date(2021, 7, 1)
IMPORTED_UNTIL_DAYS_AGO = 240
# What each measure category is, in the plan (一户一策) of a demo case: item and who delivers it.
MEASURE_ITEMS: dict[str, tuple[str, str]] = {
    "industry": ("产业奖补(种养殖)", "县农业农村局"),
    "employment": ("推荐就近务工", "县人社局"),
    "finance": ("脱贫人口小额信贷", "县农商银行"),
    "public_job": ("乡村公益岗位", "乡镇人民政府"),
    "health": ("医疗救助和大病保险报销", "县医保局"),
    "compulsory_education": ("义务教育阶段资助", "县教育局"),
    "other_education": ("雨露计划职业教育补助", "县乡村振兴局"),
    "social_security": ("纳入农村低保", "县民政局"),
    "housing": ("农村危房改造", "县住建局"),
    "water": ("饮水工程维修", "县水利局"),
    "social_aid": ("社会帮扶(结对单位慰问)", "结对帮扶单位"),
    "relocation": ("易地搬迁后续扶持", "县发改委"),
    "living_conditions": ("改厨改厕", "乡镇人民政府"),
    "infrastructure": ("入户道路硬化", "乡镇人民政府"),
}


@dataclass(frozen=True)
class Walk:
    """A case of the demo village: where it ends, and how many days ago its first clue was found and its
    first step done (the walk's later steps follow a day apart, a notice kept for its five full days)."""

    to_state: str
    clue_days_ago: int
    start_days_ago: int
    note: str
    risks: tuple[str, ...]  # what the home check records (docs/domain.md §3)


# Opened from a cadre's visit (no alert of today's screening could be that old), by the village officer.
VISITED: tuple[Walk, ...] = (
    Walk(lc.HOME_CHECK, 20, 20, "走访发现户主务工受伤,家庭收入骤减;入户核实超期未办", ("05",)),
    Walk(lc.ASSET_CHECK, 17, 16, "走访发现家中老人重病住院,自付费用较高;信息比对超期", ("01", "93")),
    Walk(lc.VILLAGE_REVIEW, 3, 3, "走访发现家庭主要劳动力失业返乡", ("07",)),
    Walk(lc.PUBLIC_NOTICE, 4, 4, "走访发现房屋墙体开裂,雨季漏水", ("91",)),
    Walk(lc.TOWNSHIP_REVIEW, 13, 10, "走访发现子女上学费用负担重,收入下降;临近认定期限", ("09",)),
    Walk(lc.COUNTY_APPROVAL, 11, 11, "走访发现户主患慢性病,长期服药", ("01",)),
)
# Past the county's approval (the household needs its helper), then through the elimination.
MONITORED: tuple[Walk, ...] = (
    Walk(lc.ANNOUNCEMENT, 14, 14, "走访发现家庭遭受洪涝灾害,农作物绝收", ("0201",)),
    Walk(lc.MONITORING, 60, 60, "走访发现产业经营失败,欠债较多", ("06",)),
)
# (state, days ago the elimination was proposed, days ago the household was found) of the eliminations.
ELIMINATIONS: tuple[tuple[str, int, int], ...] = (
    (lc.ELIM_CHECK, 1, 300),
    (lc.ELIM_REVIEW, 2, 320),
    (lc.ELIM_NOTICE, 3, 340),
    (lc.ELIM_TOWNSHIP, 9, 360),
    (lc.ELIM_COUNTY, 10, 380),
    (lc.ELIMINATED, 40, 420),
)


@dataclass
class CasesResult:
    imported: int
    walked: int


def demo_cases_loaded(village: str) -> bool:
    """The demo's own walked cases exist (opened by a demo account; the generated cases that
    synthetic.loading.lifecycle_load writes have no opener)."""
    return MonitoringCase.objects.filter(region_code__startswith=village, created_by__isnull=False).exists()


def _days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def _identified_on(household_no: str) -> dt.date:
    """A 识别时间 between IMPORTED_FROM and IMPORTED_UNTIL_DAYS_AGO, the same for the same household."""
    span = (_days_ago(IMPORTED_UNTIL_DAYS_AGO) - IMPORTED_FROM).days
    digest = int.from_bytes(hashlib.sha256(household_no.encode()).digest()[:4], "big")
    return IMPORTED_FROM + dt.timedelta(days=digest % max(span, 1))


def _risks(household: Household) -> list[str]:
    """Plausible risk types from what the registry holds of the household (docs/domain.md §3)."""
    risks = [code for flag, code in ((household.has_illness, "01"), (household.has_disability, "03")) if flag]
    if household.housing_grade in ("C", "D"):
        risks.append("91")
    if household.water_ok is False:
        risks.append("92")
    if not risks:
        risks.append("05" if household.monitoring_category == "sudden_hardship" else "06")
    return risks


def _category(household: Household) -> str:
    return "unstable_ex_poor" if household.kind == "ex_poor" else "edge"


def imported_cases(say: Say) -> int:
    """Every household marked as monitored and without a case becomes one in 监测帮扶中 (case_from_import)."""
    households = (
        Household.objects.exclude(monitoring_category="")
        .exclude(Exists(MonitoringCase.objects.filter(household=OuterRef("pk"))))
        .select_related("region__parent")
        .order_by("household_no")
    )
    made = 0
    with transaction.atomic():  # one commit: a few hundred cases at county scale
        for household in households.iterator(chunk_size=500):
            case = case_from_import(
                household=household,
                identified_on=_identified_on(household.household_no),
                category=household.monitoring_category,
                risk_codes=_risks(household),
                source=ChangeLog.Source.SYSTEM,
            )
            made += case is not None
    say(f"  全国系统已识别的监测对象转为监测帮扶档案 {made:,} 份")
    return made


def _measures(case: MonitoringCase, *, applied_on: dt.date | None, planned: bool = True) -> None:
    """The plan (一户一策): the measures proposed for the case's risks, the first applied on `applied_on`
    (none when None), the next one planned."""
    categories = lc.proposed_measures(case.risk_codes)[: 2 if planned else 1]
    start = applied_on or timezone.localdate()
    for index, category in enumerate(categories):
        item, deliverer = MEASURE_ITEMS[category]
        applied = index == 0 and applied_on is not None
        Measure.objects.create(
            case=case,
            category=category,
            item=item,
            start_on=start,
            amount=Decimal("3000") if category in ("industry", "housing", "finance") else None,
            deliverer=deliverer,
            status=Measure.Status.APPLIED if applied else Measure.Status.PLANNED,
            applied_on=start if applied else None,
        )


def _paired(household: Household, helper: User, since: dt.date) -> None:
    """The household's helper (结对帮扶), needed before the county's approval."""
    on = since
    active = HelperAssignment.objects.filter(household=household, start_date__lte=on).exclude(
        end_date__isnull=False, end_date__lte=on
    )
    if not active.exists():
        HelperAssignment.objects.create(household=household, helper=helper, unit=HELPER_UNIT, start_date=on)


def _may_be_released(village: str) -> list[Household]:
    """Households of the village that would meet the elimination criteria (docs/domain.md §7): no open
    alert, 三保障 and water secure, a labourer, an income well above the line and no large costs."""
    labourer = Person.objects.filter(household=OuterRef("pk"), labour_skill__in=LABOURER_SKILLS)
    alert = Alert.objects.filter(household=OuterRef("pk"), status__in=Alert.OPEN_STATUSES)
    comfortable = HouseholdIncome.objects.filter(
        household=OuterRef("pk"), net_income_per_capita__gte=Decimal("15000"), eligible_out_of_pocket=0
    )
    return list(
        Household.objects.filter(
            region_code__startswith=village,
            monitoring_category="",
            education_ok=True,
            medical_ok=True,
            housing_ok=True,
        )
        .exclude(water_ok=False)
        .filter(Exists(labourer), Exists(comfortable))
        .exclude(Exists(alert))
        .exclude(Exists(MonitoringCase.objects.filter(household=OuterRef("pk"))))
        .order_by("household_no")
    )


def _file_authorisations(cases: list[MonitoringCase]) -> None:
    """The signed authorisations the walks recorded, as files where their rows say (a one-page PDF)."""
    root = settings.MEDIA_ROOT
    for attachment in CaseAttachment.objects.filter(case__in=cases, kind=CaseAttachment.Kind.AUTHORISATION):
        path = root / attachment.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(SMALL_PDF)


def demo_cases(actors: dict[str, User], helper: User, village: str, *, say: Say) -> CasesResult:
    """`actors` maps each owner of lifecycle.OWNERS to the demo account that does its steps (demo.py);
    `helper` is paired with the households approved."""
    if demo_cases_loaded(village):
        return CasesResult(0, 0)
    say("监测帮扶档案")
    imported = imported_cases(say)
    officer = actors[lc.VILLAGE]
    walked: list[MonitoringCase] = []

    # Today's department alerts (other lines' alerts stay in the queue): a home check to do, one done, one
    # refused after the home check.
    open_alerts = Alert.objects.filter(
        region_code__startswith=village, status__in=Alert.OPEN_STATUSES, household__isnull=False
    ).order_by("household__household_no", "pk")
    by_household: dict[int, list[Alert]] = {}
    for alert in open_alerts.select_related("household"):
        by_household.setdefault(alert.household_id or 0, []).append(alert)
    alert_sets = [
        alerts
        for alerts in by_household.values()
        if all(a.channels == [Channel.DEPARTMENT] and a.status == Alert.Status.OPEN for a in alerts)
        and alerts[0].household is not None
        and alerts[0].household.monitoring_category == ""
    ]
    today = timezone.localdate()
    for index, alerts in enumerate(alert_sets[:3]):
        household = alerts[0].household
        assert household is not None  # household__isnull=False above
        case = case_open(
            household=household, actor=officer, origin=MonitoringCase.Origin.ALERT, alerts=alerts
        )
        if index == 1:
            case = walk_case(
                case,
                lc.ASSET_CHECK,
                actors,
                start=today,
                category=_category(household),
                risk_codes=tuple(case.risk_codes),
            )
        elif index == 2:
            case = case_refuse(
                case=case,
                actor=officer,
                seq=case.seq,
                reason="入户核实:相关困难已经解决,家庭收入稳定,无返贫致贫风险,经村两委研究不予纳入",
            )
        walked.append(case)

    busy = set(by_household)
    fresh = (
        Household.objects.filter(region_code__startswith=village, monitoring_category="")
        .exclude(pk__in=busy)
        .exclude(Exists(MonitoringCase.objects.filter(household=OuterRef("pk"))))
    )
    releasable = _may_be_released(village)
    spare = [h for h in fresh.order_by("-household_no") if h not in releasable]

    def visited(household: Household, walk: Walk) -> MonitoringCase:
        clue = _days_ago(walk.clue_days_ago)
        case = case_open(
            household=household,
            actor=officer,
            origin=MonitoringCase.Origin.VISIT,
            reason=walk.note,
            first_clue_on=clue,
            on=clue,
        )
        return walk_case(
            case,
            walk.to_state,
            actors,
            start=_days_ago(walk.start_days_ago),
            category=_category(household),
            risk_codes=walk.risks,
        )

    walked.extend(visited(household, walk) for household, walk in zip(spare, VISITED, strict=False))
    spare = spare[len(VISITED) :]
    for walk in MONITORED:
        household = spare.pop(0)
        _paired(household, helper, _days_ago(walk.start_days_ago))
        case = visited(household, walk)
        if case.state == lc.MONITORING:
            _measures(case, applied_on=(case.identified_on or today) + dt.timedelta(days=7))
        walked.append(case)
    # The monitored households of the village: their plans, the first measure applied.
    for case in MonitoringCase.objects.filter(
        region_code__startswith=village, origin=MonitoringCase.Origin.IMPORT, state=lc.MONITORING
    ):
        _measures(case, applied_on=(case.identified_on or today) + dt.timedelta(days=20))

    # Eliminations: households found months ago, helped, and now released (or being released).
    for state, proposed_days_ago, found_days_ago in ELIMINATIONS:
        while releasable:
            household = releasable.pop(0)
            found = _days_ago(found_days_ago)
            _paired(household, helper, found)
            case = visited(
                household,
                Walk(
                    lc.MONITORING,
                    found_days_ago,
                    found_days_ago,
                    "走访发现养殖产业受损,家庭收入明显下降",
                    ("06",),
                ),
            )
            _measures(case, applied_on=(case.identified_on or found) + dt.timedelta(days=10), planned=False)
            try:
                case = walk_case(
                    case, state, actors, start=_days_ago(proposed_days_ago), risk_codes=tuple(case.risk_codes)
                )
            except ValidationError:
                walked.append(case)  # the criteria do not hold after all: it stays monitored
                continue
            walked.append(case)
            break
    _file_authorisations(walked)
    states = {c.state for c in walked}
    say(
        f"  演示村监测帮扶档案 {len(walked)} 份,覆盖 {len(states)} 个办理环节"
        f"({'、'.join(lc.STEPS[s].label for s in lc.STEPS if s in states)})"
    )
    return CasesResult(imported, len(walked))
