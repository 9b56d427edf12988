"""The generated rectification ledger (dixian/synthetic/rectification.py, docs/domain.md §25): written by
`dixian generate` at every scale with the worked example of 22 and every source and stage, and loaded in bulk
with the derived fields exactly as the services would leave them (checked against the services' own rules)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from dixian.accounts.capabilities import Capability, user_can
from dixian.accounts.models import Role, User
from dixian.common.access import code_in_scope
from dixian.rectification import services
from dixian.rectification.models import Finding, FindingEvent, FindingReviewer, FindingTask, TaskEvidence
from dixian.synthetic.generate import FORMAT_VERSION, generate
from dixian.synthetic.loading import regions_load
from dixian.synthetic.rectification import (
    PLAN,
    RECTIFICATION_FILES,
    SOURCES,
    STAGES,
    generate_rectification,
)
from dixian.synthetic.rectification_loading import rectification_load
from dixian.synthetic.tree import build_tree, single_township_tree

SEED = 7
TOWNSHIP_AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def village_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("village")
    generate(scale="village", seed=SEED, out=out)
    return out


@pytest.fixture(scope="module")
def township_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The township scale's tree and its ledger (the rest of `generate` is not needed here)."""
    out = tmp_path_factory.mktemp("township")
    tree = single_township_tree(build_tree(seed=SEED, counties=("360424",)))
    tree.write_parquet(out / "regions.parquet")
    for name, frame in generate_rectification(tree=tree, seed=SEED, as_of=TOWNSHIP_AS_OF).frames().items():
        frame.write_parquet(out / f"rectification_{name}.parquet")
    return out


