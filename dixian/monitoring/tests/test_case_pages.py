"""The case pages (docs/domain.md §20) through their views, with the test personas: the queue, the case
page's step actions, the home check on a phone, attachments, the phone reveal and the household timeline."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dixian.cases.models import Alert
from dixian.cases.tests.helpers import raise_alert
from dixian.common.models import AccessLog
from dixian.domain import lifecycle as lc
from dixian.monitoring.models import CaseAttachment, CaseTransition, MonitoringCase
from dixian.monitoring.services import attachment_add, case_open
from dixian.monitoring.testing import SMALL_PDF, walk_case
from dixian.registry.testing import household, step_actors

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def png(size=(8, 6)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: dropped by the re-encoding
    image.save(out, "PNG", exif=exif)
    return out.getvalue()


def open_case(world, people, h=None, **kwargs) -> MonitoringCase:
    return case_open(
        household=h or world.home,
        actor=people["township_reviewer"],  # opens for either village of the township
        origin="manual",
        reason="走访发现因病支出大",
        **kwargs,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the journey ----------------------------------------------------------------------------------------


def test_an_alert_walks_from_home_check_to_monitoring_through_the_pages(client, world, people):
    alert = raise_alert(world.home)
    case = case_open(household=world.home, actor=people["village_officer"], origin="alert", alerts=[alert])
    officer = people["village_officer"]
    client.force_login(officer)

    queue = page(client.get(reverse("monitoring:case_queue")))
    assert (
        "张三" in queue and "入户核实" in queue and reverse("monitoring:case_detail", args=[case.pk]) in queue
    )

    detail = page(client.get(reverse("monitoring:case_detail", args=[case.pk])))
    assert "填写入户核实" in detail and "入户核实" in detail and "信息比对" in detail

    # The home check comes filled in from the registry and the alert's evidence.
    url = reverse("monitoring:case_home_check", args=[case.pk])
    form = client.get(url).context["form"]
    assert form.initial["members"] == 2 and form.initial["labour"] == 2
    assert form.initial["risk_codes"] == ["01"] and form.initial["housing_ok"] == "yes"
    evidence_pk = alert.evidences.get().pk
    assert form.initial[f"evidence_{evidence_pk}"] is True
    assert "医疗个人负担" in page(client.get(url))

    data = {
        "seq": case.seq,
        "on": timezone.localdate().isoformat(),
        "members": 2,
        "labour": 1,
        "income_per_capita": "5200",
        "education_ok": "yes",
        "medical_ok": "yes",
        "housing_ok": "yes",
        "water_ok": "yes",
        "category": "edge",
        "risk_codes": ["01", "07"],
        f"evidence_{evidence_pk}": "on",
        "note": "住院费用自付较多",
    }
    # Without the signed authorisation the step is refused, with the service's reason, on the form.
    refused = client.post(url, data)
    assert refused.status_code == 200 and "承诺授权书" in page(refused)
    assert MonitoringCase.objects.get(pk=case.pk).state == lc.HOME_CHECK

    upload = SimpleUploadedFile("授权书.pdf", SMALL_PDF, content_type="application/pdf")
    done = client.post(url, {**data, "authorisation": upload})
    assert done.status_code == 302, page(done)
    case.refresh_from_db()
    assert case.state == lc.ASSET_CHECK and case.category == "edge" and case.risk_codes == ["01", "07"]
    step = case.transitions.get(action=CaseTransition.Action.ADVANCE)
    assert step.data["checklist"]["labour"] == 1 and step.data["checklist"]["evidence"] == {
        str(evidence_pk): True
    }
    assert case.attachments.get().kind == CaseAttachment.Kind.AUTHORISATION

    # The same form sent again (a second tab): the service's message, on the page, nothing written.
    again = client.post(url, {**data, "authorisation": SimpleUploadedFile("a.pdf", SMALL_PDF)}, follow=True)
    assert again.status_code == 200
    assert case.transitions.filter(action=CaseTransition.Action.ADVANCE).count() == 1

    # The next steps through the generic form, each by its owner.
    actors = step_actors(people)
    for expected in (lc.VILLAGE_REVIEW, lc.PUBLIC_NOTICE):
        client.force_login(actors[case.step.owner])
        response = client.post(
            reverse("monitoring:case_advance", args=[case.pk]),
            {"seq": case.seq, "on": timezone.localdate().isoformat(), "reason": "同意"},
            follow=True,
        )
        assert response.status_code == 200
        case.refresh_from_db()
        assert case.state == expected, messages_of(response)
    # The notice cannot close today: the reason is shown, the case stays.
    client.force_login(officer)
    response = client.post(
        reverse("monitoring:case_advance", args=[case.pk]),
        {"seq": case.seq, "on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert any("5个整天" in m for m in messages_of(response))
    assert MonitoringCase.objects.get(pk=case.pk).state == lc.PUBLIC_NOTICE

    # The household page tells the whole story in plain Chinese.
    profile = page(client.get(reverse("registry:household_detail", args=[world.home.pk])))
    assert "监测帮扶" in profile and "完成入户核实" in profile and "入户核实 → 信息比对" in profile
    assert "边缘易致贫户" in profile or "边缘" in profile
    assert "承诺授权书" in profile
    for code in ("home_check", "asset_check", "public_notice", "advance"):
        assert code not in profile.split("<main", 1)[1].replace('class="step-', ""), code


def test_send_back_and_refusal_through_the_page_need_a_reason(client, world, people):
    alert = raise_alert(world.home)
    case = case_open(household=world.home, actor=people["village_officer"], origin="alert", alerts=[alert])
    case = walk_case(case, lc.ASSET_CHECK, step_actors(people), start=timezone.localdate())
    client.force_login(people["county_reviewer"])
    url = reverse("monitoring:case_send_back", args=[case.pk])
    response = client.post(url, {"seq": case.seq, "to_state": lc.HOME_CHECK, "reason": ""}, follow=True)
    assert any("退回理由" in m for m in messages_of(response))
    # A step not earlier in the procedure is not offered and refused if typed in.
    response = client.post(url, {"seq": case.seq, "to_state": lc.ELIM_CHECK, "reason": "x"}, follow=True)
    assert any("此前的环节" in m for m in messages_of(response))
    response = client.post(
        url, {"seq": case.seq, "to_state": lc.HOME_CHECK, "reason": "授权书签字不清"}, follow=True
    )
    case.refresh_from_db()
    assert case.state == lc.HOME_CHECK and "授权书签字不清" in page(response)

    client.force_login(people["village_officer"])
    url = reverse("monitoring:case_refuse", args=[case.pk])
    response = client.post(url, {"seq": case.seq, "reason": "家庭有商品房两套"}, follow=True)
    case.refresh_from_db()
    alert.refresh_from_db()
    assert case.state == lc.REFUSED and alert.status == Alert.Status.DISMISSED
    assert "不予纳入" in page(response) and "家庭有商品房两套" in page(response)


def test_a_step_of_another_level_is_refused_with_a_message_and_no_form(client, world, people):
    case = open_case(world, people)
    for who in ("township_reviewer", "county_admin", "helper", "leader"):
        client.force_login(people[who])
        detail = client.get(reverse("monitoring:case_detail", args=[case.pk]))
        assert detail.status_code == 200 and not detail.context["may_act"], who
        assert reverse("monitoring:case_refuse", args=[case.pk]) not in page(detail)
        response = client.post(
            reverse("monitoring:case_refuse", args=[case.pk]), {"seq": case.seq, "reason": "x"}, follow=True
        )
        assert response.status_code == 200 and any("不能办理" in m for m in messages_of(response)), who
    assert MonitoringCase.objects.get(pk=case.pk).state == lc.HOME_CHECK
    # The home check page itself is the village's.
    client.force_login(people["township_reviewer"])
    assert client.get(reverse("monitoring:case_home_check", args=[case.pk])).status_code == 403


def test_the_date_of_each_step_form_is_filled_in_as_a_browser_reads_it(client, world, people):
    """An <input type="date"> takes only 2026-12-06; the locale's 2026/12/06 leaves it empty, and the
    required date then stops the browser from sending the form (found by the case journey in a browser)."""
    case = open_case(world, people)
    today = timezone.localdate().isoformat()
    client.force_login(people["village_officer"])
    home_check = page(client.get(reverse("monitoring:case_home_check", args=[case.pk])))
    assert f'type="date" name="on" value="{today}"' in home_check
    walk_case(case, lc.ASSET_CHECK, step_actors(people), start=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(people["county_reviewer"])
    detail = page(client.get(reverse("monitoring:case_detail", args=[case.pk])))
    assert f'type="date" name="on" value="{today}"' in detail


def test_a_double_click_writes_one_transition_and_says_so(client, world, people):
    case = walk_case(
        open_case(world, people),
        lc.VILLAGE_REVIEW,
        step_actors(people),
        start=timezone.localdate() - dt.timedelta(days=10),
    )
    client.force_login(people["village_officer"])
    url = reverse("monitoring:case_advance", args=[case.pk])
    form = {"seq": case.seq, "on": timezone.localdate().isoformat(), "reason": "评议通过"}
    assert client.post(url, form).status_code == 302
    second = client.post(url, form, follow=True)
    assert second.status_code == 200 and any("重复提交" in m for m in messages_of(second))
    assert case.transitions.filter(from_state=lc.VILLAGE_REVIEW).count() == 1
    # A form without its seq (a page from before, a hand-made request) is refused as stale.
    stale = client.post(url, {"on": timezone.localdate().isoformat()}, follow=True)
    assert any("页面已过期" in m for m in messages_of(stale))


# --- attachments ----------------------------------------------------------------------------------------


def test_attachments_are_checked_by_content_and_size(world, people, settings):
    case = open_case(world, people)
    officer = people["village_officer"]

    def add(name, data):
        return attachment_add(
            case=case,
            kind=CaseAttachment.Kind.AUTHORISATION,
            upload=SimpleUploadedFile(name, data),
            actor=officer,
        )

    from django.core.exceptions import ValidationError

    for name, data, message in (
        ("授权书.jpg", b"just text, not a photo", "不是 JPEG"),
        ("授权书.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "不完整"),
        (
            "授权书.pdf",
            SMALL_PDF.replace(b"/Pages 2 0 R", b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
            "脚本",
        ),
        ("big.png", png() + b"\0" * (10 * 1024 * 1024), "10 MB"),
        ("empty.png", b"", "空的"),
    ):
        with pytest.raises(ValidationError, match=message):
            add(name, data)
    assert not case.attachments.exists()
    photo = add("IMG_0001.png", png())
    pdf = add("scan.pdf", SMALL_PDF)
    stored = settings.MEDIA_ROOT / photo.path
    assert photo.path.startswith(f"cases/{case.pk}/") and stored.exists()
    assert photo.content_type == "image/png" and b"PhoneMaker" not in stored.read_bytes()
    assert (
        pdf.content_type == "application/pdf" and (settings.MEDIA_ROOT / pdf.path).read_bytes() == SMALL_PDF
    )
    # The township may not upload to a step that is the village's.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        attachment_add(
            case=case,
            kind=CaseAttachment.Kind.OTHER,
            upload=SimpleUploadedFile("x.png", png()),
            actor=people["township_reviewer"],
        )


def test_an_attachment_is_served_only_within_scope_never_cached(client, world, people):
    case = open_case(world, people)
    pdf = attachment_add(
        case=case,
        kind=CaseAttachment.Kind.AUTHORISATION,
        upload=SimpleUploadedFile("scan.pdf", SMALL_PDF),
        actor=people["village_officer"],
    )
    url = reverse("monitoring:attachment", args=[case.pk, pdf.pk])
    for who in ("village_officer", "helper", "county_reviewer", "leader"):
        client.force_login(people[who])
        response = client.get(url)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == SMALL_PDF
        assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(people["other_county_reviewer"])
    assert client.get(url).status_code == 404
    # Another case's attachment under this case's URL: 404 too.
    other = open_case(world, people, h=world.neighbour)
    client.force_login(people["county_reviewer"])
    assert client.get(reverse("monitoring:attachment", args=[other.pk, pdf.pk])).status_code == 404


def test_history_is_read_only_in_the_admin(client, world, people):
    from dixian.accounts.models import User

    case = open_case(world, people)
    transition = case.transitions.get()
    admin = User.objects.create_superuser("root", password="x", region=world.city)
    client.force_login(admin)
    change = reverse("admin:monitoring_casetransition_change", args=[transition.pk])
    assert client.get(change).status_code == 200  # shown, read-only
    assert client.post(change, {"reason": "改写"}).status_code == 403
    assert (
        client.post(reverse("admin:monitoring_casetransition_delete", args=[transition.pk])).status_code
        == 403
    )
    assert client.get(reverse("admin:monitoring_casetransition_add")).status_code == 403
    transition.refresh_from_db()
    assert transition.reason == "走访发现因病支出大"


# --- the phone --------------------------------------------------------------------------------------------


def test_the_phone_is_masked_and_revealed_only_on_an_audited_request(client, world, people):
    case = open_case(world, people)
    number = world.home.phone
    officer = people["village_officer"]
    client.force_login(officer)
    detail = page(client.get(reverse("monitoring:case_detail", args=[case.pk])))
    assert number not in detail and f"tel:{number}" not in detail and "138****0001" in detail
    assert "显示号码" in detail
    url = reverse("monitoring:phone_reveal", args=[case.pk])
    assert client.get(url).status_code == 405
    before = AccessLog.objects.filter(masked=False).count()
    revealed = client.post(url)
    assert revealed.status_code == 200 and f'href="tel:{number}"' in page(revealed)
    assert "no-store" in revealed["Cache-Control"]
    log = AccessLog.objects.filter(masked=False).latest("at")
    assert AccessLog.objects.filter(masked=False).count() == before + 1
    assert log.account_id == officer.pk and log.household_id == world.home.pk and "phone" in log.fields
    # htmx swaps the number in place.
    assert f"tel:{number}" in page(client.post(url, HTTP_HX_REQUEST="true"))
    # The case page after it masks again: the reveal was for that one response.
    assert number not in page(client.get(reverse("monitoring:case_detail", args=[case.pk])))

    # Without PHONE_REVEAL: 403; a helper only for its own households (others: 404, like a missing key).
    client.force_login(people["leader"])
    assert client.post(url).status_code == 403
    other = open_case(world, people, h=world.neighbour)
    client.force_login(people["helper"])
    assert client.post(url).status_code == 200
    assert client.post(reverse("monitoring:phone_reveal", args=[other.pk])).status_code == 404
    # With the personal-data right the number and its tel: link are simply there, no reveal needed.
    client.force_login(people["county_admin"])
    detail = page(client.get(reverse("monitoring:case_detail", args=[case.pk])))
    assert f'href="tel:{number}"' in detail and "显示号码" not in detail
    # A closed case offers no call.
    from dixian.monitoring.services import case_refuse

    case_refuse(case=case, actor=officer, seq=case.seq, reason="收入较高")
    client.force_login(officer)
    assert number not in page(client.post(url, follow=True))


# --- the queue ----------------------------------------------------------------------------------------------


def _cases(world, people, n: int) -> list[MonitoringCase]:
    from dixian.registry.models import HelperAssignment

    out = []
    today = timezone.localdate()
    for i in range(n):
        h = household(f"36042410020190{i:02d}", world.village, f"赵{i}", 100 + i)
        HelperAssignment.objects.create(household=h, helper=people["helper"], start_date=dt.date(2025, 1, 1))
        out.append(open_case(world, people, h=h, first_clue_on=today - dt.timedelta(days=i * 5)))
    return out


def test_the_queue_is_sorted_by_urgency_and_filtered(client, world, people):
    today = timezone.localdate()
    cases = _cases(world, people, 4)  # clues 0, 5, 10, 15 days ago: due in 15, 10, 5, 0 days
    overdue = open_case(world, people, h=world.neighbour, first_clue_on=today - dt.timedelta(days=20))
    monitored = walk_case(cases[0], lc.MONITORING, step_actors(people), start=today - dt.timedelta(days=14))
    client.force_login(people["county_reviewer"])
    rows = client.get(reverse("monitoring:case_queue")).context["rows"]
    assert [r.case.pk for r in rows] == [overdue.pk, cases[3].pk, cases[2].pk, cases[1].pk, monitored.pk]
    assert [r.deadline.colour for r in rows] == [lc.RED, lc.ORANGE, lc.GREEN, lc.GREEN, lc.GREEN]
    assert rows[0].deadline.text == "已超期 5 天" and rows[1].deadline.text == "今天到期"

    def shown(**query):
        return [r.case.pk for r in client.get(reverse("monitoring:case_queue"), query).context["rows"]]

    assert shown(deadline="red") == [overdue.pk]
    assert shown(deadline="orange") == [cases[3].pk]
    assert shown(state="monitoring") == [monitored.pk]
    assert shown(state="identifying") == [overdue.pk, cases[3].pk, cases[2].pk, cases[1].pk]
    assert shown(state="closed") == []
    assert shown(region=str(world.other_village.pk)) == [overdue.pk]
    # The cross-check is the county reviewer's: nothing is waiting for it yet.
    assert shown(mine="1") == []
    client.force_login(people["village_officer"])
    assert set(shown(mine="1")) == {cases[3].pk, cases[2].pk, cases[1].pk}
    assert shown(region=str(world.far_village.pk)) == shown()  # out of scope: ignored, with a notice
    # A bad filter is a notice, never an error page.
    assert client.get(reverse("monitoring:case_queue"), {"state": "nonsense", "page": "x"}).status_code == 200


def test_the_queue_and_the_household_panel_make_the_same_queries_for_more_rows(client, world, people):
    client.force_login(people["helper"])

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    queue = reverse("monitoring:case_queue")
    _cases(world, people, 1)
    few = queries(queue)
    _cases_more = [
        open_case(world, people, h=household(f"36042410020191{i:02d}", world.village, f"钱{i}", 200 + i))
        for i in range(6)
    ]
    from dixian.registry.models import HelperAssignment

    for c in _cases_more:
        HelperAssignment.objects.create(
            household=c.household, helper=people["helper"], start_date=dt.date(2025, 1, 1)
        )
    assert queries(queue) == few

    # The household page: one episode with two steps, then three episodes with many steps and uploads.
    client.force_login(people["county_admin"])
    profile = reverse("registry:household_detail", args=[world.home.pk])
    case = walk_case(
        open_case(world, people), lc.ASSET_CHECK, step_actors(people), start=timezone.localdate()
    )
    one = queries(profile)
    from dixian.monitoring.services import case_refuse

    case_refuse(case=case, actor=people["county_reviewer"], seq=case.seq, reason="收入较高")
    second = open_case(world, people)
    case_refuse(case=second, actor=people["village_officer"], seq=second.seq, reason="已外出务工")
    third = open_case(world, people)
    attachment_add(
        case=third,
        kind=CaseAttachment.Kind.HOME_CHECK,
        upload=SimpleUploadedFile("p.png", png()),
        actor=people["village_officer"],
    )
    walk_case(
        third, lc.PUBLIC_NOTICE, step_actors(people), start=timezone.localdate() - dt.timedelta(days=10)
    )
    assert queries(profile) == one
    text = page(client.get(profile))
    assert text.count("次监测帮扶") >= 3 and "已外出务工" in text and "入户核实照片" in text


def test_a_monitored_case_shows_its_path_done_and_asks_how_to_eliminate(client, world, people):
    today = timezone.localdate()
    case = walk_case(
        open_case(world, people), lc.MONITORING, step_actors(people), start=today - dt.timedelta(days=14)
    )
    client.force_login(people["village_officer"])
    response = client.get(reverse("monitoring:case_detail", args=[case.pk]))
    steps = response.context["steps"]
    assert [s.status for s in steps] == ["done"] * 7 + ["current"]
    text = page(response)
    assert "提出风险消除" in text and "帮扶消除" in text and "自然消除" in text
    # Proposed too early: the criteria's reason, on the page.
    response = client.post(
        reverse("monitoring:case_advance", args=[case.pk]),
        {"seq": case.seq, "on": today.isoformat(), "method": lc.ASSISTED},
        follow=True,
    )
    assert any("尚不符合风险消除条件" in m for m in messages_of(response))
    assert "边缘易致贫户" in page(response)
