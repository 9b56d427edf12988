"""The cross-check with 人社 (docs/domain.md §23): both kinds of disagreement, the latest fact up to the month's
end, both sides shown, masked without the personal-data right, scoped, paginated with a bounded query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.common.models import AccessLog
from dixian.common.testing import fake_id
from dixian.employment.mismatch import mismatches
from dixian.employment.models import DepartmentFact, Employment
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import delivery_receive
from dixian.registry.models import Person

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)
URL = reverse("employment:mismatches")


def record(person: Person, working: bool, month: dt.date = OCT, **over) -> Employment:
    values = (
        {
            "place_tier": "out_of_province",
            "channel": "labour_export",
            "employer": "东莞某电子厂",
            "months_worked": 9,
        }
        if working
        else {"not_working_reason": "family_care", "willing": True}
    )
    return Employment.objects.create(
        person=person,
        household_id=person.household_id,
        region_code=person.region_code,
        month=month,
        working=working,
        source=Employment.Source.FORM,
        recorded_at=timezone.now(),
        **{**values, **over},
    )


def hr(people, world, rows: list[tuple[Person, str, str, str]]) -> FeedDelivery:
    """人社 rows through the real feeds path (their facts come from facts.py)."""
    delivery, _ = delivery_receive(
        feed="employment",
        period="2026-10",
        source=people["department_uploader"],
        region=world.county,
        channel=FeedDelivery.Channel.UPLOAD,
        rows=[
            {"姓名": p.name, "证件号码": p.id_number, "类型": kind, "日期": day, "单位名称": employer}
            for p, kind, day, employer in rows
        ],
    )
    assert delivery.status == FeedDelivery.Status.ACCEPTED, delivery.errors
    return delivery


@pytest.fixture
def setting(people, world):
    zhang, wife = world.home.members.order_by("pk")
    li, li_wife = world.neighbour.members.order_by("pk")
    wang = world.far.members.first()
    hr(
        people,
        world,
        [
            (zhang, "就业登记", "2026-05-01", "九江某纺织厂"),  # employed, marked idle: listed
            (wife, "就业登记", "2026-03-01", "某厂"),
            (wife, "社保断缴", "2026-09-30", ""),  # latest: insurance stopped, marked working: listed
            (li, "失业登记", "2026-04-01", ""),
            (li, "就业登记", "2026-11-02", "新单位"),  # after October: not seen for October
            (li_wife, "就业登记", "2026-02-01", "车间"),  # employed and marked working: agrees
            (wang, "失业登记", "2026-06-01", ""),  # marked working, another county
        ],
    )
    record(zhang, False)
    record(wife, True)
    record(li, True)
    record(li_wife, True)
    record(wang, True)
    record(zhang, True, month=dt.date(2026, 9, 1))  # another month: not October's
    return {"zhang": zhang, "wife": wife, "li": li, "li_wife": li_wife, "wang": wang}


def test_both_kinds_of_disagreement_with_the_latest_fact_of_the_month(setting, world):
    found = {
        r.person_id: (r.fact_kind, r.fact_on)  # type: ignore[attr-defined]  # annotated by mismatches()
        for r in mismatches(world.county.prefix, OCT)
    }
    assert set(found) == {setting["zhang"].pk, setting["wife"].pk, setting["li"].pk}
    assert found[setting["zhang"].pk] == (DepartmentFact.Kind.EMPLOYED, dt.date(2026, 5, 1))
    assert found[setting["wife"].pk][0] == DepartmentFact.Kind.INSURANCE_STOPPED
    assert found[setting["li"].pk][0] == DepartmentFact.Kind.UNEMPLOYED  # November's not seen yet
    assert {r.person_id for r in mismatches(world.city.prefix, OCT)} == {*found, setting["wang"].pk}
    assert {r.person_id for r in mismatches(world.village.prefix, OCT)} == {
        setting["zhang"].pk,
        setting["wife"].pk,
    }
    # In November li's latest fact is 就业登记 and li is marked working: no longer listed.
    record(setting["li"], True, month=dt.date(2026, 11, 1))
    assert setting["li"].pk not in {
        r.person_id for r in mismatches(world.county.prefix, dt.date(2026, 11, 1))
    }


def test_the_page_shows_both_sides_masked_without_the_right(client, people, setting, world):
    client.force_login(people["township_reviewer"])  # no personal-data right
    text = client.get(URL, {"month": "2026-10"}).content.decode()
    assert "人社显示已就业,村里记为未务工" in text
    assert "人社显示社保断缴,村里记为务工" in text
    assert "2026-05-01" in text and "未务工(照料家庭,有就业意愿)" in text
    assert (
        setting["zhang"].id_number not in text and "九江某纺织厂" not in text and "东莞某电子厂" not in text
    )
    assert setting["wang"].name not in text  # another county
    log = AccessLog.objects.get()
    assert log.masked and log.record_count == 3
    client.force_login(people["county_admin"])  # with the right
    text = client.get(URL, {"region": world.village.code, "month": "2026-10"}).content.decode()
    assert setting["zhang"].id_number in text and "九江某纺织厂" in text
    assert setting["li"].name not in text  # 桃坪村 is not 良塘村


def test_the_month_defaults_to_the_latest_surveyed(client, people, setting):
    client.force_login(people["township_reviewer"])
    assert "2026年10月" in client.get(URL).content.decode()
    response = client.get(URL, {"month": "2099-01"})
    assert response.status_code == 200 and "还没有到" in response.content.decode()


def test_a_unit_out_of_scope_answers_404(client, people, world):
    client.force_login(people["county_admin"])
    for code in (world.far_village.code, world.city.code, "360499000000", "x"):
        assert client.get(URL, {"region": code}).status_code == 404
    client.force_login(people["helper"])
    assert client.get(URL).status_code == 403


def test_the_list_pages_with_a_bounded_number_of_queries(
    client, people, world, django_assert_max_num_queries
):
    persons = Person.objects.bulk_create(
        Person(
            household=world.home,
            region_code=world.village.code,
            id_number=fake_id("360424", dt.date(1980, 1, 1) + dt.timedelta(days=i), i),
            name=f"工人{'甲乙丙丁戊己庚辛壬癸'[i % 10]}",
            sex="male",
            birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
            relation="other",
            labour_skill="ordinary",
            medical_insurance="resident",
        )
        for i in range(70)
    )
    persons = list(Person.objects.filter(relation="other").order_by("pk"))
    hr(people, world, [(p, "就业登记", "2026-08-01", "厂") for p in persons])
    for p in persons:
        record(p, False)
    client.force_login(people["township_reviewer"])
    with django_assert_max_num_queries(14):
        first = client.get(URL, {"month": "2026-10"})
    with django_assert_max_num_queries(14):
        second = client.get(URL, {"month": "2026-10", "page": "2"})
    assert first.content.decode().count("人社显示已就业") == 50
    assert second.content.decode().count("人社显示已就业") == 20
