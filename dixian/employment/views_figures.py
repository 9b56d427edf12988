"""The employment figures page of a unit (`employment:figures`, docs/domain.md §23 "Figures") and its workbook.

Asked as `?region=<12-digit code>&month=2026-10`: the unit defaults to the account's own and must lie in its
subtree (an unknown code, or one outside, answers 404, as the funds page and the dashboard do); the month
defaults to the latest with survey records in the unit (up to the current month), and a month that is not one,
or is still to come, is named in a notice and the default shown. Figures are counts of the survey records
and the roll (`figures.py`), never a person: the lists behind them scope and mask as always.

Every figure leads to what is behind it: a child unit's row and a falling township to that unit's own figures
page, always; the roll, the records and the employed to the roll list (`employment:roll`, filtered to the unit
and month, by tier and channel) as soon as that URL name resolves (the list is built beside this page).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.accounts.models import User
from dixian.common.access import code_in_scope, region_range_q
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.spreadsheets import Sheet, workbook
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError
from dixian.regions.models import Region

from .figures import (
    PERCENT,
    Breakdown,
    Line,
    Report,
    TrendPoint,
    by_channel,
    by_tier,
    headline_lines,
    latest_month,
    percent,
    region_report,
    trend,
    value_text,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGION_CODE = re.compile(r"\d{12}")
PICKER_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)
# The roll list behind the figures (built by the survey pages): its URL name, filtered by these parameters.
ROLL_LIST = "employment:roll_list"


class NoRegion(Exception):
    """The account has no region: it has no figures to see (the page says so)."""


@dataclass
class Asked:
    region: Region
    month: dt.date
    notices: list[str]


def _region(user: User, raw: str) -> Region:
    raw = raw.strip()
    if not raw:
        if user.region is None:
            raise NoRegion
        return user.region
    if not REGION_CODE.fullmatch(raw) or not code_in_scope(user, raw):
        raise Http404("没有找到这个区划。")
    found = Region.objects.filter(code=raw).exclude(level=Region.Level.GROUP).first()
    if found is None:
        raise Http404("没有找到这个区划。")
    return found


def _month(region: Region, raw: str, notices: list[str]) -> dt.date:
    """The month asked, or the latest month with records in the unit (the current month when none has)."""
    current = e.month_parse(timezone.localdate())
    raw = raw.strip()[:20]
    if raw:
        try:
            month = e.month_parse(raw)
        except ParseError as exc:
            notices.append(f"{exc}。已显示最近有摸排记录的月份。")
        else:
            if month <= current:
                return month
            notices.append(f"{e.month_label(month)}还未到,没有摸排数据。已显示最近有摸排记录的月份。")
    return latest_month(region.prefix, until=current) or current


def _asked(request: AuthenticatedHttpRequest) -> Asked:
    notices: list[str] = []
    region = _region(request.user, request.GET.get("region", ""))
    return Asked(region, _month(region, request.GET.get("month", ""), notices), notices)


def _roll_link(region: Region, month: dt.date, **filters: str) -> str | None:
    """The roll list of the unit and month (with filters), or None while that list does not exist."""
    try:
        url = reverse(ROLL_LIST)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'region': region.pk, 'month': e.month_key(month), **filters})}"


def figures_link(region: Region, month: dt.date) -> str:
    return (
        f"{reverse('employment:figures')}?{urlencode({'region': region.code, 'month': e.month_key(month)})}"
    )


# Which figures lead to the roll list, and with which filters.
LINE_FILTERS: dict[str, dict[str, str]] = {
    "employed": {"working": "1"},
    "roll": {},
    "records": {"recorded": "yes"},
    "coverage": {"recorded": "yes"},
}


def _linked_lines(report: Report) -> list[tuple[Line, str | None]]:
    out: list[tuple[Line, str | None]] = []
    for line in headline_lines(report):
        url = None
        if line.key in LINE_FILTERS:
            url = _roll_link(report.region, report.month, **LINE_FILTERS[line.key])
        elif line.key == "falling_townships" and report.falling:
            url = "#falling"
        out.append((line, url))
    return out


def _breakdown_rows(
    report: Report, rows: list[Breakdown], param: str
) -> list[tuple[Breakdown, str | None, str]]:
    """(row, link to its workers, share of the month's employed)."""
    total = report.total.employed
    return [
        (
            b,
            _roll_link(report.region, report.month, working="1", **{param: b.code}) if b.code else None,
            value_text(percent(b.employed, total), PERCENT),
        )
        for b in rows
    ]


def _picker(user: User) -> list[Region]:
    """The units the account may ask for, down to the townships (a village is reached from its township's
    table): one query."""
    if user.region is None:
        return []
    return list(
        Region.objects.filter(region_range_q(user.region.prefix, "code"), level__in=PICKER_LEVELS)
        .only("id", "code", "name", "level")
        .order_by("code")
    )


def _breadcrumb(user: User, region: Region) -> list[Region]:
    """The units from the account's own down to `region`; a unit above the account's is not named (the leak
    walk checks that no page names a unit out of scope)."""
    codes = [region.code[:n].ljust(12, "0") for n in (4, 6, 9) if len(region.prefix) > n]
    if not codes:
        return [region]
    above = {r.code: r for r in Region.objects.filter(code__in=codes)}
    chain = [above[c] for c in codes if c in above] + [region]
    return [r for r in chain if code_in_scope(user, r.code)]


def _chart(points: list[TrendPoint], report: Report) -> dict[str, object]:
    return {
        "labels": [f"{p.month.year}-{p.month.month:02d}" for p in points],
        "series": [
            {"name": "务工就业人数", "values": [p.employed for p in points]},
            {"name": f"基准年({report.base_year}年)同月", "values": [p.base_employed for p in points]},
        ],
        "unit": "人",
    }


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def figures(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        asked = _asked(request)
    except NoRegion:
        return render(request, "employment/figures_no_region.html")
    report = region_report(asked.region, asked.month)
    points = trend(asked.region, asked.month, policy=report.policy)
    rows = [(row, figures_link(row.region, asked.month) if row.region else None) for row in report.rows]
    context = {
        "asked": asked,
        "month_key": e.month_key(asked.month),
        "month_label": e.month_label(asked.month),
        "max_month": e.month_key(e.month_parse(timezone.localdate())),
        "report": report,
        "headline": _linked_lines(report),
        "breakdowns": [
            ("按务工地域", "tier", _breakdown_rows(report, by_tier(report.total), "place_tier")),
            ("按就业渠道", "channel", _breakdown_rows(report, by_channel(report.total), "channel")),
        ],
        "rows": rows,
        "falling": [(f, figures_link(f.region, asked.month)) for f in report.falling],
        "points": points,
        "chart": _chart(points, report),
        "picker": _picker(request.user),
        "breadcrumb": _breadcrumb(request.user, asked.region),
        "empty": report.total.is_empty,
    }
    return render(request, "employment/figures.html", context)


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def figures_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        asked = _asked(request)
    except NoRegion as exc:
        raise Http404("账号没有分配区划。") from exc
    report = region_report(asked.region, asked.month)
    points = trend(asked.region, asked.month, policy=report.policy)
    return _workbook(report, points)


def _workbook(report: Report, points: list[TrendPoint]) -> HttpResponse:
    """The page's figures as sheets: 主要指标, 按务工地域, 按就业渠道, 分地区, 下降乡镇, 近12个月."""
    buffer = io.BytesIO()
    book = workbook(buffer)
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    # Units by their own names: a full name would name the units above the account's (the leak walk).
    title = f"{report.region.name} {e.month_label(report.month)}脱贫劳动力和监测劳动力务工就业情况"
    base = f"{report.months.base.year}年{report.months.base.month}月"

    def pct(value: Decimal | None) -> str:
        """A percentage as its text: a workbook number would lose the "%" reading."""
        return value_text(value, PERCENT)

    head = Sheet(book, "主要指标", [("指标", 36), ("数值", 16), ("单位", 8)], formats)
    for line in headline_lines(report):
        if line.unit == PERCENT or line.value is None:
            head.write([line.label, line.text, ""])
        else:
            head.write([line.label, line.value, line.unit])
    head.finish()
    head.ws.write_string(head.row + 1, 0, title)

    for name, rows in (("按务工地域", by_tier(report.total)), ("按就业渠道", by_channel(report.total))):
        sheet = Sheet(
            book,
            name,
            [(name[1:], 14), ("务工就业人数", 14), (f"{base}人数", 16), ("占基准年同期", 14)],
            formats,
        )
        for b in rows:
            sheet.write([b.label, b.employed, b.base, pct(b.ratio)])
        sheet.finish()

    if report.rows:
        units = Sheet(
            book,
            "分地区",
            [
                ("地区", 18),
                ("劳动力名册人数", 14),
                ("本月摸排记录", 14),
                ("摸排覆盖率", 12),
                ("务工就业人数", 14),
                ("上月务工就业人数", 16),
                ("较上月增减", 12),
                (f"{base}人数", 16),
                ("占基准年同期", 14),
            ],
            formats,
        )
        for row in report.rows:
            f = row.figures
            units.write(
                [
                    row.label,
                    f.roll,
                    f.records,
                    pct(f.coverage),
                    f.employed,
                    f.previous_month.employed,
                    f.change_from_previous_month,
                    f.base.employed,
                    pct(f.base_ratio),
                ]
            )
        units.finish()

    falling = Sheet(
        book,
        "就业人数下降乡镇",
        [("乡镇", 18), ("上月务工就业人数", 16), ("本月务工就业人数", 16), ("减少", 10)],
        formats,
    )
    for fell in report.falling:
        falling.write([fell.region.name, fell.previous, fell.current, fell.fall])
    falling.finish()

    trend_sheet = Sheet(
        book,
        "近12个月",
        [("月份", 12), ("务工就业人数", 14), ("基准年同月", 12), ("基准年同月人数", 16)],
        formats,
    )
    for p in points:
        trend_sheet.write([e.month_key(p.month), p.employed, e.month_key(p.base_month), p.base_employed])
    trend_sheet.finish()
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="employment-{report.region.code}-{e.month_key(report.month)}.xlsx"'
    )
    return response
