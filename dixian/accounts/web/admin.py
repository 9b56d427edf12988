"""The account admin with its changes audited like the account pages' (docs/security.md §6).

The admin is the superuser's (dixian/accounts/admin_site.py); what the superuser changes on an account there
is logged exactly as an administrator's change on the account pages: ChangeLog entity "user", source
"admin", old and new values, never a password.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from dixian.accounts.admin import AccountAdmin
from dixian.accounts.models import User

from . import services


class AuditedAccountAdmin(AccountAdmin):
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = services.account_state(User.objects.get(pk=obj.pk)) if change and obj.pk else {}
            super().save_model(request, obj, form, change)
            services.account_audit_admin(actor=request.user, account=obj, before=before, created=not change)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        with transaction.atomic():
            services.account_audit_admin_delete(actor=request.user, account=obj)
            super().delete_model(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:  # noqa: A002 - Django's signature
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            account = User.objects.filter(pk=int(id)).first() if id.isdigit() else None
            if account is not None:
                services.account_audit_admin(actor=request.user, account=account, before={}, password=True)
        return response


admin.site.unregister(User)
admin.site.register(User, AuditedAccountAdmin)
