"""The few SQL spellings where DuckDB and Spark SQL differ.

Every rule is written once, as SQL text that calls these helpers where the two dialects disagree; all
the rest (joins, CASE, window functions, aggregates, DATE literals, `||`) is common to both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import date
from decimal import Decimal


def lit(value: object) -> str:
    """A SQL literal that both dialects read the same way."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        # Decimal literals keep money arithmetic exact in both engines.
        text = format(Decimal(str(value)).normalize(), "f")
        return f"CAST({text} AS DECIMAL(18,4))" if "." in text else text
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    text = str(value)
    if "\\" in text:
        raise ValueError("SQL text literals may not contain a backslash (Spark reads it as an escape)")
    return "'" + text.replace("'", "''") + "'"


def in_list(expr: str, values: Iterable[object]) -> str:
    items = list(values)
    if not items:
        return "FALSE"
    return f"{expr} IN ({', '.join(lit(v) for v in items)})"


class Dialect(ABC):
    """The few SQL spellings where DuckDB and Spark SQL differ; everything else is shared text."""

    name = "base"

    @abstractmethod
    def quote(self, ident: str) -> str: ...

    @abstractmethod
    def full_match(self, expr: str, pattern: str) -> str: ...

    @abstractmethod
    def sorted_list(self, expr: str, *, distinct: bool = False, empty: bool = True) -> str:
        """Aggregate: the non-null values of a group as a sorted list (`empty`: a string list, [] for none)."""
        ...

    def materialized(self) -> str:
        """`WITH x AS {materialized}(…)`: a CTE computed once and kept, where the engine says so (DuckDB
        would otherwise inline it and may join it in a costly order)."""
        return ""

    def broadcast(self, *aliases: str) -> str:
        """`SELECT {broadcast} …`: the tables `aliases` are small, copy them to every task of the join
        (Spark's hint; DuckDB picks its join's build side itself)."""
        return ""

    @abstractmethod
    def list_of(self, *exprs: str) -> str: ...

    @abstractmethod
    def empty_list(self) -> str: ...

    @abstractmethod
    def concat_lists(self, a: str, b: str) -> str: ...

    @abstractmethod
    def join(self, list_expr: str, sep: str) -> str: ...

    @abstractmethod
    def struct(self, fields: list[tuple[str, str]]) -> str: ...

    @abstractmethod
    def join_field(self, list_expr: str, field: str, sep: str) -> str:
        """The `field` of each struct in a list, joined by `sep`."""
        ...

    @abstractmethod
    def hash64(self, *exprs: str) -> str:
        """A 64-bit hash of the values (NULL hashes to a fixed value): equal values, equal hashes."""
        ...

    @abstractmethod
    def intdiv(self, a: str, b: str) -> str: ...

    @abstractmethod
    def days_between(self, start: str, end: str) -> str: ...

    @abstractmethod
    def thousands(self, bigint_expr: str) -> str: ...

    # Shared compositions -------------------------------------------------------------------------

    def money_text(self, expr: str) -> str:
        """23400.5 → '23,400.50', 20000 → '20,000': 元 as people write them."""
        x = f"CAST({expr} AS DECIMAL(18,2))"
        whole = f"CAST(floor(abs({x})) AS BIGINT)"
        cents = f"CAST((abs({x}) - floor(abs({x}))) * 100 AS INT)"
        return (
            f"(CASE WHEN {x} IS NULL THEN '未录入' ELSE "
            f"(CASE WHEN {x} < 0 THEN '-' ELSE '' END) || {self.thousands(whole)} || "
            f"(CASE WHEN {cents} > 0 THEN '.' || lpad(CAST({cents} AS STRING), 2, '0') ELSE '' END) END)"
        )

    def date_text(self, expr: str) -> str:
        """2026-03-05 → '2026年3月5日'."""
        return (
            f"(CAST(year({expr}) AS STRING) || '年' || CAST(month({expr}) AS STRING) || '月' || "
            f"CAST(day({expr}) AS STRING) || '日')"
        )

    def age(self, birth: str, on: str) -> str:
        """Age in completed years on a day."""
        return (
            f"(year({on}) - year({birth}) - CASE WHEN month({on}) * 100 + day({on}) < "
            f"month({birth}) * 100 + day({birth}) THEN 1 ELSE 0 END)"
        )


