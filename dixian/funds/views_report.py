"""The funds-and-projects page of a region (/funds/, docs/domain.md §22 "Figures") and its workbook.

Asked as `?year=2023&region=<12-digit code>`: the unit defaults to the account's own and must lie in its
subtree (an unknown code, or one outside, answers 404, as the leaders' dashboard does); a year that is not
one is named in a notice and the current year shown. Every figure links to the list behind it, filtered to
the unit (the lists take the unit by id, common/filters.py).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.accounts.models import User
from dixian.common.access import code_in_scope, region_range_q
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.spreadsheets import Sheet, workbook
from dixian.regions.models import Region

from .figures import RegionReport, region_report
from .report import TABLE_KEYS, Line, drill_link, lines, report_lines

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGION_CODE = re.compile(r"\d{12}")
YEAR = re.compile(r"\d{4}")
FIRST_YEAR = 2015  # the 衔接资金 began in 2021; earlier 专项扶贫资金 may be imported for comparison
PICKER_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)


class NoRegion(Exception):
    """The account has no region: it has no figures to see (the page says so)."""


@dataclass
class Asked:
    region: Region
    year: int
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


def _year(raw: str, notices: list[str]) -> int:
    current = timezone.localdate().year
    raw = raw.strip()
    if not raw:
        return current
    if not YEAR.fullmatch(raw) or not FIRST_YEAR <= int(raw) <= current + 1:
        notices.append(f"年度“{raw[:10]}”无法显示,已显示{current}年。")
        return current
    return int(raw)


def _asked(request: AuthenticatedHttpRequest) -> Asked:
    notices: list[str] = []
    region = _region(request.user, request.GET.get("region", ""))
    return Asked(region, _year(request.GET.get("year", ""), notices), notices)


def _linked(items: list[Line]) -> list[tuple[Line, str | None]]:
    return [(line, drill_link(*line.drill) if line.drill else None) for line in items]


def _table(
    report: RegionReport,
) -> tuple[list[Line], list[tuple[Region | None, str, list[tuple[Line, str | None]]]]]:
    headers: list[Line] = []
    rows = []
    for row in report.rows:
        unit = row.region or report.region
        chosen = {
            line.key: line
            for line in lines(
                row.figures, year=report.year, region_pk=unit.pk, share_min=report.industry_share_min
            )
        }
        cells = [chosen[k] for k in TABLE_KEYS]
        headers = cells
        # The 本级 row's lists would show the whole unit: its figures link nowhere but its own page.
        linked: list[tuple[Line, str | None]] = _linked(cells) if row.region else [(c, None) for c in cells]
        rows.append((row.region, row.label, linked))
    return headers, rows


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
    """The units from the account's own down to `region`: a unit above the account's is not named (the
    leak walk checks that no page names a unit out of scope)."""
    codes = [region.code[:n].ljust(12, "0") for n in (4, 6, 9) if len(region.prefix) > n]
    above = {r.code: r for r in Region.objects.filter(code__in=codes)}
    chain = [above[c] for c in codes if c in above] + [region]
    return [r for r in chain if code_in_scope(user, r.code)]


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        asked = _asked(request)
    except NoRegion:
        return render(request, "funds/report_no_region.html")
    result = region_report(asked.region, asked.year)
    headers, rows = _table(result)
    current = timezone.localdate().year
    context = {
        "asked": asked,
        "report": result,
        "headline": _linked(report_lines(result)),
        "headers": headers,
        "rows": rows,
        "years": list(range(current + 1, FIRST_YEAR - 1, -1)),
        "picker": _picker(request.user),
        "breadcrumb": _breadcrumb(request.user, asked.region),
        "empty": result.total.planned == 0 and not result.total.issued,
    }
    return render(request, "funds/report.html", context)


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def report_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        asked = _asked(request)
    except NoRegion as exc:
        raise Http404("账号没有分配区划。") from exc
    result = region_report(asked.region, asked.year)
    return _workbook(result)


def _workbook(result: RegionReport) -> HttpResponse:
    """Two sheets: the unit's figures, and the table by child region (common/spreadsheets.py)."""
    buffer = io.BytesIO()
    book = workbook(buffer)
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    title = f"{result.region.name} {result.year}年衔接资金和项目"
    figures = Sheet(book, "主要指标", [("指标", 24), ("数值", 20), ("单位", 8), ("说明", 24)], formats)
    for line in report_lines(result):
        figures.write([line.label, _cell(line), line.unit, line.flag])
    figures.finish()
    figures.ws.write_string(figures.row + 1, 0, title)
    if result.rows:
        named = {
            line.key: line.label for line in lines(result.rows[0].figures, year=result.year, region_pk=None)
        }
        headers = [(named[k], 14) for k in TABLE_KEYS]
        table = Sheet(book, "分地区", [("地区", 16), *headers], formats)
        for row in result.rows:
            by_key = {line.key: line for line in lines(row.figures, year=result.year, region_pk=None)}
            table.write([row.label, *(_cell(by_key[k]) for k in TABLE_KEYS)])
        table.finish()
        table.ws.write_string(table.row + 1, 0, title)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="funds-{result.region.code}-{result.year}.xlsx"'
    return response


def _cell(line: Line) -> object:
    """A rate as its percentage text (a workbook number would lose the "%" reading); amounts and counts as
    numbers; a rate over nothing as "—"."""
    if line.value is None or line.unit == "%":
        return line.text
    return line.value
