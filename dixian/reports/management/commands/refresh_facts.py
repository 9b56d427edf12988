"""`dixian refresh_facts`: recompute the leaders' figures (docs/domain.md §21)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dixian.reports.periods import Period, PeriodError
from dixian.reports.services import facts_refresh, facts_refresh_stale


class Command(BaseCommand):
    help = "重新计算统计指标:默认最近 13 个月的全部统计数;--stale 只更新有变动的村。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=13, help="最近几个月(含当月),默认 13")
        parser.add_argument("--period", action="append", default=[], help="只算这些月份,例如 2026-10")
        parser.add_argument("--producer", action="append", default=None, help="只算这些来源")
        parser.add_argument("--stale", action="store_true", help="只更新标记为有变动的村")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stale"]:
            stats = facts_refresh_stale()
            self.stdout.write("没有待更新的村。" if stats is None else f"已更新 {stats.villages} 个村。")
            return
        try:
            periods = [Period.parse(p) for p in options["period"]]
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        if not periods:
            if options["months"] < 1:
                raise CommandError("--months 至少为 1。")
            current = Period.current()
            periods = [current.back(i) for i in range(options["months"] - 1, -1, -1)]
        try:
            stats = facts_refresh(periods=periods, producers=options["producer"], scope="命令行")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已计算 {len(stats.periods)} 个月,写入 {stats.rows} 条统计数,用时 {stats.seconds:.1f} 秒。"
        )
