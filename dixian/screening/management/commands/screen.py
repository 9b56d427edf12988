"""`dixian screen --period 2026-10 [--backend duckdb|spark]`: run one period's screening now."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dixian.screening.models import ScreeningRun
from dixian.screening.services import ScreeningFailed, period_check, screening_run

PHASES = {
    "load_registry": "读取农户信息库",
    "link": "概率匹配",
    "load_other": "读取规则、匹配结果和报送",
    "engine": "筛查引擎",
    "store": "写入结果",
    "total": "合计",
}


class Command(BaseCommand):
    help = "按月筛查:读取农户信息库和已接收的部门数据,执行启用的筛查规则,写入预警线索。重复执行不会重复新增。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="筛查期间,格式 YYYY-MM,例如 2026-10")
        parser.add_argument(
            "--backend", choices=("duckdb", "spark"), default="duckdb", help="筛查引擎(默认 duckdb)"
        )

    def handle(self, *args: Any, period: str, backend: str, **options: Any) -> None:
        try:
            period = period_check(period)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from None
        self.stdout.write(f"开始筛查 {period}(引擎:{backend})……")
        try:
            run = screening_run(period=period, trigger=ScreeningRun.Trigger.MANUAL, backend=backend)
        except ScreeningFailed as exc:
            raise CommandError(f"筛查失败:{exc}", returncode=1) from None
        self.stdout.write(summary(run))
        self.stdout.write(self.style.SUCCESS(f"筛查 {period} 完成(运行编号 {run.pk})。"))


def summary(run: ScreeningRun) -> str:
    lines = [
        f"执行规则 {len(run.rules_run)} 条:{'、'.join(run.rules_run) or '无'}",
        f"未执行规则 {len(run.rules_skipped)} 条"
        + (
            ":" + ";".join(f"{k} {v}" for k, v in sorted(run.rules_skipped.items()))
            if run.rules_skipped
            else ""
        ),
        f"参与筛查的报送 {len(run.deliveries)} 批",
        f"新增预警 {run.alerts_new} 条",
        f"新增证据 {run.evidence_new} 条",
        f"补充到监测户的证据 {run.case_evidence_new} 条",
        f"新增应纳未纳 {run.unmatched_new} 条",
        "耗时:"
        + ",".join(f"{label} {run.timings[k]:.2f} 秒" for k, label in PHASES.items() if k in run.timings),
    ]
    if run.message:
        lines.append(f"说明:{run.message}")
    return "\n".join(lines)
