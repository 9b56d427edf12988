"""The generated funds chain (synthetic/funds.py): reproducible, and every rule of docs/domain.md §22 holds on
it, checked with the platform's own rules (`dixian.domain.funds`) and python-stdnum."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import polars as pl
import pytest
from stdnum.cn import uscc

from dixian.domain import funds as fd
from dixian.synthetic.funds import FundsSet, credit_code, generate_funds, organization_code, split_fen
from dixian.synthetic.population import Population, generate_population
from dixian.synthetic.tree import build_tree, single_village_tree

SEED = 20261129
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def population() -> tuple[pl.DataFrame, Population, str]:
    """About 30,000 persons over 修水县: some sixty projects a year, quick to make."""
    tree = build_tree(seed=SEED, counties=("360424",))
    village = str(single_village_tree(tree).filter(pl.col("level") == "village")["code"][0])
    return tree, generate_population(tree=tree, persons_target=30_000, seed=SEED), village


def draw(
    population: tuple[pl.DataFrame, Population, str], seed: int = SEED, excluded: set[str] | None = None
) -> FundsSet:
    tree, pop, village = population
    return generate_funds(
        tree=tree,
        households=pop.households,
        persons=pop.persons,
        seed=seed,
        as_of=AS_OF,
        demo_village=village,
        excluded=excluded,
    )


@pytest.fixture(scope="module")
def funds(population: tuple[pl.DataFrame, Population, str]) -> FundsSet:
    return draw(population)


def test_the_same_seed_draws_the_same_chain_and_another_seed_another(population, funds) -> None:
    again, other = draw(population), draw(population, seed=SEED + 1)
    for name, frame in funds.frames().items():
        assert frame.equals(again.frames()[name]), name
    assert not funds.payments.equals(other.payments)


def test_no_allocation_is_arranged_beyond_what_it_issued(funds) -> None:
    issued = dict(funds.allocations.select("key", "amount").iter_rows())
    arranged_before: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in funds.arrangements.sort("arranged_on").select("allocation_key", "amount").iter_rows():
        assert (
            fd.arrangement_problems(amount=amount, issued=issued[key], arranged_before=arranged_before[key])
            == []
        )
        arranged_before[key] += amount
    assert set(arranged_before) == set(issued)  # every document arranged at least in part


def test_the_arrangement_rate_and_the_industry_share_look_like_the_city_report(funds) -> None:
    for year, low, high in ((AS_OF.year, 0.85, 0.95), (AS_OF.year - 1, 0.95, 1.0)):
        keys = funds.allocations.filter(pl.col("year") == year)["key"]
        issued = funds.allocations.filter(pl.col("year") == year)["amount"].sum()
        arranged = funds.arrangements.filter(pl.col("allocation_key").is_in(keys.implode()))["amount"].sum()
        assert low <= fd.share(arranged, issued) <= high, year
        projects = funds.projects.filter(pl.col("year") == year)
        industry = projects.filter(pl.col("kind") == fd.INDUSTRY)["budget_total"].sum()
        assert fd.share(industry, projects["budget_total"].sum()) >= fd.DEFAULT_INDUSTRY_SHARE_MIN, year
    assert set(funds.allocations["level"]) == set(fd.FUND_LEVELS)
    assert funds.allocations["doc_no"].str.contains(r"^[赣九修]财农指〔20\d\d〕\d+号$").all()


def test_a_projects_budget_is_what_was_arranged_to_it_by_source(funds) -> None:
    levels = funds.allocations.select("key", "level")
    arranged = (
        funds.arrangements.join(levels, left_on="allocation_key", right_on="key")
        .group_by("project_code", "level")
        .agg(pl.col("amount").sum().alias("arranged"))
    )
    joined = funds.budgets.join(arranged, on=["project_code", "level"], how="full", coalesce=True)
    assert joined.filter(pl.col("amount") != pl.col("arranged")).height == 0
    assert joined["amount"].null_count() == joined["arranged"].null_count() == 0
    totals = funds.budgets.group_by("project_code").agg(pl.col("amount").sum().alias("sum"))
    check = funds.projects.join(totals, left_on="code", right_on="project_code")
    assert check.height == funds.projects.height and (check["sum"] == check["budget_total"]).all()
    assert set(funds.budgets["level"]) <= set(fd.FUND_LEVELS)


def test_project_dates_are_in_order_and_most_projects_started(funds) -> None:
    p = funds.projects
    assert set(p["state"]) == {fd.IN_PLAN} and set(p["kind"]) <= set(fd.PROJECT_TYPES)
    assert p["code"].n_unique() == p.height
    for row in p.iter_rows(named=True):
        dates = [row["publicity_started_on"], row["planned_on"], row["started_on"], row["completed_on"]]
        dates = [d for d in [*dates, row["accepted_on"], AS_OF] if d is not None]
        assert dates == sorted(dates), row["code"]
        assert row["publicity_started_on"] + dt.timedelta(days=fd.DEFAULT_PUBLICITY_DAYS) < row["planned_on"]
        assert row["completed_on"] is None or row["started_on"] is not None
        assert row["accepted_on"] is None or row["completed_on"] is not None
    current = p.filter(pl.col("year") == AS_OF.year)
    started = current["started_on"].is_not_null().mean()
    assert 0.9 <= started < 1
    late = current.filter(pl.col("planned_completion") < AS_OF, pl.col("completed_on").is_null())
    assert 0 < late.height < current.height * 0.15


def test_every_payment_is_one_the_platform_would_accept(funds) -> None:
    projects = {r["code"]: r for r in funds.projects.iter_rows(named=True)}
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for row in funds.payments.sort("project_code", "paid_on").iter_rows(named=True):
        project = projects[row["project_code"]]
        problems = fd.payment_problems(
            paid_on=row["paid_on"],
            amount=row["amount"],
            started_on=project["started_on"],
            budget_total=project["budget_total"],
            paid_before=paid[row["project_code"]],
            use_category=row["use_category"],
            negative_list=fd.DEFAULT_NEGATIVE_LIST,
        )
        assert problems == [], (row, problems)
        assert row["paid_on"] <= AS_OF and row["payee_category"] in fd.PAYEE_CATEGORIES
        paid[row["project_code"]] += row["amount"]
    started = set(funds.projects.filter(pl.col("started_on").is_not_null())["code"])
    assert set(paid) == started  # every started project has paid something, no other has


def test_hires_are_poor_households_labourers_paid_what_the_wage_payment_says(population, funds) -> None:
    _, pop, _ = population
    poor = pop.households.filter((pl.col("kind") == "ex_poor") | (pl.col("monitoring_category") != ""))
    members = dict(pop.persons.select("id_number", "household_no").iter_rows())
    assert funds.hires.height > 0
    for id_number, no in funds.hires.select("id_number", "household_no").iter_rows():
        assert members[id_number] == no
    assert funds.hires["household_no"].is_in(poor["household_no"].implode()).all()
    assert funds.hires.select("project_code", "id_number").is_unique().all()
    wages = funds.hires.group_by("project_code").agg(pl.col("wages_paid").sum())
    paid = (
        funds.payments.filter(pl.col("use_category") == "work_relief_wages")
        .group_by("project_code")
        .agg(pl.col("amount").sum())
    )
    assert wages.join(paid, on="project_code").filter(pl.col("wages_paid") != pl.col("amount")).height == 0
    assert wages.height == paid.height


def test_assets_come_of_accepted_projects_and_household_assets_name_a_household(population, funds) -> None:
    _, pop, _ = population
    accepted = funds.projects.filter(pl.col("accepted_on").is_not_null())
    assert funds.assets["project_code"].is_in(accepted["code"].implode()).all()
    assert set(funds.assets["asset_class"]) == set(fd.ASSET_CLASSES)
    household = funds.assets.filter(pl.col("asset_class") == fd.HOUSEHOLD)
    assert household["household_no"].is_in(pop.households["household_no"].implode()).all()
    assert funds.assets.filter(pl.col("asset_class") != fd.HOUSEHOLD)["household_no"].null_count() == (
        funds.assets.height - household.height
    )
    value = funds.assets.group_by("project_code").agg(pl.col("value").sum())
    over = value.join(accepted, left_on="project_code", right_on="code").filter(
        pl.col("value") > pl.col("budget_total")
    )
    assert over.height == 0
    assert funds.maintenance["asset_key"].is_in(funds.assets["key"].implode()).all()


def test_income_is_distributed_to_heads_of_households_the_feeds_leave_alone(population) -> None:
    _, pop, _ = population
    gone = set(pop.households["household_no"].gather_every(3).to_list())
    funds = draw(population, excluded=gone)
    operating = funds.assets.filter(pl.col("asset_class") == fd.OPERATING)["key"]
    assert funds.incomes["asset_key"].is_in(operating.implode()).all()
    assert funds.distributions.height > 0
    heads = pop.persons.filter(pl.col("relation") == "head").select("id_number", "household_no", "name")
    joined = funds.distributions.join(heads, on="id_number", how="left", suffix="_head")
    assert (joined["household_no"] == joined["household_no_head"]).all()
    assert (joined["recipient_name"] == joined["name"]).all()
    assert not set(funds.distributions["household_no"]) & gone
    assert not set(funds.hires["household_no"]) & gone
    total = funds.distributions.group_by("income_key").agg(pl.col("amount").sum().alias("paid"))
    over = total.join(funds.incomes, left_on="income_key", right_on="key").filter(
        pl.col("paid") > pl.col("amount")
    )
    assert over.height == 0 and (funds.distributions["amount"] > 0).all()


def test_the_demo_village_has_the_whole_chain(population, funds) -> None:
    _, _, village = population
    project = funds.projects.filter(pl.col("region_code") == village, pl.col("year") == AS_OF.year).row(
        0, named=True
    )
    assert project["kind"] == fd.INDUSTRY and project["accepted_on"] is not None
    assert funds.payments.filter(pl.col("project_code") == project["code"]).height > 0
    asset = funds.assets.filter(pl.col("project_code") == project["code"]).row(0, named=True)
    assert asset["asset_class"] == fd.OPERATING
    income = funds.incomes.filter(pl.col("asset_key") == asset["key"], pl.col("year") == AS_OF.year)
    assert funds.distributions.filter(pl.col("income_key") == income["key"][0]).height > 0


def test_credit_codes_are_valid_unique_and_of_the_entitys_county(funds) -> None:
    codes = funds.entities["credit_code"]
    assert codes.n_unique() == codes.len() > 0
    assert all(uscc.is_valid(c) for c in codes)
    assert (codes.str.slice(2, 6) == funds.entities["region_code"].str.slice(0, 6)).all()
    assert set(funds.entities["kind"]) <= set(fd.ENTITY_KINDS)
    # A known code (stdnum's doctest) checks the helper's check character, and a changed body fails it.
    assert credit_code("91", "110000", "60003734")[-1] == "L"
    assert organization_code("60003734") == "600037341"
    code = credit_code("93", "360424", "12345678")
    assert uscc.is_valid(code)
    assert not uscc.is_valid(code[:10] + ("1" if code[10] != "1" else "2") + code[11:])


def test_links_name_existing_households_once_per_source_and_form(population, funds) -> None:
    _, pop, _ = population
    links = funds.links
    assert links["household_no"].is_in(pop.households["household_no"].implode()).all()
    assert links.select("household_no", "year", "form", "source", "source_key").is_unique().all()
    assert set(links["source"]) == {"project", "entity", "base"} and set(links["form"]) <= set(fd.LINK_FORMS)
    keys = {
        "project": set(funds.projects["code"]),
        "entity": set(funds.entities["credit_code"]),
        "base": set(funds.bases["key"]),
    }
    for source, key in links.select("source", "source_key").unique().iter_rows():
        assert key in keys[source]
    # Scoped as the household is (its village or group).
    regions = pop.households.select("household_no", pl.col("region_code").alias("household_region"))
    for frame in (links, funds.distributions, funds.assets.filter(pl.col("household_no").is_not_null())):
        joined = frame.join(regions, on="household_no")
        assert joined.height == frame.height and (joined["region_code"] == joined["household_region"]).all()
    assert (pop.households["region_code"].str.len_chars() == 14).any()  # groups exist: the check can fail


def test_split_fen_keeps_every_fen() -> None:
    import numpy as np

    for total in (1, 99, 10_000_001, 80_800_000_000):
        parts = split_fen(total, np.array([0.3, 1.7, 2.0, 0.001]))
        assert sum(parts) == total and min(parts) >= 0
