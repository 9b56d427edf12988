"""Departments' facts (docs/domain.md §23): the accepted 人社 / 公安 / 教育 deliveries copied for the registry
persons they name, through the real feeds path (`delivery_receive` sends `delivery_changed`)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from dixian.employment.facts import delivery_facts_replace, facts_rebuild, stage_of
from dixian.employment.models import DepartmentFact
from dixian.employment.roll import on_roll
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import delivery_receive
from dixian.registry import services as registry
from dixian.registry.models import Person

pytestmark = pytest.mark.django_db
K = DepartmentFact.Kind


def deliver(people, world, feed: str, rows: list[dict[str, object]], period: str = "2026-06") -> FeedDelivery:
    delivery, _ = delivery_receive(
        feed=feed,
        period=period,
        source=people["department_uploader"],
        region=world.county,
        channel=FeedDelivery.Channel.UPLOAD,
        rows=rows,
    )
    assert delivery.status == FeedDelivery.Status.ACCEPTED, delivery.errors
    return delivery


def head(household) -> Person:
    return household.members.get(relation="head")


def employment_rows(person: Person, *events: tuple[str, str, str]) -> list[dict[str, object]]:
    return [
        {"姓名": person.name, "证件号码": person.id_number, "类型": kind, "日期": day, "单位名称": employer}
        for kind, day, employer in events
    ]


def test_an_accepted_employment_delivery_becomes_facts_of_the_persons_it_names(people, world):
    zhang = head(world.home)
    wang = head(world.far)
    rows = employment_rows(zhang, ("就业登记", "2026-03-02", "九江某电子厂"), ("社保断缴", "2026-05-31", ""))
    rows += employment_rows(wang, ("失业登记", "2026-04-10", ""))
    # A number with a lower-case x / spaces is the same person once normalised; an unknown person is ignored.
    rows.append(
        {"姓名": "无此人", "证件号码": "360424199001011234", "类型": "就业登记", "日期": "2026-01-01"}
    )
    delivery = deliver(people, world, "employment", rows)
    facts = {(f.person_id, f.kind, f.on): f for f in DepartmentFact.objects.filter(delivery=delivery)}
    assert set(facts) == {
        (zhang.pk, K.EMPLOYED, dt.date(2026, 3, 2)),
        (zhang.pk, K.INSURANCE_STOPPED, dt.date(2026, 5, 31)),
        (wang.pk, K.UNEMPLOYED, dt.date(2026, 4, 10)),
    }
    employed = facts[(zhang.pk, K.EMPLOYED, dt.date(2026, 3, 2))]
    assert employed.employer == "九江某电子厂"
    assert employed.region_code == world.village.code
    assert facts[(wang.pk, K.UNEMPLOYED, dt.date(2026, 4, 10))].region_code == world.far_village.code


def test_replacing_is_idempotent_and_follows_the_delivery(people, world):
    zhang = head(world.home)
    delivery = deliver(people, world, "employment", employment_rows(zhang, ("就业登记", "2026-03-02", "厂")))
    first = list(DepartmentFact.objects.values_list("pk", "person_id", "kind", "on", "employer"))
    assert delivery_facts_replace(delivery) == 1
    assert delivery_facts_replace(delivery) == 1
    # Nothing changed: nothing rewritten (the same rows, same keys).
    assert list(DepartmentFact.objects.values_list("pk", "person_id", "kind", "on", "employer")) == first
    # A fact that no longer holds (its person's number changed in the registry) goes; a wrong one is mended.
    DepartmentFact.objects.update(employer="改过的")
    assert delivery_facts_replace(delivery) == 1
    assert DepartmentFact.objects.get().employer == "厂"
    # A status changed behind the model's back (a bulk UPDATE): replacing or rebuilding drops its facts.
    FeedDelivery.objects.filter(pk=delivery.pk).update(status=FeedDelivery.Status.REJECTED)
    assert facts_rebuild() == {"deliveries": 0, "facts": 0, "removed": 1}
    FeedDelivery.objects.filter(pk=delivery.pk).update(status=FeedDelivery.Status.ACCEPTED)
    delivery.refresh_from_db()
    assert delivery_facts_replace(delivery) == 1
    delivery.delete()
    assert not DepartmentFact.objects.exists()


def test_civil_registry_death_takes_the_person_off_the_roll(people, world):
    zhang = head(world.home)
    june = dt.date(2026, 6, 1)
    assert on_roll([zhang.pk], june) == {zhang.pk}
    deliver(
        people,
        world,
        "civil_registry",
        [{"姓名": zhang.name, "证件号码": zhang.id_number, "变动类型": "死亡", "变动日期": "2026-06-10"}],
    )
    fact = DepartmentFact.objects.get()
    assert (fact.kind, fact.on) == (K.DIED, dt.date(2026, 6, 10))
    assert on_roll([zhang.pk], june) == set()
    assert on_roll([zhang.pk], dt.date(2026, 5, 1)) == {zhang.pk}


def test_education_keeps_only_graduations_with_their_stage(people, world):
    wife = world.home.members.get(relation="spouse")
    rows = [
        {
            "学生姓名": wife.name,
            "证件号码": wife.id_number,
            "学段": stage,
            "学籍状态": status,
            "状态日期": day,
        }
        for stage, status, day in (("中职", "毕业", "2026-06-30"), ("中职", "在读", "2025-09-01"))
    ]
    deliver(people, world, "education", rows)
    fact = DepartmentFact.objects.get()
    assert (fact.person_id, fact.kind, fact.on, fact.stage) == (
        wife.pk,
        K.GRADUATED,
        dt.date(2026, 6, 30),
        "secondary_vocational",
    )


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        ("中职", "secondary_vocational"),
        ("高职", "higher_vocational"),
        ("技工学校", "secondary_vocational"),
        ("?", ""),
    ],
)
def test_stage_of_maps_the_feeds_stage_to_the_dictionary_stages(value, stage):
    assert stage_of(value) == stage


def test_a_rejected_delivery_makes_no_facts(people, world):
    zhang = head(world.home)
    rows = employment_rows(zhang, ("就业登记", "2026-03-02", "厂"), ("辞职", "2026-03-05", ""))
    delivery, _ = delivery_receive(
        feed="employment",
        period="2026-06",
        source=people["department_uploader"],
        region=world.county,
        channel=FeedDelivery.Channel.UPLOAD,
        rows=rows,
    )
    assert delivery.status == FeedDelivery.Status.REJECTED
    assert delivery_facts_replace(delivery) == 0
    assert not DepartmentFact.objects.exists()


def test_other_feeds_make_no_facts(people, world):
    zhang = head(world.home)
    deliver(
        people,
        world,
        "disability",
        [
            {
                "姓名": zhang.name,
                "证件号码": zhang.id_number,
                "证书编号": f"{zhang.id_number}11",
                "残疾类别": "肢体",
                "残疾等级": "四级",
                "发证日期": "2026-01-05",
            }
        ],
    )
    assert not DepartmentFact.objects.exists()


def test_facts_follow_a_moved_household(people, world):
    zhang = head(world.home)
    deliver(people, world, "employment", employment_rows(zhang, ("就业登记", "2026-03-02", "厂")))
    registry.household_update(
        actor=people["county_admin"], household=world.home, data={}, region=world.other_village
    )
    assert DepartmentFact.objects.get().region_code == world.other_village.code


def test_rebuild_command_rederives_everything(people, world):
    zhang = head(world.home)
    deliver(people, world, "employment", employment_rows(zhang, ("就业登记", "2026-03-02", "厂")))
    before = list(DepartmentFact.objects.values_list("person_id", "kind", "on", "delivery_id"))
    DepartmentFact.objects.all().delete()
    out = StringIO()
    call_command("employment_facts_rebuild", stdout=out)
    assert "1 条部门信息" in out.getvalue()
    assert list(DepartmentFact.objects.values_list("person_id", "kind", "on", "delivery_id")) == before
    assert facts_rebuild() == {"deliveries": 1, "facts": 1, "removed": 0}


def test_a_row_without_a_usable_number_counts_through_a_link_a_reviewer_accepted(people, world):
    from dixian.domain import catalogue
    from dixian.domain.records import record_key
    from dixian.feeds.linkage_store import link_candidate_decide
    from dixian.feeds.models import LinkCandidate

    zhang = head(world.home)
    row: dict[str, object] = {
        "姓名": zhang.name,
        "证件号码": "",
        "类型": "就业登记",
        "日期": "2026-03-02",
        "单位名称": "厂",
    }
    delivery = deliver(people, world, "employment", [row])
    assert not DepartmentFact.objects.exists()  # no number: nobody yet
    key = record_key(
        catalogue.feed("employment"),
        {"name": zhang.name, "id_number": None, "event_type": "就业登记", "event_date": dt.date(2026, 3, 2)},
    )
    candidate = LinkCandidate.objects.create(
        delivery=delivery,
        feed="employment",
        record_key=key,
        name=zhang.name,
        person=zhang,
        region_code=zhang.region_code,
        match_probability=0.9,
        status=LinkCandidate.Status.PENDING,
    )
    # The reviewer's decision sends delivery_changed: the delivery's facts are replaced with the link.
    link_candidate_decide(actor=people["county_reviewer"], candidate=candidate, accept=True)
    fact = DepartmentFact.objects.get()
    assert (fact.person_id, fact.kind, fact.on, fact.delivery_id) == (
        zhang.pk,
        K.EMPLOYED,
        dt.date(2026, 3, 2),
        delivery.pk,
    )
