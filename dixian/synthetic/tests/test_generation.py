"""The synthetic population: reproducible, well-formed, and shaped like a rural Jiujiang county."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.db.models import Choices
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from dixian.domain import dictionaries as d
from dixian.domain.income import DEMO_INCOME_LINE
from dixian.registry import choices as c
from dixian.synthetic.generate import FILES, generate, read_manifest
from dixian.synthetic.idnumbers import PREFIX_HISTORY, id_numbers
from dixian.synthetic.labels import registry_labels
from dixian.synthetic.population import generate_population
from dixian.synthetic.tree import COUNTIES, KEY_VILLAGES, build_tree
from dixian.synthetic.workbook import COLUMNS, write_workbook

# The generator codes each place: the template's name columns (registry/import_places.py) are not written.
HEADERS = tuple(column.header for column in COLUMNS)

SEED = 20261129


@pytest.fixture(scope="module")
def village_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("village")
    generate(scale="village", seed=SEED, out=out, labels=registry_labels())
    return out


@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """About 40,000 persons spread over 修水县: enough for shares to settle, quick to make."""
    tree = build_tree(seed=SEED, counties=("360424",))
    population = generate_population(tree=tree, persons_target=40_000, seed=SEED)
    return population.households, population.persons, population.incomes


def test_same_seed_gives_byte_identical_files(village_dir: Path, tmp_path: Path) -> None:
    generate(scale="village", seed=SEED, out=tmp_path, labels=registry_labels())
    names = [
        *FILES,
        "registry.xlsx",
        "manifest.json",
        *(f"feeds/{p.name}" for p in (village_dir / "feeds").glob("*.csv")),
    ]
    assert len(names) == len(FILES) + 2 + 12
    for name in names:
        assert (tmp_path / name).read_bytes() == (village_dir / name).read_bytes(), name
    # Zip members carry a fixed timestamp, not the time of writing.
    assert {i.date_time for i in zipfile.ZipFile(tmp_path / "registry.xlsx").infolist()} == {
        (1980, 1, 31, 0, 0, 0)
    }


def test_another_seed_gives_other_people(village_dir: Path, tmp_path: Path) -> None:
    generate(scale="village", seed=SEED + 1, out=tmp_path)
    ours = set(pl.read_parquet(village_dir / "persons.parquet")["id_number"].to_list())
    theirs = set(pl.read_parquet(tmp_path / "persons.parquet")["id_number"].to_list())
    assert len(ours & theirs) < len(ours) // 10


def test_village_scale_is_one_village_of_a_few_hundred_people(village_dir: Path) -> None:
    manifest = read_manifest(village_dir)
    assert manifest is not None and manifest.villages == 1 and 300 <= manifest.persons <= 600
    regions = pl.read_parquet(village_dir / "regions.parquet")
    assert regions["level"].to_list()[:4] == ["city", "county", "township", "village"]
    assert regions.filter(pl.col("level") == "group").height >= 6


def test_every_id_number_validates_and_agrees_with_sex_and_birth_date(village_dir: Path, sample) -> None:
    persons = pl.concat([pl.read_parquet(village_dir / "persons.parquet"), sample[1].head(5000)])
    for number, sex, birth in persons.select("id_number", "sex", "birth_date").iter_rows():
        assert ric.validate(number) == number
        assert ric.get_birth_date(number) == birth
        assert (int(number[16]) % 2 == 1) == (sex == "male")
    assert sample[1]["id_number"].n_unique() == sample[1].height


def test_id_prefix_is_valid_for_every_county_and_birth_year() -> None:
    counties = np.array([int(code) for code in PREFIX_HISTORY for _ in range(1920, 2026)])
    births = np.array([np.datetime64(f"{year}-06-15") for _ in PREFIX_HISTORY for year in range(1920, 2026)])
    numbers = id_numbers(
        county6=counties,
        birth=births.astype("datetime64[D]"),
        male=np.ones(len(births), bool),
        shuffle=np.zeros(len(births)),
        salt=1,
    )
    assert all(ric.is_valid(n) for n in numbers)
    assert {n[:6] for n in numbers if n[6:10] >= "2017"} == set(PREFIX_HISTORY)  # today's codes for the young


def test_many_people_sharing_a_birthday_still_get_distinct_numbers() -> None:
    n = 998
    numbers = id_numbers(
        county6=np.full(n, 360424),
        birth=np.full(n, np.datetime64("1990-01-01")),
        male=np.arange(n) % 2 == 0,
        shuffle=np.random.default_rng(0).random(n),
        salt=7,
    )
    assert numbers.n_unique() == n and all(ric.is_valid(x) for x in numbers)


def test_each_household_has_one_head_and_its_member_count(village_dir: Path, sample) -> None:
    for households, persons in (
        (
            pl.read_parquet(village_dir / "households.parquet"),
            pl.read_parquet(village_dir / "persons.parquet"),
        ),
        sample[:2],
    ):
        facts = persons.group_by("household_no").agg(
            pl.len().alias("members"),
            (pl.col("relation") == "head").sum().alias("heads"),
            pl.col("name").filter(pl.col("relation") == "head").first().alias("head"),
        )
        joined = households.join(facts, on="household_no", how="left")
        assert joined["heads"].to_list() == [1] * households.height
        assert (joined["members"] == joined["member_count"]).all()
        assert (joined["head"] == joined["head_name"]).all()


def test_codes_numbers_and_phones_are_well_formed(village_dir: Path) -> None:
    regions = pl.read_parquet(village_dir / "regions.parquet")
    households = pl.read_parquet(village_dir / "households.parquet")
    persons = pl.read_parquet(village_dir / "persons.parquet")
    village = regions.filter(pl.col("level") == "village")["code"][0]
    assert households["household_no"].str.contains(rf"^{village}\d{{4}}$").all()
    assert households["household_no"].n_unique() == households.height
    assert households["region_code"].is_in(regions["code"].implode()).all()
    phones = persons.filter(pl.col("phone") != "")["phone"]
    assert phones.str.contains(r"^17[01]\d{8}$").all() and phones.n_unique() == phones.len()
    household_phones = households.filter(pl.col("phone") != "")["phone"]
    assert household_phones.is_in(phones.implode()).all() and household_phones.len() > 0.9 * households.height
    choices: type[Choices]
    for field, choices in (
        ("kind", c.HouseholdKind),
        ("monitoring_category", c.MonitoringCategory),
        ("housing_grade", c.HousingGrade),
    ):
        assert set(households[field].unique()) <= {v for v, _ in choices.choices}
    for field, choices in (
        ("relation", c.Relation),
        ("education", c.Education),
        ("student_status", c.StudentStatus),
        ("health_status", c.HealthStatus),
        ("labour_skill", c.LabourSkill),
        ("work_place", c.WorkPlace),
        ("medical_insurance", c.MedicalInsurance),
        ("pension_insurance", c.PensionInsurance),
        ("disability_category", c.DisabilityCategory),
    ):
        assert set(persons[field].unique()) <= {v for v, _ in choices.choices}, field
    assert set(persons["ethnicity"].unique()) <= set(c.ETHNICITIES)


def test_city_tree_has_the_thirteen_counties_and_682_key_villages() -> None:
    tree = build_tree(seed=SEED)
    counties = tree.filter(pl.col("level") == "county")
    assert dict(counties.select(pl.col("code").str.slice(0, 6), "name").iter_rows()) == {
        c.code6: c.name for c in COUNTIES
    }
    assert tree.filter(pl.col("is_key_village")).height == KEY_VILLAGES
    assert not tree.filter(pl.col("is_key_village") & (pl.col("level") != "village")).height
    lengths = {"city": 12, "county": 12, "township": 12, "village": 12, "group": 14}
    assert all(len(code) == lengths[level] for code, level in tree.select("code", "level").iter_rows())
    full = dict(tree.select("code", "full_name").iter_rows())
    level = dict(tree.select("code", "level").iter_rows())
    significant = {"city": 4, "county": 6, "township": 9, "village": 12}
    for code, name, parent in tree.select("code", "name", "parent_code").iter_rows():
        assert full[code] == (full[parent] + name if parent else name)
        if parent:
            assert code.startswith(parent[: significant[level[parent]]])
    # The county's subtree does not depend on the scale it is generated at.
    xiushui = build_tree(seed=SEED, counties=("360424",))
    assert xiushui.filter(pl.col("level") != "city").equals(
        tree.filter(pl.col("code").str.starts_with("360424"))
    )


def test_students_are_in_the_stage_of_their_age(sample) -> None:
    persons = sample[1]
    school_year = dt.date(2025, 9, 1)
    age = (
        pl.lit(school_year.year)
        - pl.col("birth_date").dt.year()
        - (pl.col("birth_date").dt.month() > school_year.month - 1).cast(pl.Int32)
    )
    stage = pl.col("student_status").replace_strict(d.STUDENT_STAGE, return_dtype=pl.String)
    stages = (
        persons.with_columns(age.alias("age"), stage.alias("stage"))
        .group_by("stage")
        .agg(pl.col("age").min().alias("lo"), pl.col("age").max().alias("hi"))
    )
    bounds = {row[0]: (row[1], row[2]) for row in stages.iter_rows()}
    assert bounds["primary"] == (6, 11) and bounds["junior"] == (12, 14)
    assert bounds["senior"][0] >= 15 and bounds["senior"][1] <= 17
    assert bounds["dropout"][0] >= 6 and bounds["dropout"][1] <= 14
    students = persons.filter(~pl.col("student_status").is_in(["", "dropout"]))
    assert (students["labour_skill"] == "none").all()
    # Pupils of the compulsory years and of 普通高中 are at grade level, as the national system has them.
    by_status = persons.with_columns(age.alias("age")).group_by("student_status").agg(pl.col("age").min())
    levels = dict(by_status.iter_rows())
    assert levels["primary_1"] == 6 and levels["grade_7"] == 12 and levels["senior_1"] == 15
    assert "primary" not in levels and "junior" not in levels


def test_shares_match_the_calibration(sample) -> None:
    households, persons, incomes = sample
    n = households.height
    assert 0.10 <= (households["kind"] == "ex_poor").mean() <= 0.12
    monitored = households.filter(pl.col("monitoring_category") != "")
    assert 0.008 <= monitored.height / n <= 0.012
    assert set(monitored["monitoring_category"]) == {"unstable_ex_poor", "edge", "sudden_hardship"}
    assert (monitored.filter(pl.col("monitoring_category") == "unstable_ex_poor")["kind"] == "ex_poor").all()
    assert (monitored.filter(pl.col("monitoring_category") == "edge")["kind"] == "ordinary").all()
    assert 0.05 <= (persons["health_status"] == "disabled").mean() <= 0.08
    disabled = persons.filter(pl.col("health_status") == "disabled")
    assert disabled["disability_grade"].is_not_null().all() and (disabled["disability_category"] != "").all()
    assert persons.filter(pl.col("health_status") != "disabled")["disability_grade"].is_null().all()
    age = (pl.date(2025, 12, 31) - pl.col("birth_date")).dt.total_days() / 365.25
    assert 0.20 <= persons.select((age >= 60).mean()).item() <= 0.32
    assert 0.12 <= persons.select((age < 15).mean()).item() <= 0.25
    assert 0.02 <= persons["dibao"].mean() <= 0.07 and 0.003 <= persons["tekun"].mean() <= 0.01
    assert (persons["work_place"] != "").mean() > 0.25
    workers = persons.filter(pl.col("work_place") != "")
    assert workers["months_worked"].is_between(1, 12).all()
    assert persons.filter(pl.col("work_place") == "")["months_worked"].is_null().all()
    assert households["housing_grade"].is_in(["A", "B"]).mean() > 0.95
    assert households["housing_grade"].is_in(["C", "D"]).sum() > 0
    assert 0.97 < households["water_ok"].mean() < 1.0
    this_year = incomes.filter(pl.col("year") == 2025).join(households, on="household_no")
    per_capita = this_year.select(
        pl.col("kind"),
        pl.col("monitoring_category"),
        (
            (
                pl.col("wages")
                + pl.col("business")
                + pl.col("property")
                + pl.col("transfers")
                - pl.col("production_costs")
            ).cast(pl.Float64)
            / pl.col("member_count")
        ).alias("pc"),
        (pl.col("wages").cast(pl.Float64)).alias("wages"),
        (pl.col("wages") + pl.col("business") + pl.col("property") + pl.col("transfers"))
        .cast(pl.Float64)
        .alias("gross"),
    )
    ex_poor = per_capita.filter(pl.col("kind") == "ex_poor")
    assert 14_000 <= ex_poor["pc"].median() <= 17_500
    assert 0.02 <= (ex_poor["pc"] < DEMO_INCOME_LINE[2025]).mean() <= 0.12
    assert per_capita["wages"].sum() / per_capita["gross"].sum() > 0.5  # wages dominate
    watched = per_capita.filter(pl.col("monitoring_category").is_in(["unstable_ex_poor", "edge"]))
    assert watched["pc"].median() < per_capita["pc"].median() * 0.7


def test_workbook_uses_the_template_headers_and_chinese_labels(village_dir: Path) -> None:
    rows = CalamineWorkbook.from_path(str(village_dir / "registry.xlsx")).get_sheet_by_index(0).to_python()
    persons = pl.read_parquet(village_dir / "persons.parquet")
    assert tuple(rows[0]) == HEADERS
    assert len(rows) == persons.height + 1
    col = {h: i for i, h in enumerate(HEADERS)}
    body = rows[1:]
    assert [r[col["证件号码"]] for r in body] == persons["id_number"].to_list()  # text, all 18 characters
    assert {r[col["与户主关系"]] for r in body} <= {str(label) for _, label in c.Relation.choices}
    assert {r[col["户类型"]] for r in body} <= {"脱贫户", "一般农户"}
    assert {r[col["是否享受低保"]] for r in body} <= {"是", "否"}
    heads = [r for r in body if r[col["与户主关系"]] == "户主"]
    assert all(r[col["收入年度"]] == 2025 for r in heads)
    assert all(r[col["收入年度"]] == "" for r in body if r[col["与户主关系"]] != "户主")


def test_streamed_workbook_matches_xlsxwriter_cell_by_cell(village_dir: Path, tmp_path: Path) -> None:
    frames: dict[str, Any] = {
        n: pl.read_parquet(village_dir / f"{n}.parquet") for n in ("households", "persons", "incomes")
    }
    for method in ("cells", "streamed"):
        write_workbook(
            tmp_path / f"{method}.xlsx", **frames, year=2025, labels=registry_labels(), method=method
        )
    cells, streamed = zipfile.ZipFile(tmp_path / "cells.xlsx"), zipfile.ZipFile(tmp_path / "streamed.xlsx")
    assert cells.namelist() == streamed.namelist()
    for name in cells.namelist():
        assert cells.read(name) == streamed.read(name), name


def test_generation_core_runs_without_django(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from dixian.synthetic.generate import generate; "
        f"generate(scale='village', seed=3, out=Path({str(tmp_path)!r})); "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
    assert (tmp_path / "manifest.json").exists()
