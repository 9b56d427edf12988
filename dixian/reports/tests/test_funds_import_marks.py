"""The finance office's workbook goes in by bulk writes, which send no model signal: the import's batch marks
the importing unit for every month of this year and the last, so the dashboard recounts the funds figures on
its next refresh instead of the night's (docs/domain.md §21)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dixian.funds.imports import funds_import
from dixian.funds.models import FundsImportBatch
from dixian.funds.testing import funds_personas, funds_workbook
from dixian.reports.models import Fact, StaleVillage
from dixian.reports.services import facts_refresh_stale

pytestmark = pytest.mark.django_db

HEAD = ["资金年度", "资金级次", "指标文号", "下达日期", "接收单位", "金额(元)"]


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def test_an_imported_book_marks_its_unit_and_the_next_refresh_counts_it(today, tmp_path, world):
    finance = funds_personas(world)["finance"]
    book = funds_workbook(
        tmp_path / "下达.xlsx",
        {
            "资金下达": [
                HEAD,
                [2026, "中央", "赣财农指〔2026〕8号", dt.date(2026, 2, 15), "修水县", "123456.78"],
            ]
        },
    )
    StaleVillage.objects.all().delete()
    batch = funds_import(path=book, actor=finance, scope=world.county)
    assert batch.status == FundsImportBatch.Status.IMPORTED, batch.errors
    marked = set(StaleVillage.objects.values_list("region_code", "period"))
    assert (world.county.code, "2026-02") in marked
    assert (world.county.code, "2025-01") in marked
    assert not any(period > "2026-04" for _, period in marked)  # no month ahead of today
    facts_refresh_stale()
    issued = Fact.objects.get(period="2026-04", code="funds.issued", region_code=world.county.code, dim="")
    assert issued.value == Decimal("123456.78")


def test_a_refused_book_marks_nothing(today, tmp_path, world):
    finance = funds_personas(world)["finance"]
    book = funds_workbook(
        tmp_path / "下达.xlsx",
        {"资金下达": [HEAD, [2026, "中央", "赣财农指〔2026〕8号", dt.date(2026, 2, 15), "修水县", "12.345"]]},
    )
    StaleVillage.objects.all().delete()
    batch = funds_import(path=book, actor=finance, scope=world.county)
    assert batch.status == FundsImportBatch.Status.REJECTED
    assert not StaleVillage.objects.exists()
