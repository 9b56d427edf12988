"""The notices (docs/domain.md §5, §20): what they list, what they never show, who may open them, and the
notice period that a case cannot cut short or skip."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dixian.accounts.models import Role, User
from dixian.cases.tests.helpers import raise_alert
from dixian.common.testing import persona
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import DISABILITY_CATEGORY, HEALTH_STATUS
from dixian.monitoring.models import MonitoringCase
from dixian.monitoring.notices import case_notice_panel, cn_date
from dixian.monitoring.services import case_advance, case_open, case_reject_elimination, case_send_back
from dixian.monitoring.testing import walk_case
from dixian.registry.models import HelperAssignment, Household, Person
from dixian.registry.testing import build_world, household, personas, step_actors

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def people(world):
    return personas(world)


def ill(h: Household) -> None:
    """The household's second member is seriously ill and disabled, with a phone of her own."""
    Person.objects.filter(household=h, relation="spouse").update(
        health_status="major_illness", disability_category="physical", disability_grade=2, phone="13912345678"
    )
    Household.objects.filter(pk=h.pk).update(has_illness=True, has_disability=True)


def opened(h: Household, people, **kwargs) -> MonitoringCase:
    alert = raise_alert(h, reason=f"{h.head_name}之妻患尿毒症,医疗个人负担 23,400 元")
    return case_open(household=h, actor=people["village_officer"], origin="alert", alerts=[alert], **kwargs)


def forbidden(households: list[Household]) -> dict[str, str]:
    """What a notice must never show of these households: ID numbers, phones, health (docs/domain.md §5)."""
    found: dict[str, str] = {}
    for h in households:
        if h.phone:
            found[h.phone] = "household phone"
        for m in h.members.all():
            found[m.id_number] = "ID number"
            if m.phone:
                found[m.phone] = "member phone"
            if m.health_status != "healthy":
                found[HEALTH_STATUS[m.health_status]] = "health status"
            if m.disability_category:
                found[DISABILITY_CATEGORY[m.disability_category]] = "disability"
                found[f"{m.disability_grade}级"] = "disability grade"
    found["尿毒症"] = "diagnosis from the alert"
    found["医疗个人负担"] = "medical costs from the alert"
    return found


def shown(text: str, secrets: dict[str, str]) -> list[str]:
    return [f"{what}: {secret}" for secret, what in secrets.items() if secret in text]


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    return "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for row in t.rows for c in row.cells]
    )


@pytest.fixture
def cases(world, people):
    """In 良塘村: 张三 (ill wife) in 村内公示, 赵六 (ill wife) in 风险消除公示; 李四 of 桃坪村 in 公示."""
    actors = step_actors(people)
    ill(world.home)
    zhao = household("3604241002010002", world.village, "赵六", 4)
    ill(zhao)
    # 赵六's wife is ill, he still works: the household has labour capacity and may be released.
    HelperAssignment.objects.create(household=zhao, helper=people["helper"], start_date=dt.date(2025, 1, 1))
    identification = walk_case(
        opened(world.home, people),
        lc.PUBLIC_NOTICE,
        actors,
        start=TODAY() - dt.timedelta(days=10),
        category="edge",
        risk_codes=("01", "03"),
    )
    elimination = walk_case(
        opened(zhao, people),
        lc.ELIM_NOTICE,
        actors,
        start=TODAY() - dt.timedelta(days=400),
        category="unstable_ex_poor",
        risk_codes=("01",),
    )
    # 李四's village has its own officer.
    actors_there = {
        **actors,
        "village": persona("taoping_officer", world.other_village, Role.VILLAGE_OFFICER),
    }
    neighbour = walk_case(
        case_open(household=world.neighbour, actor=None, origin="manual", reason="走访发现"),
        lc.PUBLIC_NOTICE,
        actors_there,
        start=TODAY() - dt.timedelta(days=10),
    )
    return identification, elimination, neighbour, zhao


