"""`dixian import_regions FILE [--dry-run]`: load the city's part of the statistical division code table
(docs/domain.md §19) into the region tree.

Exit status: 0 applied (or, with --dry-run, reported), 1 the table has errors (nothing written),
2 the file cannot be read or holds no row of the city.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dixian.common.uploads import UploadRefused
from dixian.regions.loading import RegionTableError
from dixian.registry.region_table import regions_import

EXIT_DONE, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2
LISTED = 50  # units listed by name in each part of the report


class Command(BaseCommand):
    help = "导入国家统计局统计用区划代码表(.xlsx/.xls/.csv)中本市的部分:新增、更名、撤销区划。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="统计用区划代码表(全国、全省或全市)")
        parser.add_argument("--dry-run", action="store_true", help="只报告将要做的修改,不写入数据库")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        sys.exit(self._run(file, dry_run=dry_run))

    def _run(self, file: Path, *, dry_run: bool) -> int:
        if not file.is_file():
            self.stderr.write(f"导入失败:找不到文件 {file}")
            return EXIT_UNREADABLE
        try:
            report = regions_import(file, file_name=file.name, actor=None, apply=not dry_run)
        except (UploadRefused, RegionTableError) as exc:
            self.stderr.write(f"导入失败:{exc}")
            return EXIT_UNREADABLE
        for line in report.summary():
            self.stdout.write(line)
        if report.refused:
            self.stderr.write(
                f"代码表有 {report.read.error_count + len(report.plan.errors):,} 处错误,未做任何修改:"
            )
            for message in report.errors[:LISTED]:
                self.stderr.write(f"  {message}")
            return EXIT_ERRORS
        plan = report.plan
        for r in plan.renamed[:LISTED]:
            self.stdout.write(f"  更名 {r.code}:{r.old_name} → {r.new_name}")
        for w in report.with_households[:LISTED]:
            self.stdout.write(f"  撤销但仍有农户 {w.unit.code} {w.unit.full_name}:{w.households:,} 户")
        for w in report.still_holding[:LISTED]:
            self.stdout.write(f"  此前已撤销、仍有农户 {w.unit.code} {w.unit.full_name}:{w.households:,} 户")
        if dry_run:
            self.stdout.write("(试运行:未写入数据库)")
        else:
            self.stdout.write(self.style.SUCCESS("已导入。"))
        return EXIT_DONE
