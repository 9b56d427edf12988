from __future__ import annotations

import os
import signal
import subprocess
import sys
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from dixian.synthetic.demo import DEMO_PASSWORD, demo_logins


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(rows: list[tuple[str, ...]]) -> str:
    """A plain-text table that lines up in a terminal, Chinese characters counted as two columns."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "  ".join("-" * w for w in widths)
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([lines[0], rule, *lines[1:]])


def _stop(process: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Command(BaseCommand):
    help = "启动演示:后台任务进程和网页服务(gunicorn),先列出演示账号。按 Ctrl+C 同时停止两者。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn 工作进程数")

    def handle(self, *args: Any, host: str, port: int, workers: int, **options: Any) -> None:
        logins = demo_logins()
        connections.close_all()
        if logins:
            header = ("用户名", "角色", "所属区划", "说明")
            self.stdout.write("\n演示账号(统一密码:" + DEMO_PASSWORD + ")\n")
            self.stdout.write(login_table([header, *logins]) + "\n")
        else:
            self.stdout.write(
                self.style.WARNING("数据库中没有演示账号:请先运行 `dixian load_demo`(或 make demo)。")
            )
        self.stdout.write(
            f"\n网址:http://{host}:{port}/   后台管理:http://{host}:{port}/admin/   按 Ctrl+C 停止。\n"
        )
        self.stdout.flush()

        env = os.environ.copy()
        # The demo runs with the embedded secret key on this machine (docs/security.md §7).
        env.setdefault("DIXIAN_DEMO", "1")
        # The worker runs in a session of its own so that Ctrl+C reaches only this command, which then
        # stops it; gunicorn shares the terminal's process group and shuts down gracefully on Ctrl+C.
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "dixian", "run_worker"], env=env, start_new_session=True
        )
        # `kill` (SIGTERM) on this command stops both children too.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        server: subprocess.Popen[bytes] | None = None
        code = 0
        try:
            server = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                ],
                env=env,
            )
            code = server.wait()
        except KeyboardInterrupt:
            self.stdout.write("\n正在停止网页服务和后台任务进程……")
        finally:
            if server is not None:
                _stop(server)
            _stop(worker)
            signal.signal(signal.SIGTERM, previous)
        if code not in (0, -signal.SIGINT, -signal.SIGTERM):
            raise CommandError(
                f"网页服务异常退出(代码 {code}),请查看上面的日志,例如端口 {port} 是否已被占用。"
            )
        self.stdout.write("已停止。")
