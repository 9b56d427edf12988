"""Accounts: every account belongs to one region node and holds one or more roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models

if TYPE_CHECKING:
    from .capabilities import Capability


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", "市级管理员"
    COUNTY_ADMIN = "county_admin", "县级管理员"
    COUNTY_REVIEWER = "county_reviewer", "县级审核员"
    TOWNSHIP_REVIEWER = "township_reviewer", "乡镇审核员"
    VILLAGE_OFFICER = "village_officer", "村级信息员"
    HELPER = "helper", "帮扶干部"
    DEPARTMENT_UPLOADER = "department_uploader", "部门数据员"
    LEADER = "leader", "领导"
    # The finance office (资金下达、安排、支付) and a sector office that runs projects and their assets
    # (农业农村、水利、交通 …), each of its region (docs/domain.md §22).
    FINANCE_OFFICER = "finance_officer", "财政部门"
    SECTOR_OFFICER = "sector_officer", "行业主管部门"


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
    # A department account sends only the feeds its department owns, about persons of its region
    # (docs/security.md §3). Codes of `dixian.domain.catalogue.FEEDS`; empty for other accounts.
    feeds = models.JSONField("负责的数据项", default=list, blank=True)
    # Set when an administrator gives the account a temporary password: every page then sends the account
    # to the password form until it chooses its own (docs/security.md §6).
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"

    def can(self, capability: Capability) -> bool:
        """Whether the account may do `capability`: see `accounts.capabilities` (the permission map)."""
        from .capabilities import user_can

        return user_can(self, capability)

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [labels.get(r, r) for r in self.roles]

    # Shorthands of the two registry capabilities (new code asks `can(...)`).
    @property
    def is_registry_editor(self) -> bool:
        from .capabilities import Capability

        return self.can(Capability.REGISTRY_EDIT)

    @property
    def is_registry_reader(self) -> bool:
        from .capabilities import Capability

        return self.can(Capability.REGISTRY_VIEW)
