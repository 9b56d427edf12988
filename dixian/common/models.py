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
