"""`dixian import_funds FILE [--report OUT.xlsx] [--user NAME]`: import the finance office's workbook.

Exit status: 0 imported, 1 refused (the error report is written), 2 the file cannot be read at all (or the
command was called wrongly). Every exit prints one line saying why, in Chinese. The scope is the account's
region (--user), else the whole tree (the one region without a parent).
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dixian.accounts.capabilities import Capability, user_can
from dixian.accounts.models import User
from dixian.funds.imports import funds_import
from dixian.funds.models import FundsImportBatch
from dixian.regions.models import Region

EXIT_IMPORTED, EXIT_REFUSED, EXIT_UNREADABLE = 0, 1, 2
logger = logging.getLogger("dixian.import")


class Command(BaseCommand):
    help = "导入资金下达、项目、资金安排和资金支付工作簿。退出码:0 已导入;1 有错误未导入(已写出错误报告);2 文件无法读取。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 工作簿")
        parser.add_argument("--report", help="有错误时,把错误报告工作簿另存到此路径")
        parser.add_argument("--user", help="以哪个账号的名义导入(导入范围为该账号所属区划)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = self._import(options)
        except CommandError as exc:
            self.stderr.write(f"导入失败:{exc}")
            code = EXIT_UNREADABLE
        except Exception:  # noqa: BLE001 - the user gets one line; -v 2 shows the traceback
            if options["verbosity"] >= 2:
                logger.exception("import_funds failed")
            self.stderr.write("导入失败:出现意外错误,未导入任何数据。加 -v 2 重新运行可查看详细原因。")
            code = EXIT_UNREADABLE
        sys.exit(code)

    def _import(self, options: dict[str, Any]) -> int:
        path = Path(options["file"])
        actor = None
        if options.get("user"):
            actor = User.objects.filter(username=options["user"]).select_related("region").first()
            if actor is None:
                raise CommandError(f"账号「{options['user']}」不存在")
            if not user_can(actor, Capability.FUNDS_EDIT) or actor.region is None:
                raise CommandError(f"账号「{actor.username}」没有“{Capability.FUNDS_EDIT.label}”的权限")
            scope = actor.region
        else:
            roots = list(Region.objects.filter(parent__isnull=True)[:2])
            if len(roots) != 1:
                raise CommandError("请用 --user 指定导入账号(区划树没有唯一的顶层单位)")
            scope = roots[0]
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
