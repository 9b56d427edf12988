"""The notices of the lifecycle (docs/domain.md §5, §20), generated from the cases: the village notice
(村内公示) of households proposed for identification or for risk elimination, and the township's result
notice (公告) of the households the county approved.

A notice lists, per household, only what a notice may show: the head of household's name, the village and
group, the category, the risk types and, for an elimination, its method. Never an ID number, a phone, a
bank account or anything about health (docs/domain.md §5): the rows are built here from those fields
alone, so neither the page nor the .docx can show more than `NoticeRow` holds.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from dixian.common.access import code_in_scope
from dixian.common.documents import run_font
from dixian.domain import lifecycle as lc
from dixian.domain.risks import risk_name
from dixian.regions.models import Region

from .models import MonitoringCase
from .selectors import case_scope_for_user

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from docx.enum.text import WD_PARAGRAPH_ALIGNMENT

    from dixian.accounts.models import User

IDENTIFICATION, ELIMINATION = "identification", "elimination"
# The village notice of each kind: the step whose notice it is.
VILLAGE_KINDS: dict[str, str] = {IDENTIFICATION: lc.PUBLIC_NOTICE, ELIMINATION: lc.ELIM_NOTICE}
TOWNSHIP_STEP = lc.ANNOUNCEMENT


@dataclass(frozen=True)
class NoticeRow:
    head_name: str
    place: str  # village and group
    category: str
    risks: str
    method: str = ""  # elimination notices only


@dataclass(frozen=True)
class Notice:
    kind: str  # identification / elimination / announcement
    region: Region
    title: str
    issuer: str
    preface: str
    columns: tuple[str, ...]
    rows: tuple[NoticeRow, ...]
    start: dt.date | None  # the first day (posting day) …
    end: dt.date | None  # … and the last full day
    objection: str
    # Other posting days of the same kind in the region (a village may post twice in a week).
    other_days: tuple[dt.date, ...] = ()
    full_days: int = lc.NOTICE_FULL_DAYS

    @property
    def cells(self) -> list[list[str]]:
        """The table's rows as text, numbered, in the order of `columns`."""
        return [
            [str(i), r.head_name, r.place, r.category, r.risks, *([r.method] if self.has_method else [])]
            for i, r in enumerate(self.rows, 1)
        ]

    @property
    def has_method(self) -> bool:
        return self.kind == ELIMINATION

    @property
    def period(self) -> str:
        if self.start is None or self.end is None:
            return ""
        return f"{cn_date(self.start)}至{cn_date(self.end)}"

    def filename(self, ext: str) -> str:
        day = f"_{self.start:%Y%m%d}" if self.start else ""
        return f"{self.title}_{self.region.name}{day}.{ext}"


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def last_full_day(start: dt.date) -> dt.date:
    """The last of the notice's full days: the day before it may be closed (docs/domain.md §20)."""
    return lc.notice_may_close_on(start) - dt.timedelta(days=1)


def village_committee(village: Region) -> str:
    """村民委员会, or 居民委员会 for a 社区."""
    return f"{village.name}{'居民委员会' if village.name.endswith('社区') else '村民委员会'}"


def township_government(township: Region) -> str:
    """乡镇人民政府, or 街道办事处 for a 街道."""
    return f"{township.name}{'办事处' if township.name.endswith('街道') else '人民政府'}"


def _region_for(user: User, code: str, level: str) -> Region:
    """The region of `level` named by `code`, inside the account's scope; 404 otherwise, alike."""
    region = Region.objects.filter(code=code, level=level).select_related("parent").first()
    if region is None or not code_in_scope(user, region.code):
        raise Http404("区划不存在或不在您的管辖范围内")
    return region


def _cases(user: User, region: Region, state: str) -> QuerySet[MonitoringCase]:
    return (
        case_scope_for_user(user)
        .filter(region_code__gte=region.prefix, region_code__lt=region.prefix + "~", state=state)
        .select_related("household__region", "region", "elimination")
        .order_by("region_code", "household__household_no")
    )


def _place(case: MonitoringCase) -> str:
    where = case.household.region
    village = case.region
    if where.pk != village.pk and where.level == "group":
        return f"{village.name}{where.name}"
    return village.name


def _row(case: MonitoringCase, *, method: bool) -> NoticeRow:
    elimination = getattr(case, "elimination", None) if method else None
    return NoticeRow(
        head_name=case.household.head_name,
        place=_place(case),
        category=case.get_category_display() if case.category else "",
        risks="、".join(risk_name(code) for code in case.risk_codes),
        method=lc.ELIMINATION_METHODS.get(elimination.method, "") if elimination is not None else "",
    )


def _objection(issuer: str, township: Region | None) -> str:
    where = issuer if township is None else f"{issuer}或{township_government(township)}"
    return (
        f"公示期间如有异议,请以书面、电话或当面方式向{where}反映,也可拨打{settings.DIXIAN_NOTICE_CONTACT}。"
    )


