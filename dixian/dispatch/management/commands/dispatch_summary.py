"""`dixian dispatch_summary --region 3604 --week 2026-W49 --out F.xlsx [--user NAME]`: the weekly summary of
a unit as a workbook, the same as the page's download (docs/domain.md §29 "The weekly summary").

Without --user the summary reads the whole subtree of the region with every ledger, as a read-only account
made for the run and never saved (a provider gets an account with no primary key); with --user it reads as
that account (which needs DISPATCH_VIEW and the region in its subtree) and the export is recorded in the
access log. Exit 2 with a Chinese message for a region, week, account or file it cannot use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dixian.accounts.capabilities import Capability, reader_account, user_can
from dixian.accounts.models import User
from dixian.common.access import code_in_scope
from dixian.common.access_log import Action, log_access
from dixian.common.due import WeekError, week_key, week_parse
from dixian.regions.models import Region

from ...board import board_build
from ...summary import summary_title, summary_write

CODE = re.compile(r"\d{4,12}", re.ASCII)


class Command(BaseCommand):
    help = "生成一个地区某周的工作调度周汇总(Excel):各台账分单位的应办、已完成、超期事项数和事项清单。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="区划代码,例如 3604(市)、360424(县)")
        parser.add_argument("--week", default="", help="周次,例如 2026-W49,或该周内的任一日期;默认本周")
        parser.add_argument("--out", required=True, help="输出的 .xlsx 文件")
        parser.add_argument("--user", default="", help="以该账号的权限和辖区生成(并记入访问记录)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        region = _region(options["region"])
        try:
            monday = week_parse(options["week"]) if options["week"].strip() else today
        except WeekError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        user = (
            _user(options["user"], region) if options["user"] else reader_account(region, "dispatch_summary")
        )
        out = Path(options["out"])
        if out.suffix.lower() != ".xlsx":
            raise CommandError(f"输出文件“{out}”应以 .xlsx 结尾。", returncode=2)
        if not out.parent.is_dir():
            raise CommandError(f"输出文件夹“{out.parent}”不存在。", returncode=2)
        board = board_build(user, region, monday, today=today)
        with out.open("wb") as fh:
            count = summary_write(board, fh)
        if user.pk is not None:
            log_access(
                user,
                action=Action.EXPORT,
                fields=("name",),
                count=count,
                scope=f"工作调度周汇总 {week_key(board.week_start)} {region.name}(命令行)",
                region_code=region.prefix,
            )
        self.stdout.write(f"{summary_title(board)}:{len(board.ledgers)} 个台账,{count} 项事项,已写入 {out}")


def _region(text: str) -> Region:
    text = (text or "").strip()
    if not CODE.fullmatch(text):
        raise CommandError(
            f"区划“{text[:20]}”无法识别:请填写区划代码,例如 3604(市)、360424(县)或 12 位代码 360424100000。",
            returncode=2,
        )
    region = Region.objects.filter(code=text.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
    if region is None:
        raise CommandError(f"没有区划代码为“{text}”的市、县、乡镇或村:请核对代码后重试。", returncode=2)
    return region


def _user(username: str, region: Region) -> User:
    user = User.objects.filter(username=username).select_related("region").first()
    if user is None or not user.is_active:
        raise CommandError(f"账号“{username}”不存在或已停用。", returncode=2)
    if not user_can(user, Capability.DISPATCH_VIEW):
        raise CommandError(f"账号“{username}”没有“{Capability.DISPATCH_VIEW.label}”的权限。", returncode=2)
    if not code_in_scope(user, region.code):
        raise CommandError(f"区划“{region.name}”不在账号“{username}”的辖区内。", returncode=2)
    return user
