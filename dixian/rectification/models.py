"""The rectification ledger (docs/domain.md §25): 问题清单 → 任务清单 → 责任清单.

This module holds the finding, the one record every source files into: an assessment's feedback, a
supervision visit (dixian.supervision), a governance check (dixian.governance), the platform's own
consistency checks. The apps above raise findings through `services.finding_raise`, never by writing rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel


class Finding(TimeStampedModel):
    """问题: one problem found, accepted whole (照单全收), closed only after joint review (联审销号)."""

    class Source(models.TextChoices):
        NATIONAL = "national", "国家考核评估"
        PROVINCIAL = "provincial", "省级考核评估"
        POST_ASSESSMENT = "post_assessment", "后评估"
        SUPERVISION = "supervision", "督导"
        UNANNOUNCED = "unannounced", "暗访"
        AUDIT = "audit", "审计"
        PETITION = "petition", "信访"
        FUND_REVIEW = "fund_review", "资金绩效评价"
        PLATFORM = "platform", "平台核查"

    class Status(models.TextChoices):
        OPEN = "open", "整改中"
        REVIEW = "review", "联审中"
        CLOSED = "closed", "已销号"

    source = models.CharField("问题来源", max_length=20, choices=Source.choices)
    category = models.CharField(
        "问题类别", max_length=60, help_text="如 责任落实、政策落实、工作落实、成效巩固"
    )
    title = models.CharField("问题", max_length=200)
    description = models.TextField("问题描述", blank=True)
    # The unit the problem is found in: a village, a township, a county or the city itself.
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在地", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    found_on = models.DateField("发现日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    # What raised it, when another ledger did: e.g. "supervision.visit:12", "governance.decision:40:missing".
    # Unique, so a check that runs again does not file the same finding twice.
    origin_key = models.CharField("来源记录", max_length=120, null=True, blank=True, unique=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题清单"
        indexes = [
            models.Index(fields=["region_code", "status"], name="finding_region_status"),
            models.Index(fields=["source", "status"], name="finding_source_status"),
        ]

    def __str__(self) -> str:
        return self.title
