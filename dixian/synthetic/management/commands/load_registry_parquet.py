from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import polars as pl
from django.core.management.base import BaseCommand, CommandError

from dixian.registry.bulk import BulkError
from dixian.synthetic.loading import CHUNK_PERSONS, RegionTreeError, regions_load, registry_load_directory


class Command(BaseCommand):
    help = "加载 `dixian generate` 生成的目录:行政区划和农户、人口、收入(用于基准测试库)。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--chunk", type=int, default=CHUNK_PERSONS, help="每个事务写入的人数上限")

    def handle(self, *args: Any, directory: Path, chunk: int, **options: Any) -> None:
        files = ["regions.parquet", "households.parquet", "persons.parquet", "incomes.parquet"]
        missing = [f for f in files if not (directory / f).exists()]
        if missing:
            raise CommandError(f"目录 {directory} 中缺少 {'、'.join(missing)}")
        started = time.monotonic()
        try:
            self.stdout.write("加载行政区划")
            regions_load(pl.read_parquet(directory / "regions.parquet"), say=self.stdout.write)
            self.stdout.write("加载农户信息")
            result = registry_load_directory(
                directory,
                actor=None,
                reference=f"parquet:{directory.name}",
                say=self.stdout.write,
                chunk_persons=chunk,
            )
        except (RegionTreeError, BulkError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"新增 {result.households_created:,} 户、{result.persons_created:,} 人、{result.incomes_created:,} 条收入;"
                f"更新 {result.households_updated:,} 户、{result.persons_updated:,} 人;用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
