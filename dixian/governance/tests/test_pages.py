"""The governance pages (docs/domain.md §28): scoped lists with a constant number of queries, the forms'
refusals shown in Chinese on the form, attachments served only in scope, the figures per township, the
household page's panel and the dispatch page's due items."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from dixian.common.due import due_sources, week_of
from dixian.governance.due import governance_due
from dixian.governance.models import Decision, DecisionStep, VillageDocument

from .helpers import DAY, SMALL_PDF, award, decision, full_steps, pdf, redeem, rule

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_the_list_shows_the_units_decisions_only(client, world, people):
    decision(world.village, "良塘村修路")
    decision(world.far_village, "城西村鱼塘发包")
    client.force_login(people["county_reviewer"])
    page = text(client.get(reverse("governance:decision_list")))
    assert "良塘村修路" in page and "城西村鱼塘发包" not in page
    client.force_login(people["leader"])
    page = text(client.get(reverse("governance:decision_list")))
    assert "良塘村修路" in page and "城西村鱼塘发包" in page


def test_the_list_filters_the_decisions_missing_a_step(client, world, people):
    decision(
        world.village, "缺程序的事项", steps=full_steps(upto=2), status="implemented", implemented_on=DAY
    )
    decision(world.village, "议定中的事项", steps=full_steps(upto=2))
    client.force_login(people["village_officer"])
    page = text(client.get(reverse("governance:decision_list"), {"flagged": "on"}))
    assert "缺程序的事项" in page and "议定中的事项" not in page
    assert "党员大会审议、村民代表会议决议、决议公开" in page


def test_the_list_makes_the_same_number_of_queries_for_51_and_111_decisions(
    client, world, people, django_assert_max_num_queries
):
    client.force_login(people["city_admin"])
    url = reverse("governance:decision_list")
    for n in range(51):  # a full first page and a count
        decision(world.village, f"首批{n}")
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for n in range(60):
        decision(world.village if n % 2 else world.far_village, f"事项{n}", steps=full_steps(upto=n % 6))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_step_out_of_order_is_refused_on_the_form(client, world, people):
    d = decision(world.village, steps={"discussion": DAY})
    client.force_login(people["village_officer"])
    url = reverse("governance:step_new", args=[d.pk])
    response = client.post(url, {"step": "proposal", "held_on": "2026-03-05"})
    assert response.status_code == 400
    assert "党支部提议的日期(2026-03-05)晚于两委商议(2026-03-02)" in text(response)
    response = client.post(url, {"step": "proposal", "held_on": "2026-03-01", "attachment": pdf()})
    assert response.status_code == 302
    step = DecisionStep.objects.get(decision=d, step="proposal")
    detail = text(client.get(reverse("governance:decision_detail", args=[d.pk])))
    assert reverse("governance:step_attachment", args=[d.pk, step.pk]) in detail


def test_an_empty_post_is_refused_with_each_fields_message(client, world, people):
    d = decision(world.village)
    client.force_login(people["village_officer"])
    for url in (
        reverse("governance:step_new", args=[d.pk]),
        reverse("governance:decision_implement", args=[d.pk]),
        reverse("governance:decision_new"),
        reverse("governance:document_new"),
        reverse("governance:rule_new"),
        reverse("governance:award_new", args=[world.home.pk]),
        reverse("governance:redeem_new", args=[world.home.pk]),
    ):
        response = client.post(url, {})
        assert response.status_code == 400, url
        assert 'class="errorlist' in text(response), url


def test_implementing_with_a_missing_step_says_it_was_filed(client, world, people):
    d = decision(world.village, steps=full_steps(upto=3))
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("governance:decision_implement", args=[d.pk]), {"on": "2026-03-20"}, follow=True
    )
    assert "缺少村民代表会议决议、决议公开,已列入问题整改台账" in text(response)
    assert Decision.objects.get(pk=d.pk).status == "implemented"


def test_attachments_are_served_only_in_scope_and_never_cached(client, world, people):
    d = decision(world.village, steps={"proposal": DAY})
    step = DecisionStep.objects.get(decision=d)
    step.attachment = default_storage.save(
        "governance/decisions/test.pdf", __import__("io").BytesIO(SMALL_PDF)
    )
    step.save()
    url = reverse("governance:step_attachment", args=[d.pk, step.pk])
    client.force_login(people["village_officer"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == SMALL_PDF
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(people["other_county_reviewer"])
    assert client.get(url).status_code == 404


def test_documents_list_and_file(client, world, people):
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("governance:document_new"),
        {
            "region": world.village.pk,
            "kind": "council",
            "title": "良塘村红白理事会章程",
            "adopted_on": "2026-01-05",
            "file": pdf(),
        },
    )
    assert response.status_code == 302
    doc = VillageDocument.objects.get()
    page = text(client.get(reverse("governance:document_list")))
    assert "良塘村红白理事会章程" in page and "2026-01-05" in page
    assert client.get(reverse("governance:document_file", args=[doc.pk])).status_code == 200
    client.force_login(people["other_county_reviewer"])
    assert client.get(reverse("governance:document_file", args=[doc.pk])).status_code == 404


def test_a_redemption_beyond_the_balance_is_refused_on_the_form(client, world, people):
    award(world.home, rule(world.village, points=4))
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("governance:redeem_new", args=[world.home.pk]),
        {"item": "大米", "points": 5, "redeemed_on": "2026-03-03"},
    )
    assert response.status_code == 400 and "本户积分余额为 4 分" in text(response)
    page = text(client.get(reverse("governance:household_points", args=[world.home.pk])))
    assert 'id="points-balance">4 分' in page


def test_the_points_page_names_only_households_the_account_may_see(client, world, people):
    award(world.home, rule(world.village))
    award(world.far, rule(world.far_village))
    client.force_login(people["county_reviewer"])
    page = text(client.get(reverse("governance:points")))
    assert world.home.head_name in page and world.far.head_name not in page


def test_the_figures_count_per_township_by_aggregates(client, world, people, django_assert_max_num_queries):
    decision(
        world.village,
        steps=full_steps(upto=5),
        status="implemented",
        implemented_on=DAY + dt.timedelta(days=20),
    )
    decision(
        world.other_village,
        steps=full_steps(upto=2),
        status="implemented",
        implemented_on=DAY + dt.timedelta(days=20),
    )
    decision(world.other_village)
    decision(world.far_village)
    plus, minus = rule(world.village, points=10), rule(world.village, item="扣分", points=-2)
    award(world.home, plus)
    award(world.home, minus)
    award(world.neighbour, rule(world.other_village, points=5))
    redeem(world.home, 3)
    client.force_login(people["city_admin"])
    with django_assert_max_num_queries(12):
        page = text(client.get(reverse("governance:figures")))
    row = page[page.index("义宁镇") : page.index("</tr>", page.index("义宁镇"))]
    cells = re.findall(r'<td data-label="[^"]+" class="num[^"]*">([^<]*)</td>', row)
    # decisions, done, complete, flagged, completeness, households, awarded, deducted, redeemed
    assert cells == ["3", "2", "1", "1", "50.00%", "2", "15", "2", "3"]
    assert "都昌镇" in page


def test_the_household_page_shows_the_points_panel_to_governance_accounts(client, world, people):
    award(world.home, rule(world.village, points=6))
    redeem(world.home, 2)
    client.force_login(people["village_officer"])
    page = text(client.get(reverse("registry:household_detail", args=[world.home.pk])))
    assert 'id="household-governance"' in page and "<strong>4</strong>" in page
    client.force_login(people["helper"])  # no governance ledger: no panel
    page = text(client.get(reverse("registry:household_detail", args=[world.home.pk])))
    assert 'id="household-governance"' not in page


def test_the_dispatch_page_gets_the_decisions_due_this_week(world, people):
    today = dt.date(2026, 4, 15)
    monday, sunday = week_of(today)
    due = decision(world.village, "本周到期", steps={"proposal": monday - dt.timedelta(days=28)})
    overdue = decision(world.village, "已超期", steps={"representatives": monday - dt.timedelta(days=20)})
    decision(world.village, "下月到期", steps={"proposal": today})
    decision(world.far_village, "外县", steps={"proposal": monday - dt.timedelta(days=28)})
    items = governance_due(people["village_officer"], world.county.prefix, monday, sunday)
    assert [i.title for i in items] == ["良塘村「已超期」", "良塘村「本周到期」"]
    assert items[0].kind == "四议两公开:决议公开" and items[0].overdue(today)
    assert items[1].url == reverse("governance:decision_detail", args=[due.pk])
    assert overdue.pk and "governance" in {s.name for s in due_sources()}
