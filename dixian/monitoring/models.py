"""监测帮扶档案: one case per household episode, from the first clue through identification, assistance
and risk elimination (docs/domain.md §20), with its append-only history of transitions.

The legal moves live in `dixian.domain.lifecycle`; every write goes through `monitoring.services`, which
keeps the household's 监测对象类别 in step with the case (only the case writes it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from dixian.common.models import TimeStampedModel
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import MONITORING_CATEGORY

CATEGORY_CHOICES = [(code, label) for code, label in MONITORING_CATEGORY.items() if code]
OPEN_STATES = [code for code in lc.STEPS if code not in lc.CLOSED]


class MonitoringCase(TimeStampedModel):
    class Origin(models.TextChoices):
        ALERT = "alert", "预警线索"
        VISIT = "visit", "干部走访"
        DECLARATION = "declaration", "农户自主申报"
        UNMATCHED = "unmatched", "应纳未纳线索"
        MANUAL = "manual", "人工发起"
        IMPORT = "import", "全国系统导入"
        REOPEN = "reopen", "回头看发现新风险"

    household = models.ForeignKey(
        "registry.Household",
        verbose_name="农户",
        on_delete=models.PROTECT,
        related_name="monitoring_cases",
        db_index=False,  # case_household leads with it
    )
    # The household's village when the case was opened, kept in step when it moves; the scoping key.
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    episode = models.PositiveSmallIntegerField("监测次序", default=1)
    previous = models.ForeignKey(
        "self", verbose_name="上一次监测", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("办理环节", max_length=20, choices=lc.STATE_CHOICES, default=lc.HOME_CHECK)
    state_since = models.DateTimeField("进入本环节时间")
    # Counts the transitions: a form carries the value it was drawn with, so a second submission of the
    # same form (two tabs, two clicks) finds it moved on and writes nothing.
    seq = models.PositiveIntegerField("办理次数", default=0)
    origin = models.CharField("线索来源", max_length=12, choices=Origin.choices)
    origin_note = models.CharField("发起理由", max_length=500, blank=True)
    category = models.CharField("监测对象类别", max_length=20, choices=CATEGORY_CHOICES, blank=True)
    risk_codes = models.JSONField("风险类型", default=list, blank=True)
    # The clock (docs/domain.md §5): from the first clue, with the region's limit in force at opening.
    first_clue_on = models.DateField("首次发现日期")
    limit_days = models.PositiveSmallIntegerField("办理时限(天)", default=lc.DEFAULT_LIMIT_DAYS)
    working_days = models.BooleanField("按工作日计", default=False)
    due_on = models.DateField("认定期限")
    decided_on = models.DateField("认定(不予纳入)日期", null=True, blank=True)
    identified_on = models.DateField("识别纳入日期", null=True, blank=True)
    notice_posted_on = models.DateField("公示开始日期", null=True, blank=True)
    eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    elimination_method = models.CharField(
        "风险消除方式", max_length=10, choices=list(lc.ELIMINATION_METHODS.items()), blank=True
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    alerts = models.ManyToManyField(
        "cases.Alert", verbose_name="预警线索", blank=True, related_name="monitoring_cases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = "监测帮扶档案"
        verbose_name_plural = "监测帮扶档案"
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(state__in=OPEN_STATES), name="case_one_open_per_household"
            ),
            models.UniqueConstraint(fields=["household", "episode"], name="case_household_episode"),
        ]
        indexes = [
            models.Index(fields=["region_code", "state", "due_on"], name="case_queue"),
            # The queue's cases on a step, city- or county-wide: the region range leads case_queue, so the
            # states would be a scan of the scope (selectors.case_queue_segments, case_counts_for_user).
            models.Index(fields=["state", "region_code"], name="case_state"),
            # The queue's decided cases in order (selectors.case_queue_segments).
            models.Index(fields=["due_on", "-state_since", "-id"], name="case_queue_order"),
            models.Index(fields=["household", "-episode"], name="case_household"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} 第{self.episode}次监测 ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state not in lc.CLOSED

    @property
    def step(self) -> lc.Step:
        return lc.STEPS[self.state]


class AppendOnly(models.Model):
    """A history row: written once, never changed or deleted (docs/domain.md §20). The admin shows these
    read-only and no page or API offers an edit; the model refuses it too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError("办理记录不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("办理记录不能删除")


class CaseTransition(AppendOnly):
    """One step of a case: who, when, from which state to which, with what reason and data."""

    class Action(models.TextChoices):
        OPEN = "open", "发起"
        JOIN = "join", "并入线索"
        ADVANCE = "advance", "办理"
        SEND_BACK = "send_back", "退回"
        REFUSE = "refuse", "不予纳入"
        REJECT = "reject", "不同意消除"
        IMPORT = "import", "导入"
        FOLLOW_UP = "follow_up", "回头看"

    case = models.ForeignKey(
        MonitoringCase, verbose_name="档案", on_delete=models.PROTECT, related_name="transitions"
    )
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=12, choices=Action.choices)
    from_state = models.CharField("原环节", max_length=20, choices=lc.STATE_CHOICES, blank=True)
    to_state = models.CharField("新环节", max_length=20, choices=lc.STATE_CHOICES)
    # The day the step was done (a meeting, a visit), which may be before the day it is entered.
    on = models.DateField("办理日期")
    at = models.DateTimeField("录入时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField("办理人姓名", max_length=150)
    reason = models.TextField("理由或意见", blank=True)
    # What the step recorded (the home check's answers, the risk types and category, a meeting's result …).
    data = models.JSONField("办理内容", default=dict, blank=True)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="transition_case_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.get_action_display()}"


class CaseAttachment(AppendOnly):
    """An attachment of a case (the signed authorisation, a photo of the home check or of the notice),
    stored under MEDIA_ROOT outside the web root and served only to accounts that may open the case."""

    class Kind(models.TextChoices):
        AUTHORISATION = "authorisation", "承诺授权书"
        HOME_CHECK = "home_check", "入户核实照片"
        REVIEW = "review", "民主评议记录"
        NOTICE = "notice", "公示照片"
        OTHER = "other", "其他材料"

    case = models.ForeignKey(
        MonitoringCase, verbose_name="档案", on_delete=models.PROTECT, related_name="attachments"
    )
    transition = models.ForeignKey(
        CaseTransition,
        verbose_name="办理记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    kind = models.CharField("材料类型", max_length=15, choices=Kind.choices)
    path = models.CharField("存储位置", max_length=300)  # relative to MEDIA_ROOT
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小(字节)")
    sha256 = models.CharField("校验值", max_length=64)
    uploaded_at = models.DateTimeField("上传时间")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "档案材料"
        verbose_name_plural = "档案材料"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


class Measure(TimeStampedModel):
    """One measure of a case's assistance plan (一户一策, docs/domain.md §6)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "计划实施"
        APPLIED = "applied", "已落实"
        FINISHED = "finished", "已完成"
        CANCELLED = "cancelled", "已取消"

    APPLIED_STATUSES = (Status.APPLIED, Status.FINISHED)

    case = models.ForeignKey(
        MonitoringCase, verbose_name="档案", on_delete=models.PROTECT, related_name="measures"
    )
    category = models.CharField("措施类别", max_length=25, choices=lc.MEASURE_CHOICES)
    item = models.CharField("具体措施", max_length=100)
    detail = models.CharField("措施说明", max_length=500, blank=True)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期", null=True, blank=True)
    amount = models.DecimalField("金额(元)", max_digits=12, decimal_places=2, null=True, blank=True)
    deliverer = models.CharField("落实单位或责任人", max_length=100)
    status = models.CharField("落实情况", max_length=10, choices=Status.choices, default=Status.PLANNED)
    applied_on = models.DateField("落实日期", null=True, blank=True)
    # Why a measure was cancelled, or how it was finished (docs/domain.md §20).
    status_note = models.CharField("落实情况说明", max_length=300, blank=True)
    # The latest follow-up visit against this measure (a visit of dixian.visits that named it), kept here
    # by `assistance.measure_follow_up` so that the case page reads it without knowing about visits.
    followed_up_on = models.DateField("最近跟进走访日期", null=True, blank=True)
    followed_up_by = models.CharField("最近跟进走访人", max_length=150, blank=True)
    follow_ups = models.PositiveIntegerField("跟进走访次数", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.item}"


class RiskElimination(TimeStampedModel):
    """风险消除 of a case (docs/domain.md §7): proposed with the criteria as they stood, then approved."""

    case = models.OneToOneField(
        MonitoringCase, verbose_name="档案", on_delete=models.PROTECT, related_name="elimination"
    )
    method = models.CharField("消除方式", max_length=10, choices=list(lc.ELIMINATION_METHODS.items()))
    proposed_on = models.DateField("提出日期")
    # [{"code", "label", "met", "evidence"}] as checked when proposed (the page rechecks at each step).
    criteria = models.JSONField("消除条件核对", default=list)
    approved_on = models.DateField("审定日期", null=True, blank=True)

    class Meta:
        verbose_name = "风险消除"
        verbose_name_plural = "风险消除"


class FollowUpCheck(TimeStampedModel):
    """回头看: a check of a household after its risk was eliminated (docs/domain.md §7)."""

    class Result(models.TextChoices):
        PENDING = "", "待开展"
        STABLE = "stable", "稳定,无新风险"
        NEW_RISK = "new_risk", "发现新风险(重新纳入监测)"

    case = models.ForeignKey(
        MonitoringCase, verbose_name="档案", on_delete=models.PROTECT, related_name="follow_ups"
    )
    due_on = models.DateField("计划日期")
    done_on = models.DateField("开展日期", null=True, blank=True)
    result = models.CharField("结果", max_length=10, choices=Result.choices, blank=True, default="")
    note = models.CharField("情况说明", max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="开展人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "回头看"
        verbose_name_plural = "回头看"


class DeadlinePolicy(models.Model):
    """The identification time limit of a region and its subtree (docs/domain.md §5: 15 days, or 10
    working days in some provinces). The nearest region up the tree decides; none: 15 calendar days."""

    region = models.OneToOneField(
        "regions.Region", verbose_name="区划", on_delete=models.CASCADE, related_name="+"
    )
    limit_days = models.PositiveSmallIntegerField("办理时限(天)")
    working_days = models.BooleanField("按工作日计", default=False)

    class Meta:
        verbose_name = "认定时限"
        verbose_name_plural = "认定时限"

    def __str__(self) -> str:
        return f"{self.region_id}: {self.limit_days}{'个工作日' if self.working_days else '天'}"


class DeadlineDailyCount(models.Model):
    """The worker's count of each village's open identification cases on a day: how many were overdue and
    how many within DUE_SOON_DAYS of the limit, for the timeliness reports by region and month."""

    day = models.DateField("日期")
    region = models.ForeignKey(
        "regions.Region", verbose_name="村", on_delete=models.CASCADE, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    open_cases = models.PositiveIntegerField("在办档案")
    due_soon = models.PositiveIntegerField("临期")
    overdue = models.PositiveIntegerField("超期")

    class Meta:
        verbose_name = "超期日统计"
        verbose_name_plural = "超期日统计"
        constraints = [models.UniqueConstraint(fields=["day", "region"], name="deadline_count_day_region")]
        indexes = [models.Index(fields=["region_code", "day"], name="deadline_count_region_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.region_code}: 超期{self.overdue}"


class ConsistencyFinding(models.Model):
    """疑点核查: an inconsistency of the kind assessments look for (docs/domain.md §20), found by
    `dixian consistency_check`; open while it holds, resolved (never deleted) once the data is fixed."""

    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    case = models.ForeignKey(
        MonitoringCase, verbose_name="档案", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    code = models.CharField("核查规则", max_length=40)
    # Plain Chinese; never an ID number, a phone or a diagnosis.
    message = models.CharField("说明", max_length=300)
    first_seen_at = models.DateTimeField("发现时间")
    last_seen_at = models.DateTimeField("最近核查时间")
    resolved_at = models.DateTimeField("消除时间", null=True, blank=True)

    class Meta:
        verbose_name = "疑点核查"
        verbose_name_plural = "疑点核查"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "code"],
                condition=Q(resolved_at__isnull=True),
                name="consistency_one_open",
            )
        ]
        indexes = [models.Index(fields=["region_code", "resolved_at"], name="consistency_region")]

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
