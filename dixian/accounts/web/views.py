"""The account pages (docs/security.md §6): sign-in with its throttle and second factor, the own password,
the second factor's set-up, and the administrators' account list and forms.

Every read of other accounts goes through `selectors` (the administrator's subtree; outside answers 404),
every write through `services` (audited).
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, landing_url
from dixian.accounts.models import User
from dixian.common.filters import RegionChainField, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest, client_ip
from dixian.common.models import ChangeLog
from dixian.common.paging import paginate
from dixian.regions.models import Region

from . import selectors, services
from .forms import (
    AccountFilterForm,
    AccountForm,
    CodeForm,
    LoginForm,
    NewAccountForm,
    OwnPasswordChangeForm,
    TemporaryPasswordForm,
    locked_message,
)

# Session keys: a sign-in waiting for its second factor, and the device that verified this session.
PENDING = "accounts_login_pending"
VERIFIED = "accounts_otp_verified"
PENDING_SECONDS = 300


def _too_many(response: HttpResponseBase, retry_at: Any) -> HttpResponseBase:
    response.status_code = 429
    response["Retry-After"] = str(max(60, math.ceil((retry_at - timezone.now()).total_seconds())))
    return response


# --- signing in ---------------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if services.totp_device(user) is not None:
            # The password was right; the account is signed in only once its code is too.
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
                "at": time.time(),
                "next": self.get_redirect_url(),
            }
            return redirect("accounts:login_verify")
        services.login_succeeded(username=user.username)
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        locked = getattr(form, "locked_until", None)
        if locked is not None:
            _too_many(response, locked)
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponseBase:
    """The second step of signing in for an account with a second factor: its current code."""
    pending = request.session.get(PENDING)
    user = None
    if isinstance(pending, dict) and time.time() - float(pending.get("at", 0)) <= PENDING_SECONDS:
        user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    if user is None or not isinstance(pending, dict):
        if pending is not None:
            request.session.pop(PENDING, None)
            messages.warning(request, "登录已超时,请重新输入用户名和密码。")
        return redirect("accounts:login")
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            services.login_attempt(username=user.username, ip=ip)
        except services.LoginLocked as locked:
            request.session.pop(PENDING, None)
            messages.error(request, locked_message(locked.retry_at))
            return redirect("accounts:login")
        device = services.totp_verify(account=user, token=form.cleaned_data["code"])
        if device is None:
            services.login_failed(ip=ip)
            form.add_error("code", "动态口令不正确或已过期,请输入手机验证器上当前显示的 6 位数字。")
        else:
            request.session.pop(PENDING, None)
            auth_login(request, user, backend=str(pending["backend"]))
            request.session[VERIFIED] = device.persistent_id
            services.login_succeeded(username=user.username)
            return redirect(str(pending.get("next") or "") or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/login_verify.html", {"form": form}, status=status)


# --- the own password and second factor ---------------------------------------------------------------


class OwnPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change with the settings' validators; clears a temporary password's flag."""

    form_class = OwnPasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_success_url(self) -> str:
        return landing_url(self.request.user)

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            services.password_changed(account=form.user)
        messages.success(self.request, "密码已修改。")
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(getattr(self.request.user, "must_change_password", False))
        return context


