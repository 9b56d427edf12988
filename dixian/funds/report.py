"""The funds-and-projects report's lines (docs/domain.md §22 "Figures"): what each figure is called, its unit,
how it is written, and the list behind it. The page, its workbook and `dixian funds_report` all read these,
so they show the same figures under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from dixian.domain import funds as fd

from .figures import Figures, RegionReport

YUAN, PERCENT, COUNT_PROJECTS, COUNT_ASSETS, COUNT_HOUSEHOLDS = "元", "%", "个", "项", "户"


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    unit: str
    value: Decimal | int | None
    # The list behind the figure: (URL name, its query) — resolved by `drill_link`, None when no list shows it.
    drill: tuple[str, dict[str, str]] | None = None
    flag: str = ""  # a warning beside the figure (an industry share under the year's minimum)

    @property
    def text(self) -> str:
        return value_text(self.value, self.unit)

    def json_value(self) -> Any:
        """Amounts and rates as strings (exact: an amount to the fen, a rate to four places), counts as
        numbers, a rate over nothing as null."""
        if self.value is None or isinstance(self.value, int):
            return self.value
        return str(self.value)


def value_text(value: Decimal | int | None, unit: str) -> str:
    if value is None:
        return "—"  # a rate over nothing has no value
    if unit == PERCENT:
        return f"{Decimal(value) * 100:.2f}%"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def drill_link(name: str, query: dict[str, str]) -> str | None:
    """The URL of a list page with its filters, or None while the page does not exist: the lists are built
    beside this report (issue 16), and a link appears as soon as its URL name resolves."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}"


def lines(
    figures: Figures, *, year: int, region_pk: int | None, share_min: Decimal | None = None
) -> list[Line]:
    """The figures of one unit as report lines, with the list behind each (filtered to `region_pk`)."""
    base = {"year": str(year)}
    if region_pk is not None:
        base["region"] = str(region_pk)
    allocations = "funds:allocation_list"
    projects = "funds:project_list"
    flag = ""
    share = figures.industry_share
    if share_min is not None and share is not None and share < share_min:
        flag = f"低于年度下限{value_text(share_min, PERCENT)}"
    out = [
        Line("issued", "下达资金", YUAN, figures.issued, (allocations, base)),
        *(
            Line(
                f"issued_{level}",
                f"其中:{label}",
                YUAN,
                figures.issued_by_level.get(level, Decimal("0.00")),
                (allocations, {**base, "level": level}),
            )
            for level, label in fd.FUND_LEVELS.items()
        ),
        Line(
            "issued_direct", "直达资金", YUAN, figures.issued_direct, (allocations, {**base, "direct": "1"})
        ),
        Line("direct_share", "直达资金占比", PERCENT, figures.direct_share),
        Line("arranged", "已安排资金", YUAN, figures.arranged, (allocations, base)),
        Line("arranged_rate", "资金安排率", PERCENT, figures.arranged_rate),
        Line(
            "arranged_industry",
            "安排到产业发展项目",
            YUAN,
            figures.arranged_industry,
            (projects, {**base, "kind": fd.INDUSTRY}),
        ),
        Line("industry_share", "产业发展资金占比", PERCENT, share, flag=flag),
        Line(
            "planned",
            "年度实施项目",
            COUNT_PROJECTS,
            figures.planned,
            (projects, {**base, "progress": "planned"}),
        ),
        Line(
            "started",
            "已开工项目",
            COUNT_PROJECTS,
            figures.started,
            (projects, {**base, "progress": "started"}),
        ),
        Line("started_rate", "开工率", PERCENT, figures.started_rate),
        Line(
            "completed",
            "已完工项目",
            COUNT_PROJECTS,
            figures.completed,
            (projects, {**base, "progress": "completed"}),
        ),
        Line("completed_rate", "完工率", PERCENT, figures.completed_rate),
        Line(
            "accepted",
            "已验收项目",
            COUNT_PROJECTS,
            figures.accepted,
            (projects, {**base, "progress": "accepted"}),
        ),
        Line("accepted_rate", "验收率", PERCENT, figures.accepted_rate),
        Line("budget", "项目总投资", YUAN, figures.budget, (projects, {**base, "progress": "planned"})),
        Line("paid", "已支付资金", YUAN, figures.paid, ("funds:payment_list", base)),
        Line("paid_rate", "支出进度", PERCENT, figures.paid_rate),
    ]
    for cls, label in fd.ASSET_CLASSES.items():
        n, value = figures.assets.get(cls, (0, Decimal("0.00")))
        query = {**base, "asset_class": cls}
        out.append(Line(f"assets_{cls}_count", label, COUNT_ASSETS, n, ("funds:asset_list", query)))
        out.append(Line(f"assets_{cls}_value", f"{label}价值", YUAN, value, ("funds:asset_list", query)))
    out += [
        Line("households", "联农带农户数", COUNT_HOUSEHOLDS, figures.households, ("funds:link_list", base)),
        Line(
            "households_poor",
            "其中:脱贫户和监测户",
            COUNT_HOUSEHOLDS,
            figures.households_poor,
            ("funds:link_list", {**base, "kind": "ex_poor_or_monitored"}),
        ),
    ]
    return out


def report_lines(report: RegionReport) -> list[Line]:
    """The headline lines of a region's report, each list filtered to the region."""
    return lines(
        report.total, year=report.year, region_pk=report.region.pk, share_min=report.industry_share_min
    )


# The columns of the table by child region (a subset of the lines: the ranking a leader reads).
TABLE_KEYS = (
    "issued",
    "arranged",
    "arranged_rate",
    "industry_share",
    "planned",
    "started_rate",
    "completed_rate",
    "accepted_rate",
    "budget",
    "paid",
    "paid_rate",
    "households",
    "households_poor",
)
