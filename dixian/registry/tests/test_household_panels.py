"""The household page shows the panels the apps above registry register (registry/panels.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.testing import PASSWORD
from dixian.registry.panels import household_panel_register, household_panels

pytestmark = pytest.mark.django_db


def test_cases_and_visits_register_their_panels_in_order():
    assert [(p.name, p.template) for p in household_panels()] == [
        ("monitoring", "monitoring/partials/_household_cases.html"),
        ("alerts", "cases/partials/_household_alerts.html"),
        ("visits", "visits/partials/_household_visits.html"),
        ("funds", "funds/assets_household_panel.html"),
        ("relocation", "relocation/household_panel.html"),
        ("governance", "governance/household_panel.html"),
    ]


def test_the_page_shows_the_panels_after_the_households_facts_and_before_its_members(client, world, people):
    officer = people["village_officer"]
    client.login(username=officer.username, password=PASSWORD)
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    facts, alerts, visits, members = (
        html.index(marker)
        for marker in (
            'id="profile-title"',
            'id="household-alerts"',
            'id="household-visits"',
            'id="members-title"',
        )
    )
    assert facts < alerts < visits < members


def test_registering_a_panel_again_replaces_it(monkeypatch):
    from dixian.registry import panels

    monkeypatch.setattr(panels, "_panels", dict(panels._panels))
    before = household_panels()
    visits = next(p for p in before if p.name == "visits")
    household_panel_register(name="visits", order=5, template=visits.template, context=visits.context)
    # Same order as monitoring's panel: the names break the tie.
    assert [p.name for p in household_panels()] == [
        "monitoring",
        "visits",
        "alerts",
        "funds",
        "relocation",
        "governance",
    ]
