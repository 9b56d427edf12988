"""The income block of a registry workbook: whichever income columns the book carries (docs/domain.md §2).

A county book may carry the components (工资性收入 …), their sub-items (公益性岗位收入, 低保金 …), only
the totals (家庭年纯收入, 人均纯收入), or a mix, household by household. On the head's row of each household:

* 收入年度 defaults to the previous calendar year when the column or the cell is empty (the report says so);
* a component left empty whose sub-items are filled is their sum; when both are filled and disagree, the
  component is kept and a finding says so (finding_rules);
* with at least one component the net income is computed from the components (docs/domain.md §2); a
  declared 家庭年纯收入 or 人均纯收入 that disagrees is a finding;
* with no component, a declared 家庭年纯收入 is stored as the net income (`declared` = net), else a declared
  人均纯收入 (`declared` = per_capita: net = per capita × members), so that screening sees it;
* a household whose row has no income cell at all gets no income row (unless its 收入年度 is filled: then
  a row of zeros, as before).

A book with no income column at all imports no income, and the report says so (a warning, never silent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from . import parsing as p
from .bulk import INCOME_INPUT
from .income_columns import DECLARED_NET, DECLARED_PER_CAPITA, EXTRA_MONEY, SUB_ITEMS
from .models import IncomeDeclared

# The components whose sum is the net income (docs/domain.md §2); the other two are separate figures.
NET_PARTS = ("wages", "business", "property", "transfers", "production_costs")
ALL_INCOME = ("year", *INCOME_INPUT, *EXTRA_MONEY)


@dataclass
class IncomeBlock:
    bulk: pl.DataFrame  # for registry_bulk_upsert: household_no, year, components, declared, declared_*
    check: pl.DataFrame  # for finding_rules.income_findings, amounts in fen
    warnings: list[str] = field(default_factory=list)


def previous_year(today: dt.date) -> int:
    return today.year - 1


def parse_signed_amount(value: object) -> Decimal | None:
    """家庭年纯收入: an amount in 元 like the others (parsing.parse_amount), but it may be negative."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        amount = p.parse_amount(-value)
        return None if amount is None else -amount
    if isinstance(value, str) and value.strip().startswith(("-", "\uff0d", "\u2212")):
        amount = p.parse_amount(value.strip()[1:])
        return None if amount is None else -amount
    return p.parse_amount(value)


