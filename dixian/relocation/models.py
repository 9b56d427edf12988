"""易地扶贫搬迁后续扶持 (docs/domain.md §11 and §24): relocation sites (安置点), the registry households relocated
to each, the problems found at a site in the special rectification and their resolution, and the funds
projects that spent the special money on it.

Scoping: a site belongs to the unit where it is built (`region_code`, a village, community or township of a
county); a household linked to a site keeps its own village's code for the household side of the lists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel
from dixian.domain import employment as e


class RelocationSite(TimeStampedModel):
    """安置点: where relocated households were housed (docs/domain.md §11)."""

    class Kind(models.TextChoices):
        CITY = "city", "城区安置"
        TOWN = "town", "集镇安置"
        VILLAGE = "village", "中心村安置"
        OTHER = "other", "其他"

    name = models.CharField("安置点名称", max_length=80)
    county = models.ForeignKey(
        "regions.Region", verbose_name="所在县(市、区)", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在地", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    kind = models.CharField("安置方式", max_length=10, choices=Kind.choices)
    address = models.CharField("地址", max_length=200, blank=True)
    built_year = models.PositiveSmallIntegerField("建成年度", null=True, blank=True)
    households_planned = models.PositiveIntegerField("安置户数(建设规模)", default=0)
    persons_planned = models.PositiveIntegerField("安置人数(建设规模)", default=0)
    chief_name = models.CharField("点长", max_length=50, blank=True)
    chief_phone = models.CharField("点长电话", max_length=20, blank=True)
    service_window = models.BooleanField(
        "设有一站式服务窗口",
        default=False,
        help_text=f"安置{e.SERVICE_WINDOW_MIN_PERSONS}人以上的安置点须设立",
    )
    industry_base = models.CharField("配套产业基地", max_length=200, blank=True)
    facilities = models.TextField(
        "配套设施", blank=True, help_text="每行一项,如 社区服务中心、幼儿园、卫生室"
    )

    class Meta:
        verbose_name = "易地搬迁安置点"
        verbose_name_plural = "易地搬迁安置点"
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="relocation_site_name")]
        indexes = [models.Index(fields=["region_code"], name="relocation_site_region")]

    def __str__(self) -> str:
        return self.name


class SiteHousehold(models.Model):
    """A registry household relocated to a site (搬迁户); a household is relocated to one site."""

    site = models.ForeignKey(
        RelocationSite, verbose_name="安置点", on_delete=models.PROTECT, related_name="households"
    )
    household = models.OneToOneField(
        "registry.Household", verbose_name="搬迁户", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the household's village
    moved_in = models.DateField("入住日期", null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL
    )
    linked_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "搬迁户"
        verbose_name_plural = "搬迁户"
        indexes = [models.Index(fields=["region_code"], name="site_household_region")]

    def __str__(self) -> str:
        return f"{self.site} {self.household_id}"


class SiteProblem(TimeStampedModel):
    """A problem found at a site in the special rectification (问题, docs/domain.md §24): found, owned, due,
    resolved with evidence."""

    site = models.ForeignKey(
        RelocationSite, verbose_name="安置点", on_delete=models.PROTECT, related_name="problems"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the site's
    category = models.CharField("问题类别", max_length=16, choices=e.choices("site_problem_category"))
    description = models.CharField("问题描述", max_length=300)
    found_on = models.DateField("发现日期")
    owner = models.CharField("责任单位(人)", max_length=100)
    deadline = models.DateField("整改时限")
    resolved_on = models.DateField("整改完成日期", null=True, blank=True)
    resolution = models.CharField("整改情况", max_length=300, blank=True)
    evidence = models.CharField("佐证材料", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销号人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "安置点问题"
        verbose_name_plural = "安置点问题"
        indexes = [models.Index(fields=["region_code", "resolved_on"], name="site_problem_region")]

    def __str__(self) -> str:
        return self.description[:30]


class SiteProject(models.Model):
    """A funds project that spent money on a site (后续扶持专项资金, linked to `dixian.funds`)."""

    site = models.ForeignKey(
        RelocationSite, verbose_name="安置点", on_delete=models.PROTECT, related_name="projects"
    )
    project = models.ForeignKey(
        "funds.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the site's
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL
    )
    linked_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "安置点后续扶持项目"
        verbose_name_plural = "安置点后续扶持项目"
        constraints = [
            models.UniqueConstraint(fields=["site", "project"], name="site_project_unique"),
            # A project's money is counted at one site only, so a county's sum never counts it twice
            # (docs/domain.md §24 "Special funds").
            models.UniqueConstraint(fields=["project"], name="site_project_once"),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.project_id}"
