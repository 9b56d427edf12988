"""Allocations and arrangements as the finance office records them (docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dixian.domain import funds as fd
from dixian.funds.allocations import allocation_create, allocation_update, arrangement_create
from dixian.funds.models import Allocation, Arrangement, FundsPolicy, Project
from dixian.funds.selectors_allocations import arrangement_totals, industry_share
from dixian.funds.testing import funds_personas

D = Decimal
pytestmark = pytest.mark.django_db


def project(region, code="P1", *, state=fd.IN_PLAN, kind=fd.INDUSTRY, year=2026) -> Project:
    return Project.objects.create(
        code=code,
        name=f"项目{code}",
        year=year,
        kind=kind,
        region=region,
        region_code=region.code,
        owner_unit="义宁镇人民政府",
        state=state,
        state_since=timezone.now(),
        budget_total=D("100000.00"),
    )


THOUSAND = D("1000.00")


def allocate(user, region, *, amount=THOUSAND, doc_no="修财农〔2026〕1号", level=fd.CENTRAL, year=2026):
    return allocation_create(
        actor=user,
        year=year,
        level=level,
        doc_no=doc_no,
        doc_date=dt.date(2026, 2, 1),
        region=region,
        amount=amount,
    )


@pytest.fixture
def finance(world):
    return funds_personas(world)


def test_the_finance_office_records_an_allocation_to_its_county(world, finance):
    a = allocate(finance["finance"], world.county)
    assert a.region_code == world.county.code and a.amount == D("1000.00")


def test_the_same_document_unit_and_level_is_refused_with_a_clear_message(world, finance):
    allocate(finance["finance"], world.county)
    with pytest.raises(ValidationError) as exc:
        allocate(finance["finance"], world.county)
    assert "只能登记一次" in str(exc.value)
    # Another level of the same document is another allocation.
    allocate(finance["finance"], world.county, level=fd.PROVINCE)
    assert Allocation.objects.count() == 2


def test_an_allocation_outside_the_account_is_refused(world, finance):
    with pytest.raises(ValidationError, match="管辖范围"):
        allocate(finance["finance"], world.other_county)


def test_a_sector_office_may_not_record_allocations(world, finance):
    with pytest.raises(PermissionDenied):
        allocate(finance["sector"], world.county)


def test_arranging_more_than_was_issued_is_refused_with_what_remains(world, finance):
    user = finance["finance"]
    a = allocate(user, world.county)
    arrangement_create(
        actor=user,
        allocation=a,
        project=project(world.village),
        amount=D("600.00"),
        arranged_on=dt.date(2026, 3, 1),
    )
    with pytest.raises(ValidationError) as exc:
        arrangement_create(
            actor=user,
            allocation=a,
            project=project(world.other_village, "P2"),
            amount=D("400.01"),
            arranged_on=dt.date(2026, 3, 1),
        )
    assert "最多还可安排 400.00 元" in str(exc.value)
    arrangement_create(
        actor=user,
        allocation=a,
        project=Project.objects.get(code="P2"),
        amount=D("400.00"),
        arranged_on=dt.date(2026, 3, 1),
    )
    assert Arrangement.objects.filter(allocation=a).count() == 2


def test_only_projects_of_the_plan_or_in_publicity_receive_money(world, finance):
    user = finance["finance"]
    a = allocate(user, world.county)
    proposed = project(world.village, "P9", state=fd.PROPOSED)
    with pytest.raises(ValidationError, match="只有已纳入年度实施计划或县级审定公示中的项目"):
        arrangement_create(
            actor=user, allocation=a, project=proposed, amount=D("1"), arranged_on=dt.date(2026, 3, 1)
        )
    public = project(world.village, "P8", state=fd.PUBLICITY)
    arrangement_create(
        actor=user, allocation=a, project=public, amount=D("1"), arranged_on=dt.date(2026, 3, 1)
    )


def test_a_project_outside_the_receiving_unit_is_refused(world, finance):
    user = finance["finance"]
    a = allocate(user, world.township)
    elsewhere = project(world.village, "P1")
    elsewhere.region_code = "360424200201"  # another township of the county
    elsewhere.save()
    with pytest.raises(ValidationError, match="接收单位范围内"):
        arrangement_create(
            actor=user, allocation=a, project=elsewhere, amount=D("1"), arranged_on=dt.date(2026, 3, 1)
        )


def test_an_allocation_cannot_shrink_below_what_was_arranged(world, finance):
    user = finance["finance"]
    a = allocate(user, world.county)
    arrangement_create(
        actor=user,
        allocation=a,
        project=project(world.village),
        amount=D("600.00"),
        arranged_on=dt.date(2026, 3, 1),
    )
    kw = dict(year=2026, level=fd.CENTRAL, doc_no=a.doc_no, doc_date=a.doc_date, region=world.county)
    with pytest.raises(ValidationError, match="不能少于已安排金额"):
        allocation_update(actor=user, allocation=a, amount=D("599.99"), **kw)
    updated = allocation_update(actor=user, allocation=a, amount=D("600.00"), **kw)
    assert updated.amount == D("600.00")


def test_totals_by_level_and_the_industry_share_are_computed_from_the_rows(world, finance):
    user = finance["finance"]
    central = allocate(user, world.county, amount=D("1000.00"))
    allocate(user, world.county, amount=D("500.00"), level=fd.PROVINCE)
    allocate(finance["other_finance"], world.other_county, amount=D("9999.00"))
    arrangement_create(
        actor=user,
        allocation=central,
        project=project(world.village),
        amount=D("300.00"),
        arranged_on=dt.date(2026, 3, 1),
    )
    roads = project(world.village, "P2", kind=fd.INFRASTRUCTURE)
    arrangement_create(
        actor=user, allocation=central, project=roads, amount=D("700.00"), arranged_on=dt.date(2026, 3, 1)
    )
    totals = arrangement_totals(world.county.prefix, 2026)
    assert totals[fd.CENTRAL].issued == D("1000.00") and totals[fd.CENTRAL].arranged == D("1000.00")
    assert totals[fd.PROVINCE].rate == D("0")
    assert totals["total"].issued == D("1500.00") and totals["total"].rate == D("0.6667")
    share = industry_share(world.county.prefix, 2026)
    assert share.share == D("0.3000") and share.under
    FundsPolicy.objects.create(year=2026, industry_share_min=D("0.25"))
    assert not industry_share(world.county.prefix, 2026).under
    assert arrangement_totals(world.city.prefix, 2026)["total"].issued == D("11499.00")
