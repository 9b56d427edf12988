from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import polars as pl
from django.core.management.base import BaseCommand, CommandError

from dixian.synthetic.loading import RegionTreeError, regions_load


class Command(BaseCommand):
    help = "从 Parquet 文件(regions.parquet)导入或更新行政区划树。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "file", type=Path, help="regions.parquet:code, name, level, parent_code, is_key_village"
        )

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if not file.exists():
            raise CommandError(f"找不到文件 {file}")
        started = time.monotonic()
        try:
            result = regions_load(pl.read_parquet(file), say=self.stdout.write)
        except RegionTreeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"行政区划:新增 {result.created:,} 个,更新 {result.updated:,} 个,用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
