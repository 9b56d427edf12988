from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dixian.screening.engine.core import ScreeningInputError, parse_period
from dixian.synthetic.employment import PeriodTooEarly
from dixian.synthetic.feeds import DEFAULT_PERIOD
from dixian.synthetic.generate import SCALES, generate
from dixian.synthetic.labels import registry_labels
from dixian.synthetic.province import generate_province


class Command(BaseCommand):
    help = (
        "生成合成演示数据(行政区划、农户、人口、收入的 Parquet 文件;村级和县级另附导入工作簿),"
        "演示期间的12类部门数据和筛查标准答案,以及当年和上年的衔接资金、项目、资产与联农带农。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--scale",
            choices=sorted([*SCALES, "province"]),
            default="county",
            help="village:一个村;township:一个乡镇约6千人;county:修水县约20万人;city:全市约250万人;"
            "province:全省11个设区市约2500万人(只写筛查所需的 Parquet,按市分块写出)",
        )
        parser.add_argument(
            "--seed", type=int, default=20261129, help="随机种子;相同种子生成逐字节相同的文件"
        )
        parser.add_argument("--out", type=Path, required=True, help="输出目录")
        parser.add_argument("--no-workbook", action="store_true", help="不写导入工作簿 registry.xlsx")
        parser.add_argument(
            "--period", default=DEFAULT_PERIOD, help="部门数据的期间 YYYY-MM(医保另含此前12个月),默认 2026-10"
        )

    def handle(
        self, *args: Any, scale: str, seed: int, out: Path, no_workbook: bool, period: str, **options: Any
    ) -> None:
        try:
            first, _ = parse_period(period)
        except ScreeningInputError as exc:
            raise CommandError(str(exc)) from None
        period = f"{first.year:04d}-{first.month:02d}"
        started = time.monotonic()
        if scale == "province":  # docs/synthetic.md "Province scale"
            result = generate_province(seed=seed, out=out, period=period, progress=self.stdout.write)
            self.stdout.write(
                self.style.SUCCESS(
                    f"已生成 {result['regions']:,} 个区划、{result['households']:,} 户、{result['persons']:,} 人,"
                    f"部门数据 {sum(result['feed_rows'].values()):,} 行,用时 {time.monotonic() - started:.1f} 秒,"
                    f"峰值内存 {result['peak_rss_mb']:,} MB。"
                )
            )
            return
        try:
            manifest = generate(
                scale=scale,
                seed=seed,
                out=out,
                labels=None if no_workbook else registry_labels(),
                progress=self.stdout.write,
                period=period,
            )
        except PeriodTooEarly as exc:
            raise CommandError(str(exc)) from None
        funds = manifest.funds or {}
        jobs = manifest.employment or {}
        sites = manifest.relocation or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {manifest.regions:,} 个区划、{manifest.households:,} 户、{manifest.persons:,} 人,"
                f"衔接资金项目 {funds.get('projects', 0):,} 个、支付 {funds.get('payments', 0):,} 笔、"
                f"联农带农 {funds.get('links', 0):,} 户次,就业信息摸排 {jobs.get('survey', 0):,} 条、"
                f"公益性岗位 {jobs.get('posts', 0):,} 个,易地搬迁安置点 {sites.get('sites', 0):,} 个,"
                f"用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
