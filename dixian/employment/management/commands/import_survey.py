"""`dixian import_survey FILE [--month 2026-10] [--user NAME] [--report OUT.xlsx]`: import a village's survey
workbook (就业信息摸排表, docs/domain.md §23).

Exit status: 0 imported, 1 refused (row errors; the error report is written), 2 the file cannot be read at all
(or the command was called wrongly). Every exit prints one line saying why, in Chinese. The scope is the
account's region (--user, which needs the right to record the survey), else the whole tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from dixian.accounts.capabilities import Capability
from dixian.common.import_command import EXIT_IMPORTED, EXIT_REFUSED, EXIT_UNREADABLE, WorkbookImportCommand
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError
from dixian.employment.imports import survey_import
from dixian.employment.models import SurveyImport


class Command(WorkbookImportCommand):
    command = "import_survey"
    capability = Capability.EMPLOYMENT_SURVEY

    help = (
        "导入就业信息摸排表(.xlsx)。退出码:0 已导入;1 有错误未导入(已写出错误报告);2 文件无法读取或参数有误。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 工作簿")
        parser.add_argument("--month", help="整本表的摸排月份,如 2026-10(表中填写了摸排月份的行以表中为准)")
        parser.add_argument("--user", help="以哪个账号的名义导入(导入范围为该账号所属区划)")
        parser.add_argument("--report", help="有错误时,把错误报告工作簿另存到此路径")

    def run_import(self, options: dict[str, Any]) -> int:
        path = Path(options["file"])
        month = None
        if options.get("month"):
            try:
                month = e.month_parse(options["month"])
            except ParseError as exc:
                raise CommandError(str(exc)) from None
        actor, scope = self.actor_and_scope(options.get("user"))
        if not path.exists():
            raise CommandError(f"找不到文件「{path}」")
        batch = survey_import(path=path, actor=actor, scope=scope, file_name=path.name, month=month)
        if batch.status == SurveyImport.Status.DONE:
            self.stdout.write(batch.message)
            return EXIT_IMPORTED
        if not batch.report_file:
            self.stderr.write(f"无法导入:{batch.message}")
            return EXIT_UNREADABLE
        report = Path(settings.DATA_DIR) / batch.report_file
        if options.get("report"):
            target = Path(options["report"])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report, target)
            report = target
        for err in batch.errors[:10]:
            self.stderr.write(f"  第 {err['row']} 行 {err['column'] or '整行'}:{err['reason']}")
        self.stderr.write(f"{batch.message} 错误报告:{report}")
        return EXIT_REFUSED
