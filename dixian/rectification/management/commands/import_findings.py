"""`dixian import_findings FILE [--user NAME]`: import a findings list (问题清单, docs/domain.md §25).

Exit status: 0 imported, 1 refused (row errors, each printed), 2 the file cannot be read at all (or the command
was called wrongly). Every exit prints one line saying why, in Chinese. The scope is the account's region
(--user, which needs RECTIFICATION_EDIT), else the whole tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from dixian.accounts.capabilities import Capability
from dixian.common.import_command import EXIT_IMPORTED, EXIT_REFUSED, EXIT_UNREADABLE, WorkbookImportCommand
from dixian.rectification.imports import findings_import


class Command(WorkbookImportCommand):
    command = "import_findings"
    capability = Capability.RECTIFICATION_EDIT

    help = "导入问题清单(.xlsx)。退出码:0 已导入;1 有错误未导入(逐行列出错误);2 文件无法读取或参数有误。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 工作簿")
        parser.add_argument("--user", help="以哪个账号的名义导入(导入范围为该账号所属区划)")

    def run_import(self, options: dict[str, Any]) -> int:
        path = Path(options["file"])
        actor, scope = self.actor_and_scope(options.get("user"))
        if not path.exists():
            raise CommandError(f"找不到文件「{path}」")
        result = findings_import(path=path, actor=actor, scope=scope)
        if result.ok:
            self.stdout.write(result.message)
            return EXIT_IMPORTED
        if not result.errors:
            self.stderr.write(f"无法导入:{result.message}")
            return EXIT_UNREADABLE
        for err in result.errors:
            self.stderr.write(f"  第 {err.row} 行 {err.column or '整行'}:{err.reason}")
        self.stderr.write(result.message)
        return EXIT_REFUSED
