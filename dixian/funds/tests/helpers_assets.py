"""Records the asset and 联农带农 tests (and the leak and capability walks) start from: an accepted project with
its payments, written straight to the tables (the project bank's workflow is tested elsewhere)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from stdnum.cn import uscc

from dixian.domain import funds as fd
from dixian.funds.models import (
    Asset,
    AssetIncome,
    BenefitLink,
    BusinessEntity,
    Distribution,
    IndustryBase,
    Payment,
    Project,
)
from dixian.regions.models import Region
from dixian.registry.models import Household

# Valid 统一社会信用代码 (check digit right), for entities of the tests.
CREDIT_CODES = ("91110000600037341L", "913200001347667112", "91440300708461136T", "91360400MA35G1YX8U")


def credit_code(seq: int, region6: str = "360424") -> str:
    """A valid 统一社会信用代码 of a 农民专业合作社 (9 + 3... as stdnum computes its check character)."""
    body = f"93{region6}MA{seq:07d}"
    return body + uscc.calc_check_digit(body)


def accepted_project(
    region: Region,
    code: str,
    *,
    paid: Decimal = Decimal("100000.00"),
    year: int = 2026,
    accepted: bool = True,
) -> Project:
    """A project of the year's plan, started, completed and (by default) accepted, that paid `paid`."""
    project = Project.objects.create(
        code=code,
        name=f"{region.name}产业项目{code}",
        year=year,
        kind=fd.INDUSTRY,
        region=region,
        region_code=region.code,
        owner_unit="县农业农村局",
        state=fd.IN_PLAN,
        state_since=timezone.now(),
        budget_total=paid + Decimal("1000.00"),
        started_on=dt.date(year, 3, 1),
        completed_on=dt.date(year, 6, 1),
        accepted_on=dt.date(year, 7, 1) if accepted else None,
    )
    if paid:
        Payment.objects.create(
            project=project,
            paid_on=dt.date(year, 4, 1),
            amount=paid,
            use_category="construction",
            payee_category="contractor",
            region_code=region.code,
        )
    return project


def funds_records_of(h: Household, tag: str = "") -> dict[str, int]:
    """For the walks: an operating asset of a project in the household's village with an income shared with the
    household, a 到户类 asset of the household, an entity and a base of its village linking it."""
    code = f"P-{h.pk}{tag}"
    found = Project.objects.filter(code=code).first()
    if found is None:
        project = accepted_project(h.region, code)
        asset = Asset.objects.create(
            project=project,
            name=f"{h.region.name}光伏电站",
            asset_class=fd.OPERATING,
            value=Decimal("50000"),
            owner_unit="村集体经济组织",
            region_code=project.region_code,
        )
        Asset.objects.create(
            project=project,
            name="到户能繁母牛",
            asset_class=fd.HOUSEHOLD,
            value=Decimal("8000"),
            owner_unit=h.head_name,
            household=h,
            region_code=h.region_code,
        )
        income = AssetIncome.objects.create(
            asset=asset, year=2026, amount=Decimal("3000"), region_code=asset.region_code
        )
        head = h.members.order_by("pk").first()
        Distribution.objects.create(
            income=income,
            household=h,
            person=head,
            recipient_name=head.name if head else h.head_name,
            period="2026-05",
            amount=Decimal("300"),
            region_code=h.region_code,
        )
        entity = BusinessEntity.objects.create(
            name=f"{h.region.name}合作社{tag}",
            kind="cooperative",
            credit_code=credit_code(BusinessEntity.objects.count()),
            region=h.region,
            region_code=h.region_code,
        )
        base = IndustryBase.objects.create(
            name=f"{h.region.name}茶叶基地{tag}", region=h.region, region_code=h.region_code
        )
        BenefitLink.objects.create(
            household=h,
            entity=entity,
            year=2026,
            form="employment",
            benefit=Decimal("1200"),
            region_code=h.region_code,
        )
        BenefitLink.objects.create(
            household=h,
            base=base,
            year=2026,
            form="land_transfer",
            benefit=Decimal("600"),
            region_code=h.region_code,
        )
        BenefitLink.objects.create(
            household=h,
            project=project,
            year=2026,
            form="dividend",
            benefit=Decimal("300"),
            region_code=h.region_code,
        )
    project = Project.objects.get(code=code)
    asset = Asset.objects.get(project=project, asset_class=fd.OPERATING)
    return {
        "project": project.pk,
        "asset": asset.pk,
        "income": AssetIncome.objects.get(asset=asset).pk,
        "entity": BusinessEntity.objects.get(
            region_code=h.region_code, name=f"{h.region.name}合作社{tag}"
        ).pk,
        "base": IndustryBase.objects.get(region_code=h.region_code, name=f"{h.region.name}茶叶基地{tag}").pk,
    }
