"""Shared models: the base model, the change log and background jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ChangeLog(models.Model):
    """One change to a household, person or income record: who, when, old and new values.

    `household_id` is kept even for person and income changes so that the household page can show its
    whole history with one indexed query. Rows are never updated or deleted.
    """

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        MOVE = "move", "迁移"

    class Source(models.TextChoices):
        WEB = "web", "页面"
        IMPORT = "import", "导入"
        ADMIN = "admin", "后台"
        SYSTEM = "system", "系统"

    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    reference = models.CharField("批次", max_length=64, blank=True)
    entity = models.CharField("对象类型", max_length=20)
    entity_id = models.BigIntegerField("对象ID")
    household_id = models.BigIntegerField("户ID", null=True, blank=True)
    action = models.CharField("动作", max_length=10, choices=Action.choices)
    summary = models.CharField("摘要", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        indexes = [
            models.Index(fields=["household_id", "-at"], name="changelog_household_at"),
            models.Index(fields=["entity", "entity_id"], name="changelog_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.summary}"


class Job(models.Model):
    """A unit of background work (large export, web import) run by `dixian run_worker`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=40)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.CASCADE)
    params = models.JSONField("参数", default=dict, blank=True)
    progress = models.PositiveIntegerField("已处理", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    result_file = models.CharField("结果文件", max_length=500, blank=True)
    result_name = models.CharField("下载文件名", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.get_status_display()}"

    # What a job is called on its page when its params carry no title (the screening jobs a delivery or a
    # month starts): never its code name.
    KIND_TITLES = {"screen_delivery": "筛查新报送的数据", "screen_period": "按期筛查"}

    @property
    def title(self) -> str:
        return str(self.params.get("title") or self.KIND_TITLES.get(self.kind, "后台任务"))

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.progress * 100 / self.total) if self.total else 0


class RateLimitHit(models.Model):
    """One counted use of something limited (a declaration sent, a login tried, a push to the API).

    Counted in the database, not a per-process cache: the site runs several workers and each must see
    every other's hits. Only a salted hash of the IP address, ID number or account is kept, never the value.
    The bucket names what is counted; each app names its own (`dixian.common.ratelimit`).
    """

    bucket = models.CharField("类别", max_length=24)
    key_hash = models.CharField("键(加盐哈希)", max_length=64)
    at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "访问计数"
        verbose_name_plural = "访问计数"
        indexes = [models.Index(fields=["bucket", "key_hash", "at"], name="rate_limit_hit_bucket_key_at")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.at:%Y-%m-%d %H:%M}"


class AccessLog(models.Model):
    """One showing of personal data to an account: a page, an export, a search, a download (docs/security.md §5).

    Written by `dixian.common.access_log.log_access` only, one insert per request; never updated; deleted
    only by the worker's retention job (DIXIAN_ACCESS_LOG_DAYS). A page about one household carries its
    `household_id` and the members shown; an export or a list carries the number of records and its
    scope (the filters, numbers masked), not one row per record: see docs/security.md §5.

    `region_code` is the region of the record (a household's code) or of the scope (the prefix of the
    exported region), so that the log's readers see only rows of their own subtree. The account is kept by
    id and name without a database constraint: deleting an account must not rewrite the log.
    """

    class Action(models.TextChoices):
        VIEW = "view", "查看"
        EXPORT = "export", "导出"
        SEARCH = "search", "按号码查找"
        DOWNLOAD = "download", "下载导出文件"

    at = models.DateTimeField("时间", db_index=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    account_name = models.CharField("账号名称", max_length=200, blank=True)
    action = models.CharField("动作", max_length=10, choices=Action.choices)
    region_code = models.CharField("区划代码", max_length=14, blank=True)
    household_id = models.BigIntegerField("户ID", null=True, blank=True)
    person_ids = models.JSONField("人员ID", default=list, blank=True)
    record_count = models.PositiveIntegerField("记录数", default=0)
    scope = models.CharField("范围或条件", max_length=300, blank=True)
    fields = models.JSONField("显示的信息项", default=list, blank=True)
    masked = models.BooleanField("已脱敏", default=True)
    path = models.CharField("页面", max_length=300, blank=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)

    class Meta:
        verbose_name = "个人信息访问记录"
        verbose_name_plural = "个人信息访问记录"
        indexes = [
            models.Index(fields=["household_id", "-at"], name="access_log_household_at"),
            models.Index(fields=["account", "-at"], name="access_log_account_at"),
            models.Index(fields=["region_code", "-at"], name="access_log_region_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.account_name} {self.get_action_display()}"

    # What `fields` names, in the words of the pages (unknown names are shown as they are).
    FIELD_LABELS = {
        "name": "姓名",
        "id_number": "证件号码",
        "phone": "电话",
        "birth_date": "出生日期",
        "age": "年龄",
        "address": "住址",
        "health": "健康状况",
        "disability": "残疾",
        "income": "收入",
        "history": "变更记录",
        "evidence": "预警依据",
        "reason": "预警原因",
        "note": "走访情况",
        "description": "申报内容",
        "record": "部门记录",
    }

    @property
    def fields_text(self) -> str:
        return "、".join(self.FIELD_LABELS.get(f, f) for f in self.fields)

    @property
    def revealed(self) -> bool:
        """A reveal: full ID or phone numbers were shown (the account had the personal-data right)."""
        return not self.masked
