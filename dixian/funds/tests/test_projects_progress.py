"""Progress of a project in the plan and its 以工代赈 hires (docs/domain.md §22): dates in order, none in
the future, recorded by the sector office only; hires are persons of 脱贫户 or 监测户 where it is built."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dixian.funds import projects as svc
from dixian.funds.models import Payment, WorkReliefHire
from dixian.funds.testing import funds_personas, planned_project
from dixian.registry.testing import household

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.datetime(2026, 10, 15, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def offices(world):
    return funds_personas(world)


@pytest.fixture
def sector(offices):
    return offices["sector"]


@time_machine.travel(TODAY, tick=False)
def test_progress_is_recorded_in_order(world, sector):
    project = planned_project(world.village, code="P1")
    svc.project_progress(
        project=project,
        actor=sector,
        values={"started_on": dt.date(2026, 5, 1), "completed_on": dt.date(2026, 9, 1), "accepted_on": None},
    )
    project.refresh_from_db()
    assert (project.started_on, project.completed_on) == (dt.date(2026, 5, 1), dt.date(2026, 9, 1))


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"started_on": dt.date(2026, 10, 16)}, "started_on", "晚于今天"),
        ({"completed_on": dt.date(2026, 9, 1)}, "completed_on", "尚未登记开工"),
        (
            {"started_on": dt.date(2026, 9, 2), "completed_on": dt.date(2026, 9, 1)},
            "completed_on",
            "早于开工日期",
        ),
        (
            {
                "started_on": dt.date(2026, 5, 1),
                "completed_on": dt.date(2026, 9, 1),
                "accepted_on": dt.date(2026, 8, 1),
            },
            "accepted_on",
            "早于完工日期",
        ),
        (
            {"started_on": dt.date(2026, 5, 1), "accepted_on": dt.date(2026, 9, 1)},
            "accepted_on",
            "尚未登记完工",
        ),
        (
            {"planned_start": dt.date(2026, 5, 1), "planned_completion": dt.date(2026, 4, 1)},
            "planned_completion",
            "早于计划开工",
        ),
    ],
)
def test_dates_out_of_order_or_in_the_future_are_refused_with_a_reason(world, sector, values, field, message):
    project = planned_project(world.village, code="P1")
    with pytest.raises(ValidationError) as refused:
        svc.project_progress(project=project, actor=sector, values=values)
    assert message in " ".join(refused.value.message_dict[field])
    project.refresh_from_db()
    assert project.started_on is None


@time_machine.travel(TODAY, tick=False)
def test_the_start_cannot_move_after_the_first_payment(world, sector):
    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 5, 1))
    Payment.objects.create(
        project=project,
        paid_on=dt.date(2026, 5, 10),
        amount=D("10.00"),
        use_category="construction",
        payee_category="contractor",
        region_code=project.region_code,
    )
    with pytest.raises(ValidationError, match="首笔支付日期 2026-05-10"):
        svc.project_progress(project=project, actor=sector, values={"started_on": dt.date(2026, 6, 1)})


@time_machine.travel(TODAY, tick=False)
def test_only_the_sector_office_records_progress_and_only_in_the_plan(world, people, offices, sector):
    project = planned_project(world.village, code="P1")
    for other in (people["village_officer"], people["county_admin"], offices["finance"]):
        with pytest.raises(PermissionDenied, match="行业主管部门"):
            svc.project_progress(project=project, actor=other, values={"started_on": dt.date(2026, 5, 1)})
    project.state = "proposed"
    project.save()
    with pytest.raises(ValidationError, match="已纳入年度实施计划"):
        svc.project_progress(project=project, actor=sector, values={"started_on": dt.date(2026, 5, 1)})


@time_machine.travel(TODAY, tick=False)
def test_the_progress_form_shows_the_refusal(client, world, sector):
    project = planned_project(world.village, code="P1")
    client.force_login(sector)
    response = client.post(
        reverse("funds:project_progress", args=[project.pk]), {"completed_on": "2026-09-01"}
    )
    assert response.status_code == 400
    assert "项目尚未登记开工,不能登记完工" in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_a_hire_is_a_person_of_an_ex_poor_or_monitored_household_where_the_project_is(world, sector):
    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 5, 1))
    head = world.home.members.get(relation="head")
    person = svc.hire_person_find(project=project, id_number=head.id_number.lower())
    hire = svc.hire_record(
        project=project,
        actor=sector,
        person=person,
        hired_on=dt.date(2026, 6, 1),
        days=20,
        wages_paid=D("3000.00"),
    )
    assert (hire.household, hire.wages_paid) == (world.home, D("3000.00"))
    # By household number and name, the second time updates the same hire.
    same = svc.hire_person_find(project=project, household_no=world.home.household_no, name=head.name)
    svc.hire_record(
        project=project,
        actor=sector,
        person=same,
        hired_on=dt.date(2026, 6, 1),
        days=30,
        wages_paid=D("4500.00"),
    )
    assert WorkReliefHire.objects.get().days == 30
    # Someone of another village: not where the project is built.
    with pytest.raises(ValidationError, match="项目所在地"):
        svc.hire_person_find(project=project, id_number=world.neighbour.members.first().id_number)
    ordinary = household("3604241002010099", world.village, "赵六", 9)
    ordinary.kind = "ordinary"
    ordinary.save()
    with pytest.raises(ValidationError, match="既不是脱贫户也不是监测户") as refused:
        svc.hire_person_find(project=project, id_number=ordinary.members.first().id_number)
    assert "赵六" not in " ".join(refused.value.messages)
    ordinary.monitoring_category = "edge"
    ordinary.save()
    assert (
        svc.hire_person_find(project=project, household_no=ordinary.household_no, name="赵六").name == "赵六"
    )


@time_machine.travel(TODAY, tick=False)
def test_the_hire_form_names_the_person_masked_without_the_personal_data_right(client, world, people, sector):
    project = planned_project(world.village, code="P1", started_on=dt.date(2026, 5, 1))
    head = world.home.members.get(relation="head")
    client.force_login(sector)
    form = client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
    assert "您的账号不能按证件号码查找" in form
    typed = {"hired_on": "2026-06-01", "days": "12", "wages_paid": "1,800"}
    # Without the personal-data right an ID number typed in answers no name (review finding 5 of issue 16).
    refused = client.post(
        reverse("funds:hire_new", args=[project.pk]), {"id_number": head.id_number, **typed}
    )
    assert refused.status_code == 400 and "请填写户编号和姓名" in refused.content.decode()
    response = client.post(
        reverse("funds:hire_new", args=[project.pk]),
        {"household_no": world.home.household_no, "name": head.name, **typed},
    )
    assert response.status_code == 302
    page = client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
    assert head.name in page and head.id_number not in page and "1,800" in page
    client.force_login(people["county_admin"])  # holds the personal-data right
    assert head.id_number in client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
