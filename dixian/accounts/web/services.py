"""Accounts managed in the app, and sign-in: every write here is audited (docs/security.md §6).

Each change to an account is a ChangeLog row with entity "user" and the account's pk (household None): the
fields that changed, old and new, roles and the personal-data right included. Passwords and their hashes
never enter the log; a password event shows as `password_changed_at` (and `must_change_password`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from dixian.accounts.capabilities import Capability, grantable_roles, role_has_feeds, user_can
from dixian.accounts.models import Role, User
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.ratelimit import RateLimited, rate_limit_clear, rate_limit_retry_at, rate_limit_take
from dixian.domain.catalogue import FEEDS_BY_CODE
from dixian.regions.models import Region

ENTITY = "user"
# What the log compares on every save (region as its code: readable, and stable when a name changes).
AUDITED_FIELDS = ("username", "first_name", "phone", "region", "roles", "feeds", "can_view_pii", "is_active")


# --- who may manage whom ------------------------------------------------------------------------------


def in_admin_region(admin: User, region: Region | None) -> bool:
    """Whether `region` is the administrator's region or inside it."""
    return region is not None and admin.region is not None and region.code.startswith(admin.region.prefix)


def account_manageable(admin: User, account: User) -> bool:
    """An account the administrator may change: inside its region, not the superuser, and holding no role
    the administrator could not give (a county administrator never edits a city administrator)."""
    return (
        user_can(admin, Capability.ACCOUNTS_MANAGE)
        and not account.is_superuser
        and in_admin_region(admin, account.region)
        and set(account.roles or ()) <= grantable_roles(admin)
    )


def _require_manageable(admin: User, account: User) -> None:
    if not account_manageable(admin, account):
        raise PermissionDenied("该账号的角色或区划超出您的管理范围,请联系上级管理员。")


# --- the audit ----------------------------------------------------------------------------------------


def _state(account: User) -> dict[str, Any]:
    return {
        "username": account.username,
        "first_name": account.first_name,
        "phone": account.phone,
        "region": account.region.code if account.region is not None else None,
        "roles": sorted(account.roles or []),
        "feeds": sorted(account.feeds or []),
        "can_view_pii": account.can_view_pii,
        "is_active": account.is_active,
        # Only the superuser's admin changes these; the account pages never do.
        "is_staff": account.is_staff,
        "is_superuser": account.is_superuser,
    }


def account_state(account: User) -> dict[str, Any]:
    """What the audit compares (for the admin, which saves through Django's own forms)."""
    return _state(account)


def account_audit_admin(
    *,
    actor: Any,
    account: User,
    before: dict[str, Any],
    created: bool = False,
    password: bool = False,
) -> None:
    """Log a change the superuser made in the Django admin (source "admin")."""
    if password:
        old = _iso(account.password_changed_at)
        account.password_changed_at = timezone.now()
        account.save(update_fields=["password_changed_at"])
        changes: dict[str, list[Any]] = {"password_changed_at": [old, _iso(account.password_changed_at)]}
        lead = "后台修改密码"
    else:
        changes = _diff(before, _state(account))
        lead = "后台新建账号" if created else "后台修改账号"
    if not changes:
        return
    change_record(
        actor=actor,
        source=ChangeLog.Source.ADMIN,
        entity=ENTITY,
        entity_id=account.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE,
        changes=changes,
        summary=_summary(account, changes, lead),
    )


def account_audit_admin_delete(*, actor: Any, account: User) -> None:
    change_record(
        actor=actor,
        source=ChangeLog.Source.ADMIN,
        entity=ENTITY,
        entity_id=account.pk,
        household_id=None,
        action=ChangeLog.Action.DELETE,
        changes=_diff(_state(account), {}),
        summary=f"{account.username}:后台删除账号",
    )


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    fields = dict.fromkeys([*before, *after])
    return {f: [before.get(f), after.get(f)] for f in fields if before.get(f) != after.get(f)}


