"""Loading generated data: the region tree (`load_regions`) and a whole directory (`load_registry_parquet`)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dixian.regions.models import Region
from dixian.registry.models import Household, HouseholdIncome, Person
from dixian.synthetic.generate import generate
from dixian.synthetic.loading import regions_load

pytestmark = pytest.mark.django_db
SEED = 7


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(scale="village", seed=SEED, out=out)
    return out


def test_load_regions_builds_the_tree_with_prefixes_and_full_names(generated: Path) -> None:
    out = StringIO()
    call_command("load_regions", str(generated / "regions.parquet"), stdout=out)
    frame = pl.read_parquet(generated / "regions.parquet")
    assert Region.objects.count() == frame.height
    assert f"新增 {frame.height} 个,更新 0 个" in out.getvalue()
    village_code = frame.filter(pl.col("level") == "village")["code"][0]
    village = Region.objects.get(code=village_code)
    assert village.prefix == village_code and village.parent.code == village_code[:9] + "000"
    assert village.parent.prefix == village_code[:9] and village.parent.parent.prefix == village_code[:6]
    assert Region.objects.get(code="360400000000").prefix == "3604"
    group = Region.objects.filter(level="group").order_by("code").first()
    assert group.prefix == group.code and group.parent == village
    assert group.full_name == f"{village.full_name}{group.name}" and village.full_name.startswith(
        "九江市修水县"
    )
    # The prefix makes the subtree query work as region scoping expects.
    assert (
        Region.objects.filter(code__startswith=village.prefix).count()
        == 1 + frame.filter(pl.col("level") == "group").height
    )


def test_load_regions_again_updates_in_place(generated: Path, tmp_path: Path) -> None:
    call_command("load_regions", str(generated / "regions.parquet"), stdout=StringIO())
    ids = dict(Region.objects.values_list("code", "id"))
    frame = pl.read_parquet(generated / "regions.parquet")
    township = frame.filter(pl.col("level") == "township")["code"][0]
    renamed = frame.with_columns(
        pl.when(pl.col("code") == township).then(pl.lit("新名镇")).otherwise(pl.col("name")).alias("name")
    )
    renamed.write_parquet(tmp_path / "renamed.parquet")
    out = StringIO()
    call_command("load_regions", str(tmp_path / "renamed.parquet"), stdout=out)
    assert f"新增 0 个,更新 {frame.height} 个" in out.getvalue()
    assert dict(Region.objects.values_list("code", "id")) == ids
    # Full names below the renamed township follow it.
    assert all("新名镇" in r.full_name for r in Region.objects.filter(level__in=["village", "group"]))


def test_load_regions_rejects_a_node_without_its_parent(generated: Path, tmp_path: Path) -> None:
    frame = pl.read_parquet(generated / "regions.parquet").filter(pl.col("level") != "township")
    frame.write_parquet(tmp_path / "orphans.parquet")
    with pytest.raises(CommandError, match="上级"):
        call_command("load_regions", str(tmp_path / "orphans.parquet"), stdout=StringIO())
    assert Region.objects.count() == 0


def test_a_parent_already_in_the_database_is_enough(generated: Path) -> None:
    frame = pl.read_parquet(generated / "regions.parquet")
    regions_load(frame.filter(pl.col("level").is_in(["city", "county"])))
    result = regions_load(frame.filter(~pl.col("level").is_in(["city", "county"])))
    assert result.created == frame.height - 2
    township = Region.objects.get(level="township")
    assert township.full_name == "九江市修水县" + township.name


def test_load_registry_parquet_stores_every_record(generated: Path) -> None:
    call_command("load_registry_parquet", str(generated), stdout=StringIO())
    households = pl.read_parquet(generated / "households.parquet")
    persons = pl.read_parquet(generated / "persons.parquet")
    incomes = pl.read_parquet(generated / "incomes.parquet")
    assert Household.objects.count() == households.height
    assert Person.objects.count() == persons.height
    assert HouseholdIncome.objects.count() == incomes.height
    first = households.row(0, named=True)
    h = Household.objects.get(household_no=first["household_no"])
    assert (h.region.code, h.head_name, h.member_count, h.kind) == (
        first["region_code"],
        first["head_name"],
        first["member_count"],
        first["kind"],
    )
    income = h.incomes.get(year=2025)
    assert income.members == h.member_count
    # Derived facts agree with the generated members.
    ill = set(persons.filter(pl.col("health_status").is_in(["chronic", "major_illness"]))["household_no"])
    assert set(Household.objects.filter(has_illness=True).values_list("household_no", flat=True)) == ill


def test_the_loaded_households_carry_their_findings(generated: Path) -> None:
    """The demo's households show their 疑点 from the start, as an import would have recorded them: every
    person 60 or older recorded as full labour is found (docs/domain.md §14), and nothing twice."""
    import datetime as dt

    from dixian.registry.models import Finding

    call_command("load_registry_parquet", str(generated), stdout=StringIO())
    today = dt.date.today()  # noqa: DTZ011 - the rule's own day (timezone.localdate) only differs at midnight
    old_labour = {
        p.id_number
        for p in Person.objects.filter(labour_skill__in=["ordinary", "skilled"])
        if (
            today.year
            - p.birth_date.year
            - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day))
        )
        >= 60
    }
    found = set(Finding.objects.filter(code="elderly_labourer").values_list("person__id_number", flat=True))
    assert old_labour and found == old_labour
    call_command("load_registry_parquet", str(generated), stdout=StringIO())
    assert Finding.objects.filter(code="elderly_labourer").count() == len(old_labour)


def test_loading_a_directory_twice_changes_nothing(generated: Path) -> None:
    call_command("load_registry_parquet", str(generated), stdout=StringIO())
    before = list(Person.objects.order_by("id").values_list("id", "updated_at"))
    out = StringIO()
    call_command("load_registry_parquet", str(generated), stdout=out)
    assert "新增 0 户、0 人、0 条收入;更新 0 户、0 人" in out.getvalue()
    assert list(Person.objects.order_by("id").values_list("id", "updated_at")) == before


def test_load_registry_parquet_in_several_transactions(generated: Path) -> None:
    call_command("load_registry_parquet", str(generated), "--chunk", "100", stdout=StringIO())
    assert Person.objects.count() == pl.read_parquet(generated / "persons.parquet").height


def test_load_registry_parquet_names_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="households.parquet"):
        call_command("load_registry_parquet", str(tmp_path), stdout=StringIO())
