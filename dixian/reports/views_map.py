"""The monitoring map (一张图): the units below a region coloured by an indicator, as a schematic tile map
with its table and .xlsx one click away (docs/domain.md §21; the tiles and colours: reports/tilemap.py).

`/reports/map/?region=<code>&indicator=<code>&period=2026-10&mode=month|ytd[&scheme=equal|quantile]`.
The region is the account's own unless it names one of its subtree; a unit out of scope, or that exists
nowhere, answers 404. Every other parameter the page cannot read falls back to its default with a notice
saying what was wrong.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import code_in_scope
from dixian.regions.models import Region

from .catalogue import GROUPS, Indicator, drill_url, headline_indicators, indicator_get, indicators_in_order
from .links import dashboard_url
from .periods import Period
from .selectors import MODES, ZERO, Compared, Mode, figures_compared, last_refresh, ranking
from .tilemap import SCHEMES, Scheme, TileMap, number_text, tile_map, value_text
from .views_dashboard import period_asked

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.common.http import AuthenticatedHttpRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The levels below which the map has units to show: a village's children are groups (组), which have no
# figures of their own (facts stop at the village, docs/domain.md §21).
HAS_UNITS_BELOW: set[str] = {Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP}
BELOW_LABEL: dict[str, str] = {
    Region.Level.CITY: "县(市、区)",
    Region.Level.COUNTY: "乡镇",
    Region.Level.TOWNSHIP: "村",
}
# A code typed short (3604, 360424, 360424100) names the unit whose 12-digit code it starts.
SHORT_CODE_LENGTHS = (4, 6, 9, 12)


@dataclass
class MapRequest:
    region: Region
    above: list[Region]  # the units above it the account may open, from the top
    indicator: Indicator
    period: Period
    mode: Mode
    scheme: Scheme
    notices: list[str] = field(default_factory=list)

    def query(self, **override: str) -> str:
        params = {
            "region": self.region.code,
            "indicator": self.indicator.code,
            "period": str(self.period),
            "mode": self.mode,
            "scheme": self.scheme,
            **override,
        }
        return urlencode(params)


def ancestor_codes(code: str) -> list[str]:
    """The 12-digit codes of the city, county and township above a unit's code (and its own)."""
    return sorted({code[:n].ljust(12, "0") for n in (4, 6, 9)} | {code})


def region_for(user: User, text: str) -> tuple[Region, list[Region]]:
    """The unit `text` names (by its code), or the account's own, with the units above it that the account
    may open (from the top), in one query; 404 when out of scope or unknown."""
    own = user.region
    if own is None:
        raise Http404("您的账号没有分配区划,无法查看一张图。")
    text = (text or "").strip() or own.code
    if not text.isdigit() or len(text) not in SHORT_CODE_LENGTHS:
        raise Http404("区划代码无法识别或不在您的辖区内。")
    code = text.ljust(12, "0")
    found = {r.code: r for r in Region.objects.filter(code__in=ancestor_codes(code))}
    region = found.get(code)
    # 404 for a unit outside the subtree exactly as for one that exists nowhere (docs/domain.md §21).
    if region is None or not code_in_scope(user, region.code):
        raise Http404("区划代码无法识别或不在您的辖区内。")
    above = [r for c, r in sorted(found.items()) if c != code and code_in_scope(user, c)]
    return region, above


def default_indicator() -> Indicator:
    found = headline_indicators() or indicators_in_order()
    if not found:
        raise Http404("尚未定义任何统计指标。")
    return found[0]


def read_request(request: AuthenticatedHttpRequest) -> MapRequest:
    get = request.GET
    region, above = region_for(request.user, get.get("region", ""))
    notices: list[str] = []
    indicator = default_indicator()
    code = (get.get("indicator") or "").strip()
    if code:
        found = indicator_get(code)
        if found is None:
            notices.append(f"指标“{code}”不存在,已显示“{indicator.name}”;请从指标列表中选择。")
        else:
            indicator = found
    # The dashboard's reading of the month: no month to come, none before the platform's records.
    period = period_asked(get.get("period") or "", notices)
    mode: Mode = "month"
    text = (get.get("mode") or "").strip()
    if text in MODES:
        mode = cast(Mode, text)
    elif text:
        notices.append(f"统计口径“{text}”无法识别,已按当月显示;可选:当月、年累计。")
    scheme: Scheme = "equal"
    text = (get.get("scheme") or "").strip()
    if text in SCHEMES:
        scheme = cast(Scheme, text)
    elif text:
        notices.append(f"分级方式“{text}”无法识别,已按等距分级显示。")
    return MapRequest(region, above, indicator, period, mode, scheme, notices)


@dataclass
class MapData:
    req: MapRequest
    total: Compared
    tiles: TileMap
    has_units_below: bool

    @property
    def empty(self) -> bool:
        return self.total.current.empty and all(t.figure.empty for t in self.tiles.tiles)


def map_data(req: MapRequest) -> MapData:
    """The region's own figure and the tiles of the units below it (three indexed queries)."""
    (total,) = figures_compared(req.region, req.period, [req.indicator], req.mode)
    below = req.region.level in HAS_UNITS_BELOW
    if below:
        units = [
            (r.region, r.figure, r.rank, dashboard_url(r.region, req.period, req.mode))
            for r in ranking(req.region, req.period, req.indicator, req.mode)
        ]
    else:  # a village: its own figure, on one tile
        units = [(req.region, total.current, None, dashboard_url(req.region, req.period, req.mode))]
    return MapData(req, total, tile_map(units, req.indicator, req.scheme), below)