def test_generate_writes_the_ledger_and_counts_it_in_the_manifest(village_dir: Path) -> None:
    manifest = json.loads((village_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION == 7
    counts = manifest["rectification"]
    for name in RECTIFICATION_FILES:
        table = name.removeprefix("rectification_").removesuffix(".parquet")
        assert pl.read_parquet(village_dir / name).height == counts[table] > 0
    assert counts["worked_example"] == len(PLAN) == 22
    assert all(counts[f"stage_{s}"] > 0 for s in STAGES)


@pytest.mark.parametrize("scale", ["village", "township"])
def test_every_source_and_stage_and_the_worked_example(
    scale: str, village_dir: Path, township_dir: Path
) -> None:
    f = pl.read_parquet(
        (village_dir if scale == "village" else township_dir) / "rectification_findings.parquet"
    )
    assert set(f["source"]) == set(SOURCES) and set(f["stage"]) == set(STAGES)
    plan = f.filter(pl.col("worked_example"))
    assert dict(plan.group_by("source").len().iter_rows()) == {
        "national": 8,
        "provincial": 6,
        "supervision": 8,
    }
    assessed = plan.filter(pl.col("source").is_in(["national", "provincial"]))
    assert set(assessed["category"]) == {"责任落实", "政策落实", "工作落实"} and assessed.height == 14


def _as_of(directory: Path) -> dt.date:
    manifest = directory / "manifest.json"
    if not manifest.exists():
        return TOWNSHIP_AS_OF
    return dt.date.fromisoformat(json.loads(manifest.read_text(encoding="utf-8"))["as_of"])


@pytest.mark.django_db
@pytest.mark.parametrize("scale", ["village", "township"])
def test_the_load_keeps_the_services_rules(scale: str, village_dir: Path, township_dir: Path) -> None:
    directory = village_dir if scale == "village" else township_dir
    regions_load(pl.read_parquet(directory / "regions.parquet"))
    counts = rectification_load(directory)
    frames = {n: pl.read_parquet(directory / n) for n in RECTIFICATION_FILES}
    assert counts is not None and counts["findings"] == frames["rectification_findings.parquet"].height
    assert Finding.objects.count() == counts["findings"] and FindingTask.objects.count() == counts["tasks"]
    assert TaskEvidence.objects.count() == counts["evidence"]
    assert FindingReviewer.objects.count() == counts["reviewers"]
    today = _as_of(directory)

    # A done task has evidence and a date between the finding's and the demo day.
    done = FindingTask.objects.filter(status="done").select_related("finding")
    assert done.exists() and not done.filter(evidence__isnull=True).exists()
    assert all(t.finding.found_on <= t.done_on <= today for t in done)
    assert not FindingTask.objects.filter(status="open", done_on__isnull=False).exists()
    assert all(t.deadline >= t.finding.found_on for t in FindingTask.objects.select_related("finding"))
    # Closed: every task done, every reviewer signed, the date set, nothing due.
    closed = Finding.objects.filter(status="closed")
    assert closed.exists() and not closed.filter(tasks__status="open").exists()
    assert (
        not closed.filter(tasks__isnull=True).exists() and not closed.filter(reviewers__isnull=True).exists()
    )
    assert not closed.filter(~Q(reviewers__decision="signed")).exists()
    assert not closed.filter(Q(closed_on__isnull=True) | Q(next_due__isnull=False)).exists()
    # Under review: tasks all done, reviewers named, nobody's send-back pending.
    review = Finding.objects.filter(status="review")
    assert review.exists() and not review.filter(tasks__status="open").exists()
    assert not review.filter(reviewers__isnull=True).exists()
    # Open: it has no task, an open task, or no reviewer (else the services would have sent it to review).
    stuck = (
        Finding.objects.filter(status="open")
        .annotate(n=Count("tasks"), open=Count("tasks", filter=Q(tasks__status="open")))
        .filter(n__gt=0, open=0, reviewers__isnull=False)
    )
    assert not stuck.exists()
    # Sent back: open again, tasks reopened, the other signatures cleared, a reason given.
    back = FindingReviewer.objects.filter(decision="sent_back").select_related("finding")
    assert back.exists()
    for row in back:
        assert row.finding.status == "open" and row.reason and row.decided_at
        assert not row.finding.tasks.filter(status="done").exists()
        assert not row.finding.reviewers.filter(decision="signed").exists()
    # next_due as services.due_refresh keeps it; an overdue (red) and a soon due (orange) task.
    for finding in Finding.objects.all():
        kept = finding.next_due
        services.due_refresh(finding)
        assert finding.next_due == kept, finding.title
    running = FindingTask.objects.filter(status="open", finding__status="open")
    assert running.filter(deadline__lt=today).exists()
    assert running.filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=3)).exists()
    # Reviewers may review: the right to view and the finding's unit in their subtree.
    for row in FindingReviewer.objects.select_related("reviewer", "finding"):
        assert user_can(row.reviewer, Capability.RECTIFICATION_VIEW)
        assert code_in_scope(row.reviewer, row.finding.region_code)
    # The history: how each came in, and the closing of the closed ones.
    assert FindingEvent.objects.filter(kind__in=["raised", "imported"]).count() == counts["findings"]
    assert FindingEvent.objects.filter(kind="closed").count() == closed.count()
    assert rectification_load(directory) is None  # once


@pytest.mark.django_db
def test_a_loaded_finding_under_review_closes_through_the_services(village_dir: Path) -> None:
    regions_load(pl.read_parquet(village_dir / "regions.parquet"))
    rectification_load(village_dir)
    finding = Finding.objects.filter(status="review", reviewers__decision="pending").first()
    assert finding is not None
    for row in finding.reviewers.filter(decision="pending").select_related("reviewer"):
        services.review_sign(actor=row.reviewer, finding=finding)
    county = finding.region_code[:6] + "000000"
    admin = User.objects.create(
        username="admin360424", roles=[Role.COUNTY_ADMIN], region_id=_region_id(county)
    )
    services.finding_close(actor=admin, finding=finding)
    finding.refresh_from_db()
    assert finding.status == "closed" and finding.next_due is None
    sent = FindingReviewer.objects.filter(decision="sent_back").select_related("finding").first()
    assert sent is not None
    with pytest.raises(ValidationError):
        services.finding_close(actor=admin, finding=sent.finding)


def _region_id(code: str) -> int:
    from dixian.regions.models import Region

    return Region.objects.get(code=code).pk
