"""衔接资金 from allocation to spending, the project bank and its yearly plan, project assets and their income,
and the households each project, business entity or industry base links (docs/domain.md §22).

The chain is allocation → arrangement → project → payment → asset → income → distribution → household.
Amounts are decimals exact to the fen (never floats); every sum is computed, never typed. The procedure and
the dictionaries are data in `dixian.domain.funds`; every write goes through this app's services, which
refuse what the rules forbid and keep the history.

Scoping: every row carries the `region_code` of the unit it belongs to (the receiving unit of an allocation,
the village or township where a project is built, an asset's project's place), and an account sees only the
rows inside its subtree (`dixian.common.access`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from dixian.common.models import TimeStampedModel
from dixian.domain import funds as fd

# History rows of projects and assets are written once, like a case's (docs/domain.md §22).
from dixian.monitoring.models import AppendOnly

# Up to 9,999,999,999,999.99 元: a city's yearly total fits many times over.
AMOUNT: dict[str, Any] = {"max_digits": 15, "decimal_places": 2}
FUND_LEVEL_CHOICES = list(fd.FUND_LEVELS.items())


class FundsPolicy(models.Model):
    """The year's settings the city keeps (docs/domain.md §22): the industry share's minimum and the project
    bank's publicity period. A year without a row uses the defaults of `dixian.domain.funds`."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    industry_share_min = models.DecimalField(
        "产业发展资金占比下限", max_digits=5, decimal_places=4, default=fd.DEFAULT_INDUSTRY_SHARE_MIN
    )
    publicity_days = models.PositiveSmallIntegerField("项目公示天数", default=fd.DEFAULT_PUBLICITY_DAYS)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "年度资金管理要求"
        verbose_name_plural = "年度资金管理要求"

    def __str__(self) -> str:
        return f"{self.year}年: 产业占比≥{self.industry_share_min:.0%}, 公示{self.publicity_days}天"