class DuckDBDialect(Dialect):
    name = "duckdb"

    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {lit(pattern)})"

    def sorted_list(self, expr: str, *, distinct: bool = False, empty: bool = True) -> str:
        d = "DISTINCT " if distinct else ""
        agg = f"list({d}{expr} ORDER BY {expr}) FILTER (WHERE {expr} IS NOT NULL)"
        return f"coalesce({agg}, {self.empty_list()})" if empty else agg

    def materialized(self) -> str:
        return "MATERIALIZED "

    def list_of(self, *exprs: str) -> str:
        return "[" + ", ".join(exprs) + "]"

    def empty_list(self) -> str:
        return "CAST([] AS VARCHAR[])"

    def concat_lists(self, a: str, b: str) -> str:
        return f"list_concat({a}, {b})"

    def join(self, list_expr: str, sep: str) -> str:
        return f"array_to_string({list_expr}, {lit(sep)})"

    def struct(self, fields: list[tuple[str, str]]) -> str:
        return "struct_pack(" + ", ".join(f"{name} := {expr}" for name, expr in fields) + ")"

    def join_field(self, list_expr: str, field: str, sep: str) -> str:
        return f"array_to_string(list_transform({list_expr}, lambda x: x.{field}), {lit(sep)})"

    def hash64(self, *exprs: str) -> str:
        return f"hash({', '.join(exprs)})"

    def intdiv(self, a: str, b: str) -> str:
        return f"(({a}) // ({b}))"

    def days_between(self, start: str, end: str) -> str:
        return f"date_diff('day', {start}, {end})"

    def thousands(self, bigint_expr: str) -> str:
        return f"format('{{:,}}', {bigint_expr})"


class SparkDialect(Dialect):
    name = "spark"

    def broadcast(self, *aliases: str) -> str:
        return f"/*+ BROADCAST({', '.join(aliases)}) */"

    def quote(self, ident: str) -> str:
        return "`" + ident.replace("`", "``") + "`"

    def full_match(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {lit('^' + pattern + '$')})"

    def sorted_list(self, expr: str, *, distinct: bool = False, empty: bool = True) -> str:
        collect = "collect_set" if distinct else "collect_list"
        return f"array_sort({collect}({expr}))"

    def list_of(self, *exprs: str) -> str:
        return "array(" + ", ".join(exprs) + ")"

    def empty_list(self) -> str:
        return "CAST(array() AS ARRAY<STRING>)"

    def concat_lists(self, a: str, b: str) -> str:
        return f"concat({a}, {b})"

    def join(self, list_expr: str, sep: str) -> str:
        return f"array_join({list_expr}, {lit(sep)})"

    def struct(self, fields: list[tuple[str, str]]) -> str:
        return "named_struct(" + ", ".join(f"{lit(name)}, {expr}" for name, expr in fields) + ")"

    def join_field(self, list_expr: str, field: str, sep: str) -> str:
        return f"array_join(transform({list_expr}, x -> x.{field}), {lit(sep)})"

    def hash64(self, *exprs: str) -> str:
        return f"xxhash64({', '.join(exprs)})"

    def intdiv(self, a: str, b: str) -> str:
        return f"(({a}) DIV ({b}))"

    def days_between(self, start: str, end: str) -> str:
        return f"datediff({end}, {start})"

    def thousands(self, bigint_expr: str) -> str:
        return f"format_number({bigint_expr}, 0)"


DIALECTS: dict[str, Dialect] = {"duckdb": DuckDBDialect(), "spark": SparkDialect()}
