"""The rules of village governance (docs/domain.md §28): the six steps of 四议两公开 in their order, what is
missing once a decision is implemented or closed, and Dixian's deadlines for the next step. Pure functions,
no database: services.py, the check command and the generator share them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

# (code, label) in the order the steps must be taken.
STEPS: tuple[tuple[str, str], ...] = (
    ("proposal", "党支部提议"),
    ("discussion", "两委商议"),
    ("members_review", "党员大会审议"),
    ("representatives", "村民代表会议决议"),
    ("resolution_disclosure", "决议公开"),
    ("result_disclosure", "实施结果公开"),
)
STEP_CODES = tuple(code for code, _ in STEPS)
STEP_LABELS = dict(STEPS)
DELIBERATIONS = STEP_CODES[:4]
MEETINGS = frozenset({"discussion", "members_review", "representatives"})  # attendance and votes apply
# Required once implemented: the four deliberations and the published decision; once closed, the result too.
REQUIRED_IMPLEMENTED = STEP_CODES[:5]
REQUIRED_CLOSED = STEP_CODES

# Dixian's deadlines (docs/domain.md §28 "What is due").
NEXT_DELIBERATION_DAYS = 30
RESOLUTION_DISCLOSURE_DAYS = 7
RESULT_DISCLOSURE_DAYS = 30

FINDING_CATEGORY = "四议两公开"


def step_index(code: str) -> int:
    return STEP_CODES.index(code)


def order_problem(code: str, on: dt.date, recorded: Mapping[str, dt.date], today: dt.date) -> str | None:
    """Why `code` dated `on` cannot be recorded next to the steps already `recorded` (code → date), or None.

    A step may not be dated before an earlier recorded step, after a later recorded step, or in the future."""
    if on > today:
        return f"{STEP_LABELS[code]}的日期不能晚于今天,请核对"
    k = step_index(code)
    for earlier in STEP_CODES[:k]:
        if earlier in recorded and on < recorded[earlier]:
            return (
                f"{STEP_LABELS[code]}的日期({on:%Y-%m-%d})早于{STEP_LABELS[earlier]}"
                f"({recorded[earlier]:%Y-%m-%d}),程序顺序不对,请核对日期"
            )
    for later in STEP_CODES[k + 1 :]:
        if later in recorded and on > recorded[later]:
            return (
                f"{STEP_LABELS[code]}的日期({on:%Y-%m-%d})晚于{STEP_LABELS[later]}"
                f"({recorded[later]:%Y-%m-%d}),程序顺序不对,请核对日期"
            )
    return None


def missing_steps(recorded: Iterable[str], status: str) -> list[str]:
    """The steps a decision in `status` (open / implemented / closed) lacks: none while it is deliberated."""
    have = set(recorded)
    if status == "implemented":
        return [c for c in REQUIRED_IMPLEMENTED if c not in have]
    if status == "closed":
        return [c for c in REQUIRED_CLOSED if c not in have]
    return []


def next_due(
    recorded: Mapping[str, dt.date], status: str, implemented_on: dt.date | None
) -> tuple[str, dt.date | None]:
    """(the next step to take, its due date) — ("", None) when nothing is due (closed, or all done).

    Deliberations: 30 days after the last recorded one (none is due before the proposal: a matter exists
    from its proposal on); 决议公开 7 days after the representatives' decision; 实施结果公开 30 days after
    the implementation."""
    if status == "closed":
        return "", None
    if "result_disclosure" in recorded:
        return "", None
    if status == "implemented":
        if implemented_on is None:
            return "result_disclosure", None
        return "result_disclosure", implemented_on + dt.timedelta(days=RESULT_DISCLOSURE_DAYS)
    if "resolution_disclosure" in recorded:
        return "", None  # waiting for the implementation
    if "representatives" in recorded:
        return "resolution_disclosure", recorded["representatives"] + dt.timedelta(
            days=RESOLUTION_DISCLOSURE_DAYS
        )
    done = [c for c in DELIBERATIONS if c in recorded]
    if not done:
        return "proposal", None
    last = done[-1]
    following = STEP_CODES[step_index(last) + 1]
    return following, recorded[last] + dt.timedelta(days=NEXT_DELIBERATION_DAYS)


def votes_problem(
    expected: int | None, attending: int | None, votes: tuple[int | None, int | None, int | None]
) -> str | None:
    """Attendance and votes that cannot be: attending above expected, votes above those attending."""
    if expected is not None and attending is not None and attending > expected:
        return f"实到人数({attending})不能多于应到人数({expected}),请核对"
    cast = sum(v for v in votes if v is not None)
    if attending is not None and cast > attending:
        return f"赞成、反对、弃权合计 {cast} 票,多于实到人数({attending}),请核对"
    return None