@capability_required(Capability.PII_VIEW)
@never_cache
@require_http_methods(["GET", "POST"])
def totp(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Set up the second factor (an account with the personal-data right), or verify this session with it."""
    user = request.user
    required = settings.DIXIAN_REQUIRE_TOTP_FOR_PII
    device = services.totp_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    action = request.POST.get("action", "")
    if request.method == "POST":
        if action == "remove" and device is not None:
            if required:
                messages.error(request, "按本系统规定,可查看完整个人信息的账号必须使用动态口令,不能解除。")
            else:
                services.totp_remove(actor=user, account=user)
                request.session.pop(VERIFIED, None)
                messages.success(request, "已解除动态口令,登录时不再需要输入。")
            return redirect("accounts:totp")
        if form.is_valid():
            code = form.cleaned_data["code"]
            if device is None:
                try:
                    device = services.totp_confirm(account=user, token=code)
                except ValidationError as e:
                    form.add_error("code", e)
                else:
                    request.session[VERIFIED] = device.persistent_id
                    messages.success(
                        request, "动态口令已绑定。今后登录时,输入密码后还须输入手机验证器上的动态口令。"
                    )
                    return redirect(landing_url(user))
            else:
                verified = services.totp_verify(account=user, token=code)
                if verified is None:
                    form.add_error("code", "动态口令不正确或已过期,请输入手机验证器上当前显示的 6 位数字。")
                else:
                    request.session[VERIFIED] = verified.persistent_id
                    return redirect(landing_url(user))
    pending = services.totp_pending(account=user) if device is None else None
    context = {
        "form": form,
        "device": device,
        "pending": pending,
        "secret": _base32(pending.bin_key) if pending is not None else "",
        "required": required,
        "session_verified": bool(request.session.get(VERIFIED)),
    }
    return render(request, "accounts/totp.html", context)


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@capability_required(Capability.PII_VIEW)
@never_cache
@require_GET
def totp_qr(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The QR code of the key being set up (an SVG served here: the pages carry no inline data)."""
    pending = services.totp_device(request.user, confirmed=False)
    if pending is None:
        return HttpResponse("没有待绑定的动态口令。", status=404, content_type="text/plain; charset=utf-8")
    out = io.BytesIO()
    segno.make(pending.config_url, error="m").save(out, kind="svg", scale=5, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


# --- the administrators' pages ------------------------------------------------------------------------


def _admin(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if user.region is None:
        raise PermissionDenied("您的账号没有所属区划,不能管理账号,请联系上级管理员。")
    return user


@dataclass
class AccountRow:
    account: User
    manageable: bool


@capability_required(Capability.ACCOUNTS_MANAGE)
@require_GET
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = AccountFilterForm(request.GET, user=admin)
    filters = form.filters()
    page = paginate(selectors.account_list_for_admin(admin, filters), request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "notices": filters.notices,
        "page": page,
        "rows": [AccountRow(a, services.account_manageable(admin, a)) for a in page.rows],
        "query": urlencode(filters.params()),
        "picker": region_picker(admin, filters.region),
    }
    return render(request, "accounts/account_list.html", context)


def _picked_region(request: HttpRequest, admin: User, default: Region | None) -> Region | None:
    """The region the picker shows: the one chosen in the form (a refresh of the cascading selects sends
    the choices by GET), else the account's."""
    source = request.POST if request.method == "POST" else request.GET
    if "region" not in source:
        return default
    try:
        ids = RegionChainField(required=False).clean(source.getlist("region"))
    except ValidationError:
        return default
    return resolve_region(admin, ids, [])


def _form_context(
    request: HttpRequest, admin: User, form: AccountForm, account: User | None
) -> dict[str, Any]:
    default = account.region if account is not None else None
    selected = _picked_region(request, admin, default)
    if selected is not None and selected.pk == admin.region_id:
        selected = None
    return {
        "form": form,
        "account": account,
        "picker": region_picker(admin, selected, in_use_only=True),
        "feed_roles": form.feed_roles,
        "chosen_roles": set(form["roles"].value() or []),
        "admin_region": admin.region,
        # The cascading selects refresh from the form's own page (a GET), whichever URL rendered it.
        "picker_url": reverse("accounts:account_edit", args=[account.pk])
        if account is not None
        else reverse("accounts:account_create"),
    }


@capability_required(Capability.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def account_create(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    admin = _admin(request)
    form = NewAccountForm(request.POST if request.method == "POST" else None, admin=admin)
    if request.method == "POST" and form.is_valid():
        data = form.account_input()
        if not form.errors:
            try:
                account = services.account_create(
                    actor=admin, data=data, password=form.cleaned_data["password1"]
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(
                    request, f"已新建账号 {account.username}。请把临时密码告知本人,首次登录时须修改密码。"
                )
                return redirect("accounts:account_edit", pk=account.pk)
    return render(request, "accounts/account_form.html", _form_context(request, admin, form, None))


def _edit_context(request: HttpRequest, admin: User, account: User, form: AccountForm) -> dict[str, Any]:
    context = _form_context(request, admin, form, account)
    context.update(
        {
            "manageable": services.account_manageable(admin, account),
            "is_self": account.pk == admin.pk,
            "password_form": TemporaryPasswordForm(),
            "locked_until": services.login_locked_until(username=account.username),
            "has_totp": services.totp_device(account) is not None,
            "history": ChangeLog.objects.filter(entity=services.ENTITY, entity_id=account.pk).order_by("-at")[
                :20
            ],
        }
    )
    return context


@capability_required(Capability.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    admin = _admin(request)
    account = selectors.account_get_for_admin(admin, pk)
    form = AccountForm(request.POST if request.method == "POST" else None, admin=admin, account=account)
    if request.method == "POST":
        if not services.account_manageable(admin, account):
            raise PermissionDenied("该账号的角色或区划超出您的管理范围,请联系上级管理员。")
        if form.is_valid():
            data = form.account_input()
            if not form.errors:
                try:
                    services.account_update(actor=admin, account=account, data=data)
                except ValidationError as e:
                    add_service_errors(form, e)
                else:
                    messages.success(request, "账号已保存。")
                    return redirect("accounts:account_edit", pk=account.pk)
    return render(request, "accounts/account_edit.html", _edit_context(request, admin, account, form))


@capability_required(Capability.ACCOUNTS_MANAGE)
@require_POST
def account_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    admin = _admin(request)
    account = selectors.account_get_for_admin(admin, pk)
    password_form = TemporaryPasswordForm(request.POST)
    if password_form.is_valid():
        try:
            services.account_password_reset(
                actor=admin, account=account, password=password_form.cleaned_data["password1"]
            )
        except ValidationError as e:
            password_form.add_error("password1", e)
        else:
            messages.success(
                request, f"已为 {account.username} 设置临时密码。请告知本人,下次登录时须修改密码。"
            )
            return redirect("accounts:account_edit", pk=account.pk)
    context = _edit_context(request, admin, account, AccountForm(admin=admin, account=account))
    context["password_form"] = password_form
    return render(request, "accounts/account_edit.html", context, status=400)


ACTIONS = {
    "deactivate": "账号已停用,该账号立即无法登录。",
    "activate": "账号已启用。",
    "unlock": "已解除登录锁定。",
    "totp_reset": "已解除该账号的动态口令,本人下次登录后可重新绑定。",
}


@capability_required(Capability.ACCOUNTS_MANAGE)
@require_POST
def account_action(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    admin = _admin(request)
    account = selectors.account_get_for_admin(admin, pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, "操作无效,请使用页面上的按钮。")
        return redirect("accounts:account_edit", pk=account.pk)
    try:
        if action in ("deactivate", "activate"):
            services.account_set_active(actor=admin, account=account, active=action == "activate")
        elif action == "unlock":
            services.account_unlock(actor=admin, account=account)
        else:
            services.totp_remove(actor=admin, account=account)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, ACTIONS[action])
    return redirect("accounts:account_edit", pk=account.pk)
