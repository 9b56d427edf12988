"""The ledger's pages (docs/domain.md §27): the ledger list in a constant number of queries, the township's
weekly form (htmx, pre-filled from last week), the dispatch and its .xlsx, the monthly 通报, the fund."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import docx
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.common.due import due_sources
from dixian.common.testing import region
from dixian.environment import figures as fg
from dixian.environment import services
from dixian.environment.models import EnvironmentPlan, EnvironmentProject, WeeklyReport
from dixian.funds.models import Payment
from dixian.funds.testing import planned_project

from .helpers import MONDAY, more_households, plan, row

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 10, 16, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _friday():
    with time_machine.travel(NOW, tick=False):
        yield


def filed(world, people, monday=MONDAY, **figures):
    services.weekly_file(
        actor=people["township_reviewer"],
        township=world.township,
        monday=monday,
        rows={world.village.code: row(**figures)},
    )


def sheet(content: bytes, name: str) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(name).to_python()


def test_the_ledger_lists_villages_in_a_constant_number_of_queries(client, world, people):
    more_households(world)
    plan(world)
    filed(world, people, upgraded=2, sanitary=3, in_use=2)
    client.force_login(people["county_reviewer"])
    url = reverse("environment:ledger")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx)

    before = count()
    for i in range(5):  # more villages, plans and reports: the same number of queries
        v = region(f"36042410030{i}", f"新村{i}", "village", world.township)
        EnvironmentPlan.objects.create(village=v, region_code=v.code, year=2026, toilets_planned=1)
    assert count() == before
    text = client.get(url).content.decode()
    assert "良塘村" in text and "城西村" not in text and "2/10户" in text


def test_the_township_files_on_the_phone_form_prefilled_from_last_week(client, world, people):
    more_households(world)
    plan(world)
    filed(world, people, monday=MONDAY - dt.timedelta(days=7), upgraded=2, sanitary=3, in_use=2, garbage=2)
    client.force_login(people["township_reviewer"])
    assert client.get(reverse("environment:weekly_start")).url == reverse(
        "environment:weekly_form", args=[world.township.code]
    )
    url = reverse("environment:weekly_form", args=[world.township.code])
    page = client.get(url).content.decode()
    assert f'name="{world.village.code}-toilets_sanitary" value="3"' in page and "按2026-W41预填" in page
    data = {"week": "2026-W42"}
    for code, values in (
        (world.village.code, (3, 4, 3, 2, 0, 1)),
        (world.other_village.code, (0, 1, 1, 1, 0, 0)),
    ):
        for name, value in zip(
            (
                "toilets_upgraded",
                "toilets_sanitary",
                "toilets_in_use",
                "garbage_covered",
                "sewage_households",
                "works_done",
            ),
            values,
            strict=True,
        ):
            data[f"{code}-{name}"] = str(value)
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "新报2个村" in response.content.decode()
    assert WeeklyReport.objects.filter(week=MONDAY).count() == 2
    data[f"{world.village.code}-toilets_sanitary"] = "9"  # the village has 5 households
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "超过本村户数5户" in body and "全部未保存" in body  # htmx: 2xx
    assert client.post(url, data).status_code == 422
    assert WeeklyReport.objects.get(region_code=world.village.code, week=MONDAY).toilets_sanitary == 4
    future = client.post(url, {**data, "week": "2026-W43"})
    assert future.status_code == 422 and "尚未开始" in future.content.decode()


def test_the_village_officer_reads_but_does_not_file(client, world, people):
    client.force_login(people["village_officer"])
    assert client.get(reverse("environment:ledger")).status_code == 200
    assert client.get(reverse("environment:weekly_form", args=[world.township.code])).status_code == 403


def test_the_dispatch_ranks_townships_with_the_change_from_last_week_and_exports_it(client, world, people):
    more_households(world)
    plan(world)
    filed(world, people, monday=MONDAY - dt.timedelta(days=7), upgraded=1, sanitary=2, in_use=2)
    filed(world, people, upgraded=3, sanitary=4, in_use=3)
    d = fg.dispatch(world.county, MONDAY)
    (only,) = d.rows
    assert (only.rank, only.current.toilets_upgraded, only.current.toilets_planned) == (1, 3, 5)
    assert only.change("progress") == Decimal("40.0")  # 1/5 → 3/5
    assert only.current.missing == 1  # 桃坪村 did not report
    client.force_login(people["county_reviewer"])
    page = client.get(reverse("environment:dispatch"), {"week": "2026-W42"}).content.decode()
    assert "义宁镇" in page and "桃坪村" in page and "+40.0" in page
    book = client.get(reverse("environment:dispatch_xlsx"), {"week": "2026-W42"}).content
    rows = sheet(book, "周调度")
    assert rows[1][2] == "义宁镇" and rows[1][9] == 60.0


def test_ranks_are_shared_by_equal_progress_and_units_without_plan_come_last(world):
    a, b, c, d = (
        fg.UnitFigures(r) for r in (world.village, world.other_village, world.far_village, world.township)
    )
    a.toilets_planned, a.toilets_upgraded = 4, 2
    b.toilets_planned, b.toilets_upgraded = 2, 1
    c.toilets_planned, c.toilets_upgraded = 4, 4
    ranked = fg.rank_rows([a, b, c, d], [])
    assert [(r.current.region.name, r.rank) for r in ranked] == [
        ("城西村", 1),
        ("良塘村", 2),
        ("桃坪村", 2),
        ("义宁镇", None),
    ]


def test_the_monthly_bulletin_comes_out_of_the_data_as_docx_and_xlsx(client, world, people):
    more_households(world)
    plan(world)
    for k in range(2):  # two weeks ending in September (W38, W39), one village only
        filed(
            world,
            people,
            monday=dt.date(2026, 9, 14) + dt.timedelta(days=7 * k),
            upgraded=1 + k,
            sanitary=2,
            in_use=1,
        )
    project = planned_project(world.village, code="HJ-1", name="良塘村改厕项目", budget=Decimal("200000"))
    Payment.objects.create(
        project=project,
        paid_on=dt.date(2026, 9, 1),
        amount=Decimal("50000"),
        use_category="construction",
        payee_category="company",
        region_code=project.region_code,
    )
    services.project_tag(actor=people["county_admin"], code="HJ-1", theme="toilet", corridor="railway")
    client.force_login(people["county_reviewer"])
    query = {"month": "2026-09"}
    page = client.get(reverse("environment:bulletin"), query).content.decode()
    assert "修水县农村人居环境整治工作通报" in page and "桃坪村" in page
    content = client.get(reverse("environment:bulletin_docx"), query).content
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "改厕进度40.0%" in text and "低于时序进度" in text  # 2/5 under 2026-09-30's 74.8 %
    assert "义宁镇" in cells and "铁路沿线" in cells
    # September has four weeks (W36–W39): 良塘村 filed two, both after their deadline; 桃坪村 none.
    assert cells[cells.index("良塘村") :][:3] == ["良塘村", "2", "2"]
    assert cells[cells.index("桃坪村") :][:3] == ["桃坪村", "4", "0"]
    book = client.get(reverse("environment:bulletin_xlsx"), query).content
    assert [r[1][-3:] for r in sheet(book, "未报周报的村")[1:]] == ["良塘村", "桃坪村"]
    fund = sheet(book, "人居环境资金")
    assert fund[-1][0] == "合计" and fund[-1][2] == 200000.0 and fund[-1][4] == 50000.0
    assert client.get(reverse("environment:bulletin"), {"month": "2026-11"}).status_code == 400


def test_the_fund_page_tags_a_project_by_its_code_within_the_subtree(client, world, people):
    planned_project(world.far_village, code="FAR-1")
    planned_project(world.village, code="HJ-2")
    client.force_login(people["county_admin"])
    url = reverse("environment:projects")
    refused = client.post(url, {"code": "FAR-1", "theme": "toilet"})
    assert refused.status_code == 422 and "不在您的管辖范围内" in refused.content.decode()
    assert client.post(url, {"code": "HJ-2", "theme": "sewage", "corridor": "highway"}).status_code == 302
    link = EnvironmentProject.objects.get()
    assert "HJ-2" in client.get(url).content.decode()
    client.post(reverse("environment:project_untag", args=[link.pk]))
    assert not EnvironmentProject.objects.exists()


def test_the_dispatch_page_receives_the_unfiled_and_late_weekly_reports(world, people):
    more_households(world)
    plan(world)
    (source,) = [s for s in due_sources() if s.name == "environment"]
    items = source.provider(
        people["county_reviewer"], world.county.prefix, MONDAY, MONDAY + dt.timedelta(days=6)
    )
    this_week = [i for i in items if "2026-W42" in i.title]
    assert this_week[0].kind == "周报未报" and "2个村未报" in this_week[0].title
    assert this_week[0].due_on == dt.date(2026, 10, 19)
    assert len([i for i in items if i.kind == "周报未报"]) == 5  # this week and four overdue
    services.weekly_file(
        actor=people["township_reviewer"],
        township=world.township,
        monday=MONDAY,
        rows={world.village.code: row(), world.other_village.code: row()},
    )
    items = source.provider(
        people["county_reviewer"], world.county.prefix, MONDAY, MONDAY + dt.timedelta(days=6)
    )
    done = [i for i in items if "2026-W42" in i.title]
    assert done[0].done and done[0].kind == "周报已报"


def test_the_city_dispatch_reads_a_constant_number_of_queries(client, world, people):
    """The city's dispatch reads the townships' week sums (§27 "Week sums"): more townships, villages and
    reports change nothing in the number of queries."""
    more_households(world)
    plan(world)
    filed(world, people, upgraded=2, sanitary=3, in_use=2)
    client.force_login(people["city_admin"])
    url = reverse("environment:dispatch")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx)

    before = count()
    for i in range(3):
        t = region(f"36042420{i}000", f"新镇{i}", "township", world.county)
        for j in range(2):
            v = region(f"36042420{i}20{j}", f"新镇{i}村{j}", "village", t)
            EnvironmentPlan.objects.create(village=v, region_code=v.code, year=2026, toilets_planned=1)
    assert count() == before