def income_block(
    values: dict[str, list[Any]],
    columns: Sequence[str],
    heads: Sequence[int],
    members: pl.DataFrame,
    *,
    today: dt.date,
) -> IncomeBlock:
    """The income rows of the households whose head rows are `heads` (indexes into the parsed `values`);
    `members`: household_no, members (the household's rows in the book).

    Column-wise (polars), like the rest of the import: a county book has some 60,000 households."""
    present = [name for name in ALL_INCOME if name in columns]
    warnings: list[str] = []
    if not present:
        warnings.append(
            "收入信息未导入:工作簿中没有收入列(如家庭年纯收入、人均纯收入、工资性收入、转移性收入),"
            "各户的年度收入没有变化;如需导入收入,请加上收入列后重新导入"
        )
        return IncomeBlock(_empty_bulk(), pl.DataFrame(), warnings)
    default_year = previous_year(today)
    money = [n for n in present if n != "year"]
    frame = pl.DataFrame(
        {
            "household_no": pl.Series([values["household_no"][i] for i in heads], dtype=pl.String),
            "year": pl.Series(
                [values["year"][i] for i in heads] if "year" in values else [None] * len(heads),
                dtype=pl.Int64,
            ),
            # Through text: polars turns it into decimals faster than it converts Decimal objects (the
            # parser has quantized them to 0.01).
            **{
                n: pl.Series(
                    [None if (x := values[n][i]) is None else str(x) for i in heads], dtype=pl.String
                )
                for n in money
            },
        }
    )
    frame = frame.with_columns(_decimal(pl.col(n)) for n in money)
    subs_by_part: dict[str, list[str]] = {}
    for sub, part in SUB_ITEMS.items():
        if sub in money:
            subs_by_part.setdefault(part, []).append(sub)
    parts = [n for n in INCOME_INPUT if n in money or n in subs_by_part]
    sums = {
        part: pl.when(pl.any_horizontal(pl.col(s).is_not_null() for s in subs))
        .then(pl.sum_horizontal(subs))
        .otherwise(None)
        for part, subs in subs_by_part.items()
    }
    frame = frame.with_columns(
        *[e.alias(f"sub_{part}") for part, e in sums.items()],
        *[pl.lit(None, pl.Decimal(38, 2)).alias(n) for n in parts if n not in money],
    )
    frame = frame.with_columns(
        # a component left empty is the sum of its sub-items (counted for the report)
        *[
            pl.coalesce(n, f"sub_{n}").alias(f"eff_{n}") if n in subs_by_part else pl.col(n).alias(f"eff_{n}")
            for n in parts
        ],
        *[
            (pl.col(n).is_null() & pl.col(f"sub_{n}").is_not_null()).alias(f"summed_{n}")
            for n in subs_by_part
        ],
    )
    net_parts = [n for n in NET_PARTS if n in parts]
    has_parts = (
        pl.any_horizontal(pl.col(f"eff_{n}").is_not_null() for n in net_parts) if net_parts else pl.lit(False)
    )
    net = pl.col(DECLARED_NET) if DECLARED_NET in money else pl.lit(None, pl.Decimal(38, 2))
    per_capita = (
        pl.col(DECLARED_PER_CAPITA) if DECLARED_PER_CAPITA in money else pl.lit(None, pl.Decimal(38, 2))
    )
    any_amount = pl.any_horizontal(
        has_parts,
        *[pl.col(f"eff_{n}").is_not_null() for n in parts],
        net.is_not_null(),
        per_capita.is_not_null(),
    )
    frame = frame.with_columns(
        has_parts.alias("has_components"),
        net.alias("declared_net"),
        per_capita.alias("declared_per_capita"),
        any_amount.alias("_any"),
    ).filter(pl.col("year").is_not_null() | pl.col("_any"))
    defaulted = frame.filter(pl.col("year").is_null()).height
    frame = frame.with_columns(
        pl.col("year").fill_null(default_year),
        pl.when(pl.col("has_components"))
        .then(pl.lit(IncomeDeclared.COMPUTED.value))
        .when(pl.col("declared_net").is_not_null())
        .then(pl.lit(IncomeDeclared.NET.value))
        .when(pl.col("declared_per_capita").is_not_null())
        .then(pl.lit(IncomeDeclared.PER_CAPITA.value))
        .otherwise(pl.lit(IncomeDeclared.COMPUTED.value))
        .alias("declared"),
    )
    declared_only = frame.filter(pl.col("declared") != IncomeDeclared.COMPUTED.value).height
    summed = sum(frame.get_column(f"summed_{n}").sum() for n in subs_by_part) if subs_by_part else 0
    if defaulted:
        warnings.append(
            f"{defaulted} 户未填写收入年度,收入已按上一年度({default_year}年)导入;如年度不对,请填写收入年度后重新导入"
        )
    if declared_only:
        warnings.append(
            f"{declared_only} 户只有家庭年纯收入或人均纯收入、没有分项收入,已按填写的总数作为该户纯收入导入"
        )
    if summed:
        warnings.append(f"有 {summed} 项分项收入未填写,已由其明细(公益性岗位收入、低保金等)合计得出")
    money_dtype = pl.Decimal(14, 2)
    bulk = frame.select(
        "household_no",
        "year",
        # An empty component of a household's income row is 0 (template.py); a missing total stays empty.
        *[pl.col(f"eff_{n}").fill_null(0).cast(money_dtype).alias(n) for n in parts],
        "declared",
        pl.col("declared_net").cast(money_dtype),
        pl.col("declared_per_capita").cast(money_dtype),
    )
    fen = lambda e: (e * 100).cast(pl.Int64)  # noqa: E731
    check = frame.join(members, on="household_no", how="left").select(
        "household_no",
        "year",
        pl.col("members").fill_null(0),
        "has_components",
        *[
            fen(pl.col(f"eff_{n}") if n in parts else pl.lit(None, pl.Decimal(38, 2))).alias(n)
            for n in NET_PARTS
        ],
        # a sub-item sum is compared only with a component that was given (else it is the component)
        *[
            (
                fen(pl.when(pl.col(n).is_not_null()).then(pl.col(f"sub_{n}")))
                if n in subs_by_part
                else pl.lit(None, pl.Int64)
            ).alias(f"sub_{n}")
            for n in NET_PARTS
        ],
        fen(pl.col("declared_net")).alias("declared_net"),
        fen(pl.col("declared_per_capita")).alias("declared_per_capita"),
    )
    return IncomeBlock(bulk, check, warnings)


def _decimal(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_decimal(scale=2).cast(pl.Decimal(38, 2))


def _empty_bulk() -> pl.DataFrame:
    return pl.DataFrame(schema={"household_no": pl.String, "year": pl.Int64})
