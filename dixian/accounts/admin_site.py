"""The Django admin site, for the superuser only (docs/security.md §6).

The admin shows every household, ID number and account of the city, unscoped and unmasked. Staff of the
city and counties work in the app, where region scoping and masking hold; administrators manage accounts
on the account pages (ACCOUNTS_MANAGE). The admin stays the technical operator's tool: an account gets in
only if it is active and a superuser, whatever its staff flag or model permissions say.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class SuperuserAdminSite(admin.AdminSite):
    site_header = "底线 · 乡村振兴监测预警平台 后台"
    site_title = "底线后台"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class SuperuserAdminConfig(AdminConfig):
    """django.contrib.admin with the superuser-only site (settings.INSTALLED_APPS names this config)."""

    default_site = "dixian.accounts.admin_site.SuperuserAdminSite"
