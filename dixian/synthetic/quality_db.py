"""Generated feeds through the database: deliveries, the screening run, and the quality check on what it
stored (the Alert, AlertEvidence and UnmatchedRecord rows), against the generator's ground truth.

`feeds_deliver` hands each generated feed to the delivery service exactly as a department upload would
arrive (`dixian.feeds.services.delivery_receive`, channel "generated"): the rows are checked, stored as
the delivery's Parquet file, and an identical re-delivery changes nothing. `quality_through_database`
then runs `dixian.screening.services.screening_run` for the period and evaluates the stored result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from django.core.exceptions import ValidationError

from dixian.accounts.models import User
from dixian.cases.models import AlertEvidence, Channel, UnmatchedRecord
from dixian.domain import catalogue
from dixian.regions.models import Region

from .generate import read_manifest
from .loading import regions_load, registry_load_directory
from .quality import QualityReport, evaluate

Say = Callable[[str], None]


class DeliveryRejected(Exception):
    """A generated feed was not accepted (the message is Chinese, for the console)."""


def feeds_region(directory: Path) -> Region:
    """The region a generated set of feeds covers: its county, or the city for the city scale."""
    tree = pl.read_parquet(directory / "regions.parquet", columns=["code", "level"])
    counties = tree.filter(pl.col("level") == "county")["code"].to_list()
    code = counties[0] if len(counties) == 1 else tree.filter(pl.col("level") == "city")["code"][0]
    return Region.objects.get(code=code)


def feeds_deliver(
    directory: Path, *, period: str, source: User | None, say: Say | None = None
) -> dict[str, int]:
    """Deliver every generated feed of `directory` for `period`; feed → delivery id. Idempotent."""
    from dixian.feeds.models import FeedDelivery
    from dixian.feeds.services import delivery_receive

    say = say or (lambda _msg: None)
    region = feeds_region(directory)
    out: dict[str, int] = {}
    for spec in catalogue.FEEDS:
        path = directory / "feeds" / f"{spec.code}.parquet"
        if not path.exists():
            continue
        frame = pl.read_parquet(path)
        delivery, created = delivery_receive(
            feed=spec.code,
            period=period,
            source=source,
            region=region,
            channel=FeedDelivery.Channel.GENERATED,
            file_name=path.name,
            table=frame,
        )
        if delivery.status not in (FeedDelivery.Status.ACCEPTED, FeedDelivery.Status.SCREENED):
            first = delivery.errors[0] if delivery.errors else None
            detail = f"(例如:{first})" if first else ""
            raise DeliveryRejected(f"{spec.department}{spec.name}未被接收:{delivery.message}{detail}")
        say(
            f"  {spec.department}{spec.name}:{delivery.row_count:,} 行{'' if created else '(已报送过,未重复接收)'}"
        )
        out[spec.code] = delivery.pk
    return out


def quality_through_database(
    directory: Path,
    *,
    period: str | None = None,
    actor: User | None = None,
    load_registry: bool = True,
    say: Say | None = None,
) -> QualityReport:
    """Load (if asked), deliver, screen through the services, and evaluate the stored alerts."""
    from dixian.screening.models import ScreeningRun
    from dixian.screening.services import screening_run

    say = say or (lambda _msg: None)
    manifest = read_manifest(directory)
    if manifest is None:
        raise ValidationError(
            f"{directory} 不是完整的生成数据目录(缺少 manifest.json 或数据文件),请先运行 dixian generate"
        )
    period = period or manifest.period
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 3)
        t0 = now

    if load_registry:
        say("加载行政区划与农户信息")
        regions_load(pl.read_parquet(directory / "regions.parquet"), say=say)
        registry_load_directory(
            directory, actor=actor, reference=f"quality:{manifest.scale}-{manifest.seed}", say=say
        )
        lap("加载农户信息")
    say("报送部门数据")
    feeds_deliver(directory, period=period, source=actor, say=say)
    lap("报送")
    say("筛查(含概率匹配)")
    run = screening_run(period=period, trigger=ScreeningRun.Trigger.MANUAL, actor=actor)
    lap("筛查")
    alerts, unmatched = stored_results(directory)
    report = evaluate(
        pl.read_parquet(directory / "ground_truth.parquet"),
        alerts=alerts,
        unmatched=unmatched,
        period=period,
        path="database",
    )
    report.feed_rows = sum((manifest.feed_rows or {}).values())
    report.timings = {**timings, **{f"筛查.{k}": v for k, v in (run.timings or {}).items() if k != "total"}}
    from dixian.feeds.models import LinkCandidate

    report.links_auto = LinkCandidate.objects.filter(status=LinkCandidate.Status.AUTO).count()
    report.links_pending = LinkCandidate.objects.filter(status=LinkCandidate.Status.PENDING).count()
    return report


def stored_results(directory: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alerts, unmatched) as `evaluate` reads them, from the department-line evidence stored in the scope
    of the generated region: one row per (household, risk) with the rules that raised it."""
    prefix = feeds_region(directory).prefix
    upper = prefix + "~"
    evidence = list(
        AlertEvidence.objects.filter(
            channel=Channel.DEPARTMENT,
            household__isnull=False,
            region_code__gte=prefix,
            region_code__lt=upper,
        ).values_list("household__household_no", "risk_code", "rule_version__rule__rule_id")
    )
    frame = pl.DataFrame(
        evidence,
        schema={"household_no": pl.String, "risk_code": pl.String, "rule_id": pl.String},
        orient="row",
    )
    alerts = frame.group_by("household_no", "risk_code").agg(
        pl.col("rule_id").unique().sort().alias("rule_ids")
    )
    rows = list(
        UnmatchedRecord.objects.filter(region_code__gte=prefix, region_code__lt=upper).values_list(
            "feed", "name", "id_number", "event_date"
        )
    )
    unmatched = pl.DataFrame(
        rows,
        schema={"feed": pl.String, "name": pl.String, "id_number": pl.String, "event_date": pl.Date},
        orient="row",
    )
    return alerts.sort("household_no", "risk_code"), unmatched
