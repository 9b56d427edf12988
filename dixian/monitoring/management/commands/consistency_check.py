"""`dixian consistency_check [--region CODE]`: run the 疑点核查 now (docs/domain.md §20.1) and print the
open findings per rule. The worker runs the same every night (monitoring/jobs.py)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dixian.monitoring.consistency import RULES, consistency_check
from dixian.regions.models import Region


class Command(BaseCommand):
    help = "疑点核查:检查监测帮扶档案与农户信息的一致性,新增、保留或消除疑点,并按规则输出疑点数。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", default="", help="只核查该区划(含下级),填区划代码;不填则核查全部")

    def handle(self, *args: Any, region: str, **options: Any) -> None:
        prefix = ""
        name = "全部区划"
        if region:
            found = Region.objects.filter(code=region.strip()).first()
            if found is None:
                raise CommandError(f"区划代码「{region}」不存在,请填写系统中已有的区划代码", returncode=2)
            prefix, name = found.prefix, found.full_name or found.name
        started = time.monotonic()
        result = consistency_check(prefix=prefix)
        for code, label in RULES.items():
            self.stdout.write(f"{label}({code}):{result.counts[code]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"疑点核查完成({name}):新增 {result.opened},仍存在 {result.kept},已消除 {result.resolved},"
                f"耗时 {time.monotonic() - started:.1f} 秒。"
            )
        )
