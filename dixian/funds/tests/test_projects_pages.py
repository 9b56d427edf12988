"""The project list and page, the payment list, scoping, query counts, and the county discipline (docs/domain.md
§22): late townships and their late projects, on the page, in the .xlsx and from the selectors."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.common.testing import region
from dixian.funds.models import Payment, Project
from dixian.funds.selectors_projects import late_townships, project_progress
from dixian.funds.testing import funds_personas, planned_project

pytestmark = pytest.mark.django_db
D = Decimal
OCTOBER = dt.datetime(2026, 10, 15, 4, 0, tzinfo=dt.UTC)


def paid(project: Project, amount: str, on: dt.date = dt.date(2026, 6, 1)) -> None:
    Payment.objects.create(
        project=project,
        paid_on=on,
        amount=D(amount),
        use_category="construction",
        payee_category="contractor",
        region_code=project.region_code,
    )


def many(world, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        p = planned_project(world.village, code=f"L{i:03d}", started_on=dt.date(2026, 5, 1))
        paid(p, "10.00")


def test_the_list_shows_the_accounts_projects_and_its_queries_do_not_grow(
    client, world, people, django_assert_num_queries
):
    planned_project(world.far_village, code="FAR1", name="城西村项目")
    many(world, 55)  # more than a page: the pager counts
    client.force_login(people["county_reviewer"])
    url = reverse("funds:project_list")
    response = client.get(url)
    page = response.content.decode()
    assert "L000" in page and "城西村项目" not in page
    with django_assert_num_queries(6) as few:
        client.get(url, {"year": "2026"})
    many(world, 60, start=55)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url, {"year": "2026", "page": "2"}).content.decode()
    assert "共 115 个项目" in page


def test_the_list_filters_by_progress_kind_state_and_region(client, world, people):
    started = planned_project(world.village, code="S1", started_on=dt.date(2026, 5, 1))
    planned_project(world.other_village, code="N1", kind="infrastructure")
    accepted = planned_project(
        world.village,
        code="A1",
        started_on=dt.date(2026, 3, 1),
        completed_on=dt.date(2026, 5, 1),
        accepted_on=dt.date(2026, 6, 1),
    )
    client.force_login(people["county_admin"])
    url = reverse("funds:project_list")

    def codes(**query) -> set[str]:
        page = client.get(url, query).content.decode()
        return {c for c in ("S1", "N1", "A1") if f">{c}<" in page}

    assert codes(progress="not_started") == {"N1"}
    assert codes(progress="started") == {"S1", "A1"}
    assert codes(progress="accepted") == {"A1"}
    assert codes(kind="infrastructure") == {"N1"}
    assert codes(region=world.village.pk) == {"S1", "A1"}
    assert codes(state="proposed") == set()
    assert codes(progress="bogus", region=world.far_village.pk) == {"S1", "N1", "A1"}
    assert started and accepted


def test_a_project_of_another_county_answers_404(client, world, people):
    far = planned_project(world.far_village, code="FAR1")
    offices = funds_personas(world)
    for who in (people["county_admin"], offices["finance"], offices["sector"]):
        client.force_login(who)
        for name in ("funds:project_detail", "funds:payment_new"):
            response = client.get(reverse(name, args=[far.pk]))
            assert response.status_code in (404, 403), (who, name)
        assert client.get(reverse("funds:project_detail", args=[far.pk])).status_code == 404
    client.force_login(offices["other_finance"])
    assert client.get(reverse("funds:project_detail", args=[far.pk])).status_code == 200


def test_the_payment_list_is_scoped_and_filtered_by_project(client, world, people):
    mine = planned_project(world.village, code="P1", started_on=dt.date(2026, 5, 1))
    other = planned_project(world.other_village, code="P2", started_on=dt.date(2026, 5, 1))
    far = planned_project(world.far_village, code="P3", started_on=dt.date(2026, 5, 1), name="城西村项目")
    paid(mine, "11.00")
    paid(other, "22.00")
    paid(far, "33.00")
    client.force_login(people["county_reviewer"])
    page = client.get(reverse("funds:payment_list")).content.decode()
    assert "共 2 笔,合计 33 元" in page and "城西村项目" not in page
    page = client.get(reverse("funds:payment_list"), {"project": mine.pk}).content.decode()
    assert "共 1 笔,合计 11 元" in page


# ---- the county discipline ------------------------------------------------------------------------------


@pytest.fixture
def two_townships(world):
    """义宁镇: four projects, three completed by September and fully paid; 渣津镇: two projects, one completed
    by September, the other neither completed nor much paid."""
    zhajin = region("360424101000", "渣津镇", "township", world.county)
    zhajin_village = region("360424101201", "新村", "village", zhajin)
    yining = []
    for i in range(4):
        done = dt.date(2026, 9, 1) if i < 3 else None
        p = planned_project(
            world.village, code=f"Y{i}", budget=D("100.00"), started_on=dt.date(2026, 3, 1), completed_on=done
        )
        paid(p, "100.00")
        yining.append(p)
    z_done = planned_project(
        zhajin_village,
        code="Z1",
        budget=D("100.00"),
        started_on=dt.date(2026, 3, 1),
        completed_on=dt.date(2026, 9, 20),
        accepted_on=dt.date(2026, 10, 1),
    )
    paid(z_done, "100.00")
    z_late = planned_project(zhajin_village, code="Z2", budget=D("300.00"), started_on=dt.date(2026, 3, 1))
    paid(z_late, "100.00")
    paid(z_late, "100.00", on=dt.date(2026, 10, 5))  # after September: does not count for it
    return {"yining": yining, "z_done": z_done, "z_late": z_late}


def test_before_the_end_of_september_no_township_is_late(world, two_townships):
    assert late_townships(world.county.prefix, 2026, dt.date(2026, 9, 29)) == []


def test_at_the_end_of_september_a_township_under_75_percent_is_late_with_its_late_projects(
    world, two_townships
):
    [late] = late_townships(world.county.prefix, 2026, dt.date(2026, 9, 30))
    assert (late.name, late.in_plan, late.completed_sept) == ("渣津镇", 2, 1)
    assert (late.budget, late.paid_sept) == (D("400.00"), D("200.00"))
    assert late.late_september and not late.late_december
    assert [p.code for p in late.projects] == ["Z2"]


def test_after_december_every_project_not_accepted_is_late(world, two_townships):
    towns = {t.name: t for t in late_townships(world.county.prefix, 2026, dt.date(2027, 1, 5))}
    assert set(towns) == {"义宁镇", "渣津镇"}
    assert towns["义宁镇"].late_december and not towns["义宁镇"].late_september
    assert [p.code for p in towns["义宁镇"].projects] == ["Y0", "Y1", "Y2", "Y3"]


def test_the_progress_figures_are_counts_and_exact_sums(world, two_townships):
    progress = project_progress(world.county.prefix, 2026)
    assert (progress.in_plan, progress.started, progress.completed, progress.accepted) == (6, 6, 4, 1)
    assert (progress.budget, progress.paid) == (D("800.00"), D("700.00"))
    assert progress.spending_rate == D("0.8750")
    assert project_progress(world.county.prefix, 2026, as_of=dt.date(2026, 9, 30)).paid == D("600.00")
    assert project_progress(world.other_county.prefix, 2026).in_plan == 0


@time_machine.travel(OCTOBER, tick=False)
def test_the_late_projects_page_and_its_workbook(client, world, people, two_townships):
    client.force_login(people["county_admin"])
    page = client.get(reverse("funds:late_projects")).content.decode()
    assert "渣津镇 · 滞后项目 1 个" in page and "义宁镇 · 滞后项目" not in page
    assert "9月底未达标" in page
    response = client.get(reverse("funds:late_projects_xlsx"), {"year": "2026", "as_of": "2027-01-05"})
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    towns = book.get_sheet_by_name("乡镇督导").to_python()
    assert [row[1] for row in towns[3:]] == ["义宁镇", "渣津镇"]
    late = book.get_sheet_by_name("滞后项目").to_python()
    assert sorted(row[1] for row in late[1:]) == ["Y0", "Y1", "Y2", "Y3", "Z2"]
    client.force_login(people["township_reviewer"])  # sees its own township only
    page = client.get(reverse("funds:late_projects"), {"as_of": "2027-01-05"}).content.decode()
    assert "义宁镇" in page and "渣津镇" not in page


@time_machine.travel(OCTOBER, tick=False)
def test_the_list_shows_the_late_projects_of_the_year(client, world, people, two_townships):
    client.force_login(people["county_admin"])
    page = client.get(reverse("funds:project_list"), {"progress": "late", "year": "2026"}).content.decode()
    shown = {c for c in ("Y0", "Y3", "Z1", "Z2") if f">{c}<" in page}
    assert shown == {"Y3", "Z2"}


def test_the_project_page_queries_do_not_grow_with_payments_and_hires(
    client, world, people, django_assert_num_queries
):
    from dixian.funds.models import WorkReliefHire
    from dixian.registry.testing import household

    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 3, 1))
    paid(project, "10.00")
    client.force_login(people["county_admin"])
    url = reverse("funds:project_detail", args=[project.pk])
    with django_assert_num_queries(10) as few:
        client.get(url)
    for i in range(5):
        paid(project, "10.00")
        h = household(f"36042410020100{50 + i}", world.village, f"户{i}", 50 + i)
        WorkReliefHire.objects.create(
            project=project,
            person=h.members.order_by("pk")[0],
            household=h,
            hired_on=dt.date(2026, 3, 5),
            region_code=project.region_code,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "户4" in page


@pytest.mark.parametrize(
    "as_of", [dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 12, 30), dt.date(2026, 12, 31)]
)
def test_the_late_rule_reads_the_same_in_sql_and_in_python(world, two_townships, as_of):
    from dixian.funds.selectors_projects import late_projects_qs, project_is_late, with_paid_sept

    plan = Project.objects.filter(state="in_plan", year=2026)
    in_sql = set(late_projects_qs(plan, 2026, as_of).values_list("code", flat=True))
    in_python = {
        p.code
        for p in with_paid_sept(plan, 2026)
        if project_is_late(
            year=2026,
            as_of=as_of,
            budget=p.budget_total,
            paid_sept=p.paid_sept,  # type: ignore[attr-defined]  # annotated by with_paid_sept
            completed_on=p.completed_on,
            accepted_on=p.accepted_on,
        )
    }
    assert in_sql == in_python
    assert bool(in_sql) == (as_of >= dt.date(2026, 9, 30))


@time_machine.travel(OCTOBER, tick=False)
def test_the_page_lists_twenty_late_projects_per_township_and_the_workbook_all(client, world, people):
    for i in range(25):
        planned_project(world.village, code=f"K{i:02d}", started_on=dt.date(2026, 3, 1))
    client.force_login(people["county_admin"])
    page = client.get(reverse("funds:late_projects")).content.decode()
    assert "义宁镇 · 滞后项目 25 个" in page and "仅列出前 20 个" in page
    assert page.count("funds/projects/") - page.count("funds/projects/late") >= 20
    assert "K20" not in page
    response = client.get(reverse("funds:late_projects_xlsx"))
    late = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("滞后项目").to_python()
    )
    assert len(late) - 1 == 25