FIELD_WORDS = {
    "username": "用户名",
    "first_name": "姓名",
    "phone": "联系电话",
    "region": "所属区划",
    "feeds": "负责的数据项",
    "is_staff": "后台登录标记",
    "is_superuser": "超级管理员标记",
    "password_changed_at": "密码",
    "must_change_password": "临时密码标记",
    "totp": "动态口令",
}


def _summary(account: User, changes: dict[str, list[Any]], lead: str) -> str:
    """Plain words for the log's summary column: the grants and withdrawals first."""
    parts = [lead]
    labels = dict(Role.choices)
    if "roles" in changes:
        old, new = set(changes["roles"][0] or []), set(changes["roles"][1] or [])
        if new - old:
            parts.append("授予角色 " + "、".join(labels.get(r, r) for r in sorted(new - old)))
        if old - new:
            parts.append("撤销角色 " + "、".join(labels.get(r, r) for r in sorted(old - new)))
    if "can_view_pii" in changes:
        parts.append("授予查看完整个人信息权限" if changes["can_view_pii"][1] else "撤销查看完整个人信息权限")
    if "is_active" in changes:
        parts.append("启用账号" if changes["is_active"][1] else "停用账号")
    rest = [FIELD_WORDS.get(f, f) for f in changes if f not in ("roles", "can_view_pii", "is_active")]
    if rest and lead in ("修改账号", "后台修改账号"):
        parts.append("修改" + "、".join(rest))
    return f"{account.username}:" + ";".join(p for p in parts if p)


def _record(actor: User | None, account: User, action: str, changes: dict[str, list[Any]], lead: str) -> None:
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity=ENTITY,
        entity_id=account.pk,
        household_id=None,
        action=action,
        changes=changes,
        summary=_summary(account, changes, lead),
    )


# --- creating and editing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInput:
    username: str
    name: str
    phone: str
    region: Region
    roles: list[str]
    feeds: list[str]
    can_view_pii: bool


