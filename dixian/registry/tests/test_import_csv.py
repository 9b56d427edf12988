"""registry_import of a csv file: UTF-8 (with BOM) or GBK, the same checks and outcome as a workbook."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from dixian.common.jobs import worker_run_once
from dixian.registry.imports import registry_import
from dixian.registry.models import Household, HouseholdIncome, ImportBatch, Person
from dixian.registry.template import BY_FIELD
from dixian.registry.tests.test_import_web import login
from dixian.registry.tests.workbooks import family, write_workbook

pytestmark = pytest.mark.django_db
NO = "3604241002010501"


def csv_bytes(rows: list[dict[str, Any]], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """`rows` under the template's headers, every cell as text (dates as 1980-01-01), like Excel's "save as csv"."""
    fields = [f for f in BY_FIELD if any(f in r for r in rows)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([BY_FIELD[f].header for f in fields])
    for row in rows:
        writer.writerow(
            [
                "" if row.get(f) is None else row[f].isoformat() if isinstance(row[f], dt.date) else row[f]
                for f in fields
            ]
        )
    return out.getvalue().encode(encoding)


def run_csv(tmp_path: Path, data: bytes, region, name: str = "农户.csv") -> ImportBatch:
    path = tmp_path / name
    path.write_bytes(data)
    return registry_import(path=path, actor=None, region=region)


class Rollback(Exception):
    pass


def stored() -> list[tuple[Any, ...]]:
    persons = Person.objects.filter(household__household_no=NO).order_by("id_number").values_list(
        "household__household_no", "id_number", "name", "sex", "birth_date", "relation", "student_status",
        "health_status", "labour_skill", "region_code",
    )  # fmt: skip
    households = Household.objects.filter(household_no=NO).values_list(
        "household_no", "kind", "phone", "member_count", "head_name"
    )
    incomes = HouseholdIncome.objects.filter(household__household_no=NO).values_list(
        "household__household_no", "year", "net_income"
    )
    return [*persons, *households, *incomes]


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", ","), ("gbk", ","), ("utf-8-sig", "\t")]
)
def test_csv_imports_the_same_records_as_the_workbook(tmp_path, world, encoding, delimiter):
    rows = family(NO, first_seq=501)
    with pytest.raises(Rollback), transaction.atomic():
        book = registry_import(
            path=write_workbook(tmp_path / "same.xlsx", rows), actor=None, region=world.county
        )
        assert book.status == ImportBatch.Status.IMPORTED, book.message
        from_book = stored()
        raise Rollback
    assert not Household.objects.filter(household_no=NO).exists()
    batch = run_csv(tmp_path, csv_bytes(rows, encoding=encoding, delimiter=delimiter), world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert (batch.households_created, batch.persons_created, batch.rows_total) == (1, 3, 3)
    assert stored() == from_book and len(from_book) == 5


def test_csv_rows_in_error_are_reported_on_their_line(tmp_path, world):
    rows = family(NO, first_seq=511)
    rows[1]["id_number"] = rows[1]["id_number"][:-1] + ("0" if rows[1]["id_number"][-1] != "0" else "1")
    rows[2]["id_number"] = "3.60424E+17"  # what Excel writes into a csv for an ID typed as a number
    batch = run_csv(tmp_path, csv_bytes(rows, encoding="gbk"), world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "证件号码"), (4, "证件号码")]
    assert "校验位" in batch.errors[0]["reason"] and "科学计数法" in batch.errors[1]["reason"]
    assert batch.report_file.endswith(".xlsx")
    assert not Person.objects.filter(household__household_no=NO).exists()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        # Big5 (traditional characters): GB18030 reads it as garbage headers; refused, never imported garbled.
        ("戶編號,姓名,證件號碼,與戶主關係\r\n".encode("big5"), "Big5"),
        (b"\xff\xfe\x00\xd8" + b"\x00" * 20, "UTF-16"),  # a BOM, then no valid UTF-16 text
        (b"\x00\x01\x02\x03" * 300, "空字节"),
        (b"\xef\xbb\xbf", "找不到农户信息表"),
    ],
)
def test_unreadable_csv_fails_with_a_chinese_message(tmp_path, world, data, fragment):
    batch = run_csv(tmp_path, data, world.county)
    assert batch.status == ImportBatch.Status.FAILED
    assert fragment in batch.message


def test_csv_beyond_the_column_limit_is_refused(tmp_path, world, settings):
    settings.DIXIAN_SHEET_MAX_COLUMNS = 30
    data = csv_bytes(family(NO, first_seq=521)) + ("x," * 40 + "\r\n").encode()
    batch = run_csv(tmp_path, data, world.county)
    assert batch.status == ImportBatch.Status.FAILED and "列的上限" in batch.message


def test_workbook_named_csv_is_read_as_a_workbook(tmp_path, world):
    path = write_workbook(tmp_path / "book.xlsx", family(NO, first_seq=531))
    batch = run_csv(tmp_path, path.read_bytes(), world.county, name="其实是工作簿.csv")
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message


def test_csv_upload_through_the_page(client, people, world):
    login(client, people["county_admin"])
    data = csv_bytes(family(NO, first_seq=541), encoding="gbk")
    response = client.post(
        reverse("registry:import"), {"file": SimpleUploadedFile("农户.csv", data, "text/csv")}
    )
    assert response.status_code == 302
    worker_run_once()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert batch.file_name == "农户.csv" and batch.stored_file.endswith(".csv")
    assert Person.objects.filter(household__household_no=NO).count() == 3
