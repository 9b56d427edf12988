"""The statistical division code table loaded as published (docs/domain.md §19): read from xlsx or GBK
csv, only the city's part kept, applied idempotently, renames logged, retired units kept with their
households and reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dixian.common.models import ChangeLog
from dixian.common.uploads import UploadRefused
from dixian.regions.loading import RegionTableError, region_table_plan
from dixian.regions.models import Region
from dixian.registry.models import Household
from dixian.registry.region_table import region_table_read, regions_import
from dixian.registry.testing import household

from .region_tables import CITY, HEADER, table, write_csv, write_xlsx

pytestmark = pytest.mark.django_db
CITY_CODES = {c for c, _, n in CITY if n != "市辖区"}


def _apply(path: Path, **kwargs):
    return regions_import(path, file_name=path.name, actor=None, apply=True, **kwargs)


def _tree() -> list[tuple]:
    return list(
        Region.objects.order_by("code").values_list(
            "code", "name", "level", "parent__code", "full_name", "urban_rural_code", "retired_on"
        )
    )


# ---- reading ---------------------------------------------------------------------------------------------


def test_an_xlsx_table_with_numeric_codes_yields_only_the_citys_rows(tmp_path):
    read = region_table_read(write_xlsx(tmp_path / "江西.xlsx", table()), city_prefix="3604")
    assert {r.code for r in read.rows} == {c for c, _, _ in CITY}
    assert read.others == 7  # the province row and other cities' rows
    assert read.error_count == 0
    village = next(r for r in read.rows if r.code == "360424100202")
    assert (village.name, village.urban_rural, village.line) == (
        "桃坪村",
        "210",
        13,
    )  # title line, header, province, 4 rows of 南昌市


def test_a_gbk_csv_with_other_header_spellings_and_a_level_column_reads_the_same(tmp_path):
    rows = [(c, u, n) for c, u, n in table()]
    with_level = [(c, u, n) for c, u, n in rows]
    path = write_csv(tmp_path / "代码.csv", with_level, header=("区划代码", "城乡分类", "单位名称"))
    read = region_table_read(path, city_prefix="3604")
    assert {r.code for r in read.rows} == {c for c, _, _ in CITY}
    assert next(r for r in read.rows if r.code == "360428100201").name == "城西村"
    # 层级 columns of re-publications are ignored: the level comes from the code.
    lines = ["代码,名称,层级,城乡分类代码"] + [f"{c},{n},{len(c)},{u}" for c, u, n in rows]
    path.write_bytes("\n".join(lines).encode("gbk"))
    assert {r.code for r in region_table_read(path, city_prefix="3604").rows} == {c for c, _, _ in CITY}


@pytest.mark.parametrize(
    "header",
    [
        ("统计用区划代码(12位)", "城乡分类代码", "名称"),
        ("代码", "城乡分类代码", "区划名称"),
        (" 统计用区划代码 ", "城乡分类代码", "名 称"),
    ],
)
def test_header_variants(tmp_path, header):
    path = write_xlsx(tmp_path / "t.xlsx", table(), header=header, numeric=False)
    assert len(region_table_read(path, city_prefix="3604").rows) == len(CITY)


def test_a_file_without_the_tables_header_is_refused_in_chinese(tmp_path):
    path = write_csv(tmp_path / "x.csv", table(), header=("编号", "类别", "户主"))
    with pytest.raises(UploadRefused, match="找不到代码表的表头"):
        region_table_read(path, city_prefix="3604")
    with pytest.raises(UploadRefused, match="工作表"):
        region_table_read(
            write_xlsx(tmp_path / "x.xlsx", table(), header=("编号", "类别", "户主")), city_prefix="3604"
        )


def test_a_broken_code_or_a_missing_name_in_the_city_is_a_row_error(tmp_path):
    rows = [*table(), ("36042410020", "220", "短码村"), ("360424100203", "220", "")]
    read = region_table_read(write_csv(tmp_path / "t.csv", rows), city_prefix="3604")
    assert read.error_count == 2
    assert "12 位数字" in read.errors[0] and "没有名称" in read.errors[1]


# ---- planning and applying -------------------------------------------------------------------------------


def test_first_load_builds_the_city_with_full_names_levels_and_urban_rural_codes(tmp_path):
    report = _apply(write_xlsx(tmp_path / "t.xlsx", table()))
    assert report.applied and len(report.plan.added) == len(CITY_CODES)
    assert report.plan.skipped_city_districts == 1
    village = Region.objects.get(code="360424101202")
    assert (village.level, village.parent.code, village.prefix) == ("village", "360424101000", "360424101202")
    assert village.full_name == "九江市修水县白岭镇新街社区"
    assert village.get_urban_rural_code_display() == "镇中心区"
    assert Region.objects.get(code="360400000000").parent is None
    assert not Region.objects.filter(code="360401000000").exists()
    assert not Region.objects.filter(code__startswith="3601").exists()


def test_applying_the_same_table_again_changes_nothing(tmp_path, world):
    path = write_xlsx(tmp_path / "t.xlsx", table())
    first = _apply(path)
    assert len(first.plan.added) == 3 and len(first.plan.reclassified) == 3  # the world's villages
    before = _tree()
    again = _apply(path)
    assert again.plan.changes == 0 and not again.with_households
    assert again.summary()[1].startswith("新增 0 个,更名 0 个,撤销 0 个")
    assert _tree() == before


def test_a_renamed_unit_keeps_its_code_and_households_and_the_rename_is_logged(tmp_path, world):
    _apply(write_xlsx(tmp_path / "t.xlsx", table()))
    renamed = {"360424100000": "义宁街道", "360424100202": "桃坪社区"}
    report = _apply(write_csv(tmp_path / "t2.csv", table(renamed=renamed)))
    assert {(r.code, r.old_name, r.new_name) for r in report.plan.renamed} == {
        ("360424100000", "义宁镇", "义宁街道"),
        ("360424100202", "桃坪村", "桃坪社区"),
    }
    village = Region.objects.get(code="360424100202")
    assert village.pk == world.other_village.pk and village.full_name == "九江市修水县义宁街道桃坪社区"
    # The rename of the township reaches the full name of its other village as well.
    assert Region.objects.get(code="360424100201").full_name == "九江市修水县义宁街道良塘村"
    assert Household.objects.get(pk=world.neighbour.pk).region_id == village.pk
    log = ChangeLog.objects.get(entity="region", entity_id=village.pk)
    assert log.changes == {"name": ["桃坪村", "桃坪社区"]} and log.source == ChangeLog.Source.IMPORT
    assert "桃坪社区" in log.summary


def test_a_retired_village_with_households_is_reported_and_kept(tmp_path, world):
    group = Region.objects.create(
        code="36042810020101", name="一组", level="group", parent=world.far_village, full_name="x"
    )
    household("3604281002010002", group, "赵六", 4)
    _apply(write_xlsx(tmp_path / "t.xlsx", table()))
    assert Region.objects.get(pk=group.pk).full_name == "九江市都昌县都昌镇城西村一组"
    dry = regions_import(
        write_xlsx(tmp_path / "t2.xlsx", table(without=("360428100201",))),
        file_name="t2.xlsx",
        actor=None,
        apply=False,
    )
    assert [(w.unit.code, w.households) for w in dry.with_households] == [("360428100201", 2)]
    assert [g.code for g in dry.plan.retired_groups] == [group.code]
    assert Region.objects.get(pk=world.far_village.pk).retired_on is None  # a dry run writes nothing

    report = _apply(tmp_path / "t2.xlsx", today=dt.date(2026, 3, 1))
    assert report.applied and [r.code for r in report.plan.retired] == ["360428100201"]
    far = Region.objects.get(pk=world.far_village.pk)
    assert far.retired_on == dt.date(2026, 3, 1) and Region.objects.get(pk=group.pk).is_retired
    assert Household.objects.filter(region__in=[far, group]).count() == 2  # never dropped
    assert not Region.objects.in_use().filter(pk=far.pk).exists()
    assert ChangeLog.objects.filter(
        entity="region", entity_id=far.pk, summary__startswith="区划撤销"
    ).exists()
    # Next time it is no longer a change, but still listed until its households are moved.
    again = _apply(tmp_path / "t2.xlsx")
    assert again.plan.changes == 0 and [(w.unit.code, w.households) for w in again.still_holding] == [
        ("360428100201", 1),
        (group.code, 1),
    ]
    # A table listing it again brings it back, with its group.
    back = _apply(write_xlsx(tmp_path / "t3.xlsx", table()))
    assert {u.code for u in back.plan.reactivated} == {"360428100201", group.code}
    assert Region.objects.in_use().filter(pk__in=[far.pk, group.pk]).count() == 2


def test_a_table_without_the_city_is_refused_before_anything_is_retired(tmp_path, world):
    rows = [r for r in table() if not r[0].startswith("3604")]
    with pytest.raises(RegionTableError, match="没有本市"):
        _apply(write_csv(tmp_path / "t.csv", rows))
    county_only = [r for r in table() if r[0].startswith("360424")]
    with pytest.raises(RegionTableError):
        _apply(write_csv(tmp_path / "t2.csv", county_only))
    assert not Region.objects.filter(retired_on__isnull=False).exists()


def test_errors_refuse_the_whole_table(tmp_path, world):
    rows = [r for r in table() if r[0] != "360424101000"]  # a village without its township
    report = _apply(
        write_csv(
            tmp_path / "t.csv",
            [*rows, ("360424100201", "220", "另一个名字"), ("360424000201", "220", "缺乡镇村")],
        )
    )
    assert any("360424000201" in e and "不合规" in e for e in report.errors)
    assert report.refused and not report.applied
    assert any("上级区划 360424101000 不在表中" in e for e in report.errors)
    assert any("已出现" in e for e in report.errors)
    assert not Region.objects.filter(code="360424101201").exists()


def test_the_city_comes_from_the_setting_when_the_database_has_no_tree(tmp_path, settings):
    settings.DIXIAN_CITY_CODE = "360100000000"
    report = _apply(write_xlsx(tmp_path / "t.xlsx", table()))
    assert report.plan.city_name == "南昌市"
    assert set(Region.objects.values_list("code", flat=True)) == {
        "360100000000",
        "360102000000",
        "360102001000",
        "360102001001",
    }


def test_plan_reports_a_parent_that_does_not_follow_the_code(world):
    # A village hung under the wrong township by hand is put back where its code says.
    Region.objects.filter(pk=world.far_village.pk).update(parent=world.township)
    from dixian.regions.loading import TableRow

    rows = [TableRow(i, c, n, u) for i, (c, u, n) in enumerate(table(), start=2)]
    plan = region_table_plan(rows, city_prefix="3604")
    assert [(m.code, m.old, m.new) for m in plan.moved] == [("360428100201", "360424100000", "360428100000")]


# ---- the command -----------------------------------------------------------------------------------------


def test_the_command_dry_run_writes_nothing_and_apply_loads(tmp_path, world, capsys):
    path = write_xlsx(tmp_path / "t.xlsx", table())
    with pytest.raises(SystemExit) as done:
        call_command("import_regions", str(path), "--dry-run")
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "新增 3 个" in out and "试运行" in out
    assert not Region.objects.filter(code="360424101000").exists()
    with pytest.raises(SystemExit) as done:
        call_command("import_regions", str(path))
    assert done.value.code == 0 and Region.objects.filter(code="360424101000").exists()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(",".join(HEADER[:1]).encode())
    with pytest.raises(SystemExit) as done:
        call_command("import_regions", str(bad))
    assert done.value.code == 2 and "表头" in capsys.readouterr().err


# ---- idempotence, over many tables -----------------------------------------------------------------------

TOWNSHIPS = {"360424": ("100", "101"), "360428": ("100", "102")}
NAMES = ("东山", "西岭", "南塘", "北港")


@st.composite
def tables(draw) -> list[tuple[str, str, str]]:
    """A valid table of the city: any subset of two counties' townships and villages, any names."""
    rows = [("360000000000", "", "江西省"), ("360400000000", "", draw(st.sampled_from(("九江市", "浔阳市"))))]
    for county, townships in TOWNSHIPS.items():
        if not draw(st.booleans()):
            continue
        rows.append((county + "000000", "", draw(st.sampled_from(("修水县", "都昌县", "新县")))))
        for township in townships:
            if not draw(st.booleans()):
                continue
            code9 = county + township
            rows.append(
                (
                    code9 + "000",
                    "",
                    draw(st.sampled_from(NAMES)) + draw(st.sampled_from(("镇", "乡", "街道"))),
                )
            )
            for village in draw(st.sets(st.sampled_from(("201", "202", "203")))):
                kind = draw(st.sampled_from(Region.UrbanRural.values))
                rows.append(
                    (
                        code9 + village,
                        kind,
                        draw(st.sampled_from(NAMES)) + draw(st.sampled_from(("村", "社区"))),
                    )
                )
    return rows


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=tables(), second=tables())
def test_applying_a_table_twice_is_applying_it_once(tmp_path, world, first, second):
    # Whatever the tree before (the world, then whatever earlier examples left), a table applied a second
    # time changes nothing and reports nothing to do.
    for rows in (first, second):
        path = write_csv(tmp_path / "t.csv", rows)
        once = _apply(path)
        assert once.applied
        after_once = _tree()
        twice = _apply(path)
        assert twice.applied and twice.plan.changes == 0
        assert _tree() == after_once
        in_table = {c for c, _, _ in rows if c.startswith("3604")}
        in_use = set(Region.objects.in_use().exclude(level="group").values_list("code", flat=True))
        assert in_use == in_table
    # Nothing is ever deleted and no household leaves its unit.
    assert (
        Household.objects.filter(
            region_id__in=[world.village.pk, world.other_village.pk, world.far_village.pk]
        ).count()
        == 3
    )
