"""Cadres' routine visits (干部常态排查): one record per visit, with the risk checklist."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel


class VisitRisk(models.TextChoices):
    # The checklist of docs/domain.md §4; value → risk code in VISIT_RISK_CODE.
    INCOME_DROP = "income_drop", "收入骤减"
    ILLNESS = "illness", "患病 / 医疗支出大"
    DISABILITY = "disability", "新增残疾"
    SCHOOLING = "schooling", "上学困难 / 辍学"
    HOUSING = "housing", "住房不安全"
    WATER = "water", "饮水不安全"
    ACCIDENT = "accident", "意外事故"
    DISASTER = "disaster", "自然灾害"
    JOB_LOSS = "job_loss", "失业 / 务工不稳"


VISIT_RISK_CODE = {
    "income_drop": "99",
    "illness": "01",
    "disability": "03",
    "schooling": "09",
    "housing": "91",
    "water": "92",
    "accident": "05",
    "disaster": "02",
    "job_loss": "07",
}


class Visit(TimeStampedModel):
    class Method(models.TextChoices):
        HOME = "home", "入户走访"
        PHONE = "phone", "电话联系"

    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="visits"
    )
    region_code = models.CharField("区划代码", max_length=14, db_index=True)
    visit_date = models.DateField("走访日期", db_index=True)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="走访人", on_delete=models.PROTECT)
    method = models.CharField("方式", max_length=10, choices=Method.choices, default=Method.HOME)
    risks = models.JSONField("发现的风险", default=list, blank=True)
    # Denormalised from `risks` (kept by services.visit_record): "visits with risks" is a plain indexed
    # condition on both databases, where an emptiness test on a JSON list is not.
    has_risks = models.BooleanField("发现风险", default=False)
    notes = models.TextField("情况记录", blank=True, max_length=2000)
    # Follow-up against the assistance plan (docs/domain.md §20): the household's open monitoring case when
    # the visit was recorded, and the measure the visit followed up when the visitor named one.
    case = models.ForeignKey(
        "monitoring.MonitoringCase",
        verbose_name="监测帮扶档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    measure = models.ForeignKey(
        "monitoring.Measure",
        verbose_name="跟进的帮扶措施",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visit_date", "-id"]
        indexes = [
            models.Index(fields=["region_code", "visit_date"], name="visit_region_date"),
            # Coverage asks "was this household visited in the period" once per household.
            models.Index(fields=["household", "visit_date"], name="visit_household_date"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_date} {self.household_id}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, verbose_name="走访", on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("照片", upload_to="visits/%Y/%m/")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "走访照片"
        verbose_name_plural = "走访照片"

    def __str__(self) -> str:
        return self.image.name or ""
