"""乡村治理 (docs/domain.md §28): 四议两公开 decisions and their steps, the points scheme (积分制) with its shop
(积分超市), and the village's documents (村规民约, 红白理事会).

Scoping: every record carries the `region_code` of its village (for awards and redemptions: the household's
village when recorded); an account sees its subtree's records, and anything else answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel

from . import rules


class Recorded(models.Model):
    """Who entered a record (登记人) and when: the steps, awards and redemptions."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        abstract = True


class Decision(TimeStampedModel):
    """事项: a village decision taken through 四议两公开."""

    class Category(models.TextChoices):
        PROJECT = "project", "村级项目"
        ASSETS = "assets", "集体资产"
        FUNDS = "funds", "集体资金使用"
        DIBAO = "dibao", "低保评议"
        LAND = "land", "土地流转"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        OPEN = "open", "议定中"
        IMPLEMENTED = "implemented", "已实施"
        CLOSED = "closed", "已办结"

    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    title = models.CharField("事项", max_length=200)
    category = models.CharField("类别", max_length=12, choices=Category.choices)
    amount = models.DecimalField("涉及金额(元)", max_digits=15, decimal_places=2, null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    implemented_on = models.DateField("实施日期", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    # Kept by services.py from the steps (docs/domain.md §28), so that lists and the dispatch page read one row.
    steps_done = models.PositiveSmallIntegerField("已完成程序数", default=0)
    missing = models.CharField("缺少的程序", max_length=120, blank=True)  # step codes, comma-separated
    next_step = models.CharField("下一程序", max_length=24, blank=True)
    next_due_on = models.DateField("下一程序期限", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "四议两公开事项"
        verbose_name_plural = "四议两公开事项"
        indexes = [
            models.Index(fields=["region_code", "status"], name="gov_decision_region"),
            models.Index(fields=["next_due_on", "region_code"], name="gov_decision_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def missing_labels(self) -> list[str]:
        return [rules.STEP_LABELS[c] for c in self.missing.split(",") if c]

    @property
    def next_step_label(self) -> str:
        return rules.STEP_LABELS.get(self.next_step, "")


class DecisionStep(Recorded):
    """One of the six steps of a decision, recorded once: date, attendance and votes, attachment."""

    decision = models.ForeignKey(
        Decision, verbose_name="事项", on_delete=models.CASCADE, related_name="steps"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the decision's
    step = models.CharField("程序", max_length=24, choices=rules.STEPS)
    held_on = models.DateField("日期")
    expected = models.PositiveIntegerField("应到人数", null=True, blank=True)
    attending = models.PositiveIntegerField("实到人数", null=True, blank=True)
    votes_for = models.PositiveIntegerField("赞成", null=True, blank=True)
    votes_against = models.PositiveIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveIntegerField("弃权", null=True, blank=True)
    note = models.CharField("情况说明", max_length=300, blank=True)
    attachment = models.CharField("附件", max_length=500, blank=True)

    class Meta:
        verbose_name = "四议两公开程序"
        verbose_name_plural = "四议两公开程序"
        constraints = [models.UniqueConstraint(fields=["decision", "step"], name="gov_step_once")]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.get_step_display()}"


class PointsRule(TimeStampedModel):
    """积分制 rule of a village: an item and its points (加分 positive, 扣分 negative)."""

    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    item = models.CharField("积分项目", max_length=100)
    points = models.IntegerField("分值")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"
        constraints = [models.UniqueConstraint(fields=["region", "item"], name="gov_rule_item")]
        indexes = [models.Index(fields=["region_code"], name="gov_rule_region")]

    def __str__(self) -> str:
        return f"{self.item}({self.points:+d})"


class PointsAward(Recorded):
    """Points given to (or deducted from) a household by a rule of its village."""

    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)  # the household's village when recorded
    rule = models.ForeignKey(PointsRule, verbose_name="积分规则", on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField("积分")
    reason = models.CharField("事由", max_length=200)
    awarded_on = models.DateField("日期")

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        indexes = [
            models.Index(fields=["household", "awarded_on"], name="gov_award_household"),
            models.Index(fields=["region_code"], name="gov_award_region"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.points:+d}"


class PointsRedemption(Recorded):
    """积分超市: points a household spent on an item."""

    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    item = models.CharField("兑换物品", max_length=100)
    points = models.PositiveIntegerField("消耗积分")
    redeemed_on = models.DateField("兑换日期")

    class Meta:
        verbose_name = "积分兑换"
        verbose_name_plural = "积分兑换"
        indexes = [
            models.Index(fields=["household", "redeemed_on"], name="gov_redeem_household"),
            models.Index(fields=["region_code"], name="gov_redeem_region"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.item} -{self.points}"


class VillageDocument(TimeStampedModel):
    """村规民约 or 红白理事会 charter of a village, with its file."""

    class Kind(models.TextChoices):
        RULES = "rules", "村规民约"
        COUNCIL = "council", "红白理事会章程"

    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区划代码", max_length=14)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    adopted_on = models.DateField("通过日期")
    file = models.CharField("文件", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "村规民约与红白理事会"
        verbose_name_plural = "村规民约与红白理事会"
        indexes = [models.Index(fields=["region_code", "kind"], name="gov_document_region")]

    def __str__(self) -> str:
        return self.title
