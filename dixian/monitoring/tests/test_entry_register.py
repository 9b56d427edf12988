"""登记并发起监测 (docs/domain.md §20): a household not yet in the registry (a declarant, an 应纳未纳
record) is registered from what is known and taken into a case; region scope and capabilities hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.common.testing import fake_id
from dixian.declarations.models import Declaration
from dixian.declarations.services import DeclarationInput, declaration_submit
from dixian.monitoring.models import MonitoringCase
from dixian.registry.models import Household, Person

pytestmark = pytest.mark.django_db

FORM = {"name": "赵六", "kind": "ordinary", "labour_skill": "ordinary", "reason": "电话联系属实,拟入户核实"}


def unmatched(
    region, *, id_number: str = "", name: str = "吴十", event: dt.date | None = None
) -> UnmatchedRecord:
    return UnmatchedRecord.objects.create(
        feed="medical",
        record_key=f"UN-{name}",
        name=name,
        id_number=id_number,
        problem="not_found",
        reason="证件号码在农户信息库中不存在",
        event_date=event,
        region=region,
        region_code=region.code,
    )


def declared(village, id_number: str) -> Declaration:
    return declaration_submit(
        data=DeclarationInput(
            name="赵六",
            id_number=id_number,
            phone="13912345678",
            village=village,
            difficulty="illness",
            description="家里老人住院花了很多钱。",
            consent=True,
        ),
        ip="10.8.0.1",
    )


def test_an_unmatched_record_is_registered_and_its_case_opened(client, world, people):
    number = fake_id("360424", dt.date(1965, 3, 4), 77)
    record = unmatched(world.village, id_number=number, event=dt.date(2026, 11, 20))
    officer = people["village_officer"]
    client.force_login(officer)
    url = reverse("monitoring:unmatched_register", args=[record.pk])
    assert url in client.get(reverse("cases:unmatched_list")).content.decode()
    html = client.get(url).content.decode()
    assert "登记并发起监测" in html and number not in html  # masked for an account without the PII right
    response = client.post(url, {**FORM, "name": "吴十"})
    case = MonitoringCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "monitoring:case_detail", args=[case.pk]
    )
    household = case.household
    assert household.household_no == f"{world.village.code}L0001" and household.region == world.village
    head = Person.objects.get(household=household)
    assert (head.name, head.id_number, head.relation) == ("吴十", number, "head")
    assert case.origin == MonitoringCase.Origin.UNMATCHED and case.first_clue_on == dt.date(2026, 11, 20)
    record.refresh_from_db()
    assert record.status == UnmatchedRecord.Status.CLOSED and record.closed_by == officer
    assert household.household_no in record.close_note
    # A second time: the record is closed, nothing more is written.
    response = client.post(url, {**FORM, "name": "吴十"})
    assert response.status_code == 422 and "已核查完毕" in response.content.decode()
    assert Household.objects.filter(household_no__contains="L").count() == 1


def test_an_invalid_id_number_is_left_out_and_noted_on_the_case(client, world, people):
    record = unmatched(world.village, id_number="36042419650304123X", name="郑十一")
    client.force_login(people["township_reviewer"])
    url = reverse("monitoring:unmatched_register", args=[record.pk])
    assert "号码无效" in client.get(url).content.decode()
    assert client.post(url, {**FORM, "name": "郑十一"}).status_code == 302
    case = MonitoringCase.objects.get()
    assert not Person.objects.filter(household=case.household).exists()
    assert "户主 郑十一,证件号码待入户核实时补录" in case.origin_note


def test_bad_input_and_an_id_number_already_registered_are_refused_in_chinese(client, world, people):
    head = world.home.members.get(relation="head")
    record = unmatched(world.village, id_number=head.id_number, name=head.name)
    client.force_login(people["village_officer"])
    url = reverse("monitoring:unmatched_register", args=[record.pk])
    response = client.post(url, {"name": "", "kind": "x", "labour_skill": "", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 422
    assert "请填写户主姓名" in html and "户类型无效" in html and "请填写发起理由" in html
    response = client.post(url, FORM)
    assert response.status_code == 422 and "该证件号码已在系统中登记" in response.content.decode()
    # All or nothing: no household, no case, the record still open.
    assert (
        not MonitoringCase.objects.exists()
        and not Household.objects.filter(household_no__contains="L").exists()
    )
    assert UnmatchedRecord.objects.get(pk=record.pk).status == UnmatchedRecord.Status.OPEN


def test_scope_and_capabilities_hold(client, world, people):
    far = unmatched(world.far_village, name="远方")
    client.force_login(people["village_officer"])
    assert client.get(reverse("monitoring:unmatched_register", args=[far.pk])).status_code == 404
    assert client.post(reverse("monitoring:unmatched_register", args=[far.pk]), FORM).status_code == 404
    near = unmatched(world.village, name="近邻")
    client.force_login(people["leader"])  # reads, handles nothing
    assert client.post(reverse("monitoring:unmatched_register", args=[near.pk]), FORM).status_code == 403
    client.force_login(people["county_reviewer"])  # may check 应纳未纳 records, opens no case
    response = client.post(reverse("monitoring:unmatched_register", args=[near.pk]), FORM)
    assert response.status_code == 422 and "不能登记农户并发起监测帮扶档案" in response.content.decode()
    assert not MonitoringCase.objects.exists()


def test_a_declarant_not_in_the_registry_is_registered_from_the_declaration(client, world, people):
    number = fake_id("360424", dt.date(1980, 1, 1), 91)
    d = declared(world.village, number)
    alert = Alert.objects.get(evidences__declaration=d)
    assert alert.household is None
    officer = people["village_officer"]
    client.force_login(officer)
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert reverse("declarations:register", args=[d.pk]) in page
    response = client.post(reverse("declarations:register", args=[d.pk]), FORM)
    assert response.status_code == 302
    case = MonitoringCase.objects.get()
    alert.refresh_from_db()
    d.refresh_from_db()
    assert case.origin == MonitoringCase.Origin.DECLARATION and list(case.alerts.all()) == [alert]
    assert alert.household == case.household and alert.status == Alert.Status.PROPOSED
    assert AlertEvidence.objects.get(alert=alert).household == case.household
    assert d.household == case.household and d.status == Declaration.Status.VERIFYING
    assert case.first_clue_on == timezone.localdate(d.created_at)  # the platform's day, not UTC's
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert reverse("monitoring:case_detail", args=[case.pk]) in page
    assert reverse("declarations:register", args=[d.pk]) not in page
    # The alert page now offers 拟纳入 no more (the alert is the case's), and a second registration is refused.
    response = client.post(reverse("declarations:register", args=[d.pk]), FORM)
    assert response.status_code == 422 and MonitoringCase.objects.count() == 1


def test_the_queue_sends_an_unregistered_declarant_to_the_declaration(client, world, people):
    d = declared(world.village, fake_id("360424", dt.date(1980, 1, 1), 92))
    alert = Alert.objects.get(evidences__declaration=d)
    client.force_login(people["village_officer"])
    response = client.post(reverse("monitoring:alerts_propose"), {"alert": [alert.pk]}, follow=True)
    assert "申报人尚未在农户信息库中登记" in response.content.decode()
    assert not MonitoringCase.objects.exists()
