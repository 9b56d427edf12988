"""What every workbook import command shares (`dixian import_funds`, `dixian import_survey`): one Chinese line on
every exit, the exit status (0 imported, 1 refused with the error report written, 2 unreadable or called
wrongly), and the importing account with its scope (--user, which needs the import's right; else the whole tree).
"""

from __future__ import annotations

import logging
import sys
from abc import ABC, abstractmethod
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dixian.accounts.capabilities import Capability, user_can
from dixian.accounts.models import User
from dixian.regions.models import Region

EXIT_IMPORTED, EXIT_REFUSED, EXIT_UNREADABLE = 0, 1, 2
logger = logging.getLogger("dixian.import")


class WorkbookImportCommand(BaseCommand, ABC):
    """A subclass sets `command` (its name, for the log) and `capability` (the right --user needs) and implements
    `run_import(options) -> exit status`, raising CommandError for a wrong call or an unreadable file."""

    command = ""
    capability: Capability

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = self.run_import(options)
        except CommandError as exc:
            self.stderr.write(f"导入失败:{exc}")
            code = EXIT_UNREADABLE
        except Exception:  # noqa: BLE001 - the user gets one line; -v 2 shows the traceback
            if options["verbosity"] >= 2:
                logger.exception("%s failed", self.command)
            self.stderr.write("导入失败:出现意外错误,未导入任何数据。加 -v 2 重新运行可查看详细原因。")
            code = EXIT_UNREADABLE
        sys.exit(code)

    @abstractmethod
    def run_import(self, options: dict[str, Any]) -> int:
        """Read, check and import the workbook of `options`; the exit status."""

    def actor_and_scope(self, username: str | None) -> tuple[User | None, Region]:
        """The account named by --user (which must hold `capability` and a region) and its region; without
        --user no account and the whole tree (the one region without a parent)."""
        if username:
            actor = User.objects.filter(username=username).select_related("region").first()
            if actor is None:
                raise CommandError(f"账号「{username}」不存在")
            if not user_can(actor, self.capability) or actor.region is None:
                raise CommandError(f"账号「{actor.username}」没有“{self.capability.label}”的权限")
            return actor, actor.region
        roots = list(Region.objects.filter(parent__isnull=True)[:2])
        if len(roots) != 1:
            raise CommandError("请用 --user 指定导入账号(区划树没有唯一的顶层单位)")
        return None, roots[0]
