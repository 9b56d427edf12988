"""Records without a usable ID number: linked probabilistically before the engine runs, and links that
hold (automatic or accepted by a reviewer) make the record count for the person."""

from __future__ import annotations

import datetime as dt

import pytest

from dixian.cases.models import AlertEvidence, UnmatchedRecord
from dixian.feeds.models import LinkCandidate
from dixian.screening.models import ScreeningRun
from dixian.screening.services import screening_run

from .run_fixtures import PERIOD, deliver, head, medical_row

pytestmark = pytest.mark.django_db


def run():
    return screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL)


def test_an_unlinked_delivery_is_linked_before_screening(world):
    person = head(world.home)
    delivery = deliver(
        "medical",
        [
            medical_row(
                None,
                "JS201",
                8000,
                name=person.name,
                id_number="3.60424E+17",
                sex="男",
                birth_date=person.birth_date,
                village_code=world.village.code,
            )
        ],
        region=world.county,
        linked=False,
    )
    run()
    delivery.refresh_from_db()
    assert delivery.linked_at is not None
    candidate = LinkCandidate.objects.filter(record_key="JS201").first()
    evidence = AlertEvidence.objects.filter(household=world.home, record_keys=["JS201"])
    if candidate is not None and candidate.status == LinkCandidate.Status.AUTO:
        assert candidate.person == person and evidence.exists()
    else:  # waiting for review or below the lower threshold: listed, never dropped
        assert not evidence.exists()
        assert UnmatchedRecord.objects.filter(record_key="JS201").exists()


@pytest.mark.parametrize(
    ("status", "counts"),
    [("auto", True), ("accepted", True), ("pending", False), ("rejected", False)],
)
def test_only_automatic_and_accepted_links_count(world, status, counts):
    person = head(world.home)
    delivery = deliver(
        "medical", [medical_row(None, "JS301", 8000, name=person.name, id_number=None)], region=world.county
    )
    LinkCandidate.objects.create(
        delivery=delivery,
        feed="medical",
        record_key="JS301",
        name=person.name,
        birth_date=dt.date(1970, 1, 1),
        person=person,
        region_code=person.region_code,
        match_probability=0.97,
        status=status,
    )
    result = run()
    evidence = AlertEvidence.objects.filter(household=world.home, record_keys=["JS301"])
    assert evidence.exists() is counts
    assert UnmatchedRecord.objects.filter(record_key="JS301").exists() is not counts
    assert result.status == "done"