def test_the_village_notice_lists_name_place_category_and_risks_and_nothing_private(
    client, world, people, cases
):
    identification, elimination, _, zhao = cases
    client.force_login(people["village_officer"])
    url = reverse("monitoring:notice_village", args=[world.village.code, "identification"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    posted = identification.notice_posted_on
    for expected in (
        "关于拟纳入防止返贫监测对象的公示",
        "张三",
        "良塘村",
        "边缘易致贫户",
        "因病、因残",
        "良塘村村民委员会",
        "义宁镇人民政府",
        "12317",
        f"{cn_date(posted)}至{cn_date(posted + dt.timedelta(days=5))}",
    ):
        assert expected in html, expected
    assert "赵六" not in html and "李四" not in html  # another notice, another village
    document = client.get(
        reverse("monitoring:notice_village_docx", args=[world.village.code, "identification"])
    )
    assert document.status_code == 200 and document["Content-Type"].startswith("application/vnd.openxml")
    text = docx_text(document.content)
    assert "张三" in text and "因病、因残" in text and "良塘村村民委员会" in text
    secrets = forbidden([world.home, zhao])
    assert {"ID number", "member phone", "health status", "disability"} <= set(secrets.values())
    assert not shown(html, secrets), shown(html, secrets)
    assert not shown(text, secrets), shown(text, secrets)
    # The check is real: a notice that printed a member's ID number or her illness would be caught.
    spouse = world.home.members.get(relation="spouse")
    assert shown(text + spouse.id_number + HEALTH_STATUS[spouse.health_status], secrets)


def test_the_elimination_notice_shows_the_method(client, world, people, cases):
    _, elimination, _, zhao = cases
    client.force_login(people["village_officer"])
    html = client.get(
        reverse("monitoring:notice_village", args=[world.village.code, "elimination"])
    ).content.decode()
    assert "关于拟消除防止返贫监测对象返贫致贫风险的公示" in html
    assert "赵六" in html and "帮扶消除" in html and "脱贫不稳定户" in html and "张三" not in html
    text = docx_text(
        client.get(
            reverse("monitoring:notice_village_docx", args=[world.village.code, "elimination"])
        ).content
    )
    assert "赵六" in text and "帮扶消除" in text and "消除方式" in text
    assert not shown(html + text, forbidden([zhao, world.home]))


def test_the_township_announcement_lists_the_approved_households_of_its_villages(
    client, world, people, cases
):
    identification, _, neighbour, _ = cases
    actors = step_actors(people)
    HelperAssignment.objects.create(
        household=world.neighbour, helper=people["helper"], start_date=dt.date(2025, 1, 1)
    )
    walk_case(identification, lc.ANNOUNCEMENT, actors, start=TODAY() - dt.timedelta(days=2))
    there = {**actors, "village": User.objects.get(username="taoping_officer")}
    walk_case(neighbour, lc.ANNOUNCEMENT, there, start=TODAY() - dt.timedelta(days=2))
    client.force_login(people["township_reviewer"])
    url = reverse("monitoring:notice_township", args=[world.township.code])
    html = client.get(url, {"on": TODAY().isoformat()}).content.decode()
    assert "关于纳入防止返贫监测对象的公告" in html and "义宁镇人民政府" in html
    assert "张三" in html and "李四" in html and "桃坪村" in html and "公告时间" in html
    text = docx_text(
        client.get(reverse("monitoring:notice_township_docx", args=[world.township.code])).content
    )
    assert "张三" in text and "李四" in text
    assert not shown(html + text, forbidden([world.home, world.neighbour]))


def test_notices_are_scoped_by_region(client, world, people, cases):
    village_identification = ("monitoring:notice_village", [world.other_village.code, "identification"])
    for who, name, args, status in (
        ("village_officer", *village_identification, 404),  # the neighbouring village
        ("village_officer", "monitoring:notice_township", [world.township.code], 404),  # the whole township
        ("other_county_reviewer", "monitoring:notice_village", [world.village.code, "identification"], 404),
        (
            "other_county_reviewer",
            "monitoring:notice_village_docx",
            [world.village.code, "identification"],
            404,
        ),
        ("township_reviewer", *village_identification, 200),
        ("county_reviewer", "monitoring:notice_township", [world.township.code], 200),
        ("village_officer", "monitoring:notice_village", [world.village.code, "no_such_kind"], 404),
        ("village_officer", "monitoring:notice_village", [world.township.code, "identification"], 404),
        ("department_uploader", "monitoring:notice_village", [world.village.code, "identification"], 403),
    ):
        client.force_login(people[who])
        response = client.get(reverse(name, args=args))
        assert response.status_code == status, (who, name, args, response.status_code)
        if status == 404:
            assert "张三" not in response.content.decode() and "李四" not in response.content.decode()


def test_an_empty_notice_says_so_and_offers_no_document(client, world, people):
    client.force_login(people["village_officer"])
    html = client.get(
        reverse("monitoring:notice_village", args=[world.village.code, "elimination"])
    ).content.decode()
    assert "本村目前没有处于公示期的农户" in html and "docx" not in html
    assert (
        client.get(
            reverse("monitoring:notice_village_docx", args=[world.village.code, "elimination"])
        ).status_code
        == 404
    )


def test_the_case_panel_links_to_the_notice_of_its_step(world, people, cases):
    identification, elimination, _, _ = cases
    panel = case_notice_panel(people["village_officer"], identification)["case_notice"]
    assert panel["url"].startswith(
        reverse("monitoring:notice_village", args=[world.village.code, "identification"])
    )
    assert f"posted={identification.notice_posted_on.isoformat()}" in panel["url"]
    assert "elimination" in case_notice_panel(people["village_officer"], elimination)["case_notice"]["url"]
    html = render_to_string("monitoring/panels/notices.html", {"case_notice": panel})
    assert panel["url"].replace("&", "&amp;") in html and "村内公示" in html and "起可结束公示" in html
    walk_case(identification, lc.ANNOUNCEMENT, step_actors(people), start=TODAY() - dt.timedelta(days=3))
    announced = MonitoringCase.objects.select_related("region").get(pk=identification.pk)
    assert case_notice_panel(people["township_reviewer"], announced)["case_notice"]["url"] == reverse(
        "monitoring:notice_township", args=[world.township.code]
    )
    # The village's account cannot open the township's notice: no link that would answer 404.
    assert case_notice_panel(people["village_officer"], announced)["case_notice"]["url"] == ""
    monitored = walk_case(announced, lc.MONITORING, step_actors(people), start=TODAY())
    assert case_notice_panel(people["village_officer"], monitored)["case_notice"] is None


# ---- the notice period (docs/domain.md §20): five full days, never skipped ---------------------------------


def test_the_notice_closes_on_the_sixth_day_not_the_fifth(world, people):
    case = case_open(household=world.home, actor=None, origin="manual", reason="走访发现")
    posted = TODAY() - dt.timedelta(days=6)
    case = walk_case(case, lc.PUBLIC_NOTICE, step_actors(people), start=posted - dt.timedelta(days=2))
    assert case.notice_posted_on == posted
    officer = people["village_officer"]
    with pytest.raises(ValidationError, match="5个整天"):
        case_advance(case=case, actor=officer, seq=case.seq, on=posted + dt.timedelta(days=5))
    case = case_advance(case=case, actor=officer, seq=case.seq, on=posted + dt.timedelta(days=6))
    assert case.state == lc.TOWNSHIP_REVIEW
    assert case.transitions.get(from_state=lc.PUBLIC_NOTICE).data["notice"] == {
        "posted_on": posted.isoformat(),
        "closed_on": (posted + dt.timedelta(days=6)).isoformat(),
    }


def test_the_notice_cannot_be_skipped(world, people):
    case = case_open(household=world.home, actor=None, origin="manual", reason="走访发现")
    case = walk_case(case, lc.VILLAGE_REVIEW, step_actors(people), start=TODAY() - dt.timedelta(days=2))
    # The review's completion leads into the notice, posted that day, never past it.
    case = case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=TODAY())
    assert case.state == lc.PUBLIC_NOTICE and case.notice_posted_on == TODAY()
    with pytest.raises(ValidationError, match="5个整天"):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=TODAY())
    # A notice without a posting day (it was never posted) cannot be closed at all.
    MonitoringCase.objects.filter(pk=case.pk).update(notice_posted_on=None)
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="公示尚未开始"):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=TODAY())
    assert MonitoringCase.objects.get(pk=case.pk).state == lc.PUBLIC_NOTICE
    assert (
        lc.next_state(lc.VILLAGE_REVIEW) == lc.PUBLIC_NOTICE
        and lc.next_state(lc.ELIM_REVIEW) == lc.ELIM_NOTICE
    )


