"""The monthly bulletin (月度通报, docs/domain.md §21): a unit's month in figures, as .docx and .xlsx.

Every number of the bulletin is read with the dashboard's own selectors (`figures_compared` for the unit,
`rankings` for the units below it), so the bulletin and the dashboard cannot disagree: a test reads the
cells of both files back and compares them with the selectors. The text at the top is composed from
those same figures by `compose_text`, a pure function: it never writes a number that is not one of the
figures, and says plainly when a figure is zero or missing.

A bulletin holds counts and ratios only, never a person: an account may have one of any unit of its
subtree (the persons behind the counts stay behind the lists, which scope and mask as always).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone

from dixian.common.documents import DocWriter, a4_document, document_bytes
from dixian.common.spreadsheets import HEADER_GREY, excel_text, workbook
from dixian.regions.models import Region

from .catalogue import Indicator, headline_indicators, indicator_get
from .periods import Period, PeriodError
from .producers_employment import BULLETIN_CODES as EMPLOYMENT_CODES
from .producers_funds import BULLETIN_CODES as FUNDS_CODES
from .selectors import Compared, Ranked, figures_compared, last_refresh, rankings

# The sections "by unit": indicators registered by reports/producers_monitoring.py (超期未认定户数, 未整改疑点),
# each titled by its indicator's name; a bulletin made without one says the figure is not available (under
# the title given here) instead of failing.
BY_UNIT: tuple[tuple[str, str], ...] = (
    ("cases_overdue", "超期未认定"),
    ("findings_open", "未整改疑点"),
)
# The units below a region, as the bulletin names them; a village has none (its groups have no figures).
UNIT_LABELS: dict[str, str] = {"city": "县(市、区)", "county": "乡镇", "township": "村"}
EMPTY_NOTE = "该月暂无统计数据:统计数尚未生成,或当月没有发生相关业务。以下各项均按0列示。"
MISSING_NOTE = "暂无此项统计(该指标尚未纳入平台),本节从略。"
DASH = "—"
CODE_RE = re.compile(r"[0-9]+")


class BulletinError(ValueError):
    """A region the user typed that names no unit (the period's own error is PeriodError)."""


def region_lookup(text: str) -> Region:
    """The unit named by a code prefix (3604, 360424, 360424100) or a 12-digit code; BulletinError if none.

    A prefix is the code with its trailing zeros left off (docs/domain.md §19), so it is padded back."""
    text = (text or "").strip()
    if not CODE_RE.fullmatch(text) or len(text) > 12:
        raise BulletinError(
            f"区划“{text}”无法识别:请填写区划代码,例如 3604(市)、360424(县)或 12 位代码 360424100000。"
        )
    region = Region.objects.filter(code=text.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
    if region is None:
        raise BulletinError(f"没有区划代码为“{text}”的市、县、乡镇或村:请核对代码后重试。")
    return region


def period_lookup(text: str) -> Period:
    """The month of a bulletin: "2026-10", not after the current month (PeriodError in Chinese)."""
    period = Period.parse(text)
    current = Period.current()
    if period > current:
        raise PeriodError(f"统计月份{period.label}还没有到:请选{current.label}或以前的月份。")
    return period


def area_word(region: Region) -> str:
    """全市 / 全县 / 全区 / 全镇 …: how a bulletin names the whole of its unit."""
    for suffix in ("街道", "社区", "市", "县", "区", "镇", "乡", "村"):
        if region.name.endswith(suffix):
            return f"全{suffix}"
    return {"city": "全市", "county": "全县", "township": "全乡镇"}.get(region.level, "全村")


# ---- numbers as the bulletin writes them --------------------------------------------------------------


def number(value: Decimal | None, *, percent: bool = False) -> str:
    """12,345 / 95.5 / 1,234.50; a figure over nothing (a ratio with a zero denominator) is a dash."""
    if value is None:
        return DASH
    if percent:
        return f"{value:.1f}"
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def change_text(change: Decimal | None, *, percent: bool) -> str:
    """+25.0% / -1.2个百分点 (a percentage changes in points, docs/domain.md §21); a dash when the earlier
    figure was zero."""
    if change is None:
        return DASH
    sign = "+" if change > 0 else ""
    return f"{sign}{change:.1f}{'个百分点' if percent else '%'}"


# ---- the text (pure) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextFigure:
    """One headline figure, as the text needs it."""

    name: str
    unit: str
    kind: Literal["stock", "flow", "ratio"]
    value: Decimal | None
    month_on_month: Decimal | None = None
    year_on_year: Decimal | None = None
    code: str = ""  # the indicator's code, for a paragraph that tells given figures in its own words

    @property
    def percent(self) -> bool:
        return self.unit == "%"


@dataclass(frozen=True)
class TextByUnit:
    """A figure by unit (overdue cases, open findings): the region's total and the units with most."""

    name: str
    unit: str
    total: Decimal
    top: tuple[tuple[str, Decimal], ...] = ()  # (unit name, value), most first, none zero


@dataclass(frozen=True)
class TextRank:
    """The highest and lowest unit below the region for a ratio."""

    name: str
    unit: str
    highest: tuple[str, Decimal]
    lowest: tuple[str, Decimal]


@dataclass(frozen=True)
class TextInput:
    area: str  # 全市
    unit_label: str  # 县(市、区); "" when there are no units below
    period: Period
    figures: tuple[TextFigure, ...] = ()
    by_unit: tuple[TextByUnit, ...] = ()
    ranks: tuple[TextRank, ...] = ()
    empty: bool = False
    # The day the figures run to when the month is not over yet (the current month); None: its end.
    until: dt.date | None = None
    # The funds figures (reports/producers_funds.py BULLETIN_CODES): their own paragraph, told last.
    funds: tuple[TextFigure, ...] = ()
    # The employment figures (reports/producers_employment.py BULLETIN_CODES): their own paragraph, before
    # the funds'.
    employment: tuple[TextFigure, ...] = ()


def _changes(f: TextFigure) -> str:
    """ ",较上月增加25.0%,同比减少10.0%": the changes that exist, in words."""
    out = ""
    for change, against, level in (
        (f.month_on_month, "较上月", "与上月持平"),
        (f.year_on_year, "同比", "与去年同期持平"),
    ):
        if change is None:
            continue
        if not change:
            out += f",{level}"
            continue
        if f.percent:
            word = "提高" if change > 0 else "下降"
            out += f",{against}{word}{abs(change):.1f}个百分点"
        else:
            word = "增加" if change > 0 else "减少"
            out += f",{against}{word}{abs(change):.1f}%"
    return out


def counted(name: str, unit: str) -> str:
    """How the text names a count before its number: 风险消除户数 → 风险消除(3户), 走访次数 → 走访(12次),
    预警线索(当月新增) → 新增预警线索(15条). A zero keeps the name as it is (风险消除户数为0)."""
    for suffix in ("(当月新增)", "(当月新增)"):
        if name.endswith(suffix):
            name = "新增" + name.removesuffix(suffix)
    if unit and name.endswith(unit + "数") and len(name) > len(unit) + 1:
        name = name.removesuffix(unit + "数")
    return name


def _zeros(names: Sequence[str]) -> str:
    return "、".join(names) + ("均为0" if len(names) > 1 else "为0")


def compose_text(t: TextInput) -> list[str]:
    """The bulletin's text, paragraph by paragraph, in the style of a government bulletin.

    Every number in it is one of the figures given (or the period's year and month): a zero is said to be
    zero, a figure without value (a ratio over nothing) is said to have no data, and nothing else is
    written about it."""
    p = t.period
    if t.empty:
        return [
            f"{p.year}年{p.month}月,{t.area}暂无统计数据(统计数尚未生成,或当月没有发生相关业务),"
            "本通报各项均按0列示。"
        ]
    paragraphs: list[str] = []
    stocks = [f for f in t.figures if f.kind == "stock"]
    if stocks:
        shown = [f"{counted(f.name, f.unit)}{number(f.value)}{f.unit}" for f in stocks if f.value]
        zero = [f.name for f in stocks if not f.value]
        parts = (["共有" + "、".join(shown)] if shown else []) + ([_zeros(zero)] if zero else [])
        day = f"{t.until.day}日" if t.until else "底"
        paragraphs.append(f"截至{p.year}年{p.month}月{day},{t.area}" + ",".join(parts) + "。")
    flows = [f for f in t.figures if f.kind == "flow"]
    if flows:
        clauses = [
            f"{counted(f.name, f.unit)}{number(f.value)}{f.unit}{_changes(f)}" for f in flows if f.value
        ]
        zero = [f.name for f in flows if not f.value]
        if zero:
            clauses.append(_zeros(zero))
        span = f"{p.month}月1日至{t.until.day}日" if t.until else f"{p.month}月份"
        paragraphs.append(f"{span},{t.area}" + ";".join(clauses) + "。")
    ratios = [f for f in t.figures if f.kind == "ratio"]
    if ratios:
        clauses = [
            f"{f.name}为{number(f.value, percent=f.percent)}{f.unit}{_changes(f)}"
            for f in ratios
            if f.value is not None
        ]
        missing = [f.name for f in ratios if f.value is None]
        if missing:
            clauses.append("、".join(missing) + "暂无数据")
        paragraphs.append(f"{t.area}" + ";".join(clauses) + "。")
    if t.ranks and t.unit_label:
        clauses = [
            f"{r.name}最高的是{r.highest[0]}({number(r.highest[1], percent=r.unit == '%')}{r.unit}),"
            f"最低的是{r.lowest[0]}({number(r.lowest[1], percent=r.unit == '%')}{r.unit})"
            for r in t.ranks
        ]
        paragraphs.append(f"从各{t.unit_label}看," + ";".join(clauses) + "。")
    for s in t.by_unit:
        if not s.total:
            paragraphs.append(f"{t.area}{s.name}为0。")
            continue
        text = f"{t.area}共有{counted(s.name, s.unit)}{number(s.total)}{s.unit}"
        if s.top:
            text += ",其中" + "、".join(f"{name}{number(v)}{s.unit}" for name, v in s.top)
        paragraphs.append(text + "。")
    if t.employment:
        paragraphs.append(employment_text(t))
    if t.funds:
        paragraphs.append(funds_text(t))
    return paragraphs


def employment_text(t: TextInput) -> str:
    """就业监测: the month's employed workers against the base year, the survey's coverage and the townships
    whose count fell (docs/domain.md §21 "Employment figures"), each figure as it is: a zero said to be zero,
    a ratio over nothing said to have no data. The ratio to the base year is written to two places (100.03%),
    and one under 100% is said to be under the base year (the count may not fall below it, §23)."""
    p = t.period
    day = f"{t.until.day}日" if t.until else "底"
    by_code = {f.code: f for f in t.employment}
    employed = by_code.get("employment_employed")
    if not any(f.value for f in t.employment):
        return f"就业监测方面,{p.year}年{p.month}月{t.area}暂无就业信息摸排记录。"
    clauses = []
    if employed is not None:
        if employed.value:
            clauses.append(f"脱贫劳动力和监测劳动力务工就业{number(employed.value)}人{_changes(employed)}")
        else:
            clauses.append("脱贫劳动力和监测劳动力务工就业人数为0")
    ratio = by_code.get("employment_base_ratio")
    if ratio is not None:
        if ratio.value is None:
            clauses.append("较基准年同期暂无数据")
        else:
            under = ",低于基准年同期水平" if ratio.value < 100 else ""
            clauses.append(f"为基准年同期的{ratio.value:.2f}%{under}")
    coverage = by_code.get("employment_coverage")
    if coverage is not None:
        clauses.append(
            "摸排覆盖率暂无数据"
            if coverage.value is None
            else f"摸排覆盖率{number(coverage.value, percent=True)}%"
        )
    falling = by_code.get("employment_falling_townships")
    if falling is not None and falling.value is not None:  # None: a village has no townships to list
        clauses.append(
            f"务工就业人数较上月下降的乡镇{number(falling.value)}个,已列入月度调度"
            if falling.value
            else "没有务工就业人数较上月下降的乡镇"
        )
    return f"就业监测方面,截至{p.year}年{p.month}月{day},{t.area}" + ",".join(clauses) + "。"


def funds_text(t: TextInput) -> str:
    """衔接资金和项目: the year's money and projects to the month's end (docs/domain.md §21), each figure as it
    is (a zero said to be zero, a rate over nothing said to have no data)."""
    p = t.period
    day = f"{t.until.day}日" if t.until else "底"
    if not any(f.value for f in t.funds):
        return f"衔接资金和项目方面,截至{p.year}年{p.month}月{day},{t.area}本年度尚无资金下达和年度实施项目记录。"
    clauses = []
    for f in t.funds:
        if f.kind == "ratio":
            clauses.append(
                f"{f.name}暂无数据" if f.value is None else f"{f.name}{number(f.value, percent=True)}%"
            )
        elif f.value:
            clauses.append(f"{f.name}{number(f.value)}{f.unit}")
        else:
            clauses.append(f"{f.name}为0")
    return f"衔接资金和项目方面,截至{p.year}年{p.month}月{day},{t.area}本年度" + ",".join(clauses) + "。"


# ---- the bulletin --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    region: Region
    figures: tuple[Ranked, ...]  # one per headline indicator, in the order of Bulletin.headline


@dataclass(frozen=True)
class ByUnit:
    code: str
    title: str
    indicator: Indicator | None  # None: not (yet) in the catalogue
    total: Compared | None
    rows: tuple[Ranked, ...]  # the units below, in code order


@dataclass(frozen=True)
class Bulletin:
    region: Region
    period: Period
    headline: tuple[Compared, ...]
    unit_label: str
    units: tuple[UnitRow, ...]
    by_unit: tuple[ByUnit, ...]
    text: tuple[str, ...]
    empty: bool
    refreshed_at: dt.datetime | None
    made_at: dt.datetime

    @property
    def title(self) -> str:
        return f"{self.region.name}防止返贫动态监测月度通报"

    @property
    def subtitle(self) -> str:
        return f"({self.period.label})"

    @property
    def indicators(self) -> list[Indicator]:
        return [c.current.indicator for c in self.headline]

    @property
    def as_of(self) -> str:
        if self.refreshed_at is None:
            return "数据截至:统计数尚未生成"
        return f"数据截至:{timezone.localtime(self.refreshed_at):%Y-%m-%d %H:%M}"

    def filename(self, ext: str) -> str:
        return f"{self.region.name}月度通报_{self.period}.{ext}"


def _kind(ind: Indicator) -> Literal["stock", "flow", "ratio"]:
    return "ratio" if ind.is_ratio else ("flow" if ind.flow else "stock")


def text_input(
    region: Region,
    period: Period,
    headline: Sequence[Compared],
    ranked: dict[str, list[Ranked]],
    by_unit: Sequence[ByUnit],
    *,
    empty: bool,
    until: dt.date | None = None,
    funds: Sequence[Compared] = (),
    employment: Sequence[Compared] = (),
) -> TextInput:
    """What the text says, taken from the bulletin's figures (and nothing else). A headline figure that
    has its section by unit (overdue cases) is said there, once."""
    own_section = {s.code for s in by_unit if s.indicator is not None}
    figures = tuple(
        TextFigure(
            name=c.current.indicator.name,
            unit=c.current.indicator.unit,
            kind=_kind(c.current.indicator),
            value=c.current.value,
            month_on_month=c.month_on_month,
            year_on_year=c.year_on_year,
        )
        for c in headline
        if c.current.indicator.code not in own_section
    )
    ranks = []
    for c in headline:
        ind = c.current.indicator
        valued = [r for r in ranked.get(ind.code, []) if r.rank is not None and r.figure.value is not None]
        if not ind.is_ratio or len(valued) < 2:
            continue
        top = max(valued, key=lambda r: r.figure.value or 0)
        bottom = min(valued, key=lambda r: r.figure.value or 0)
        if top.figure.value != bottom.figure.value and top.figure.value is not None:
            ranks.append(
                TextRank(
                    ind.name,
                    ind.unit,
                    (top.region.name, top.figure.value),
                    (bottom.region.name, bottom.figure.value or Decimal(0)),
                )
            )
    sections = []
    for s in by_unit:
        if s.indicator is None or s.total is None:
            continue
        most = sorted(
            (r for r in s.rows if r.figure.value), key=lambda r: (-(r.figure.value or 0), r.region.code)
        )[:3]
        sections.append(
            TextByUnit(
                name=s.indicator.name,
                unit=s.indicator.unit,
                total=s.total.current.value or Decimal(0),
                top=tuple((r.region.name, r.figure.value or Decimal(0)) for r in most),
            )
        )
    return TextInput(
        area=area_word(region),
        unit_label=UNIT_LABELS.get(region.level, ""),
        period=period,
        figures=figures,
        by_unit=tuple(sections),
        ranks=tuple(ranks),
        empty=empty,
        until=until,
        funds=tuple(
            TextFigure(
                name=c.current.indicator.name,
                unit=c.current.indicator.unit,
                kind=_kind(c.current.indicator),
                value=c.current.value,
            )
            for c in funds
        ),
        employment=tuple(
            TextFigure(
                name=c.current.indicator.name,
                unit=c.current.indicator.unit,
                kind=_kind(c.current.indicator),
                value=c.current.value,
                month_on_month=c.month_on_month,
                year_on_year=c.year_on_year,
                code=c.current.indicator.code,
            )
            for c in employment
        ),
    )


def bulletin_build(region: Region, period: Period) -> Bulletin:
    """The bulletin of `region` for `period` (当月 figures), in four queries: the unit's figures with last
    month's and last year's, the units below, their figures, the last refresh."""
    headline = headline_indicators()
    present = [(code, title, indicator_get(code)) for code, title in BY_UNIT]
    extra = [ind for _, _, ind in present if ind is not None and ind not in headline]
    wanted = headline + extra
    # The funds paragraph's figures, read in the same query as the headline's (not ranked).
    funds_wanted = [
        ind for code in FUNDS_CODES if (ind := indicator_get(code)) is not None and ind not in wanted
    ]
    # The employment paragraph's figures likewise.
    employment_wanted = [
        ind
        for code in EMPLOYMENT_CODES
        if (ind := indicator_get(code)) is not None and ind not in wanted and ind not in funds_wanted
    ]
    compared = {
        c.current.indicator.code: c
        for c in figures_compared(region, period, [*wanted, *funds_wanted, *employment_wanted])
    }
    unit_label = UNIT_LABELS.get(region.level, "")
    ranked = rankings(region, period, wanted) if unit_label and wanted else {}

    def by_code(rows: list[Ranked]) -> list[Ranked]:
        return sorted(rows, key=lambda r: r.region.code)

    heads = tuple(compared[ind.code] for ind in headline)
    units: list[UnitRow] = []
    if ranked and headline:
        columns = [{r.region.code: r for r in ranked[ind.code]} for ind in headline]
        units = [
            UnitRow(r.region, tuple(col[r.region.code] for col in columns))
            for r in by_code(ranked[headline[0].code])
        ]
    by_unit = tuple(
        ByUnit(
            code=code,
            title=ind.name if ind is not None else title,
            indicator=ind,
            total=compared[ind.code] if ind is not None else None,
            rows=tuple(by_code(ranked.get(ind.code, []))) if ind is not None else (),
        )
        for code, title, ind in present
    )
    empty = all(c.current.empty for c in compared.values())
    refresh = last_refresh()
    # A month not over yet is counted up to the last refresh (today, when there has been none).
    until = None
    if period == Period.current():
        until = timezone.localdate(refresh.finished_at) if refresh is not None else timezone.localdate()
    return Bulletin(
        region=region,
        period=period,
        headline=heads,
        unit_label=unit_label,
        units=tuple(units),
        by_unit=by_unit,
        text=tuple(
            compose_text(
                text_input(
                    region,
                    period,
                    heads,
                    ranked,
                    by_unit,
                    empty=empty,
                    until=until,
                    funds=[compared[ind.code] for ind in funds_wanted],
                    employment=[compared[ind.code] for ind in employment_wanted],
                )
            )
        ),
        empty=empty,
        refreshed_at=refresh.finished_at if refresh is not None else None,
        made_at=timezone.now(),
    )


def headline_cells(c: Compared) -> list[str]:
    """指标, 单位, 本月, 上月, 环比, 去年同月, 同比 of one headline figure, as text."""
    ind = c.current.indicator
    pct = ind.is_percent
    return [
        ind.name,
        ind.unit,
        number(c.current.value, percent=pct),
        number(c.previous.value, percent=pct),
        change_text(c.month_on_month, percent=pct),
        number(c.year_ago.value, percent=pct),
        change_text(c.year_on_year, percent=pct),
    ]


HEADLINE_COLUMNS = ("指标", "单位", "本月", "上月", "环比", "去年同月", "同比")


def definition(ind: Indicator) -> str:
    parts = [ind.numerator_text or ind.name]
    if ind.denominator_text:
        parts.append(f"分母:{ind.denominator_text}")
    parts.append(f"口径:{ind.period_kind}")
    if ind.source_text:
        parts.append(f"来源:{ind.source_text}")
    return ";".join(parts)


# ---- .docx ---------------------------------------------------------------------------------------------

# The fonts, the page and the writer live in common/documents.py, shared with the ledgers' bulletins.
# Indicators per table of units: two columns each (figure, rank) beside the unit's name fit A4 portrait.
UNIT_TABLE_WIDTH = 4


def _rank(r: Ranked) -> str:
    return str(r.rank) if r.rank is not None else DASH


def unit_cells(row: UnitRow, indicators: Sequence[Indicator]) -> list[str]:
    out = [row.region.name]
    for ind, r in zip(indicators, row.figures, strict=True):
        out += [number(r.figure.value, percent=ind.is_percent), _rank(r)]
    return out


def by_unit_cells(s: ByUnit) -> list[list[str]]:
    """The rows of a section by unit (unit, figure, rank), as text; none when the indicator is missing."""
    if s.indicator is None:
        return []
    pct = s.indicator.is_percent
    return [[r.region.name, number(r.figure.value, percent=pct), _rank(r)] for r in s.rows]


def by_unit_summary(b: Bulletin, s: ByUnit) -> str:
    """ "全市超期…12件(环比+20.0%,同比—)。": the section's total with its changes."""
    if s.indicator is None or s.total is None:
        return MISSING_NOTE
    ind, pct = s.indicator, s.indicator.is_percent
    return (
        f"{area_word(b.region)}{ind.name}{number(s.total.current.value, percent=pct)}{ind.unit}"
        f"(环比{change_text(s.total.month_on_month, percent=pct)},"
        f"同比{change_text(s.total.year_on_year, percent=pct)})。"
    )


def bulletin_docx(b: Bulletin) -> bytes:
    """The bulletin as a Word document (A4): title, text, the headline table, the units, the sections by
    unit and the definitions of the indicators."""
    document = a4_document()
    w = DocWriter(document)
    for text, size in ((b.title, 20), (b.subtitle, 16)):
        w.title(text, size, bold=size > 16)
    w.paragraph(
        f"{b.as_of}    生成时间:{timezone.localtime(b.made_at):%Y-%m-%d %H:%M}", size=10.5, indent=False
    )
    if b.empty:
        w.paragraph(EMPTY_NOTE)
    w.heading("一、总体情况")
    for text in b.text:
        w.paragraph(text)
    w.heading("二、主要指标")
    if b.headline:
        w.table(HEADLINE_COLUMNS, [headline_cells(c) for c in b.headline])
        w.paragraph(
            "注:环比为与上月相比,同比为与去年同月相比;比率的变化以百分点计。“—”表示无法计算(上期为0)。",
            size=10.5,
        )
    else:
        w.paragraph("暂无主要指标。")
    number_of = 3
    if b.units:
        w.heading(f"三、各{b.unit_label}主要指标及排名")
        indicators = b.indicators
        for start in range(0, len(indicators), UNIT_TABLE_WIDTH):
            chunk = indicators[start : start + UNIT_TABLE_WIDTH]
            header = [b.unit_label]
            for ind in chunk:
                header += [f"{ind.name}({ind.unit})", "排名"]
            rows = []
            for row in b.units:
                part = UnitRow(row.region, row.figures[start : start + UNIT_TABLE_WIDTH])
                rows.append(unit_cells(part, chunk))
            w.table(header, rows)
            w.paragraph("", size=6, indent=False)
        number_of += 1
    for s in b.by_unit:
        w.heading(f"{'一二三四五六七八九'[number_of - 1]}、{s.title}")
        number_of += 1
        w.paragraph(by_unit_summary(b, s))
        if s.indicator is not None and s.rows:
            w.table([b.unit_label, f"{s.indicator.name}({s.indicator.unit})", "排名"], by_unit_cells(s))
    w.heading("附:指标说明")
    for ind in b.indicators + [s.indicator for s in b.by_unit if s.indicator is not None]:
        w.paragraph(f"{ind.name}({ind.unit}):{definition(ind)}", size=10.5)
    return document_bytes(document)


# ---- .xlsx ---------------------------------------------------------------------------------------------


class _Sheet:
    """A small worksheet written cell by cell: text guarded against formulas, numbers as numbers."""

    def __init__(self, book: Any, name: str, widths: Sequence[int], formats: dict[str, Any]) -> None:
        # A sheet's name may not hold []:*?/\ and has at most 31 characters (Excel's rules).
        self.ws = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "", name)[:31])
        self.formats = formats
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)
        self.row = 0

    def write(self, values: Sequence[object], *, header: bool = False) -> None:
        for col, value in enumerate(values):
            fmt = self.formats["header"] if header else None
            if value is None:
                self.ws.write_string(self.row, col, DASH, fmt)
            elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
                self.ws.write_number(self.row, col, float(value), fmt)
            else:
                self.ws.write_string(self.row, col, excel_text(str(value)), fmt)
        self.row += 1


