"""The labour roll and what departments report (docs/domain.md §23 "Labour roll"): a death, a lasting 户籍迁出,
a return, a graduation, each by the month's last day. Guards the roll's sets of departed and graduated persons
(`roll._gone`, read as `pk IN (…)` for speed at city scale) against the rule."""

from __future__ import annotations

import datetime as dt

import pytest

from dixian.employment.models import DepartmentFact
from dixian.employment.roll import on_roll, roll
from dixian.employment.tests.figures_world import household_of
from dixian.feeds.models import FeedDelivery

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def _fact(person, kind, on):
    delivery, _ = FeedDelivery.objects.get_or_create(
        feed="civil_registry",
        checksum="roll-test",
        defaults={
            "period": "2026-10",
            "channel": "generated",
            "status": "accepted",
            "region": person.household.region,
        },
    )
    return DepartmentFact.objects.create(
        person=person, region_code=person.region_code, delivery=delivery, kind=kind, on=on
    )


def test_departments_take_persons_off_the_roll_and_back(world):
    h = household_of(world.village, "3604241002019001", 5)
    dead, gone, back, student, pupil = list(h.members.order_by("pk"))
    K = DepartmentFact.Kind
    _fact(dead, K.DIED, dt.date(2026, 10, 31))
    _fact(gone, K.MOVED_OUT, dt.date(2026, 3, 1))
    _fact(back, K.MOVED_OUT, dt.date(2026, 3, 1))
    _fact(back, K.MOVED_IN, dt.date(2026, 6, 1))
    for p in (student, pupil):
        p.student_status = "secondary_vocational"
        p.save(update_fields=["student_status"])
    _fact(student, K.GRADUATED, dt.date(2026, 7, 1))
    ids = [p.pk for p in (dead, gone, back, student, pupil)]
    assert on_roll(ids, OCT) == {back.pk, student.pk}
    # In September the death is still to come; the return had happened, the graduation too.
    assert on_roll(ids, dt.date(2026, 9, 1)) == {dead.pk, back.pk, student.pk}
    # In April the returning worker was away and the student still in school.
    assert on_roll(ids, dt.date(2026, 4, 1)) == {dead.pk}
    # In February nobody had left yet.
    assert on_roll(ids, dt.date(2026, 2, 1)) == {dead.pk, gone.pk, back.pk}
    assert roll(OCT, prefix=world.village.prefix).filter(household=h).count() == 2
