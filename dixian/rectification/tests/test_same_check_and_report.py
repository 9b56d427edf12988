"""举一反三 over the account's subtree (docs/domain.md §25): each other village hit becomes a finding of its own,
linked to the parent, once; the report counts findings and tasks by source and status."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from dixian.rectification import services
from dixian.rectification.models import Finding, FindingEvent
from dixian.registry.models import Household

from .helpers import done, finding, task

pytestmark = pytest.mark.django_db


def unsafe(world) -> None:
    Household.objects.filter(pk__in=[world.home.pk, world.neighbour.pk, world.far.pk]).update(
        housing_grade="D"
    )


def test_the_same_check_files_other_villages_once(world, people):
    unsafe(world)
    admin = people["county_admin"]
    parent = finding(world, admin, check_code="unsafe_housing", category="成效巩固", title="张三户住危房")
    result = services.same_check_run(actor=admin, finding=parent)
    assert (result.hits, result.filed, result.existing, result.own) == (2, 1, 0, True)
    child = Finding.objects.get(parent=parent)
    assert child.region == world.other_village and list(child.households.all()) == [world.neighbour]
    assert child.source == Finding.Source.PLATFORM and child.category == "成效巩固"
    again = services.same_check_run(actor=admin, finding=parent)
    assert (again.filed, again.existing) == (0, 1)
    assert Finding.objects.filter(parent=parent).count() == 1  # far (another county) is not the county's
    assert parent.events.filter(kind=FindingEvent.Kind.SAME_CHECK).count() == 2


def test_the_same_check_from_the_page(client, world, people):
    unsafe(world)
    parent = finding(world, people["city_admin"], check_code="unsafe_housing")
    client.force_login(people["city_admin"])
    client.post(reverse("rectification:same_check", args=[parent.pk]))
    page = client.get(reverse("rectification:finding_detail", args=[parent.pk])).content.decode()
    assert "举一反三发现的问题" in page and "桃坪村" in page and "城西村" in page


def test_a_finding_without_a_check_is_refused(world, people):
    f = finding(world, people["county_admin"])
    with pytest.raises(Exception, match="没有指定举一反三的核查项"):
        services.same_check_run(actor=people["county_admin"], finding=f)


def test_the_report_counts_by_source_and_status(world, people, capsys):
    admin = people["county_admin"]
    a = finding(world, admin)
    done(people["village_officer"], task(world, admin, a))
    task(world, admin, finding(world, admin, source=Finding.Source.AUDIT))
    finding(world, people["city_admin"], region=world.far_village)
    call_command("rectification_report", "--region", "360424", "--json")
    data = json.loads(capsys.readouterr().out)
    rows = {r["source"]: r for r in data["by_source"]}
    assert rows["national"]["findings"]["total"] == 1 and rows["national"]["tasks"]["done"] == 1
    assert rows["audit"]["tasks"]["open"] == 1
    assert data["total"]["findings"]["total"] == 2  # the other county's is not counted
    call_command("rectification_report", "--region", "3604")
    out = capsys.readouterr().out
    assert "合计" in out and "国家考核评估" in out
    with pytest.raises(Exception, match="无法识别"):
        call_command("rectification_report", "--region", "abc")
