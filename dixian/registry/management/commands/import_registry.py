"""`dixian import_registry FILE`: import a county's registry workbook from the command line.

Exit status: 0 imported, 1 rejected (the report workbook is written), 2 the file cannot be read at all
(or the command was called wrongly). Every exit prints one line saying why, in Chinese.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dixian.accounts.models import User
from dixian.regions.models import Region
from dixian.registry.imports import registry_import
from dixian.registry.models import ImportBatch

EXIT_IMPORTED, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
logger = logging.getLogger("dixian.import")


class Command(BaseCommand):
    help = "导入农户信息工作簿(每人一行)。退出码:0 已导入;1 有错误未导入(已写出错误报告);2 文件无法读取。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件(UTF-8 或 GBK 编码)")
        parser.add_argument("--region", help="导入范围的区划代码(默认:--user 所属区划,否则全市)")
        parser.add_argument("--report", help="有错误时,把错误报告工作簿另存到此路径")
        parser.add_argument("--findings-report", help="有疑点时,把疑点清单工作簿另存到此路径")
        parser.add_argument("--user", help="以哪个账号的名义导入(记入变更记录)")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = self._import(options)
        except CommandError as exc:
            self.stderr.write(f"导入失败:{exc}")
            code = EXIT_UNREADABLE
        except Exception:  # noqa: BLE001 - the user gets one line; -v 2 shows the traceback
            if options["verbosity"] >= 2:
                logger.exception("import_registry failed")
            self.stderr.write("导入失败:出现意外错误,未导入任何数据。加 -v 2 重新运行可查看详细原因。")
            code = EXIT_UNREADABLE
        sys.exit(code)

    def _import(self, options: dict[str, Any]) -> int:
        path = Path(options["file"])
        actor = None
        if options.get("user"):
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"账号「{options['user']}」不存在")
        region = self._region(options.get("region"), actor)
        if actor is not None and actor.region is not None and not region.code.startswith(actor.region.prefix):
            raise CommandError(f"账号「{actor.username}」无权导入{region}的数据")
        bars: list[tqdm] = []

        def progress(done: int, total: int) -> None:
            if not total or options["no_progress"]:
                return  # the row count is known once the sheet has been read
            if not bars:
                bars.append(tqdm(total=total, unit="行", desc="导入", file=sys.stderr, leave=False))
            bars[0].update(done - bars[0].n)

        try:
            batch = registry_import(path=path, actor=actor, region=region, progress=progress)
        finally:
            for bar in bars:
                bar.close()
        if batch.status == ImportBatch.Status.IMPORTED:
            self.stdout.write(batch.message)
            for warning in batch.warnings:
                self.stdout.write(f"提示:{warning}")
            self._findings(batch, options.get("findings_report"))
            return EXIT_IMPORTED
        if batch.status == ImportBatch.Status.REJECTED:
            report = Path(settings.DATA_DIR) / batch.report_file
            if options.get("report"):
                target = Path(options["report"])
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(report, target)
                report = target
            self.stderr.write(f"{batch.message} 错误报告:{report}")
            return EXIT_REJECTED
        self.stderr.write(f"无法导入:{batch.message}")
        return EXIT_UNREADABLE

    def _findings(self, batch: ImportBatch, copy_to: str | None) -> None:
        """Counts per rule, the first findings with their rows, and where the sheet of all of them is."""
        if not batch.finding_count:
            return
        self.stdout.write(f"疑点 {batch.finding_count} 处(已导入,请核实):")
        for _code, label, n in batch.findings.get("counts", []):
            self.stdout.write(f"  {label}:{n} 处")
        sample = batch.findings.get("sample", [])
        for f in sample:
            self.stdout.write(f"  第 {f['row']} 行 {f['column'] or '整行'}:{f['label']}:{f['reason']}")
        if batch.finding_count > len(sample):
            self.stdout.write(f"  …… 另有 {batch.finding_count - len(sample)} 处,见疑点清单")
        if batch.findings_file:
            sheet = Path(settings.DATA_DIR) / batch.findings_file
            if copy_to:
                target = Path(copy_to)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(sheet, target)
                sheet = target
            self.stdout.write(f"疑点清单:{sheet}")

    @staticmethod
    def _region(code: str | None, actor: User | None) -> Region:
        if code:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise CommandError(f"区划代码「{code}」不存在")
            return region
        if actor is not None and actor.region is not None:
            return actor.region
        roots = list(Region.objects.filter(parent__isnull=True)[:2])
        if len(roots) != 1:
            raise CommandError("请用 --region 指定导入范围的区划代码")
        return roots[0]
