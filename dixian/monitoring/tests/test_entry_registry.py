"""监测对象类别 belongs to the case (docs/domain.md §20): the household form does not offer it, the import
changes it on a registered household only as the national system's record of a monitored household (with
its 识别时间), and such a household becomes a case in 监测帮扶中 with that history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.domain import lifecycle as lc
from dixian.monitoring.models import CaseTransition, MonitoringCase
from dixian.registry.imports import registry_import
from dixian.registry.models import Household, ImportBatch
from dixian.registry.tests.workbooks import family, write_workbook

pytestmark = pytest.mark.django_db
NO = "3604241002010201"


def run(tmp_path: Path, rows, world, name: str = "book.xlsx", headers=None) -> ImportBatch:
    path = write_workbook(tmp_path / name, rows, headers=headers)
    return registry_import(path=path, actor=None, region=world.county)


def test_the_household_form_does_not_offer_the_category(client, world, people):
    client.force_login(people["village_officer"])
    url = reverse("registry:household_edit", args=[world.home.pk])
    html = client.get(url).content.decode()
    assert 'name="monitoring_category"' not in html and 'name="housing_grade"' in html
    client.post(url, {"kind": "ex_poor", "year_out_of_poverty": 2018, "monitoring_category": "sudden"})
    world.home.refresh_from_db()
    assert world.home.monitoring_category == ""


def test_a_household_imported_as_monitored_becomes_a_case_in_monitoring(tmp_path, world):
    rows = family(NO, monitoring_category="脱贫不稳定户", identified_on=dt.date(2024, 3, 15))
    batch = run(tmp_path, rows, world, headers={"identified_on": "识别纳入时间"})
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    household = Household.objects.get(household_no=NO)
    case = MonitoringCase.objects.get(household=household)
    assert household.monitoring_category == "unstable_ex_poor"
    assert (case.state, case.origin, case.category) == (
        lc.MONITORING,
        MonitoringCase.Origin.IMPORT,
        "unstable_ex_poor",
    )
    assert case.identified_on == dt.date(2024, 3, 15) and case.region == world.village
    assert case.transitions.get().action == CaseTransition.Action.IMPORT
    # The same file again: the household already has its case, nothing more.
    batch = run(tmp_path, rows, world, name="again.xlsx", headers={"identified_on": "识别时间"})
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert MonitoringCase.objects.filter(household=household).count() == 1


def test_the_import_cannot_change_a_registered_households_category(tmp_path, world):
    assert run(tmp_path, family(NO), world).status == ImportBatch.Status.IMPORTED
    batch = run(tmp_path, family(NO, monitoring_category="突发严重困难户"), world, name="change.xlsx")
    assert batch.status == ImportBatch.Status.REJECTED
    reasons = [e["reason"] for e in batch.errors]
    assert any("只能随监测帮扶档案" in r and "识别时间" in r for r in reasons), reasons
    assert Household.objects.get(household_no=NO).monitoring_category == ""
    assert not MonitoringCase.objects.exists()


def test_an_identification_time_needs_a_category_and_a_past_date(tmp_path, world):
    future = timezone.localdate() + dt.timedelta(days=30)
    rows = family(NO, identified_on=dt.date(2024, 3, 15)) + family(
        "3604241002010202", first_seq=20, monitoring_category="脱贫不稳定户", identified_on=future
    )
    batch = run(tmp_path, rows, world)
    assert batch.status == ImportBatch.Status.REJECTED
    reasons = {e["reason"] for e in batch.errors}
    assert "填写了识别时间的农户,请同时填写监测对象类别" in reasons
    assert "识别时间不能晚于今天" in reasons
    assert not Household.objects.filter(household_no__in=[NO, "3604241002010202"]).exists()
