"""The monitoring and assistance lifecycle (监测帮扶档案) as data: its steps, who owns each, the order they
come in, the deadline and notice rules, and the measure catalogue (docs/domain.md §20).

A case is one episode of one household: identification (docs/domain.md §5), assistance while monitored
(§6), and risk elimination through the same kind of steps (§7). The Django side (`dixian.monitoring`)
stores the state and every transition; this module decides which move is legal, so the pages, the API and
the tests ask the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Who does a step. The permission map gives each role the owners it may act as (accounts/capabilities.py).
VILLAGE, TOWNSHIP, COUNTY_CHECK, COUNTY = "village", "township", "county_check", "county"
OWNERS: dict[str, str] = {
    VILLAGE: "村级",
    TOWNSHIP: "乡镇",
    COUNTY_CHECK: "县级审核员(信息比对)",
    COUNTY: "县级",
}


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    owner: str  # VILLAGE / TOWNSHIP / COUNTY_CHECK / COUNTY; "" for a state nobody works (closed)
    # What the action that completes the step is called on the page.
    action: str = ""
    notice: bool = False  # a notice step: it may not be left before NOTICE_FULL_DAYS full days


# Identification (docs/domain.md §5), in order.
HOME_CHECK = "home_check"
ASSET_CHECK = "asset_check"
VILLAGE_REVIEW = "village_review"
PUBLIC_NOTICE = "public_notice"
TOWNSHIP_REVIEW = "township_review"
COUNTY_APPROVAL = "county_approval"
ANNOUNCEMENT = "announcement"
# While monitored.
MONITORING = "monitoring"
# Risk elimination (docs/domain.md §7): the same kind of steps.
ELIM_CHECK = "elim_check"
ELIM_REVIEW = "elim_review"
ELIM_NOTICE = "elim_notice"
ELIM_TOWNSHIP = "elim_township"
ELIM_COUNTY = "elim_county"
# Closed.
ELIMINATED = "eliminated"
REFUSED = "refused"

STEPS: dict[str, Step] = {
    s.code: s
    for s in (
        Step(HOME_CHECK, "入户核实", VILLAGE, "完成入户核实"),
        Step(ASSET_CHECK, "信息比对", COUNTY_CHECK, "完成信息比对"),
        Step(VILLAGE_REVIEW, "民主评议", VILLAGE, "完成民主评议"),
        Step(PUBLIC_NOTICE, "村内公示", VILLAGE, "公示期满,无异议", notice=True),
        Step(TOWNSHIP_REVIEW, "乡镇初审", TOWNSHIP, "初审通过"),
        Step(COUNTY_APPROVAL, "县级审定", COUNTY, "审定纳入监测"),
        Step(ANNOUNCEMENT, "公告", TOWNSHIP, "发布公告"),
        Step(MONITORING, "监测帮扶中", VILLAGE, "提出风险消除"),
        Step(ELIM_CHECK, "风险消除入户核实", VILLAGE, "完成消除核实"),
        Step(ELIM_REVIEW, "风险消除民主评议", VILLAGE, "完成民主评议"),
        Step(ELIM_NOTICE, "风险消除公示", VILLAGE, "公示期满,无异议", notice=True),
        Step(ELIM_TOWNSHIP, "风险消除乡镇审核", TOWNSHIP, "审核通过"),
        Step(ELIM_COUNTY, "风险消除县级审定", COUNTY, "审定风险消除"),
        Step(ELIMINATED, "已消除风险", ""),
        Step(REFUSED, "不予纳入", ""),
    )
}

IDENTIFICATION_PATH: tuple[str, ...] = (
    HOME_CHECK,
    ASSET_CHECK,
    VILLAGE_REVIEW,
    PUBLIC_NOTICE,
    TOWNSHIP_REVIEW,
    COUNTY_APPROVAL,
    ANNOUNCEMENT,
    MONITORING,
)
ELIMINATION_PATH: tuple[str, ...] = (
    MONITORING,
    ELIM_CHECK,
    ELIM_REVIEW,
    ELIM_NOTICE,
    ELIM_TOWNSHIP,
    ELIM_COUNTY,
    ELIMINATED,
)
# Being identified: the steps before the county's decision. From 公告 on the household is monitored (the
# approval wrote its category and confirmed its alerts): no clock, no refusal, no sending back past it.
IDENTIFYING: frozenset[str] = frozenset(IDENTIFICATION_PATH[: IDENTIFICATION_PATH.index(ANNOUNCEMENT)])
ELIMINATING: frozenset[str] = frozenset(ELIMINATION_PATH[1:-1])
CLOSED: frozenset[str] = frozenset({ELIMINATED, REFUSED})
# A household is monitored (监测对象) from county approval until its elimination is approved.
MONITORED_STATES: frozenset[str] = frozenset({ANNOUNCEMENT, MONITORING} | ELIMINATING)
STATE_CHOICES: list[tuple[str, str]] = [(code, step.label) for code, step in STEPS.items()]


def next_state(state: str) -> str:
    """The state a case moves to when its current step is completed (ValueError for a closed case)."""
    for path in (IDENTIFICATION_PATH, ELIMINATION_PATH):
        if state in path[:-1]:
            return path[path.index(state) + 1]
    raise ValueError(f"{STEPS[state].label}: 档案已办结,没有下一步")


def earlier_states(state: str) -> tuple[str, ...]:
    """The steps a case in `state` may be sent back to (退回), nearest first: the earlier steps of its
    own procedure. Monitoring and the closed states send nothing back."""
    if state == ANNOUNCEMENT:
        return ()  # approved: the decision is not sent back (docs/domain.md §20)
    for path in (IDENTIFICATION_PATH[:-1], ELIMINATION_PATH[1:-1]):
        if state in path:
            return tuple(reversed(path[: path.index(state)]))
    return ()


def can_refuse(state: str) -> bool:
    """不予纳入 closes a case still being identified (with a reason)."""
    return state in IDENTIFYING


def can_reject_elimination(state: str) -> bool:
    """A proposed elimination can be turned down at any of its steps: the case goes back to monitoring."""
    return state in ELIMINATING


# Deadlines (docs/domain.md §5): clue to decision within 15 days, a setting per region (some provinces use
# 10 working days). A case turns orange DUE_SOON_DAYS before its limit and red once past it.
DEFAULT_LIMIT_DAYS = 15
DUE_SOON_DAYS = 3
GREEN, ORANGE, RED = "green", "orange", "red"


def add_days(start: date, days: int, *, working_days: bool = False) -> date:
    """`days` after `start`: calendar days, or Monday-to-Friday days when `working_days` (public holidays
    and the make-up working Saturdays are not modelled: docs/domain.md §20)."""
    if not working_days:
        return start + timedelta(days=days)
    d = start
    left = days
    while left > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


def deadline_colour(due: date | None, today: date, *, done: bool = False) -> str:
    """red past the limit, orange within DUE_SOON_DAYS of it, green otherwise (or once decided)."""
    if due is None or done:
        return GREEN
    if today > due:
        return RED
    if (due - today).days <= DUE_SOON_DAYS:
        return ORANGE
    return GREEN


def deadline_text(due: date, today: date) -> str:
    """What is left of a running deadline, as the pages say it: 剩 3 天, 今天到期, 已超期 2 天."""
    days = (due - today).days
    if days < 0:
        return f"已超期 {-days} 天"
    if days == 0:
        return "今天到期"
    return f"剩 {days} 天"


# Notices (docs/domain.md §5): at least 5 full days. Posted on day D, the full days are D+1 … D+5, so the
# notice may be closed on D+6 at the earliest.
NOTICE_FULL_DAYS = 5


def notice_may_close_on(posted_on: date) -> date:
    return posted_on + timedelta(days=NOTICE_FULL_DAYS + 1)


# Risk elimination (docs/domain.md §7).
ELIMINATION_MIN_MONTHS = 6
ASSISTED, NATURAL = "assisted", "natural"
ELIMINATION_METHODS: dict[str, str] = {ASSISTED: "帮扶消除", NATURAL: "自然消除"}
# 回头看 (docs/domain.md §7, §20): when an elimination is approved, the household is checked again this many
# months later (each a FollowUpCheck due on that day).
FOLLOW_UP_MONTHS: tuple[int, ...] = (3, 6)
# Up to five risk types per household (致贫/返贫风险1-5, docs/domain.md §3).
MAX_RISKS = 5


def months_after(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    month += 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class MeasureCategory:
    code: str
    label: str
    dictionary: str  # the national measure dictionary (docs/domain.md §6)
    development: bool  # 开发式 (industry, jobs …) against 保障性 (protective)


# The measure catalogue (docs/domain.md §6), in the order forms offer it.
MEASURE_CATEGORIES: dict[str, MeasureCategory] = {
    m.code: m
    for m in (
        MeasureCategory("industry", "产业帮扶", "100A39", True),
        MeasureCategory("employment", "就业帮扶", "100A40", True),
        MeasureCategory("finance", "金融帮扶", "100A41", True),
        MeasureCategory("public_job", "公益岗位帮扶", "100A42", True),
        MeasureCategory("health", "健康帮扶", "100A45", False),
        MeasureCategory("compulsory_education", "义务教育保障", "100A46", False),
        MeasureCategory("other_education", "其他教育帮扶", "100A47", True),
        MeasureCategory("social_security", "综合保障", "100A48", False),
        MeasureCategory("housing", "住房安全保障", "100A50", False),
        MeasureCategory("water", "饮水安全保障", "100A51", False),
        MeasureCategory("social_aid", "社会帮扶", "100A52", False),
        MeasureCategory("relocation", "搬迁", "100A53", False),
        MeasureCategory("living_conditions", "生产生活条件改善", "100A54", False),
        MeasureCategory("infrastructure", "基础设施", "100A55", False),
    )
}
MEASURE_CHOICES: list[tuple[str, str]] = [(c, m.label) for c, m in MEASURE_CATEGORIES.items()]
DEVELOPMENT_CATEGORIES: frozenset[str] = frozenset(c for c, m in MEASURE_CATEGORIES.items() if m.development)

# 缺什么补什么 (docs/domain.md §6): the measures proposed for each risk type, most fitting first. Natural
# disasters (02xx) share the 02 row.
RISK_MEASURES: dict[str, tuple[str, ...]] = {
    "01": ("health", "social_security", "employment"),
    "02": ("housing", "industry", "social_aid", "finance"),
    "03": ("social_security", "health", "public_job"),
    "04": ("social_security", "public_job", "industry"),
    "05": ("health", "social_aid", "employment"),
    "06": ("industry", "finance", "employment"),
    "07": ("employment", "public_job", "other_education"),
    "09": ("compulsory_education", "other_education", "finance"),
    "91": ("housing", "relocation"),
    "92": ("water", "infrastructure"),
    "93": ("health", "social_security", "social_aid"),
    "99": ("social_aid", "industry", "employment"),
}


def proposed_measures(risk_codes: list[str] | tuple[str, ...]) -> list[str]:
    """The measure categories that answer `risk_codes`, each once, in the order of the risks."""
    seen: list[str] = []
    for code in risk_codes:
        for category in RISK_MEASURES.get(code[:2] if code.startswith("02") else code, ()):
            if category not in seen:
                seen.append(category)
    return seen


def measures_match(risk_codes: list[str] | tuple[str, ...], categories: list[str] | set[str]) -> list[str]:
    """The risks of `risk_codes` that no measure of `categories` answers (empty: every risk is answered)."""
    have = set(categories)
    return [
        code
        for code in risk_codes
        if not have & set(RISK_MEASURES.get(code[:2] if code.startswith("02") else code, ()))
    ]