def indicator_groups() -> list[tuple[str, list[Indicator]]]:
    by_group: dict[str, list[Indicator]] = {}
    for ind in indicators_in_order():
        by_group.setdefault(ind.group, []).append(ind)
    return [(g, by_group[g]) for g in GROUPS if g in by_group]


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def monitoring_map(request: AuthenticatedHttpRequest) -> HttpResponse:
    req = read_request(request)
    data = map_data(req)
    user = request.user
    map_url = reverse("reports:map")
    rows: list[dict[str, Any]] = [
        {
            "tile": t,
            "drill": drill_url(req.indicator, t.region, req.period, user, req.mode),
            "map": f"{map_url}?{req.query(region=t.region.code)}" if data.has_units_below else None,
            "numerator": number_text(t.figure.numerator),
            "denominator": number_text(t.figure.denominator or ZERO),
        }
        for t in sorted(data.tiles.tiles, key=lambda t: (t.rank is None, t.rank or 0, t.region.code))
    ]
    context = {
        "req": req,
        "data": data,
        "rows": rows,
        "ancestors": [(r, f"{map_url}?{req.query(region=r.code)}") for r in req.above],
        "below_label": BELOW_LABEL.get(req.region.level, "村"),
        "groups": indicator_groups(),
        "modes": MODES,
        "schemes": SCHEMES,
        "refresh": last_refresh(),
        "total_text": value_text(data.total.current.value, req.indicator),
        "total_numerator": number_text(data.total.current.numerator),
        "total_denominator": number_text(data.total.current.denominator or ZERO),
        "mode_label": MODES[req.mode],
        "scheme_label": SCHEMES[req.scheme],
        "xlsx_url": f"{reverse('reports:map_xlsx')}?{req.query()}",
        "region_dashboard": dashboard_url(req.region, req.period, req.mode),
    }
    return render(request, "reports/map.html", context)


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def monitoring_map_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The map's table as an .xlsx: the same figures, ranks and colour classes as the page."""
    req = read_request(request)
    data = map_data(req)
    buffer = io.BytesIO()
    map_workbook(data, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    name = f"map-{req.region.code}-{req.indicator.code}-{req.period}-{req.mode}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def map_workbook(data: MapData, target: Any) -> None:
    """One sheet: a title, the indicator's definition, then one row per unit and the region's total
    (common/spreadsheets.py: text is never read as a formula)."""
    from dixian.common.spreadsheets import HEADER_GREY, excel_text, workbook

    req, ind = data.req, data.req.indicator
    book = workbook(target)
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": HEADER_GREY, "border": 1})
    whole = book.add_format({"num_format": "#,##0"})
    tenths = book.add_format({"num_format": "#,##0.0"})
    cents = book.add_format({"num_format": "#,##0.00"})

    def number(value: Decimal) -> Any:
        """Percentages in tenths as on the page; other figures whole unless they carry decimals."""
        if ind.is_percent:
            return tenths
        return whole if value == value.to_integral_value() else cents

    sheet = book.add_worksheet("一张图")
    title = f"{req.region.name} {ind.name}({ind.unit}) {req.period.label} {MODES[req.mode]}"
    sheet.write_string(0, 0, excel_text(title), bold)
    notes = [
        f"分子:{ind.numerator_text}",
        *([f"分母:{ind.denominator_text}"] if ind.is_ratio else []),
        f"统计期:{ind.period_kind}",
        f"来源:{ind.source_text}",
        "一张图为示意图,各单位位置只表示大致方位,不是行政区划边界图。",
    ]
    for i, note in enumerate(notes, start=1):
        sheet.write_string(i, 0, excel_text(note))
    top = len(notes) + 2
    headers = ["排名", "区划代码", "名称", f"{ind.name}({ind.unit})"]
    if ind.is_ratio:
        headers += ["分子", "分母"]
    headers.append("颜色分级")
    sheet.write_row(top, 0, headers, head)
    ordered = sorted(data.tiles.tiles, key=lambda t: (t.rank is None, t.rank or 0, t.region.code))
    r = top
    for r, t in enumerate(ordered, start=top + 1):
        if t.rank is not None:
            sheet.write_number(r, 0, t.rank)
        sheet.write_string(r, 1, t.region.code)
        sheet.write_string(r, 2, excel_text(t.region.name))
        col = 3
        if t.figure.value is None:
            sheet.write_string(r, col, "无数据")
        else:
            sheet.write_number(r, col, float(t.figure.value), number(t.figure.value))
        if ind.is_ratio:
            sheet.write_number(r, col + 1, float(t.figure.numerator), whole)
            sheet.write_number(r, col + 2, float(t.figure.denominator or 0), whole)
            col += 2
        sheet.write_string(r, col + 1, t.colour_class.label if t.colour_class else "无数据")
    if data.has_units_below:
        total = data.total.current
        r += 1
        sheet.write_string(r, 1, req.region.code, bold)
        sheet.write_string(r, 2, excel_text(f"{req.region.name}合计"), bold)
        if total.value is None:
            sheet.write_string(r, 3, "无数据", bold)
        else:
            sheet.write_number(r, 3, float(total.value), number(total.value))
        if ind.is_ratio:
            sheet.write_number(r, 4, float(total.numerator), whole)
            sheet.write_number(r, 5, float(total.denominator or 0), whole)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 14)
    sheet.set_column(3, len(headers) - 1, 14)
    sheet.freeze_panes(top + 1, 0)
    book.close()
