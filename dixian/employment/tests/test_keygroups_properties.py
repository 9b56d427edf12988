"""Properties of the key-group rules (docs/domain.md §23) over random survey histories: the spans of a group
never overlap, at most the last is open, each opens and closes on a record's month, and a refresh after a
refresh writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dixian.domain import employment as e
from dixian.employment import keygroups as kg
from dixian.employment.models import KeyGroupMember

from .groups_world import head, record

TIERS = [e.IN_COUNTY, e.IN_PROVINCE, e.OUT_OF_PROVINCE, e.ABROAD]
STATES = st.one_of(
    st.tuples(st.just(True), st.sampled_from(TIERS), st.none()),
    st.tuples(st.just(False), st.just(""), st.sampled_from([True, False, None])),
)
HISTORIES = st.lists(STATES, min_size=0, max_size=14)


def person_of(history, *, weak=False, holdings=(), graduations=()):
    p = kg._Person(1, 1, "360424100201", weak)
    month = dt.date(2025, 11, 1)
    for working, tier, willing in history:
        p.records.append(kg._Record(month, working, tier, willing))
        month = e.month_add(month, 1)
    p.holdings = list(holdings)
    p.graduations = list(graduations)
    return p


@given(
    HISTORIES,
    st.booleans(),
    st.lists(st.dates(dt.date(2025, 10, 1), dt.date(2027, 2, 1)), max_size=2),
    st.lists(st.integers(0, 14), max_size=2),
)
def test_spans_are_ordered_disjoint_and_only_the_last_open(history, weak, grad_days, holding_months):
    holdings = [(e.month_add(dt.date(2025, 11, 1), m), None) for m in holding_months[:1]]
    graduations = [(d, "higher_vocational") for d in grad_days]
    p = person_of(history, weak=weak, holdings=holdings, graduations=graduations)
    months = {r.month for r in p.records}
    for group in e.KEY_GROUPS:
        spans = [s for s in kg.spans_of(p) if s.group == group]
        for before, after in zip(spans, spans[1:], strict=False):
            assert before.until is not None and before.until <= after.since
        for span in spans:
            assert span.until is None or span.until >= span.since
            # a record's month closes a span; a 弱劳动力's also the month a post starts (docs/domain.md §23)
            closing = months | ({s for s, _ in holdings} if group == e.WEAK_LABOUR else set())
            assert span.until is None or span.until in closing
            if group != e.YULU_GRADUATE:
                assert span.since in months
            assert len(span.text()) <= kg.REASON_MAX


@given(HISTORIES)
def test_returned_and_willing_follow_the_last_record(history):
    p = person_of(history)
    spans = kg.spans_of(p)
    if not history:
        assert spans == []
        return
    working, _, willing = history[-1]
    open_groups = {s.group for s in spans if s.until is None}
    assert (e.WILLING_IDLE in open_groups) == (not working and willing is True)
    if working:
        assert e.RETURNED not in open_groups


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=HISTORIES, second=HISTORIES)
def test_a_refresh_after_a_refresh_writes_nothing(world, first, second):
    p = head(world.home)
    from dixian.employment.models import Employment

    Employment.objects.filter(person=p).delete()
    KeyGroupMember.objects.filter(person=p).delete()
    for history in (first, second):  # a history, then a correction of it
        for i, (working, tier, willing) in enumerate(history):
            record(p, e.month_add(dt.date(2025, 11, 1), i), working=working, tier=tier, willing=willing)
        Employment.objects.filter(
            person=p, month__gte=e.month_add(dt.date(2025, 11, 1), len(history))
        ).delete()
        kg.keygroups_refresh([p.pk], today=dt.date(2026, 12, 7))
        again = kg.keygroups_refresh([p.pk], today=dt.date(2026, 12, 7))
        assert (again.opened, again.closed, again.changed, again.deleted) == (0, 0, 0, 0)
        assert KeyGroupMember.objects.filter(person=p, until__isnull=True).values(
            "group"
        ).distinct().count() == (KeyGroupMember.objects.filter(person=p, until__isnull=True).count())