def test_a_case_sent_back_before_the_notice_is_posted_again_for_five_full_days(world, people):
    case = case_open(household=world.home, actor=None, origin="manual", reason="走访发现")
    actors = step_actors(people)
    case = walk_case(case, lc.TOWNSHIP_REVIEW, actors, start=TODAY() - dt.timedelta(days=20))
    case = case_send_back(
        case=case,
        actor=people["township_reviewer"],
        seq=case.seq,
        to_state=lc.VILLAGE_REVIEW,
        reason="评议记录缺少参会人员签字",
    )
    assert case.notice_posted_on is None
    case = case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=TODAY())
    assert case.notice_posted_on == TODAY()
    with pytest.raises(ValidationError, match="5个整天"):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=TODAY())


def test_the_elimination_notice_keeps_its_five_full_days_too(world, people):
    case = case_open(household=world.home, actor=None, origin="manual", reason="走访发现")
    case = walk_case(case, lc.ELIM_NOTICE, step_actors(people), start=TODAY() - dt.timedelta(days=400))
    # walk_case ran the elimination up to today at the latest; re-post it today to test the boundary.
    case = case_reject_elimination(
        case=case, actor=people["village_officer"], seq=case.seq, reason="重新核实"
    )
    # A step is never dated before the rejection (today): the new proposal and its steps are done today.
    officer = people["village_officer"]
    case = case_advance(case=case, actor=officer, seq=case.seq, on=TODAY(), method=lc.ASSISTED)
    case = case_advance(case=case, actor=officer, seq=case.seq, on=TODAY())
    case = case_advance(case=case, actor=officer, seq=case.seq, on=TODAY())
    assert case.state == lc.ELIM_NOTICE and case.notice_posted_on == TODAY()
    with pytest.raises(ValidationError, match="5个整天"):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=TODAY())
