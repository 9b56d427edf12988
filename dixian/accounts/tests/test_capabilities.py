"""The permission map read as the rules it stands for (dixian.accounts.capabilities)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from dixian.accounts.capabilities import (
    ROLE_CAPABILITIES,
    Capability,
    CapabilitySet,
    capabilities_of,
    user_can,
)
from dixian.accounts.models import Role
from dixian.common.testing import persona

pytestmark = pytest.mark.django_db
C = Capability


def test_every_role_has_a_row_and_every_capability_is_granted_somewhere():
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    granted = set().union(*ROLE_CAPABILITIES.values())
    # PII_VIEW alone comes from the account's own grant, never from a role.
    assert granted == set(Capability) - {C.PII_VIEW}


def test_the_personal_data_right_is_granted_per_account_not_by_role(world):
    officer = persona("officer", world.village, Role.VILLAGE_OFFICER)
    trusted = persona("trusted", world.village, Role.VILLAGE_OFFICER, pii=True)
    assert not officer.can(C.PII_VIEW) and trusted.can(C.PII_VIEW)
    assert capabilities_of(trusted) - capabilities_of(officer) == {C.PII_VIEW}
    no_role = persona("nobody", world.village, pii=True)
    assert capabilities_of(no_role) == {C.PII_VIEW}


def test_an_account_holds_what_any_of_its_roles_grants(world):
    both = persona("both", world.village, Role.VILLAGE_OFFICER, Role.HELPER)
    assert capabilities_of(both) == ROLE_CAPABILITIES[Role.VILLAGE_OFFICER] | ROLE_CAPABILITIES[Role.HELPER]


def test_the_anonymous_visitor_and_a_deactivated_account_may_do_nothing(world):
    assert capabilities_of(AnonymousUser()) == frozenset()
    admin = persona("gone", world.city, Role.CITY_ADMIN, pii=True)
    admin.is_active = False
    assert capabilities_of(admin) == frozenset() and not user_can(admin, C.PII_VIEW)


def test_an_unknown_role_grants_nothing(world):
    assert capabilities_of(persona("odd", world.village, "retired_role")) == frozenset()


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        # The registry's staff keep it: read, change, handle alerts and declarations, record visits.
        (Role.VILLAGE_OFFICER, {C.REGISTRY_EDIT, C.ALERTS_HANDLE, C.DECLARATIONS_HANDLE}, {C.RUNS_VIEW}),
        (Role.TOWNSHIP_REVIEWER, {C.REGISTRY_EDIT, C.RUNS_VIEW}, {C.LINKS_REVIEW, C.FEEDS_UPLOAD}),
        (Role.COUNTY_REVIEWER, {C.LINKS_REVIEW, C.RUNS_VIEW}, {C.RUNS_START, C.RULES_EDIT, C.FEEDS_UPLOAD}),
        (Role.COUNTY_ADMIN, {C.FEEDS_UPLOAD, C.RUNS_START, C.RULES_EDIT}, {C.RULES_EDIT_COUNTIES}),
        (Role.CITY_ADMIN, {C.RULES_EDIT_COUNTIES, C.RUNS_START, C.REGISTRY_EDIT}, {C.PII_VIEW}),
        # 领导 reads and changes nothing.
        (Role.LEADER, {C.REGISTRY_VIEW, C.ALERTS_VIEW, C.UNMATCHED_VIEW, C.VISITS_VIEW}, {C.REGISTRY_EDIT}),
        # A helper works on its own households only: no subtree, no declarations, no 应纳未纳.
        (Role.HELPER, {C.REGISTRY_VIEW_ASSIGNED, C.VISITS_RECORD}, {C.REGISTRY_VIEW, C.UNMATCHED_VIEW}),
        # A department account delivers data and sees no household.
        (Role.DEPARTMENT_UPLOADER, {C.FEEDS_UPLOAD}, {C.REGISTRY_VIEW, C.REGISTRY_VIEW_ASSIGNED}),
    ],
)
def test_what_each_role_may_and_may_not_do(role, may, may_not):
    assert may <= ROLE_CAPABILITIES[role]
    assert not may_not & ROLE_CAPABILITIES[role]


def test_templates_ask_by_capability_name(world, people):
    template = Template("{% if can.feeds_upload %}报送{% endif %}{% if can.no_such_right %}错{% endif %}|")
    request = RequestFactory().get("/")
    for name, shown in (("department_uploader", "报送|"), ("village_officer", "|")):
        request.user = people[name]
        assert template.render(Context({"can": CapabilitySet(request.user)})) == shown
    with pytest.raises(KeyError):
        CapabilitySet(people["city_admin"])["no_such_right"]
