"""Issue 13's "done when": a workbook laid out like the national system's export (全县全字段) imports in one go.

Names instead of codes (docs/domain.md §14.1), the national dictionaries' spellings (§18), household income
as the export carries it (家庭年纯收入 only, no 收入年度: §2) and the usual inconsistencies, which are
imported and listed as findings instead of refusing the book (the table of rules in §14). Then the income
that came with the book reaches the screening: R01 grades a large medical bill 红 against it and R14 fires
(docs/rules.md), which they could not do while the import dropped 家庭年纯收入.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.common.testing import fake_id
from dixian.domain.dictionaries import student_stage
from dixian.registry.imports import registry_import
from dixian.registry.models import Finding, Household, HouseholdIncome, ImportBatch, Person
from dixian.registry.testing import national_household, national_workbook, places_world

pytestmark = pytest.mark.django_db

HEADERS = {
    "monitoring_category": "监测对象类别",
    "student_status": "在校生状况",
    "health_status": "健康状况",
    "months_worked": "务工时间",
    "work_place": "务工所在地",
    "declared_net": "家庭年纯收入",
    "wages": "工资性收入",
    "transfers": "转移性收入",
}


def _child(
    no: str, seq: int, birth: dt.date, student: str, labour: str, place: dict[str, str], kind: str
) -> dict:
    return {
        **place,
        "household_no": no,
        "kind": kind,
        "name": "陈小明",
        "id_number": fake_id("360424", birth, seq),
        "relation": "之子",
        "labour_skill": labour,
        "student_status": student,
        "medical_insurance": "城乡居民基本医疗保险",
    }


def national_book(world, places) -> list[dict]:
    """Five households as a county clerk's export has them."""
    yining = {"county_name": "修水县", "township_name": "义宁镇", "village_name": "良塘村委会"}
    rows: list[dict] = []
    # 1. The sick household: only 家庭年纯收入, no 收入年度; head 患有大病.
    sick = national_household("3604241002019801", 1, county="修水", township="义宁", village="良塘村")
    for row in sick:
        row["kind"] = "脱贫户(享受政策)"
        row["declared_net"] = "30000"
    sick[0]["health_status"] = "患有大病"
    rows += sick
    # 2. 务工时间 without 务工所在地 on both members, a pupil in 七年级 marked 普通劳动力, weak labour.
    busy = national_household("3604241002019802", 2, village="九江市修水县义宁镇良塘村二组")
    for row in busy:
        row["months_worked"] = "8"
        row["kind"] = "一般农户"
    busy[1]["labour_skill"] = "弱劳动力或半劳动力"
    busy.append(
        _child(
            "3604241002019802",
            90,
            dt.date(2013, 5, 6),
            "七年级",
            "普通劳动力",
            {"village_name": "九江市修水县义宁镇良塘村二组"},
            "一般农户",
        )
    )
    for row in busy:
        row["wages"] = "42000"
        row["transfers"] = "1200"
    rows += busy
    # 3. A 61-year-old head marked 技能劳动力, monitored (national spelling), a pupil at grade level.
    old = national_household("3604241002019803", 3, township="渣津镇", village="新村")
    old[0]["id_number"] = fake_id("360424", dt.date(1965, 2, 3), 300)
    old[0]["labour_skill"] = "技能劳动力"
    for row in old:
        row["monitoring_category"] = "边缘易致贫户"
        row["kind"] = "一般农户"
    old.append(
        _child(
            "3604241002019803",
            91,
            dt.date(2018, 9, 1),
            "小学二年级",
            "无劳动力",
            {"township_name": "渣津镇", "village_name": "新村"},
            "一般农户",
        )
    )
    rows += old
    # 4. Full-width brackets and 村委会 in the village name; nothing odd.
    rows += national_household("3604241002019804", 4, village="黄沙（港）村委会")
    # 5. The place written as one path with the province.
    rows += national_household("3604241002019805", 5, **yining)
    return rows