def _validate(admin: User, data: AccountInput, account: User | None) -> dict[str, list[str]]:
    """Errors by field ("" for the whole form); empty when the account may be saved as asked."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    username = data.username.strip()
    if not username:
        add("username", "请填写用户名。")
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            add("username", "用户名只能包含字母、数字和 @ . + - _ 这些符号,请修改后再保存。")
        clash = User.objects.filter(username__iexact=username)
        if account is not None:
            clash = clash.exclude(pk=account.pk)
        if clash.exists():
            add("username", "该用户名已被使用,请换一个。")
    if not in_admin_region(admin, data.region):
        add("region", "所属区划须是您管辖的区划或其下级区划。")
    if not data.roles:
        add("roles", "请至少选择一个角色。")
    refused = [r for r in data.roles if r not in grantable_roles(admin)]
    if refused:
        labels = dict(Role.choices)
        add("roles", "您不能授予以下角色:" + "、".join(labels.get(r, r) for r in refused) + "。")
    unknown = [f for f in data.feeds if f not in FEEDS_BY_CODE]
    if unknown:
        add("feeds", "负责的数据项无效,请从列表中选择。")
    if role_has_feeds(data.roles) and not data.feeds:
        add("feeds", "部门数据账号须选择其负责报送的数据项。")
    before = account.can_view_pii if account is not None else False
    if data.can_view_pii != before and not user_can(admin, Capability.PII_VIEW):
        add("can_view_pii", "您自己没有查看完整个人信息的权限,不能授予或撤销该权限。")
    if account is not None and account.pk == admin.pk:
        same = (
            data.region.pk == account.region_id
            and sorted(data.roles) == sorted(account.roles or [])
            and data.can_view_pii == account.can_view_pii
        )
        if not same:
            add("", "不能修改自己的角色、区划或权限,请联系上级管理员。")
    return errors


def _apply(account: User, data: AccountInput) -> None:
    account.username = data.username.strip()
    account.first_name = data.name.strip()
    account.phone = data.phone.strip()
    account.region = data.region
    account.roles = sorted(set(data.roles))
    # Feeds belong to department accounts only: another account keeps none (docs/security.md §3).
    account.feeds = sorted(set(data.feeds)) if role_has_feeds(data.roles) else []
    account.can_view_pii = data.can_view_pii


def account_create(*, actor: User, data: AccountInput, password: str) -> User:
    """A new account with a temporary password, which it must change at its first login."""
    errors = _validate(actor, data, None)
    candidate = User(username=data.username.strip())
    try:
        validate_password(password, user=candidate)
    except ValidationError as e:
        errors.setdefault("password1", []).extend(e.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = User(is_active=True)
        _apply(account, data)
        account.set_password(password)
        account.must_change_password = True
        account.password_changed_at = timezone.now()
        account.save()
        _record(actor, account, ChangeLog.Action.CREATE, _diff({}, _state(account)), "新建账号")
    return account


def account_update(*, actor: User, account: User, data: AccountInput) -> User:
    _require_manageable(actor, account)
    errors = _validate(actor, data, account)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = User.objects.select_for_update(of=("self",)).select_related("region").get(pk=account.pk)
        before = _state(locked)
        _apply(locked, data)
        changes = _diff(before, _state(locked))
        if changes:
            locked.save()
            _record(actor, locked, ChangeLog.Action.UPDATE, changes, "修改账号")
    return locked


def account_set_active(*, actor: User, account: User, active: bool) -> None:
    _require_manageable(actor, account)
    if account.pk == actor.pk and not active:
        raise ValidationError("不能停用自己的账号。")
    if account.is_active == active:
        return
    with transaction.atomic():
        account.is_active = active
        account.save(update_fields=["is_active"])
        _record(actor, account, ChangeLog.Action.UPDATE, {"is_active": [not active, active]}, "")


def account_password_reset(*, actor: User, account: User, password: str) -> None:
    """An administrator sets a temporary password: the account must change it at its next login, and its
    login lock is lifted (the administrator has spoken to its owner)."""
    _require_manageable(actor, account)
    validate_password(password, user=account)
    with transaction.atomic():
        before = [account.must_change_password, _iso(account.password_changed_at)]
        account.set_password(password)
        account.must_change_password = True
        account.password_changed_at = timezone.now()
        account.save(update_fields=["password", "must_change_password", "password_changed_at"])
        login_failures_clear(username=account.username)
        _record(
            actor,
            account,
            ChangeLog.Action.UPDATE,
            {
                "must_change_password": [before[0], True],
                "password_changed_at": [before[1], _iso(account.password_changed_at)],
            },
            "重置密码(临时密码,下次登录须修改)",
        )


def account_unlock(*, actor: User, account: User) -> None:
    _require_manageable(actor, account)
    login_failures_clear(username=account.username)
    _record(actor, account, ChangeLog.Action.UPDATE, {}, "解除登录锁定")


def password_changed(*, account: User) -> None:
    """The account chose its own password (the form has set it): the temporary one is gone."""
    before = [account.must_change_password, _iso(account.password_changed_at)]
    account.must_change_password = False
    account.password_changed_at = timezone.now()
    account.save(update_fields=["must_change_password", "password_changed_at"])
    changes = {"password_changed_at": [before[1], _iso(account.password_changed_at)]}
    if before[0]:
        changes["must_change_password"] = [True, False]
    _record(account, account, ChangeLog.Action.UPDATE, changes, "本人修改密码")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- sign-in throttling -------------------------------------------------------------------------------

ACCOUNT_BUCKET = "acct_login_user"
IP_BUCKET = "acct_login_ip"


class LoginLocked(Exception):  # noqa: N818 - a domain outcome, not a programming error
    def __init__(self, retry_at: dt.datetime) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at


def _account_limit() -> tuple[int, dt.timedelta]:
    return (
        settings.DIXIAN_LOGIN_FAILURES_PER_ACCOUNT,
        dt.timedelta(minutes=settings.DIXIAN_LOGIN_ACCOUNT_WINDOW_MINUTES),
    )


def _ip_limit() -> tuple[int, dt.timedelta]:
    return settings.DIXIAN_LOGIN_FAILURES_PER_IP_HOUR, dt.timedelta(hours=1)


def _account_key(username: str) -> str:
    # Counted by the name typed, whether or not an account has it: a lock says nothing about existence.
    return username.strip().casefold()[:150]


def login_attempt(*, username: str, ip: str, at: dt.datetime | None = None) -> None:
    """Count one try to sign in as `username` from `ip`, or raise LoginLocked.

    The account's try is counted before the password is checked, so that parallel guesses cannot outrun
    the count; a successful sign-in clears it (`login_succeeded`). The address counts failures only
    (`login_failed`): an office behind one address signs in many people.
    """
    ip_limit, ip_window = _ip_limit()
    ip_retry = rate_limit_retry_at(bucket=IP_BUCKET, value=ip, limit=ip_limit, window=ip_window, at=at)
    if ip_retry is not None:
        raise LoginLocked(ip_retry)
    limit, window = _account_limit()
    try:
        rate_limit_take(
            bucket=ACCOUNT_BUCKET, value=_account_key(username), limit=limit, window=window, at=at
        )
    except RateLimited as limited:
        raise LoginLocked(limited.retry_at) from None


def login_failed(*, ip: str, at: dt.datetime | None = None) -> None:
    limit, window = _ip_limit()
    # Already at the limit: the next try is refused anyway.
    with contextlib.suppress(RateLimited):
        rate_limit_take(bucket=IP_BUCKET, value=ip, limit=limit, window=window, at=at)


def login_succeeded(*, username: str) -> None:
    login_failures_clear(username=username)


def login_failures_clear(*, username: str) -> None:
    rate_limit_clear(bucket=ACCOUNT_BUCKET, value=_account_key(username))


def login_locked_until(*, username: str, at: dt.datetime | None = None) -> dt.datetime | None:
    """When the account may try again (None: it may now); for the administrator's page."""
    limit, window = _account_limit()
    return rate_limit_retry_at(
        bucket=ACCOUNT_BUCKET, value=_account_key(username), limit=limit, window=window, at=at
    )


