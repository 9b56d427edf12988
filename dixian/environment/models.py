"""人居环境 (docs/domain.md §27): each village's yearly plan, the townships' weekly reports per village, and the
funds projects tagged for the ledger (the environment fund and its corridor projects).

Scoping: every row carries its village's 12-digit code (`region_code`; a project link the project's), so the
account's subtree is one indexed range condition (dixian.common.access).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel


class EnvironmentPlan(TimeStampedModel):
    """A village's year: toilets to upgrade, natural villages, village appearance works planned (§27)."""

    village = models.ForeignKey(
        "regions.Region", verbose_name="行政村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    year = models.PositiveSmallIntegerField("年度")
    toilets_planned = models.PositiveIntegerField("年度改厕任务(户)", default=0)
    natural_villages = models.PositiveIntegerField("自然村数", default=0)
    works_planned = models.PositiveIntegerField("村庄整治计划(项)", default=0)
    works_note = models.CharField("村庄整治内容", max_length=200, blank=True)

    class Meta:
        verbose_name = "人居环境年度计划"
        verbose_name_plural = "人居环境年度计划"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "year"], name="environment_plan_village_year")
        ]
        indexes = [models.Index(fields=["year", "region_code"], name="environment_plan_year")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.year}"


class WeeklyReport(TimeStampedModel):
    """A village's figures at the end of a week (一周一调度, §27), filed by its township."""

    village = models.ForeignKey(
        "regions.Region", verbose_name="行政村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    week = models.DateField("周(周一)")
    year = models.PositiveSmallIntegerField("年度")  # the year of the week's Monday
    households = models.PositiveIntegerField("户数")  # the registry's, when filed
    toilets_upgraded = models.PositiveIntegerField("本年已改造户厕(户)", default=0)
    toilets_sanitary = models.PositiveIntegerField("卫生厕所户数", default=0)
    toilets_in_use = models.PositiveIntegerField("正常使用(户)", default=0)
    garbage_covered = models.PositiveIntegerField("垃圾收运覆盖自然村数", default=0)
    sewage_households = models.PositiveIntegerField("污水治理覆盖户数", default=0)
    works_done = models.PositiveIntegerField("村庄整治已完成(项)", default=0)
    note = models.CharField("本周情况", max_length=200, blank=True)
    filed_at = models.DateTimeField("报送时间")
    late = models.BooleanField("迟报", default=False)
    corrected_at = models.DateTimeField("更正时间", null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "人居环境周报"
        verbose_name_plural = "人居环境周报"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "week"], name="environment_weekly_village_week")
        ]
        indexes = [
            # The figures read each village's latest report of a year up to a week (figures.py).
            models.Index(fields=["year", "region_code", "week"], name="environment_weekly_year"),
            models.Index(fields=["week", "region_code"], name="environment_weekly_week"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.week:%Y-%m-%d}"

    @property
    def toilets_unused(self) -> int:
        """建成未使用: sanitary toilets not in use (derived, §27)."""
        return max(self.toilets_sanitary - self.toilets_in_use, 0)


class EnvironmentProject(models.Model):
    """A funds project counted in the environment fund (§27), with its theme and corridor."""

    class Theme(models.TextChoices):
        TOILET = "toilet", "厕所革命"
        GARBAGE = "garbage", "垃圾治理"
        SEWAGE = "sewage", "污水治理"
        APPEARANCE = "appearance", "村庄整治"
        GENERAL = "general", "人居环境综合"

    class Corridor(models.TextChoices):
        NONE = "", "—"
        RAILWAY = "railway", "铁路沿线"
        HIGHWAY = "highway", "高速沿线"

    project = models.OneToOneField(
        "funds.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the project's
    theme = models.CharField("类别", max_length=12, choices=Theme.choices)
    corridor = models.CharField("沿线", max_length=10, choices=Corridor.choices, blank=True, default="")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL
    )
    linked_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "人居环境项目"
        verbose_name_plural = "人居环境项目"
        indexes = [models.Index(fields=["region_code"], name="environment_project_region")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_theme_display()}"


class WeekSum(models.Model):
    """A township's figures of a week (docs/domain.md §27 "Week sums"): each of its villages' latest report of
    the year up to the week, summed; rewritten with every filing (sums.py), equal to the recount of figures.py."""

    unit_code = models.CharField("乡镇代码", max_length=9)  # the first 9 digits of its villages' codes
    year = models.PositiveSmallIntegerField("年度")
    week = models.DateField("周(周一)")
    households = models.PositiveIntegerField("户数", default=0)
    toilets_upgraded = models.PositiveIntegerField("本年已改造户厕(户)", default=0)
    toilets_sanitary = models.PositiveIntegerField("卫生厕所户数", default=0)
    toilets_in_use = models.PositiveIntegerField("正常使用(户)", default=0)
    garbage_covered = models.PositiveIntegerField("垃圾收运覆盖自然村数", default=0)
    sewage_households = models.PositiveIntegerField("污水治理覆盖户数", default=0)
    works_done = models.PositiveIntegerField("村庄整治已完成(项)", default=0)
    reported = models.PositiveIntegerField("本周已报村数", default=0)
    late = models.PositiveIntegerField("本周迟报村数", default=0)

    class Meta:
        verbose_name = "人居环境乡镇周汇总"
        verbose_name_plural = "人居环境乡镇周汇总"
        constraints = [
            models.UniqueConstraint(fields=["unit_code", "week"], name="environment_weeksum_unit_week")
        ]
        indexes = [models.Index(fields=["week", "unit_code"], name="environment_weeksum_week")]

    def __str__(self) -> str:
        return f"{self.unit_code} {self.week:%Y-%m-%d}"
