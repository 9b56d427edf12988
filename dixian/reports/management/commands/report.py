"""`dixian report --period 2026-10 --region 3604`: write the month's bulletin (docs/domain.md §21)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dixian.reports.bulletin import (
    BulletinError,
    bulletin_build,
    bulletin_docx,
    bulletin_xlsx,
    period_lookup,
    region_lookup,
)
from dixian.reports.periods import PeriodError

FORMATS = ("docx", "xlsx", "both")


class Command(BaseCommand):
    help = "生成月度通报(.docx 和/或 .xlsx):指标取自统计数,与统计看板一致。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="统计月份,例如 2026-10")
        parser.add_argument("--region", required=True, help="区划代码,例如 3604、360424 或 360424100000")
        parser.add_argument("--out", default=".", help="输出目录,默认当前目录")
        parser.add_argument("--format", default="both", help="docx、xlsx 或 both(默认)")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        if fmt not in FORMATS:
            raise CommandError(f"--format “{fmt}”无法识别:请写 docx、xlsx 或 both。")
        try:
            period = period_lookup(options["period"])
            region = region_lookup(options["region"])
        except (PeriodError, BulletinError) as exc:
            raise CommandError(str(exc)) from exc
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"输出目录“{out}”是一个文件:请换一个目录。")
        bulletin = bulletin_build(region, period)
        # Both files are made before either is written: a failure leaves nothing half-written.
        files = {
            ext: render(bulletin)
            for ext, render in (("docx", bulletin_docx), ("xlsx", bulletin_xlsx))
            if fmt in (ext, "both")
        }
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"无法创建输出目录“{out}”:{exc.strerror}。") from exc
        # Each file is written beside its name and renamed into place, so a failed write leaves no
        # truncated file behind.
        written = []
        for ext, content in files.items():
            path = out / bulletin.filename(ext)
            part = path.with_name(path.name + ".part")
            try:
                part.write_bytes(content)
                part.replace(path)
            except OSError as exc:
                part.unlink(missing_ok=True)
                raise CommandError(f"无法写入“{path}”:{exc.strerror}。") from exc
            written.append(path)
        for path in written:
            self.stdout.write(f"已生成 {path}")
        if bulletin.empty:
            self.stdout.write("注意:该月暂无统计数据,通报各项均按0列示(可先运行 dixian refresh_facts)。")
