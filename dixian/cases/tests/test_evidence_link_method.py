"""Evidence rows and the alert page say how each record was linked to the person (docs/feeds.md §五)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dixian.cases.evidence_rows import METHOD_HEADER, evidence_rows
from dixian.cases.models import Alert, AlertEvidence
from dixian.domain import idnumber
from dixian.domain.linkmethods import LinkMethod, exact_method, percent
from dixian.feeds.models import LinkCandidate
from dixian.screening.models import ScreeningRun
from dixian.screening.services import screening_run
from dixian.screening.tests.run_fixtures import PERIOD, deliver, head

pytestmark = pytest.mark.django_db


def _illness(name: str, id_number: str | None, disease: str) -> dict:
    return {"name": name, "id_number": id_number, "disease": disease, "diagnosis_date": dt.date(2026, 10, 8)}


def test_the_alert_page_says_a_record_with_a_mistyped_number_was_linked_by_name_and_number(
    client, world, people
):
    person = head(world.home)
    typed = person.id_number[:6] + ("2" if person.id_number[6] != "2" else "3") + person.id_number[7:]
    assert not idnumber.checksum_ok(typed)
    # A name-and-ID-only feed (卫健委: name, number, disease, date), its number mistyped at the 7th digit.
    deliver("major_illness", [_illness(person.name, typed, "恶性肿瘤")], region=world.county, linked=False)
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL)
    [candidate] = LinkCandidate.objects.all()
    assert (candidate.person, candidate.status, candidate.method) == (person, "auto", "id_edit")
    assert (candidate.edit_kind, candidate.edit_position) == ("substitution", 7)
    alert = Alert.objects.get(household=world.home, risk_code="01")
    evidence = AlertEvidence.objects.get(alert=alert, feed="major_illness")
    assert evidence.record_keys == [f"{person.name}|{typed}|恶性肿瘤|2026-10-08"]
    client.force_login(people["county_admin"])  # 大病 is health data: shown with the right only
    html = client.get(reverse("cases:alert_detail", args=[alert.pk])).content.decode()
    assert METHOD_HEADER in html
    assert "证件号码有一位录错(第7位),按姓名和证件号码匹配" in html


def test_every_way_of_linking_reads_in_plain_chinese(world):
    person = head(world.home)
    pid = person.id_number
    rows = [
        _illness(person.name, pid, "甲病"),  # as it stands
        _illness(person.name, " " + pid[:6] + " " + pid[6:], "乙病"),  # cleaned
        _illness(person.name, pid[:6] + pid[8:17], "丙病"),  # old 15 digits
        _illness(person.name, "3.60424E+17", "丁病"),  # linked by probability, then confirmed
        _illness(person.name, None, "戊病"),  # linked by probability
    ]
    delivery = deliver("major_illness", rows, region=world.county)
    keys = {
        "甲病": f"{person.name}|{pid}|甲病|2026-10-08",
        "乙病": f"{person.name}|{pid}|乙病|2026-10-08",
        "丙病": f"{person.name}|{pid}|丙病|2026-10-08",
        "丁病": f"{person.name}|3.60424E+17|丁病|2026-10-08",
        "戊病": f"{person.name}||戊病|2026-10-08",
    }
    for disease, status, p in (("丁病", "accepted", 0.72), ("戊病", "auto", 0.9731)):
        LinkCandidate.objects.create(
            delivery=delivery,
            feed="major_illness",
            record_key=keys[disease],
            name=person.name,
            person=person,
            region_code=person.region_code,
            match_probability=p,
            status=status,
            method="probabilistic",
        )
    shown = evidence_rows(delivery, list(keys.values()), pii=True)
    assert shown.headers[-1] == METHOD_HEADER
    methods = {row[shown.headers.index("病种")]: row[-1] for row in shown.rows}
    assert methods == {
        "甲病": "按证件号码匹配",
        "乙病": "按证件号码匹配(号码经规范化)",
        "丙病": "按证件号码匹配(15位旧号升为18位)",
        "丁病": "经人工确认(候选来自:概率匹配(72%))",
        "戊病": "概率匹配(97%)",
    }


def test_link_method_texts():
    assert LinkMethod("id_edit", edit_kind="substitution", edit_position=18).text == (
        "证件号码有一位录错(第18位),按姓名和证件号码匹配"
    )
    assert LinkMethod("id_edit", edit_kind="transposition", edit_position=7).text == (
        "证件号码第7、8位前后颠倒,按姓名和证件号码匹配"
    )
    assert LinkMethod("reviewer", found_by="id_edit", edit_kind="substitution", edit_position=3).text == (
        "经人工确认(候选来自:证件号码有一位录错(第3位),按姓名和证件号码匹配)"
    )
    assert (percent(0.92), percent(0.9999), percent(1.0), percent(0.005)) == ("92%", "99%", "100%", "0%")
    pid = idnumber.upgrade15("360424700101123")
    assert exact_method(pid) == "id"
    assert exact_method(" " + pid) == "normalised_id"
    assert exact_method(pid[:5] + "１" + pid[6:]) == ("normalised_id" if pid[5] == "1" else None)
    assert exact_method("360424700101123") == "id15"
    x_id = next(i for i in (idnumber.upgrade15(f"3604247001011{s:02d}") for s in range(100)) if i[-1] == "X")
    assert (exact_method(x_id), exact_method(x_id.lower())) == ("id", "normalised_id")
    assert exact_method(pid[:-1] + ("0" if pid[-1] != "0" else "1")) is None  # check digit wrong
    assert exact_method("3.60424E+17") is None and exact_method("") is None and exact_method(None) is None
