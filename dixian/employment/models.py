"""Employment monitoring of 脱贫劳动力 and 监测劳动力 (docs/domain.md §10 and §23): the monthly survey (就业信息摸排),
the departments' facts that pre-fill and cross-check it, the key groups and their follow-up, and 公益性岗位.

The labour roll itself is not a table: it is the registry's persons that qualify in a month (`roll.py`), so it
follows deaths, moves and new monitored households with no typing. What is stored here is what the village
records about them, month by month, and what the departments said.

Scoping: every row carries the `region_code` of the person's village (for a survey record: at the time it was
recorded, so a month's figures stay where they were counted) and an account sees only the rows inside its
subtree (`dixian.common.access`). Wages and workplaces are personal data (docs/security.md §5).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel
from dixian.domain import employment as e

MONEY: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}


class EmploymentPolicy(models.Model):
    """The city's settings from a date on (docs/domain.md §23): the base year the monthly count is compared
    with and the roll's working age. The row in force on a month is the latest `valid_from` on or before its
    first day; with no row the defaults of `dixian.domain.employment` apply."""

    valid_from = models.DateField("生效日期", unique=True)
    base_year = models.PositiveSmallIntegerField("比较基准年", default=e.DEFAULT_BASE_YEAR)
    age_min = models.PositiveSmallIntegerField("劳动年龄下限(周岁)", default=e.DEFAULT_AGE_MIN)
    age_max = models.PositiveSmallIntegerField("劳动年龄上限(周岁)", default=e.DEFAULT_AGE_MAX)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "就业监测设置"
        verbose_name_plural = "就业监测设置"

    def __str__(self) -> str:
        return f"{self.valid_from}起: 基准年{self.base_year}, 劳动年龄{self.age_min}–{self.age_max}周岁"


class DepartmentFact(models.Model):
    """One department record about a registry person that the survey reads (docs/domain.md §23): 人社 就业登记 /
    失业登记 / 社保断缴 (pre-fill and cross-check), 公安 死亡 / 迁出 / 迁入 (the roll and the posts), 教育 毕业
    (雨露计划 graduates). Copied from the accepted deliveries' rows for the persons they name (matched by the
    normalised ID number); removed with the delivery."""

    class Kind(models.TextChoices):
        EMPLOYED = "employed", "就业登记"
        UNEMPLOYED = "unemployed", "失业登记"
        INSURANCE_STOPPED = "insurance_stopped", "社保断缴"
        DIED = "died", "死亡"
        MOVED_OUT = "moved_out", "户籍迁出"
        MOVED_IN = "moved_in", "户籍迁入"
        GRADUATED = "graduated", "毕业"

    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    region_code = models.CharField("区划代码", max_length=14)
    delivery = models.ForeignKey(
        "feeds.FeedDelivery", verbose_name="报送批次", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    on = models.DateField("日期")
    employer = models.CharField("单位名称", max_length=100, blank=True)
    place = models.CharField("务工地点", max_length=100, blank=True)
    # 教育: the stage the student graduated from (dixian.domain.dictionaries STAGES), for 雨露计划 graduates.
    stage = models.CharField("学段", max_length=24, blank=True)

    class Meta:
        verbose_name = "部门就业与户籍信息"
        verbose_name_plural = "部门就业与户籍信息"
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "person", "kind", "on"], name="department_fact_unique"
            )
        ]
        indexes = [
            models.Index(fields=["person", "on"], name="department_fact_person"),
            models.Index(fields=["region_code", "kind", "on"], name="department_fact_region"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class SurveyImport(TimeStampedModel):
    """A survey workbook imported by a village or township that still collects on paper (docs/domain.md §23)."""

    class Status(models.TextChoices):
        DONE = "done", "已导入"
        REFUSED = "refused", "已拒收"

    file_name = models.CharField("文件名", max_length=255)
    checksum = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.ForeignKey("regions.Region", verbose_name="导入范围", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    created = models.PositiveIntegerField("新增记录", default=0)
    replaced = models.PositiveIntegerField("更正记录", default=0)
    unchanged = models.PositiveIntegerField("未变记录", default=0)
    error_count = models.PositiveIntegerField("错误数", default=0)
    errors = models.JSONField("错误摘要", default=list, blank=True)
    report_file = models.CharField("错误报告", max_length=500, blank=True)
    # What the page and the command say about the outcome (imports.py), in Chinese.
    message = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "摸排表导入"
        verbose_name_plural = "摸排表导入"
        indexes = [models.Index(fields=["region_code", "created_at"], name="survey_import_region")]

    def __str__(self) -> str:
        return f"{self.file_name}({self.get_status_display()})"


class Employment(models.Model):
    """务工 (就业信息摸排): what the village recorded about one worker of the roll for one month.

    One record per person and month; a correction replaces it and is kept in the change log (entity
    "employment"). `region_code` and `household` are the person's at the time of recording."""

    class Source(models.TextChoices):
        FORM = "form", "村级录入"
        CARRIED = "carried", "沿用上月"
        WORKBOOK = "workbook", "表格导入"
        GENERATED = "generated", "演示数据"

    person = models.ForeignKey(
        "registry.Person", verbose_name="劳动力", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="所在户",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    region_code = models.CharField("区划代码", max_length=14)
    month = models.DateField("摸排月份")  # the month's first day
    working = models.BooleanField("是否务工就业")
    place_tier = models.CharField(
        "务工地域", max_length=16, choices=e.choices("place_tier"), blank=True, default=""
    )
    employer = models.CharField("就业单位或帮扶车间", max_length=100, blank=True)
    channel = models.CharField(
        "就业渠道", max_length=16, choices=e.choices("channel"), blank=True, default=""
    )
    months_worked = models.PositiveSmallIntegerField("本年务工月数", default=0)
    wage_band = models.CharField(
        "月工资收入", max_length=10, choices=e.choices("wage_band"), blank=True, default=""
    )
    not_working_reason = models.CharField(
        "未就业原因", max_length=16, choices=e.choices("not_working_reason"), blank=True, default=""
    )
    willing = models.BooleanField("有就业意愿", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    batch = models.ForeignKey(
        SurveyImport,
        verbose_name="导入批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The account that typed the record (the village form). A workbook's records leave it empty: their batch
    # names the account that uploaded the book (`recorder`), once instead of on each of 100,000 rows, each of
    # which PostgreSQL would check against the account table (docs/benchmarks.md "Survey workbook import").
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = "就业信息摸排记录"
        verbose_name_plural = "就业信息摸排记录"
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="employment_person_month")]
        indexes = [
            # The village's month (the survey page) and the region's months (lists, key groups).
            models.Index(fields=["region_code", "month"], name="employment_region_month"),
            # The figures: one month's rows of a subtree, grouped by tier and channel, read from the index alone.
            models.Index(
                fields=["month", "working", "region_code", "place_tier", "channel"], name="employment_figures"
            ),
        ]

    def __str__(self) -> str:
        return f"{e.month_label(self.month)} {'务工' if self.working else '未务工'}"

    @property
    def recorder(self) -> Any:
        """录入人: the form's account, or the account that uploaded the record's workbook (None for the system).
        A form's correction of a workbook's record keeps the batch but not its source: its own account, or
        none."""
        if self.recorded_by_id is not None:
            return self.recorded_by
        if self.source == self.Source.WORKBOOK and self.batch is not None:
            return self.batch.uploaded_by
        return None


class EmploymentCount(models.Model):
    """The survey records counted by month, place of recording (`region_code`), working, tier and channel: the
    stored monthly count the figures read instead of the records (docs/domain.md §23 "Figures"), ~30 rows per
    village and month instead of one per worker.

    Kept by the database itself: triggers on `employment_employment` (migration 0004) add and subtract in the
    statement that writes the records (the form, 本月无变化, the generator, any update or delete), so the count
    is exact in every transaction, whatever wrote the records; only the rows a workbook import inserts (with
    their batch) are added by the import, grouped, in its transaction (`counts.counts_add`). Rebuilt from the records
    by `dixian employment_counts_rebuild` (`counts.counts_rebuild`). A group whose records are all gone keeps a
    row of 0."""

    month = models.DateField("摸排月份")
    region_code = models.CharField("区划代码", max_length=14)
    working = models.BooleanField("是否务工就业")
    place_tier = models.CharField("务工地域", max_length=16, blank=True, default="")
    channel = models.CharField("就业渠道", max_length=16, blank=True, default="")
    n = models.IntegerField("记录数", default=0)

    class Meta:
        verbose_name = "就业信息摸排月度计数"
        verbose_name_plural = "就业信息摸排月度计数"
        constraints = [
            # Also the figures' index: a month's rows of a subtree, grouped by code and working in its order.
            models.UniqueConstraint(
                fields=["month", "region_code", "working", "place_tier", "channel"],
                name="employment_count_key",
            )
        ]

    def __str__(self) -> str:
        return f"{e.month_label(self.month)} {self.region_code} {self.n}"


class KeyGroupMember(models.Model):
    """A worker in a key group (重点群体, docs/domain.md §23) from the month it entered until the month it left.
    Kept by `keygroups.py` from the survey records and the departments' facts, never typed."""

    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="所在户",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    region_code = models.CharField("区划代码", max_length=14)
    group = models.CharField("重点群体", max_length=16, choices=list(e.KEY_GROUPS.items()))
    since = models.DateField("进入月份")
    # The day the platform put the person in the group: the month of follow-up is counted from it.
    entered_on = models.DateField("列入日期")
    until = models.DateField("退出月份", null=True, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)
    # The latest follow-up's date (denormalised from FollowUp, for the overdue list).
    last_follow_up = models.DateField("最近跟踪日期", null=True, blank=True)

    class Meta:
        verbose_name = "重点群体人员"
        verbose_name_plural = "重点群体人员"
        constraints = [
            models.UniqueConstraint(fields=["person", "group", "since"], name="key_group_member_unique"),
            models.UniqueConstraint(
                fields=["person", "group"],
                condition=models.Q(until__isnull=True),
                name="key_group_member_open",
            ),
        ]
        indexes = [models.Index(fields=["region_code", "group", "until"], name="key_group_region")]

    def __str__(self) -> str:
        return f"{self.get_group_display()} {self.since:%Y-%m}"


class FollowUp(models.Model):
    """跟踪帮扶: a job offer, training, a post … given to a key-group member (docs/domain.md §23)."""

    member = models.ForeignKey(
        KeyGroupMember, verbose_name="重点群体人员", on_delete=models.PROTECT, related_name="follow_ups"
    )
    region_code = models.CharField("区划代码", max_length=14)
    kind = models.CharField("帮扶方式", max_length=16, choices=e.choices("follow_up_kind"))
    on = models.DateField("日期")
    detail = models.CharField("内容", max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "重点群体跟踪帮扶"
        verbose_name_plural = "重点群体跟踪帮扶"
        indexes = [models.Index(fields=["region_code", "on"], name="follow_up_region")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class PublicPost(TimeStampedModel):
    """公益性岗位: a post of a village (docs/domain.md §23): type, funding, pay and term."""

    region = models.ForeignKey("regions.Region", verbose_name="所在村", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)
    name = models.CharField("岗位名称", max_length=60)
    post_type = models.CharField("岗位类型", max_length=16, choices=e.choices("post_type"))
    funding = models.CharField("资金来源", max_length=20, choices=e.choices("post_funding"))
    monthly_pay = models.DecimalField("月补贴(元)", **MONEY)
    term_start = models.DateField("聘期开始")
    term_end = models.DateField("聘期结束")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "公益性岗位"
        verbose_name_plural = "公益性岗位"
        indexes = [models.Index(fields=["region_code", "term_end"], name="public_post_region")]

    def __str__(self) -> str:
        return self.name


class PostHolding(TimeStampedModel):
    """Who holds a post, from when to when (one holder at a time)."""

    post = models.ForeignKey(
        PublicPost, verbose_name="岗位", on_delete=models.PROTECT, related_name="holdings"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name="在岗人员", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="所在户",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    region_code = models.CharField("区划代码", max_length=14)  # the post's village
    start = models.DateField("上岗日期")
    end = models.DateField("离岗日期", null=True, blank=True)
    end_reason = models.CharField("离岗原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "公益性岗位聘用"
        verbose_name_plural = "公益性岗位聘用"
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=models.Q(end__isnull=True), name="post_one_current_holder"
            ),
            # A person holds one post at a time (docs/domain.md §23), also under two concurrent assignments.
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(end__isnull=True), name="post_holder_one_post"
            ),
        ]
        indexes = [models.Index(fields=["region_code", "end"], name="post_holding_region")]

    def __str__(self) -> str:
        return f"{self.post} {self.start}"


class PostPayment(models.Model):
    """A month's pay of a post holding (发放台账)."""

    holding = models.ForeignKey(
        PostHolding, verbose_name="聘用", on_delete=models.PROTECT, related_name="payments"
    )
    region_code = models.CharField("区划代码", max_length=14)
    month = models.DateField("发放月份")
    amount = models.DecimalField("发放金额(元)", **MONEY)
    paid_on = models.DateField("发放日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "公益性岗位补贴发放"
        verbose_name_plural = "公益性岗位补贴发放"
        constraints = [models.UniqueConstraint(fields=["holding", "month"], name="post_payment_month")]
        indexes = [models.Index(fields=["region_code", "month"], name="post_payment_region")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.amount}"
