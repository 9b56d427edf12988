from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dixian.synthetic.generate import read_manifest
from dixian.synthetic.quality import quality_direct


class Command(BaseCommand):
    help = (
        "筛查质量核验:用 dixian generate 生成的农户信息库和部门数据跑一遍筛查(含概率匹配),"
        "与标准答案比对,报告召回率、准确率和应纳未纳覆盖率。任一指标未达标时返回非零退出码。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--data", type=Path, required=True, help="dixian generate 的输出目录")
        parser.add_argument("--period", default=None, help="筛查期间 YYYY-MM,默认为生成数据的期间(2026-10)")
        parser.add_argument(
            "--through-database",
            action="store_true",
            help="经数据库核验:加载农户信息、按报送接收部门数据、运行筛查服务,再比对写入的预警",
        )
        parser.add_argument("--no-load", action="store_true", help="经数据库核验时不再加载农户信息(已加载过)")
        parser.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
        parser.add_argument(
            "--json", dest="json_out", type=Path, default=None, help="另将结果写入此 JSON 文件"
        )

    def handle(
        self,
        *args: Any,
        data: Path,
        period: str | None,
        through_database: bool,
        no_load: bool,
        backend: str,
        json_out: Path | None,
        **options: Any,
    ) -> None:
        if read_manifest(data) is None:
            raise CommandError(
                f"{data} 不是完整的生成数据目录(缺少 manifest.json 或数据文件),请先运行 dixian generate --out {data}"
            )
        say = self.stdout.write
        try:
            if through_database:
                from dixian.synthetic.quality_db import DeliveryRejected, quality_through_database

                try:
                    report = quality_through_database(data, period=period, load_registry=not no_load, say=say)
                except DeliveryRejected as exc:
                    raise CommandError(str(exc)) from None
            else:
                report = quality_direct(
                    data,
                    period=period,
                    backend=backend,
                    upper=getattr(settings, "DIXIAN_LINK_UPPER", None),
                    lower=getattr(settings, "DIXIAN_LINK_LOWER", None),
                    say=say,
                )
        except ValidationError as exc:
            raise CommandError(";".join(exc.messages)) from None
        payload = report.as_json()
        self.stdout.write(report.text_zh())
        text = _dumps(payload)
        self.stdout.write(text)
        if json_out is not None:
            json_out.write_text(text + "\n", encoding="utf-8")
        if not report.passed:
            raise CommandError("筛查质量有指标未达标(见上方报告)")


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2)
