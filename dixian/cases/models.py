"""Alerts (预警线索) and their evidence, and the 应纳未纳 list of feed records that match nobody.

One alert per household and risk while it is open: evidence from every line (department data, the
household's own declaration, a cadre's visit) is added to that one alert. Evidence for a risk the
household is already monitored for is kept with `alert=None`: it belongs to the household's case.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from dixian.common.masking import reason_shown
from dixian.common.models import TimeStampedModel
from dixian.domain import risks
from dixian.domain.risks import GRADE_CHOICES, RISK_CHOICES
from dixian.feeds.models import FEED_CHOICES


class Channel(models.TextChoices):
    DEPARTMENT = risks.DEPARTMENT, risks.CHANNELS[risks.DEPARTMENT]
    SELF_DECLARED = risks.SELF_DECLARED, risks.CHANNELS[risks.SELF_DECLARED]
    CADRE_VISIT = risks.CADRE_VISIT, risks.CHANNELS[risks.CADRE_VISIT]


class Alert(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "待核实"
        VERIFYING = "verifying", "核实中"
        # 拟纳入: taken into the household's monitoring case, whose clock and steps now rule it (docs/domain.md
        # §20). Still open: new evidence of the risk joins it until the case is decided.
        PROPOSED = "proposed", "拟纳入(认定中)"
        CONFIRMED = "confirmed", "已纳入监测"
        DISMISSED = "dismissed", "核实排除"

    OPEN_STATUSES = (Status.OPEN, Status.VERIFYING, Status.PROPOSED)
    # Open and worked by the village against the alert's own due date (a proposed one follows its case's).
    TO_VERIFY_STATUSES = (Status.OPEN, Status.VERIFYING)

    household = models.ForeignKey(
        "registry.Household",
        verbose_name="农户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    # The village that must check it; region_code is the scoping key (same range scheme as the registry).
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    # Scoped by a range of codes, which alert_queue (leading with the code) serves: no index of its own.
    region_code = models.CharField("区划代码", max_length=14)
    # For a declaration by somebody not in the registry (household is None).
    subject_name = models.CharField("申报人姓名", max_length=50, blank=True)
    risk_code = models.CharField("风险类型", max_length=4, choices=RISK_CHOICES)
    grade = models.CharField("预警等级", max_length=2, choices=GRADE_CHOICES)
    grade_rank = models.PositiveSmallIntegerField("等级序", default=3)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField("预警原因")
    channels = models.JSONField("发现渠道", default=list)
    evidence_count = models.PositiveIntegerField("证据条数", default=0)
    raised_at = models.DateTimeField("首次预警时间")
    due_date = models.DateField("核实期限")
    last_evidence_at = models.DateTimeField("最近证据时间")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # alert_closed_by: only the closed alerts
    )
    close_note = models.CharField("核实结论", max_length=500, blank=True)

    class Meta:
        verbose_name = "预警线索"
        verbose_name_plural = "预警线索"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "risk_code"],
                condition=models.Q(status__in=["open", "verifying", "proposed"]),
                name="alert_one_open_per_household_risk",
            )
        ]
        # Indexes over a key that is NULL on nearly every row a screening run writes cover only the rows
        # that have one: every look-up by that key (deleting the user, declaration or visit) is served,
        # and a run writes no index entries for them.
        indexes = [
            models.Index(fields=["region_code", "status", "grade_rank", "due_date"], name="alert_queue"),
            models.Index(fields=["closed_by"], condition=Q(closed_by__isnull=False), name="alert_closed_by"),
        ]

    def __str__(self) -> str:
        return f"{self.get_risk_code_display()} {self.grade} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @staticmethod
    def due_for(grade: str, raised: dt.date) -> dt.date:
        return risks.due_date(grade, raised)


# LINEAGE: the run, rule version and delivery that evidence and 应纳未纳 rows point to are enforced by the
# screening run that writes them (it reads those very rows in its transaction), and their deletion by
# Django's on_delete (PROTECT / SET_NULL run as queries), not by database constraints. A city run writes
# 250k+ such rows; PostgreSQL would check each of these keys again at commit (~2.5 s of a 30 s budget).
# Household, alert and region keys keep their database constraints.


class AlertEvidence(models.Model):
    alert = models.ForeignKey(
        Alert, verbose_name="预警", null=True, blank=True, on_delete=models.CASCADE, related_name="evidences"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="农户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # evidence_household_risk leads with it
    )
    region_code = models.CharField("区划代码", max_length=14)
    risk_code = models.CharField("风险类型", max_length=4, choices=RISK_CHOICES)
    channel = models.CharField("渠道", max_length=15, choices=Channel.choices)
    grade = models.CharField("等级", max_length=2, choices=GRADE_CHOICES)
    reason = models.TextField("说明")
    # Department line
    rule_version = models.ForeignKey(
        "screening.RuleVersion",
        verbose_name="规则版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # versions are never deleted and evidence is never looked up by version
        db_constraint=False,  # see LINEAGE above
    )
    feed = models.CharField("数据类型", max_length=20, choices=FEED_CHOICES, blank=True)
    delivery = models.ForeignKey(
        "feeds.FeedDelivery",
        verbose_name="报送",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,  # see LINEAGE above
        related_name="+",
    )
    record_keys = models.JSONField("源记录号", default=list, blank=True)
    # Where each record came from (docs/security.md §3): [{"delivery": id, "row": row number as the sender
    # counts it, or None for a delivery stored before rows were numbered, "key": record key}, ...].
    sources = models.JSONField("来源记录", default=list, blank=True)
    id_number = models.CharField("相关人员证件号码", max_length=18, blank=True)
    amount = models.DecimalField("金额", max_digits=18, decimal_places=2, null=True, blank=True)
    threshold = models.DecimalField("阈值", max_digits=18, decimal_places=2, null=True, blank=True)
    run = models.ForeignKey(
        "screening.ScreeningRun",
        verbose_name="筛查运行",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # evidence_run_region leads with it
        db_constraint=False,  # see LINEAGE above
    )
    # Other lines
    declaration = models.ForeignKey(
        "declarations.Declaration",
        verbose_name="申报",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,  # evidence_declaration: only the rows that have one
    )
    visit = models.ForeignKey(
        "visits.Visit",
        verbose_name="走访",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,  # evidence_visit: only the rows that have one
    )
    # A hash of what makes this evidence the same fact (household, risk, channel, rule, records): adding it
    # again is a no-op, which is what makes re-running a period idempotent.
    dedup_key = models.CharField("去重键", max_length=64)
    created_at = models.DateTimeField("发现时间")

    class Meta:
        verbose_name = "预警证据"
        verbose_name_plural = "预警证据"
        # A city run writes 100k+ rows here: every index costs on each of them, so only what is read.
        # The dedup key is unique by a constraint, not `unique=True`, which on PostgreSQL would add a
        # second (LIKE) index that nothing uses.
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="evidence_dedup_key")]
        indexes = [
            models.Index(fields=["household", "risk_code"], name="evidence_household_risk"),
            models.Index(fields=["run", "region_code"], name="evidence_run_region"),
            models.Index(
                fields=["declaration"], condition=Q(declaration__isnull=False), name="evidence_declaration"
            ),
            models.Index(fields=["visit"], condition=Q(visit__isnull=False), name="evidence_visit"),
        ]

    def __str__(self) -> str:
        return reason_shown(self.reason, pii=False)[:60]


class UnmatchedRecord(TimeStampedModel):
    """应纳未纳: a feed record that matches nobody in the registry, listed for review, never dropped."""

    class Status(models.TextChoices):
        OPEN = "open", "待核查"
        CLOSED = "closed", "已核查"

    feed = models.CharField("数据类型", max_length=20, choices=FEED_CHOICES)
    delivery = models.ForeignKey(
        "feeds.FeedDelivery",
        verbose_name="报送",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,  # see LINEAGE above
        related_name="+",
    )
    record_key = models.CharField("记录号", max_length=200)
    name = models.CharField("姓名", max_length=50, blank=True)
    id_number = models.CharField("证件号码(原值)", max_length=40, blank=True)
    problem = models.CharField("问题", max_length=20)
    reason = models.CharField("原因", max_length=200)
    event_date = models.DateField("事件日期", null=True, blank=True)
    sex = models.CharField("性别", max_length=6, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    village = models.CharField("行政村", max_length=60, blank=True)
    # Routed to the village when the record names one we know, else to the delivery's region.
    region = models.ForeignKey(
        "regions.Region", verbose_name="核查单位", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # unmatched_region (a range, never LIKE)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    run = models.ForeignKey(
        "screening.ScreeningRun",
        verbose_name="首次发现",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,  # see LINEAGE above
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核查人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # unmatched_closed_by: only the closed rows
    )
    close_note = models.CharField("核查结论", max_length=500, blank=True)

    class Meta:
        verbose_name = "应纳未纳线索"
        verbose_name_plural = "应纳未纳线索"
        constraints = [models.UniqueConstraint(fields=["feed", "record_key"], name="unmatched_unique")]
        indexes = [
            models.Index(fields=["region_code"], name="unmatched_region"),
            models.Index(
                fields=["closed_by"], condition=Q(closed_by__isnull=False), name="unmatched_closed_by"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_feed_display()} {self.record_key}"
