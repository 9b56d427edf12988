"""Linkage stored and reviewed: deliveries_link, the county reviewer's queue, accept / reject."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dixian.common.access import mask_id_number
from dixian.common.models import ChangeLog, Job
from dixian.feeds.linkage_store import deliveries_link
from dixian.feeds.models import FeedDelivery, LinkCandidate
from dixian.registry.models import Person
from dixian.registry.testing import World
from dixian.screening.engine import core as engine_core
from dixian.screening.engine import default_rules

pytestmark = pytest.mark.django_db

MEDICAL_SCHEMA = pa.schema(
    [
        ("settlement_no", pa.string()),
        ("name", pa.string()),
        ("id_number", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("village_code", pa.string()),
        ("visit_type", pa.string()),
        ("settlement_date", pa.date32()),
        ("total_cost", pa.decimal128(18, 2)),
        ("out_of_pocket", pa.decimal128(18, 2)),
    ]
)


def medical_row(
    no: str, name: str, *, id_number: str | None, birth: dt.date, village: str, sex: str = "男"
) -> dict:
    from decimal import Decimal

    return {
        "settlement_no": no,
        "name": name,
        "id_number": id_number,
        "sex": sex,
        "birth_date": birth,
        "village_code": village,
        "visit_type": "住院",
        "settlement_date": dt.date(2026, 10, 8),
        "total_cost": Decimal("30000.00"),
        "out_of_pocket": Decimal("25000.00"),
    }


def delivery_with(
    world: World, rows: list[dict], tmp_path: Path, *, checksum: str = "a" * 64
) -> FeedDelivery:
    path = tmp_path / f"{checksum[:8]}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=MEDICAL_SCHEMA), path)
    return FeedDelivery.objects.create(
        feed="medical",
        period="2026-10",
        channel=FeedDelivery.Channel.GENERATED,
        region=world.county,
        checksum=checksum,
        row_count=len(rows),
        rows_file=str(path),
        status=FeedDelivery.Status.ACCEPTED,
    )


def registry_persons() -> pa.Table:
    rows: list[Any] = list(
        Person.objects.values(
            "id_number", "name", "sex", "birth_date", "region_code", "household__household_no"
        )
    )
    return pa.Table.from_pylist(
        [{**r, "household_no": r.pop("household__household_no")} for r in rows],
        schema=pa.schema(
            [
                ("id_number", pa.string()),
                ("name", pa.string()),
                ("sex", pa.string()),
                ("birth_date", pa.date32()),
                ("region_code", pa.string()),
                ("household_no", pa.string()),
            ]
        ),
    )


@pytest.fixture
def linked(world: World, tmp_path: Path) -> FeedDelivery:
    """A 医保 delivery: the home head without ID (exact), misspelt (review), a far stranger, a clean row."""
    home_head = world.home.members.get(relation="head")
    neighbour_head = world.neighbour.members.get(relation="head")
    rows = [
        medical_row("JS001", "张三", id_number=None, birth=dt.date(1970, 1, 1), village=world.village.code),
        medical_row(
            "JS002", "张叁", id_number="3.60424E+17", birth=dt.date(1970, 1, 1), village=world.village.code
        ),
        medical_row(
            "JS003", "李肆", id_number="", birth=dt.date(1970, 1, 1), village=world.other_village.code
        ),
        medical_row("JS004", "赵六", id_number=None, birth=dt.date(1981, 3, 3), village=world.village.code),
        medical_row(
            "JS005",
            home_head.name,
            id_number=home_head.id_number,
            birth=dt.date(1970, 1, 1),
            village=world.village.code,
        ),
    ]
    delivery = delivery_with(world, rows, tmp_path)
    assert neighbour_head.name == "李四"
    deliveries_link(deliveries=[delivery], persons=registry_persons())
    return delivery


def test_deliveries_link_stores_automatic_and_pending_candidates(world, linked):
    home_head = world.home.members.get(relation="head")
    neighbour_head = world.neighbour.members.get(relation="head")
    got = {(c.record_key, c.person_id, c.status) for c in LinkCandidate.objects.all()}
    assert got == {
        ("JS001", home_head.pk, LinkCandidate.Status.AUTO),
        ("JS002", home_head.pk, LinkCandidate.Status.PENDING),
        ("JS003", neighbour_head.pk, LinkCandidate.Status.PENDING),
    }
    pending = LinkCandidate.objects.get(record_key="JS002")
    assert (pending.name, pending.id_number_raw, pending.village, pending.region_code) == (
        "张叁",
        "3.60424E+17",
        world.village.code,
        home_head.region_code,
    )
    assert 0.6 <= pending.match_probability < 0.95
    linked.refresh_from_db()
    assert linked.linked_at is not None
    assert ChangeLog.objects.filter(entity="feed_delivery", entity_id=linked.pk).count() == 1


def test_linking_again_keeps_earlier_candidates_and_decisions(world, linked, tmp_path):
    c = LinkCandidate.objects.get(record_key="JS002")
    c.status = LinkCandidate.Status.REJECTED
    c.save()
    same_rows = pq.read_table(linked.rows_path).to_pylist()
    again = delivery_with(world, same_rows, tmp_path, checksum="b" * 64)
    deliveries_link(deliveries=[again], persons=registry_persons())
    assert LinkCandidate.objects.count() == 3
    assert LinkCandidate.objects.get(record_key="JS002").status == LinkCandidate.Status.REJECTED


def test_a_delivery_without_rows_to_link_is_marked_linked(world, tmp_path):
    head = world.home.members.get(relation="head")
    delivery = delivery_with(
        world,
        [
            medical_row(
                "JS9", head.name, id_number=head.id_number, birth=head.birth_date, village=world.village.code
            )
        ],
        tmp_path,
    )
    assert deliveries_link(deliveries=[delivery], persons=registry_persons()) == 0
    delivery.refresh_from_db()
    assert delivery.linked_at is not None
    assert not LinkCandidate.objects.exists()


def test_record_keys_are_those_the_screening_engine_links_by(world, tmp_path):
    # A composite key (name|id_number|disease|date for 卫健 major illness): the stored candidate's key must be
    # the one screen() looks up in its links table, or the link would silently do nothing.
    path = tmp_path / "major.parquet"
    pq.write_table(
        pa.table(
            {
                "name": ["张三"],
                "id_number": pa.array([None], pa.string()),
                "sex": ["男"],
                "birth_date": pa.array([dt.date(1970, 1, 1)], pa.date32()),
                "village_code": [world.village.code],
                "disease": ["尿毒症"],
                "diagnosis_date": pa.array([dt.date(2026, 10, 3)], pa.date32()),
            }
        ),
        path,
    )
    delivery = FeedDelivery.objects.create(
        feed="major_illness",
        period="2026-10",
        channel=FeedDelivery.Channel.GENERATED,
        region=world.county,
        checksum="c" * 64,
        row_count=1,
        rows_file=str(path),
        status=FeedDelivery.Status.ACCEPTED,
    )
    deliveries_link(deliveries=[delivery], persons=registry_persons())
    candidate = LinkCandidate.objects.get()
    assert candidate.status == LinkCandidate.Status.AUTO
    households = pa.Table.from_pylist(
        [
            {
                "household_no": h.household_no,
                "region_code": h.region_code,
                "kind": h.kind,
                "head_name": h.head_name,
            }
            for h in (world.home, world.neighbour, world.far)
        ]
    )
    persons = registry_persons()
    links = pa.table(
        {
            "feed": [candidate.feed],
            "record_key": [candidate.record_key],
            "id_number": [candidate.person.id_number],
        }
    )
    rules = [r for r in default_rules() if r.rule_id == "R03"]
    without = engine_core.screen(
        {"households": households, "persons": persons}, {"major_illness": str(path)}, rules, "2026-10"
    )
    with_links = engine_core.screen(
        {"households": households, "persons": persons},
        {"major_illness": str(path)},
        rules,
        "2026-10",
        links=links,
    )
    assert without.alerts.num_rows == 0 and without.unmatched.num_rows == 1
    assert with_links.unmatched.num_rows == 0
    assert with_links.alerts.column("household_no").to_pylist() == [world.home.household_no]


# The queue ------------------------------------------------------------------------------------------


def test_the_queue_shows_pending_candidates_in_scope_side_by_side_and_masked(client, world, people, linked):
    home_head = world.home.members.get(relation="head")
    client.force_login(people["county_reviewer"])
    page = client.get(reverse("links:queue")).content.decode()
    assert "张叁" in page and "李肆" in page and "赵六" not in page
    assert "JS001" not in page  # automatic links are not in the queue
    assert home_head.id_number not in page
    assert mask_id_number(home_head.id_number) in page
    assert "3.60424E+17" not in page and mask_id_number("3.60424E+17") in page


def test_an_account_that_may_see_personal_data_sees_the_numbers(client, world, people, linked):
    client.force_login(people["county_admin"])
    page = client.get(reverse("links:queue")).content.decode()
    assert world.home.members.get(relation="head").id_number in page
    assert "3.60424E+17" in page


def test_a_reviewer_of_another_county_sees_none_of_them(client, people, linked):
    client.force_login(people["other_county_reviewer"])
    page = client.get(reverse("links:queue")).content.decode()
    assert "张叁" not in page and "李肆" not in page
    candidate = LinkCandidate.objects.get(record_key="JS002")
    response = client.post(reverse("links:decide", args=[candidate.pk]), {"decision": "accept"})
    assert response.status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == LinkCandidate.Status.PENDING


@pytest.mark.parametrize(
    "persona", ["village_officer", "township_reviewer", "helper", "leader", "department_uploader"]
)
def test_other_roles_may_not_review(client, people, linked, persona):
    client.force_login(people[persona])
    assert client.get(reverse("links:queue")).status_code == 403
    candidate = LinkCandidate.objects.get(record_key="JS002")
    assert (
        client.post(reverse("links:decide", args=[candidate.pk]), {"decision": "accept"}).status_code == 403
    )
    assert client.post(reverse("links:decide", args=[10**9]), {"decision": "accept"}).status_code == 403


def test_the_queue_takes_the_same_queries_for_any_page_size(
    client, world, people, linked, django_assert_num_queries
):
    client.force_login(people["county_reviewer"])
    client.get(reverse("links:queue"))  # session and account loaded once
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("links:queue"))
    head = world.neighbour.members.get(relation="head")
    LinkCandidate.objects.bulk_create(
        LinkCandidate(
            delivery=linked,
            feed="medical",
            record_key=f"X{i}",
            name="李四",
            person=head,
            region_code=head.region_code,
            match_probability=0.7,
            status=LinkCandidate.Status.PENDING,
        )
        for i in range(30)
    )
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("links:queue"))
    assert response.content.decode().count('class="card link-candidate"') == 20  # one page
    assert (
        client.get(reverse("links:queue"), {"page": 2}).content.decode().count('class="card link-candidate"')
        == 12
    )


# Decisions ------------------------------------------------------------------------------------------


def test_accepting_a_candidate_records_who_rejects_the_others_and_rescreens(client, world, people, linked):
    reviewer = people["county_reviewer"]
    chosen = LinkCandidate.objects.get(record_key="JS002")
    rival = LinkCandidate.objects.create(
        delivery=linked,
        feed="medical",
        record_key="JS002",
        name="张叁",
        person=world.home.members.get(relation="spouse"),
        region_code=world.home.region_code,
        match_probability=0.65,
        status=LinkCandidate.Status.PENDING,
    )
    client.force_login(reviewer)
    response = client.post(reverse("links:decide", args=[chosen.pk]), {"decision": "accept"})
    assert response.status_code == 302
    chosen.refresh_from_db()
    rival.refresh_from_db()
    assert (chosen.status, chosen.decided_by, chosen.decided_at is not None) == (
        LinkCandidate.Status.ACCEPTED,
        reviewer,
        True,
    )
    assert (rival.status, rival.decided_by) == (LinkCandidate.Status.REJECTED, reviewer)
    logs = ChangeLog.objects.filter(entity="link_candidate").order_by("entity_id")
    assert [(log.entity_id, log.changes["status"], log.actor) for log in logs] == [
        (chosen.pk, ["pending", "accepted"], reviewer),
        (rival.pk, ["pending", "rejected"], reviewer),
    ]
    assert logs[0].household_id == world.home.pk
    job = Job.objects.get(kind="screen_delivery")
    assert (job.params["delivery_ids"], job.owner) == ([linked.pk], reviewer)


def test_rejecting_a_candidate_leaves_the_others_and_rescreens(client, people, linked):
    candidate = LinkCandidate.objects.get(record_key="JS003")
    client.force_login(people["county_reviewer"])
    client.post(reverse("links:decide", args=[candidate.pk]), {"decision": "reject"})
    candidate.refresh_from_db()
    assert candidate.status == LinkCandidate.Status.REJECTED
    assert LinkCandidate.objects.get(record_key="JS002").status == LinkCandidate.Status.PENDING
    assert Job.objects.filter(kind="screen_delivery").count() == 1


def test_htmx_decision_answers_with_the_decided_card(client, people, linked):
    candidate = LinkCandidate.objects.get(record_key="JS002")
    client.force_login(people["county_reviewer"])
    response = client.post(
        reverse("links:decide", args=[candidate.pk]), {"decision": "accept"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="candidate-{candidate.pk}"' in body and "已确认为同一人" in body and "<html" not in body


def test_a_candidate_already_decided_is_not_decided_again(client, people, linked):
    candidate = LinkCandidate.objects.get(record_key="JS002")
    client.force_login(people["county_reviewer"])
    client.post(reverse("links:decide", args=[candidate.pk]), {"decision": "reject"})
    response = client.post(
        reverse("links:decide", args=[candidate.pk]), {"decision": "accept"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "已处理" in body and "复核否决" in body
    candidate.refresh_from_db()
    assert candidate.status == LinkCandidate.Status.REJECTED
    assert Job.objects.filter(kind="screen_delivery").count() == 1


def test_a_decision_needs_a_choice(client, people, linked):
    candidate = LinkCandidate.objects.get(record_key="JS002")
    client.force_login(people["county_reviewer"])
    response = client.post(reverse("links:decide", args=[candidate.pk]), {}, follow=True)
    assert "请选择" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == LinkCandidate.Status.PENDING
    assert client.get(reverse("links:decide", args=[candidate.pk])).status_code == 405


def test_namesakes_one_edit_away_are_stored_with_the_edit_and_shown_in_the_queue(
    client, world, people, tmp_path
):
    """Two persons named 张三 whose numbers differ in one digit: a record typed with the one digit of the
    other and the check character of the first is one edit from both, and both wait for review."""
    from dixian.domain import idnumber

    home_head = world.home.members.get(relation="head")
    first = home_head.id_number
    body = first[:14] + str((int(first[14]) + 1) % 10) + first[15:17]
    twin = Person.objects.create(
        household=world.neighbour,
        relation="other",
        id_number=body + idnumber.check_digit(body),
        name=home_head.name,
        sex=home_head.sex,
        birth_date=home_head.birth_date,
        region_code=world.neighbour.region.code,
    )
    rows = [
        {
            **medical_row("JS101", home_head.name, id_number=None, birth=dt.date(1970, 1, 1), village=""),
            "id_number": body + first[17],
            "sex": None,
            "birth_date": None,
            "village_code": None,
        },
    ]
    deliveries_link(deliveries=[delivery_with(world, rows, tmp_path)], persons=registry_persons())
    stored = sorted(
        LinkCandidate.objects.filter(record_key="JS101").values_list(
            "person_id", "status", "method", "edit_kind", "edit_position"
        )
    )
    assert stored == sorted(
        [
            (home_head.pk, "pending", "id_edit", "substitution", 15),
            (twin.pk, "pending", "id_edit", "substitution", 18),
        ]
    )
    client.force_login(people["county_reviewer"])
    page = client.get(reverse("links:queue")).content.decode()
    assert "证件号码有一位录错(第15位),按姓名和证件号码匹配" in page
    assert "证件号码有一位录错(第18位),按姓名和证件号码匹配" in page


def test_stored_candidates_take_the_normalised_record_key(world, linked):
    """Migration feeds 0005: a key stored with the ID number as sent reads as the engine builds it now."""
    import importlib

    from django.apps import apps

    rekey = importlib.import_module("dixian.feeds.migrations.0005_link_candidate_keys_normalised").rekey
    person = world.home.members.get(relation="head")
    old15 = person.id_number[:6] + person.id_number[8:17]
    stored = LinkCandidate.objects.create(
        delivery=linked,
        feed="major_illness",
        record_key=f"{person.name}|{old15}|恶性肿瘤|2026-10-08",
        name=person.name,
        person=person,
        region_code=person.region_code,
        match_probability=0.9,
        status="auto",
    )
    untouched = set(LinkCandidate.objects.exclude(pk=stored.pk).values_list("pk", "record_key"))
    rekey(apps, None)
    stored.refresh_from_db()
    assert stored.record_key == f"{person.name}|{person.id_number}|恶性肿瘤|2026-10-08"
    assert set(LinkCandidate.objects.exclude(pk=stored.pk).values_list("pk", "record_key")) == untouched
