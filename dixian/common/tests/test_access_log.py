"""The access log (docs/security.md §5): every showing of personal data leaves one row; nobody edits it;
the region's administrators read it per account and per household, and only inside their region."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from dixian.accounts.models import Role
from dixian.common import access_log
from dixian.common.access_log import log_access
from dixian.common.audit import change_record
from dixian.common.models import AccessLog
from dixian.common.testing import PASSWORD, persona
from dixian.common.tests.test_no_leak import alert_of, declaration_in, visit_of
from dixian.registry.models import Person

pytestmark = pytest.mark.django_db


def household_page(client, user, household) -> None:
    client.force_login(user)
    assert client.get(reverse("registry:household_detail", args=[household.pk])).status_code == 200


# --- writing ----------------------------------------------------------------------------------------------


def test_a_view_without_the_right_is_logged_masked_with_the_members_shown(client, world, people):
    officer = people["village_officer"]
    household_page(client, officer, world.home)
    row = AccessLog.objects.get()
    assert row.account_id == officer.pk and row.action == AccessLog.Action.VIEW
    assert row.household_id == world.home.pk and row.region_code == world.home.region_code
    assert sorted(row.person_ids) == sorted(
        Person.objects.filter(household=world.home).values_list("pk", flat=True)
    )
    assert row.masked is True
    assert "id_number" in row.fields and "health" not in row.fields  # health is hidden from this account
    assert row.path == f"/households/{world.home.pk}/" and row.ip == "127.0.0.1"


def test_a_view_with_the_right_is_a_reveal(client, world, people):
    household_page(client, people["county_admin"], world.home)
    row = AccessLog.objects.get()
    assert row.masked is False and row.revealed
    assert {"id_number", "phone", "health", "disability"} <= set(row.fields)


def test_each_showing_is_one_row_and_one_insert(client, world, people, django_assert_num_queries):
    """Logging costs the page exactly one query (the INSERT): compare with the log switched off."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["village_officer"])
    url = reverse("registry:household_detail", args=[world.home.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as on:
        client.get(url)
    access_log.ENABLED = False
    try:
        with CaptureQueriesContext(connection) as off:
            client.get(url)
    finally:
        access_log.ENABLED = True
    assert len(on.captured_queries) == len(off.captured_queries) + 1
    assert [q["sql"].split()[0] for q in on.captured_queries].count("INSERT") == 1
    assert AccessLog.objects.count() == 2


@pytest.mark.parametrize("page", ["alert", "declaration", "visit", "person", "history"])
def test_pages_with_a_households_personal_data_are_logged(client, world, people, page):
    h = world.home
    url = {
        "alert": lambda: reverse("cases:alert_detail", args=[alert_of(h)]),
        "declaration": lambda: reverse("declarations:detail", args=[declaration_in(h)]),
        "visit": lambda: reverse("visits:detail", args=[visit_of(h)[0]]),
        "person": lambda: reverse("registry:person_edit", args=[h.pk, h.members.first().pk]),
        "history": lambda: reverse("registry:household_history", args=[h.pk]),
    }[page]()
    AccessLog.objects.all().delete()
    client.force_login(people["village_officer"])
    assert client.get(url).status_code == 200
    row = AccessLog.objects.get()
    assert row.action == AccessLog.Action.VIEW and row.masked and row.path == url
    assert row.region_code.startswith(world.village.code[:12])
    if page != "declaration" or row.household_id is not None:
        assert row.household_id == h.pk


def test_the_sync_registry_export_is_one_row_with_its_count_and_scope(client, world, people):
    admin = people["county_admin"]
    client.force_login(admin)
    response = client.post(
        reverse("registry:household_export") + f"?region={world.township.pk}", {"sheets": "persons"}
    )
    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert row.action == AccessLog.Action.EXPORT and row.household_id is None
    assert row.record_count == 2 + 4  # two households of the township, four members
    assert row.region_code == world.township.prefix and not row.masked
    assert "义宁镇" in row.scope and "人口表" in row.scope


def test_the_alert_export_is_logged(client, world, people):
    alert_of(world.home)
    client.force_login(people["village_officer"])
    assert client.get(reverse("cases:alert_export")).status_code == 200
    row = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert row.record_count == 1 and row.masked


def test_numbers_in_a_logged_scope_are_masked(world, people):
    row = log_access(
        people["county_admin"], action="search", scope="查找:138-0000-0001 与 360424197001010016"
    )
    assert row is not None
    assert "13800000001" not in row.scope and "138****0001" in row.scope
    assert "360424197001010016" not in row.scope


def test_the_anonymous_visitor_leaves_nothing(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    assert log_access(request) is None and not AccessLog.objects.exists()


# --- it cannot be edited ----------------------------------------------------------------------------------


@pytest.fixture
def root(world, client):
    user = get_user_model().objects.create_superuser(
        "root", "root@example.com", PASSWORD, region=world.city, roles=[Role.CITY_ADMIN]
    )
    client.force_login(user)
    return user


def test_the_admin_neither_changes_nor_deletes_nor_adds(client, world, people, root):
    row = log_access(people["village_officer"], household=world.home, fields=["name"])
    assert row is not None
    change = reverse("admin:common_accesslog_change", args=[row.pk])
    assert client.get(change).status_code == 200  # readable
    assert client.post(change, {"account_name": "nobody", "masked": "on"}).status_code == 403
    assert (
        client.post(reverse("admin:common_accesslog_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:common_accesslog_add")).status_code == 403
    changelist = client.post(
        reverse("admin:common_accesslog_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    row.refresh_from_db()
    assert row.account_name.endswith("village_officer") and AccessLog.objects.filter(pk=row.pk).exists()


def test_the_database_refuses_to_update_a_row(world, people):
    row = log_access(people["village_officer"], household=world.home)
    assert row is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).update(masked=False)
    row.refresh_from_db()
    assert row.masked is True


def test_deleting_an_account_keeps_its_rows(world):
    gone = persona("gone", world.village, Role.VILLAGE_OFFICER)
    log_access(gone, household=world.home)
    gone.delete()
    assert AccessLog.objects.get().account_name == "gone"


def test_retention_deletes_only_rows_older_than_the_setting(world, people, settings):
    settings.DIXIAN_ACCESS_LOG_DAYS = 30
    now = timezone.now()
    old = log_access(people["village_officer"], household=world.home, at=now - dt.timedelta(days=31))
    new = log_access(people["village_officer"], household=world.home, at=now - dt.timedelta(days=29))
    assert access_log.access_log_purge(now=now) == 1
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [new.pk]
    assert old is not None


def test_the_worker_schedule_runs_the_retention(world, people, settings):
    from dixian.common.jobs import schedules_run

    settings.DIXIAN_ACCESS_LOG_DAYS = 1
    log_access(people["village_officer"], household=world.home, at=timezone.now() - dt.timedelta(days=3))
    schedules_run()
    assert not AccessLog.objects.exists()


# --- reading ----------------------------------------------------------------------------------------------


@pytest.fixture
def other_admin(world):
    return persona("other_admin", world.other_county, Role.COUNTY_ADMIN, pii=True)


def test_only_administrators_read_the_log(client, world, people):
    for name, user in people.items():
        client.force_login(user)
        status = client.get(reverse("access_log:list")).status_code
        assert status == (200 if name in ("city_admin", "county_admin") else 403), name


def test_an_administrator_reads_its_own_region_only(client, world, people, other_admin):
    officer = people["village_officer"]
    far_reviewer = people["other_county_reviewer"]
    log_access(officer, household=world.home, fields=["name"])
    log_access(far_reviewer, household=world.far, fields=["name"])
    client.force_login(people["county_admin"])
    html = client.get(reverse("access_log:list")).content.decode()
    assert f"农户 #{world.home.pk}" in html and f"农户 #{world.far.pk}" not in html
    # An account of the other county: 404, as if it did not exist.
    assert client.get(reverse("access_log:account", args=[far_reviewer.pk])).status_code == 404
    assert client.get(reverse("access_log:account", args=[10**9])).status_code == 404
    # A household of the other county: 404.
    assert client.get(reverse("registry:household_access_log", args=[world.far.pk])).status_code == 404
    # The other county's administrator sees the reverse.
    client.force_login(other_admin)
    html = client.get(reverse("access_log:list")).content.decode()
    assert f"农户 #{world.far.pk}" in html and f"农户 #{world.home.pk}" not in html
    assert client.get(reverse("access_log:account", args=[officer.pk])).status_code == 404
    assert client.get(reverse("registry:household_access_log", args=[world.home.pk])).status_code == 404


def test_the_account_page_lists_its_reading_and_its_rights_changes(client, world, people):
    officer = people["village_officer"]
    admin = people["county_admin"]
    log_access(officer, household=world.home, fields=["name", "id_number"])
    log_access(people["township_reviewer"], household=world.neighbour)
    change_record(
        actor=admin,
        source="web",
        entity="user",
        entity_id=officer.pk,
        household_id=None,
        action="update",
        summary="授予查看完整个人信息权限",
    )
    client.force_login(admin)
    html = client.get(reverse("access_log:account", args=[officer.pk])).content.decode()
    assert "权限变更" in html and "授予查看完整个人信息权限" in html
    assert f"农户 #{world.home.pk}" in html and f"农户 #{world.neighbour.pk}" not in html
    assert "姓名、证件号码" in html


def test_the_household_page_lists_its_views_and_the_exports_covering_it(client, world, people):
    log_access(people["village_officer"], household=world.home, fields=["name"])
    log_access(people["village_officer"], household=world.neighbour)
    log_access(people["city_admin"], action="export", count=3, scope="全市导出", region_code="3604")
    log_access(
        people["other_county_reviewer"], action="export", count=1, scope="都昌导出", region_code="360428"
    )
    client.force_login(people["county_admin"])
    html = client.get(reverse("registry:household_access_log", args=[world.home.pk])).content.decode()
    assert f"农户 #{world.home.pk}" in html and f"农户 #{world.neighbour.pk}" not in html
    assert "全市导出" in html and "都昌导出" not in html


def test_the_household_page_links_to_its_log_for_administrators_only(client, world, people):
    url = reverse("registry:household_access_log", args=[world.home.pk])
    client.force_login(people["county_admin"])
    assert url in client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    client.force_login(people["county_reviewer"])
    assert url not in client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()


def test_filters_by_action_and_reveal(client, world, people):
    log_access(people["village_officer"], household=world.home)
    log_access(people["county_admin"], household=world.home)
    log_access(people["county_admin"], action="export", count=9, scope="全县导出")
    client.force_login(people["county_admin"])
    page = client.get(reverse("access_log:list"), {"shown": "full"}).context["page"]
    assert {r.masked for r in page.rows} == {False} and len(page.rows) == 2
    page = client.get(reverse("access_log:list"), {"action": "export"}).context["page"]
    assert [r.record_count for r in page.rows] == [9]
    response = client.get(reverse("access_log:list"), {"action": "nonsense", "since": "x"})
    assert response.status_code == 200 and "取值无效" in response.content.decode()


LIST_QUERIES = 4  # session, account, the account's region, the page of rows (one page: no count)


@pytest.mark.parametrize("n", [1, 30])
def test_the_list_pages_run_a_fixed_number_of_queries(client, world, people, django_assert_num_queries, n):
    officer = people["village_officer"]
    for _ in range(n):
        log_access(officer, household=world.home, fields=["name"])
    client.force_login(people["county_admin"])
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(reverse("access_log:list")).status_code == 200
    # The account page: the account (with its region) and its 权限变更 besides.
    with django_assert_num_queries(LIST_QUERIES + 2):
        assert client.get(reverse("access_log:account", args=[officer.pk])).status_code == 200
    # The household page: the household (with its village) instead of the account.
    with django_assert_num_queries(LIST_QUERIES + 1):
        assert client.get(reverse("registry:household_access_log", args=[world.home.pk])).status_code == 200


def test_lists_with_full_numbers_are_logged_for_accounts_with_the_right_only(client, world, people):
    declaration_in(world.home)
    for url in (reverse("declarations:list"), reverse("registry:household_list")):
        AccessLog.objects.all().delete()
        client.force_login(people["village_officer"])
        assert client.get(url).status_code == 200
        assert not AccessLog.objects.exists(), url  # names and masked numbers only
        client.force_login(people["county_admin"])
        assert client.get(url).status_code == 200
        row = AccessLog.objects.get()
        assert not row.masked and row.record_count >= 1 and row.household_id is None, url
