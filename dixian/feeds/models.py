"""Department feed deliveries (一次报送) and the probabilistic-linkage review queue.

A delivery's rows are stored once, as a Parquet file of canonical columns under DATA_DIR/feeds/, which the
screening engine reads directly: at city scale millions of feed rows would take minutes to load through
the ORM and would be read back out again for every run. The database keeps what people query: who sent
what, when, its checksum and row count, and its status. A delivery is immutable once accepted: the same
content sent again (same feed and checksum) is answered with the existing delivery and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from dixian.common.models import TimeStampedModel
from dixian.domain import catalogue, linkmethods

from .labels import feed_label, period_label

FEED_CHOICES = [(f.code, f"{f.department} · {f.name}") for f in catalogue.FEEDS]
LINK_METHOD_CHOICES = [(m, linkmethods.NAMES[m]) for m in (linkmethods.ID_EDIT, linkmethods.PROBABILISTIC)]


class FeedDelivery(TimeStampedModel):
    class Channel(models.TextChoices):
        UPLOAD = "upload", "页面上传"
        API = "api", "接口推送"
        GENERATED = "generated", "演示数据"

    class Status(models.TextChoices):
        PENDING = "pending", "待校验"
        REJECTED = "rejected", "已拒收"
        ACCEPTED = "accepted", "已接收"
        SCREENED = "screened", "已筛查"

    # Fields fixed at acceptance: changing them afterwards is refused (see save()).
    IMMUTABLE_FIELDS = ("feed", "period", "checksum", "row_count", "rows_file", "source_id", "region_id")

    feed = models.CharField("数据类型", max_length=20, choices=FEED_CHOICES, db_index=True)
    period = models.CharField("数据期间", max_length=7, help_text="YYYY-MM")
    channel = models.CharField("报送方式", max_length=10, choices=Channel.choices)
    source = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报送账号", null=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="数据范围", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField("文件名", max_length=255, blank=True)
    original_file = models.CharField("原始文件", max_length=500, blank=True)
    checksum = models.CharField("SHA-256", max_length=64, db_index=True)
    row_count = models.PositiveIntegerField("行数", default=0)
    rows_file = models.CharField("数据文件(Parquet)", max_length=500, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    error_count = models.PositiveIntegerField("错误数", default=0)
    errors = models.JSONField("错误摘要", default=list, blank=True)  # first rows of the report
    report_file = models.CharField("错误报告", max_length=500, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    screened_at = models.DateTimeField("筛查时间", null=True, blank=True)
    # When its rows without a usable ID number were run through probabilistic linkage (None: not yet).
    linked_at = models.DateTimeField("概率匹配时间", null=True, blank=True)

    class Meta:
        verbose_name = "部门数据报送"
        verbose_name_plural = "部门数据报送"
        ordering = ["-created_at"]
        constraints = [
            # One accepted delivery per content, period and region: re-sending the same file changes nothing.
            models.UniqueConstraint(
                fields=["feed", "checksum", "period", "region"],
                condition=models.Q(status__in=["accepted", "screened"]),
                name="feeddelivery_one_per_content",
            )
        ]
        indexes = [models.Index(fields=["feed", "period"], name="feeddelivery_feed_period")]

    def __str__(self) -> str:
        return f"{self.get_feed_display()} {self.period} ({self.row_count} 行)"

    @property
    def feed_spec(self) -> catalogue.Feed:
        return catalogue.feed(self.feed)

    @property
    def period_label(self) -> str:
        """2026年10月."""
        return period_label(self.period)

    @property
    def label(self) -> str:
        """How people name a delivery: 医保局医保结算 2026年10月."""
        return f"{feed_label(self.feed)} {self.period_label}"

    @property
    def shown_file_name(self) -> str:
        """The name of the file a person uploaded; generated demo deliveries are stored files of the
        platform's own (medical.parquet), which name nothing a user sent."""
        return "" if self.channel == self.Channel.GENERATED else self.file_name

    # The files are stored relative to DATA_DIR, so that the data directory can move (a restore elsewhere);
    # a stored absolute path (deliveries from before migration 0003 outside DATA_DIR) is used as it is.
    @staticmethod
    def stored_path(path: Path) -> str:
        """How a file under DATA_DIR is stored: its path relative to DATA_DIR."""
        path, root = Path(path).resolve(), Path(settings.DATA_DIR).resolve()
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    @staticmethod
    def _resolved(stored: str) -> Path | None:
        if not stored:
            return None
        path = Path(stored)
        return path if path.is_absolute() else Path(settings.DATA_DIR) / path

    @property
    def rows_path(self) -> Path | None:
        """The Parquet file of the accepted rows (None for a rejected delivery)."""
        return self._resolved(self.rows_file)

    @property
    def original_path(self) -> Path | None:
        return self._resolved(self.original_file)

    @property
    def report_path(self) -> Path | None:
        return self._resolved(self.report_file)

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.ACCEPTED, self.Status.SCREENED)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            old = type(self).objects.filter(pk=self.pk).values(*self.IMMUTABLE_FIELDS, "status").first()
            if old and old["status"] in (self.Status.ACCEPTED, self.Status.SCREENED):
                if self.status not in (self.Status.ACCEPTED, self.Status.SCREENED):
                    raise ValidationError("已接收的报送不能退回为待校验或已拒收")
                changed = [f for f in self.IMMUTABLE_FIELDS if old[f] != getattr(self, f)]
                if changed:
                    raise ValidationError(f"已接收的报送不可修改({', '.join(changed)})")
        super().save(*args, **kwargs)


