"""`dixian employment_counts_rebuild`: recount the stored monthly count of the survey records (docs/domain.md §23
"Figures") from the records. The database keeps the count in every write; this is for a restore or a bulk load
that went around the records' table. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dixian.employment.counts import counts_rebuild


class Command(BaseCommand):
    help = "由就业信息摸排记录重新统计月度计数(就业统计读取的计数表;可重复运行,结果相同)。"

    def handle(self, *args: Any, **options: Any) -> None:
        groups = counts_rebuild()
        self.stdout.write(f"已重建就业信息摸排月度计数:{groups} 组。")
