"""The case queue read in two segments (selectors.case_queue_segments, common/paging.paginate_segments): the
same order as one sort by the clock, across pages, and the summary counts (docs/domain.md §20)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dixian.domain import lifecycle as lc
from dixian.monitoring import views
from dixian.monitoring.models import MonitoringCase
from dixian.monitoring.selectors import case_counts_for_user, my_steps
from dixian.monitoring.services import case_open
from dixian.monitoring.testing import walk_case
from dixian.registry.models import HelperAssignment
from dixian.registry.testing import household, step_actors


def _open(world, people, n: int, first: int, *, days_ago: int) -> MonitoringCase:
    h = household(f"3604241002019{first + n:03d}", world.village, f"孙{first + n}", 300 + first + n)
    HelperAssignment.objects.create(household=h, helper=people["helper"], start_date=dt.date(2025, 1, 1))
    return case_open(
        household=h,
        actor=people["township_reviewer"],
        origin="manual",
        reason="走访发现因病支出大",
        first_clue_on=timezone.localdate() - dt.timedelta(days=days_ago),
    )


def _expected(cases: list[MonitoringCase]) -> list[int]:
    """The queue's documented order computed here: clock (0 overdue, 1 due soon, 2 running, 3 decided),
    then the limit's date, the newest step, the newest case."""
    today = timezone.localdate()

    def clock(c: MonitoringCase) -> int:
        if c.state not in lc.IDENTIFYING:
            return 3
        if c.due_on < today:
            return 0
        return 1 if c.due_on <= today + dt.timedelta(days=lc.DUE_SOON_DAYS) else 2

    fresh = [MonitoringCase.objects.get(pk=c.pk) for c in cases]
    return [
        c.pk for c in sorted(fresh, key=lambda c: (clock(c), c.due_on, -c.state_since.timestamp(), -c.pk))
    ]


def _cases(world, people) -> list[MonitoringCase]:
    actors = step_actors(people)
    today = timezone.localdate()
    running = [_open(world, people, i, 0, days_ago=d) for i, d in enumerate((20, 14, 3, 0, 17))]
    decided = [
        walk_case(
            _open(world, people, i, 10, days_ago=d), lc.MONITORING, actors, start=today - dt.timedelta(d)
        )
        for i, d in enumerate((30, 12, 25))
    ]
    # A case on an elimination step: open, not on an identification step (the second segment).
    eliminating = walk_case(
        _open(world, people, 0, 20, days_ago=400), lc.ELIM_CHECK, actors, start=today - dt.timedelta(400)
    )
    return [*running, *decided, eliminating]


def test_the_pages_of_the_queue_follow_one_order_across_both_segments(client, world, people, monkeypatch):
    cases = _cases(world, people)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(people["county_admin"])
    url = reverse("monitoring:case_queue")
    seen = []
    for number in range(1, 6):
        response = client.get(url, {"page": number})
        page = response.context["page"]
        assert page.number == number and page.count == len(cases) and page.num_pages == 5
        seen += [r.case.pk for r in response.context["rows"]]
    assert seen == _expected(cases)
    # Past the end: the last page, read again from the second segment.
    last = client.get(url, {"page": 40}).context
    assert last["page"].number == 5 and [r.case.pk for r in last["rows"]] == seen[8:]
    # A page that starts inside the first segment and ends in the second.
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    rows = client.get(url, {"page": 2}).context["rows"]
    assert [r.case.pk for r in rows] == seen[4:8]
    # 超期 / 临期 read only the running clocks.
    assert [r.case.pk for r in client.get(url, {"deadline": lc.RED}).context["rows"]] == seen[:2]


def test_the_summary_counts_the_elimination_steps_as_the_accounts_own(world, people):
    cases = _cases(world, people)
    today = timezone.localdate()
    counts = case_counts_for_user(people["village_officer"], today)
    states = [MonitoringCase.objects.get(pk=c.pk).state for c in cases]
    # The village's own steps: the running cases' 入户核实 and the eliminating case's 风险消除入户核实.
    assert states.count(lc.HOME_CHECK) == 5 and lc.ELIM_CHECK in states  # noqa: PLR2004
    assert set(my_steps(people["village_officer"])) >= {lc.HOME_CHECK, lc.ELIM_CHECK}
    # Clues 20, 14, 3, 0 and 17 days ago, 15 days to decide: two overdue, one due tomorrow.
    assert counts == {"total": 9, "red": 2, "orange": 1, "mine": 6}
    assert case_counts_for_user(people["county_admin"], today)["total"] == 9  # noqa: PLR2004


def test_a_page_makes_the_same_queries_for_more_cases(client, world, people, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(people["county_admin"])
    url = reverse("monitoring:case_queue")

    def queries(**query) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, query).status_code == 200
        return len(ctx)

    _cases(world, people)
    first, last = queries(), queries(page=5)
    actors = step_actors(people)
    for i in range(6):  # more cases in both segments
        _open(world, people, i, 30, days_ago=1)
        walk_case(
            _open(world, people, i, 40, days_ago=30),
            lc.MONITORING,
            actors,
            start=timezone.localdate() - dt.timedelta(days=30),
        )
    assert queries() == first
    assert queries(page=11) == last  # the last page, inside the second segment
