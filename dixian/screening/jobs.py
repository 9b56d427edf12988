"""Background screening: a delivery is screened as soon as it lands, and a period on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from dixian.common.jobs import JobError, Progress, job_handler
from dixian.feeds.models import FeedDelivery

from .models import ScreeningRun
from .services import ScreeningFailed, screening_run

if TYPE_CHECKING:
    from dixian.common.models import Job


@job_handler("screen_delivery")
def screen_delivery(job: Job, progress: Progress) -> None:
    """Screen the period of the delivery that just landed (params: delivery_id); it is marked screened."""
    delivery = FeedDelivery.objects.filter(pk=job.params.get("delivery_id")).first()
    if delivery is None:
        raise JobError("要筛查的报送不存在(可能已被删除)。")
    if not delivery.is_live:
        raise JobError(f"该报送状态为“{delivery.get_status_display()}”,只有已接收的报送才能筛查。")
    progress(0, 1)
    try:
        run = screening_run(period=delivery.period, trigger=ScreeningRun.Trigger.DELIVERY, delivery=delivery)
    except ScreeningFailed as exc:
        raise JobError(str(exc)) from exc
    job.message = _summary(run)
    progress(1, 1)


@job_handler("screen_period")
def screen_period(job: Job, progress: Progress) -> None:
    """A monthly run of a period (params: period, optional backend), started by `job.owner`."""
    progress(0, 1)
    try:
        run = screening_run(
            period=str(job.params.get("period", "")),
            trigger=ScreeningRun.Trigger.MONTHLY,
            actor=job.owner,
            backend=str(job.params.get("backend", "duckdb")),
        )
    except ValidationError as exc:
        raise JobError("; ".join(exc.messages)) from exc
    except ScreeningFailed as exc:
        raise JobError(str(exc)) from exc
    job.message = _summary(run)
    progress(1, 1)


def _summary(run: ScreeningRun) -> str:
    return (
        f"筛查 {run.period} 完成:新增预警 {run.alerts_new} 条,新增证据 {run.evidence_new} 条,"
        f"补充到监测户 {run.case_evidence_new} 条,应纳未纳 {run.unmatched_new} 条。"
    )[:500]
