"""Two saves at once of the same record (review finding 4 of issue 16): both pass the pre-check, the unique
constraint refuses the second, and the user reads the pre-check's message, never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from dixian.funds import assets as asset_services
from dixian.funds import links as link_services
from dixian.funds.testing import funds_personas

from .helpers_assets import accepted_project, credit_code
from .test_assets_lifecycle import register

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def blind_check(monkeypatch):
    """The other save's row is not yet visible when the pre-check runs: the check finds nothing."""

    def arm() -> None:
        monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    return arm


def test_a_second_income_of_the_same_year_at_once_reads_the_duplicate_message(world, people, blind_check):
    sector = funds_personas(world)["sector"]
    asset = register(sector, accepted_project(world.village, "P1"))
    asset_services.income_record(actor=sector, asset=asset, year=2026, amount=D("3000"))
    blind_check()
    with pytest.raises(ValidationError, match="不能重复登记"):
        asset_services.income_record(actor=sector, asset=asset, year=2026, amount=D("1"))


def test_a_second_entity_with_the_same_credit_code_at_once_reads_the_duplicate_message(
    world, people, blind_check
):
    sector = funds_personas(world)["sector"]
    args = {"actor": sector, "kind": "cooperative", "credit_code": credit_code(1), "region": world.village}
    link_services.entity_create(name="良塘茶叶合作社", **args)
    blind_check()
    with pytest.raises(ValidationError, match="无需重复登记"):
        link_services.entity_create(name="重复", **args)
