"""The household/person registry (农户信息库): docs/domain.md §14."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

from django.conf import settings
from django.db import models

from dixian.common.models import TimeStampedModel

from . import choices as c


class _MoneyField(TypedDict):
    max_digits: int
    decimal_places: int
    default: Decimal


MONEY: _MoneyField = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0")}

# Conditions of the household list's filters that have a partial index (registry.filters uses these same
# objects). SQLite uses a partial index only when the query repeats the index's condition term for term,
# and compares a bound parameter with the index's literal only in simple comparisons: hence `<> ''` and
# `<= 2` rather than IN lists, which it cannot match once the values are parameters.
MONITORED = ~models.Q(monitoring_category="")
GUARANTEE_GAP = (
    models.Q(education_ok=False)
    | models.Q(medical_ok=False)
    | models.Q(housing_ok=False)
    | models.Q(water_ok=False)
)
SEVERE_DISABILITY = models.Q(disability_grade__lte=2)  # grades 一级 and 二级 (1–4; empty when none)
MAJOR_ILLNESS = models.Q(health_status=c.HealthStatus.MAJOR_ILLNESS)


# A household's own fields (typed by people, not derived from members), in form/import order.
HOUSEHOLD_DETAIL_FIELDS = (
    "kind",
    "year_out_of_poverty",
    "monitoring_category",
    "phone",
    "address",
    "housing_grade",
    "water_ok",
)
# A person's descriptive fields (docs/domain.md §14), in the order forms, imports and exports use them.
PERSON_DETAIL_FIELDS = (
    "ethnicity",
    "education",
    "student_status",
    "health_status",
    "disability_category",
    "disability_grade",
    "labour_skill",
    "work_place",
    "months_worked",
    "medical_insurance",
    "pension_insurance",
    "dibao",
    "tekun",
    "phone",
)


class Household(TimeStampedModel):
    household_no = models.CharField("户编号", max_length=24, unique=True)
    region = models.ForeignKey("regions.Region", verbose_name="所在村(组)", on_delete=models.PROTECT)
    # Denormalised from region.code so that scoping is one indexed range condition (see common.access).
    # Not indexed alone: the (region_code, id) index below serves every range condition on it.
    region_code = models.CharField("区划代码", max_length=14)
    kind = models.CharField("户类型", max_length=10, choices=c.HouseholdKind.choices, db_index=True)
    year_out_of_poverty = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    monitoring_category = models.CharField(
        "监测对象类别", max_length=20, choices=c.MonitoringCategory.choices, blank=True, default=""
    )
    head_name = models.CharField("户主姓名", max_length=50, blank=True, db_index=True)
    member_count = models.PositiveSmallIntegerField("家庭人口数", default=0)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    housing_grade = models.CharField(
        "住房安全等级", max_length=1, choices=c.HousingGrade.choices, blank=True, default=""
    )
    water_ok = models.BooleanField("饮水安全", null=True, blank=True)
    # 三保障 flags, derived from members and housing by `household_refresh_derived` (services).
    education_ok = models.BooleanField("义务教育有保障", default=True)
    medical_ok = models.BooleanField("基本医疗有保障", default=True)
    housing_ok = models.BooleanField("住房安全有保障", default=True)
    # Denormalised member facts that the list filters on (kept by the same service).
    has_illness = models.BooleanField("有病患成员", default=False, db_index=True)
    has_disability = models.BooleanField("有残疾成员", default=False, db_index=True)

    class Meta:
        verbose_name = "农户"
        verbose_name_plural = "农户"
        indexes = [
            models.Index(fields=["region_code", "id"], name="household_region_id"),
            # The household list at city scale (registry.filters): a rare filter must not walk 800k rows.
            models.Index(fields=["region_code", "id"], condition=MONITORED, name="household_monitored"),
            models.Index(
                fields=["region_code", "id"], condition=GUARANTEE_GAP, name="household_guarantee_gap"
            ),
            models.Index(fields=["phone"], name="household_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.head_name}户({self.household_no})"


class Person(TimeStampedModel):
    # db_index=False: the (household, relation) index serves every lookup by household.
    household = models.ForeignKey(
        Household, verbose_name="所在户", on_delete=models.PROTECT, related_name="members", db_index=False
    )
    # Indexed in Meta, not with db_index: on PostgreSQL db_index adds a second, varchar_pattern_ops index
    # for LIKE, and no query matches a person's region_code with LIKE (scoping is a range, see
    # common.access.region_range_q); one index less to maintain (docs/benchmarks.md "Registry import").
    region_code = models.CharField("区划代码", max_length=14)
    id_number = models.CharField("证件号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=50, db_index=True)
    sex = models.CharField("性别", max_length=6, choices=c.Sex.choices)
    birth_date = models.DateField("出生日期")
    relation = models.CharField("与户主关系", max_length=20, choices=c.Relation.choices)
    ethnicity = models.CharField("民族", max_length=10, default="汉族")
    education = models.CharField(
        "文化程度", max_length=12, choices=c.Education.choices, blank=True, default=""
    )
    student_status = models.CharField(
        "在校生情况", max_length=24, choices=c.StudentStatus.choices, blank=True, default=""
    )
    health_status = models.CharField(
        "健康状况", max_length=16, choices=c.HealthStatus.choices, default=c.HealthStatus.HEALTHY
    )
    disability_category = models.CharField(
        "残疾类别", max_length=14, choices=c.DisabilityCategory.choices, blank=True, default=""
    )
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", choices=c.DisabilityGrade.choices, null=True, blank=True
    )
    labour_skill = models.CharField("劳动技能", max_length=10, choices=c.LabourSkill.choices)
    work_place = models.CharField(
        "务工所在地", max_length=16, choices=c.WorkPlace.choices, blank=True, default=""
    )
    months_worked = models.PositiveSmallIntegerField("务工时间(月)", null=True, blank=True)
    medical_insurance = models.CharField(
        "基本医疗保险", max_length=10, choices=c.MedicalInsurance.choices, blank=True, default=""
    )
    pension_insurance = models.CharField(
        "基本养老保险", max_length=10, choices=c.PensionInsurance.choices, blank=True, default=""
    )
    dibao = models.BooleanField("享受低保", default=False)
    tekun = models.BooleanField("特困供养", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "人口"
        verbose_name_plural = "人口"
        indexes = [
            models.Index(fields=["household", "relation"], name="person_household_relation"),
            models.Index(fields=["region_code"], name="person_region_code"),
            # Search by phone and the list's health/disability filters (registry.filters).
            models.Index(fields=["phone"], name="person_phone"),
            models.Index(fields=["household"], condition=SEVERE_DISABILITY, name="person_severe_disability"),
            models.Index(fields=["household"], condition=MAJOR_ILLNESS, name="person_major_illness"),
        ]

    def __str__(self) -> str:
        return self.name


class IncomeDeclared(models.TextChoices):
    """How a year's net income was obtained (docs/domain.md §2)."""

    COMPUTED = "", "由各项收入计算"
    NET = "net", "申报家庭年纯收入"
    PER_CAPITA = "per_capita", "申报人均纯收入"


