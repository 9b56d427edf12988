"""The monthly 通报 of the living environment (一月一通报, docs/domain.md §27 "Monthly bulletin"): a unit's
month from the weekly reports, as .docx (common/documents.py, the writer of the leaders' bulletin) and .xlsx.

The month's figures are those of the last week ending in it (its Sunday in the month), compared with the
last week of the previous month. Counts only, never a person.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dixian.common.documents import DocWriter, a4_document, document_bytes
from dixian.common.spreadsheets import Sheet, export_workbook
from dixian.regions.models import Region

from . import figures as fg
from .validation import week_label, week_monday

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
UNIT_LABELS = {"city": "县(市、区)", "county": "乡镇", "township": "村"}
MISSING_LISTED = 200  # villages named in the .docx; the .xlsx lists them all


class BulletinError(ValueError):
    pass


def month_parse(text: str) -> tuple[int, int]:
    m = MONTH.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise BulletinError(f"月份“{(text or '')[:10]}”应写成 2026-10 的样子")
    year, month = int(m.group(1)), int(m.group(2))
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise BulletinError(f"{year}年{month}月尚未开始,不能生成通报")
    return year, month


def last_week_of(year: int, month: int) -> dt.date:
    """The Monday of the last week whose Sunday falls in the month."""
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    monday = week_monday(end)
    return monday if monday + dt.timedelta(days=6) == end else monday - dt.timedelta(days=7)


def weeks_of(year: int, month: int) -> list[dt.date]:
    """The Mondays of the weeks whose Sunday falls in the month and whose report is past its deadline."""
    from .services import deadline_of, now_local

    now = now_local()
    out = []
    monday = week_monday(dt.date(year, month, 1))
    while True:
        sunday = monday + dt.timedelta(days=6)
        if (sunday.year, sunday.month) > (year, month) or deadline_of(monday) > now:
            break
        if (sunday.year, sunday.month) == (year, month):
            out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def points(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value > 0 else ''}{value}个百分点"


def yuan_wan(value: Decimal) -> str:
    return f"{value / 10000:.2f}万元"


@dataclass
class MissingVillage:
    region: Region
    weeks_missed: int
    weeks_late: int


@dataclass
class Bulletin:
    region: Region
    year: int
    month: int
    monday: dt.date  # the week whose figures are the month's
    weeks: list[dt.date]
    dispatch: fg.Dispatch
    schedule: Decimal  # 时序进度
    laggards: list[fg.Ranked]
    missing: list[MissingVillage]
    fund: fg.Fund
    made_at: dt.datetime

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS.get(self.region.level, "单位")

    @property
    def title(self) -> str:
        return f"{self.region.name}农村人居环境整治工作通报"

    @property
    def subtitle(self) -> str:
        return f"({self.year}年{self.month}月)"

    @property
    def empty(self) -> bool:
        return not self.dispatch.total.reported and not self.dispatch.total.households

    def text(self) -> list[str]:
        t = self.dispatch.total
        d = self.dispatch
        lines = []
        if self.empty:
            lines.append(f"截至{self.monday + dt.timedelta(days=6):%Y-%m-%d},本月尚无人居环境周报数据。")
            return lines
        lines.append(
            f"截至{self.monday + dt.timedelta(days=6):%Y-%m-%d}({week_label(self.monday)}),"
            f"{self.region.name}年度改厕任务{t.toilets_planned}户,已改造{t.toilets_upgraded}户,"
            f"改厕进度{pct(t.progress)}(较上月{points(d.total_change('progress'))}),"
            f"时序进度{pct(self.schedule)};卫生厕所{t.toilets_sanitary}户,普及率{pct(t.sanitary_rate)},"
            f"其中正常使用{t.toilets_in_use}户,使用率{pct(t.usage_rate)},建成未使用{t.toilets_unused}户。"
        )
        lines.append(
            f"生活垃圾收运覆盖自然村{t.garbage_covered}个,覆盖率{pct(t.garbage_rate)};"
            f"生活污水治理覆盖{t.sewage_households}户,治理率{pct(t.sewage_rate)};"
            f"村庄整治计划{t.works_planned}项,已完成{t.works_done}项,完成率{pct(t.works_rate)}。"
        )
        if self.laggards:
            names = "、".join(r.current.region.name for r in self.laggards if r.current.region)
            lines.append(
                f"改厕进度低于时序进度的{self.unit_label}有{len(self.laggards)}个:{names},请加快推进。"
            )
        elif d.rows:
            lines.append(f"各{self.unit_label}改厕进度均不低于时序进度。")
        if self.missing:
            lines.append(
                f"本月有{len(self.missing)}个村未按时报送周报(共{len(self.weeks)}周),请相关乡镇督促按时报送。"
            )
        else:
            lines.append(f"本月{len(self.weeks)}周的周报均已报送。")
        f = self.fund.total
        if f.projects:
            lines.append(
                f"人居环境资金方面,纳入项目{f.projects}个,总投资{yuan_wan(f.budget)},已安排{yuan_wan(f.arranged)},"
                f"已支付{yuan_wan(f.paid)},支出进度{pct(f.paid_rate)}。"
            )
        else:
            lines.append("人居环境资金方面,尚无纳入的项目。")
        return lines


def bulletin_build(region: Region, year: int, month: int) -> Bulletin:
    today = timezone.localdate()
    monday = last_week_of(year, month)
    if monday > week_monday(today):
        monday = week_monday(today)
    if monday.year != year:  # a January whose first Sunday is later: read the month's first week
        monday = week_monday(dt.date(year, month, 1)) + dt.timedelta(days=7)
    total, rows = fg.unit_figures(region, monday)
    before = last_week_of(year - 1 if month == 1 else year, 12 if month == 1 else month - 1)
    if before.year == monday.year:
        previous_total, previous_rows = fg.unit_figures(region, before)
    else:  # January: the year's figures start again
        previous_total, previous_rows = fg.UnitFigures(region), []
    current = fg.Dispatch(region, monday, total, previous_total, fg.rank_rows(rows, previous_rows))
    end = min(dt.date(year, month, calendar.monthrange(year, month)[1]), today)
    days_in_year = 366 if calendar.isleap(year) else 365
    schedule = (Decimal(end.timetuple().tm_yday) / days_in_year).quantize(fg.FOUR)
    laggards = [r for r in current.rows if r.current.progress is not None and r.current.progress < schedule]
    weeks = weeks_of(year, month)
    missing = (
        [
            MissingVillage(v, len(weeks) - v.filed, v.filed_late)  # type: ignore[attr-defined]  # annotated by village_reports_in
            for v in fg.village_reports_in(region.prefix, weeks)
        ]
        if weeks
        else []
    )
    return Bulletin(
        region=region,
        year=year,
        month=month,
        monday=monday,
        weeks=weeks,
        dispatch=current,
        schedule=schedule,
        laggards=laggards,
        missing=missing,
        fund=fg.fund(region.prefix),
        made_at=timezone.now(),
    )


RANK_HEADER = [
    "排名",
    "单位",
    "改厕任务(户)",
    "已改造(户)",
    "改厕进度",
    "较上月",
    "使用率",
    "垃圾收运覆盖率",
    "污水治理率",
    "未报村数",
]


def rank_cells(r: fg.Ranked) -> list[str]:
    c = r.current
    return [
        str(r.rank) if r.rank is not None else "—",
        c.region.name if c.region else "",
        str(c.toilets_planned),
        str(c.toilets_upgraded),
        pct(c.progress),
        points(r.change("progress")),
        pct(c.usage_rate),
        pct(c.garbage_rate),
        pct(c.sewage_rate),
        str(c.missing),
    ]


def fund_rows(fund: fg.Fund) -> list[list[str]]:
    return [
        [
            line.label,
            str(line.projects),
            yuan_wan(line.budget),
            yuan_wan(line.arranged),
            yuan_wan(line.paid),
            pct(line.paid_rate),
        ]
        for line in [*fund.by_theme, *fund.corridor, fund.total]
    ]


FUND_HEADER = ["类别", "项目数", "总投资", "已安排", "已支付", "支出进度"]


def bulletin_docx(b: Bulletin) -> bytes:
    document = a4_document()
    w = DocWriter(document)
    w.title(b.title)
    w.title(b.subtitle, 16, bold=False)
    w.paragraph(f"生成时间:{timezone.localtime(b.made_at):%Y-%m-%d %H:%M}", size=10.5, indent=False)
    w.heading("一、总体情况")
    for line in b.text():
        w.paragraph(line)
    w.heading(f"二、各{b.unit_label}改厕进度排名")
    if b.dispatch.rows:
        w.table(RANK_HEADER, [rank_cells(r) for r in b.dispatch.rows])
    else:
        w.paragraph("本级以下没有单位。")
    w.heading("三、进度滞后单位")
    if b.laggards:
        w.table(RANK_HEADER, [rank_cells(r) for r in b.laggards])
    else:
        w.paragraph("没有改厕进度低于时序进度的单位。")
    w.heading("四、未按时报送周报的村")
    if b.missing:
        rows = [[m.region.name, str(m.weeks_missed), str(m.weeks_late)] for m in b.missing[:MISSING_LISTED]]
        w.table(["村", "未报周数", "迟报周数"], rows)
        if len(b.missing) > MISSING_LISTED:
            w.paragraph(f"另有{len(b.missing) - MISSING_LISTED}个村,详见 Excel 版通报。", size=10.5)
    else:
        w.paragraph("本月各村周报均已报送。")
    w.heading("五、人居环境资金")
    if b.fund.total.projects:
        w.table(FUND_HEADER, fund_rows(b.fund))
    else:
        w.paragraph("尚无纳入人居环境资金的项目。")
    w.paragraph(
        "注:改厕进度=本年已改造户厕÷年度改厕任务;时序进度=年内已过天数÷全年天数;使用率=正常使用÷卫生厕所户数;"
        "未报送周报的村按其最近一周数据计入。",
        size=10.5,
    )
    return document_bytes(document)


def bulletin_xlsx(b: Bulletin) -> bytes:
    out = io.BytesIO()
    book, formats = export_workbook(out)
    text = Sheet(book, "通报正文", [(b.title + b.subtitle, 120)], formats)
    for paragraph in b.text():
        text.write([paragraph])
    ranking = Sheet(
        book,
        "排名",
        [
            ("排名", 6),
            ("区划代码", 14),
            ("单位", 14),
            ("改厕任务(户)", 12),
            ("已改造(户)", 12),
            ("改厕进度(%)", 12),
            ("较上月(百分点)", 14),
            ("卫生厕所户数", 12),
            ("正常使用(户)", 12),
            ("建成未使用(户)", 14),
            ("使用率(%)", 10),
            ("垃圾收运覆盖率(%)", 16),
            ("污水治理率(%)", 12),
            ("村庄整治完成率(%)", 16),
            ("未报村数", 10),
            ("进度滞后", 10),
        ],
        formats,
    )
    lagging = {id(r) for r in b.laggards}
    for r in b.dispatch.rows:
        c = r.current
        ranking.write(
            [
                r.rank,
                c.region.code if c.region else "",
                c.region.name if c.region else "",
                c.toilets_planned,
                c.toilets_upgraded,
                _num(c.progress),
                _dec(r.change("progress")),
                c.toilets_sanitary,
                c.toilets_in_use,
                c.toilets_unused,
                _num(c.usage_rate),
                _num(c.garbage_rate),
                _num(c.sewage_rate),
                _num(c.works_rate),
                c.missing,
                id(r) in lagging,
            ]
        )
    ranking.finish()
    missing = Sheet(
        book, "未报周报的村", [("区划代码", 14), ("村", 30), ("未报周数", 10), ("迟报周数", 10)], formats
    )
    for m in b.missing:
        missing.write([m.region.code, m.region.name, m.weeks_missed, m.weeks_late])
    missing.finish()
    fund = Sheet(
        book,
        "人居环境资金",
        [
            ("类别", 14),
            ("项目数", 8),
            ("总投资(元)", 16),
            ("已安排(元)", 16),
            ("已支付(元)", 16),
            ("支出进度(%)", 12),
        ],
        formats,
    )
    for fund_line in [*b.fund.by_theme, *b.fund.corridor, b.fund.total]:
        line = fund_line
        fund.write([line.label, line.projects, line.budget, line.arranged, line.paid, _num(line.paid_rate)])
    book.close()
    return out.getvalue()


def _num(rate: Decimal | None) -> float | None:
    return None if rate is None else float(rate * 100)


def _dec(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
