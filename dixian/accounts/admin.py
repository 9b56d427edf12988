"""Accounts in the admin: the region an account belongs to, its roles and whether it may see full PII."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Role, User


def roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="角色",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="可多选。领导只能查看;帮扶干部只能看到结对的农户;部门数据员看不到农户信息。",
    )


class AccountChangeForm(UserChangeForm):
    roles = roles_field()

    class Meta(UserChangeForm.Meta):
        model = User


class AccountCreationForm(AdminUserCreationForm):
    roles = roles_field()

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "region", "roles", "can_view_pii")


class RoleFilter(admin.SimpleListFilter):
    title = "角色"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() in Role.values:
            # Roles are a JSON list; its text contains the quoted code on SQLite and PostgreSQL alike.
            return queryset.filter(roles__icontains=f'"{self.value()}"')
        return queryset


@admin.register(User)
class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ("username", "full_name", "region", "role_list", "can_view_pii", "is_active", "is_staff")
    list_filter = (RoleFilter, "can_view_pii", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "region__name", "region__code")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("last_name", "first_name", "email", "phone")}),
        ("区划与角色", {"fields": ("region", "roles", "can_view_pii")}),
        (
            "后台权限",
            {
                "classes": ("collapse",),
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
            },
        ),
        ("登录记录", {"classes": ("collapse",), "fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("区划与角色", {"fields": ("region", "roles", "can_view_pii")}),
    )

    @admin.display(description="姓名")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description="角色")
    def role_list(self, obj: User) -> str:
        return "、".join(obj.role_labels)
