"""The income columns of a registry workbook: whichever the book carries (docs/domain.md §2), household by
household; 收入年度 defaults to the previous year; a book without any says so."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dixian.common.testing import PASSWORD
from dixian.registry import services
from dixian.registry.import_income import parse_signed_amount
from dixian.registry.imports import registry_import
from dixian.registry.models import Finding, HouseholdIncome, ImportBatch
from dixian.registry.parsing import parse_amount
from dixian.registry.tests.workbooks import family, write_workbook
from dixian.screening.loading import registry_load

pytestmark = pytest.mark.django_db
INCOME = ("year", "wages", "business", "property", "transfers", "production_costs")


def household(no: str, first_seq: int, **income) -> list[dict]:
    """A three-person household whose head's row carries exactly `income` (field → cell)."""
    rows = family(no, first_seq=first_seq)
    for row in rows:
        for name in INCOME:
            row.pop(name, None)
    rows[0].update(income)
    return rows


def run(tmp_path: Path, rows, region, name="book.xlsx") -> ImportBatch:
    batch = registry_import(path=write_workbook(tmp_path / name, rows), actor=None, region=region)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    return batch


def income_of(no: str) -> HouseholdIncome:
    return HouseholdIncome.objects.get(household__household_no=no)


A, B, C, D = "3604241002010201", "3604241002010202", "3604241002010203", "3604241002010204"


def test_components_only_compute_the_net_income(tmp_path, world):
    run(
        tmp_path,
        household(A, 101, year=2025, wages=20000, transfers=1000, production_costs=600),
        world.county,
    )
    i = income_of(A)
    assert (i.declared, i.net_income, i.net_income_per_capita) == (
        "",
        Decimal("20400.00"),
        Decimal("6800.00"),
    )


def test_net_income_only_is_stored_as_declared_and_divided_by_the_members(tmp_path, world):
    batch = run(tmp_path, household(A, 101, year=2025, declared_net=15000), world.county)
    i = income_of(A)
    assert (i.declared, i.net_income, i.members, i.net_income_per_capita) == (
        "net",
        Decimal("15000.00"),
        3,
        Decimal("5000.00"),
    )
    assert (i.wages, i.transfers) == (Decimal("0"), Decimal("0"))
    assert "只有家庭年纯收入或人均纯收入" in batch.message
    i.recompute()  # a later recompute (members changed ...) keeps the declared figure
    assert i.net_income == Decimal("15000.00")


def test_per_capita_only_gives_the_net_income_times_the_members(tmp_path, world):
    run(tmp_path, household(A, 101, year=2025, declared_per_capita="4100.50"), world.county)
    i = income_of(A)
    assert (i.declared, i.net_income, i.net_income_per_capita) == (
        "per_capita",
        Decimal("12301.50"),
        Decimal("4100.50"),
    )


def test_sub_items_add_up_to_their_component(tmp_path, world):
    rows = household(A, 101, year=2025, sub_public_job=6000, sub_work=12000, sub_dibao=2400, sub_pension=1200)
    batch = run(tmp_path, rows, world.county)
    i = income_of(A)
    assert (i.wages, i.transfers, i.net_income) == (Decimal("18000"), Decimal("3600"), Decimal("21600.00"))
    assert batch.finding_count == 0 and "由其明细" in batch.message


def test_a_component_and_its_sub_items_that_disagree_keep_the_component_and_open_a_finding(tmp_path, world):
    batch = run(tmp_path, household(A, 101, year=2025, wages=15000, sub_public_job=6000), world.county)
    assert income_of(A).wages == Decimal("15000")
    finding = Finding.objects.get(batch=batch)
    assert (finding.code, finding.field, finding.year, finding.person) == (
        "income_subitems_mismatch",
        "wages",
        2025,
        None,
    )
    assert "15000.00" in finding.message and "6000.00" in finding.message


def test_components_and_a_declared_net_that_disagree_keep_the_components_and_open_a_finding(tmp_path, world):
    rows = household(A, 101, year=2025, wages=20000, declared_net=30000)
    batch = run(tmp_path, rows, world.county)
    assert (income_of(A).declared, income_of(A).net_income) == ("", Decimal("20000.00"))
    assert Finding.objects.get(batch=batch).code == "income_net_mismatch"
    assert batch.findings["sample"][0]["column"] == "家庭年纯收入"
    rounding = household(B, 111, year=2025, wages="20000.40", declared_net=20000)
    assert run(tmp_path, rounding, world.county, name="rounded.xlsx").finding_count == 0


def test_a_per_capita_figure_that_disagrees_with_the_net_is_a_finding(tmp_path, world):
    batch = run(
        tmp_path, household(A, 101, year=2025, declared_net=9000, declared_per_capita=5000), world.county
    )
    assert (income_of(A).declared, income_of(A).net_income_per_capita) == ("net", Decimal("3000.00"))
    assert Finding.objects.get(batch=batch).code == "income_per_capita_mismatch"


