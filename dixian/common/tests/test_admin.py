"""The admin: every model is there, registry saves leave ChangeLog rows, logs and jobs are read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.urls import reverse

from dixian.accounts.models import Role, User
from dixian.common.models import ChangeLog, Job
from dixian.common.testing import PASSWORD, fake_id
from dixian.registry.models import (
    HelperAssignment,
    Household,
    HouseholdIncome,
    ImportBatch,
    IncomeLine,
    Person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(world, client) -> User:
    user = User.objects.create_superuser(
        "root", "root@example.com", PASSWORD, region=world.city, roles=[Role.CITY_ADMIN], can_view_pii=True
    )
    client.force_login(user)
    return user


def form_data(response) -> dict[str, Any]:
    """The admin page's forms as a browser would submit them unchanged."""
    data: dict[str, Any] = {}

    def add(form: forms.BaseForm) -> None:
        for bf in form:
            if bf.field.disabled:
                continue
            value, widget = bf.value(), bf.field.widget
            if isinstance(widget, forms.CheckboxInput):
                if value:
                    data[bf.html_name] = "on"
            elif isinstance(widget, forms.NullBooleanSelect):
                data[bf.html_name] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(widget, forms.MultiWidget):
                for i, part in enumerate(widget.decompress(value)):  # type: ignore[arg-type]  # a list for these widgets
                    data[f"{bf.html_name}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, (list, tuple)):
                data[bf.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bf.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            add(form)
    return data


def test_every_model_is_in_the_admin():
    from django.apps import apps

    models = [m for m in apps.get_models() if m.__module__.startswith("dixian.")]
    assert len(models) >= 10
    missing = [m._meta.label for m in models if m not in admin.site._registry]
    assert not missing, f"models without an admin: {missing}"


def test_every_admin_page_renders(client, world, people, root):
    services_row = ChangeLog.objects.create(
        at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        source="web",
        entity="household",
        entity_id=world.home.pk,
        household_id=world.home.pk,
        action="update",
    )
    job = Job.objects.create(kind="export", owner=root)
    batch = ImportBatch.objects.create(file_name="a.xlsx", checksum="0" * 64, region=world.county)
    objects = {
        User: people["helper"],
        Household: world.home,
        Person: world.home.members.first(),
        HouseholdIncome: HouseholdIncome.objects.first(),
        HelperAssignment: HelperAssignment.objects.first(),
        ImportBatch: batch,
        IncomeLine: IncomeLine.objects.first(),
        ChangeLog: services_row,
        Job: job,
        world.city.__class__: world.village,
    }
    for model, obj in objects.items():
        info = (model._meta.app_label, model._meta.model_name)
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, model
        assert client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200, (
            model
        )
        add = client.get(reverse("admin:{}_{}_add".format(*info)))
        assert add.status_code == (403 if model in (ChangeLog, Job, ImportBatch, IncomeLine) else 200), model


def test_household_change_in_admin_is_logged_with_source_admin(client, world, root):
    url = reverse("admin:registry_household_change", args=[world.home.pk])
    data = form_data(client.get(url))
    data["housing_grade"] = "D"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.home.refresh_from_db()
    assert world.home.housing_ok is False
    row = ChangeLog.objects.get(household_id=world.home.pk, entity="household")
    assert row.source == "admin" and row.actor == root
    assert row.changes == {"housing_grade": ["B", "D"], "housing_ok": [True, False]}


def test_household_admin_shows_rule_errors_as_form_errors(client, world, root):
    url = reverse("admin:registry_household_change", args=[world.home.pk])
    data = form_data(client.get(url))
    data["monitoring_category"] = "edge"  # 边缘易致贫户 of a 脱贫户: not allowed
    response = client.post(url, data)
    assert response.status_code == 200
    assert "边缘易致贫户只能是一般农户" in response.content.decode()
    assert ChangeLog.objects.count() == 0


def test_inline_member_edits_go_through_the_services(client, world, root):
    url = reverse("admin:registry_household_change", args=[world.home.pk])
    data = form_data(client.get(url))
    head, spouse = world.home.members.get(relation="head"), world.home.members.get(relation="spouse")
    index = {int(data[f"members-{i}-id"]): i for i in range(int(data["members-TOTAL_FORMS"]))}
    # Swap head and spouse in one save, and add a child.
    data[f"members-{index[head.pk]}-relation"] = "spouse"
    data[f"members-{index[spouse.pk]}-relation"] = "head"
    n = int(data["members-TOTAL_FORMS"])
    child = fake_id("360424", dt.date(2012, 4, 5), 8)
    data.update(
        {
            f"members-{n}-{k}": v
            for k, v in {
                "name": "张小",
                "id_number": child,
                "relation": "son",
                "ethnicity": "汉族",
                "health_status": "healthy",
                "labour_skill": "none",
                "medical_insurance": "resident",
                "household": str(world.home.pk),
            }.items()
        }
    )
    data["members-TOTAL_FORMS"] = n + 1
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    world.home.refresh_from_db()
    assert (world.home.head_name, world.home.member_count) == ("张三妻", 3)
    added = Person.objects.get(id_number=child)
    assert (added.sex, added.birth_date) == ("male", dt.date(2012, 4, 5))
    rows = ChangeLog.objects.filter(household_id=world.home.pk, source="admin")
    assert {(r.entity, r.action) for r in rows} >= {
        ("person", "update"),
        ("person", "create"),
        ("household", "update"),
    }


def test_two_heads_in_the_inline_are_refused(client, world, root):
    url = reverse("admin:registry_household_change", args=[world.home.pk])
    data = form_data(client.get(url))
    for i in range(int(data["members-TOTAL_FORMS"])):
        data[f"members-{i}-relation"] = "head"
    response = client.post(url, data)
    assert response.status_code == 200 and "一户只能有一位户主" in response.content.decode()


def test_adding_a_household_with_its_head_in_admin(client, world, root):
    url = reverse("admin:registry_household_add")
    data = form_data(client.get(url))
    number = fake_id("360424", dt.date(1960, 6, 6), 30)
    data.update(
        {
            "household_no": "3604241002010099",
            "region": str(world.village.pk),
            "kind": "ordinary",
            "water_ok": "true",
            "housing_grade": "A",
            "members-TOTAL_FORMS": "1",
            "members-0-name": "赵六",
            "members-0-id_number": number,
            "members-0-relation": "head",
            "members-0-ethnicity": "汉族",
            "members-0-health_status": "healthy",
            "members-0-labour_skill": "ordinary",
            "members-0-medical_insurance": "",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    household = Household.objects.get(household_no="3604241002010099")
    assert (household.region_code, household.head_name, household.member_count, household.medical_ok) == (
        world.village.code,
        "赵六",
        1,
        False,
    )
    assert ChangeLog.objects.filter(household_id=household.pk, action="create").count() == 2


def test_person_admin_moves_a_person_when_the_household_changes(client, world, root):
    spouse = world.home.members.get(relation="spouse")
    url = reverse("admin:registry_person_change", args=[spouse.pk])
    data = form_data(client.get(url))
    data["household"] = str(world.neighbour.pk)
    data["education"] = "primary"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    spouse.refresh_from_db()
    assert spouse.household == world.neighbour and spouse.education == "primary"
    assert ChangeLog.objects.filter(entity="person", entity_id=spouse.pk, action="move").count() == 2


def test_income_admin_computes_per_capita_and_logs(client, world, root):
    url = reverse("admin:registry_householdincome_add")
    data = {
        "household": str(world.home.pk),
        "year": "2024",
        "wages": "6000",
        "business": "0",
        "property": "0",
        "transfers": "0",
        "production_costs": "0",
        "eligible_out_of_pocket": "0",
        "insurance_payout": "0",
        "members": "3",
    }
    assert client.post(url, data).status_code == 302
    income = HouseholdIncome.objects.get(household=world.home, year=2024)
    assert income.net_income_per_capita == 2000
    assert ChangeLog.objects.get(entity="income").source == "admin"


def test_change_log_cannot_be_edited_or_deleted_in_admin(client, world, root):
    row = ChangeLog.objects.create(
        at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        source="web",
        entity="household",
        entity_id=1,
        household_id=1,
        action="update",
        summary="原始记录",
    )
    assert (
        client.post(reverse("admin:common_changelog_change", args=[row.pk]), {"summary": "篡改"}).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:common_changelog_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )
    row.refresh_from_db()
    assert row.summary == "原始记录"


def test_account_roles_are_chosen_from_the_role_list(client, world, people, root):
    helper = User.objects.get(username="helper")
    url = reverse("admin:accounts_user_change", args=[helper.pk])
    html = client.get(url).content.decode()
    assert 'type="checkbox" name="roles" value="village_officer"' in html
    data = form_data(client.get(url))
    data["roles"] = ["helper", "village_officer"]
    data["can_view_pii"] = "on"
    assert client.post(url, data).status_code == 302
    helper.refresh_from_db()
    assert sorted(helper.roles) == ["helper", "village_officer"] and helper.can_view_pii


def test_account_created_in_admin_gets_region_and_roles(client, world, root):
    data = {
        "username": "new_officer",
        "usable_password": "true",
        "password1": "Qw3rty-long-pass",
        "password2": "Qw3rty-long-pass",
        "region": str(world.village.pk),
        "roles": ["village_officer"],
    }
    response = client.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new_officer")
    assert user.region == world.village and user.roles == ["village_officer"] and user.is_registry_editor


def test_role_filter_finds_accounts_by_role(client, world, people, root):
    response = client.get(reverse("admin:accounts_user_changelist") + "?role=helper")
    assert [u.username for u in response.context["cl"].result_list] == ["helper"]


@pytest.mark.parametrize("persona", ["city_admin", "village_officer", "leader"])
def test_accounts_without_staff_flag_are_sent_to_admin_login(client, world, people, persona):
    client.force_login(people[persona])
    response = client.get(reverse("admin:registry_household_changelist"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
