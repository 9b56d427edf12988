"""The published list of an income's distribution (公示, docs/domain.md §22): household head, village,
recipient, month and amount — never an ID number, a phone or a household number, on the page, the print
page or in the .xlsx; and only the households the account may see."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.funds.testing import funds_personas

from .helpers_assets import funds_records_of

pytestmark = pytest.mark.django_db


def private_of(household) -> list[str]:
    values = [household.household_no, household.phone]
    for m in household.members.all():
        values += [m.id_number, m.phone]
    return [v for v in values if v]


@pytest.fixture
def published(world):
    records = funds_records_of(world.home)
    return records["income"]


def test_the_published_list_shows_head_village_and_amount_and_nothing_private(
    client, world, people, published
):
    client.force_login(people["county_admin"])  # sees personal data elsewhere: the list still does not
    for name in ("funds:distribution_list", "funds:distribution_print"):
        page = client.get(reverse(name, args=[published])).content.decode()
        assert "张三" in page and "良塘村" in page and "300" in page
        for secret in private_of(world.home):
            assert secret not in page, (name, secret)
    response = client.get(reverse("funds:distribution_xlsx", args=[published]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = response.content
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["序号", "户主姓名", "所在村", "领取人", "发放月份", "分配金额(元)"]
    assert sheet[1][1:] == ["张三", "良塘村", "张三", "2026-05", 300.0]
    cells = "\n".join(str(c) for row in sheet for c in row)
    # The cells and the raw bytes of the file (shared strings are stored uncompressed in no part, so check
    # the decompressed parts too).
    import zipfile

    parts = b"".join(
        zipfile.ZipFile(io.BytesIO(content)).read(n) for n in zipfile.ZipFile(io.BytesIO(content)).namelist()
    )
    for secret in private_of(world.home):
        assert secret not in cells and secret.encode() not in parts and secret.encode() not in content


def test_the_published_list_of_another_county_answers_404(client, world, published):
    client.force_login(funds_personas(world)["other_finance"])
    for name in ("funds:distribution_list", "funds:distribution_print", "funds:distribution_xlsx"):
        assert client.get(reverse(name, args=[published])).status_code == 404


def test_a_village_sees_only_its_own_households_shares(client, world, people):
    records = funds_records_of(world.home)
    from dixian.funds.models import AssetIncome, Distribution

    income = AssetIncome.objects.get(pk=records["income"])
    Distribution.objects.create(
        income=income,
        household=world.neighbour,
        recipient_name="李四",
        period="2026-05",
        amount=Decimal("200"),
        region_code=world.neighbour.region_code,
    )
    client.force_login(people["village_officer"])
    page = client.get(reverse("funds:distribution_list", args=[income.pk])).content.decode()
    assert "张三" in page and "李四" not in page
