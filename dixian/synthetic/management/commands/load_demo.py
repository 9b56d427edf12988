from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from dixian.synthetic.demo import DEMO_PASSWORD, demo_load, demo_logins
from dixian.synthetic.generate import SCALES


class Command(BaseCommand):
    help = "加载演示数据:生成(或复用)合成数据,导入行政区划、演示账号和农户信息。重复运行不会重复加载。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="county")
        parser.add_argument("--seed", type=int, default=20261129)

    def handle(self, *args: Any, scale: str, seed: int, **options: Any) -> None:
        started = time.monotonic()
        loaded = demo_load(scale=scale, seed=seed, say=self.stdout.write)
        if loaded:
            self.stdout.write(
                self.style.SUCCESS(f"演示数据加载完成,用时 {time.monotonic() - started:.1f} 秒。")
            )
            self.stdout.write(f"演示账号({len(demo_logins())} 个)的统一密码:{DEMO_PASSWORD}")
