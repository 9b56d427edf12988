"""`dixian funds_report --year 2023 --region 3604 [--json]`: a region's headline figures of funds and
projects (docs/domain.md §22 "Figures"), as a table with Chinese labels or as JSON for machines (amounts and
rates as strings, exact). Exit 2 with a Chinese message for a region or year it cannot read."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dixian.funds.figures import region_report
from dixian.funds.report import report_lines
from dixian.regions.models import Region

CODE = re.compile(r"\d{4,12}")
FIRST_YEAR = 2015


class Command(BaseCommand):
    help = "输出一个地区某年度衔接资金和项目的主要指标(表格,或 --json)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="资金年度,例如 2023")
        parser.add_argument("--region", required=True, help="区划代码,例如 3604、360424 或 360424100000")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出(金额为精确到分的字符串)")

    def handle(self, *args: Any, **options: Any) -> None:
        year = _year(options["year"])
        region = _region(options["region"])
        report = region_report(region, year)
        lines = report_lines(report)
        if options["json"]:
            payload = {
                "region": region.code,
                "region_name": region.full_name or region.name,
                "year": year,
                "industry_share_min": str(report.industry_share_min),
                "industry_share_low": report.industry_share_low,
                "figures": {line.key: line.json_value() for line in lines},
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{region.full_name or region.name} {year}年衔接资金和项目主要指标")
        width = max(_width(line.label) for line in lines)
        for line in lines:
            unit = "" if line.unit == "%" else line.unit
            pad = " " * (width - _width(line.label))
            flag = f"  ({line.flag})" if line.flag else ""
            self.stdout.write(f"{line.label}{pad}  {line.text:>20} {unit}{flag}".rstrip())


def _width(text: str) -> int:
    """Columns a text takes in a terminal: a Chinese character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _year(text: str) -> int:
    current = timezone.localdate().year
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or not FIRST_YEAR <= int(text) <= current + 1:
        raise CommandError(
            f"年度“{text}”无法识别:请填写 {FIRST_YEAR} 至 {current + 1} 之间的年份,例如 2023。", returncode=2
        )
    return int(text)


def _region(text: str) -> Region:
    text = (text or "").strip()
    if not CODE.fullmatch(text):
        raise CommandError(
            f"区划“{text}”无法识别:请填写区划代码,例如 3604(市)、360424(县)或 12 位代码 360424100000。",
            returncode=2,
        )
    region = Region.objects.filter(code=text.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
    if region is None:
        raise CommandError(f"没有区划代码为“{text}”的市、县、乡镇或村:请核对代码后重试。", returncode=2)
    return region
