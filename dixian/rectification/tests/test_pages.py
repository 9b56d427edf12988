"""The rectification pages (docs/domain.md §25): the scoped list and its filters, a constant number of queries,
the finding's page with its history, the forms' refusals shown on the form, evidence served only in scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.monitoring.testing import SMALL_PDF
from dixian.rectification import services
from dixian.rectification.models import Finding, FindingTask

from .helpers import done, finding, pdf, task

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_the_list_shows_the_units_findings_only(client, world, people):
    mine = finding(world, people["county_admin"], title="良塘村问题")
    far = finding(world, people["city_admin"], region=world.far_village, title="城西村问题")
    client.force_login(people["county_reviewer"])
    page = text(client.get(reverse("rectification:finding_list")))
    assert mine.title in page and far.title not in page
    assert client.get(reverse("rectification:finding_detail", args=[far.pk])).status_code == 404
    client.force_login(people["leader"])
    page = text(client.get(reverse("rectification:finding_list")))
    assert mine.title in page and far.title in page


def test_a_village_doing_a_county_task_sees_the_finding(client, world, people):
    f = finding(world, people["county_admin"], region=world.county, title="县级问题")
    client.force_login(people["village_officer"])
    assert client.get(reverse("rectification:finding_detail", args=[f.pk])).status_code == 404
    task(world, people["county_admin"], f)  # owned by the village
    assert client.get(reverse("rectification:finding_detail", args=[f.pk])).status_code == 200


def test_the_list_filters(client, world, people):
    admin = people["county_admin"]
    a = finding(world, admin, title="国考问题甲", source=Finding.Source.NATIONAL, category="责任落实")
    b = finding(
        world, admin, title="省考问题乙", source=Finding.Source.PROVINCIAL, region=world.other_village
    )
    task(world, admin, b, days=-2)  # past its deadline: the finding is overdue
    type(world.other_village).objects.filter(pk=world.other_village.pk).update(is_key_village=True)
    client.force_login(admin)
    url = reverse("rectification:finding_list")
    page = text(client.get(url, {"source": "national"}))
    assert a.title in page and b.title not in page
    page = text(client.get(url, {"category": "责任落实"}))
    assert a.title in page and b.title not in page
    page = text(client.get(url, {"overdue": "on"}))
    assert b.title in page and a.title not in page and "1 项任务超期" in page
    page = text(client.get(url, {"key": "on"}))
    assert b.title in page and a.title not in page and "重点帮扶村" in page
    page = text(client.get(url, {"region": [world.township.pk, world.village.pk]}))
    assert a.title in page and b.title not in page
    page = text(client.get(url, {"status": "nonsense"}))
    assert "「状态」的取值无效,已忽略。" in page


def test_the_list_takes_the_same_number_of_queries_for_more_findings(
    client, world, people, django_assert_max_num_queries
):
    admin = people["county_admin"]
    for i in range(3):
        task(world, admin, finding(world, admin, title=f"问题{i}"))
    client.force_login(admin)
    url = reverse("rectification:finding_list")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(30):
        task(world, admin, finding(world, admin, title=f"更多问题{i}", region=world.other_village))
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_the_detail_shows_tasks_reviews_and_history(client, world, people):
    admin = people["county_admin"]
    f = finding(world, admin)
    t = task(world, admin, f)
    services.reviewers_add(actor=admin, finding=f, reviewers=[people["county_reviewer"]])
    done(people["village_officer"], t)
    client.force_login(people["county_reviewer"])
    page = text(client.get(reverse("rectification:finding_detail", args=[f.pk])))
    assert t.title in page and "整改照片.pdf" in page and "联审中" in page
    assert "登记问题" in page and "分解任务" in page and "提交联审" in page  # the history
    assert 'id="review-form"' in page


def test_closing_a_task_without_evidence_is_refused_on_the_form(client, world, people):
    f = finding(world, people["county_admin"])
    t = task(world, people["county_admin"], f)
    client.force_login(people["village_officer"])
    url = reverse("rectification:task_close", args=[f.pk, t.pk])
    response = client.post(url, {"done_on": timezone.localdate().isoformat()})
    assert response.status_code == 400 and "还没有佐证材料" in text(response)
    up = reverse("rectification:evidence_upload", args=[f.pk, t.pk])
    assert client.post(up, {"file": pdf(), "note": "村委会照片"}).status_code == 302
    assert client.post(url, {"done_on": timezone.localdate().isoformat()}).status_code == 302
    t.refresh_from_db()
    assert t.status == FindingTask.Status.DONE


def test_evidence_is_served_only_to_accounts_that_open_the_finding(client, world, people):
    f = finding(world, people["county_admin"])
    t = task(world, people["county_admin"], f)
    ev = services.evidence_add(actor=people["village_officer"], task=t, upload=pdf())
    url = reverse("rectification:evidence_file", args=[f.pk, ev.pk])
    client.force_login(people["county_reviewer"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == SMALL_PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(people["other_county_reviewer"])
    assert client.get(url).status_code == 404


def test_review_and_close_through_the_pages(client, world, people):
    admin = people["county_admin"]
    f = finding(world, admin)
    done(people["village_officer"], task(world, admin, f))
    client.force_login(admin)
    response = client.post(
        reverse("rectification:reviewers_add", args=[f.pk]), {"reviewers": [people["county_reviewer"].pk]}
    )
    assert response.status_code == 302
    f.refresh_from_db()
    assert f.status == Finding.Status.REVIEW
    client.post(reverse("rectification:finding_close", args=[f.pk]))
    f.refresh_from_db()
    assert f.status == Finding.Status.REVIEW  # refused: the reviewer has not signed
    client.force_login(people["county_reviewer"])
    response = client.post(
        reverse("rectification:review", args=[f.pk]), {"decision": "sent_back", "reason": ""}
    )
    assert response.status_code == 400 and "请填写退回理由" in text(response)
    client.post(reverse("rectification:review", args=[f.pk]), {"decision": "signed"})
    client.force_login(admin)
    client.post(reverse("rectification:finding_close", args=[f.pk]))
    f.refresh_from_db()
    assert f.status == Finding.Status.CLOSED


def test_new_finding_form(client, world, people):
    client.force_login(people["county_admin"])
    url = reverse("rectification:finding_new")
    data = {
        "source": "unannounced",
        "category": "工作落实",
        "title": "暗访发现帮扶干部不熟悉帮扶户",
        "region": world.village.pk,
        "found_on": "2026-03-01",
        "household_nos": world.home.household_no + "\n3604281002010001",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "3604281002010001" in text(response)  # another county's
    data["household_nos"] = world.home.household_no
    response = client.post(url, data)
    assert response.status_code == 302
    f = Finding.objects.get(title=data["title"])
    assert list(f.households.all()) == [world.home]