def test_the_national_export_imports_in_one_go_with_its_findings_listed(tmp_path, world):
    places = places_world(world)
    rows = national_book(world, places)
    path = national_workbook(tmp_path / "全县全字段.xlsx", rows, headers=HEADERS)

    batch = registry_import(path=path, actor=None, region=world.county)

    assert batch.status == ImportBatch.Status.IMPORTED, (batch.message, batch.errors)
    assert Household.objects.filter(household_no__startswith="36042410020198").count() == 5
    assert Person.objects.filter(household__household_no__startswith="36042410020198").count() == len(rows)

    # Placed by name.
    placed = dict(Household.objects.values_list("household_no", "region__code"))
    assert placed["3604241002019801"] == world.village.code
    assert placed["3604241002019802"] == places["group2"].code
    assert placed["3604241002019803"] == places["xincun_zhajin"].code
    assert placed["3604241002019804"] == places["huangsha"].code
    assert placed["3604241002019805"] == world.village.code

    # National dictionary values stored as such, read through their stage by the rules.
    pupil = Person.objects.get(household__household_no="3604241002019802", relation="son")
    assert student_stage(pupil.student_status) == "junior" and pupil.student_status != "junior"
    assert (
        Person.objects.get(household__household_no="3604241002019802", relation="spouse").labour_skill
        == "weak"
    )
    assert Household.objects.get(household_no="3604241002019803").monitoring_category == "edge"
    assert (
        Person.objects.get(household__household_no="3604241002019801", relation="head").health_status
        == "major_illness"
    )

    # The income that came with the book, for the previous year.
    year = timezone.localdate().year - 1
    declared = HouseholdIncome.objects.get(household__household_no="3604241002019801")
    assert (declared.year, declared.net_income, declared.net_income_per_capita) == (
        year,
        Decimal("30000.00"),
        Decimal("15000.00"),
    )
    computed = HouseholdIncome.objects.get(household__household_no="3604241002019802")
    assert computed.net_income == Decimal("43200.00") and computed.members == 3

    # The inconsistencies: imported, listed on the batch and on the household.
    found = Counter(Finding.objects.filter(resolved_at__isnull=True).values_list("code", flat=True))
    assert found["work_place_missing"] == 2
    assert found["student_labourer"] == 1
    assert found["elderly_labourer"] == 1
    assert batch.finding_count == sum(found.values())
    assert Finding.objects.filter(batch=batch).count() == batch.finding_count


def test_the_income_of_the_book_reaches_the_screening(tmp_path, world):
    """R01 is 红 against the declared 家庭年纯收入 and R14 fires: both need the household's income."""
    from dixian.screening import loading
    from dixian.screening.engine import default_rules, screen
    from dixian.screening.tests.run_fixtures import canonical_table, medical_row

    places_world(world)
    rows = national_book(world, {})[:2]  # the sick household alone
    batch = registry_import(
        path=national_workbook(tmp_path / "b.xlsx", rows, headers=HEADERS), actor=None, region=world.county
    )
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    head = Person.objects.get(household__household_no="3604241002019801", relation="head")

    registry = loading.registry_load("2026-10")
    medical = canonical_table("medical", [medical_row(head, "S1", 31000.0)])
    rules = [r for r in default_rules() if r.rule_id in ("R01", "R14")]
    alerts = screen(registry, {"medical": medical}, rules, "2026-10").alerts.to_pylist()
    evidence = [e for a in alerts if a["household_no"] == "3604241002019801" for e in a["evidence"]]
    mine = {e["rule_id"]: e for e in evidence}

    assert set(mine) == {"R01", "R14"}, alerts
    assert mine["R01"]["grade"] == "红"
    assert "30,000" in mine["R14"]["reason"]


def test_the_household_page_lists_the_findings(client, people, tmp_path, world):
    places_world(world)
    rows = national_book(world, {})
    registry_import(
        path=national_workbook(tmp_path / "b.xlsx", rows, headers=HEADERS), actor=None, region=world.county
    )
    household = Household.objects.get(household_no="3604241002019802")
    client.force_login(people["county_admin"])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "疑点" in page
    assert page.count("务工所在地") >= 2


def test_the_same_book_as_a_gbk_csv_imports_the_same(tmp_path, world):
    """Counties also pass the export around as csv saved by Excel on Chinese Windows (GBK)."""
    import csv

    from dixian.registry.testing import NATIONAL_HEADERS

    places_world(world)
    rows = national_book(world, {})
    spelled = {**NATIONAL_HEADERS, **HEADERS}
    fields = [f for f in spelled if any(f in r for r in rows)]
    path = tmp_path / "全县全字段.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([spelled[f] for f in fields])
        writer.writerows([[row.get(f, "") for f in fields] for row in rows])

    batch = registry_import(path=path, actor=None, region=world.county)

    assert batch.status == ImportBatch.Status.IMPORTED, (batch.message, batch.errors)
    assert Person.objects.filter(household__household_no__startswith="36042410020198").count() == len(rows)
    assert HouseholdIncome.objects.get(household__household_no="3604241002019801").net_income == Decimal(
        "30000.00"
    )
    found = Counter(Finding.objects.filter(resolved_at__isnull=True).values_list("code", flat=True))
    assert (found["work_place_missing"], found["student_labourer"], found["elderly_labourer"]) == (2, 1, 1)
