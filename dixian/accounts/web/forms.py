"""Forms of the sign-in, the account list's filters and the account pages (docs/security.md §6)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils import timezone

from dixian.accounts.capabilities import ROLES_WITH_FEEDS, Capability, grantable_roles, user_can
from dixian.accounts.models import Role, User
from dixian.common.filters import RegionChainField, choices_with_blank, dropped_notices, resolve_region
from dixian.common.http import client_ip
from dixian.domain.catalogue import FEEDS
from dixian.regions.models import Region

from . import services


def locked_message(retry_at: dt.datetime, now: dt.datetime | None = None) -> str:
    """When to try again, in local time; the same words whether or not the account exists."""
    now = now or timezone.now()
    minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
    local = timezone.localtime(retry_at)
    return (
        f"登录失败次数过多,为保护账号安全已暂停登录。请在 {local:%H:%M} 之后(约 {minutes} 分钟后)再试;"
        "如忘记密码,请联系本级管理员重置。"
    )


class LoginForm(AuthenticationForm):
    """Django's sign-in form, throttled per account name and per address (services.login_attempt)."""

    error_messages = {
        "invalid_login": "用户名或密码不正确,请检查后重新输入(注意区分大小写)。",
        "inactive": "用户名或密码不正确,请检查后重新输入(注意区分大小写)。",
    }

    locked_until: dt.datetime | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            ip = client_ip(self.request) if self.request is not None else "unknown"
            try:
                services.login_attempt(username=username, ip=ip)
            except services.LoginLocked as locked:
                self.locked_until = locked.retry_at
                raise forms.ValidationError(locked_message(locked.retry_at), code="locked") from None
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                services.login_failed(ip=ip)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class CodeForm(forms.Form):
    code = forms.CharField(
        label="动态口令",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*", "size": 8}
        ),
        error_messages={"required": "请输入手机验证器上显示的 6 位数字。"},
    )


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's form (validators from settings), which also refuses to keep the same password."""

    def clean_new_password1(self) -> str:
        new = str(self.cleaned_data.get("new_password1") or "")
        if new and self.user.check_password(new):
            raise forms.ValidationError("新密码不能与当前密码相同,请换一个。")
        return new


class TemporaryPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="临时密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
        error_messages={"required": "请填写临时密码。"},
    )
    password2 = forms.CharField(
        label="再次输入",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请再次输入临时密码。"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致,请重新输入。")
        return data


# --- the account list ---------------------------------------------------------------------------------

STATUS_CHOICES = [("", "全部"), ("active", "启用"), ("inactive", "已停用")]


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    region: Region | None = None
    role: str = ""
    status: str = ""
    notices: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        found = {"q": self.q, "role": self.role, "status": self.status}
        if self.region is not None:
            found["region"] = str(self.region.pk)
        return {k: v for k, v in found.items() if v}


class AccountFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False, max_length=50)
    region = RegionChainField(required=False, label="区划")
    role = forms.ChoiceField(label="角色", required=False, choices=choices_with_blank(list(Role.choices)))
    status = forms.ChoiceField(label="状态", required=False, choices=STATUS_CHOICES)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def filters(self) -> AccountFilters:
        """The usable filters: an invalid value is dropped with a notice, never an error page."""
        notices = dropped_notices(self)
        data = self.cleaned_data
        region = resolve_region(self.user, data.get("region") or [], notices)
        return AccountFilters(
            q=(data.get("q") or "").strip(),
            region=region,
            role=data.get("role") or "",
            status=data.get("status") or "",
            notices=tuple(dict.fromkeys(notices)),
        )


# --- an account ---------------------------------------------------------------------------------------


class AccountForm(forms.Form):
    """Who the account is, where it works and what it may do. The region comes from the cascading picker
    (inside the administrator's subtree; none chosen: the administrator's own region)."""

    username = forms.CharField(
        label="用户名",
        max_length=150,
        error_messages={"required": "请填写用户名。", "max_length": "用户名最多 150 个字符。"},
    )
    name = forms.CharField(label="姓名", max_length=150, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    region = RegionChainField(required=False, label="所属区划")
    roles = forms.MultipleChoiceField(
        label="角色",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请至少选择一个角色。",
            "invalid_choice": "角色无效,请从列表中选择。",
        },
    )
    feeds = forms.MultipleChoiceField(
        label="负责报送的数据项",
        required=False,
        choices=[(f.code, f"{f.department} · {f.name}") for f in FEEDS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "数据项无效,请从列表中选择。"},
    )
    can_view_pii = forms.BooleanField(
        label="可查看完整个人信息",
        required=False,
        help_text="勾选后,该账号在页面和导出中可看到完整的身份证号和电话;否则一律脱敏显示。",
    )

    def __init__(self, data: Any = None, *, admin: User, account: User | None = None) -> None:
        initial: dict[str, Any] = {}
        if account is not None:
            initial = {
                "username": account.username,
                "name": account.first_name,
                "phone": account.phone,
                "roles": list(account.roles or []),
                "feeds": list(account.feeds or []),
                "can_view_pii": account.can_view_pii,
            }
        super().__init__(data, initial=initial)
        self.admin = admin
        self.account = account
        grantable = grantable_roles(admin)
        held = set(account.roles or []) if account is not None else set()
        roles = self.fields["roles"]
        assert isinstance(roles, forms.MultipleChoiceField)  # noqa: S101 - declared above
        roles.choices = [(v, label) for v, label in Role.choices if v in grantable or v in held]
        if not user_can(admin, Capability.PII_VIEW):
            self.fields["can_view_pii"].disabled = True
            self.fields["can_view_pii"].help_text = "您自己没有查看完整个人信息的权限,不能授予或撤销。"
        self.region_notices: list[str] = []

    @property
    def feed_roles(self) -> frozenset[str]:
        return ROLES_WITH_FEEDS

    def chosen_region(self) -> Region | None:
        assert self.admin.region is not None  # noqa: S101 - ACCOUNTS_MANAGE pages need a region (views)
        ids = self.cleaned_data.get("region") or []
        return resolve_region(self.admin, ids, self.region_notices) or self.admin.region

    def account_input(self) -> services.AccountInput:
        data = self.cleaned_data
        region = self.chosen_region()
        if self.region_notices:
            self.add_error("region", "所属区划须是您管辖的区划或其下级区划。")
        elif (
            region is not None
            and region.retired_on is not None
            and (self.account is None or self.account.region_id != region.pk)
        ):  # a retired unit keeps what it has, takes nothing new (docs/domain.md §19)
            self.add_error("region", f"「{region.name}」已撤销,不能再分配账号。请选择使用中的区划。")
        assert region is not None  # noqa: S101 - chosen_region falls back on the administrator's region
        return services.AccountInput(
            username=data.get("username") or "",
            name=data.get("name") or "",
            phone=data.get("phone") or "",
            region=region,
            roles=list(data.get("roles") or []),
            feeds=list(data.get("feeds") or []),
            can_view_pii=bool(data.get("can_view_pii")),
        )


class NewAccountForm(AccountForm, TemporaryPasswordForm):
    pass
