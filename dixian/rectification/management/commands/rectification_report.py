"""`dixian rectification_report --region 3604 [--json]`: the findings and tasks of a unit's subtree by source
and status, with the overdue ones (docs/domain.md §25 "Figures"). As a table with Chinese labels, or as JSON.
Exit 2 with a Chinese message for a region it cannot read."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dixian.rectification.models import Finding, FindingTask
from dixian.rectification.report import rectification_report, report_json
from dixian.regions.models import Region

CODE = re.compile(r"\d{4,12}")


class Command(BaseCommand):
    help = "输出一个地区问题整改台账的问题和整改任务数:按问题来源、状态,及超期数(表格,或 --json)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="区划代码,例如 3604、360424 或 360424100000")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args: Any, **options: Any) -> None:
        text = (options["region"] or "").strip()
        if not text.isascii() or not CODE.fullmatch(text):
            raise CommandError(
                f"区划“{text}”无法识别:请填写区划代码,例如 3604(市)、360424(县)或 12 位代码。", returncode=2
            )
        region = Region.objects.filter(code=text.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
        if region is None:
            raise CommandError(f"没有区划代码为“{text}”的市、县、乡镇或村:请核对代码后重试。", returncode=2)
        report = rectification_report(region)
        if options["json"]:
            self.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=2))
            return
        fs, ts = Finding.Status, FindingTask.Status
        self.stdout.write(f"{region.full_name or region.name} 问题整改台账({report.today:%Y-%m-%d})")
        self.stdout.write(
            f"{'问题来源':<10}{'问题':>6}{fs.OPEN.label:>6}{fs.REVIEW.label:>6}{fs.CLOSED.label:>6}{'超期':>6}"
            f"{'任务':>8}{ts.OPEN.label:>6}{ts.DONE.label:>6}{'超期':>6}"
        )
        for r in [*report.rows, report.total]:
            f, t = r.findings, r.tasks
            pad = " " * max(0, 14 - 2 * len(r.label))
            self.stdout.write(
                f"{r.label}{pad}{f['total']:>8}{f['open']:>9}{f['review']:>9}{f['closed']:>9}{f['overdue']:>8}"
                f"{t['total']:>10}{t['open']:>9}{t['done']:>9}{t['overdue']:>8}"
            )
