"""Loading the generated funds chain (funds.py, the `funds_*.parquet` files) with bulk inserts.

The rows obey `dixian.domain.funds` by construction (the generator's tests check them with
`payment_problems` and `arrangement_problems`); here they are only mapped to the models: region codes,
household numbers and ID numbers to their rows, keys to the ids just written. Every generated project is in
the year's plan, with one `import` transition (docs/domain.md §22: the history says where it came from).
One transaction: a load is whole or absent, and a second run finds the first project and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import transaction
from django.utils import timezone

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
from dixian.regions.models import Region
from dixian.registry.models import Household, Person

from .funds import FUNDS_TABLES

if TYPE_CHECKING:
    from dixian.accounts.models import User

Say = Callable[[str], None]
BATCH = 2000
IMPORT_REASON = "年度实施项目导入(演示数据)"


@dataclass
class FundsLoadResult:
    rows: dict[str, int]
    seconds: float


def funds_frames(directory: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(directory / f"funds_{name}.parquet") for name in FUNDS_TABLES}


def _ids(model: Any, field: str, values: Iterable[str], columns: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    wanted = sorted(set(values))
    found: dict[str, Any] = {}
    for i in range(0, len(wanted), BATCH):
        for row in model.objects.filter(**{f"{field}__in": wanted[i : i + BATCH]}).values_list(
            field, *columns
        ):
            found[row[0]] = row[1] if len(columns) == 1 else row[1:]
    return found


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def funds_loaded(directory: Path) -> bool:
    first = pl.read_parquet(directory / "funds_projects.parquet", columns=["code"]).head(1)
    return first.height == 0 or Project.objects.filter(code=first["code"][0]).exists()


def funds_load(
    directory: Path, *, actor: User | None = None, say: Say | None = None
) -> FundsLoadResult | None:
    """Write the generated funds chain; None when its first project is in the database already."""
    say = say or (lambda _msg: None)
    if funds_loaded(directory):
        return None
    started = timezone.now()
    f = funds_frames(directory)
    region_codes = set(
        pl.concat([f[t].select("region_code") for t in ("allocations", "projects", "entities", "bases")])[
            "region_code"
        ].to_list()
    )
    regions = _ids(Region, "code", region_codes)
    numbers = pl.concat([f[t].select("household_no") for t in ("hires", "assets", "distributions", "links")])[
        "household_no"
    ].drop_nulls()
    households = _ids(Household, "household_no", numbers.to_list())
    persons = _ids(
        Person, "id_number", pl.concat([f["hires"]["id_number"], f["distributions"]["id_number"]]).to_list()
    )
    missing = numbers.filter(~numbers.is_in(list(households))).unique()
    if missing.len():
        raise ValueError(f"衔接资金数据引用了库中没有的农户:{', '.join(missing.head(5).to_list())}")
    rows: dict[str, int] = {}
    with transaction.atomic():
        allocations = Allocation.objects.bulk_create(
            (
                Allocation(
                    year=r["year"],
                    level=r["level"],
                    doc_no=r["doc_no"],
                    doc_date=r["doc_date"],
                    region_id=regions[r["region_code"]],
                    region_code=r["region_code"],
                    amount=r["amount"],
                    purpose=r["purpose"],
                    direct=r["direct"],
                    created_by=actor,
                )
                for r in f["allocations"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        allocation_ids = dict(
            zip(f["allocations"]["key"].to_list(), (a.pk for a in allocations), strict=True)
        )
        rows["allocations"] = len(allocations)
        Project.objects.bulk_create(
            (
                Project(
                    code=r["code"],
                    name=r["name"],
                    year=r["year"],
                    kind=r["kind"],
                    region_id=regions[r["region_code"]],
                    region_code=r["region_code"],
                    owner_unit=r["owner_unit"],
                    content=r["content"],
                    state=r["state"],
                    state_since=_at(r["planned_on"]),
                    seq=1,
                    publicity_started_on=r["publicity_started_on"],
                    planned_on=r["planned_on"],
                    budget_total=r["budget_total"],
                    planned_start=r["planned_start"],
                    planned_completion=r["planned_completion"],
                    started_on=r["started_on"],
                    completed_on=r["completed_on"],
                    accepted_on=r["accepted_on"],
                    work_relief_plan=r["work_relief_plan"],
                    benefit_plan=r["benefit_plan"],
                    income_plan=r["income_plan"],
                )
                for r in f["projects"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        projects = _ids(Project, "code", f["projects"]["code"].to_list())
        rows["projects"] = len(projects)
        ProjectTransition.objects.bulk_create(
            (
                ProjectTransition(
                    project_id=projects[code],
                    action="import",
                    from_state="",
                    to_state=state,
                    reason=IMPORT_REASON,
                    actor_name="系统",
                    at=_at(planned_on),
                )
                for code, state, planned_on in f["projects"].select("code", "state", "planned_on").iter_rows()
            ),
            batch_size=BATCH,
        )
        rows["budgets"] = len(
            ProjectBudget.objects.bulk_create(
                (
                    ProjectBudget(project_id=projects[code], level=level, amount=amount)
                    for code, level, amount in f["budgets"].iter_rows()
                ),
                batch_size=BATCH,
            )
        )
        rows["arrangements"] = len(
            Arrangement.objects.bulk_create(
                (
                    Arrangement(
                        allocation_id=allocation_ids[r["allocation_key"]],
                        project_id=projects[r["project_code"]],
                        amount=r["amount"],
                        arranged_on=r["arranged_on"],
                        region_code=r["region_code"],
                        created_by=actor,
                    )
                    for r in f["arrangements"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        rows["payments"] = len(
            Payment.objects.bulk_create(
                (
                    Payment(
                        project_id=projects[r["project_code"]],
                        paid_on=r["paid_on"],
                        amount=r["amount"],
                        level=r["level"],
                        use_category=r["use_category"],
                        payee_category=r["payee_category"],
                        payee=r["payee"],
                        voucher_no=r["voucher_no"],
                        region_code=r["region_code"],
                        created_by=actor,
                    )
                    for r in f["payments"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        rows["hires"] = len(
            WorkReliefHire.objects.bulk_create(
                (
                    WorkReliefHire(
                        project_id=projects[r["project_code"]],
                        person_id=persons[r["id_number"]],
                        household_id=households[r["household_no"]],
                        hired_on=r["hired_on"],
                        days=r["days"],
                        wages_paid=r["wages_paid"],
                        region_code=r["region_code"],
                    )
                    for r in f["hires"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        assets = Asset.objects.bulk_create(
            (
                Asset(
                    project_id=projects[r["project_code"]],
                    name=r["name"],
                    asset_class=r["asset_class"],
                    value=r["value"],
                    owner_unit=r["owner_unit"],
                    manager=r["manager"],
                    operator=r["operator"],
                    handed_over_on=r["handed_over_on"],
                    household_id=households[r["household_no"]] if r["household_no"] else None,
                    region_code=r["region_code"],
                )
                for r in f["assets"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        asset_ids = dict(zip(f["assets"]["key"].to_list(), (a.pk for a in assets), strict=True))
        rows["assets"] = len(assets)
        rows["maintenance"] = len(
            AssetMaintenance.objects.bulk_create(
                (
                    AssetMaintenance(
                        asset_id=asset_ids[r["asset_key"]],
                        done_on=r["done_on"],
                        kind=r["kind"],
                        cost=r["cost"],
                        note=r["note"],
                    )
                    for r in f["maintenance"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        incomes = AssetIncome.objects.bulk_create(
            (
                AssetIncome(
                    asset_id=asset_ids[r["asset_key"]],
                    year=r["year"],
                    amount=r["amount"],
                    region_code=r["region_code"],
                )
                for r in f["incomes"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        income_ids = dict(zip(f["incomes"]["key"].to_list(), (i.pk for i in incomes), strict=True))
        rows["incomes"] = len(incomes)
        rows["distributions"] = len(
            Distribution.objects.bulk_create(
                (
                    Distribution(
                        income_id=income_ids[r["income_key"]],
                        household_id=households[r["household_no"]],
                        person_id=persons.get(r["id_number"]),
                        recipient_name=r["recipient_name"],
                        period=r["period"],
                        amount=r["amount"],
                        region_code=r["region_code"],
                    )
                    for r in f["distributions"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        entities = BusinessEntity.objects.bulk_create(
            (
                BusinessEntity(
                    name=r["name"],
                    kind=r["kind"],
                    credit_code=r["credit_code"],
                    region_id=regions[r["region_code"]],
                    region_code=r["region_code"],
                )
                for r in f["entities"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        entity_ids = {e.credit_code: e.pk for e in entities}
        rows["entities"] = len(entities)
        bases = IndustryBase.objects.bulk_create(
            (
                IndustryBase(
                    name=r["name"],
                    industry=r["industry"],
                    region_id=regions[r["region_code"]],
                    region_code=r["region_code"],
                    area_mu=r["area_mu"],
                )
                for r in f["bases"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        base_ids = dict(zip(f["bases"]["key"].to_list(), (b.pk for b in bases), strict=True))
        rows["bases"] = len(bases)
        source_ids = {"project": projects, "entity": entity_ids, "base": base_ids}
        rows["links"] = len(
            BenefitLink.objects.bulk_create(
                (
                    BenefitLink(
                        household_id=households[r["household_no"]],
                        **{f"{r['source']}_id": source_ids[r["source"]][r["source_key"]]},
                        year=r["year"],
                        form=r["form"],
                        benefit=r["benefit"],
                        region_code=r["region_code"],
                    )
                    for r in f["links"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
    seconds = (timezone.now() - started).total_seconds()
    say(
        f"  衔接资金:下达 {rows['allocations']:,} 笔,项目 {rows['projects']:,} 个,支付 {rows['payments']:,} 笔,"
        f"资产 {rows['assets']:,} 项,收益分配 {rows['distributions']:,} 条,经营主体 {rows['entities']:,} 个,"
        f"联农带农 {rows['links']:,} 户次;用时 {seconds:.1f} 秒"
    )
    return FundsLoadResult(rows=rows, seconds=seconds)