def village_notice(user: User, code: str, kind: str, posted: dt.date | None = None) -> Notice:
    """村内公示 of the village's cases in the notice step of `kind`, posted on `posted` (the latest posting
    day when not given). 404 for a village out of the account's scope or an unknown kind."""
    step = VILLAGE_KINDS.get(kind)
    if step is None:
        raise Http404("没有这种公示")
    village = _region_for(user, code, "village")
    cases = _cases(user, village, step)
    days = sorted(
        {d for d in cases.values_list("notice_posted_on", flat=True) if d is not None}, reverse=True
    )
    start = posted if posted in days else (days[0] if days else None)
    chosen = [c for c in cases.filter(notice_posted_on=start)] if start else []
    issuer = village_committee(village)
    township = village.parent if village.parent is not None and village.parent.level == "township" else None
    if kind == IDENTIFICATION:
        title = "关于拟纳入防止返贫监测对象的公示"
        preface = (
            "根据防止返贫动态监测和帮扶工作要求,经农户申请或排查发现、入户核实、信息比对和村民主评议,"
            "拟将以下农户纳入防止返贫监测对象,现予公示。"
        )
    else:
        title = "关于拟消除防止返贫监测对象返贫致贫风险的公示"
        preface = (
            "根据防止返贫动态监测和帮扶工作要求,经入户核实和村民主评议,以下监测对象拟消除返贫致贫风险,"
            "现予公示。"
        )
    columns = ("序号", "户主姓名", "所在村组", "监测对象类别", "风险类型")
    return Notice(
        kind=kind,
        region=village,
        title=title,
        issuer=issuer,
        preface=preface,
        columns=columns + (("消除方式",) if kind == ELIMINATION else ()),
        rows=tuple(_row(c, method=kind == ELIMINATION) for c in chosen),
        start=start,
        end=last_full_day(start) if start else None,
        objection=_objection(issuer, township),
        other_days=tuple(d for d in days if d != start),
    )


def township_notice(user: User, code: str, on: dt.date | None = None) -> Notice:
    """公告 of the township: its cases the county approved and that await the announcement, issued on `on`
    (today when not given). 404 for a township out of the account's scope."""
    township = _region_for(user, code, "township")
    start = on or timezone.localdate()
    issuer = township_government(township)
    return Notice(
        kind="announcement",
        region=township,
        title="关于纳入防止返贫监测对象的公告",
        issuer=issuer,
        preface=(
            "根据防止返贫动态监测和帮扶工作要求,经入户核实、信息比对、村民主评议、村内公示、乡镇初审和"
            "县级审定,以下农户纳入防止返贫监测对象,落实帮扶措施,现予公告。"
        ),
        columns=("序号", "户主姓名", "所在村组", "监测对象类别", "风险类型"),
        rows=tuple(_row(c, method=False) for c in _cases(user, township, TOWNSHIP_STEP)),
        start=start,
        end=last_full_day(start),
        objection=_objection(issuer, None).replace("公示期间", "公告期间"),
    )


# ---- .docx ---------------------------------------------------------------------------------------------

FONT = "宋体"
TITLE_FONT = "方正小标宋简体"


# One definition of the East Asian font setting, shared with the bulletins (common/documents.py).
_font = run_font


def notice_docx(notice: Notice) -> bytes:
    """The notice as a Word document (A4, 宋体), the same text as the printable page."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.2)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(notice.title), TITLE_FONT, 20, bold=True)

    def paragraph(text: str, *, indent: bool = True, align: WD_PARAGRAPH_ALIGNMENT | None = None) -> None:
        p = document.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(28)
        if align is not None:
            p.alignment = align
        p.paragraph_format.line_spacing = 1.5
        _font(p.add_run(text), FONT, 14)

    paragraph(notice.preface)
    table = document.add_table(rows=1, cols=len(notice.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, notice.columns, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(text), FONT, 12, bold=True)
    for values in notice.cells:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            _font(cell.paragraphs[0].add_run(text), FONT, 12)
    if not notice.rows:
        paragraph("(无)", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    word = "公告" if notice.kind == "announcement" else "公示"
    if notice.period:
        paragraph(f"{word}时间:{notice.period}(不少于{lc.NOTICE_FULL_DAYS}个整天)。")
    paragraph(notice.objection)
    paragraph(notice.issuer, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if notice.start:
        paragraph(cn_date(notice.start), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---- the case page's panel (monitoring/panels.py, order 50) ----------------------------------------------


def case_notice_panel(user: User, case: MonitoringCase) -> dict[str, object]:
    """The notice of the case's current notice step, if it is in one: its name, period and links. No query:
    the village is the case's own region (loaded with it) and the township's code is the village's prefix."""
    from django.urls import reverse

    # Every account that may open the case may open its village's notice; the township's 公告 lists the
    # whole township, so only an account whose scope covers the township gets the link.
    if case.state in (lc.PUBLIC_NOTICE, lc.ELIM_NOTICE):
        kind = IDENTIFICATION if case.state == lc.PUBLIC_NOTICE else ELIMINATION
        query = f"?posted={case.notice_posted_on.isoformat()}" if case.notice_posted_on else ""
        args = [case.region.code, kind]
        start = case.notice_posted_on
        return {
            "case_notice": {
                "label": "村内公示" if kind == IDENTIFICATION else "风险消除公示",
                "url": reverse("monitoring:notice_village", args=args) + query,
                "docx_url": reverse("monitoring:notice_village_docx", args=args) + query,
                "period": f"{cn_date(start)}至{cn_date(last_full_day(start))}" if start else "",
                "may_close_on": cn_date(lc.notice_may_close_on(start)) if start else "",
            }
        }
    if case.state == TOWNSHIP_STEP:
        code = case.region_code[:9] + "000"
        linked = code_in_scope(user, code)
        return {
            "case_notice": {
                "label": "乡镇公告",
                "url": reverse("monitoring:notice_township", args=[code]) if linked else "",
                "docx_url": reverse("monitoring:notice_township_docx", args=[code]) if linked else "",
                "period": "",
                "may_close_on": "",
            }
        }
    return {"case_notice": None}
