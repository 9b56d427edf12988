"""The demo's rectification ledger (dixian/synthetic/demo_rectification.py): the 22 items of the worked example
at every stage, and a 举一反三 run that finds the same problem in other villages; loaded once."""

from __future__ import annotations

import pytest
from django.db.models import Count

from dixian.rectification.models import Finding, FindingReviewer, FindingTask
from dixian.registry.models import Household
from dixian.synthetic.demo_rectification import demo_rectification

pytestmark = pytest.mark.django_db


def test_the_worked_example_is_filed_at_every_stage(world, people):
    Household.objects.filter(pk=world.neighbour.pk).update(housing_grade="C")
    users = {
        "xs_admin": people["county_admin"],
        "xs_reviewer": people["county_reviewer"],
        "city_admin": people["city_admin"],
        "village_officer": people["village_officer"],
    }
    said: list[str] = []
    result = demo_rectification(users, world.village.code, say=said.append)
    plan = Finding.objects.filter(parent__isnull=True)
    assert plan.count() == 22 and result.findings == 22
    by_source = dict(plan.order_by().values_list("source").annotate(n=Count("id")))
    assert by_source == {"national": 8, "provincial": 6, "supervision": 8}
    assert set(plan.filter(source__in=("national", "provincial")).values_list("category", flat=True)) == {
        "责任落实",
        "政策落实",
        "工作落实",
    }
    statuses = set(plan.values_list("status", flat=True))
    assert statuses == {"open", "review", "closed"}
    assert FindingTask.objects.filter(
        status="open", deadline__lt=world.home.created_at.date()
    ).exists()  # red
    assert FindingReviewer.objects.filter(decision="sent_back").exists()
    # 举一反三: the neighbour's C-grade house in the other village of the county.
    child = Finding.objects.get(parent__isnull=False)
    assert child.region == world.other_village and "举一反三" in child.title
    assert "举一反三在其他村新登记 1 个同类问题" in said[-1]
    assert demo_rectification(users, world.village.code, say=said.append).findings == 0  # once
