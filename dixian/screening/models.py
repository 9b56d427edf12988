"""Screening rules as data (Rule + RuleVersion) and the record of each screening run.

A rule's behaviour is fixed code (`engine.logic`); what an administrator edits is the version: its
thresholds (params), grade, explanation template, region and validity period. Every edit creates a new
version, never changes an old one, so each alert can name the exact version that raised it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel
from dixian.domain.risks import GRADE_CHOICES, RISK_CHOICES

from .engine import RuleVersion as EngineRuleVersion
from .engine.rules import Escalation


class Rule(models.Model):
    rule_id = models.CharField("规则编号", max_length=10, unique=True)
    name = models.CharField("规则名称", max_length=100)
    logic = models.CharField("判定逻辑", max_length=40, help_text="engine.logic 中的逻辑代码,不可在页面修改")
    feeds = models.JSONField("数据来源", default=list)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "筛查规则"
        verbose_name_plural = "筛查规则"
        ordering = ["rule_id"]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.name}"


class RuleVersion(models.Model):
    rule = models.ForeignKey(Rule, verbose_name="规则", on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版本")
    region_prefix = models.CharField(
        "适用区划代码前缀", max_length=14, blank=True, help_text="留空表示全市适用;填县代码前6位则只用于该县"
    )
    risk_code = models.CharField("风险类型", max_length=4, choices=RISK_CHOICES)
    grade = models.CharField("预警等级", max_length=2, choices=GRADE_CHOICES)
    template = models.TextField("说明模板")
    params = models.JSONField("阈值参数", default=dict)
    escalations = models.JSONField("升级条件", default=list, blank=True)
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("失效日期", null=True, blank=True)
    note = models.CharField("修改说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "规则版本"
        verbose_name_plural = "规则版本"
        ordering = ["rule__rule_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="ruleversion_unique")]

    def __str__(self) -> str:
        return f"{self.rule.rule_id} 第{self.version}版"

    @property
    def label(self) -> str:
        return f"{self.rule.rule_id} 第{self.version}版"

    def to_engine(self) -> EngineRuleVersion:
        return EngineRuleVersion(
            rule_id=self.rule.rule_id,
            version=self.version,
            name=self.rule.name,
            logic=self.rule.logic,
            feeds=tuple(self.rule.feeds),
            risk_code=self.risk_code,
            grade=self.grade,
            template=self.template,
            params=dict(self.params),
            escalations=tuple(Escalation(**e) for e in self.escalations),
            region=self.region_prefix,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )

    def applies_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class ScreeningRun(TimeStampedModel):
    class Trigger(models.TextChoices):
        MONTHLY = "monthly", "月度筛查"
        DELIVERY = "delivery", "报送即筛"
        MANUAL = "manual", "手动筛查"
        REGISTRY = "registry", "信息库变更"

    class Mode(models.TextChoices):
        # docs/scale.md §3: a full run screens every household; an incremental one the households a change
        # touched (a delivery's persons, a registry edit), with every rule.
        FULL = "full", "全量筛查"
        INCREMENTAL = "incremental", "增量筛查"

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    period = models.CharField("筛查期间", max_length=7, db_index=True)
    trigger = models.CharField("触发方式", max_length=10, choices=Trigger.choices)
    delivery = models.ForeignKey(
        "feeds.FeedDelivery", verbose_name="触发报送", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    backend = models.CharField("引擎", max_length=10, default="duckdb")
    mode = models.CharField("筛查范围", max_length=12, choices=Mode.choices, default=Mode.FULL)
    # Households an incremental run screened (0 for a full run).
    households = models.PositiveIntegerField("增量筛查户数", default=0)
    # The rule set the run screened with: {rule id: ["<region prefix>:<version>", …]} of the versions valid
    # in the period. An incremental run meeting another set than the period's last run falls back to a full
    # run of the rules that changed (docs/scale.md §3).
    rule_set = models.JSONField("规则版本集合", default=dict, blank=True)
    # The rules that were screened in full because their versions changed (incremental runs only).
    rules_full = models.JSONField("全量筛查的规则", default=list, blank=True)
    rules_run = models.JSONField("执行的规则版本", default=list)
    rules_skipped = models.JSONField("未执行的规则", default=dict)
    deliveries = models.JSONField("参与筛查的报送", default=list)
    alerts_new = models.PositiveIntegerField("新增预警", default=0)
    evidence_new = models.PositiveIntegerField("新增证据", default=0)
    case_evidence_new = models.PositiveIntegerField("补充到监测户的证据", default=0)
    unmatched_new = models.PositiveIntegerField("新增应纳未纳", default=0)
    timings = models.JSONField("耗时(秒)", default=dict)
    message = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "筛查运行"
        verbose_name_plural = "筛查运行"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.period} {self.get_trigger_display()} {self.get_status_display()}"
