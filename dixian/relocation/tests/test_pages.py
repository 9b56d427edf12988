"""The relocation pages (docs/domain.md §24): scoped lists and pages, masking of 点长电话, the forms' refusals
shown on the form, the evidence served only in scope, the workbook, and a query count that does not grow with
the number of sites."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from python_calamine import CalamineWorkbook

from dixian.monitoring.testing import SMALL_PDF
from dixian.relocation.models import RelocationSite, SiteHousehold, SiteProblem

from .helpers import build_sites, link, site

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def text(response) -> str:
    return response.content.decode()


def test_the_list_shows_the_units_sites_and_figures(client, world, people):
    sites = build_sites(world)
    client.force_login(people["county_admin"])
    page = text(client.get(reverse("relocation:site_list")))
    assert sites.town.name in page and sites.far.name not in page
    assert 'data-figure="households">3 户 7 人' in page
    assert 'data-figure="employed">1 户,就业率 50.00%' in page
    assert 'data-figure="window" class="warn">1 个' in page
    assert "relocation-counties" not in page  # one county: no table by county
    client.force_login(people["leader"])
    page = text(client.get(reverse("relocation:site_list")))
    assert sites.town.name in page and sites.far.name in page
    assert 'data-figure="households">4 户 9 人' in page
    assert "relocation-counties" in page


def test_the_list_filters_by_region_and_name(client, world, people):
    sites = build_sites(world)
    client.force_login(people["leader"])
    page = text(client.get(reverse("relocation:site_list"), {"region": world.other_county.pk}))
    assert sites.far.name in page and sites.town.name not in page
    page = text(client.get(reverse("relocation:site_list"), {"q": "幸福"}))
    assert sites.town.name in page and sites.far.name not in page
    # A unit outside the account's subtree is ignored with a notice.
    client.force_login(people["county_admin"])
    page = text(client.get(reverse("relocation:site_list"), {"region": world.other_county.pk}))
    assert "所选区划不在您的管辖范围内" in page and sites.far.name not in page


def test_the_list_takes_the_same_number_of_queries_for_more_sites(
    client, world, people, django_assert_num_queries
):
    build_sites(world)
    client.force_login(people["leader"])
    url = reverse("relocation:site_list")
    client.get(url)  # warm the session and the caches of the first request
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(12):
        s = site(world.far_village if n % 2 else world.village, f"安置点{n}", persons_planned=300)
        SiteProblem.objects.create(
            site=s,
            region_code=s.region_code,
            category="other",
            description="x",
            found_on=dt.date(2026, 1, 1),
            owner="镇",
            deadline=dt.date(2026, 2, 1),
        )
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_chief_phone_is_masked_without_the_personal_data_right(client, world, people):
    sites = build_sites(world)
    RelocationSite.objects.filter(pk=sites.town.pk).update(chief_name="刘点长", chief_phone=PHONE)
    url = reverse("relocation:site_detail", args=[sites.town.pk])
    client.force_login(people["county_reviewer"])
    page = text(client.get(url))
    assert "139****5678" in page and PHONE not in page
    book = client.get(reverse("relocation:site_xlsx"))
    cells = workbook_cells(book.content)
    assert "139****5678" in cells and PHONE not in cells
    client.force_login(people["county_admin"])  # holds PII_VIEW
    assert PHONE in text(client.get(url))
    # The edit form of an account without the right starts blank, and blank keeps the phone.
    client.force_login(people["township_reviewer"])
    form = text(client.get(reverse("relocation:site_edit", args=[sites.town.pk])))
    assert PHONE not in form and "已登记 139****5678" in form


def workbook_cells(content: bytes) -> list[str]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return [str(c) for r in book.get_sheet_by_name("安置点").to_python() for c in r]


def test_the_workbook_holds_each_site_and_the_total(client, world, people):
    build_sites(world)
    client.force_login(people["leader"])
    response = client.get(reverse("relocation:site_xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("安置点").to_python()
    )
    header, town, far, total = rows
    assert header[1] == "安置点" and town[1] == "义宁镇幸福家园" and far[1] == "城西安置点"
    col = {name: i for i, name in enumerate(header)}
    assert (town[col["搬迁户数"]], town[col["安置人数"]], town[col["有人就业户数"]]) == (3, 7, 1)
    assert town[col["就业率(%)"]] == 50 and town[col["已支付(元)"]] == pytest.approx(42345.67)
    assert (total[col["搬迁户数"]], total[col["有劳动力户数"]], total[col["缺服务窗口"]]) == (4, 3, 1)


def test_the_site_page_lists_households_states_and_the_finding(client, world, people):
    sites = build_sites(world)
    client.force_login(people["township_reviewer"])
    page = text(client.get(reverse("relocation:site_detail", args=[sites.town.pk])))
    for h in (world.home, world.neighbour, sites.elderly):
        assert h.household_no in page
    idle = page.split('id="idle-households"')[1].split("</ul>")[0]
    assert reverse("registry:household_detail", args=[world.neighbour.pk]) in idle
    assert world.home.household_no not in idle
    assert 'id="finding-window"' in page
    assert "就业车间未开工" in page and "安置点配套" in page


def test_households_out_of_the_viewers_subtree_are_counted_not_listed(client, world, people):
    town = site(world.township, "义宁新区")
    link(town, world.home)
    link(town, world.far)  # from another county (linked by an account that saw both)
    client.force_login(people["township_reviewer"])
    page = text(client.get(reverse("relocation:site_detail", args=[town.pk])))
    assert world.home.household_no in page
    assert world.far.household_no not in page and world.far.head_name not in page
    assert "另有 1 户" in page
    assert 'data-figure="households">2 户 4 人' in page


def test_a_site_out_of_scope_answers_404(client, world, people):
    sites = build_sites(world)
    client.force_login(people["county_admin"])
    for name in ("site_detail", "site_edit", "household_link", "problem_new", "project_link"):
        assert client.get(reverse(f"relocation:{name}", args=[sites.far.pk])).status_code == 404


def test_new_site_then_link_households_with_a_refusal_shown_on_the_form(client, world, people):
    client.force_login(people["county_admin"])
    response = client.post(
        reverse("relocation:site_new"),
        {
            "name": "良塘安置小区",
            "region": world.village.pk,
            "kind": "village",
            "chief_phone": "0792-1234567",
        },
    )
    made = RelocationSite.objects.get(name="良塘安置小区")
    assert response.status_code == 302 and response["Location"] == reverse(
        "relocation:site_detail", args=[made.pk]
    )
    url = reverse("relocation:household_link", args=[made.pk])
    response = client.post(url, {"household_nos": f"{world.home.household_no}\n{world.far.household_no}"})
    assert response.status_code == 400
    assert f"户编号「{world.far.household_no}」在您辖区的农户信息库中不存在" in text(response)
    assert not SiteHousehold.objects.exists()
    response = client.post(url, {"household_nos": world.home.household_no, "moved_in": "2020-06-01"})
    assert response.status_code == 302
    assert SiteHousehold.objects.get().moved_in == dt.date(2020, 6, 1)
    response = client.post(
        reverse("relocation:site_new"),
        {"name": "良塘安置小区", "region": world.other_village.pk, "kind": "village"},
    )
    assert response.status_code == 400 and "修水县已有名为「良塘安置小区」的安置点" in text(response)


def test_a_problem_is_found_resolved_with_evidence_served_in_scope_only(client, world, people):
    sites = build_sites(world)
    client.force_login(people["county_admin"])
    response = client.post(
        reverse("relocation:problem_new", args=[sites.town.pk]),
        {
            "category": "facilities",
            "description": "停车位不足",
            "found_on": "2026-06-01",
            "owner": "社区",
            "deadline": "2026-05-01",
        },
    )
    assert response.status_code == 400 and "不能早于发现日期" in text(response)
    response = client.post(
        reverse("relocation:problem_new", args=[sites.town.pk]),
        {
            "category": "facilities",
            "description": "停车位不足",
            "found_on": "2026-06-01",
            "owner": "社区",
            "deadline": "2026-07-01",
        },
    )
    assert response.status_code == 302
    problem = SiteProblem.objects.get(description="停车位不足")
    url = reverse("relocation:problem_resolve", args=[sites.town.pk, problem.pk])
    response = client.post(url, {"resolution": "已划线", "resolved_on": "2026-06-20"})
    assert response.status_code == 400 and "请上传整改佐证材料" in text(response)
    evidence = SimpleUploadedFile("整改.pdf", SMALL_PDF, content_type="application/pdf")
    response = client.post(url, {"resolution": "已划线", "resolved_on": "2026-06-20", "evidence": evidence})
    assert response.status_code == 302
    served = reverse("relocation:problem_evidence", args=[sites.town.pk, problem.pk])
    assert served in text(client.get(reverse("relocation:site_detail", args=[sites.town.pk])))
    response = client.get(served)
    assert response.status_code == 200 and b"".join(response.streaming_content) == SMALL_PDF
    assert "no-store" in response["Cache-Control"] and response["Content-Type"] == "application/pdf"
    client.force_login(people["other_county_reviewer"])
    assert client.get(served).status_code == 404


def test_projects_link_and_unlink(client, world, people):
    from dixian.funds.testing import planned_project

    sites = build_sites(world)
    planned_project(world.village, code="XS-77", name="安置点产业车间")
    client.force_login(people["county_admin"])
    url = reverse("relocation:project_link", args=[sites.town.pk])
    response = client.post(url, {"project_code": "NOPE"})
    assert response.status_code == 400 and "在您辖区的项目库中不存在" in text(response)
    assert client.post(url, {"project_code": "XS-77"}).status_code == 302
    link_pk = sites.town.projects.get(project__code="XS-77").pk
    response = client.post(reverse("relocation:project_unlink", args=[sites.town.pk, link_pk]))
    assert response.status_code == 302 and not sites.town.projects.filter(project__code="XS-77").exists()


def test_a_reader_sees_no_edit_action_and_may_not_post(client, world, people):
    sites = build_sites(world)
    client.force_login(people["village_officer"])  # RELOCATION_VIEW without RELOCATION_EDIT
    assert client.get(reverse("relocation:site_list")).status_code == 200
    assert client.post(reverse("relocation:site_new"), {}).status_code == 403
    link_pk = SiteHousehold.objects.get(household=world.home).pk
    response = client.post(reverse("relocation:household_unlink", args=[sites.town.pk, link_pk]))
    assert response.status_code == 403 and SiteHousehold.objects.filter(pk=link_pk).exists()


def test_the_household_page_shows_the_site_and_the_menu_the_entry(client, world, people):
    sites = build_sites(world)
    client.force_login(people["county_admin"])
    page = text(client.get(reverse("registry:household_detail", args=[world.home.pk])))
    panel = page.split('id="household-relocation"')[1].split("</section>")[0]
    assert sites.town.name in panel and reverse("relocation:site_detail", args=[sites.town.pk]) in panel
    assert reverse("relocation:site_list") in page  # the menu's 易地搬迁
    client.force_login(people["helper"])  # sees the household, not the relocation pages
    page = text(client.get(reverse("registry:household_detail", args=[world.home.pk])))
    assert sites.town.name in page and reverse("relocation:site_detail", args=[sites.town.pk]) not in page
    assert reverse("relocation:site_list") not in page


def test_the_site_page_takes_the_same_number_of_queries_for_more_households(
    client, world, people, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dixian.registry.testing import household

    from .helpers import OCTOBER, record

    sites = build_sites(world)
    client.force_login(people["county_admin"])
    url = reverse("relocation:site_detail", args=[sites.town.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(20):
        h = household(f"36042410020100{n + 10:02d}", world.village, f"搬迁{n}", 200 + n, members=2)
        link(sites.town, h)
        record(h.members.order_by("pk")[0], OCTOBER, n % 2 == 0)
        SiteProblem.objects.create(
            site=sites.town,
            region_code=sites.town.region_code,
            category="other",
            description=f"问题{n}",
            found_on=dt.date(2026, 1, 1),
            owner="镇",
            deadline=dt.date(2026, 2, 1),
        )
    with django_assert_num_queries(len(few.captured_queries)):
        page = text(client.get(url))
    assert 'data-figure="households">23 户 47 人' in page


def test_a_township_sees_and_unlinks_only_its_own_projects(client, world):
    from dixian.common.testing import persona
    from dixian.funds.testing import planned_project
    from dixian.relocation import services
    from dixian.relocation.models import SiteProject

    sites = build_sites(world)
    county_project = planned_project(world.county, code="XS-C1", name="县级安置配套")
    link = SiteProject.objects.create(
        site=sites.town, project=county_project, region_code=sites.town.region_code
    )
    township_editor = persona("township_editor", world.township, "county_admin")
    client.force_login(township_editor)
    page = text(client.get(reverse("relocation:site_detail", args=[sites.town.pk])))
    assert "AZD-1" in page and "AZD-2" in page and "XS-C1" not in page and "县级安置配套" not in page
    assert "另有 1 个项目不在您的管辖范围内" in page
    with pytest.raises(ValidationError):
        services.project_unlink(actor=township_editor, link=link)
    response = client.post(reverse("relocation:project_unlink", args=[sites.town.pk, link.pk]))
    assert response.status_code == 302
    assert SiteProject.objects.filter(pk=link.pk).exists()


def test_free_texts_of_the_site_page_are_masked_without_the_personal_data_right(client, world, people):
    sites = build_sites(world)
    RelocationSite.objects.filter(pk=sites.town.pk).update(address=f"幸福路1号 联系 {PHONE}")
    SiteProblem.objects.create(
        site=sites.town,
        region_code=sites.town.region_code,
        category="community",
        description=f"住户 {PHONE} 反映漏水",
        found_on=dt.date(2026, 3, 1),
        owner=f"物业 王经理 {PHONE}",
        deadline=dt.date(2026, 4, 1),
        resolved_on=dt.date(2026, 3, 10),
        resolution=f"已维修,回访 {PHONE}",
    )
    url = reverse("relocation:site_detail", args=[sites.town.pk])
    client.force_login(people["county_reviewer"])
    page = text(client.get(url))
    assert "反映漏水" in page and "王经理" in page and "幸福路1号" in page and PHONE not in page
    client.force_login(people["county_admin"])  # with PII_VIEW: as written
    assert text(client.get(url)).count(PHONE) == 4


@pytest.mark.parametrize(
    ("name", "extra"),
    [("household_link", ()), ("problem_new", ()), ("project_link", ()), ("problem_resolve", ("problem",))],
)
def test_an_empty_post_is_refused_with_the_fields_messages(client, world, people, name, extra):
    sites = build_sites(world)
    args = [sites.town.pk]
    if extra:
        args.append(SiteProblem.objects.filter(site=sites.town, resolved_on__isnull=True).first().pk)
    client.force_login(people["county_admin"])
    response = client.post(reverse(f"relocation:{name}", args=args), {})
    form = response.context["form"]
    assert response.status_code == 400 and form.is_bound and form.errors
    # Each field's message is on the page (an unbound form would show none).
    for messages in form.errors.values():
        assert escape(messages[0]) in text(response)
