"""registry_import with the household's place given by name (县 / 乡 / 村 / 组), as the national export has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dixian.registry.imports import registry_import
from dixian.registry.models import Household, ImportBatch
from dixian.registry.testing import (
    NATIONAL_HEADER_VARIANTS,
    national_corpus,
    national_household,
    national_workbook,
    places_world,
)
from dixian.registry.tests.workbooks import family, write_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(world):
    return places_world(world)


def run(tmp_path: Path, rows, region, **kw) -> ImportBatch:
    return registry_import(
        path=national_workbook(tmp_path / "national.xlsx", rows, **kw), actor=None, region=region
    )


def reasons(batch: ImportBatch) -> list[str]:
    return [e["reason"] for e in batch.errors]


def test_names_only_book_places_every_household_as_written(tmp_path, world, places):
    corpus = national_corpus(world, places)
    batch = run(tmp_path, [row for rows, _ in corpus for row in rows], world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, (batch.message, batch.errors)
    placed = dict(Household.objects.values_list("household_no", "region__code"))
    for rows, code in corpus:
        assert placed[rows[0]["household_no"]] == code, rows[0]["village_name"]
        assert Household.objects.get(household_no=rows[0]["household_no"]).region_code == code


@pytest.mark.parametrize("field", sorted(NATIONAL_HEADER_VARIANTS))
def test_other_spellings_of_the_place_headers_are_read(tmp_path, world, places, field):
    for n, spelling in enumerate(NATIONAL_HEADER_VARIANTS[field]):
        no = f"36042410020198{n:02d}"
        rows = national_household(
            no, 7 + n, county="修水县", township="义宁镇", village="良塘村", group="2组"
        )
        batch = run(tmp_path, rows, world.county, headers={field: spelling})
        assert batch.status == ImportBatch.Status.IMPORTED, (spelling, batch.errors)
        assert Household.objects.get(household_no=no).region == places["group2"]


def test_a_name_shared_by_two_villages_is_a_row_error_naming_both_with_codes(tmp_path, world, places):
    batch = run(tmp_path, national_household("3604241002019902", 8, village="新村"), world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    assert reasons(batch) == [
        "「新村」在本辖区有 2 个:修水县义宁镇新村(360424100203)、修水县渣津镇新村(360424101201),"
        "请填写乡镇名称或行政区划代码"
    ]
    assert batch.errors[0]["column"] == "行政村"
    assert not Household.objects.filter(household_no="3604241002019902").exists()


def test_the_township_settles_a_shared_name(tmp_path, world, places):
    batch = run(
        tmp_path, national_household("3604241002019903", 9, township="渣津", village="新村"), world.county
    )
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Household.objects.get(household_no="3604241002019903").region == places["xincun_zhajin"]


def test_a_village_of_another_county_is_not_found_in_scope_and_nothing_of_that_county_is_named(
    tmp_path, world, places
):
    rows = national_household("3604241002019904", 10, county="都昌县", township="都昌镇", village="城西村")
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    (reason,) = reasons(batch)
    assert reason == "在您的管辖范围(修水县)内找不到名为「都昌县」的县(市、区),请核对名称,或填写行政区划代码"
    rows = national_household("3604241002019904", 10, village="城西村")
    batch = run(tmp_path, rows, world.county)
    (reason,) = reasons(batch)
    assert "找不到名为「城西村」的村" in reason
    assert "360428" not in reason


def test_a_village_missing_from_a_named_township_lists_the_townships_villages(tmp_path, world, places):
    rows = national_household("3604241002019905", 11, township="义宁镇", village="石坳村")
    batch = run(tmp_path, rows, world.county)
    (reason,) = reasons(batch)
    assert reason.startswith("修水县义宁镇没有名为「石坳村」的村(该乡镇的村有:良塘村、桃坪村、新村)")


def test_a_group_that_is_not_in_the_village_is_an_error_naming_its_groups_and_creates_nothing(
    tmp_path, world, places
):
    from dixian.regions.models import Region

    before = Region.objects.count()
    batch = run(
        tmp_path, national_household("3604241002019906", 12, village="良塘村", group="五组"), world.county
    )
    assert batch.status == ImportBatch.Status.REJECTED
    (error,) = batch.errors
    assert error["column"] == "组"
    assert "修水县义宁镇良塘村没有名为「五组」的村民小组(该村的村民小组有:一组、二组)" in error["reason"]
    assert Region.objects.count() == before


def test_one_error_per_household_not_one_per_member_row(tmp_path, world, places):
    batch = run(tmp_path, national_household("3604241002019907", 13, village="无此村"), world.county)
    assert batch.error_count == 1


def test_code_and_names_that_disagree_are_a_row_error_naming_both(tmp_path, world, places):
    rows = [
        {**row, "region_code": "360424100202"}
        for row in national_household("3604241002019908", 14, township="义宁镇", village="良塘村")
    ]
    path = write_workbook(
        tmp_path / "mixed.xlsx",
        rows,
        fields=[
            "region_code",
            "township_name",
            "village_name",
            "household_no",
            "kind",
            "name",
            "id_number",
            "relation",
            "labour_skill",
        ],
    )
    batch = registry_import(path=path, actor=None, region=world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    (error,) = batch.errors
    assert error["column"] == "行政区划代码"
    assert error["reason"] == (
        "行政区划代码「360424100202」与所填名称「义宁镇良塘村」不一致(名称对应 修水县义宁镇良塘村(360424100201)),"
        "请核对后只保留正确的一项"
    )


def test_a_mixed_book_takes_codes_on_some_rows_and_names_on_others(tmp_path, world, places):
    coded = family("3604241002019909", first_seq=301)
    named = [
        {k: v for k, v in row.items() if k != "region_code"}
        | {"township_name": "渣津镇", "village_name": "黄沙港村"}
        for row in family("3604241002019910", first_seq=311)
    ]
    agreeing = [
        row | {"village_name": "良塘村", "group_name": "二组", "region_code": world.village.code}
        for row in family("3604241002019911", first_seq=321)
    ]
    path = write_workbook(tmp_path / "mixed.xlsx", [*coded, *named, *agreeing])
    batch = registry_import(path=path, actor=None, region=world.county)
    assert batch.status == ImportBatch.Status.REJECTED  # 黄沙港村 is not 黄沙(港)村
    assert [e["row"] for e in batch.errors] == [5]
    named = [row | {"village_name": "黄沙(港)"} for row in named]
    path = write_workbook(tmp_path / "mixed.xlsx", [*coded, *named, *agreeing])
    batch = registry_import(path=path, actor=None, region=world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    placed = dict(Household.objects.values_list("household_no", "region_code"))
    assert placed["3604241002019909"] == world.village.code
    assert placed["3604241002019910"] == places["huangsha"].code
    assert placed["3604241002019911"] == places["group2"].code  # the names are finer than the code


def test_a_township_account_may_name_its_own_county_and_township(tmp_path, world, places):
    rows = national_household("3604241002019912", 15, county="修水县", township="义宁镇", village="新村")
    batch = run(tmp_path, rows, world.township)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Household.objects.get(household_no="3604241002019912").region == places["xincun_yining"]
    rows = national_household("3604241002019913", 16, township="渣津镇", village="新村")
    batch = run(tmp_path, rows, world.township)
    (reason,) = reasons(batch)
    assert reason == "在您的管辖范围(修水县义宁镇)内找不到名为「渣津镇」的乡镇,请核对名称,或填写行政区划代码"


def test_a_book_with_neither_code_nor_village_column_says_what_to_add(tmp_path, world):
    rows = [
        {k: v for k, v in row.items() if k not in ("village_name",)}
        for row in national_household("3604241002019914", 17, county="修水县", township="义宁镇")
    ]
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.message == (
        "工作表「全字段」缺少农户所在村:请加上“行政区划代码”列,或“县(市、区)”“乡(镇)”“行政村”名称列(组可选)。"
        "请使用导入模板,或把表头改成模板中的名称"
    )


def test_a_head_row_without_village_or_code_is_a_row_error(tmp_path, world, places):
    rows = national_household("3604241002019915", 18, village="良塘村")
    rows[0]["village_name"] = ""
    rows[1]["village_name"] = ""
    rows.append(national_household("3604241002019916", 19, village="良塘村")[0])
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    assert [(e["row"], e["column"], e["reason"]) for e in batch.errors] == [
        (3, "行政村", "户主所在行的行政村为必填项(或填写行政区划代码),请填写")
    ]


def test_the_import_page_takes_a_national_book_and_shows_the_candidates_of_a_shared_name(
    client, tmp_path, world, people, places
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from dixian.common.jobs import worker_run_once
    from dixian.common.testing import PASSWORD

    assert client.login(username="county_admin", password=PASSWORD)
    rows = [
        *national_household("3604241002019920", 20, county="修水县", township="义宁镇", village="良塘村委会"),
        *national_household("3604241002019921", 21, village="新村"),
    ]
    path = national_workbook(tmp_path / "全字段.xlsx", rows)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    client.post(
        reverse("registry:import"), {"file": SimpleUploadedFile("全字段.xlsx", path.read_bytes(), xlsx)}
    )
    assert worker_run_once()
    batch = ImportBatch.objects.get()
    page = client.get(reverse("registry:import_batch", args=[batch.pk])).content.decode()
    assert "未导入任何数据" in page
    assert "修水县义宁镇新村(360424100203)、修水县渣津镇新村(360424101201)" in page
    rows = [{**row, "township_name": "渣津"} if row["village_name"] == "新村" else row for row in rows]
    path = national_workbook(tmp_path / "全字段.xlsx", rows)
    client.post(
        reverse("registry:import"), {"file": SimpleUploadedFile("全字段.xlsx", path.read_bytes(), xlsx)}
    )
    assert worker_run_once()
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert "新增 2 户、4 人" in client.get(reverse("registry:import_batch", args=[batch.pk])).content.decode()
    placed = dict(Household.objects.values_list("household_no", "region_code"))
    assert (placed["3604241002019920"], placed["3604241002019921"]) == (world.village.code, "360424101201")


def test_a_village_account_names_its_village_and_groups(tmp_path, world, places):
    rows = national_household(
        "3604241002019930", 30, county="修水县", township="义宁镇", village="良塘村", group="二组"
    )
    batch = run(tmp_path, rows, world.village)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Household.objects.get(household_no="3604241002019930").region == places["group2"]
    batch = run(tmp_path, national_household("3604241002019931", 31, village="桃坪村"), world.village)
    (reason,) = reasons(batch)
    assert (
        reason == "在您的管辖范围(修水县义宁镇良塘村)内找不到名为「桃坪村」的村,请核对名称,或填写行政区划代码"
    )


def test_members_may_spell_the_place_otherwise_when_it_is_the_same_place(tmp_path, world, places):
    rows = national_household("3604241002019940", 40, township="义宁镇", village="良塘村", group="一组")
    rows[1] |= {"township_name": "义宁", "village_name": "良塘村委会", "group_name": "1组"}
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Household.objects.get(household_no="3604241002019940").region == places["group1"]
    rows[1] |= {"group_name": "二组"}  # another place: the household's rows disagree
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    assert {e["row"] for e in batch.errors} == {4}  # the spouse's row (a title row, then the headers)
    grouped = next(e for e in batch.errors if e["column"] == "组")
    assert (
        grouped["reason"] == "「二组」与本户户主所在行(第 3 行)不一致;同一户的户级信息应相同,或只在户主行填写"
    )


def test_a_retired_village_takes_no_new_household_but_keeps_the_one_it_has(tmp_path, world, places):
    """docs/domain.md §19: by name a retired village places nothing; by code it keeps only its own."""
    import datetime as dt

    from dixian.regions.models import Region

    rows = national_household("3604241002019960", 21, county="修水县", township="义宁镇", village="良塘村")
    assert run(tmp_path, rows, world.county).status == ImportBatch.Status.IMPORTED
    liangtang = Household.objects.get(household_no="3604241002019960").region
    Region.objects.filter(pk=liangtang.pk).update(retired_on=dt.date(2026, 3, 1))

    again = run(tmp_path, [{**row, "region_code": liangtang.code} for row in rows], world.county)
    assert again.status == ImportBatch.Status.IMPORTED, again.errors

    new = national_household("3604241002019961", 22, county="修水县", township="义宁镇", village="良塘村")
    by_name = run(tmp_path, new, world.county)
    assert by_name.status == ImportBatch.Status.REJECTED
    by_code = run(tmp_path, [{**row, "region_code": liangtang.code} for row in new], world.county)
    assert by_code.status == ImportBatch.Status.REJECTED
    assert any("已于 2026-03-01 撤销" in reason for reason in reasons(by_code)), reasons(by_code)
    assert not Household.objects.filter(household_no="3604241002019961").exists()


def test_the_households_a_retired_village_keeps_are_found_chunk_by_chunk(
    tmp_path, world, places, monkeypatch
):
    """The chunking loop: a county's household numbers are looked up in chunks (SQLite's upstream default
    takes 32,766 parameters per statement), and the household a retired village keeps is found in a later
    chunk too."""
    import datetime as dt

    from dixian.regions.models import Region
    from dixian.registry import imports

    kept = national_household("3604241002019960", 21, county="修水县", township="义宁镇", village="良塘村")
    other = national_household("3604241002019962", 23, county="修水县", township="义宁镇", village="桃坪村")
    assert run(tmp_path, kept, world.county).status == ImportBatch.Status.IMPORTED
    liangtang = Household.objects.get(household_no="3604241002019960").region
    Region.objects.filter(pk=liangtang.pk).update(retired_on=dt.date(2026, 3, 1))
    monkeypatch.setattr(imports, "LOOKUP_CHUNK", 1)

    again = run(tmp_path, [*other, *({**row, "region_code": liangtang.code} for row in kept)], world.county)
    assert again.status == ImportBatch.Status.IMPORTED, again.errors
    assert Household.objects.get(household_no="3604241002019960").region == liangtang
