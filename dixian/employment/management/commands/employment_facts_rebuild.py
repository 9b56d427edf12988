"""`dixian employment_facts_rebuild [--feed employment]`: re-derive the departments' facts (docs/domain.md §23)
from every accepted delivery of the 人社, 公安 and 教育 feeds. Idempotent: running it twice writes the same rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dixian.employment.facts import FEEDS, facts_rebuild


class Command(BaseCommand):
    help = "从已接收的人社、公安、教育部门数据重新生成就业监测所用的部门信息(可重复运行,结果相同)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--feed", action="append", choices=FEEDS, help="只重建这类数据(可重复指定)")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = facts_rebuild(feeds=options.get("feed") or FEEDS)
        self.stdout.write(
            f"已重建:{counts['deliveries']} 批部门数据,{counts['facts']} 条部门信息"
            + (f";移除已拒收批次的 {counts['removed']} 条" if counts["removed"] else "")
            + "。"
        )
