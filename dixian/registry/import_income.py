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
    if isinstance(value, str) and value.strip().startswith(("-", "-")):
        amount = p.parse_amount(value.strip()[1:])
        return None if amount is None else -amount
    return p.parse_amount(value)


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def income_block(
    values: dict[str, list[Any]],
    columns: Sequence[str],
    heads: Sequence[int],
    members: dict[str, int],
    *,
    today: dt.date,
) -> IncomeBlock:
    """The income rows of the households whose head rows are `heads` (indexes into the parsed `values`)."""
    present = [name for name in ALL_INCOME if name in columns]
    warnings: list[str] = []
    if not present:
        warnings.append(
            "收入信息未导入:工作簿中没有收入列(如家庭年纯收入、人均纯收入、工资性收入、转移性收入),"
            "各户的年度收入没有变化;如需导入收入,请加上收入列后重新导入"
        )
        return IncomeBlock(_empty_bulk(), pl.DataFrame(), warnings)
    default_year = previous_year(today)
    parts = [
        n for n in INCOME_INPUT if n in columns or any(SUB_ITEMS[s] == n for s in SUB_ITEMS if s in columns)
    ]
    subs_by_part: dict[str, list[str]] = {}
    for sub, part in SUB_ITEMS.items():
        if sub in columns:
            subs_by_part.setdefault(part, []).append(sub)
    get = lambda name, i: values[name][i] if name in values else None  # noqa: E731
    bulk_rows: list[tuple[Any, ...]] = []
    check_rows: list[tuple[Any, ...]] = []
    defaulted = summed = declared_only = 0
    for i in heads:
        no = values["household_no"][i]
        given = {n: get(n, i) for n in parts}
        sub_sums: dict[str, Decimal | None] = {}
        for part, subs in subs_by_part.items():
            filled: list[Any] = [get(s, i) for s in subs if get(s, i) is not None]
            sub_sums[part] = sum(filled, Decimal(0)) if filled else None
        effective = dict(given)
        for part, total in sub_sums.items():
            if effective.get(part) is None and total is not None:
                effective[part] = total
                summed += 1
        net, per_capita = get(DECLARED_NET, i), get(DECLARED_PER_CAPITA, i)
        has_parts = any(effective.get(n) is not None for n in NET_PARTS)
        any_amount = (
            any(v is not None for v in effective.values()) or net is not None or per_capita is not None
        )
        year = get("year", i)
        if year is None and not any_amount:
            continue
        if year is None:
            year = default_year
            defaulted += 1
        if has_parts:
            declared = IncomeDeclared.COMPUTED
        elif net is not None:
            declared, declared_only = IncomeDeclared.NET, declared_only + 1
        elif per_capita is not None:
            declared, declared_only = IncomeDeclared.PER_CAPITA, declared_only + 1
        else:
            declared = IncomeDeclared.COMPUTED
        bulk_rows.append(
            (
                no,
                year,
                *[str(effective[n]) if effective[n] is not None else None for n in parts],
                str(declared),
                None if net is None else str(net),
                None if per_capita is None else str(per_capita),
            )
        )
        check_rows.append(
            (
                no,
                year,
                members.get(no, 0),
                has_parts,
                *[_fen(effective.get(n)) for n in NET_PARTS],
                *[_fen(sub_sums.get(n)) if given.get(n) is not None else None for n in NET_PARTS],
                _fen(net),
                _fen(per_capita),
            )
        )
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
    bulk = pl.DataFrame(
        bulk_rows,
        schema={
            "household_no": pl.String,
            "year": pl.Int64,
            **dict.fromkeys(parts, pl.String),
            "declared": pl.String,
            "declared_net": pl.String,
            "declared_per_capita": pl.String,
        },
        orient="row",
    )
    # Through text: polars turns it into decimals faster than it converts Decimal objects (parsed to 0.01).
    # An empty component of a household's income row is 0 (template.py), a missing total stays empty.
    bulk = bulk.with_columns(
        *[_decimal(pl.col(n).fill_null("0")) for n in parts],
        *[_decimal(pl.col(n)) for n in ("declared_net", "declared_per_capita")],
    )
    check = pl.DataFrame(
        check_rows,
        schema={
            "household_no": pl.String,
            "year": pl.Int64,
            "members": pl.Int64,
            "has_components": pl.Boolean,
            **dict.fromkeys(NET_PARTS, pl.Int64),
            **{f"sub_{n}": pl.Int64 for n in NET_PARTS},
            "declared_net": pl.Int64,
            "declared_per_capita": pl.Int64,
        },
        orient="row",
    )
    return IncomeBlock(bulk, check, warnings)


def _decimal(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_decimal(scale=2).cast(pl.Decimal(14, 2))


def _empty_bulk() -> pl.DataFrame:
    return pl.DataFrame(schema={"household_no": pl.String, "year": pl.Int64})