class HouseholdIncome(models.Model):
    """Income components of one household for one year; per-capita net income per docs/domain.md §2."""

    # db_index=False: the unique (household, year) index serves every lookup by household (one index less
    # to maintain on import, docs/benchmarks.md "Registry import").
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.CASCADE, related_name="incomes", db_index=False
    )
    year = models.PositiveSmallIntegerField("年度")
    wages = models.DecimalField("工资性收入", **MONEY)
    business = models.DecimalField("生产经营性收入", **MONEY)
    property = models.DecimalField("财产性收入", **MONEY)
    transfers = models.DecimalField("转移性收入", **MONEY)
    production_costs = models.DecimalField("生产经营性支出", **MONEY)
    eligible_out_of_pocket = models.DecimalField("合规自付支出", **MONEY)
    insurance_payout = models.DecimalField("理赔收入", **MONEY)
    members = models.PositiveSmallIntegerField("计算人口数")
    # Where net income comes from (docs/domain.md §2): computed from the components, or declared as a
    # whole by a book that carries only 家庭年纯收入 or 人均纯收入; `recompute` keeps a declared figure.
    declared = models.CharField(
        "纯收入来源", max_length=12, choices=IncomeDeclared.choices, blank=True, default=""
    )
    net_income = models.DecimalField("家庭纯收入", **MONEY)
    net_income_per_capita = models.DecimalField("人均纯收入", **MONEY)

    class Meta:
        verbose_name = "年度收入"
        verbose_name_plural = "年度收入"
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="income_household_year")]
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年 人均{self.net_income_per_capita}元"

    @staticmethod
    def compute(
        *,
        wages: Decimal,
        business: Decimal,
        property: Decimal,
        transfers: Decimal,  # noqa: A002
        production_costs: Decimal,
        members: int,
    ) -> tuple[Decimal, Decimal]:
        """(net income, per-capita net income), rounded half-up to the fen."""
        net = wages + business + property + transfers - production_costs
        per_capita = (net / members) if members else Decimal("0")
        cent = Decimal("0.01")
        return net.quantize(cent, ROUND_HALF_UP), per_capita.quantize(cent, ROUND_HALF_UP)

    def recompute(self) -> None:
        """Net and per-capita income from the components, or from the declared figure (docs/domain.md §2)."""
        cent = Decimal("0.01")
        if self.declared == IncomeDeclared.NET:
            net = Decimal(self.net_income)
            per_capita = (net / self.members) if self.members else Decimal("0")
            self.net_income_per_capita = per_capita.quantize(cent, ROUND_HALF_UP)
            return
        if self.declared == IncomeDeclared.PER_CAPITA:
            self.net_income = (Decimal(self.net_income_per_capita) * self.members).quantize(
                cent, ROUND_HALF_UP
            )
            return
        self.net_income, self.net_income_per_capita = self.compute(
            wages=self.wages,
            business=self.business,
            property=self.property,
            transfers=self.transfers,
            production_costs=self.production_costs,
            members=self.members,
        )


