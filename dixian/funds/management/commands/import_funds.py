"""`dixian import_funds FILE [--report OUT.xlsx] [--user NAME]`: import the finance office's workbook.

Exit status: 0 imported, 1 refused (the error report is written), 2 the file cannot be read at all (or the
command was called wrongly). Every exit prints one line saying why, in Chinese. The scope is the account's
region (--user), else the whole tree (the one region without a parent).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from dixian.accounts.capabilities import Capability
from dixian.common.import_command import EXIT_IMPORTED, EXIT_REFUSED, EXIT_UNREADABLE, WorkbookImportCommand
from dixian.funds.imports import funds_import
from dixian.funds.models import FundsImportBatch


class Command(WorkbookImportCommand):
    command = "import_funds"
    capability = Capability.FUNDS_EDIT

    help = "导入资金下达、项目、资金安排和资金支付工作簿。退出码:0 已导入;1 有错误未导入(已写出错误报告);2 文件无法读取。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 工作簿")
        parser.add_argument("--report", help="有错误时,把错误报告工作簿另存到此路径")
        parser.add_argument("--user", help="以哪个账号的名义导入(导入范围为该账号所属区划)")

    def run_import(self, options: dict[str, Any]) -> int:
        path = Path(options["file"])
        actor, scope = self.actor_and_scope(options.get("user"))
        if not path.exists():
            raise CommandError(f"找不到文件「{path}」")
        batch = funds_import(path=path, actor=actor, scope=scope, file_name=path.name)
        if batch.status == FundsImportBatch.Status.IMPORTED:
            self.stdout.write(batch.message)
            return EXIT_IMPORTED
        if batch.status == FundsImportBatch.Status.REJECTED:
            report = Path(settings.DATA_DIR) / batch.report_file
            if options.get("report"):
                target = Path(options["report"])
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(report, target)
                report = target
            for e in batch.errors[:10]:
                self.stderr.write(f"  {e['sheet']} 第 {e['row']} 行 {e['column'] or '整行'}:{e['reason']}")
            self.stderr.write(f"{batch.message} 错误报告:{report}")
            return EXIT_REFUSED
        self.stderr.write(f"无法导入:{batch.message}")
        return EXIT_UNREADABLE
