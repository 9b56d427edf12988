from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dixian.common.jobs import schedules_run, worker_loop, worker_run_once


class Command(BaseCommand):
    help = "运行后台任务处理进程(大批量导出、页面导入等)。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once", action="store_true", help="排入到期的定时任务(如月度筛查),处理完排队的任务后退出"
        )
        parser.add_argument("--poll", type=float, default=1.0, help="空闲时轮询间隔(秒)")

    def handle(self, *args: Any, once: bool, poll: float, **options: Any) -> None:
        if once:
            schedules_run()
            while worker_run_once():
                pass
            return
        self.stdout.write("后台任务进程已启动,按 Ctrl+C 停止。")
        worker_loop(poll_seconds=poll)
