"""The writes of docs/domain.md §24: what each refuses, with which reason, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dixian.common.models import ChangeLog
from dixian.monitoring.testing import SMALL_PDF
from dixian.regions.models import Region
from dixian.registry.services import household_update
from dixian.relocation import services
from dixian.relocation.models import RelocationSite, SiteHousehold, SiteProblem, SiteProject

from .helpers import build_sites, site

pytestmark = pytest.mark.django_db

SITE = {"name": "良塘安置小区", "kind": "village", "persons_planned": 120, "households_planned": 30}


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


# ---- sites ----------------------------------------------------------------------------------------------


def test_a_site_takes_the_county_of_its_place_and_is_logged(world, people):
    made = services.site_save(actor=people["county_admin"], data=SITE, region=world.village)
    assert (made.county, made.region_code) == (world.county, world.village.code)
    assert ChangeLog.objects.filter(entity="relocation_site", entity_id=made.pk, action="create").exists()


def test_a_site_name_is_unique_within_its_county_only(world, people):
    services.site_save(actor=people["county_admin"], data=SITE, region=world.village)
    with pytest.raises(ValidationError) as exc:
        services.site_save(actor=people["county_admin"], data=SITE, region=world.other_village)
    assert "修水县已有名为「良塘安置小区」的安置点" in messages(exc)
    site(world.far_village, "良塘安置小区")  # the same name in another county is another site
    assert RelocationSite.objects.filter(name="良塘安置小区").count() == 2


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": " "}, "name", "请填写安置点名称"),
        ({"kind": "castle"}, "kind", "安置方式"),
        ({"built_year": 1980}, "built_year", "建成年度须在1990年"),
        ({"persons_planned": 10, "households_planned": 30}, "persons_planned", "安置人数不能少于安置户数"),
        ({"chief_phone": "12345"}, "chief_phone", "不是有效的电话号码"),
    ],
)
def test_bad_site_facts_are_refused_with_the_reason(world, people, data, field, words):
    with pytest.raises(ValidationError) as exc:
        services.site_save(actor=people["county_admin"], data={**SITE, **data}, region=world.village)
    assert words in " ".join(exc.value.message_dict[field])
    assert not RelocationSite.objects.exists()


def test_a_site_outside_the_subtree_or_at_a_group_is_refused(world, people):
    with pytest.raises(ValidationError) as exc:
        services.site_save(actor=people["township_reviewer"], data=SITE, region=world.far_village)
    assert "不在您的管辖范围内" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.site_save(actor=people["county_admin"], data=SITE, region=world.city)
    assert "须为县(市、区)、乡镇或村" in messages(exc)


def test_only_the_edit_capability_writes(world, people):
    for name in ("village_officer", "county_reviewer", "leader"):
        with pytest.raises(PermissionDenied):
            services.site_save(actor=people[name], data=SITE, region=world.village)


def test_an_edit_is_logged_without_the_phone(world, people):
    made = services.site_save(actor=people["county_admin"], data=SITE, region=world.village)
    services.site_save(
        actor=people["county_admin"],
        site=made,
        data={**SITE, "chief_phone": "139 1234 5678"},
        region=world.village,
    )
    made.refresh_from_db()
    assert made.chief_phone == "13912345678"
    entry = ChangeLog.objects.get(entity="relocation_site", action="update")
    assert entry.changes["chief_phone"] == ["***", "***"]
    assert "13912345678" not in str(entry.changes)


def test_a_site_with_projects_cannot_move_to_another_county(world):
    from dixian.common.testing import persona

    sites = build_sites(world)
    # An account whose subtree holds both counties and may edit (the role's map, given at the city for the test).
    city_editor = persona("city_editor", world.city, "county_admin")
    data = {f: getattr(sites.town, f) for f in services.SITE_FIELDS}
    with pytest.raises(ValidationError) as exc:
        services.site_save(actor=city_editor, site=sites.town, data=data, region=world.far_village)
    assert "已关联后续扶持项目" in messages(exc)
    sites.town.refresh_from_db()
    assert sites.town.county == world.county
    SiteProject.objects.filter(site=sites.town).delete()
    moved = services.site_save(actor=city_editor, site=sites.town, data=data, region=world.far_village)
    assert (moved.county, moved.region_code) == (world.other_county, world.far_village.code)


def test_a_moved_site_takes_its_problems_and_project_links_along(world):
    from dixian.common.testing import persona, region

    sites = build_sites(world)
    zhajin = region("360424101000", "渣津镇", "township", world.county)
    data = {f: getattr(sites.town, f) for f in services.SITE_FIELDS}
    services.site_save(
        actor=persona("county_editor", world.county, "county_admin"),
        site=sites.town,
        data=data,
        region=zhajin,
    )
    assert set(SiteProblem.objects.filter(site=sites.town).values_list("region_code", flat=True)) == {
        zhajin.code
    }
    assert set(SiteProject.objects.filter(site=sites.town).values_list("region_code", flat=True)) == {
        zhajin.code
    }
    # The new township's account now resolves the site's problems (docs/domain.md §24).
    township_editor = persona("zhajin_editor", zhajin, "county_admin")
    open_problem = SiteProblem.objects.filter(site=sites.town, resolved_on__isnull=True).first()
    assert open_problem is not None
    done = services.problem_resolve(
        actor=township_editor,
        problem=open_problem,
        resolution="已整改",
        resolved_on=dt.date(2026, 3, 25),
        evidence=pdf(),
    )
    assert done.resolved_on == dt.date(2026, 3, 25)


# ---- households -----------------------------------------------------------------------------------------


def test_households_are_linked_by_number_in_one_go_and_logged(world, people):
    made = services.site_save(actor=people["county_admin"], data=SITE, region=world.village)
    text = f"{world.home.household_no}\n{world.neighbour.household_no}，{world.home.household_no}"
    links = services.households_link(
        actor=people["county_admin"], site=made, numbers=text, moved_in=dt.date(2020, 5, 1)
    )
    assert sorted(link.household_id for link in links) == sorted([world.home.pk, world.neighbour.pk])
    assert set(SiteHousehold.objects.values_list("region_code", flat=True)) == {
        world.village.code,
        world.other_village.code,
    }
    assert ChangeLog.objects.filter(entity="site_household", household_id=world.home.pk).exists()


def test_one_bad_number_refuses_the_whole_list_with_every_reason(world, people):
    sites = build_sites(world)
    made = services.site_save(actor=people["county_admin"], data=SITE, region=world.village)
    before = SiteHousehold.objects.count()
    text = f"{world.home.household_no} {world.far.household_no} 9999"
    with pytest.raises(ValidationError) as exc:
        services.households_link(actor=people["county_admin"], site=made, numbers=text)
    reasons = exc.value.message_dict["household_nos"]
    assert f"户编号「{world.home.household_no}」(张三户)已登记在安置点「{sites.town.name}」" in reasons[0]
    assert f"户编号「{world.far.household_no}」在您辖区的农户信息库中不存在" in reasons[1]
    assert "户编号「9999」在您辖区的农户信息库中不存在" in reasons[2]
    assert "本次填写的 3 户均未登记" in reasons[-1]
    assert SiteHousehold.objects.count() == before


def test_linking_refuses_an_empty_list_a_future_date_and_a_second_time(world, people):
    made = services.site_save(actor=people["county_admin"], data=SITE, region=world.village)
    with pytest.raises(ValidationError, match="请填写要登记的户编号"):
        services.households_link(actor=people["county_admin"], site=made, numbers=" ，")
    with pytest.raises(ValidationError, match="入住日期不能晚于今天"):
        services.households_link(
            actor=people["county_admin"],
            site=made,
            numbers=world.home.household_no,
            moved_in=timezone.localdate() + dt.timedelta(days=1),
        )
    services.households_link(actor=people["county_admin"], site=made, numbers=world.home.household_no)
    with pytest.raises(ValidationError, match="已登记在本安置点"):
        services.households_link(actor=people["county_admin"], site=made, numbers=[world.home.household_no])


def test_a_township_links_no_household_of_another_township(world, people):
    township_site = site(world.township, "义宁新村")
    with pytest.raises(ValidationError, match="不存在"):
        services.households_link(
            actor=people["township_reviewer"], site=township_site, numbers=world.far.household_no
        )


def test_unlink_is_logged_on_the_household(world, people):
    sites = build_sites(world)
    link = SiteHousehold.objects.get(household=world.home)
    services.household_unlink(actor=people["county_admin"], link=link)
    assert not SiteHousehold.objects.filter(household=world.home).exists()
    assert ChangeLog.objects.filter(
        entity="site_household", household_id=world.home.pk, action="delete"
    ).exists()
    assert sites.town.households.count() == 2


def test_a_moved_household_takes_its_link_along(world, people):
    build_sites(world)
    household_update(actor=None, household=world.home, data={}, region=world.other_village)
    assert SiteHousehold.objects.get(household=world.home).region_code == world.other_village.code


# ---- problems -------------------------------------------------------------------------------------------


def problem(world, people, **extra):
    made = site(world.village, "良塘安置小区")
    data: dict[str, Any] = {
        "category": "facilities",
        "description": "排水不畅",
        "found_on": dt.date(2026, 3, 1),
        "owner": "镇政府",
        "deadline": dt.date(2026, 4, 1),
    } | extra
    return services.problem_add(actor=people["county_admin"], site=made, **data)


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        (
            {"found_on": dt.date(2099, 1, 1), "deadline": dt.date(2099, 2, 1)},
            "found_on",
            "发现日期不能晚于今天",
        ),
        ({"deadline": dt.date(2026, 2, 1)}, "deadline", "整改时限(2026-02-01)不能早于发现日期(2026-03-01)"),
        ({"owner": "  "}, "owner", "请填写整改责任单位"),
        ({"category": "nothing"}, "category", "请从选项中选择问题类别"),
        ({"description": ""}, "description", "请填写问题描述"),
    ],
)
def test_a_problem_is_refused_with_the_reason(world, people, extra, field, words):
    with pytest.raises(ValidationError) as exc:
        problem(world, people, **extra)
    assert words in " ".join(exc.value.message_dict[field])
    assert not SiteProblem.objects.exists()


def pdf(name: str = "整改照片.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SMALL_PDF, content_type="application/pdf")


def test_a_problem_is_resolved_with_its_evidence_stored_once(world, people):
    found = problem(world, people)
    done = services.problem_resolve(
        actor=people["county_admin"],
        problem=found,
        resolution="已疏通排水沟",
        resolved_on=dt.date(2026, 3, 25),
        evidence=pdf(),
    )
    assert done.resolved_on == dt.date(2026, 3, 25)
    assert done.evidence.startswith(f"relocation/problems/{found.pk}/") and done.evidence.endswith(".pdf")
    assert default_storage.exists(done.evidence)
    assert services.evidence_content_type(done) == "application/pdf"
    with pytest.raises(ValidationError, match="已于 2026-03-25 整改销号"):
        services.problem_resolve(
            actor=people["county_admin"],
            problem=done,
            resolution="再次",
            resolved_on=dt.date(2026, 3, 26),
            evidence=pdf(),
        )


@pytest.mark.parametrize(
    ("resolution", "resolved_on", "evidence", "field", "words"),
    [
        ("已疏通", dt.date(2026, 2, 1), "pdf", "resolved_on", "不能早于发现日期"),
        ("已疏通", dt.date(2099, 1, 1), "pdf", "resolved_on", "不能晚于今天"),
        ("", dt.date(2026, 3, 5), "pdf", "resolution", "请填写整改情况"),
        ("已疏通", dt.date(2026, 3, 5), None, "evidence", "请上传整改佐证材料"),
        ("已疏通", dt.date(2026, 3, 5), "text", "evidence", "不是 JPEG、PNG 或 WebP"),
    ],
)
def test_a_resolution_is_refused_with_the_reason_and_stores_nothing(
    world, people, resolution, resolved_on, evidence, field, words
):
    found = problem(world, people)
    upload = {"pdf": pdf(), "text": SimpleUploadedFile("a.txt", b"hello"), None: None}[evidence]
    with pytest.raises(ValidationError) as exc:
        services.problem_resolve(
            actor=people["county_admin"],
            problem=found,
            resolution=resolution,
            resolved_on=resolved_on,
            evidence=upload,
        )
    assert words in " ".join(exc.value.message_dict[field])
    found.refresh_from_db()
    assert found.resolved_on is None and found.evidence == ""
    assert not default_storage.exists(f"relocation/problems/{found.pk}")


# ---- projects -------------------------------------------------------------------------------------------


def test_a_project_is_linked_once_and_only_in_the_sites_county(world, people):
    from dixian.funds.testing import planned_project

    sites = build_sites(world)
    made = site(world.village, "良塘安置小区")
    with pytest.raises(ValidationError, match="已关联到安置点「义宁镇幸福家园」"):
        services.project_link(actor=people["county_admin"], site=made, code=sites.project.code)
    with pytest.raises(ValidationError, match="已关联到本安置点"):
        services.project_link(actor=people["county_admin"], site=sites.town, code=sites.project.code)
    elsewhere = planned_project(world.far_village, code="DC-1")
    with pytest.raises(ValidationError, match="在您辖区的项目库中不存在"):
        services.project_link(actor=people["county_admin"], site=made, code=elsewhere.code)
    own = planned_project(world.village, code="XS-9")
    link = services.project_link(actor=people["county_admin"], site=made, code=" XS-9 ")
    assert (link.project, link.region_code) == (own, made.region_code)
    services.project_unlink(actor=people["county_admin"], link=link)
    assert not SiteProject.objects.filter(project=own).exists()


def test_a_far_project_of_the_subtree_outside_the_sites_county_is_refused(world):
    from dixian.common.testing import persona
    from dixian.funds.testing import planned_project

    made = site(world.village, "良塘安置小区")
    elsewhere = planned_project(world.far_village, code="DC-1")
    # An account whose subtree holds both counties (a city account given the edit right for the test).
    city_editor = persona("city_editor", world.city, "county_admin")
    with pytest.raises(ValidationError, match="不在安置点所在县"):
        services.project_link(actor=city_editor, site=made, code=elsewhere.code)
    assert Region.objects.filter(code=world.city.code).exists()
