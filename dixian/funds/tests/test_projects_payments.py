"""Payments against a project (docs/domain.md §22): refused before the start, beyond the budget (exact to
the fen, even when two arrive at once) and for a use on the negative list in force on their date, with the
rule; the city's negative list versions and the year's policy."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dixian.common.models import ChangeLog
from dixian.funds import payments as svc
from dixian.funds.models import FundsPolicy, NegativeListItem, NegativeListVersion, Payment
from dixian.funds.negative_list import negative_list_on
from dixian.funds.testing import funds_personas, planned_project

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.datetime(2026, 10, 15, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def offices(world):
    return funds_personas(world)


def pay(project, actor, amount="100.00", paid_on=dt.date(2026, 6, 1), use="construction"):
    return svc.payment_record(
        project=project,
        actor=actor,
        paid_on=paid_on,
        amount=D(amount),
        use_category=use,
        payee_category="contractor",
    )


@time_machine.travel(TODAY, tick=False)
def test_payments_up_to_the_budget_exact_to_the_fen(world, offices):
    project = planned_project(world.village, code="P1", budget=D("1000.00"), started_on=dt.date(2026, 5, 1))
    pay(project, offices["finance"], "999.99")
    with pytest.raises(ValidationError) as refused:
        pay(project, offices["finance"], "0.02")
    assert "将超过项目总投资 1,000.00 元" in refused.value.messages[0]
    assert "最多还可支付 0.01 元" in refused.value.messages[0]
    pay(project, offices["finance"], "0.01")
    assert svc.paid_total(project) == D("1000.00")
    assert ChangeLog.objects.filter(entity="payment").count() == 2


@time_machine.travel(TODAY, tick=False)
def test_a_payment_before_the_start_or_in_the_future_is_refused(world, offices):
    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 5, 1))
    with pytest.raises(ValidationError, match="早于项目开工日期 2026-05-01"):
        pay(project, offices["finance"], paid_on=dt.date(2026, 4, 30))
    with pytest.raises(ValidationError, match="晚于今天"):
        pay(project, offices["finance"], paid_on=dt.date(2026, 10, 16))
    unstarted = planned_project(world.village, code="P2")
    with pytest.raises(ValidationError, match="尚未开工"):
        pay(unstarted, offices["finance"])
    assert not Payment.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_a_forbidden_use_is_refused_with_the_rule_in_force_on_the_payment_date(world, offices):
    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 1, 5))
    with pytest.raises(ValidationError, match="不得用于购置交通工具"):
        pay(project, offices["finance"], use="vehicles")
    # The city's version 1 from July forbids training too (and no longer vehicles).
    version = NegativeListVersion.objects.create(number=1, valid_from=dt.date(2026, 7, 1), note="市文件")
    NegativeListItem.objects.create(version=version, use_category="training", rule="培训费由人社渠道列支")
    pay(project, offices["finance"], use="training", paid_on=dt.date(2026, 6, 30))
    with pytest.raises(ValidationError, match="培训费由人社渠道列支"):
        pay(project, offices["finance"], use="training", paid_on=dt.date(2026, 7, 1))
    pay(project, offices["finance"], use="vehicles", paid_on=dt.date(2026, 7, 1))


@time_machine.travel(TODAY, tick=False)
def test_only_the_finance_office_of_the_county_pays(world, people, offices):
    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 5, 1))
    for other in (people["county_admin"], offices["sector"], people["village_officer"]):
        with pytest.raises(PermissionDenied, match="财政部门"):
            pay(project, other)
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        pay(project, offices["other_finance"])


@time_machine.travel(TODAY, tick=False)
def test_the_payment_page_shows_the_refusal_and_accepts_amounts_as_typed(client, world, offices):
    project = planned_project(world.village, code="P1", budget=D("5000.00"), started_on=dt.date(2026, 5, 1))
    client.force_login(offices["finance"])
    url = reverse("funds:payment_new", args=[project.pk])
    form = {"paid_on": "2026-06-01", "use_category": "rent", "payee_category": "other", "amount": "1,234.5"}
    response = client.post(url, form)
    assert "资金用途“租金”属于负面清单:不得用于支付租金" in response.content.decode()
    response = client.post(url, {**form, "use_category": "construction", "amount": "１２３４.５"})
    assert response.status_code == 302
    assert Payment.objects.get().amount == D("1234.50")
    response = client.post(url, {**form, "use_category": "construction", "amount": "1.234"})
    assert "超过两位小数" in response.content.decode()
    page = client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
    assert "支出进度 24.69%" in page


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_cannot_together_pass_the_budget(world):
    """The first payment holds the project's row until it commits; the second, arriving meanwhile, waits
    and then sees it. Without the lock both would read nothing paid and both would pass."""
    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns: two payments never overlap")
    finance = funds_personas(world)["finance"]
    project = planned_project(world.village, code="P1", budget=D("100.00"), started_on=dt.date(2026, 1, 5))
    recorded, done = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                pay(project, finance, "60.00")
                recorded.set()
                done.wait(0.5)  # the second payment starts meanwhile
            outcome["first"] = "paid"
        finally:
            connections.close_all()

    def second() -> None:
        try:
            pay(project, finance, "60.00")
            outcome["second"] = "paid"
        except ValidationError as exc:
            outcome["second"] = exc.messages[0]
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert recorded.wait(30)
    b = threading.Thread(target=second)
    b.start()
    a.join(60)
    b.join(60)
    assert outcome["first"] == "paid"
    assert "将超过项目总投资 100.00 元" in outcome["second"]
    assert Payment.objects.count() == 1


# ---- the negative list's versions ----------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_city_adds_a_version_from_tomorrow_or_later_never_today_nor_back_in_time(world, people):
    city = people["city_admin"]
    with pytest.raises(ValidationError, match="最早为明天"):
        svc.negative_list_version_add(actor=city, valid_from=dt.date(2026, 10, 1), note="x", items={})
    # Today's payments are already judged by the list in force today (review finding S2 of issue 16).
    with pytest.raises(ValidationError, match="最早为明天"):
        svc.negative_list_version_add(actor=city, valid_from=dt.date(2026, 10, 15), note="x", items={})
    with pytest.raises(ValidationError, match="修订说明"):
        svc.negative_list_version_add(actor=city, valid_from=dt.date(2026, 11, 1), note=" ", items={})
    with pytest.raises(PermissionDenied):
        svc.negative_list_version_add(
            actor=people["county_admin"], valid_from=dt.date(2026, 11, 1), note="x", items={}
        )
    version = svc.negative_list_version_add(
        actor=city, valid_from=dt.date(2026, 11, 1), note="市财政局通知", items={"rent": "不得支付租金"}
    )
    assert version.number == 1
    assert negative_list_on(dt.date(2026, 10, 31))["vehicles"] == "不得用于购置交通工具"
    assert negative_list_on(dt.date(2026, 11, 1)) == {"rent": "不得支付租金"}
    assert (
        svc.negative_list_version_add(
            actor=city, valid_from=dt.date(2026, 12, 1), note="再修订", items={}
        ).number
        == 2
    )


@time_machine.travel(TODAY, tick=False)
def test_the_negative_list_page_prefills_the_new_version_from_the_current(client, world, people):
    client.force_login(people["city_admin"])
    form = client.get(reverse("funds:negative_list_new")).content.decode()
    assert "不得用于购置交通工具" in form
    assert 'value="2026-10-16"' in form and "最早为明天" in form
    data = {
        "valid_from": "2026-10-16",
        "note": "依据省厅文件",
        "forbid_rent": "on",
        "rule_rent": "不得支付租金",
        "forbid_vehicles": "on",
        "rule_vehicles": "",
    }
    response = client.post(reverse("funds:negative_list_new"), data)
    assert "须写明禁止依据" in response.content.decode()
    data["rule_vehicles"] = "不得购车"
    assert client.post(reverse("funds:negative_list_new"), data).status_code == 302
    page = client.get(reverse("funds:negative_list")).content.decode()
    assert "第1版" in page and "不得购车" in page and "依据省厅文件" in page
    client.force_login(people["county_admin"])
    assert client.get(reverse("funds:negative_list")).status_code == 200
    assert client.get(reverse("funds:negative_list_new")).status_code == 403


# ---- the year's policy ---------------------------------------------------------------------------------


def test_the_city_sets_the_years_policy_audited(client, world, people):
    client.force_login(people["city_admin"])
    url = reverse("funds:policy")
    response = client.post(url, {"year": "2026", "industry_share_percent": "60", "publicity_days": "7"})
    assert response.status_code == 302
    policy = FundsPolicy.objects.get(year=2026)
    assert (policy.industry_share_min, policy.publicity_days) == (D("0.6000"), 7)
    client.post(url, {"year": "2026", "industry_share_percent": "65.5", "publicity_days": "10"})
    policy.refresh_from_db()
    assert policy.industry_share_min == D("0.6550")
    logs = list(
        ChangeLog.objects.filter(entity="funds_policy").order_by("at", "pk").values_list("action", flat=True)
    )
    assert logs == ["create", "update"]
    assert "65.50%" in client.get(url).content.decode()
    refused = client.post(url, {"year": "2026", "industry_share_percent": "120", "publicity_days": "10"})
    assert refused.status_code == 200 and FundsPolicy.objects.get().industry_share_min == D("0.6550")
    client.force_login(people["county_admin"])
    assert client.get(url).status_code == 403