# --- the second factor (TOTP) -------------------------------------------------------------------------

DEVICE_NAME = "动态口令"


def totp_device(account: User, *, confirmed: bool | None = True) -> TOTPDevice | None:
    qs = TOTPDevice.objects.filter(user=account)
    if confirmed is not None:
        qs = qs.filter(confirmed=confirmed)
    return qs.order_by("pk").first()


def totp_pending(*, account: User) -> TOTPDevice:
    """The key being set up (not yet confirmed): made once, shown as a QR code until confirmed."""
    device = totp_device(account, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=account, name=DEVICE_NAME, confirmed=False)
    return device


def totp_confirm(*, account: User, token: str) -> TOTPDevice:
    """The owner typed the code its app shows: the key is confirmed and login asks for it from now on."""
    with transaction.atomic():
        device = totp_device(account, confirmed=False)
        if device is None or not device.verify_token(token.strip()):
            raise ValidationError("动态口令不正确,请输入手机验证器上当前显示的 6 位数字。")
        TOTPDevice.objects.filter(user=account, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _record(account, account, ChangeLog.Action.UPDATE, {"totp": [False, True]}, "绑定动态口令")
    return device


def totp_verify(*, account: User, token: str) -> TOTPDevice | None:
    """The account's confirmed device if `token` is its current code (django-otp also throttles it)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=account, confirmed=True).first()
        if device is not None and device.verify_token(token.strip()):
            return device
    return None


def totp_remove(*, actor: User, account: User) -> None:
    """The administrator clears a lost second factor (or its owner removes it, where it is not required)."""
    if actor.pk != account.pk:
        _require_manageable(actor, account)
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=account).delete()
        if deleted:
            _record(actor, account, ChangeLog.Action.UPDATE, {"totp": [True, False]}, "解除动态口令")
