"""The monthly survey's row rules (就业信息摸排, docs/domain.md §23), as pure functions.

One definition of what a survey row must say, asked by the village form (`services.survey_record`), the
carry-over (`services.survey_carry_over`) and, with the same meaning, by the workbook import's bulk checks
(`imports.py`). No database: the checks that need one (the roll of the month, a second row of the same
person and month in one workbook) stay with the callers.

`values` is a mapping of the parsed values of one row (codes of `dixian.domain.employment`'s dictionaries,
not labels):

    working             bool | None   是否务工就业 (None: not answered)
    place_tier          str           务工地域 code (PLACE_TIER), "" when not given
    employer            str           就业单位或帮扶车间
    channel             str           就业渠道 code (CHANNEL)
    months_worked       int | None    本年务工月数 (None counts as 0)
    wage_band           str           月工资收入 code (WAGE_BAND)
    not_working_reason  str           未就业原因 code (NOT_WORKING_REASON)
    willing             bool | None   有就业意愿
    note                str           备注

Missing keys read as empty. Every message is Chinese and says what is wrong and what to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dixian.domain import employment as e

# The fields of a survey row, in the order the form and the workbook show them.
FIELDS: tuple[str, ...] = (
    "working",
    "place_tier",
    "employer",
    "channel",
    "months_worked",
    "wage_band",
    "not_working_reason",
    "willing",
    "note",
)
# Said only of a worker who works this month, and only of one who does not (`normalised` drops the others).
WORKING_ONLY: tuple[str, ...] = ("place_tier", "employer", "channel", "wage_band")
IDLE_ONLY: tuple[str, ...] = ("not_working_reason", "willing")
# The dictionary of each coded field (dixian.domain.employment.DICTIONARIES).
CODED: dict[str, str] = {
    "place_tier": "place_tier",
    "channel": "channel",
    "wage_band": "wage_band",
    "not_working_reason": "not_working_reason",
}
LABELS: dict[str, str] = {
    "month": "摸排月份",
    "working": "是否务工就业",
    "place_tier": "务工地域",
    "employer": "就业单位或帮扶车间",
    "channel": "就业渠道",
    "months_worked": "本年务工月数",
    "wage_band": "月工资收入",
    "not_working_reason": "未就业原因",
    "willing": "有就业意愿",
    "note": "备注",
}
EMPLOYER_MAX = 100
NOTE_MAX = 200


def current_month(today: dt.date) -> dt.date:
    """The first day of the month `today` is in: the latest month a survey may be recorded for."""
    return today.replace(day=1)


def months_elapsed(month: dt.date) -> int:
    """Months of the year up to and including `month` (October: 10): the most a worker can have worked."""
    return month.month


def month_errors(month: dt.date, today: dt.date) -> list[tuple[str, str]]:
    """A survey month after the current one is refused (docs/domain.md §23)."""
    now = current_month(today)
    if month.replace(day=1) > now:
        return [
            (
                "month",
                f"摸排月份{e.month_label(month)}晚于本月({e.month_label(now)}),"
                "不能填报未来月份的摸排,请改为本月或以前的月份",
            )
        ]
    return []


def _labels(name: str) -> str:
    return " / ".join(v.label for v in e.DICTIONARIES[name].values)


def survey_row_errors(values: Mapping[str, Any], month: dt.date, today: dt.date) -> list[tuple[str, str]]:
    """Every rule a survey row breaks, as (field, Chinese message); empty when the row may be stored.

    The rules (docs/domain.md §23): the month is not after the current month; whether the worker works is
    answered; a worker who works has a place tier and a channel; one who does not has a reason and says
    whether willing to work; months worked this year are 0..months elapsed in the year (October: ≤ 10);
    coded values belong to their dictionaries; texts fit their columns. Fields that do not apply to the
    answer (a reason given for a worker who works) are not errors: `normalised` drops them.
    """
    errors = month_errors(month, today)
    working = values.get("working")
    for field, dictionary in CODED.items():
        code = values.get(field) or ""
        if code and code not in {str(v.code) for v in e.DICTIONARIES[dictionary].values}:
            errors.append((field, f"「{code}」不是有效的{LABELS[field]},可填:{_labels(dictionary)}"))
    if working is None:
        errors.append(("working", "请填写是否务工就业(是 / 否)"))
    elif working:
        if not values.get("place_tier"):
            errors.append(("place_tier", f"务工就业的人员须填写务工地域({_labels('place_tier')})"))
        if not values.get("channel"):
            errors.append(("channel", f"务工就业的人员须填写就业渠道({_labels('channel')})"))
    else:
        if not values.get("not_working_reason"):
            errors.append(
                ("not_working_reason", f"未务工就业的人员须填写未就业原因({_labels('not_working_reason')})")
            )
        if values.get("willing") is None:
            errors.append(("willing", "未务工就业的人员须填写是否有就业意愿(是 / 否)"))
    months = values.get("months_worked")
    if months is not None:
        elapsed = months_elapsed(month)
        if isinstance(months, bool) or not isinstance(months, int):
            errors.append(("months_worked", "本年务工月数须填写 0 到 12 之间的整数"))
        elif months < 0:
            errors.append(("months_worked", "本年务工月数不能为负数,请填写 0 或以上的整数"))
        elif months > elapsed:
            errors.append(
                (
                    "months_worked",
                    f"本年务工月数 {months} 超过了{month.year}年到{month.month}月已过的 {elapsed} 个月,"
                    f"请填写 0 到 {elapsed} 之间的数",
                )
            )
    if len(str(values.get("employer") or "")) > EMPLOYER_MAX:
        errors.append(("employer", f"就业单位或帮扶车间最多 {EMPLOYER_MAX} 个字,请简写"))
    if len(str(values.get("note") or "")) > NOTE_MAX:
        errors.append(("note", f"备注最多 {NOTE_MAX} 个字,请简写"))
    return errors


def normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """The row as stored: every field present, texts stripped, and the fields that do not apply to the
    answer emptied (a worker who works keeps no reason or willingness; one who does not keeps no place,
    employer, channel or wage). Months worked default to 0."""
    out: dict[str, Any] = {
        "working": values.get("working"),
        "place_tier": values.get("place_tier") or "",
        "employer": str(values.get("employer") or "").strip(),
        "channel": values.get("channel") or "",
        "months_worked": values.get("months_worked") or 0,
        "wage_band": values.get("wage_band") or "",
        "not_working_reason": values.get("not_working_reason") or "",
        "willing": values.get("willing"),
        "note": str(values.get("note") or "").strip(),
    }
    if out["working"]:
        out.update(not_working_reason="", willing=None)
    elif out["working"] is not None:
        out.update(place_tier="", employer="", channel="", wage_band="")
    return out


def carried_months_worked(previous: int, working: bool, previous_month: dt.date, month: dt.date) -> int:
    """Months worked this year of a record carried over from `previous_month` (本月无变化): one more when
    working and still the same year; in a new year 1 when working, else 0; never more than the months
    elapsed (docs/domain.md §23)."""
    if previous_month.year != month.year:
        return 1 if working else 0
    return min(previous + (1 if working else 0), months_elapsed(month))
