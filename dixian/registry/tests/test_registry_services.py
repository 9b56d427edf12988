"""Registry writes: rules, derived fields and the change log they leave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.common.models import ChangeLog
from dixian.common.testing import fake_id
from dixian.registry import services
from dixian.registry.models import Finding, Household, HouseholdIncome, Person

pytestmark = pytest.mark.django_db


def log_of(household: Household) -> list[ChangeLog]:
    return list(ChangeLog.objects.filter(household_id=household.pk).order_by("id"))


def test_person_update_records_old_and_new_with_household_and_actor(world, people):
    officer = people["village_officer"]
    spouse = world.home.members.get(relation="spouse")
    services.person_update(
        actor=officer, person=spouse, data={"education": "junior", "pension_insurance": "resident"}
    )
    (row,) = log_of(world.home)
    assert (row.entity, row.entity_id, row.action, row.source) == ("person", spouse.pk, "update", "web")
    assert row.actor == officer and row.actor_name == "village_officer"
    assert row.changes == {"education": ["", "junior"], "pension_insurance": ["", "resident"]}


def test_person_update_without_a_real_change_writes_nothing(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_update(actor=people["village_officer"], person=spouse, data={"name": spouse.name})
    assert log_of(world.home) == []


def test_sex_and_birth_date_follow_the_id_number(world, people):
    spouse = world.home.members.get(relation="spouse")
    new_id = fake_id("360424", dt.date(1980, 2, 29), 9)  # odd 17th digit: male
    person = services.person_update(
        actor=people["village_officer"], person=spouse, data={"id_number": new_id}
    )
    person.refresh_from_db()
    assert (person.sex, person.birth_date) == ("male", dt.date(1980, 2, 29))
    (row,) = log_of(world.home)
    assert row.changes["sex"] == ["female", "male"] and row.changes["birth_date"] == [
        "1972-05-06",
        "1980-02-29",
    ]


def test_lower_case_x_and_spaces_in_id_number_are_normalised(world, people):
    for seq in range(40):
        number = fake_id("360424", dt.date(1990, 1, 1), seq)
        if number.endswith("X"):
            break
    else:
        pytest.fail("no check digit X among the candidates")
    spouse = world.home.members.get(relation="spouse")
    typed = f" {number[:6]} {number[6:-1]}x "
    person = services.person_update(actor=people["village_officer"], person=spouse, data={"id_number": typed})
    assert Person.objects.get(pk=person.pk).id_number == number


@pytest.mark.parametrize("bad", ["360424197001010010", "3604241970010100", "360424197013010016", "abc"])
def test_invalid_id_number_is_refused_with_a_field_message(world, people, bad):
    spouse = world.home.members.get(relation="spouse")
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=people["village_officer"], person=spouse, data={"id_number": bad})
    assert set(exc.value.message_dict) == {"id_number"}
    assert "证件号码" in exc.value.message_dict["id_number"][0]


def test_duplicate_id_number_does_not_name_the_other_household(world, people):
    far_head = world.far.members.get(relation="head")
    spouse = world.home.members.get(relation="spouse")
    with pytest.raises(ValidationError) as exc:
        services.person_update(
            actor=people["city_admin"], person=spouse, data={"id_number": far_head.id_number}
        )
    message = exc.value.message_dict["id_number"][0]
    assert "已在系统中登记" in message
    assert world.far.household_no not in message and far_head.name not in message


def test_a_household_has_one_head(world, people):
    spouse = world.home.members.get(relation="spouse")
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=people["village_officer"], person=spouse, data={"relation": "head"})
    assert "本户已有户主" in exc.value.message_dict["relation"][0]


def test_disability_without_grade_is_saved_and_flagged_as_a_finding(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_update(
        actor=people["county_admin"],
        person=spouse,
        data={"health_status": "disabled", "disability_category": "visual"},
    )
    spouse.refresh_from_db()
    assert spouse.disability_category == "visual"
    finding = Finding.objects.get(person=spouse, resolved_at__isnull=True)
    assert (finding.code, finding.field, finding.source) == (
        "disability_grade_missing",
        "disability_grade",
        "web",
    )
    assert "残疾等级" in finding.message


def test_dibao_and_tekun_together_are_saved_and_flagged_until_fixed(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_update(
        actor=people["village_officer"], person=spouse, data={"dibao": True, "tekun": True}
    )
    finding = Finding.objects.get(person=spouse, code="dibao_and_tekun")
    assert finding.resolved_at is None
    services.person_update(actor=people["village_officer"], person=spouse, data={"tekun": False})
    finding.refresh_from_db()
    assert finding.resolved_at is not None and finding.resolved_by == people["village_officer"]
    assert not Finding.objects.filter(person=spouse, resolved_at__isnull=True).exists()


def test_unknown_field_is_a_programming_error(world, people):
    with pytest.raises(ValueError, match="region_code"):
        services.person_update(actor=None, person=world.home.members.first(), data={"region_code": "x"})


def test_losing_medical_insurance_turns_medical_ok_red_and_logs_it(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_update(actor=people["village_officer"], person=spouse, data={"medical_insurance": ""})
    world.home.refresh_from_db()
    assert world.home.medical_ok is False
    person_row, household_row = log_of(world.home)
    assert person_row.entity == "person"
    assert household_row.entity == "household" and household_row.changes == {"medical_ok": [True, False]}


@time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
@pytest.mark.parametrize(
    ("birth", "education_ok"),
    [
        (dt.date(2014, 1, 1), False),  # 12: compulsory schooling age
        (dt.date(2020, 3, 1), False),  # 6 today
        (dt.date(2010, 3, 2), False),  # 15, turns 16 tomorrow
        (dt.date(2010, 3, 1), True),  # 16 today: past compulsory schooling
        (dt.date(2020, 3, 2), True),  # 5
    ],
)
def test_education_ok_is_false_only_for_a_dropout_of_school_age(world, people, birth, education_ok):
    child = services.person_create(
        actor=people["village_officer"],
        household=world.home,
        data={
            "name": "孩子",
            "relation": "son",
            "labour_skill": "none",
            "medical_insurance": "resident",
            "id_number": fake_id("360424", birth, 5),
            "student_status": "dropout",
        },
    )
    world.home.refresh_from_db()
    assert world.home.education_ok is education_ok
    assert world.home.member_count == 3
    assert child.birth_date == birth


def test_housing_grade_c_makes_housing_unsafe_in_the_same_log_row(world, people):
    services.household_update(
        actor=people["township_reviewer"], household=world.home, data={"housing_grade": "C"}
    )
    world.home.refresh_from_db()
    assert world.home.housing_ok is False
    (row,) = log_of(world.home)
    assert row.changes == {"housing_grade": ["B", "C"], "housing_ok": [True, False]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"year_out_of_poverty": 2022}, "year_out_of_poverty"),
        ({"monitoring_category": "edge"}, "monitoring_category"),  # 边缘易致贫户 must be 一般农户
        (
            {"kind": "ordinary", "year_out_of_poverty": None, "monitoring_category": "unstable_ex_poor"},
            "monitoring_category",
        ),
    ],
)
def test_household_rules(world, people, data, field):
    with pytest.raises(ValidationError) as exc:
        services.household_update(actor=people["village_officer"], household=world.home, data=data)
    assert field in exc.value.message_dict
    world.home.refresh_from_db()
    assert world.home.kind == "ex_poor"


def test_an_ordinary_household_keeping_its_exit_year_is_saved_with_a_finding(world, people):
    services.household_update(
        actor=people["village_officer"], household=world.home, data={"kind": "ordinary"}
    )
    world.home.refresh_from_db()
    assert world.home.kind == "ordinary"
    finding = Finding.objects.get(household=world.home, resolved_at__isnull=True)
    assert (finding.code, finding.person_id) == ("ordinary_with_exit_year", None)
    services.household_update(
        actor=people["village_officer"], household=world.home, data={"year_out_of_poverty": None}
    )
    finding.refresh_from_db()
    assert finding.resolved_at is not None


def test_moving_the_household_to_another_village_moves_its_members(world, people):
    services.household_update(
        actor=people["township_reviewer"], household=world.home, data={}, region=world.other_village
    )
    assert set(world.home.members.values_list("region_code", flat=True)) == {world.other_village.code}
    (row,) = log_of(world.home)
    assert row.action == "move"
    assert row.changes == {
        "region_code": [world.village.code, world.other_village.code],
        "moved_with": ["", "无其他记录"],
    }


def test_person_move_changes_both_households_and_logs_on_both(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_move(actor=people["township_reviewer"], person=spouse, to_household=world.neighbour)
    spouse.refresh_from_db()
    world.home.refresh_from_db()
    world.neighbour.refresh_from_db()
    assert spouse.household == world.neighbour and spouse.region_code == world.other_village.code
    assert (world.home.member_count, world.neighbour.member_count) == (1, 3)
    for household in (world.home, world.neighbour):
        moves = [r for r in log_of(household) if r.action == "move"]
        assert len(moves) == 1 and moves[0].changes["household"] == [world.home.pk, world.neighbour.pk]


def test_the_head_cannot_leave_a_household_with_other_members(world, people):
    head = world.home.members.get(relation="head")
    with pytest.raises(ValidationError) as exc:
        services.person_move(actor=people["township_reviewer"], person=head, to_household=world.neighbour)
    assert "新户主" in exc.value.message_dict["relation"][0]
    assert Person.objects.get(pk=head.pk).household == world.home


def test_a_head_joining_a_household_with_a_head_needs_a_new_relation(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_move(actor=None, person=spouse, to_household=world.neighbour)
    head = world.home.members.get()  # now alone
    with pytest.raises(ValidationError):
        services.person_move(actor=None, person=head, to_household=world.neighbour)
    services.person_move(actor=None, person=head, to_household=world.neighbour, relation="spouse")
    world.home.refresh_from_db()
    assert (world.home.member_count, world.home.head_name) == (0, "")


def test_income_upsert_computes_per_capita_and_logs_only_changes(world, people):
    officer = people["village_officer"]
    income = services.income_upsert(
        actor=officer,
        household=world.home,
        year=2024,
        wages=Decimal("10000"),
        transfers=Decimal("1000"),
        production_costs=Decimal("500.50"),
    )
    assert (income.net_income, income.net_income_per_capita, income.members) == (
        Decimal("10499.50"),
        Decimal("5249.75"),
        2,
    )
    services.income_upsert(
        actor=officer,
        household=world.home,
        year=2024,
        wages=Decimal("10000"),
        transfers=Decimal("1000"),
        production_costs=Decimal("500.50"),
    )
    services.income_upsert(
        actor=officer,
        household=world.home,
        year=2024,
        wages=Decimal("12000"),
        transfers=Decimal("1000"),
        production_costs=Decimal("500.50"),
        members=3,
    )
    created, updated = log_of(world.home)
    assert created.action == "create" and created.changes["net_income_per_capita"] == [None, "5249.75"]
    assert updated.changes == {
        "wages": ["10000.00", "12000.00"],
        "members": [2, 3],
        "net_income": ["10499.50", "12499.50"],
        "net_income_per_capita": ["5249.75", "4166.50"],
    }
    assert HouseholdIncome.objects.filter(household=world.home, year=2024).count() == 1


def test_income_refuses_negative_amounts_and_future_years(world, people):
    with pytest.raises(ValidationError) as exc:
        services.income_upsert(actor=None, household=world.home, year=2999, wages=Decimal("-1"))
    assert set(exc.value.message_dict) == {"year", "wages"}


def test_a_failed_log_write_rolls_back_the_change(world, people):
    spouse = world.home.members.get(relation="spouse")
    with (
        mock.patch("dixian.registry.services.change_record", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        services.person_update(actor=None, person=spouse, data={"name": "改名"})
    assert Person.objects.get(pk=spouse.pk).name == "张三妻"


def test_refresh_derived_repairs_stale_fields(world):
    Household.objects.filter(pk=world.home.pk).update(member_count=9, head_name="旧名", medical_ok=False)
    world.home.refresh_from_db()
    changes = services.household_refresh_derived(world.home)
    assert changes == {"member_count": [9, 2], "head_name": ["旧名", "张三"], "medical_ok": [False, True]}
    world.home.refresh_from_db()
    assert (world.home.member_count, world.home.head_name, world.home.medical_ok) == (2, "张三", True)


@settings(max_examples=60, deadline=None)
@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2024, 12, 31)),
    seq=st.integers(min_value=0, max_value=499),
    female=st.booleans(),
)
def test_id_number_facts_round_trip(birth, seq, female):
    number = fake_id("360424", birth, seq, female=female)
    assert services.id_number_facts(number, today=dt.date(2025, 1, 1)) == (
        number,
        "female" if female else "male",
        birth,
    )


@settings(max_examples=60, deadline=None)
@given(number=st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_id_number_facts_accept_only_numbers_with_their_check_digit(number):
    from stdnum.cn import ric

    try:
        services.id_number_facts(number, today=dt.date(2025, 1, 1))
    except ValidationError:
        return
    assert number[-1] == ric.calc_check_digit(number) and "X" not in number[:-1]


def test_the_daily_refresh_moves_education_ok_as_a_dropout_grows_out_of_and_into_school_age(world, people):
    """Nobody edits the households: the flag follows the calendar through the worker's daily schedule."""
    from dixian.common.jobs import schedules_run

    def dropout(household: Household, birth: dt.date, seq: int) -> None:
        services.person_create(
            actor=people["village_officer"],
            household=household,
            data={
                "name": "孩子",
                "relation": "son",
                "labour_skill": "none",
                "medical_insurance": "resident",
                "id_number": fake_id("360424", birth, seq),
                "student_status": "dropout",
            },
        )

    with time_machine.travel(dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC), tick=False):
        dropout(world.home, dt.date(2010, 12, 1), 5)  # 15: of compulsory-school age
        dropout(world.neighbour, dt.date(2020, 12, 1), 6)  # 5: not yet
    world.home.refresh_from_db()
    world.neighbour.refresh_from_db()
    assert (world.home.education_ok, world.neighbour.education_ok) == (False, True)
    Household.objects.filter(pk=world.home.pk).update(member_count=99)  # not the calendar's to mend

    with time_machine.travel(dt.datetime(2026, 12, 2, 4, tzinfo=dt.UTC), tick=False):
        schedules_run()
        schedules_run()  # again the same day: nothing more
    world.home.refresh_from_db()
    world.neighbour.refresh_from_db()
    assert (world.home.education_ok, world.neighbour.education_ok) == (True, False)  # 16 now; 6 now
    assert world.home.member_count == 99
    for household, change in ((world.home, [False, True]), (world.neighbour, [True, False])):
        [row] = ChangeLog.objects.filter(household_id=household.pk, summary__startswith="辍学成员年龄变化")
        assert row.source == ChangeLog.Source.SYSTEM and row.changes == {"education_ok": change}
    with time_machine.travel(dt.datetime(2026, 12, 3, 4, tzinfo=dt.UTC), tick=False):
        assert services.households_refresh_by_age() == 0  # nothing moved since
