"""What the ledger offers the dispatch page (dixian/common/due.py, docs/domain.md §25 "Dispatch"): the unit's open
tasks due in the week or overdue, and the joint reviews waiting for the account, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dixian.common.due import due_sources, week_of
from dixian.rectification import services
from dixian.rectification.due import due_items

from .helpers import done, finding, task

pytestmark = pytest.mark.django_db


def test_the_provider_is_registered_and_lists_tasks_and_reviews(world, people, django_assert_max_num_queries):
    assert "rectification" in {s.name for s in due_sources()}
    admin = people["county_admin"]
    f = finding(world, admin)
    late = task(world, admin, f, days=-3, title="超期任务")
    task(world, admin, f, days=60, title="下季度任务")
    g = finding(world, admin, title="待联审问题")
    done(people["village_officer"], task(world, admin, g, title="已办结"))
    services.reviewers_add(actor=admin, finding=g, reviewers=[people["county_reviewer"]])
    monday, sunday = week_of(timezone.localdate())
    with django_assert_max_num_queries(3):
        items = due_items(people["county_reviewer"], world.county.prefix, monday, sunday)
    kinds = {(i.kind, i.title.split("(")[0]) for i in items}
    assert ("整改任务到期", "超期任务") in kinds and ("联审待签", "待联审问题") in kinds
    assert not any("下季度任务" in i.title for i in items)
    assert next(i for i in items if i.title.startswith("超期任务")).overdue(timezone.localdate())
    assert late.region_code.startswith(world.county.prefix)
    # Another county's prefix lists none of them.
    assert due_items(people["county_reviewer"], world.other_county.prefix, monday, sunday) == []
