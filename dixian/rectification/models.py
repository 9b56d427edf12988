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
    # docs/domain.md §25: the plan's own number (序号), the deadline and the measures of the whole finding.
    plan_no = models.CharField("序号", max_length=20, blank=True)
    deadline = models.DateField("整改时限", null=True, blank=True)
    measures = models.TextField("整改措施", blank=True)
    households = models.ManyToManyField(
        "registry.Household", verbose_name="涉及农户", blank=True, related_name="+"
    )
    projects = models.ManyToManyField("funds.Project", verbose_name="涉及项目", blank=True, related_name="+")
    # 举一反三 (docs/domain.md §25): the named check that finds the same problem elsewhere, and the finding
    # a run of it started from.
    check_code = models.CharField("举一反三核查", max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="举一反三来源问题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    closed_on = models.DateField("销号日期", null=True, blank=True)
    # The earliest deadline still running: the finding's own or an open task's, None once closed (kept by
    # services.due_refresh). "Overdue" is next_due < today, one indexed condition (docs/benchmarks.md).
    next_due = models.DateField("最近到期", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题清单"
        indexes = [
            models.Index(fields=["region_code", "status"], name="finding_region_status"),
            models.Index(fields=["source", "status"], name="finding_source_status"),
            models.Index(fields=["found_on", "id"], name="finding_found_on"),
            models.Index(fields=["next_due"], name="finding_next_due"),
        ]

    def __str__(self) -> str:
        return self.title


class FindingTask(TimeStampedModel):
    """整改任务: one piece of a finding, with its owner unit and person, deadline and required evidence."""

    class Status(models.TextChoices):
        OPEN = "open", "整改中"
        DONE = "done", "已完成"

    finding = models.ForeignKey(Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField("整改任务", max_length=200)
    owner_region = models.ForeignKey(
        "regions.Region", verbose_name="责任单位所在地", on_delete=models.PROTECT, related_name="+"
    )
    # The owner unit's code: who may do the task (an account whose subtree holds it), and the scope.
    region_code = models.CharField("区划代码", max_length=14)
    owner_unit = models.CharField("责任单位", max_length=100, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_name = models.CharField("责任人", max_length=50, blank=True)
    deadline = models.DateField("完成时限")
    evidence_required = models.CharField("佐证材料要求", max_length=300, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    done_on = models.DateField("完成日期", null=True, blank=True)
    done_note = models.CharField("完成情况", max_length=300, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "整改任务"
        verbose_name_plural = "整改任务"
        indexes = [
            models.Index(fields=["finding", "status"], name="task_finding_status"),
            # done_on last: the dispatch provider's "due this week" filter is answered from the index alone
            # (dixian/rectification/due.py, docs/benchmarks.md "Dispatch (issue 19)").
            models.Index(
                fields=["region_code", "status", "deadline", "done_on"], name="task_region_status_due_done"
            ),
            models.Index(fields=["status", "deadline"], name="task_status_due"),
        ]

    def __str__(self) -> str:
        return self.title


class TaskEvidence(models.Model):
    """佐证材料: a photo or scanned PDF of a task, checked by content (dixian/common/uploads.py)."""

    task = models.ForeignKey(
        FindingTask, verbose_name="整改任务", on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.CharField("文件", max_length=300)  # a path under default_storage
    name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self) -> str:
        return self.name


class FindingReviewer(models.Model):
    """联审人: an account named to review a finding before it is closed; signs off or sends it back."""

    class Decision(models.TextChoices):
        PENDING = "pending", "待审"
        SIGNED = "signed", "同意销号"
        SENT_BACK = "sent_back", "退回整改"

    finding = models.ForeignKey(
        Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="reviewers"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="联审人", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField("联审单位", max_length=100, blank=True)
    decision = models.CharField("审核意见", max_length=10, choices=Decision.choices, default=Decision.PENDING)
    reason = models.CharField("退回理由", max_length=300, blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        verbose_name = "联审人"
        verbose_name_plural = "联审人"
        constraints = [models.UniqueConstraint(fields=["finding", "reviewer"], name="finding_reviewer_once")]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.reviewer_id}"


class FindingEvent(models.Model):
    """One line of a finding's history: who did what, when (docs/domain.md §25 "History")."""

    class Kind(models.TextChoices):
        RAISED = "raised", "登记问题"
        IMPORTED = "imported", "导入问题"
        TASK_ADDED = "task_added", "分解任务"
        EVIDENCE = "evidence", "上传佐证材料"
        TASK_DONE = "task_done", "完成任务"
        REVIEWER = "reviewer", "指定联审人"
        TO_REVIEW = "to_review", "提交联审"
        SIGNED = "signed", "联审同意"
        SENT_BACK = "sent_back", "联审退回"
        CLOSED = "closed", "销号"
        SAME_CHECK = "same_check", "举一反三"

    finding = models.ForeignKey(Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=12, choices=Kind.choices)
    summary = models.CharField("内容", max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "问题办理记录"
        verbose_name_plural = "问题办理记录"
        indexes = [models.Index(fields=["finding", "at"], name="finding_event_at")]

    def __str__(self) -> str:
        return self.summary[:30]
