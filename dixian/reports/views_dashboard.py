"""The dashboard (统计分析) and an indicator's page: figures of a unit and a month, read from facts only.

`/reports/?region=<12-digit code>&period=2026-10&mode=month|ytd&ind=<indicator>` and
`/reports/indicator/<code>/?region=&period=&mode=`. The unit defaults to the account's region and must lie
in its subtree (else 404, as every list answers: docs/domain.md §21); a period that is not a month is
named in a notice and the current month shown instead. Every chart has its table on the page and the
same table as .xlsx (`&format=xlsx&table=<key>`), and every number links to the list behind it when the
account may open that list (catalogue.drill_url). The page reads a fixed number of queries whatever the
number of units: facts, the unit, its ancestors and its children (docs/reports.md §2).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import code_in_scope
from dixian.common.locks import transaction_try_lock
from dixian.regions.models import Region

from .catalogue import GROUPS, Indicator, dim_label, drill_url, indicator_get, indicators_in_order
from .models import FactRefresh, StaleVillage
from .periods import Period, PeriodError
from .producers import ancestors_of
from .selectors import (
    MODES,
    Compared,
    Figure,
    Mode,
    breakdown,
    figures_compared,
    last_refresh,
    ranking,
    trend,
)
from .selectors_yield import rule_yield
from .services import REFRESH_LOCK, facts_refresh_stale

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.common.http import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)

REGION_CODE = re.compile(r"^\d{12}$")
# Before a page reads, villages marked stale are refreshed when they are this few: at city scale each costs
# 25–50 ms of producer queries plus the sums up the tree, so a page stays near its 300 ms budget (docs/
# benchmarks.md "Leaders' figures"); more wait for the worker (every minute), and the page says 数据更新中.
STALE_REFRESH_LIMIT = 5
TREND_MONTHS = 13
# The earliest month a page shows: before it no data of the platform can exist.
EARLIEST = Period(2000, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- numbers as shown ---------------------------------------------------------------------------------


def number_text(value: Decimal | None, indicator: Indicator) -> str:
    if value is None:
        return "—"
    if indicator.is_percent:
        return f"{value:.{indicator.places}f}%"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def change_text(change: Decimal | None, indicator: Indicator) -> str:
    if change is None:
        return "—"
    sign = "+" if change > 0 else ""
    return f"{sign}{change:.1f}个百分点" if indicator.is_percent else f"{sign}{change:.1f}%"


def change_class(change: Decimal | None, indicator: Indicator) -> str:
    """ "good" / "bad" by the indicator's `better`; "" when neither (a count of the registry) or no change."""
    if not change or not indicator.better:
        return ""
    return "good" if (change > 0) == (indicator.better == "up") else "bad"


