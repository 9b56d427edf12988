"""组织保障与督导 (docs/domain.md §26): the people and units behind the work — 挂点 leaders of each county,
定点帮扶 units and stationed cadres of each village, the expert pool — and the supervision visits whose findings
enter the rectification ledger.

Scoping: every record carries the code of the unit it belongs to (`region_code`): a county for a leader, a
village for a unit or a stationed cadre, the keeping county or the city for an expert, the visited unit for a
visit (dixian/supervision/selectors.py says who sees what).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel


class CountyLeader(TimeStampedModel):
    """挂点领导: a city (or county) leader assigned to a county for a period."""

    name = models.CharField("姓名", max_length=50)
    post = models.CharField("职务", max_length=100)
    county = models.ForeignKey(
        "regions.Region", verbose_name="挂点县(市、区)", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the county's
    start_on = models.DateField("挂点起始日期")
    end_on = models.DateField("挂点结束日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "挂点领导"
        verbose_name_plural = "挂点领导"
        indexes = [models.Index(fields=["region_code", "start_on"], name="sup_leader_region")]

    def __str__(self) -> str:
        return f"{self.name}({self.post})"


class AssistUnit(TimeStampedModel):
    """定点帮扶单位: a unit assigned to help a village for a period."""

    unit = models.CharField("帮扶单位", max_length=100)
    village = models.ForeignKey(
        "regions.Region", verbose_name="帮扶村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the village's
    start_on = models.DateField("帮扶起始日期")
    end_on = models.DateField("帮扶结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "定点帮扶单位"
        verbose_name_plural = "定点帮扶单位"
        indexes = [models.Index(fields=["region_code", "start_on"], name="sup_unit_region")]

    def __str__(self) -> str:
        return self.unit


class StationedStaff(TimeStampedModel):
    """驻村第一书记 or a work-team member stationed in a village for a period (docs/domain.md §26)."""

    class Duty(models.TextChoices):
        FIRST_SECRETARY = "first_secretary", "驻村第一书记"
        TEAM_LEADER = "team_leader", "工作队长"
        MEMBER = "member", "工作队员"

    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20)
    unit = models.CharField("派出单位", max_length=100)
    village = models.ForeignKey(
        "regions.Region", verbose_name="驻村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the village's
    role = models.CharField("身份", max_length=20, choices=Duty.choices)
    start_on = models.DateField("驻村起始日期")
    end_on = models.DateField("驻村结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "驻村干部"
        verbose_name_plural = "驻村第一书记和工作队员"
        indexes = [
            models.Index(fields=["region_code", "start_on"], name="sup_staff_region"),
            # The overlap check looks a person up by name and phone, city-wide.
            models.Index(fields=["name", "phone"], name="sup_staff_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.get_role_display()})"


class Expert(TimeStampedModel):
    """专家库: an expert of the pool a city or county keeps, with the field it works in."""

    class Field(models.TextChoices):
        INDUSTRY = "industry", "产业发展"
        EMPLOYMENT = "employment", "就业帮扶"
        EDUCATION = "education", "教育"
        HEALTH = "health", "医疗卫生"
        HOUSING = "housing", "住房安全"
        WATER = "water", "饮水安全"
        FUNDS = "funds", "财务与资金"
        GOVERNANCE = "governance", "基层治理"
        ENVIRONMENT = "environment", "人居环境"
        POLICY = "policy", "政策与监测"

    name = models.CharField("姓名", max_length=50)
    field = models.CharField("专业领域", max_length=20, choices=Field.choices)
    unit = models.CharField("工作单位", max_length=100)
    title = models.CharField("职称(职务)", max_length=60, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属专家库", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    active = models.BooleanField("在库", default=True)

    class Meta:
        verbose_name = "专家"
        verbose_name_plural = "专家库"
        indexes = [models.Index(fields=["region_code", "field"], name="sup_expert_region")]

    def __str__(self) -> str:
        return f"{self.name}({self.get_field_display()})"


class SupervisionVisit(TimeStampedModel):
    """A 月调研, 季督导 or 暗访 visit: planned (who, where, when), then recorded once (docs/domain.md §26)."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "月调研"
        QUARTERLY = "quarterly", "季督导"
        UNANNOUNCED = "unannounced", "暗访(四不两直)"

    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="督导地点", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    topic = models.CharField("主题", max_length=200)
    planned_on = models.DateField("计划日期")
    leaders = models.ManyToManyField(CountyLeader, verbose_name="带队领导", blank=True, related_name="visits")
    experts = models.ManyToManyField(Expert, verbose_name="参加专家", blank=True, related_name="visits")
    done_on = models.DateField("实施日期", null=True, blank=True)
    checked = models.TextField("督导调研内容", blank=True)
    findings_count = models.PositiveSmallIntegerField("发现问题数", default=0)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="计划人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "督导调研"
        verbose_name_plural = "督导调研"
        indexes = [
            models.Index(fields=["region_code", "planned_on"], name="sup_visit_region"),
            models.Index(fields=["planned_on", "region_code"], name="sup_visit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.topic}"


class VisitFinding(models.Model):
    """A finding a visit raised: the rectification ledger's Finding it became (finding_raise)."""

    visit = models.ForeignKey(
        SupervisionVisit, verbose_name="督导调研", on_delete=models.PROTECT, related_name="findings"
    )
    seq = models.PositiveSmallIntegerField("序号")
    finding = models.OneToOneField(
        "rectification.Finding", verbose_name="问题", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the visit's

    class Meta:
        verbose_name = "督导发现问题"
        verbose_name_plural = "督导发现问题"
        constraints = [models.UniqueConstraint(fields=["visit", "seq"], name="sup_visit_finding_seq")]

    def __str__(self) -> str:
        return f"{self.visit_id}-{self.seq}"
