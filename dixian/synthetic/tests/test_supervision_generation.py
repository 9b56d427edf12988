"""The generated organisation and supervision (dixian/synthetic/supervision.py, docs/domain.md §26) keeps the
ledger's own rules, and loads with each recorded visit's findings in the rectification ledger."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dixian.rectification.models import Finding
from dixian.supervision.models import StationedStaff, SupervisionVisit, VisitFinding
from dixian.supervision.services import findings_parse

from ..loading import regions_load
from ..supervision import EXPERTS, generate_supervision
from ..supervision_loading import supervision_load
from ..tree import build_tree

AS_OF = dt.date(2026, 5, 13)


@pytest.fixture(scope="module")
def tree() -> pl.DataFrame:
    return build_tree(seed=3, counties=("360424",))


def test_every_key_village_has_a_unit_and_one_first_secretary_now(tree):
    s = generate_supervision(tree=tree, seed=3, as_of=AS_OF)
    key = set(tree.filter(pl.col("is_key_village"))["code"])
    assert key and set(s.units["village_code"]) == key
    now = s.staff.filter(pl.col("end_on").is_null() | (pl.col("end_on") >= AS_OF))
    secretaries = now.filter(pl.col("role") == "first_secretary")
    assert sorted(secretaries["village_code"]) == sorted(key)
    assert s.experts.height == EXPERTS and s.leaders.height == 2


def test_visits_span_a_year_and_only_the_past_is_recorded(tree):
    visits = generate_supervision(tree=tree, seed=3, as_of=AS_OF).visits
    done = visits.filter(pl.col("done_on").is_not_null())
    assert (done["done_on"] <= AS_OF).all() and (done["done_on"] >= done["planned_on"]).all()
    assert (
        visits.filter(pl.col("planned_on") > AS_OF)["done_on"].null_count()
        == visits.filter(pl.col("planned_on") > AS_OF).height
    )
    assert set(visits["kind"]) == {"monthly", "quarterly", "unannounced"}
    assert visits["planned_on"].min() < dt.date(2025, 6, 1)
    for text in visits["findings"]:
        findings_parse(text)  # what the loader files parses as the record page's text does


@pytest.mark.django_db
def test_the_load_files_the_findings_of_recorded_visits(tmp_path, tree):
    regions_load(tree)
    s = generate_supervision(tree=tree, seed=3, as_of=AS_OF)
    for name, frame in s.frames().items():
        frame.write_parquet(tmp_path / f"supervision_{name}.parquet")
    counts = supervision_load(tmp_path)
    expected = sum(len(findings_parse(t)) for t in s.visits["findings"])
    assert counts is not None and counts["findings"] == expected > 0
    assert Finding.objects.filter(source__in=["supervision", "unannounced"]).count() == expected
    assert VisitFinding.objects.count() == expected
    assert StationedStaff.objects.count() == s.staff.height
    assert SupervisionVisit.objects.filter(leaders__isnull=False).distinct().count() == s.visits.height
    assert supervision_load(tmp_path) is None  # once