class HelperAssignment(models.Model):
    """结对帮扶: a 帮扶干部 account paired with a household for a period."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.CASCADE, related_name="helpers"
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮扶责任人",
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    unit = models.CharField("帮扶单位", max_length=100, blank=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        indexes = [models.Index(fields=["helper", "household"], name="assignment_helper_household")]

    def __str__(self) -> str:
        return f"{self.helper} → {self.household}"


class ImportBatch(TimeStampedModel):
    """One registry workbook import: the file, who sent it, and what came of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "等待处理"
        RUNNING = "running", "导入中"
        IMPORTED = "imported", "已导入"
        REJECTED = "rejected", "有错误,未导入"
        FAILED = "failed", "无法读取"

    file_name = models.CharField("文件名", max_length=255)
    stored_file = models.CharField("存储路径", max_length=500, blank=True)
    checksum = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL
    )
    region = models.ForeignKey("regions.Region", verbose_name="导入范围", on_delete=models.PROTECT)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    error_count = models.PositiveIntegerField("错误数", default=0)
    households_created = models.PositiveIntegerField("新增户数", default=0)
    households_updated = models.PositiveIntegerField("更新户数", default=0)
    persons_created = models.PositiveIntegerField("新增人数", default=0)
    persons_updated = models.PositiveIntegerField("更新人数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    report_file = models.CharField("错误报告", max_length=500, blank=True)
    # The first errors ({row, column, reason}) for the result page; the report workbook holds them all.
    errors = models.JSONField("错误摘要", default=list, blank=True)
    # Findings (疑点) of an imported file: how many, {"counts": [[code, label, n]], "sample": [{row, column,
    # reason}]} for the result page, and the sheet listing every one of them (registry.findings).
    finding_count = models.PositiveIntegerField("疑点数", default=0)
    findings = models.JSONField("疑点摘要", default=dict, blank=True)
    findings_file = models.CharField("疑点清单", max_length=500, blank=True)
    # What was imported with a caveat the user must read (收入信息未导入, 收入年度按上一年度 ...).
    warnings = models.JSONField("提示", default=list, blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class IncomeLine(TimeStampedModel):
    """监测范围: the yearly per-capita income line (元/人/年) below which a household is watched (docs/domain.md §2).

    The line is data, not a constant: provinces set it yearly and a county may set its own. A row without a
    region applies to the whole platform (the city); a row for a region overrides it inside that subtree.
    `is_example` marks the demo figures, shown as 示例 until an administrator enters the official one.
    The line is edited as R12's parameter on the rules page, which makes a rule version for every change
    and writes this table (`screening.services_rules.income_lines_write`); R12 screens with its version's
    line, and household pages compare incomes with this table.
    """

    region = models.ForeignKey(
        "regions.Region",
        verbose_name="适用区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="留空表示全市统一标准;填写县或乡镇时,该区划内以此为准。",
    )
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("监测收入标准(元/人/年)", max_digits=10, decimal_places=2)
    is_example = models.BooleanField(
        "示例数据", default=False, help_text="演示用的示例标准;录入省里正式公布的标准时请取消勾选。"
    )

    class Meta:
        verbose_name = "收入监测线"
        verbose_name_plural = "收入监测线"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="income_line_region_year"),
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(region__isnull=True), name="income_line_default_year"
            ),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region else "全市"
        return f"{where}{self.year}年 {self.amount}元" + (" (示例)" if self.is_example else "")


class Finding(models.Model):
    """疑点: an inconsistency in a household's data that was saved anyway, to be checked and fixed later
    (docs/domain.md §14, the table of rules). Recomputed whenever the household's data is written (import,
    forms) in the same transaction; a finding that no longer holds is resolved, never deleted."""

    class Source(models.TextChoices):
        IMPORT = "import", "导入"
        WEB = "web", "页面"
        ADMIN = "admin", "后台"
        SYSTEM = "system", "系统"

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.CASCADE, related_name="findings", db_index=False
    )
    person = models.ForeignKey(
        Person,
        verbose_name="成员",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="findings",
    )
    code = models.CharField("疑点规则", max_length=40)
    field = models.CharField("字段", max_length=40, blank=True)
    year = models.PositiveSmallIntegerField("收入年度", null=True, blank=True)
    # Plain Chinese; never an ID number or a phone (registry.findings builds it from labels and amounts).
    message = models.CharField("说明", max_length=300)
    source = models.CharField("发现途径", max_length=10, choices=Source.choices, default=Source.WEB)
    batch = models.ForeignKey(
        ImportBatch, verbose_name="导入批次", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("发现时间")
    resolved_at = models.DateTimeField("消除时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="消除人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "疑点"
        verbose_name_plural = "疑点"
        indexes = [
            models.Index(fields=["household", "resolved_at"], name="finding_household_open"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
