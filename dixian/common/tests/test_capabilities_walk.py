"""Every URL × every persona, against the permission map (dixian.accounts.capabilities).

Each view declares the capability it needs by its decorator (`@capability_required(cap)`, which keeps it
on the view as `view.capability`; the push API's `token_required` does the same); a view without one is
open to every signed-in account and shows only what the account's scope holds. The walk reads that
declaration off the resolved view and proves, for every persona, what the map says:

- an account with the capability gets in (the view runs: the record keys used here exist nowhere, so a
  view that looks one up answers 404, never 403);
- an account without it gets 403, whatever the URL names;
- the anonymous visitor is sent to the login page (the push API: 401 without a token).

The menus are held to the same map: a persona sees a menu link exactly when it may open it.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.test import Client
from django.urls import resolve, reverse

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.models import Job
from dixian.common.tests.test_no_leak import (
    MISSING,
    PUBLIC,
    TOKEN_ONLY,
    Route,
    get_or_post,
    project_routes,
    targets_for,
    url_for,
)
from dixian.feeds.services import api_token_create
from dixian.registry.selectors import household_scope_for_user

pytestmark = pytest.mark.django_db

# Values for path parameters that name nothing: the walk is about the gate in front of the lookup.
NOWHERE = {"code": "000000000000", "rule_id": "R99"}
LOGIN = reverse("accounts:login")


def url_of(route: Route) -> str:
    return reverse(route.name, kwargs={p: NOWHERE.get(p, MISSING) for p in route.params})


def required(url: str) -> Capability | None:
    """The capability the URL's view declares (None: any signed-in account)."""
    return getattr(resolve(url).func, "capability", None)


def refused(response) -> bool:
    return response.status_code == 403


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def walked_routes() -> list[Route]:
    return [r for r in project_routes() if r.name not in PUBLIC]


def test_the_walk_covers_the_gated_pages():
    declared = {required(url_of(r)) for r in walked_routes()}
    # Every capability guards at least one URL, except those that decide which records a page shows (the
    # registry's subtree or the helper's households) or how (the counties a rule form offers, masking, the
    # feeds an upload may name: docs/security.md §3), and the owners' capabilities of a case's steps: the
    # step actions open to every account that may see cases, and the case's current step decides who may
    # do it (monitoring.services.may_act; a refusal is a Chinese message on the case page).
    shaping = {
        Capability.CASES_TOWNSHIP,
        Capability.CASES_CROSS_CHECK,
        Capability.CASES_COUNTY,
        Capability.FEEDS_ANY,
        Capability.REGISTRY_VIEW,
        Capability.REGISTRY_VIEW_ASSIGNED,
        Capability.RULES_EDIT_COUNTIES,
        Capability.PII_VIEW,
        # The project bank's review and decision (docs/domain.md §22): like a case's steps, the one move URL
        # (funds:project_move) is open to every account that may see projects, and the project's state
        # decides whose move it is (funds.projects.may_move; a refusal is a Chinese message on its page).
        Capability.PROJECTS_REVIEW,
        Capability.PROJECTS_DECIDE,
    }
    assert set(Capability) - shaping <= declared, set(Capability) - shaping - declared
    assert None in declared  # and some pages are open to every signed-in account


def persona_urls(world, user, job) -> list[tuple[str, str, bool]]:
    """(route name, URL, whether it names existing records) for the persona: records inside its scope
    where it has any, so that a check made after the lookup counts too; keys that exist nowhere otherwise."""
    visible = set(household_scope_for_user(user).values_list("pk", flat=True))
    _, inside = targets_for(world, visible, job)
    urls = []
    for route in walked_routes():
        if route.params and inside is not None:
            urls.append((route.name, url_for(route, replace(inside, rule="R01", feed="medical")), True))
        else:
            urls.append((route.name, url_of(route), False))
    return urls


def test_every_url_lets_in_exactly_the_personas_the_map_allows(client, world, people):
    problems: list[str] = []
    for name, user in people.items():
        client.force_login(user)
        token = api_token_create(user=user, name="walk", actor=None)[1]
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        job = Job.objects.create(kind="household_export", owner=user)
        for route_name, url, existing in persona_urls(world, user, job):
            capability = required(url)
            allowed = capability is None or user_can(user, capability)
            who = api if route_name in TOKEN_ONLY else client
            # Existing records are only read: a POST-only page answers 405 once past the gate. The push API
            # answers a wrong method before it reads the token, so it is asked as it is used (an empty batch
            # of an existing feed is refused as malformed, past the gate, and writes nothing).
            response = who.get(url) if existing and who is client else get_or_post(who, url)
            if response.status_code >= 500:
                problems.append(f"{name}: {url} answered {response.status_code}")
            elif allowed and (refused(response) or sent_to_login(response)):
                problems.append(
                    f"{name}: {url} refused ({response.status_code}) though the map grants {capability}"
                )
            elif not allowed and not refused(response):
                problems.append(
                    f"{name}: {url} answered {response.status_code}, not 403, without {capability}"
                )
        client.logout()
    assert not problems, "\n".join(problems)


def test_the_anonymous_visitor_is_sent_to_login_or_asked_for_a_token(client, world):
    problems = []
    for route in walked_routes():
        url = url_of(route)
        response = get_or_post(client, url)
        if route.name in TOKEN_ONLY:
            if response.status_code != 401:
                problems.append(f"{url} answered {response.status_code} without a token, not 401")
        elif not sent_to_login(response):
            problems.append(f"{url} answered {response.status_code}, not a redirect to login")
    assert not problems, "\n".join(problems)


MENU = re.compile(r'<nav class="mainnav">(.*?)</nav>', re.S)
LINK = re.compile(r'href="([^"]+)"')


def test_each_persona_sees_a_menu_link_exactly_when_it_may_open_it(client, world, people):
    menus = {}
    for name, user in people.items():
        client.force_login(user)
        page = client.get(reverse("registry:household_list")).content.decode()
        menus[name] = set(LINK.findall(MENU.search(page).group(1)))
    every_link = set().union(*menus.values())
    assert len(every_link) >= 10
    problems = []
    for name, user in people.items():
        for url in sorted(every_link):
            capability = required(url)
            allowed = capability is None or user_can(user, capability)
            if allowed != (url in menus[name]):
                shown = "shows" if url in menus[name] else "hides"
                problems.append(f"{name}: the menu {shown} {url}, which needs {capability}")
    assert not problems, "\n".join(problems)
