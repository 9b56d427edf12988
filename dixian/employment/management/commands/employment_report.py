"""`dixian employment_report --month 2026-10 --region 3604 [--json]`: a unit's monthly employment figures
(docs/domain.md §23 "Figures"): employed, the base year's same month and the ratio, the previous year and
month, the roll and coverage, by place tier and channel, and the townships whose count fell. As a table with
Chinese labels, or as JSON for machines (percentages as exact strings). Exit 2 with a Chinese message for a
month or region it cannot read."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError
from dixian.employment.figures import PERCENT, by_channel, by_tier, headline_lines, region_report, report_json
from dixian.regions.models import Region

CODE = re.compile(r"\d{4,12}")


class Command(BaseCommand):
    help = "输出一个地区某月脱贫劳动力和监测劳动力务工就业的主要指标(表格,或 --json)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="摸排月份,例如 2026-10")
        parser.add_argument("--region", required=True, help="区划代码,例如 3604、360424 或 360424100000")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出(比率为精确到两位小数的字符串)")

    def handle(self, *args: Any, **options: Any) -> None:
        month = _month(options["month"])
        region = _region(options["region"])
        report = region_report(region, month)
        if options["json"]:
            self.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=2))
            return
        lines = headline_lines(report)
        self.stdout.write(
            f"{region.full_name or region.name} {e.month_label(month)}脱贫劳动力和监测劳动力务工就业情况"
        )
        width = max(_width(line.label) for line in lines)
        for line in lines:
            unit = "" if line.unit == PERCENT else line.unit
            self.stdout.write(
                f"{line.label}{' ' * (width - _width(line.label))}  {line.text:>12} {unit}".rstrip()
            )
        base = f"{report.months.base.year}年{report.months.base.month}月"
        for title, rows in (("按务工地域", by_tier(report.total)), ("按就业渠道", by_channel(report.total))):
            self.stdout.write("")
            self.stdout.write(f"{title}(本月 / {base} / 占基准年同期)")
            for b in rows:
                ratio = "—" if b.ratio is None else f"{b.ratio:.2f}%"
                self.stdout.write(
                    f"  {b.label}{' ' * (12 - _width(b.label))}{b.employed:>10,} {b.base:>10,} {ratio:>10}"
                )
        self.stdout.write("")
        if report.falling:
            self.stdout.write("就业人数较上月下降的乡镇(上月 → 本月,减少)")
            for f in report.falling:
                name = f.region.full_name or f.region.name
                self.stdout.write(f"  {name}: {f.previous:,} → {f.current:,},减少 {f.fall:,} 人")
        else:
            self.stdout.write("没有就业人数较上月下降的乡镇。")


def _width(text: str) -> int:
    """Columns a text takes in a terminal: a Chinese character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _month(text: str) -> Any:
    text = (text or "").strip()
    try:
        month = e.month_parse(text)
    except ParseError as exc:
        raise CommandError(f"{exc}。", returncode=2) from exc
    current = e.month_parse(timezone.localdate())
    if month > current:
        raise CommandError(
            f"{e.month_label(month)}还未到,没有摸排数据:请填写本月({e.month_key(current)})或以前的月份。",
            returncode=2,
        )
    return month


def _region(text: str) -> Region:
    text = (text or "").strip()
    if not text.isascii() or not CODE.fullmatch(text):
        raise CommandError(
            f"区划“{text}”无法识别:请填写区划代码,例如 3604(市)、360424(县)或 12 位代码 360424100000。",
            returncode=2,
        )
    region = Region.objects.filter(code=text.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
    if region is None:
        raise CommandError(f"没有区划代码为“{text}”的市、县、乡镇或村:请核对代码后重试。", returncode=2)
    return region
