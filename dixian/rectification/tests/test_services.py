"""The rules of the rectification ledger (docs/domain.md §25): evidence before a task closes, joint review
before a finding closes, send-backs reopen with their reason, scope, and the history of every step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dixian.rectification import services
from dixian.rectification.models import Finding, FindingEvent, FindingReviewer, FindingTask

from .helpers import done, finding, pdf, task

pytestmark = pytest.mark.django_db


def test_a_task_without_evidence_is_not_closed(world, people):
    f = finding(world, people["county_admin"])
    t = task(world, people["county_admin"], f)
    with pytest.raises(ValidationError) as exc:
        services.task_close(actor=people["village_officer"], task=t, done_on=timezone.localdate())
    assert "还没有佐证材料" in str(exc.value)
    t.refresh_from_db()
    assert t.status == FindingTask.Status.OPEN


def test_evidence_is_checked_by_its_content(world, people):
    f = finding(world, people["county_admin"])
    t = task(world, people["county_admin"], f)
    fake = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.evidence_add(actor=people["village_officer"], task=t, upload=fake)
    assert "不是 JPEG、PNG 或 WebP" in str(exc.value)
    big = SimpleUploadedFile(
        "大.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024), content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as exc:
        services.evidence_add(actor=people["village_officer"], task=t, upload=big)
    assert "超过 10 MB" in str(exc.value)
    assert t.evidence.count() == 0


def test_a_task_of_another_village_is_not_the_village_officers(world, people):
    f = finding(world, people["county_admin"], region=world.other_village)
    t = task(world, people["county_admin"], f, region=world.other_village)
    with pytest.raises(PermissionDenied):
        services.evidence_add(actor=people["village_officer"], task=t, upload=pdf())


def test_the_journey_from_tasks_to_joint_review_and_closing(world, people):
    admin, officer = people["county_admin"], people["village_officer"]
    f = finding(world, admin)
    t1, t2 = task(world, admin, f), task(world, admin, f, title="补录帮扶措施")
    services.reviewers_add(actor=admin, finding=f, reviewers=[people["county_reviewer"], people["leader"]])
    done(officer, t1)
    f.refresh_from_db()
    assert f.status == Finding.Status.OPEN  # one task still open
    done(officer, t2)
    f.refresh_from_db()
    assert f.status == Finding.Status.REVIEW
    services.review_sign(actor=people["county_reviewer"], finding=f)
    with pytest.raises(ValidationError) as exc:
        services.finding_close(actor=admin, finding=f)
    assert "还有 1 位联审人未签署同意" in str(exc.value) and "leader" in str(exc.value)
    services.review_sign(actor=people["leader"], finding=f)
    services.finding_close(actor=admin, finding=f)
    f.refresh_from_db()
    assert f.status == Finding.Status.CLOSED and f.closed_on == timezone.localdate()
    kinds = list(f.events.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds[0] == FindingEvent.Kind.RAISED and kinds[-1] == FindingEvent.Kind.CLOSED
    assert kinds.count(FindingEvent.Kind.EVIDENCE) == 2 and kinds.count(FindingEvent.Kind.SIGNED) == 2
    assert FindingEvent.Kind.TO_REVIEW in kinds


def test_a_send_back_reopens_the_finding_with_its_reason(world, people):
    admin, officer = people["county_admin"], people["village_officer"]
    f = finding(world, admin)
    t = task(world, admin, f)
    services.reviewers_add(actor=admin, finding=f, reviewers=[people["county_reviewer"], people["leader"]])
    done(officer, t)
    services.review_sign(actor=people["leader"], finding=f)
    with pytest.raises(ValidationError) as exc:
        services.review_send_back(actor=people["county_reviewer"], finding=f, reason="  ")
    assert "请填写退回理由" in str(exc.value)
    services.review_send_back(actor=people["county_reviewer"], finding=f, reason="照片看不清门牌")
    f.refresh_from_db()
    t.refresh_from_db()
    assert f.status == Finding.Status.OPEN and t.status == FindingTask.Status.OPEN
    assert not f.reviewers.filter(decision=FindingReviewer.Decision.SIGNED).exists()  # signatures cleared
    assert f.events.filter(kind=FindingEvent.Kind.SENT_BACK, summary__contains="照片看不清门牌").exists()
    with pytest.raises(ValidationError):
        services.finding_close(actor=admin, finding=f)
    # Done again only on new evidence (the old is kept), reviewed again, closed.
    with pytest.raises(ValidationError) as exc:
        services.task_close(actor=officer, task=t, done_on=timezone.localdate())
    assert "联审退回后还没有上传新的佐证材料" in str(exc.value)
    done(officer, t)
    with pytest.raises(ValidationError) as exc:  # a done task takes no more evidence
        services.evidence_add(actor=officer, task=t, upload=pdf())
    assert "该任务已完成" in str(exc.value)
    for r in ("county_reviewer", "leader"):
        services.review_sign(actor=people[r], finding=f)
    services.finding_close(actor=admin, finding=f)


def test_only_named_reviewers_sign(world, people):
    admin = people["county_admin"]
    f = finding(world, admin)
    done(people["village_officer"], task(world, admin, f))
    services.reviewers_add(actor=admin, finding=f, reviewers=[people["county_reviewer"]])
    with pytest.raises(PermissionDenied):
        services.review_sign(actor=people["leader"], finding=f)


def test_a_reviewer_must_see_the_finding(world, people):
    f = finding(world, people["county_admin"])
    with pytest.raises(ValidationError) as exc:
        services.reviewers_add(
            actor=people["county_admin"], finding=f, reviewers=[people["other_county_reviewer"]]
        )
    assert "other_county_reviewer" in str(exc.value)
    assert not f.reviewers.exists()


def test_a_finding_without_reviewers_or_tasks_is_not_closed(world, people):
    admin = people["county_admin"]
    f = finding(world, admin)
    with pytest.raises(ValidationError) as exc:
        services.finding_close(actor=admin, finding=f)
    assert "整改任务尚未全部完成" in str(exc.value)
    done(people["village_officer"], task(world, admin, f))
    f.refresh_from_db()
    assert f.status == Finding.Status.OPEN  # no reviewers: not under review yet
    with pytest.raises(ValidationError) as exc:
        services.finding_close(actor=admin, finding=f)
    assert "还没有指定联审人" in str(exc.value)


def test_a_finding_outside_the_subtree_is_refused(world, people):
    with pytest.raises(ValidationError) as exc:
        finding(world, people["county_admin"], region=world.far_village)
    assert "不在您的管辖范围内" in str(exc.value)


def test_dates_are_checked(world, people):
    with pytest.raises(ValidationError) as exc:
        finding(world, people["county_admin"], deadline=dt.date(2025, 1, 1))
    assert "整改时限不能早于发现日期" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        finding(world, people["county_admin"], found_on=timezone.localdate() + dt.timedelta(days=1))
    assert "发现日期不能晚于今天" in str(exc.value)


def test_finding_raise_files_an_origin_once(world, people):
    kwargs = dict(
        actor=None,
        source=Finding.Source.SUPERVISION,
        category="工作落实",
        title="驻村工作队在岗不足",
        region=world.village,
        found_on=dt.date(2026, 2, 1),
        origin_key="supervision.visit:1",
    )
    first, created = services.finding_raise(**kwargs)
    again, created_again = services.finding_raise(**kwargs)
    assert created and not created_again and first.pk == again.pk
    assert Finding.objects.count() == 1 and first.events.count() == 1


def test_next_due_follows_the_running_deadlines(world, people):
    admin = people["county_admin"]
    f = finding(world, admin)  # deadline in 30 days
    assert f.next_due == f.deadline
    t = task(world, admin, f, days=-3)
    f.refresh_from_db()
    assert f.next_due == t.deadline  # an open task past its deadline: overdue
    services.reviewers_add(actor=admin, finding=f, reviewers=[people["county_reviewer"]])
    done(people["village_officer"], t)
    f.refresh_from_db()
    assert f.next_due == f.deadline
    services.review_send_back(actor=people["county_reviewer"], finding=f, reason="重做")
    f.refresh_from_db()
    assert f.next_due == t.deadline  # the task reopened
    done(people["village_officer"], t)
    services.review_sign(actor=people["county_reviewer"], finding=f)
    services.finding_close(actor=admin, finding=f)
    f.refresh_from_db()
    assert f.next_due is None


def test_a_task_is_split_only_by_an_account_holding_the_finding_and_owned_in_its_county(world, people):
    # A task's owner lies in the finding's county (docs/domain.md §25), even for the city's administrator.
    # A city finding with a task owned by a village of the county: the county administrator sees the finding
    # through that task (§25 Scope) but may not split it further.
    city_admin, county_admin = people["city_admin"], people["county_admin"]
    f = finding(world, county_admin)
    with pytest.raises(ValidationError) as exc:
        task(world, city_admin, f, region=world.far_village)
    assert "责任单位须在问题所在县" in str(exc.value)
    city = world.village.parent.parent.parent
    assert city.code.endswith("00000000")
    city_finding = finding(world, city_admin, region=city)
    task(world, city_admin, city_finding, region=world.village)
    with pytest.raises(ValidationError) as exc:
        task(world, county_admin, city_finding, region=world.village)
    assert "不在您的管辖范围内" in str(exc.value)