def test_a_negative_net_income_is_accepted(tmp_path, world):
    run(tmp_path, household(A, 101, year=2025, declared_net="-1200"), world.county)
    assert income_of(A).net_income == Decimal("-1200.00")


def test_households_of_one_book_may_carry_different_income_columns(tmp_path, world):
    rows = [
        *household(A, 101, year=2025, wages=9000),
        *household(B, 111, year=2025, declared_net=6000),
        *household(C, 121, year=2025, sub_dibao=3000),
        *household(D, 131),  # no income at all: no income row
    ]
    run(tmp_path, rows, world.county)
    assert (income_of(A).declared, income_of(A).net_income) == ("", Decimal("9000.00"))
    assert (income_of(B).declared, income_of(B).net_income) == ("net", Decimal("6000.00"))
    assert (income_of(C).declared, income_of(C).transfers) == ("", Decimal("3000"))
    assert not HouseholdIncome.objects.filter(household__household_no=D).exists()


def test_a_book_without_income_columns_says_so(tmp_path, world):
    batch = run(tmp_path, household(A, 101), world.county)
    assert batch.warnings and batch.warnings[0].startswith("收入信息未导入")
    assert "收入信息未导入" in batch.message
    assert not HouseholdIncome.objects.filter(household__household_no=A).exists()


def test_without_a_year_the_income_is_of_the_previous_year(tmp_path, world):
    batch = run(tmp_path, household(A, 101, declared_net=15000), world.county)
    last = timezone.localdate().year - 1
    assert income_of(A).year == last
    assert any(f"上一年度({last}年)" in w for w in batch.warnings)


def test_a_declared_net_then_components_is_computed_again(tmp_path, world):
    run(tmp_path, household(A, 101, year=2025, declared_net=15000), world.county)
    run(tmp_path, household(A, 101, year=2025, wages=9000), world.county, name="components.xlsx")
    assert (income_of(A).declared, income_of(A).net_income) == ("", Decimal("9000.00"))


def test_the_income_form_resolves_the_imported_income_findings_of_its_year(tmp_path, world, people):
    run(tmp_path, household(A, 101, year=2025, wages=20000, declared_net=30000), world.county)
    finding = Finding.objects.get(code="income_net_mismatch")
    h = income_of(A).household
    services.income_upsert(actor=people["county_admin"], household=h, year=2025, wages=Decimal(30000))
    finding.refresh_from_db()
    assert finding.resolved_at is not None
    assert (income_of(A).declared, income_of(A).net_income) == ("", Decimal("30000.00"))


def test_a_national_book_with_only_the_net_income_reaches_screening(tmp_path, world):
    """家庭年纯收入 alone (national export headers, no 收入年度): the screening's registry frame carries the
    household's per-capita income, which R12 compares with the line and R14 with the rigid costs."""
    rows = household(A, 101, declared_net=7500)
    headers = {"household_no": "户编号", "id_number": "公民身份号码", "declared_net": "家庭年纯收入(元)"}
    path = write_workbook(tmp_path / "national.xlsx", rows, headers=headers)
    batch = registry_import(path=path, actor=None, region=world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    year = timezone.localdate().year - 1
    incomes = registry_load(f"{year}-12")["incomes"].to_pylist()
    pk = income_of(A).household_id
    mine = [r for r in incomes if r["household_pk"] == pk]
    assert [(r["year"], r["net_income"], r["net_income_per_capita"]) for r in mine] == [
        (year, Decimal("7500.00"), Decimal("2500.00"))
    ]


@given(amount=st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_a_signed_net_income_reads_like_any_amount_with_its_sign(amount: Decimal) -> None:
    assert parse_signed_amount(str(amount)) == parse_amount(str(amount))
    assert parse_signed_amount(f"-{amount}") == -parse_amount(str(amount))
    assert parse_signed_amount(-float(amount)) == -parse_amount(float(amount))
    assert parse_signed_amount(f"\uff0d{amount}") == -parse_amount(str(amount))  # a full-width minus
    assert parse_signed_amount(None) is None and parse_signed_amount("") is None


def test_saving_the_income_form_with_no_components_keeps_a_declared_net(tmp_path, client, world, people):
    run(tmp_path, household(A, 101, year=2025, declared_net=15000), world.county)
    h = income_of(A).household
    officer = people["county_admin"]
    client.login(username=officer.username, password=PASSWORD)
    url = reverse("registry:income_edit", args=[h.pk])
    assert "导入时申报家庭年纯收入" in client.get(url, {"year": 2025}).content.decode()
    services.income_upsert(actor=officer, household=h, year=2025, members=5)
    assert (income_of(A).declared, income_of(A).net_income, income_of(A).net_income_per_capita) == (
        "net",
        Decimal("15000.00"),
        Decimal("3000.00"),
    )
