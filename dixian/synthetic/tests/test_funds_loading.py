"""Loading the generated funds chain (funds_loading.py) and the demo village's project bank (demo_funds.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.db.models import Count, Sum

from dixian.domain import funds as fd
from dixian.funds.models import (
    Allocation,
    Arrangement,
    Asset,
    AssetIncome,
    AssetMaintenance,
    BenefitLink,
    BusinessEntity,
    Distribution,
    IndustryBase,
    Payment,
    Project,
    ProjectBudget,
    ProjectTransition,
    WorkReliefHire,
)
from dixian.synthetic.demo import demo_accounts, demo_village_code
from dixian.synthetic.demo_funds import DEMO_PROJECTS, demo_projects
from dixian.synthetic.funds_loading import funds_load
from dixian.synthetic.generate import Manifest, generate
from dixian.synthetic.loading import regions_load, registry_load_directory

pytestmark = pytest.mark.django_db
SEED = 7

MODELS: dict[str, type[Any]] = {
    "allocations": Allocation,
    "projects": Project,
    "budgets": ProjectBudget,
    "arrangements": Arrangement,
    "payments": Payment,
    "hires": WorkReliefHire,
    "assets": Asset,
    "maintenance": AssetMaintenance,
    "incomes": AssetIncome,
    "distributions": Distribution,
    "entities": BusinessEntity,
    "bases": IndustryBase,
    "links": BenefitLink,
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("village")
    return out, generate(scale="village", seed=SEED, out=out)


@pytest.fixture
def loaded(generated: tuple[Path, Manifest]) -> tuple[Path, Manifest]:
    directory, _ = generated
    regions_load(pl.read_parquet(directory / "regions.parquet"))
    registry_load_directory(directory, actor=None, reference="test")
    return generated


def test_loading_writes_every_generated_row_once(loaded) -> None:
    directory, manifest = loaded
    result = funds_load(directory)
    assert result is not None and manifest.funds is not None
    assert result.rows == manifest.funds
    for table, model in MODELS.items():
        assert model.objects.count() == manifest.funds[table], table
    assert manifest.funds["distributions"] and manifest.funds["hires"] and manifest.funds["incomes"]
    # One import transition a project, into the plan.
    assert (
        ProjectTransition.objects.filter(action="import", to_state=fd.IN_PLAN).count()
        == Project.objects.count()
    )
    assert funds_load(directory) is None  # the second run writes nothing
    assert Project.objects.count() == manifest.funds["projects"]


def test_loaded_rows_keep_the_chains_rules(loaded) -> None:
    directory, _ = loaded
    funds_load(directory)
    for allocation in Allocation.objects.annotate(arranged=Sum("arrangements__amount")):
        assert allocation.arranged <= allocation.amount
    # Two aggregates over two joins would multiply each other: one query each.
    for project in Project.objects.annotate(budgeted=Sum("budgets__amount")):
        assert project.budgeted == project.budget_total
    for paying in Project.objects.annotate(paid=Sum("payments__amount")):
        assert paying.paid is None or paying.paid <= paying.budget_total
    for payment in Payment.objects.select_related("project"):
        assert payment.project.started_on is not None and payment.paid_on >= payment.project.started_on
        assert payment.use_category not in fd.DEFAULT_NEGATIVE_LIST
    for distribution in Distribution.objects.select_related("person"):
        assert (
            distribution.person is not None and distribution.person.household_id == distribution.household_id
        )
    for hire in WorkReliefHire.objects.select_related("person"):
        assert hire.person.household_id == hire.household_id
    assert not Asset.objects.filter(asset_class=fd.HOUSEHOLD, household__isnull=True).exists()
    assert BenefitLink.objects.values("household").distinct().count() > 0


def test_the_demo_village_has_a_project_in_every_bank_state_with_a_sensible_history(loaded) -> None:
    directory, _ = loaded
    funds_load(directory)
    village = demo_village_code(directory)
    users = {u.username: u for u in demo_accounts(village)}
    actors = {
        "village": users["village_officer"],
        "township": users["township_reviewer"],
        "county": users["xs_admin"],
    }
    assert demo_projects(actors, village, year=2026) == len(DEMO_PROJECTS)
    assert demo_projects(actors, village, year=2026) == 0
    demo = Project.objects.filter(code__startswith="XMDEMO-", region_code=village)
    assert set(demo.values_list("state", flat=True)) == set(fd.PROJECT_STATES)
    actions = set(fd.PROJECT_MOVES) | {"propose"}
    for project in demo:
        history = list(project.transitions.order_by("at", "id"))
        assert history[0].action == "propose" and history[0].actor == users["village_officer"]
        assert [t.from_state for t in history[1:]] == [t.to_state for t in history[:-1]]
        assert history[-1].to_state == project.state and project.seq == len(history)
        assert {t.action for t in history} <= actions
        for t in history:  # a reason exactly where the move asks for one (returns and rejections)
            assert bool(t.reason) == (t.action != "propose" and fd.PROJECT_MOVES[t.action].needs_reason)
        assert project.budget_total == sum(b.amount for b in project.budgets.all())
    publicity = demo.get(state=fd.PUBLICITY)
    assert publicity.publicity_started_on is not None
    in_plan = demo.get(state=fd.IN_PLAN)
    assert in_plan.arrangements.exists() and in_plan.started_on is None
    for allocation in Allocation.objects.annotate(arranged=Sum("arrangements__amount")):
        assert allocation.arranged <= allocation.amount
    # The chain after the plan: the generated industry project of the demo village.
    chain = (
        Project.objects.filter(region_code=village, year=2026, accepted_on__isnull=False, kind=fd.INDUSTRY)
        .annotate(payments_n=Count("payments"))
        .filter(
            payments_n__gt=0, assets__asset_class=fd.OPERATING, assets__incomes__distributions__isnull=False
        )
        .distinct()
    )
    assert chain.exists()
