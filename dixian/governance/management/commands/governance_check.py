"""`dixian governance_check [--region CODE]`: raise every implemented or closed decision's missing steps of
四议两公开 as rectification findings now (docs/domain.md §28). The worker runs the same every night
(governance/jobs.py); a finding already filed is not filed again."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dixian.governance.services import governance_check
from dixian.regions.models import Region


class Command(BaseCommand):
    help = "四议两公开核查:已实施或办结但缺少程序的事项列入问题整改台账(不重复列入)。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", default="", help="只核查该区划(含下级),填区划代码;不填则核查全部")

    def handle(self, *args: Any, region: str, **options: Any) -> None:
        prefix, name = "", "全部区划"
        if region:
            found = Region.objects.filter(code=region.strip()).first()
            if found is None:
                raise CommandError(f"区划代码「{region}」不存在,请填写系统中已有的区划代码", returncode=2)
            prefix, name = found.prefix, found.full_name or found.name
        started = time.monotonic()
        flagged, filed = governance_check(prefix=prefix)
        self.stdout.write(
            self.style.SUCCESS(
                f"四议两公开核查完成({name}):缺少程序的事项 {flagged} 件,新列入问题整改台账 {filed} 条,"
                f"耗时 {time.monotonic() - started:.1f} 秒。"
            )
        )
