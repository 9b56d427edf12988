"""The governance tests' world: decisions, rules, points and documents over the registry's small world
(dixian/registry/testing.py), each figure known exactly."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from ..models import Decision, DecisionStep, PointsAward, PointsRedemption, PointsRule
from ..services import decision_refresh

SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
DAY = dt.date(2026, 3, 2)


def pdf(name: str = "纪要.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SMALL_PDF, content_type="application/pdf")


def decision(
    region, title: str = "修建村组道路", *, steps: dict[str, dt.date] | None = None, **extra
) -> Decision:
    """A decision written directly (as the loader does), its steps and derived facts in place."""
    d = Decision.objects.create(
        region=region, region_code=region.code, title=title, category="project", **extra
    )
    for code, on in (steps or {}).items():
        DecisionStep.objects.create(decision=d, region_code=d.region_code, step=code, held_on=on)
    return decision_refresh(d)


def full_steps(start: dt.date = DAY, upto: int = 6) -> dict[str, dt.date]:
    codes = [
        "proposal",
        "discussion",
        "members_review",
        "representatives",
        "resolution_disclosure",
        "result_disclosure",
    ]
    return {c: start + dt.timedelta(days=3 * i) for i, c in enumerate(codes[:upto])}


def rule(region, item: str = "环境卫生评比优秀", points: int = 10) -> PointsRule:
    return PointsRule.objects.create(region=region, region_code=region.code, item=item, points=points)


def award(household, r: PointsRule, on: dt.date = DAY) -> PointsAward:
    return PointsAward.objects.create(
        household=household,
        region_code=household.region_code,
        rule=r,
        points=r.points,
        reason="评比",
        awarded_on=on,
    )


def redeem(household, points: int, on: dt.date = DAY) -> PointsRedemption:
    return PointsRedemption.objects.create(
        household=household, region_code=household.region_code, item="洗衣粉", points=points, redeemed_on=on
    )