class Allocation(TimeStampedModel):
    """资金下达: one allocation document's money to one receiving unit."""

    year = models.PositiveSmallIntegerField("资金年度")
    level = models.CharField("资金级次", max_length=10, choices=FUND_LEVEL_CHOICES)
    doc_no = models.CharField("下达文号", max_length=100)
    doc_date = models.DateField("下达日期")
    region = models.ForeignKey("regions.Region", verbose_name="接收单位", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)
    amount = models.DecimalField("下达金额(元)", **AMOUNT)
    purpose = models.CharField("资金用途", max_length=200, blank=True)
    direct = models.BooleanField("直达资金", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "资金下达"
        verbose_name_plural = "资金下达"
        constraints = [
            # The import's key: the same document's line for the same unit and level is the same allocation.
            models.UniqueConstraint(fields=["doc_no", "region_code", "level"], name="allocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]
        indexes = [models.Index(fields=["region_code", "year", "level"], name="allocation_region_year")]

    def __str__(self) -> str:
        return f"{self.doc_no} {self.get_level_display()} {self.amount}元"


class Project(TimeStampedModel):
    """A project of the project bank (项目库) and, once decided and publicised, of the year's plan."""

    code = models.CharField("项目编号", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=200)
    year = models.PositiveSmallIntegerField("计划年度")
    kind = models.CharField("项目类型", max_length=20, choices=list(fd.PROJECT_TYPES.items()))
    # Where it is built: a village, or a township for a project of several villages.
    region = models.ForeignKey("regions.Region", verbose_name="项目地点", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)
    owner_unit = models.CharField("项目实施单位", max_length=100)
    content = models.TextField("建设内容及规模", blank=True)
    state = models.CharField(
        "项目库状态", max_length=20, choices=list(fd.PROJECT_STATES.items()), default=fd.PROPOSED
    )
    state_since = models.DateTimeField("进入本状态时间")
    # Counts the moves: a form carries the value it was drawn with, so a second submission finds it moved on.
    seq = models.PositiveIntegerField("办理次数", default=0)
    publicity_started_on = models.DateField("公示开始日期", null=True, blank=True)
    publicity_days = models.PositiveSmallIntegerField("公示天数", default=fd.DEFAULT_PUBLICITY_DAYS)
    planned_on = models.DateField("纳入年度计划日期", null=True, blank=True)
    # The budget by fund source is in ProjectBudget; this is their sum, kept by the service that writes them.
    budget_total = models.DecimalField("总投资(元)", default=Decimal("0"), **AMOUNT)
    planned_start = models.DateField("计划开工日期", null=True, blank=True)
    planned_completion = models.DateField("计划完工日期", null=True, blank=True)
    started_on = models.DateField("实际开工日期", null=True, blank=True)
    completed_on = models.DateField("实际完工日期", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    # 以工代赈 and 利益联结 plans of the project (docs/domain.md §22); hires are WorkReliefHire rows.
    work_relief_plan = models.TextField("以工代赈方案", blank=True)
    benefit_plan = models.TextField("利益联结方案", blank=True)
    income_plan = models.TextField("收益分配方案", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        indexes = [
            models.Index(fields=["region_code", "year", "state"], name="project_region_year"),
            models.Index(fields=["year", "state", "region_code"], name="project_year_state"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectBudget(models.Model):
    """A project's budget from one fund source (资金来源)."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="budgets"
    )
    level = models.CharField("资金来源", max_length=10, choices=FUND_LEVEL_CHOICES)
    amount = models.DecimalField("预算金额(元)", **AMOUNT)

    class Meta:
        verbose_name = "项目预算"
        verbose_name_plural = "项目预算"
        constraints = [
            models.UniqueConstraint(fields=["project", "level"], name="project_budget_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="project_budget_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_level_display()} {self.amount}"


class ProjectTransition(AppendOnly):
    """One move of a project through the project bank: who, when, from which state to which, and why."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="transitions", db_index=False
    )
    action = models.CharField("动作", max_length=30)
    from_state = models.CharField("原状态", max_length=20, blank=True)
    to_state = models.CharField("新状态", max_length=20)
    reason = models.CharField("理由", max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("办理人姓名", max_length=150, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "项目办理记录"
        verbose_name_plural = "项目办理记录"
        indexes = [models.Index(fields=["project", "at"], name="project_transition_at")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action} {self.at:%Y-%m-%d}"


class Arrangement(TimeStampedModel):
    """资金安排: part of an allocation arranged to a project. Never more than the allocation issued."""

    allocation = models.ForeignKey(
        Allocation, verbose_name="资金下达", on_delete=models.PROTECT, related_name="arrangements"
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="arrangements"
    )
    amount = models.DecimalField("安排金额(元)", **AMOUNT)
    arranged_on = models.DateField("安排日期")
    # The allocation's receiving unit, for scoping and the 资金安排率 by region.
    region_code = models.CharField("区划代码", max_length=14)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "资金安排"
        verbose_name_plural = "资金安排"
        constraints = [
            models.UniqueConstraint(fields=["allocation", "project"], name="arrangement_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="arrangement_amount_positive"),
        ]
        indexes = [models.Index(fields=["region_code", "arranged_on"], name="arrangement_region")]

    def __str__(self) -> str:
        return f"{self.allocation_id}→{self.project_id} {self.amount}"


class NegativeListVersion(models.Model):
    """A version of the city's negative list (负面清单): the payment uses it forbids, each with its rule.

    Versioned like the screening rules: a payment is checked against the version in force on its date, and a
    version once in force is never edited (the city adds a new one).
    """

    number = models.PositiveIntegerField("版本号", unique=True)
    valid_from = models.DateField("生效日期")
    note = models.CharField("修订说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修订人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("修订时间", auto_now_add=True)

    class Meta:
        verbose_name = "负面清单版本"
        verbose_name_plural = "负面清单版本"
        ordering = ["-valid_from", "-number"]

    def __str__(self) -> str:
        return f"负面清单第{self.number}版({self.valid_from}起)"


class NegativeListItem(models.Model):
    version = models.ForeignKey(
        NegativeListVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="items"
    )
    use_category = models.CharField("资金用途", max_length=30)
    rule = models.CharField("禁止依据", max_length=300)

    class Meta:
        verbose_name = "负面清单事项"
        verbose_name_plural = "负面清单事项"
        constraints = [
            models.UniqueConstraint(fields=["version", "use_category"], name="negative_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.use_category}: {self.rule}"


class Payment(TimeStampedModel):
    """A payment recorded against a project (支出): never before its start, never beyond its budget, never for
    a use on the negative list in force on its date."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="payments"
    )
    paid_on = models.DateField("支付日期")
    amount = models.DecimalField("支付金额(元)", **AMOUNT)
    level = models.CharField("资金来源", max_length=10, choices=FUND_LEVEL_CHOICES, blank=True)
    use_category = models.CharField("资金用途", max_length=30)
    payee_category = models.CharField("收款方类别", max_length=20, choices=list(fd.PAYEE_CATEGORIES.items()))
    payee = models.CharField("收款方", max_length=200, blank=True)
    voucher_no = models.CharField("凭证号", max_length=60, blank=True)
    region_code = models.CharField("区划代码", max_length=14)  # the project's
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "资金支付"
        verbose_name_plural = "资金支付"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["project", "paid_on"], name="payment_project_date"),
            models.Index(fields=["region_code", "paid_on"], name="payment_region_date"),
            # The funds report's sums read the index alone (docs/benchmarks.md "Funds and projects").
            models.Index(fields=["region_code", "project", "paid_on", "amount"], name="payment_report"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.paid_on} {self.amount}"


class WorkReliefHire(models.Model):
    """以工代赈: a person of the registry hired on a project, with the wages paid."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="work_relief_hires"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name="务工人员", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name="所在户", on_delete=models.PROTECT, related_name="+"
    )
    hired_on = models.DateField("用工日期")
    days = models.PositiveSmallIntegerField("务工天数", default=0)
    wages_paid = models.DecimalField("已发劳务报酬(元)", default=Decimal("0"), **AMOUNT)
    region_code = models.CharField("区划代码", max_length=14)  # the project's

    class Meta:
        verbose_name = "以工代赈用工"
        verbose_name_plural = "以工代赈用工"
        constraints = [models.UniqueConstraint(fields=["project", "person"], name="work_relief_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.person_id}"


class Asset(TimeStampedModel):
    """A project asset (项目资产) of an accepted project: its class, value, ownership and management."""

    class State(models.TextChoices):
        ACTIVE = "active", "在用"
        DISPOSAL_PROPOSED = "disposal_proposed", "处置待审批"
        DISPOSED = "disposed", "已处置"

    project = models.ForeignKey(
        Project, verbose_name="形成项目", on_delete=models.PROTECT, related_name="assets"
    )
    name = models.CharField("资产名称", max_length=200)
    asset_class = models.CharField("资产类别", max_length=10, choices=list(fd.ASSET_CLASSES.items()))
    value = models.DecimalField("资产价值(元)", **AMOUNT)
    owner_unit = models.CharField("所有权人(确权)", max_length=100)
    manager = models.CharField("管护主体", max_length=100, blank=True)
    operator = models.CharField("经营主体", max_length=100, blank=True)
    handed_over_on = models.DateField("移交日期", null=True, blank=True)
    # 到户类: the household the asset was given to (shown on its page).
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="受益农户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region_code = models.CharField("区划代码", max_length=14)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.ACTIVE)
    disposal_kind = models.CharField("处置方式", max_length=30, blank=True)
    disposal_reason = models.CharField("处置理由", max_length=500, blank=True)
    disposal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处置审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disposed_on = models.DateField("处置日期", null=True, blank=True)

    class Meta:
        verbose_name = "项目资产"
        verbose_name_plural = "项目资产"
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="asset_value_nonnegative"),
            models.CheckConstraint(
                condition=Q(household__isnull=True) | Q(asset_class=fd.HOUSEHOLD),
                name="asset_household_class",
            ),
        ]
        indexes = [
            models.Index(fields=["region_code", "asset_class"], name="asset_region_class"),
            models.Index(fields=["household"], condition=Q(household__isnull=False), name="asset_household"),
            models.Index(
                fields=["region_code", "project", "asset_class", "state", "value"], name="asset_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_asset_class_display()})"


class AssetMaintenance(models.Model):
    """管护台账: one entry of an asset's maintenance ledger."""

    asset = models.ForeignKey(
        Asset, verbose_name="资产", on_delete=models.CASCADE, related_name="maintenance"
    )
    done_on = models.DateField("管护日期")
    kind = models.CharField("管护内容", max_length=100)
    cost = models.DecimalField("费用(元)", default=Decimal("0"), **AMOUNT)
    note = models.CharField("情况说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "资产管护记录"
        verbose_name_plural = "资产管护记录"
        indexes = [models.Index(fields=["asset", "done_on"], name="asset_maintenance_date")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.done_on} {self.kind}"


class AssetIncome(models.Model):
    """An operating asset's income of a year (资产收益), to be distributed."""

    asset = models.ForeignKey(Asset, verbose_name="资产", on_delete=models.PROTECT, related_name="incomes")
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("收益金额(元)", **AMOUNT)
    region_code = models.CharField("区划代码", max_length=14)

    class Meta:
        verbose_name = "资产收益"
        verbose_name_plural = "资产收益"
        constraints = [models.UniqueConstraint(fields=["asset", "year"], name="asset_income_unique")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.year} {self.amount}"


class Distribution(models.Model):
    """收益分配: a share of an asset's income paid to a household of the registry in a month (published as a
    list). The recipient is a person of the household; one who died or left stops receiving from the month
    after, and a distribution to such a person is a finding (docs/domain.md §22)."""

    income = models.ForeignKey(
        AssetIncome, verbose_name="资产收益", on_delete=models.PROTECT, related_name="distributions"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name="领取人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient_name = models.CharField("领取人姓名", max_length=50)
    period = models.CharField("发放月份", max_length=7, help_text="YYYY-MM")
    amount = models.DecimalField("分配金额(元)", **AMOUNT)
    region_code = models.CharField("区划代码", max_length=14)  # the household's

    class Meta:
        verbose_name = "收益分配"
        verbose_name_plural = "收益分配"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="distribution_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["household", "period"], name="distribution_household"),
            models.Index(fields=["income", "period"], name="distribution_income"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.period} {self.amount}"


class BusinessEntity(TimeStampedModel):
    """经营主体: an enterprise, cooperative or family farm that links households (联农带农)."""

    name = models.CharField("主体名称", max_length=200)
    kind = models.CharField("主体类型", max_length=20, choices=list(fd.ENTITY_KINDS.items()))
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    region = models.ForeignKey("regions.Region", verbose_name="所在地", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)

    class Meta:
        verbose_name = "经营主体"
        verbose_name_plural = "经营主体"
        indexes = [models.Index(fields=["region_code"], name="entity_region")]

    def __str__(self) -> str:
        return self.name


class IndustryBase(TimeStampedModel):
    """产业基地: a village's industry base that links households."""

    name = models.CharField("基地名称", max_length=200)
    industry = models.CharField("主导产业", max_length=100, blank=True)
    region = models.ForeignKey("regions.Region", verbose_name="所在村", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)
    area_mu = models.DecimalField("面积(亩)", max_digits=10, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = "产业基地"
        verbose_name_plural = "产业基地"
        indexes = [models.Index(fields=["region_code"], name="industry_base_region")]

    def __str__(self) -> str:
        return self.name


class BenefitLink(models.Model):
    """联农带农: a household linked by exactly one of a project, a business entity or an industry base, in a
    year, with the form of the link and the year's benefit. Counts of linked households are distinct
    households, computed from these rows."""

    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_links",
    )
    entity = models.ForeignKey(
        BusinessEntity,
        verbose_name="经营主体",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_links",
    )
    base = models.ForeignKey(
        IndustryBase,
        verbose_name="产业基地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_links",
    )
    year = models.PositiveSmallIntegerField("年度")
    form = models.CharField("联结方式", max_length=20, choices=list(fd.LINK_FORMS.items()))
    benefit = models.DecimalField("年度带动收益(元)", default=Decimal("0"), **AMOUNT)
    region_code = models.CharField("区划代码", max_length=14)  # the household's

    class Meta:
        verbose_name = "联农带农"
        verbose_name_plural = "联农带农"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(project__isnull=False, entity__isnull=True, base__isnull=True)
                    | Q(project__isnull=True, entity__isnull=False, base__isnull=True)
                    | Q(project__isnull=True, entity__isnull=True, base__isnull=False)
                ),
                name="benefit_link_one_source",
            ),
            # NULLs are distinct in a unique index: one constraint per source.
            models.UniqueConstraint(
                fields=["household", "year", "form", "project"],
                condition=Q(project__isnull=False),
                name="benefit_link_project_unique",
            ),
            models.UniqueConstraint(
                fields=["household", "year", "form", "entity"],
                condition=Q(entity__isnull=False),
                name="benefit_link_entity_unique",
            ),
            models.UniqueConstraint(
                fields=["household", "year", "form", "base"],
                condition=Q(base__isnull=False),
                name="benefit_link_base_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["region_code", "year"], name="benefit_link_region_year"),
            models.Index(fields=["household", "year"], name="benefit_link_household"),
            models.Index(fields=["year", "region_code", "household"], name="benefit_link_report"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year} {self.get_form_display()}"


# ---- assets' history (helper C, issue 16) ----------------------------------------------------------------


class AssetEvent(AppendOnly):
    """One step of an asset's life (docs/domain.md §22): registered, disposal proposed, disposal approved or
    refused by the county. Append-only, so the page shows who proposed and who decided even after a refusal
    puts the asset back in use."""

    class Action(models.TextChoices):
        REGISTERED = "registered", "登记资产"
        DISPOSAL_PROPOSED = "disposal_proposed", "申请处置"
        DISPOSAL_APPROVED = "disposal_approved", "县级批准处置"
        DISPOSAL_REFUSED = "disposal_refused", "县级不予处置"

    asset = models.ForeignKey(Asset, verbose_name="资产", on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=20, choices=Action.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("办理人姓名", max_length=150, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "资产办理记录"
        verbose_name_plural = "资产办理记录"
        indexes = [models.Index(fields=["asset", "at"], name="asset_event_at")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.get_action_display()} {self.at:%Y-%m-%d}"


class FundsImportBatch(models.Model):
    """One import of the finance office's workbook (资金下达 / 资金安排 / 项目 / 资金支付): who, when, which
    file (its SHA-256), within which unit, and the outcome with counts or the rows' errors."""

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        IMPORTED = "imported", "已导入"
        REJECTED = "rejected", "有错误,未导入"
        FAILED = "failed", "文件无法读取"

    file_name = models.CharField("文件名", max_length=255)
    checksum = models.CharField("文件校验值(SHA-256)", max_length=64)
    stored_file = models.CharField("存储位置", max_length=300, blank=True)
    region = models.ForeignKey("regions.Region", verbose_name="导入范围", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=14)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.CharField("结果", max_length=500, blank=True)
    counts = models.JSONField("各表新增/未变条数", default=dict, blank=True)
    errors = models.JSONField("错误样例", default=list, blank=True)
    error_count = models.PositiveIntegerField("错误数", default=0)
    report_file = models.CharField("错误报告", max_length=300, blank=True)
    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "资金导入批次"
        verbose_name_plural = "资金导入批次"
        indexes = [models.Index(fields=["region_code", "created_at"], name="funds_import_region")]

    def __str__(self) -> str:
        return f"{self.file_name} {self.get_status_display()}"
