"""Self-declarations (农户自主申报) made on the public page."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel


class Difficulty(models.TextChoices):
    # value → the risk code (docs/domain.md §3, national and local codes) an alert is raised under.
    ILLNESS = "illness", "看病花费大 / 家人患病"
    DISABILITY = "disability", "家人残疾"
    SCHOOLING = "schooling", "孩子上学困难"
    HOUSING = "housing", "住房不安全"
    WATER = "water", "饮水困难"
    ACCIDENT = "accident", "意外事故"
    DISASTER = "disaster", "自然灾害损失"
    JOB_LOSS = "job_loss", "失业 / 务工收入没了"
    INCOME_DROP = "income_drop", "收入大幅减少"
    OTHER = "other", "其他困难"


DIFFICULTY_RISK = {
    "illness": "01",
    "disability": "03",
    "schooling": "09",
    "housing": "91",
    "water": "92",
    "accident": "05",
    "disaster": "02",
    "job_loss": "07",
    "income_drop": "99",
    "other": "99",
}


class Declaration(TimeStampedModel):
    class Status(models.TextChoices):
        RECEIVED = "received", "已受理,等待村里核实"
        VERIFYING = "verifying", "正在入户核实"
        CONFIRMED = "confirmed", "已纳入监测帮扶"
        DISMISSED = "dismissed", "核实后未纳入"

    reference = models.CharField("申报编号", max_length=20, unique=True)
    village = models.ForeignKey(
        "regions.Region", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14, db_index=True)
    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("身份证号", max_length=18)
    phone = models.CharField("联系电话", max_length=20)
    difficulty = models.CharField("困难类型", max_length=15, choices=Difficulty.choices)
    description = models.TextField("困难情况", max_length=1000)
    consent = models.BooleanField("同意核查家庭经济状况", default=False)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="匹配农户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField("办理状态", max_length=10, choices=Status.choices, default=Status.RECEIVED)
    status_note = models.CharField("办理说明", max_length=500, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="办理人", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "自主申报"
        verbose_name_plural = "自主申报"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference


class Bucket(models.TextChoices):
    """What the public page counts (see `dixian.common.ratelimit`)."""

    DECLARE_IP = "declare_ip", "同一网络提交申报"
    DECLARE_ID = "declare_id", "同一身份证号提交申报"
    LOOKUP_IP = "lookup_ip", "同一网络查询进度"
    # docs/security.md §7: every bot check drawn (a row and a Pillow image) is counted per network.
    CAPTCHA_IP = "declare_captcha", "同一网络获取验证码"
    CAPTCHA_IMAGE_IP = "declare_captcha_img", "同一网络加载验证码图片"