def bulletin_xlsx(b: Bulletin) -> bytes:
    """The bulletin as a workbook: 通报正文, 主要指标 and one sheet per table, numbers as numbers."""
    out = io.BytesIO()
    book = workbook(out)
    formats = {"header": book.add_format({"bold": True, "bg_color": HEADER_GREY, "border": 1})}
    text = _Sheet(book, "通报正文", [120], formats)
    for line in (b.title + b.subtitle, b.as_of, *([EMPTY_NOTE] if b.empty else []), *b.text):
        text.write([line])
    main = _Sheet(book, "主要指标", [24, 6, 12, 12, 12, 12, 12, 10], formats)
    main.write([*HEADLINE_COLUMNS[:4], "环比", "去年同月", "同比", "变化单位"], header=True)
    for c in b.headline:
        ind = c.current.indicator
        main.write(
            [
                ind.name,
                ind.unit,
                c.current.value,
                c.previous.value,
                c.month_on_month,
                c.year_ago.value,
                c.year_on_year,
                "个百分点" if ind.is_percent else "%",
            ]
        )
    if b.units:
        sheet = _Sheet(book, f"各{b.unit_label}排名", [14, 14] + [12] * 2 * len(b.indicators), formats)
        header: list[str] = ["区划代码", b.unit_label]
        for ind in b.indicators:
            header += [f"{ind.name}({ind.unit})", "排名"]
        sheet.write(header, header=True)
        for row in b.units:
            values: list[object] = [row.region.code, row.region.name]
            for r in row.figures:
                values += [r.figure.value, r.rank]
            sheet.write(values)
    for s in b.by_unit:
        sheet = _Sheet(book, s.title, [14, 14, 16, 8], formats)
        if s.indicator is None or s.total is None:
            sheet.write([MISSING_NOTE])
            continue
        sheet.write(
            ["区划代码", b.unit_label or "单位", f"{s.indicator.name}({s.indicator.unit})", "排名"],
            header=True,
        )
        for r in s.rows:
            sheet.write([r.region.code, r.region.name, r.figure.value, r.rank])
        sheet.write([b.region.code, f"{b.region.name}(合计)", s.total.current.value, ""])
    notes = _Sheet(book, "指标说明", [24, 6, 100], formats)
    notes.write(["指标", "单位", "定义"], header=True)
    for ind in b.indicators + [s.indicator for s in b.by_unit if s.indicator is not None]:
        notes.write([ind.name, ind.unit, definition(ind)])
    book.close()
    return out.getvalue()
