"""Accounts managed in the app (docs/security.md §6): administrators create, edit, deactivate accounts and
reset passwords inside their own region, grant no role above their own, and every change is audited."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from dixian.accounts.models import Role, User
from dixian.common.models import ChangeLog
from dixian.common.testing import PASSWORD, persona

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:account_list")
NEW = reverse("accounts:account_create")
TEMP = "Zhu-2026-linshi"


def new_account(place, **extra):
    data = {
        "username": "new_officer",
        "name": "赵村干",
        "phone": "13900001111",
        "region": [str(place.pk)],
        "roles": ["village_officer"],
        "password1": TEMP,
        "password2": TEMP,
    }
    data.update(extra)
    return data


def edit_data(account, **extra):
    data = {
        "username": account.username,
        "name": account.first_name,
        "phone": account.phone,
        "region": [str(account.region_id)],
        "roles": list(account.roles),
        "feeds": list(account.feeds),
    }
    if account.can_view_pii:
        data["can_view_pii"] = "on"
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def user_rows(account):
    return list(ChangeLog.objects.filter(entity="user", entity_id=account.pk).order_by("pk"))


def no_secret_in_log() -> None:
    """No ChangeLog row carries a password or a password hash."""
    for row in ChangeLog.objects.filter(entity="user"):
        text = json.dumps(row.changes, ensure_ascii=False) + row.summary
        assert TEMP not in text and PASSWORD not in text and "password" not in row.changes
        for account in User.objects.all():
            assert account.password not in text
        for value in [v for pair in row.changes.values() for v in pair if isinstance(v, str)]:
            with pytest.raises(ValueError):
                identify_hasher(value)


# --- creating -----------------------------------------------------------------------------------------


def test_county_admin_creates_an_account_in_its_county_audited(client, world, people):
    admin = people["county_admin"]
    client.force_login(admin)
    response = client.post(NEW, new_account(world.village))
    account = User.objects.get(username="new_officer")
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:account_edit", args=[account.pk]
    )
    assert (account.region, account.roles, account.first_name, account.feeds) == (
        world.village,
        ["village_officer"],
        "赵村干",
        [],
    )
    assert account.check_password(TEMP) and account.must_change_password and not account.can_view_pii
    [row] = user_rows(account)
    assert (row.action, row.actor, row.household_id, row.source) == ("create", admin, None, "web")
    assert row.changes["roles"] == [None, ["village_officer"]]
    assert row.changes["region"] == [None, world.village.code]
    assert "授予角色 村级信息员" in row.summary
    no_secret_in_log()


def test_the_region_left_blank_is_the_administrators_own(client, world, people):
    client.force_login(people["county_admin"])
    client.post(NEW, new_account(world.village, region=[]))
    assert User.objects.get(username="new_officer").region == world.county


def test_county_admin_cannot_place_an_account_outside_its_county(client, world, people):
    client.force_login(people["county_admin"])
    for region in (world.other_county, world.far_village, world.city):
        response = client.post(NEW, new_account(region))
        assert response.status_code == 200
        assert "所属区划须是您管辖的区划或其下级区划" in response.content.decode()
    assert not User.objects.filter(username="new_officer").exists()
    assert not ChangeLog.objects.filter(entity="user").exists()


@pytest.mark.parametrize("role", ["city_admin"])
def test_county_admin_cannot_grant_a_city_role(client, world, people, role):
    client.force_login(people["county_admin"])
    response = client.post(NEW, new_account(world.county, roles=[role]))
    assert response.status_code == 200
    assert not User.objects.filter(username="new_officer").exists()
    assert "角色无效" in response.content.decode() or "您不能授予" in response.content.decode()


def test_service_refuses_a_role_above_the_administrators_own(world, people):
    from django.core.exceptions import ValidationError

    from dixian.accounts.web import services

    data = services.AccountInput("x1", "", "", world.county, [Role.CITY_ADMIN], [], False)
    with pytest.raises(ValidationError, match="您不能授予"):
        services.account_create(actor=people["county_admin"], data=data, password=TEMP)


def test_city_admin_creates_a_county_admin(client, world, people):
    client.force_login(people["city_admin"])
    response = client.post(NEW, new_account(world.county, username="xs_admin2", roles=["county_admin"]))
    assert response.status_code == 302
    assert User.objects.get(username="xs_admin2").roles == ["county_admin"]


def test_weak_or_mismatched_temporary_passwords_are_refused_in_chinese(client, world, people):
    client.force_login(people["county_admin"])
    html = client.post(NEW, new_account(world.village, password1="123", password2="123")).content.decode()
    assert "密码" in html and "8" in html
    html = client.post(NEW, new_account(world.village, password2="other-pass-99")).content.decode()
    assert "两次输入的密码不一致" in html
    assert not User.objects.filter(username="new_officer").exists()


def test_a_taken_username_is_refused(client, world, people):
    client.force_login(people["county_admin"])
    html = client.post(NEW, new_account(world.village, username="HELPER")).content.decode()
    assert "该用户名已被使用" in html


@pytest.mark.parametrize(
    "name", ["village_officer", "county_reviewer", "leader", "helper", "department_uploader"]
)
def test_an_account_without_the_right_gets_403(client, world, people, name):
    client.force_login(people[name])
    assert client.get(LIST).status_code == 403
    assert client.post(NEW, new_account(world.village)).status_code == 403
    target = people["helper"]
    assert (
        client.post(reverse("accounts:account_edit", args=[target.pk]), edit_data(target)).status_code == 403
    )
    assert (
        client.post(
            reverse("accounts:account_action", args=[target.pk]), {"action": "deactivate"}
        ).status_code
        == 403
    )
    assert not User.objects.filter(username="new_officer").exists()
    assert User.objects.get(pk=target.pk).is_active


# --- department feeds ---------------------------------------------------------------------------------


def test_department_account_gets_its_feeds_and_others_none(client, world, people):
    client.force_login(people["county_admin"])
    response = client.post(
        NEW, new_account(world.county, username="ybj", roles=["department_uploader"], feeds=["medical"])
    )
    assert response.status_code == 302
    account = User.objects.get(username="ybj")
    assert account.feeds == ["medical"]
    # Without a department role the feeds are dropped, whatever was ticked.
    client.post(reverse("accounts:account_edit", args=[account.pk]), edit_data(account, roles=["leader"]))
    account.refresh_from_db()
    assert (account.roles, account.feeds) == (["leader"], [])


def test_department_account_without_feeds_is_refused(client, world, people):
    client.force_login(people["county_admin"])
    html = client.post(NEW, new_account(world.county, roles=["department_uploader"])).content.decode()
    assert "部门数据账号须选择其负责报送的数据项" in html
    html = client.post(
        NEW, new_account(world.county, roles=["department_uploader"], feeds=["no_such_feed"])
    ).content.decode()
    assert "数据项无效" in html
    assert not User.objects.filter(username="new_officer").exists()


def test_the_form_marks_the_roles_with_feeds_for_the_script(client, world, people):
    client.force_login(people["county_admin"])
    html = client.get(NEW).content.decode()
    assert 'value="department_uploader" data-feeds' in html
    assert 'id="account-feeds"' in html and "dixian/accounts" in html and "<script>" not in html


# --- editing, the personal-data right, deactivating ----------------------------------------------------


def test_granting_and_withdrawing_the_pii_right_is_audited(client, world, people):
    admin, target = people["county_admin"], people["village_officer"]
    client.force_login(admin)
    url = reverse("accounts:account_edit", args=[target.pk])
    assert client.post(url, edit_data(target, can_view_pii="on")).status_code == 302
    target.refresh_from_db()
    assert target.can_view_pii
    assert client.post(url, edit_data(target, can_view_pii=None)).status_code == 302
    target.refresh_from_db()
    assert not target.can_view_pii
    grant, withdraw = user_rows(target)
    assert grant.changes == {"can_view_pii": [False, True]} and "授予查看完整个人信息权限" in grant.summary
    assert (
        withdraw.changes == {"can_view_pii": [True, False]} and "撤销查看完整个人信息权限" in withdraw.summary
    )
    assert grant.actor == admin and grant.action == "update" and grant.household_id is None


def test_role_changes_are_audited_with_old_and_new(client, world, people):
    target = people["village_officer"]
    client.force_login(people["county_admin"])
    client.post(
        reverse("accounts:account_edit", args=[target.pk]),
        edit_data(target, roles=["village_officer", "helper"]),
    )
    [row] = user_rows(target)
    assert row.changes == {"roles": [["village_officer"], ["helper", "village_officer"]]}
    assert "授予角色 帮扶干部" in row.summary


def test_an_administrator_without_the_pii_right_cannot_grant_it(client, world, people):
    admin = persona("plain_admin", world.county, Role.COUNTY_ADMIN)
    target = people["village_officer"]
    client.force_login(admin)
    client.post(reverse("accounts:account_edit", args=[target.pk]), edit_data(target, can_view_pii="on"))
    target.refresh_from_db()
    assert not target.can_view_pii  # the field is disabled: the posted value is ignored
    from django.core.exceptions import ValidationError

    from dixian.accounts.web import services

    data = services.AccountInput(target.username, "", "", target.region, list(target.roles), [], True)
    with pytest.raises(ValidationError, match="不能授予或撤销"):
        services.account_update(actor=admin, account=target, data=data)


def test_an_account_of_another_county_answers_404(client, world, people):
    client.force_login(people["county_admin"])
    far = people["other_county_reviewer"]
    for name in ("accounts:account_edit", "accounts:account_password", "accounts:account_action"):
        url = reverse(name, args=[far.pk])
        assert (
            client.post(url, {"action": "deactivate", "password1": TEMP, "password2": TEMP}).status_code
            == 404
        )
    assert client.get(reverse("accounts:account_edit", args=[far.pk])).status_code == 404
    far.refresh_from_db()
    assert far.is_active and far.check_password(PASSWORD)


def test_county_admin_cannot_edit_an_account_holding_a_role_above_its_own(client, world, people):
    boss = persona("city_admin_in_county", world.county, Role.CITY_ADMIN)
    client.force_login(people["county_admin"])
    url = reverse("accounts:account_edit", args=[boss.pk])
    assert "只能查看,不能修改" in client.get(url).content.decode()
    assert client.post(url, edit_data(boss, roles=["leader"])).status_code == 403
    assert (
        client.post(reverse("accounts:account_action", args=[boss.pk]), {"action": "deactivate"}).status_code
        == 403
    )
    boss.refresh_from_db()
    assert boss.roles == ["city_admin"] and boss.is_active


def test_moving_an_account_out_of_the_county_is_refused(client, world, people):
    target = people["village_officer"]
    client.force_login(people["county_admin"])
    client.post(
        reverse("accounts:account_edit", args=[target.pk]),
        edit_data(target, region=[str(world.far_village.pk)]),
    )
    target.refresh_from_db()
    assert target.region == world.village


def test_an_administrator_cannot_change_its_own_rights(client, world, people):
    admin = people["county_admin"]
    client.force_login(admin)
    url = reverse("accounts:account_edit", args=[admin.pk])
    html = client.post(url, edit_data(admin, roles=["county_admin", "leader"])).content.decode()
    assert "不能修改自己的角色、区划或权限" in html
    client.post(reverse("accounts:account_action", args=[admin.pk]), {"action": "deactivate"})
    admin.refresh_from_db()
    assert admin.roles == ["county_admin"] and admin.is_active


def test_deactivating_ends_the_sign_in_and_is_audited(client, world, people):
    target = people["village_officer"]
    other = type(client)()
    other.force_login(target)
    assert other.get(reverse("registry:household_list")).status_code == 200
    client.force_login(people["county_admin"])
    response = client.post(reverse("accounts:account_action", args=[target.pk]), {"action": "deactivate"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    [row] = user_rows(target)
    assert row.changes == {"is_active": [True, False]} and "停用账号" in row.summary
    # Its open session is over, and it cannot sign in again.
    assert other.get(reverse("registry:household_list"))["Location"].startswith(reverse("accounts:login"))
    login = type(client)().post(
        reverse("accounts:login"), {"username": target.username, "password": PASSWORD}
    )
    assert login.status_code == 200 and "用户名或密码不正确" in login.content.decode()
    client.post(reverse("accounts:account_action", args=[target.pk]), {"action": "activate"})
    target.refresh_from_db()
    assert target.is_active


# --- passwords ----------------------------------------------------------------------------------------


def test_password_reset_forces_a_change_at_next_login(client, world, people):
    target = people["helper"]
    old_session = type(client)()
    old_session.force_login(target)
    client.force_login(people["county_admin"])
    response = client.post(
        reverse("accounts:account_password", args=[target.pk]), {"password1": TEMP, "password2": TEMP}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(TEMP) and target.must_change_password
    # The session opened with the old password is over.
    assert old_session.get("/visits/")["Location"].startswith(reverse("accounts:login"))
    [row] = user_rows(target)
    assert set(row.changes) == {"must_change_password", "password_changed_at"}
    no_secret_in_log()

    user_client = type(client)()
    response = user_client.post(
        reverse("accounts:login"), {"username": "helper", "password": TEMP}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:password_change")
    assert "临时密码" in response.content.decode()
    # Every page sends it back to the form until it has chosen its own password.
    assert user_client.get("/visits/")["Location"] == reverse("accounts:password_change")
    same = user_client.post(
        reverse("accounts:password_change"),
        {"old_password": TEMP, "new_password1": TEMP, "new_password2": TEMP},
    )
    assert "新密码不能与当前密码相同" in same.content.decode()
    done = user_client.post(
        reverse("accounts:password_change"),
        {"old_password": TEMP, "new_password1": "Own-pass-2026x", "new_password2": "Own-pass-2026x"},
    )
    assert done.status_code == 302
    assert user_client.get("/visits/").status_code == 200
    target.refresh_from_db()
    assert not target.must_change_password and target.check_password("Own-pass-2026x")
    last = user_rows(target)[-1]
    assert last.actor == target and last.changes["must_change_password"] == [True, False]
    no_secret_in_log()


def test_own_password_change_applies_the_validators(client, world, people):
    client.force_login(people["leader"])
    url = reverse("accounts:password_change")
    assert client.get(url).status_code == 200
    html = client.post(
        url, {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"}
    ).content.decode()
    assert "密码" in html and "8" in html  # Django's Chinese message of the minimum length
    html = client.post(
        url, {"old_password": "wrong", "new_password1": "Good-pass-2026", "new_password2": "Good-pass-2026"}
    ).content.decode()
    assert "旧密码" in html
    assert User.objects.get(username="leader").check_password(PASSWORD)


def test_reset_by_an_administrator_refuses_a_weak_password(client, world, people):
    target = people["helper"]
    client.force_login(people["county_admin"])
    response = client.post(
        reverse("accounts:account_password", args=[target.pk]), {"password1": "1234", "password2": "1234"}
    )
    assert response.status_code == 400 and "密码" in response.content.decode()
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not target.must_change_password


# --- the list -----------------------------------------------------------------------------------------


def test_the_list_shows_the_county_only_and_filters(client, world, people):
    client.force_login(people["county_admin"])
    shown = {a.username for a in client.get(LIST).context["page"].rows}
    assert {"county_admin", "village_officer", "helper"} <= shown
    assert not shown & {"other_county_reviewer", "city_admin", "leader"}
    rows = client.get(LIST, {"role": "helper"}).context["page"].rows
    assert [a.username for a in rows] == ["helper"]
    rows = client.get(LIST, {"q": "officer"}).context["page"].rows
    assert [a.username for a in rows] == ["village_officer"]
    rows = client.get(LIST, {"region": str(world.village.pk)}).context["page"].rows
    assert {a.username for a in rows} == {"helper", "village_officer"}
    widened = client.get(LIST, {"region": str(world.other_county.pk)})
    assert "所选区划不在您的管辖范围内" in widened.content.decode()
    assert "other_county_reviewer" not in widened.content.decode()


def test_the_list_masks_account_phones_without_the_pii_right(client, world, people):
    target = people["helper"]
    target.phone = "13912345678"
    target.save()
    plain = persona("plain_admin", world.county, Role.COUNTY_ADMIN)
    client.force_login(plain)
    assert "13912345678" not in client.get(LIST).content.decode()
    client.force_login(people["county_admin"])
    assert "13912345678" in client.get(LIST).content.decode()


def test_the_list_pages_with_a_constant_number_of_queries(client, world, people, django_assert_num_queries):
    admin = people["city_admin"]
    client.force_login(admin)
    client.get(LIST)  # warm up (content types, the session)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST, {"page": "2"}).status_code == 200
        return len(ctx.captured_queries)

    for i in range(60):
        persona(f"extra{i:03d}", world.village, Role.HELPER)
    few = count()
    for i in range(60, 200):
        persona(f"extra{i:03d}", world.township, Role.LEADER)
    assert count() == few
    with django_assert_num_queries(few):
        response = client.get(LIST, {"page": "2"})
    assert len(response.context["page"].rows) == 50


def test_the_menu_offers_account_management_to_administrators_only(client, world, people):
    client.force_login(people["county_admin"])
    assert f'href="{LIST}"' in client.get(reverse("registry:household_list")).content.decode()
    client.force_login(people["county_reviewer"])
    assert f'href="{LIST}"' not in client.get(reverse("registry:household_list")).content.decode()


# --- the Django admin ---------------------------------------------------------------------------------


def test_the_django_admin_is_for_the_superuser_only(client, world, people):
    from django.contrib.auth.models import Permission

    staff = people["county_admin"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    for url in (
        reverse("admin:index"),
        reverse("admin:registry_person_changelist"),
        reverse("admin:accounts_user_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(root)
    assert client.get(reverse("admin:registry_person_changelist")).status_code == 200
    root.is_active = False
    root.save()
    assert client.get(reverse("admin:index")).status_code == 302


def test_account_changes_in_the_django_admin_are_audited_too(client, world, people):
    from dixian.common.tests.test_admin import form_data

    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(root)
    target = people["village_officer"]
    url = reverse("admin:accounts_user_change", args=[target.pk])
    data = form_data(client.get(url))
    data["can_view_pii"] = "on"
    assert client.post(url, data).status_code == 302
    [row] = user_rows(target)
    assert (row.source, row.actor, row.changes) == ("admin", root, {"can_view_pii": [False, True]})
    password_url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(password_url, {"password1": TEMP, "password2": TEMP, "usable_password": "true"})
    assert response.status_code == 302
    assert set(user_rows(target)[-1].changes) == {"password_changed_at"}
    no_secret_in_log()


def test_the_region_picker_refreshes_from_the_form_page(client, world, people):
    client.force_login(people["city_admin"])
    html = client.get(NEW, {"region": [str(world.county.pk), str(world.township.pk)]}).content.decode()
    assert f'hx-get="{NEW}"' in html
    assert f'<option value="{world.village.pk}">' in html  # the villages of the chosen township are offered
    assert f'<option value="{world.township.pk}" selected>' in html
    # Another county's region typed by hand is not offered below a county admin's own.
    client.force_login(people["county_admin"])
    html = client.get(NEW, {"region": [str(world.other_county.pk)]}).content.decode()
    assert f'value="{world.far_village.pk}"' not in html
