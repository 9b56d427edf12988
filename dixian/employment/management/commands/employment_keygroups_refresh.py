"""`dixian employment_keygroups_refresh [--region 3604]`: recompute every key-group membership (重点群体,
docs/domain.md §23) of a region, or of the whole city, from the survey records and the departments' facts.
The nightly job does the same; this is for after a bulk load or to check by hand. Exit 2 with a Chinese
message for a region it cannot read."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dixian.employment.keygroups import keygroups_refresh_all
from dixian.regions.models import Region

CODE = re.compile(r"\d{4,12}")


class Command(BaseCommand):
    help = "按摸排记录和部门信息重新计算重点群体人员(全市,或 --region 指定的地区)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="区划代码,例如 3604、360424 或 360424100201")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = ""
        text = (options["region"] or "").strip()
        if text:
            if not CODE.fullmatch(text):
                raise CommandError(
                    f"区划“{text}”无法识别:请填写区划代码,例如 3604(市)、360424(县)或 12 位代码。",
                    returncode=2,
                )
            region = Region.objects.filter(code=text.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
            if region is None:
                raise CommandError(
                    f"没有区划代码为“{text}”的市、县、乡镇或村:请核对代码后重试。", returncode=2
                )
            prefix = region.prefix
        stats = keygroups_refresh_all(prefix)
        self.stdout.write(
            f"重点群体已更新:核对 {stats.persons} 人,新列入 {stats.opened} 条,退出 {stats.closed} 条,"
            f"更正 {stats.changed} 条,删除 {stats.deleted} 条。"
        )
