"""Reading the access log (个人信息访问记录): the administrators of a region, per account (docs/security.md §5).

Only accounts with ACCESS_LOG_VIEW (city and county administrators) read it, and only inside their
region: rows whose region lies in their subtree, accounts whose region lies in it (any other account
answers 404, like a key that exists nowhere). The per-household page lives with the household
(`dixian.registry.views_access_log`), where the household's scope is checked. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required

from .access import region_range_q, scope_by_region, user_prefix
from .filters import choices_with_blank, dropped_notices
from .http import AuthenticatedHttpRequest
from .models import AccessLog, ChangeLog
from .paging import paginate

PAGE_SIZE = 50


class AccessLogFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="动作", required=False, choices=choices_with_blank(AccessLog.Action.choices)
    )
    shown = forms.ChoiceField(
        label="号码",
        required=False,
        choices=[("", "全部"), ("full", "完整号码"), ("masked", "已脱敏")],
    )
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> tuple[dict[str, Any], list[str]]:
        """The valid filters; an invalid value is dropped with a notice saying so."""
        notices = dropped_notices(self)
        data = {name: self.cleaned_data.get(name) or "" for name in ("action", "shown", "since", "until")}
        return data, notices

    @staticmethod
    def apply(qs: QuerySet[AccessLog], data: dict[str, Any]) -> QuerySet[AccessLog]:
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["shown"]:
            qs = qs.filter(masked=data["shown"] == "masked")
        if data["since"]:
            qs = qs.filter(at__date__gte=data["since"])
        if data["until"]:
            qs = qs.filter(at__date__lte=data["until"])
        return qs


def access_log_scope(user: Any) -> QuerySet[AccessLog]:
    """The rows an administrator may read: those of its subtree (nothing without a region)."""
    prefix = user_prefix(user)
    if prefix is None:
        return AccessLog.objects.none()
    return AccessLog.objects.filter(region_range_q(prefix))


def query_string(data: dict[str, Any]) -> str:
    return urlencode([(k, v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items() if v])


@capability_required(Capability.ACCESS_LOG_VIEW)
@require_GET
def access_log_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The region's log, newest first, with a link to each account's and household's own page."""
    form = AccessLogFilterForm(request.GET)
    data, notices = form.filters()
    qs = form.apply(access_log_scope(request.user), data).order_by("-at", "-id")
    page = paginate(qs, request.GET.get("page"), per_page=PAGE_SIZE)
    context = {
        "form": form,
        "notices": notices,
        "page": page,
        "query": query_string(data),
        "account": None,
        "retention_days": settings.DIXIAN_ACCESS_LOG_DAYS,
    }
    return render(request, "common/access_log_list.html", context)


@capability_required(Capability.ACCESS_LOG_VIEW)
@require_GET
def access_log_account(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One account's reading of personal data in the region, and its 权限变更 (the accounts' ChangeLog)."""
    account = (
        scope_by_region(request.user, get_user_model().objects.all(), field="region__code")
        .select_related("region")
        .filter(pk=pk)
        .first()
    )
    if account is None:
        raise Http404
    form = AccessLogFilterForm(request.GET)
    data, notices = form.filters()
    qs = form.apply(access_log_scope(request.user).filter(account_id=account.pk), data).order_by("-at", "-id")
    page = paginate(qs, request.GET.get("page"), per_page=PAGE_SIZE)
    changes = list(ChangeLog.objects.filter(entity="user", entity_id=account.pk).order_by("-at", "-id")[:100])
    context = {
        "form": form,
        "notices": notices,
        "page": page,
        "query": query_string(data),
        "account": account,
        "changes": changes,
    }
    return render(request, "common/access_log_list.html", context)
