"""`dixian environment_sums_rebuild [--region CODE]`: rewrite the townships' week sums of the living-environment
ledger from the weekly reports (docs/domain.md §27 "Week sums"), after weekly reports were loaded in bulk.
Idempotent: running it twice writes the same rows."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from dixian.environment.sums import rebuild


class Command(BaseCommand):
    help = "按人居环境周报重新生成各乡镇的周汇总(批量导入周报后运行;可重复运行,结果相同)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="只重建这个区划(代码前缀,如 3604 或 360424)下的乡镇")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = (options.get("region") or "").strip()
        if prefix and not re.fullmatch(r"\d{2,12}", prefix):
            raise CommandError(
                f"区划代码“{prefix[:14]}”无法识别:请填写 2 至 12 位数字的区划代码或其前缀。", returncode=2
            )
        with transaction.atomic():
            rows = rebuild(prefix)
        self.stdout.write(
            f"已重建人居环境乡镇周汇总 {rows:,} 行" + (f"(区划 {prefix})" if prefix else "") + "。"
        )
