"""Accounts: every account belongs to one region node and holds one or more roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", "市级管理员"
    COUNTY_ADMIN = "county_admin", "县级管理员"
    COUNTY_REVIEWER = "county_reviewer", "县级审核员"
    TOWNSHIP_REVIEWER = "township_reviewer", "乡镇审核员"
    VILLAGE_OFFICER = "village_officer", "村级信息员"
    HELPER = "helper", "帮扶干部"
    DEPARTMENT_UPLOADER = "department_uploader", "部门数据员"
    LEADER = "leader", "领导"


# Roles that may change registry data (edit, import). 领导 and 部门数据员 may not.
REGISTRY_EDITOR_ROLES = frozenset(
    {Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_REVIEWER, Role.TOWNSHIP_REVIEWER, Role.VILLAGE_OFFICER}
)
# Roles that may read the registry of their whole subtree (helpers see only their assigned households).
REGISTRY_READER_ROLES = REGISTRY_EDITOR_ROLES | {Role.LEADER}


class User(AbstractUser):
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", null=True, blank=True, on_delete=models.PROTECT
    )
    roles = models.JSONField("角色", default=list, blank=True)
    can_view_pii = models.BooleanField(
        "可查看完整个人信息",
        default=False,
        help_text="勾选后,该账号在页面和导出中可看到完整的身份证号和电话;否则一律脱敏显示。",
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [labels.get(r, r) for r in self.roles]

    @property
    def is_registry_editor(self) -> bool:
        return any(r in REGISTRY_EDITOR_ROLES for r in self.roles)

    @property
    def is_registry_reader(self) -> bool:
        return any(r in REGISTRY_READER_ROLES for r in self.roles)
