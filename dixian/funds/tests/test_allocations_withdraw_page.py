"""撤回资金安排 on the allocation's page (docs/domain.md §22): the finance office takes money back from a
project that has not paid, so the county may then object to, reject or return it; a paid project keeps it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dixian.funds.models import Allocation, Arrangement, Payment
from dixian.funds.testing import funds_personas, planned_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrangement(world):
    allocation = Allocation.objects.create(
        year=2026,
        level="central",
        doc_no="赣财农指〔2026〕8号",
        doc_date=dt.date(2026, 2, 1),
        region=world.county,
        region_code=world.county.code,
        amount=Decimal("1000.00"),
    )
    project = planned_project(world.village, code="XS001", started_on=dt.date(2026, 3, 1))
    return Arrangement.objects.create(
        allocation=allocation,
        project=project,
        amount=Decimal("600.00"),
        arranged_on=dt.date(2026, 3, 2),
        region_code=world.county.code,
    )


def test_the_finance_office_withdraws_an_unpaid_arrangement_from_the_page(client, world, arrangement):
    client.force_login(funds_personas(world)["finance"])
    page = client.get(reverse("funds:allocation_detail", args=[arrangement.allocation_id]))
    assert reverse("funds:arrangement_withdraw", args=[arrangement.pk]) in page.content.decode()
    response = client.post(reverse("funds:arrangement_withdraw", args=[arrangement.pk]), follow=True)
    assert "已撤回安排到项目「XS001」的 600.00 元" in response.content.decode()
    assert not Arrangement.objects.exists()


def test_a_paid_project_keeps_its_arrangement_and_the_page_says_why(client, world, arrangement):
    Payment.objects.create(
        project=arrangement.project,
        paid_on=dt.date(2026, 4, 1),
        amount=Decimal("100.00"),
        use_category="construction",
        payee_category="contractor",
        region_code=arrangement.project.region_code,
    )
    client.force_login(funds_personas(world)["finance"])
    response = client.post(reverse("funds:arrangement_withdraw", args=[arrangement.pk]), follow=True)
    assert "已有支付记录" in response.content.decode()
    assert Arrangement.objects.filter(pk=arrangement.pk).exists()


def test_withdrawing_is_a_post_of_the_finance_office_of_the_unit(client, world, arrangement, people):
    url = reverse("funds:arrangement_withdraw", args=[arrangement.pk])
    client.force_login(funds_personas(world)["finance"])
    assert client.get(url).status_code == 405
    client.force_login(funds_personas(world)["other_finance"])
    assert client.post(url).status_code == 404
    client.force_login(people["county_admin"])
    assert client.post(url).status_code == 403
    assert Arrangement.objects.filter(pk=arrangement.pk).exists()