class LinkCandidate(models.Model):
    """A feed record without a usable ID number, linked to a registry person by Splink.

    Above the upper threshold the link is made at once (AUTO); between the thresholds it waits (PENDING)
    for a county reviewer, who accepts or rejects it; below the lower threshold no candidate is kept and
    the record goes to the 应纳未纳 list.
    """

    class Status(models.TextChoices):
        AUTO = "auto", "自动匹配"
        PENDING = "pending", "待复核"
        ACCEPTED = "accepted", "复核通过"
        REJECTED = "rejected", "复核否决"

    delivery = models.ForeignKey(
        FeedDelivery, verbose_name="报送", on_delete=models.CASCADE, related_name="link_candidates"
    )
    feed = models.CharField("数据类型", max_length=20, choices=FEED_CHOICES)
    record_key = models.CharField("记录号", max_length=200)
    # What the feed row says about the person (the reviewer compares it with the candidate).
    name = models.CharField("姓名", max_length=50)
    id_number_raw = models.CharField("原证件号码", max_length=40, blank=True)
    sex = models.CharField("性别", max_length=6, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    village = models.CharField("行政村", max_length=60, blank=True)
    person = models.ForeignKey(
        "registry.Person", verbose_name="候选人员", on_delete=models.CASCADE, related_name="+"
    )
    region_code = models.CharField("候选人员区划", max_length=14, db_index=True)
    match_probability = models.FloatField("匹配概率")
    match_weight = models.FloatField("匹配权重", default=0)
    # How the candidate was found (docs/feeds.md §五): a namesake one edit from the number sent, or Splink.
    # An accepted candidate is linked "by a reviewer" whatever found it (`domain.linkmethods`).
    method = models.CharField(
        "匹配方式", max_length=16, choices=LINK_METHOD_CHOICES, default=linkmethods.PROBABILISTIC
    )
    edit_kind = models.CharField("证件号码录错类型", max_length=16, blank=True)
    edit_position = models.PositiveSmallIntegerField("证件号码录错位置", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "概率匹配候选"
        verbose_name_plural = "概率匹配候选"
        constraints = [
            models.UniqueConstraint(fields=["feed", "record_key", "person"], name="linkcandidate_unique")
        ]
        indexes = [models.Index(fields=["status", "region_code"], name="linkcandidate_queue")]

    def __str__(self) -> str:
        return f"{self.feed}:{self.record_key} → {self.person_id} ({self.match_probability:.2f})"

    @property
    def link_method(self) -> linkmethods.LinkMethod:
        """How the record is (or would be) linked to this person, for the pages."""
        return linkmethods.LinkMethod(
            linkmethods.REVIEWER if self.status == self.Status.ACCEPTED else self.method,
            probability=self.match_probability,
            edit_kind=self.edit_kind,
            edit_position=self.edit_position,
            found_by=self.method,
        )


class ApiToken(models.Model):
    """A department system's token for the push API. Only a SHA-256 of the key is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True)
    key_prefix = models.CharField("密钥前缀", max_length=8)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"