def plain(value: Decimal | None) -> int | float | None:
    """A figure for a chart or a workbook cell: whole numbers as int."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# --- tables (on the page, and the same as .xlsx) --------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    value: Any = None  # what the workbook writes (a number stays a number); None: the text
    url: str | None = None
    css: str = ""


@dataclass
class Table:
    key: str  # the `table=` of its download
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    row_regions: list[str] = field(default_factory=list)  # the unit of each row (ranking rows)

    def labeled(self) -> list[tuple[str, list[tuple[str, Cell]]]]:
        """Each row as (its unit's code or "", [(column header, cell)]): a phone shows the header beside
        each cell (table.responsive, site.css)."""
        regions = self.row_regions or [""] * len(self.rows)
        return [
            (code, list(zip(self.headers, row, strict=True)))
            for code, row in zip(regions, self.rows, strict=True)
        ]


@dataclass
class Chart:
    key: str  # "trend", "ranking", "breakdown": the element's id is chart-<key>
    kind: str  # "line", "bar" (vertical), "hbar" (horizontal, a ranking)
    title: str
    table: Table
    data: dict[str, Any]

    @property
    def data_id(self) -> str:
        return f"chart-{self.key}-data"


def chart_data(
    kind: str,
    indicator: Indicator,
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    urls: Sequence[str | None],
) -> dict[str, Any]:
    """What charts.js draws (a <script type="application/json"> island: no inline code, docs/security.md §7)."""
    return {
        "kind": kind,
        "name": indicator.name,
        "unit": indicator.unit,
        "better": indicator.better,
        "labels": list(labels),
        "values": [plain(v) for v in values],
        "urls": list(urls),
    }


def workbook_response(table: Table, *, title: str, filename: str) -> HttpResponse:
    """The table as .xlsx (common/spreadsheets.py: text is never read as a formula)."""
    from dixian.common.spreadsheets import Sheet, workbook

    buffer = io.BytesIO()
    book = workbook(buffer)
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    sheet = Sheet(
        book, table.title[:31], [(h, 14 if i else 22) for i, h in enumerate(table.headers)], formats
    )
    for row in table.rows:
        sheet.write([cell.text if cell.value is None else cell.value for cell in row])
    sheet.finish()
    # The page's heading below the table: which unit, month and mode the numbers are.
    sheet.ws.write_string(sheet.row + 1, 0, title)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


# --- what the page was asked ------------------------------------------------------------------------


@dataclass
class Asked:
    region: Region
    period: Period
    mode: Mode
    notices: list[str]

    def query(self, **extra: str) -> str:
        params = {"region": self.region.code, "period": str(self.period), "mode": self.mode, **extra}
        return urlencode({k: v for k, v in params.items() if v})

    @property
    def label(self) -> str:
        return f"{self.region.name} {self.period.label}({MODES[self.mode]})"


class NoRegion(Exception):
    """The account has no region: it has no figures to see (the page says so)."""


def _region(user: User, raw: str) -> Region:
    """The unit asked for: the account's own by default; a code out of its subtree, or unknown, is 404."""
    raw = raw.strip()
    if not raw:
        if user.region is None:
            raise NoRegion
        return user.region
    if not REGION_CODE.match(raw) or not code_in_scope(user, raw):
        raise Http404("没有找到这个区划。")
    found = Region.objects.filter(code=raw).first()
    if found is None:
        raise Http404("没有找到这个区划。")
    return found


def period_asked(raw: str, notices: list[str]) -> Period:
    """The month a page was asked for; the current month, with a notice, for one it cannot show."""
    current = Period.current()
    raw = raw.strip()
    if not raw:
        return current
    try:
        period = Period.parse(raw)
    except PeriodError as exc:
        notices.append(f"{exc}已显示本月({current.label})。")
        return current
    if period > current:
        notices.append(f"{period.label}还没有到,已显示本月({current.label})。")
        return current
    if period < EARLIEST:
        notices.append(f"统计月份不能早于{EARLIEST.label},已显示本月({current.label})。")
        return current
    return period


def _mode(raw: str, notices: list[str]) -> Mode:
    raw = raw.strip()
    if raw == "ytd":
        return "ytd"
    if raw and raw != "month":
        notices.append(f"统计口径“{raw[:20]}”无法识别:请选“当月”或“年累计”。已按当月显示。")
    return "month"


def _asked(request: AuthenticatedHttpRequest) -> Asked:
    notices: list[str] = []
    region = _region(request.user, request.GET.get("region", ""))
    return Asked(
        region,
        period_asked(request.GET.get("period", ""), notices),
        _mode(request.GET.get("mode", ""), notices),
        notices,
    )


def _freshness() -> tuple[bool, FactRefresh | None]:
    """Refresh the few villages marked stale before reading; with many pending, say 数据更新中 instead.
    Returns (still updating, the last refresh)."""
    pending = StaleVillage.objects.values("pk")[: STALE_REFRESH_LIMIT + 1].count()
    updating = pending > STALE_REFRESH_LIMIT
    if pending and not updating:
        try:
            with transaction.atomic():
                # A page never waits for a refresh running elsewhere (the worker's, a run's: seconds at city
                # scale): it reads the last figures and says they are being updated.
                if transaction_try_lock(REFRESH_LOCK):
                    # Not the funds figures: recomputed whole, they cost seconds at city scale (docs/
                    # benchmarks.md "Funds and projects"); the worker's or the nightly refresh brings them.
                    facts_refresh_stale(whole=False)
                else:
                    updating = True
        except DatabaseError:
            # A refresh running elsewhere (the worker) wrote the same facts first: the page shows the
            # figures of the last refresh and says they are being updated, rather than failing.
            logger.exception("reports: refresh before reading failed")
            updating = True
    return updating, last_refresh()


def _breadcrumb(user: User, region: Region) -> list[tuple[Region, bool]]:
    """The units from the city down to `region`, each with whether the account may open its dashboard."""
    codes = ancestors_of(region.code)
    above = {r.code: r for r in Region.objects.filter(code__in=codes)} if codes else {}
    chain = [above[c] for c in reversed(codes) if c in above] + [region]
    return [(r, code_in_scope(user, r.code)) for r in chain]


def _periods_offered(current: Period, months: int = 25) -> list[Period]:
    return [current.back(i) for i in range(months)]


# --- the pieces both pages show ------------------------------------------------------------------------


def _figure_cells(compared: Compared, asked: Asked, user: User) -> tuple[Cell, Cell, Cell, Cell, Cell]:
    """(value, 上月, 环比, 去年同期, 同比) of one indicator; each figure links to the list behind it."""
    ind, period, region = compared.current.indicator, asked.period, asked.region

    def figure(fig: Figure, p: Period) -> Cell:
        return Cell(
            number_text(fig.value, ind), plain(fig.value), drill_url(ind, region, p, user, asked.mode)
        )

    mom, yoy = compared.month_on_month, compared.year_on_year
    return (
        figure(compared.current, period),
        figure(compared.previous, period.previous()),
        Cell(change_text(mom, ind), plain(mom), css=change_class(mom, ind)),
        figure(compared.year_ago, period.year_ago()),
        Cell(change_text(yoy, ind), plain(yoy), css=change_class(yoy, ind)),
    )


# The columns of a figure after its value (whose header is the mode: 当月 / 年累计).
FIGURE_HEADERS = ["上月", "环比", "去年同期", "同比"]


def _trend_chart(asked: Asked, ind: Indicator, user: User) -> Chart:
    points = trend(asked.region, asked.period, ind, TREND_MONTHS)
    table = Table("trend", f"{ind.name}近{TREND_MONTHS}个月", ["月份", f"{ind.name}({ind.unit})"])
    urls: list[str | None] = []
    for p, fig in points:
        url = drill_url(ind, asked.region, p, user)
        urls.append(url)
        table.rows.append([Cell(str(p)), Cell(number_text(fig.value, ind), plain(fig.value), url)])
    labels = [str(p) for p, _ in points]
    data = chart_data("line", ind, labels, [f.value for _, f in points], urls)
    return Chart("trend", "line", f"{table.title}(当月值)", table, data)


def _ranking_chart(asked: Asked, ind: Indicator, user: User, *, link: str, extra: dict[str, str]) -> Chart:
    """The units below, best first; each unit links to `link` (its dashboard, or its indicator page)."""
    ranked = ranking(asked.region, asked.period, ind, asked.mode)
    order = "由高到低" if ind.better != "down" else "由低到高"
    title = f"下级单位排名({ind.name},{order})"
    table = Table("ranking", "下级单位排名", ["名次", "单位", f"{ind.name}({ind.unit})"])
    labels, values, urls = [], [], []
    for r in ranked:
        page = f"{link}?{urlencode({**extra, 'region': r.region.code, 'period': str(asked.period), 'mode': asked.mode})}"
        table.rows.append(
            [
                Cell("—" if r.rank is None else str(r.rank), r.rank),
                Cell(r.region.name, url=page),
                Cell(
                    number_text(r.figure.value, ind),
                    plain(r.figure.value),
                    drill_url(ind, r.region, asked.period, user, asked.mode),
                ),
            ]
        )
        table.row_regions.append(r.region.code)
        labels.append(r.region.name)
        values.append(r.figure.value)
        urls.append(page)
    return Chart("ranking", "hbar", title, table, chart_data("hbar", ind, labels, values, urls))


def _xlsx_or_page(
    request: AuthenticatedHttpRequest, tables: Sequence[Table], asked: Asked, name: str
) -> HttpResponse | None:
    if request.GET.get("format") != "xlsx":
        return None
    key = request.GET.get("table", "")
    for table in tables:
        if table.key == key:
            return workbook_response(
                table,
                title=f"{asked.label} {table.title}",
                filename=f"{name}-{table.key}-{asked.region.code}-{asked.period}",
            )
    raise Http404("没有这张表。")


# --- pages -----------------------------------------------------------------------------------------------


def _no_region(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "reports/no_region.html")


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    try:
        asked = _asked(request)
    except NoRegion:
        return _no_region(request)
    updating, refreshed = _freshness()
    indicators = indicators_in_order()
    compared = figures_compared(asked.region, asked.period, indicators, asked.mode)

    figure_headers = [MODES[asked.mode], *FIGURE_HEADERS]
    rows_by_group: dict[str, list[tuple[Indicator, list[tuple[str, Cell]]]]] = {g: [] for g in GROUPS}
    headline: list[tuple[Indicator, tuple[Cell, ...]]] = []
    figures = Table("figures", "全部指标", ["分组", "指标", "单位", MODES[asked.mode], *FIGURE_HEADERS])
    for c in compared:
        ind = c.current.indicator
        cells = _figure_cells(c, asked, user)
        rows_by_group[ind.group].append((ind, list(zip(figure_headers, cells, strict=True))))
        if ind.headline:
            headline.append((ind, cells))
        value, prev, mom, ago, yoy = cells
        figures.rows.append([Cell(ind.group), Cell(ind.name), Cell(ind.unit), value, prev, mom, ago, yoy])

    chosen = indicator_get(request.GET.get("ind", "").strip())
    if chosen is None:
        if request.GET.get("ind"):
            asked.notices.append("没有这个指标,已显示第一个重点指标。")
        chosen = headline[0][0] if headline else (indicators[0] if indicators else None)
    charts: list[Chart] = []
    if chosen is not None:
        charts.append(_trend_chart(asked, chosen, user))
        if asked.region.level not in ("village", "group"):
            charts.append(
                _ranking_chart(
                    asked, chosen, user, link=reverse("reports:dashboard"), extra={"ind": chosen.code}
                )
            )
    response = _xlsx_or_page(request, [figures, *(c.table for c in charts)], asked, "dashboard")
    if response is not None:
        return response
    context = {
        "asked": asked,
        "breadcrumb": _breadcrumb(user, asked.region),
        "periods": _periods_offered(Period.current()),
        "modes": MODES,
        "updating": updating,
        "refreshed": refreshed,
        "no_data": all(c.current.empty for c in compared),
        "headline": headline,
        "groups": [(g, rows) for g, rows in rows_by_group.items() if rows],
        "indicators": indicators,
        "chosen": chosen,
        "charts": charts,
        "figure_headers": figure_headers,
        "mode_label": MODES[asked.mode],
        "query": asked.query(ind=chosen.code if chosen else ""),
        "query_base": asked.query(),
    }
    return render(request, "reports/dashboard.html", context)


def _rule_yield_chart(asked: Asked, ind: Indicator) -> Chart:
    """Each rule version and feed with the alerts it raised and what became of them (docs/domain.md §21):
    which thresholds flood villages with clues that lead nowhere, which find the households that matter."""
    rows = rule_yield(asked.region, asked.period, asked.mode)
    headers = [
        "规则",
        "规则名称",
        "数据",
        "预警线索(条)",
        "核实排除(条)",
        "纳入监测(户)",
        "纳入率(%)",
        "排除率(%)",
    ]
    table = Table("rule_yield", "各规则版本的预警成效", headers)
    for r in rows:
        table.rows.append(
            [
                Cell(r.label),
                Cell(r.rule_name),
                Cell(r.feed_label),
                Cell(str(r.raised), r.raised),
                Cell(str(r.ruled_out), r.ruled_out),
                Cell(str(r.identified), r.identified),
                Cell(
                    "—" if r.share_identified is None else str(r.share_identified), plain(r.share_identified)
                ),
                Cell("—" if r.share_ruled_out is None else str(r.share_ruled_out), plain(r.share_ruled_out)),
            ]
        )
    labels = [f"{r.label}·{r.feed_label}" for r in rows]
    data = chart_data("bar", ind, labels, [Decimal(r.raised) for r in rows], [None] * len(rows))
    return Chart("rule_yield", "bar", "各规则版本发现的预警线索", table, data)


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def indicator(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    ind = indicator_get(code)
    if ind is None:
        raise Http404("没有这个指标。")
    try:
        asked = _asked(request)
    except NoRegion:
        return _no_region(request)
    updating, refreshed = _freshness()
    (compared,) = figures_compared(asked.region, asked.period, [ind], asked.mode)
    charts = [_trend_chart(asked, ind, user)]
    if asked.region.level not in ("village", "group"):
        charts.append(
            _ranking_chart(asked, ind, user, link=reverse("reports:indicator", args=[ind.code]), extra={})
        )
    if ind.group == "规则成效":
        charts.append(_rule_yield_chart(asked, ind))
    elif ind.breakdown:
        parts = breakdown(asked.region, asked.period, ind, asked.mode)
        title = ind.breakdown_title or "分项"
        table = Table("breakdown", title, [title, f"{ind.name}({ind.unit})"])
        labels = [dim_label(ind.breakdown, value) for value, _ in parts]
        for label, (_, total) in zip(labels, parts, strict=True):
            table.rows.append([Cell(label), Cell(number_text(total, ind), plain(total))])
        data = chart_data("bar", ind, labels, [total for _, total in parts], [None] * len(parts))
        charts.append(Chart("breakdown", "bar", f"{ind.name}按{title}", table, data))
    response = _xlsx_or_page(request, [c.table for c in charts], asked, ind.code)
    if response is not None:
        return response
    context = {
        "ind": ind,
        "asked": asked,
        "breadcrumb": _breadcrumb(user, asked.region),
        "periods": _periods_offered(Period.current()),
        "modes": MODES,
        "updating": updating,
        "refreshed": refreshed,
        "no_data": compared.current.empty,
        "cells": list(
            zip([MODES[asked.mode], *FIGURE_HEADERS], _figure_cells(compared, asked, user), strict=True)
        ),
        "mode_label": MODES[asked.mode],
        "charts": charts,
        "query": asked.query(),
    }
    return render(request, "reports/indicator.html", context)
