"""An asset's life (docs/domain.md §22): registered from an accepted project and never beyond what it paid,
its maintenance ledger, an operating asset's income shared among households exactly to the fen, and disposal
proposed by the sector office and decided by the county, with the history kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dixian.accounts.models import Role
from dixian.common.testing import persona
from dixian.domain import funds as fd
from dixian.funds import assets as services
from dixian.funds.models import Asset, AssetEvent, Distribution
from dixian.funds.testing import funds_personas

from .helpers_assets import accepted_project

pytestmark = pytest.mark.django_db
D = Decimal
ASSET_LIST_QUERIES = 7


@pytest.fixture
def office(world, people):
    return funds_personas(world)


def register(actor, project, **kw):
    args: dict[str, Any] = {
        "name": "光伏电站",
        "asset_class": fd.OPERATING,
        "value": D("60000.00"),
        "owner_unit": "良塘村股份经济合作社",
        "manager": "良塘村委会",
        "operator": "县光伏公司",
        "handed_over_on": dt.date(2026, 7, 15),
    }
    args.update(kw)
    return services.asset_register(actor=actor, project=project, **args)


def messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_an_accepted_project_registers_an_asset_with_its_history(world, office):
    project = accepted_project(world.village, "P1")
    asset = register(office["sector"], project)
    assert asset.region_code == world.village.code
    assert asset.state == Asset.State.ACTIVE
    [event] = AssetEvent.objects.filter(asset=asset)
    assert event.action == AssetEvent.Action.REGISTERED and event.actor == office["sector"]


def test_a_project_not_yet_accepted_registers_no_asset(world, office):
    project = accepted_project(world.village, "P1", accepted=False)
    with pytest.raises(ValidationError) as exc:
        register(office["sector"], project)
    assert "尚未验收" in messages_of(exc.value)
    assert not Asset.objects.exists()


def test_the_assets_of_a_project_never_exceed_what_it_paid(world, office):
    project = accepted_project(world.village, "P1", paid=D("100000.00"))
    register(office["sector"], project, value=D("60000.00"))
    with pytest.raises(ValidationError) as exc:
        register(office["sector"], project, name="冷库", value=D("40000.01"))
    text = messages_of(exc.value)
    assert "100,000.00" in text and "最多还可登记 40,000.00" in text
    register(office["sector"], project, name="冷库", value=D("40000.00"))  # exactly what is left


def test_a_household_asset_names_a_household_of_the_registry_and_only_it_does(world, office):
    project = accepted_project(world.village, "P1")
    with pytest.raises(ValidationError) as exc:
        register(office["sector"], project, asset_class=fd.HOUSEHOLD)
    assert "户编号" in messages_of(exc.value)
    with pytest.raises(ValidationError):
        register(
            office["sector"], project, household_no=world.home.household_no
        )  # operating with a household
    with pytest.raises(ValidationError) as exc:
        register(office["sector"], project, asset_class=fd.HOUSEHOLD, household_no=world.far.household_no)
    assert "不存在" in messages_of(
        exc.value
    )  # another county's household is not in the registry of the scope
    asset = register(
        office["sector"], project, asset_class=fd.HOUSEHOLD, household_no=world.home.household_no
    )
    assert asset.household == world.home


def test_an_account_of_another_county_cannot_register_on_this_countys_project(world, office):
    other = persona("other_sector", world.other_county, Role.SECTOR_OFFICER)
    with pytest.raises(ValidationError):
        register(other, accepted_project(world.village, "P1"))
    with pytest.raises(PermissionDenied):
        register(office["finance"], accepted_project(world.village, "P2"))


def test_only_an_operating_asset_has_income_and_one_per_year(world, office):
    project = accepted_project(world.village, "P1")
    public = register(office["sector"], project, asset_class=fd.PUBLIC, name="村道", value=D("1000"))
    with pytest.raises(ValidationError) as exc:
        services.income_record(actor=office["sector"], asset=public, year=2026, amount=D("10"))
    assert "经营性" in messages_of(exc.value)
    operating = register(office["sector"], project, value=D("5000"))
    services.income_record(actor=office["sector"], asset=operating, year=2026, amount=D("3000"))
    with pytest.raises(ValidationError) as exc:
        services.income_record(actor=office["sector"], asset=operating, year=2026, amount=D("1"))
    assert "已登记" in messages_of(exc.value)


def test_the_maintenance_ledger_keeps_entries(world, office):
    asset = register(office["sector"], accepted_project(world.village, "P1"))
    services.maintenance_record(
        actor=office["sector"], asset=asset, done_on=dt.date(2026, 8, 1), kind="清洗光伏板", cost=D("350.50")
    )
    with pytest.raises(ValidationError):
        services.maintenance_record(
            actor=office["sector"], asset=asset, done_on=dt.date(2026, 8, 1), kind="x", cost=D("1.234")
        )
    assert [m.kind for m in asset.maintenance.all()] == ["清洗光伏板"]


def test_shares_go_to_the_head_or_a_named_member_and_never_beyond_the_income(world, office):
    asset = register(office["sector"], accepted_project(world.village, "P1"))
    income = services.income_record(actor=office["sector"], asset=asset, year=2026, amount=D("1000.00"))
    first = services.distribution_record(
        actor=office["sector"],
        income=income,
        household_no=world.home.household_no,
        period="2026-05",
        amount=D("333.33"),
    )
    assert first.recipient_name == "张三" and first.person.relation == "head"
    second = services.distribution_record(
        actor=office["sector"],
        income=income,
        household_no=world.neighbour.household_no,
        period="2026-05",
        amount=D("666.67"),
        recipient_name="李四妻",
    )
    assert second.region_code == world.other_village.code
    with pytest.raises(ValidationError) as exc:
        services.distribution_record(
            actor=office["sector"],
            income=income,
            household_no=world.home.household_no,
            period="2026-06",
            amount=D("0.01"),
        )
    assert "最多还可分配 0.00" in messages_of(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.distribution_record(
            actor=office["sector"],
            income=income,
            household_no=world.home.household_no,
            period="2026-06",
            amount=D("1"),
            recipient_name="王二",
        )
    assert "没有名为“王二”的成员" in messages_of(exc.value)
    with pytest.raises(ValidationError):
        services.distribution_record(
            actor=office["sector"],
            income=income,
            household_no=world.home.household_no,
            period="2026-13",
            amount=D("1"),
        )
    assert sum(d.amount for d in Distribution.objects.all()) == D("1000.00")


def test_disposal_is_proposed_then_approved_or_refused_by_the_county_with_history(world, people, office):
    sector, county = office["sector"], people["county_admin"]
    asset = register(sector, accepted_project(world.village, "P1"))
    services.disposal_propose(actor=sector, asset=asset, kind="scrap", reason="设备老化无法使用")
    with pytest.raises(PermissionDenied):
        services.disposal_decide(actor=sector, asset=asset, approve=True)
    with pytest.raises(ValidationError):
        services.disposal_decide(actor=county, asset=asset, approve=False)  # a refusal needs its reason
    refused = services.disposal_decide(actor=county, asset=asset, approve=False, note="尚可维修使用")
    assert refused.state == Asset.State.ACTIVE
    services.disposal_propose(actor=sector, asset=asset, kind="scrap", reason="维修后仍无法使用")
    done = services.disposal_decide(actor=county, asset=asset, approve=True, disposed_on=dt.date(2026, 11, 1))
    assert done.state == Asset.State.DISPOSED and done.disposal_approved_by == county
    assert list(
        AssetEvent.objects.filter(asset=asset).order_by("at", "pk").values_list("action", flat=True)
    ) == [
        "registered",
        "disposal_proposed",
        "disposal_refused",
        "disposal_proposed",
        "disposal_approved",
    ]
    with pytest.raises(ValidationError) as exc:
        services.income_record(actor=sector, asset=done, year=2026, amount=D("1"))
    assert "已处置" in messages_of(exc.value)


def test_the_asset_pages_register_and_show_an_asset(client, world, office):
    accepted_project(world.village, "P-WEB")
    client.force_login(office["sector"])
    response = client.post(
        reverse("funds:asset_new"),
        {
            "project_code": "P-WEB",
            "name": "冷链仓库",
            "asset_class": "operating",
            "value": "１２,３４５.５",  # full-width digits and a thousands separator
            "owner_unit": "村集体",
        },
    )
    asset = Asset.objects.get()
    assert response.status_code == 302 and asset.value == D("12345.50")
    page = client.get(reverse("funds:asset_detail", args=[asset.pk])).content.decode()
    assert "冷链仓库" in page and "12,345.50" in page
    refused = client.post(
        reverse("funds:asset_new"),
        {"project_code": "P-WEB", "name": "x", "asset_class": "public", "value": "1.001", "owner_unit": "村"},
    )
    assert refused.status_code == 200 and "两位小数" in refused.content.decode()
    client.post(reverse("funds:income_new", args=[asset.pk]), {"year": "2026", "amount": "900"})
    income = asset.incomes.get()
    response = client.post(
        reverse("funds:distribution_new", args=[income.pk]),
        {"household_no": world.home.household_no, "period": "2026-05", "amount": "1000"},
    )
    assert response.status_code == 400 and "超过" in response.content.decode()


def test_another_countys_asset_answers_404(client, world, office):
    asset = register(office["sector"], accepted_project(world.village, "P1"))
    client.force_login(office["other_finance"])
    assert client.get(reverse("funds:asset_detail", args=[asset.pk])).status_code == 404
    assert "光伏电站" not in client.get(reverse("funds:asset_list")).content.decode()


def test_the_asset_list_totals_by_class_and_its_queries_do_not_grow(
    client, world, office, django_assert_num_queries
):
    project = accepted_project(world.village, "P1", paid=D("1000000"))
    register(office["sector"], project, value=D("100"))
    client.force_login(office["finance"])
    url = reverse("funds:asset_list")
    client.get(url)
    # Session, account, the region picker, the totals by class, the count and the page's rows.
    with django_assert_num_queries(ASSET_LIST_QUERIES):
        client.get(url)
    for n in range(12):
        register(
            office["sector"],
            project,
            name=f"资产{n}",
            asset_class=[fd.PUBLIC, fd.OPERATING][n % 2],
            value=D("10"),
        )
    with django_assert_num_queries(ASSET_LIST_QUERIES):
        page = client.get(url, {"asset_class": "public"}).content.decode()
    assert "资产0" in page and "资产1<" not in page
    totals = client.get(url).context["totals"]
    assert {t.code: (t.count, t.value) for t in totals} == {
        "operating": (7, D("160")),
        "public": (6, D("60")),
        "household": (0, D("0")),
    }


def test_the_disposal_pages_take_the_proposal_and_the_countys_decision(client, world, people, office):
    asset = register(office["sector"], accepted_project(world.village, "P1"))
    client.force_login(office["sector"])
    assert (
        client.post(
            reverse("funds:disposal_propose", args=[asset.pk]), {"kind": "scrap", "reason": ""}
        ).status_code
        == 400
    )
    client.post(reverse("funds:disposal_propose", args=[asset.pk]), {"kind": "scrap", "reason": "报废"})
    assert (
        client.post(reverse("funds:disposal_decide", args=[asset.pk]), {"decision": "approve"}).status_code
        == 403
    )
    client.force_login(people["county_admin"])
    page = client.get(reverse("funds:asset_detail", args=[asset.pk])).content.decode()
    assert "处置申请待县级审批" in page and "提交审批意见" in page
    response = client.post(
        reverse("funds:disposal_decide", args=[asset.pk]),
        {"decision": "approve", "disposed_on": "2026-11-02"},
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.state == Asset.State.DISPOSED and asset.disposed_on == dt.date(2026, 11, 2)


def test_the_asset_list_filters_by_region_and_year(client, world, office):
    register(office["sector"], accepted_project(world.village, "P1"), name="良塘资产")
    register(office["sector"], accepted_project(world.other_village, "P2", year=2025), name="桃坪资产")
    client.force_login(office["finance"])
    url = reverse("funds:asset_list")
    page = client.get(url, {"region": [world.township.pk, world.other_village.pk]}).content.decode()
    assert "桃坪资产" in page and "良塘资产" not in page
    page = client.get(url, {"year": "2026"}).content.decode()
    assert "良塘资产" in page and "桃坪资产" not in page
    # Another county's unit is ignored with a notice, never shown.
    page = client.get(url, {"region": [world.other_county.pk]}).content.decode()
    assert "不在您的管辖范围内" in page and "良塘资产" in page
