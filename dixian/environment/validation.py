"""The rules of a weekly report and of the week calendar (docs/domain.md §27), in one place: the services,
the form and the tests read them from here. Pure functions, no database."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dixian.common import due

DEADLINE_TEXT = re.compile(r"^\s*(\d{1,2})\s+(\d{1,2}):(\d{2})\s*$")


class DeadlineSettingError(ValueError):
    pass


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_label(monday: dt.date) -> str:
    """2026-W42: the ISO week of the Monday."""
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def week_parse(text: str) -> dt.date | None:
    """The Monday of "2026-W42" or of a date "2026-10-14"; None when it names no week or a year outside the
    dispatch's range (dixian.common.due.WEEK_YEARS: a week of year 1 or 9999 would overflow the dates around it)."""
    try:
        return due.week_parse(text)
    except due.WeekError:
        return None


def deadline_parse(text: str) -> tuple[int, dt.time]:
    """ "0 12:00" → (0 days after the following Monday, 12:00)."""
    m = DEADLINE_TEXT.match(text or "")
    if not m:
        raise DeadlineSettingError(f"DIXIAN_ENVIRONMENT_DEADLINE “{text}”应为“天数 时:分”,如“0 12:00”")
    days, hour, minute = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if days > 6 or hour > 23 or minute > 59:
        raise DeadlineSettingError(f"DIXIAN_ENVIRONMENT_DEADLINE “{text}”超出范围:天数 0–6,时 0–23,分 0–59")
    return days, dt.time(hour, minute)


def deadline_of(monday: dt.date, setting: str) -> dt.datetime:
    """The naive local time by which the week starting `monday` must be reported."""
    days, at = deadline_parse(setting)
    return dt.datetime.combine(monday + dt.timedelta(days=7 + days), at)


@dataclass(frozen=True)
class Figures:
    """What a township types for one village and week."""

    toilets_upgraded: int
    toilets_sanitary: int
    toilets_in_use: int
    garbage_covered: int
    sewage_households: int
    works_done: int


FIELD_LABELS = {
    "toilets_upgraded": "本年已改造户厕",
    "toilets_sanitary": "卫生厕所户数",
    "toilets_in_use": "正常使用户数",
    "garbage_covered": "垃圾收运覆盖自然村数",
    "sewage_households": "污水治理覆盖户数",
    "works_done": "村庄整治已完成项数",
}


def report_problems(f: Figures, *, households: int, natural_villages: int) -> dict[str, str]:
    """field → why it is refused; empty when the row may be saved."""
    out: dict[str, str] = {}
    for name, label in FIELD_LABELS.items():
        if getattr(f, name) < 0:
            out[name] = f"{label}不能为负数"
    for name in ("toilets_upgraded", "toilets_sanitary", "toilets_in_use", "sewage_households"):
        value = getattr(f, name)
        if name not in out and value > households:
            out[name] = (
                f"{FIELD_LABELS[name]}{value}户超过本村户数{households}户(以农户信息库为准),"
                "请核对后重填;如农户信息库户数有误,请先更正农户信息"
            )
    if "toilets_upgraded" not in out and f.toilets_upgraded > f.toilets_sanitary >= 0:
        out["toilets_upgraded"] = (
            f"本年已改造户厕{f.toilets_upgraded}户超过卫生厕所户数{f.toilets_sanitary}户:"
            "改造后的户厕即是卫生厕所,请同时更新卫生厕所户数"
        )
    if "toilets_in_use" not in out and f.toilets_in_use > f.toilets_sanitary >= 0:
        out["toilets_in_use"] = f"正常使用{f.toilets_in_use}户超过卫生厕所户数{f.toilets_sanitary}户,请核对"
    if "garbage_covered" not in out and f.garbage_covered > natural_villages:
        out["garbage_covered"] = (
            f"垃圾收运覆盖{f.garbage_covered}个自然村,超过本村自然村数{natural_villages}个;"
            "请核对,或先在年度计划中更正自然村数"
        )
    return out


def plan_problems(*, toilets_planned: int, households: int) -> dict[str, str]:
    if toilets_planned > households:
        return {
            "toilets_planned": (
                f"年度改厕任务{toilets_planned}户超过本村户数{households}户(以农户信息库为准),请核对后重填"
            )
        }
    return {}
