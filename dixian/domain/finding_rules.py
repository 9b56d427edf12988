"""Findings (疑点): inconsistencies in a household's data that are saved anyway and listed to be checked.

A row of an import, or a form, is refused only when its data would be wrong or ambiguous in the database
(an identity, a region, an impossible date, a duplicate person, a value that cannot be read). What a
clerk would still record as it stands — 务工时间 without 务工所在地, a student or a person of 60 marked as
a labourer, 低保 and 特困 together — is a finding instead: saved, and shown on the import report and the
household page until someone fixes it. docs/domain.md §14 lists every rule, error or finding, and why.

The rules run column-wise on polars frames (an import checks 200,000 persons at once; a form checks one
household with the same code). Each returns the rows that break it as
(household_no, id_number, code, field, year, message); the message is plain Chinese made of labels and
amounts, never an ID number or a phone, so that it can be shown to anyone who may see the household.

A rule runs only when the frame carries every column it reads (`needs`): a book without 务工所在地 says
nothing about it, and the findings it could not check stay as they are (registry.findings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from .dictionaries import DISABLED, DROPOUT, LABOUR_ORDINARY, LABOUR_SKILLED, ORDINARY

# Persons from this age on are not counted as labour by the data checks (docs/domain.md §10).
ELDERLY_AGE = 60
# Declared and computed income may differ by rounding to the yuan (docs/domain.md §2): up to 1 元, in fen.
INCOME_TOLERANCE_FEN = 100

FINDING_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_no": pl.String,
    "id_number": pl.String,
    "code": pl.String,
    "field": pl.String,
    "year": pl.Int64,
    "message": pl.String,
}


@dataclass(frozen=True)
class FindingRule:
    code: str  # stable English code, stored on the Finding
    label: str  # short Chinese name (report counts, household panel)
    level: str  # "person", "household" or "income": which rows a recompute covers
    field: str  # the model field the finding points at
    needs: tuple[str, ...]  # the columns the rule reads
    condition: Callable[[dt.date], pl.Expr]
    message: Callable[[], pl.Expr]


def _student() -> pl.Expr:
    # A student is anyone with a student status other than 失学或辍学 (grade-level statuses included).
    status = pl.col("student_status").fill_null("")
    return (status != "") & (status != DROPOUT)


def _labourer() -> pl.Expr:
    return pl.col("labour_skill").is_in([LABOUR_ORDINARY, LABOUR_SKILLED])


def _skill_label() -> pl.Expr:
    return (
        pl.when(pl.col("labour_skill") == LABOUR_SKILLED)
        .then(pl.lit("技能劳动力"))
        .otherwise(pl.lit("普通劳动力"))
    )


def _filled(name: str) -> pl.Expr:
    col = pl.col(name)
    return col.is_not_null() & (col.cast(pl.String) != "")


def _empty(name: str) -> pl.Expr:
    return ~_filled(name)


def _sixty_cutoff(today: dt.date) -> dt.date:
    """The latest birth date of a person aged ELDERLY_AGE or more on `today` (29 Feb → 28 Feb)."""
    year = today.year - ELDERLY_AGE
    try:
        return today.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def _text(message: str) -> Callable[[], pl.Expr]:
    return lambda: pl.lit(message)


PERSON_RULES: tuple[FindingRule, ...] = (
    FindingRule(
        "work_place_missing",
        "务工时间无务工所在地",
        "person",
        "work_place",
        ("months_worked", "work_place"),
        lambda today: (pl.col("months_worked").fill_null(0) > 0) & _empty("work_place"),
        _text("填写了务工时间,未填写务工所在地,请补充务工所在地"),
    ),
    FindingRule(
        "student_labourer",
        "在校生标为劳动力",
        "person",
        "labour_skill",
        ("student_status", "labour_skill"),
        lambda today: _student() & _labourer(),
        lambda: pl.format("在校生的劳动技能为{},请核实在校情况或劳动技能", _skill_label()),
    ),
    FindingRule(
        "elderly_labourer",
        "60岁以上标为劳动力",
        "person",
        "labour_skill",
        ("birth_date", "labour_skill"),
        lambda today: (pl.col("birth_date") <= _sixty_cutoff(today)) & _labourer(),
        lambda: pl.format("年满{}周岁,劳动技能为{},请核实劳动技能", pl.lit(ELDERLY_AGE), _skill_label()),
    ),
    FindingRule(
        "dibao_and_tekun",
        "低保与特困同时享受",
        "person",
        "tekun",
        ("dibao", "tekun"),
        lambda today: pl.col("dibao").fill_null(False) & pl.col("tekun").fill_null(False),
        _text("同时登记为享受低保和特困供养,请核实只保留其中一项"),
    ),
    FindingRule(
        "disability_grade_missing",
        "有残疾类别无等级",
        "person",
        "disability_grade",
        ("disability_category", "disability_grade"),
        lambda today: _filled("disability_category") & _empty("disability_grade"),
        _text("填写了残疾类别,未填写残疾等级,请补充残疾等级"),
    ),
    FindingRule(
        "disability_category_missing",
        "有残疾等级无类别",
        "person",
        "disability_category",
        ("disability_category", "disability_grade"),
        lambda today: _filled("disability_grade") & _empty("disability_category"),
        _text("填写了残疾等级,未填写残疾类别,请补充残疾类别"),
    ),
    FindingRule(
        "disabled_without_category",
        "健康状况为残疾无残疾类别",
        "person",
        "disability_category",
        ("health_status", "disability_category"),
        lambda today: (pl.col("health_status") == DISABLED) & _empty("disability_category"),
        _text("健康状况为残疾,未填写残疾类别和等级,请补充"),
    ),
)

HOUSEHOLD_RULES: tuple[FindingRule, ...] = (
    FindingRule(
        "ordinary_with_exit_year",
        "一般农户有脱贫年度",
        "household",
        "year_out_of_poverty",
        ("kind", "year_out_of_poverty"),
        lambda today: (pl.col("kind") == ORDINARY) & (pl.col("year_out_of_poverty").fill_null(0) > 0),
        lambda: pl.format(
            "户类型为一般农户,却填写了脱贫年度 {} 年;请核实户类型或清空脱贫年度", "year_out_of_poverty"
        ),
    ),
)

# Income components of docs/domain.md §2 and their Chinese names (the sub-item rule names them).
INCOME_COMPONENT_LABELS: dict[str, str] = {
    "wages": "工资性收入",
    "business": "生产经营性收入",
    "property": "财产性收入",
    "transfers": "转移性收入",
    "production_costs": "生产经营性支出",
}


def _yuan(expr: pl.Expr) -> pl.Expr:
    """Fen as the yuan text users read: 1234.5 → "1234.50"."""
    whole = expr.abs() // 100
    cents = (expr.abs() % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, whole.cast(pl.String), pl.lit("."), cents)


def _computed_net() -> pl.Expr:
    return (
        pl.col("wages").fill_null(0)
        + pl.col("business").fill_null(0)
        + pl.col("property").fill_null(0)
        + pl.col("transfers").fill_null(0)
        - pl.col("production_costs").fill_null(0)
    )


def _income_finding(bad: pl.DataFrame, code: str, field: str, message: pl.Expr) -> pl.DataFrame:
    """Rows of `bad` as household-level income findings of `code` on `field`."""
    return bad.select(
        "household_no",
        pl.lit(None, pl.String).alias("id_number"),
        pl.lit(code).alias("code"),
        pl.lit(field).alias("field"),
        "year",
        message.alias("message"),
    )


def income_findings(incomes: pl.DataFrame) -> pl.DataFrame:
    """The income findings of the rows of `incomes` (one per household and year), amounts in fen:

    household_no, year, members, `has_components` (the row gave at least one component), the components
    (null when not given), `declared_net` and `declared_per_capita` (null when not given), and
    `sub_<component>` (the sum of that component's sub-items, null when none was given).
    """
    frames = []
    for name, label in INCOME_COMPONENT_LABELS.items():
        sub = f"sub_{name}"
        if sub not in incomes.columns or name not in incomes.columns:
            continue
        bad = incomes.filter(
            pl.col(name).is_not_null()
            & pl.col(sub).is_not_null()
            & ((pl.col(name) - pl.col(sub)).abs() > INCOME_TOLERANCE_FEN)
        )
        frames.append(
            _income_finding(
                bad,
                "income_subitems_mismatch",
                name,
                pl.format(
                    "{}年{} {} 元与其明细合计 {} 元不一致,已按{}导入,请核实",
                    "year",
                    pl.lit(label),
                    _yuan(pl.col(name)),
                    _yuan(pl.col(sub)),
                    pl.lit(label),
                ),
            )
        )
    with_parts = incomes.filter(pl.col("has_components")).with_columns(_computed_net().alias("_net"))
    if "declared_net" in incomes.columns:
        bad = with_parts.filter(
            pl.col("declared_net").is_not_null()
            & ((pl.col("_net") - pl.col("declared_net")).abs() > INCOME_TOLERANCE_FEN)
        )
        frames.append(
            _income_finding(
                bad,
                "income_net_mismatch",
                "net_income",
                pl.format(
                    "{}年家庭年纯收入填写为 {} 元,按各项收入计算为 {} 元,已按各项收入导入,请核实",
                    "year",
                    _yuan(pl.col("declared_net")),
                    _yuan(pl.col("_net")),
                ),
            )
        )
    if "declared_per_capita" in incomes.columns:
        # The net the per-capita figure is checked against: the components' when given, else the declared net.
        base = incomes.with_columns(
            pl.when(pl.col("has_components"))
            .then(_computed_net())
            .otherwise(
                pl.col("declared_net") if "declared_net" in incomes.columns else pl.lit(None, pl.Int64)
            )
            .alias("_net")
        )
        bad = base.filter(
            pl.col("declared_per_capita").is_not_null()
            & pl.col("_net").is_not_null()
            & (pl.col("members") > 0)
            & (
                (pl.col("declared_per_capita") * pl.col("members") - pl.col("_net")).abs()
                > INCOME_TOLERANCE_FEN * pl.col("members")
            )
        )
        frames.append(
            _income_finding(
                bad,
                "income_per_capita_mismatch",
                "net_income_per_capita",
                pl.format(
                    "{}年人均纯收入填写为 {} 元,与家庭年纯收入 {} 元除以 {} 人不一致,已按家庭年纯收入导入,请核实",
                    "year",
                    _yuan(pl.col("declared_per_capita")),
                    _yuan(pl.col("_net")),
                    "members",
                ),
            )
        )
    return _stack(frames)


INCOME_RULES: tuple[tuple[str, str, str], ...] = (
    ("income_subitems_mismatch", "收入明细与分项不一致", "income"),
    ("income_net_mismatch", "家庭年纯收入与分项不一致", "income"),
    ("income_per_capita_mismatch", "人均纯收入与家庭年纯收入不一致", "income"),
)

LABELS: dict[str, str] = {
    **{r.code: r.label for r in (*PERSON_RULES, *HOUSEHOLD_RULES)},
    **{code: label for code, label, _ in INCOME_RULES},
}
LEVELS: dict[str, str] = {
    **{r.code: r.level for r in (*PERSON_RULES, *HOUSEHOLD_RULES)},
    **{code: level for code, _, level in INCOME_RULES},
}


# Findings that tell a person's health or disability: hidden, like the member table's health column, from
# an account without the right to see personal information in full (docs/security.md §1).
HEALTH_CODES = frozenset(
    {"disability_grade_missing", "disability_category_missing", "disabled_without_category"}
)


def _stack(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=FINDING_COLUMNS)
    return pl.concat([f.cast(FINDING_COLUMNS) for f in frames], how="vertical")  # type: ignore[arg-type]  # str keys are valid


def applicable(rules: Sequence[FindingRule], columns: Sequence[str]) -> list[FindingRule]:
    """The rules whose every input column the frame carries."""
    have = set(columns)
    return [r for r in rules if set(r.needs) <= have]


def row_findings(frame: pl.DataFrame, rules: Sequence[FindingRule], today: dt.date) -> pl.DataFrame:
    """The findings of `rules` on every row of `frame` (persons: household_no and id_number; households:
    household_no). The rules must be `applicable` to the frame."""
    frames = []
    has_person = "id_number" in frame.columns
    for rule in rules:
        bad = frame.filter(rule.condition(today).fill_null(False))
        if bad.height == 0:
            continue
        frames.append(
            bad.select(
                "household_no",
                (pl.col("id_number") if has_person else pl.lit(None, pl.String)).alias("id_number"),
                pl.lit(rule.code).alias("code"),
                pl.lit(rule.field).alias("field"),
                pl.lit(None, pl.Int64).alias("year"),
                rule.message().alias("message"),
            )
        )
    return _stack(frames)
