"""The region's funds-and-projects page (/funds/) and its workbook (docs/domain.md §22 "Figures")."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.domain import funds as fd
from dixian.funds import report as funds_report
from dixian.funds.figures import region_report
from dixian.funds.testing import funds_personas
from dixian.regions.models import Region

from .report_world import YEAR, build_funds_world, link, pay, project

pytestmark = pytest.mark.django_db
URL = "/funds/"


@pytest.fixture
def funds(world):
    return build_funds_world(world)


@pytest.fixture
def offices(world, people):
    return funds_personas(world)


def page(client, user, **query):
    client.force_login(user)
    return client.get(URL, {"year": str(YEAR), **query})


def test_the_finance_office_sees_its_countys_figures_and_not_the_other_countys(client, world, funds, offices):
    response = page(client, offices["finance"])
    assert response.status_code == 200
    text = response.content.decode()
    assert "1,500,000.50" in text  # issued
    assert "66.67%" in text  # 资金安排率
    assert "都昌县" not in text and "200,000.00" not in text
    assert response.context["report"].region == world.county


def test_the_city_sees_the_sum_and_a_row_for_each_county(client, world, funds, people):
    response = page(client, people["leader"])
    text = response.content.decode()
    assert "1,700,000.50" in text
    rows = [label for _unit, label, _cells in response.context["rows"]]
    assert rows == ["修水县", "都昌县"]


def test_a_unit_out_of_the_accounts_subtree_answers_404(client, world, funds, offices):
    assert page(client, offices["finance"], region=world.other_county.code).status_code == 404
    assert page(client, offices["finance"], region=world.far_village.code).status_code == 404
    assert page(client, offices["finance"], region="360499000000").status_code == 404
    assert page(client, offices["finance"], region=world.village.code).status_code == 200


def test_an_account_without_the_funds_capability_is_refused(client, world, funds, people):
    assert page(client, people["department_uploader"]).status_code == 403


def test_a_year_that_is_not_one_is_named_and_the_current_year_shown(client, world, funds, offices):
    response = page(client, offices["finance"], year="20x3")
    assert response.status_code == 200
    assert "年度“20x3”无法显示" in response.content.decode()


def test_an_account_without_a_region_is_told_why(client, world):
    from dixian.accounts.models import Role
    from dixian.common.testing import persona

    client.force_login(persona("nowhere", None, Role.FINANCE_OFFICER))
    response = client.get(URL)
    assert response.status_code == 200 and "没有分配区划" in response.content.decode()


def test_the_flag_shows_when_the_industry_share_is_under_the_minimum(client, world, funds, offices):
    from dixian.funds.models import FundsPolicy

    FundsPolicy.objects.create(year=YEAR, industry_share_min=Decimal("0.80"))
    text = page(client, offices["finance"]).content.decode()
    assert 'id="flag-industry_share"' in text and "低于年度下限80.00%" in text


def test_each_figure_leads_to_its_list_filtered_to_the_unit_once_the_list_exists(world, funds):
    lines = {line.key: line for line in funds_report.report_lines(region_report(world.county, YEAR))}
    pk = str(world.county.pk)
    assert lines["issued"].drill == ("funds:allocation_list", {"year": "2023", "region": pk})
    assert lines["issued_central"].drill == (
        "funds:allocation_list",
        {"year": "2023", "region": pk, "level": fd.CENTRAL},
    )
    assert lines["issued_direct"].drill[1]["direct"] == "1"
    for progress in ("planned", "started", "completed", "accepted"):
        assert lines[progress].drill == (
            "funds:project_list",
            {"year": "2023", "region": pk, "progress": progress},
        )
    assert lines["arranged_industry"].drill[1]["kind"] == fd.INDUSTRY
    assert lines["paid"].drill == ("funds:payment_list", {"year": "2023", "region": pk})
    assert lines["assets_operating_count"].drill == (
        "funds:asset_list",
        {"year": "2023", "region": pk, "asset_class": fd.OPERATING},
    )
    assert lines["households_poor"].drill == (
        "funds:link_list",
        {"year": "2023", "region": pk, "kind": "ex_poor_or_monitored"},
    )
    assert lines["arranged_rate"].drill is None  # a rate has no list of its own


def test_a_link_is_drawn_only_when_its_url_name_resolves():
    assert funds_report.drill_link("funds:no_such_list", {"year": "2023"}) is None
    url = funds_report.drill_link("funds:report", {"year": "2023", "region": "7"})
    assert url is not None
    parts = urlsplit(url)
    assert parts.path == reverse("funds:report") and parse_qs(parts.query) == {
        "year": ["2023"],
        "region": ["7"],
    }


def test_the_rows_of_the_table_lead_to_each_units_own_page(client, world, funds, people):
    text = page(client, people["leader"]).content.decode()
    assert f'href="/funds/?region={world.county.code}&amp;year={YEAR}"' in text


def test_the_workbook_holds_the_same_figures(client, world, funds, offices):
    client.force_login(offices["finance"])
    response = client.get(reverse("funds:report_xlsx"), {"year": str(YEAR)})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    figures = {row[0]: row[1] for row in book.get_sheet_by_name("主要指标").to_python()[1:] if row and row[0]}
    assert figures["下达资金"] == pytest.approx(1500000.50)
    assert figures["资金安排率"] == "66.67%"
    assert figures["年度实施项目"] == 3
    assert figures["联农带农户数"] == 4
    table = book.get_sheet_by_name("分地区").to_python()
    assert table[0][0] == "地区" and [r[0] for r in table[1:3]] == ["修水县本级", "义宁镇"]


def test_the_workbook_answers_404_out_of_scope(client, world, funds, offices):
    client.force_login(offices["finance"])
    assert client.get(reverse("funds:report_xlsx"), {"region": world.other_county.code}).status_code == 404


def test_the_page_costs_the_same_queries_whatever_the_number_of_rows(
    client, world, funds, people, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["leader"])
    client.get(URL)  # the session and the account are read once per request; warm the caches
    with CaptureQueriesContext(connection) as before:
        assert client.get(URL, {"year": str(YEAR)}).status_code == 200
    township2 = Region.objects.create(
        code="360424200000",
        name="渣津镇",
        level="township",
        parent=world.county,
        full_name="九江市修水县渣津镇",
    )
    for n in range(6):
        p = project(f"X{n}", township2, fd.INFRASTRUCTURE, "1000.00", started=None)
        pay(p, "10.00", dt.date(YEAR, 6, 1))
        link(world.home, project=p)
    with CaptureQueriesContext(connection) as after:
        assert client.get(URL, {"year": str(YEAR)}).status_code == 200
    assert len(after) == len(before)
    assert len(before) <= 14


def test_the_funds_personas_are_the_people_fixtures_own_accounts(world, people):
    offices = funds_personas(world)
    assert offices["finance"] == people["finance"] and offices["sector"] == people["sector"]
    assert offices["other_finance"].region == world.other_county


def test_the_menu_leads_to_the_funds_page_exactly_for_accounts_that_may_open_it(client, world, people):
    for name in ("finance", "sector", "leader", "village_officer", "department_uploader", "helper"):
        client.force_login(people[name])
        shown = (
            'href="/funds/">资金项目</a>'
            in client.get("/households/" if name != "department_uploader" else "/feeds/").content.decode()
        )
        client.force_login(people[name])
        assert shown == (client.get(URL).status_code == 200), name
