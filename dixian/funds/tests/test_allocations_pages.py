"""The allocation pages: scoped (another county's finance office gets 404), filtered, paginated with a
totals row, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.domain import funds as fd
from dixian.funds.models import Allocation, Arrangement, FundsImportBatch
from dixian.funds.testing import funds_personas, funds_workbook
from dixian.funds.tests.test_allocations_import import PAY_HEAD, messy_book
from dixian.funds.tests.test_allocations_services import project

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def offices(world):
    return funds_personas(world)


def allocations(region, n: int, *, start: int = 0) -> list[Allocation]:
    return [
        Allocation.objects.create(
            year=2026,
            level=fd.CENTRAL if i % 2 else fd.PROVINCE,
            doc_no=f"文{start + i}",
            doc_date=dt.date(2026, 2, 1),
            region=region,
            region_code=region.code,
            amount=D("100.50"),
            direct=bool(i % 3),
        )
        for i in range(n)
    ]


def test_the_list_shows_the_countys_allocations_with_the_totals(client, world, offices):
    mine = allocations(world.county, 3)
    allocations(world.other_county, 2, start=100)
    Arrangement.objects.create(
        allocation=mine[0],
        project=project(world.village),
        amount=D("50.25"),
        arranged_on=dt.date(2026, 3, 1),
        region_code=world.county.code,
    )
    client.force_login(offices["finance"])
    page = client.get(reverse("funds:allocation_list")).content.decode()
    assert "文0" in page and "文100" not in page
    assert "301.50" in page and "50.25" in page and "资金安排率 17%" in page
    filtered = client.get(
        reverse("funds:allocation_list"), {"level": fd.CENTRAL, "year": "2026"}
    ).content.decode()
    assert "文1" in filtered and "文0<" not in filtered


def test_the_lists_queries_do_not_grow_with_its_rows(client, world, offices, django_assert_max_num_queries):
    client.force_login(offices["finance"])
    allocations(world.county, 3)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("funds:allocation_list"), {"region": world.township.pk})
    allocations(world.county, 120, start=10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("funds:allocation_list"), {"page": "2"})
    assert response.status_code == 200 and "第 51–100 笔" in response.content.decode()


def test_another_countys_finance_office_gets_404(client, world, offices):
    [allocation] = allocations(world.county, 1)
    client.force_login(offices["other_finance"])
    assert client.get(reverse("funds:allocation_detail", args=[allocation.pk])).status_code == 404
    assert client.get(reverse("funds:arrangement_new", args=[allocation.pk])).status_code == 404
    client.force_login(offices["finance"])
    assert client.get(reverse("funds:allocation_detail", args=[allocation.pk])).status_code == 200


def test_the_finance_office_records_an_allocation_and_arranges_it(client, world, offices):
    client.force_login(offices["finance"])
    response = client.post(
        reverse("funds:allocation_new"),
        {
            "year": "2026",
            "level": fd.COUNTY,
            "doc_no": "修财〔2026〕3号",
            "doc_date": "2026-02-01",
            "region": world.county.pk,
            "amount": "１,２３４.５０",
        },
    )
    allocation = Allocation.objects.get()
    assert response.status_code == 302 and allocation.amount == D("1234.50")
    p = project(world.village)
    url = reverse("funds:arrangement_new", args=[allocation.pk])
    refused = client.post(url, {"project_code": p.code, "amount": "1234.51", "arranged_on": "2026-03-01"})
    assert "最多还可安排 1,234.50 元" in refused.content.decode()
    assert (
        "两位小数"
        in client.post(
            url, {"project_code": p.code, "amount": "1.001", "arranged_on": "2026-03-01"}
        ).content.decode()
    )
    assert (
        client.post(
            url, {"project_code": p.code, "amount": "1234.50", "arranged_on": "2026-03-01"}
        ).status_code
        == 302
    )
    assert Arrangement.objects.get().amount == D("1234.50")


def test_the_arrangement_form_offers_today_in_the_date_pickers_format(client, world, offices):
    """A date picker (input type=date) shows only an ISO date: the default in the locale's 2026/12/07 would
    be dropped and the required field left blank, so that the form could not be sent as drawn."""
    client.force_login(offices["finance"])
    allocation = allocations(world.county, 1)[0]
    page = client.get(reverse("funds:arrangement_new", args=[allocation.pk])).content.decode()
    today = timezone.localdate()
    assert f'type="date" name="arranged_on" value="{today:%Y-%m-%d}"' in page


def test_a_sector_office_reads_but_does_not_record(client, world, offices):
    client.force_login(offices["sector"])
    assert client.get(reverse("funds:allocation_list")).status_code == 200
    assert client.get(reverse("funds:allocation_new")).status_code == 403
    assert client.get(reverse("funds:import")).status_code == 403


def test_the_upload_page_imports_and_offers_the_report_only_in_scope(client, world, offices, tmp_path):
    client.force_login(offices["finance"])
    template = client.get(reverse("funds:import_template"))
    assert template.status_code == 200 and template["Content-Disposition"].startswith("attachment")
    with messy_book(tmp_path).open("rb") as fh:
        page = client.post(reverse("funds:import"), {"file": fh}).content.decode()
    assert "已导入" in page
    bad = funds_workbook(
        tmp_path / "bad.xlsx",
        {"资金支付": [PAY_HEAD, ["NOPE", dt.date(2026, 4, 1), 1, "建筑安装工程", "", ""]]},
    )
    with bad.open("rb") as fh:
        page = client.post(reverse("funds:import"), {"file": fh}).content.decode()
    batch = FundsImportBatch.objects.get(status="rejected")
    assert "找不到项目编号「NOPE」" in page
    assert client.get(reverse("funds:import_report", args=[batch.pk])).status_code == 200
    client.force_login(offices["other_finance"])
    assert client.get(reverse("funds:import_report", args=[batch.pk])).status_code == 404
