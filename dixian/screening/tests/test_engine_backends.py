"""The engine's building blocks that the rule tests reach only at scale: the record-key deduplication
(exact even when hashes collide), the split of the linked rows per feed (exact whatever the batches) and
each household's latest incomes (one pass over few years, two over many: the same figures)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.screening.engine.backends import DuckDBBackend
from dixian.screening.engine.core import ONE_PASS_INCOME_YEARS, _incomes_sql, _later_copies_sql
from dixian.screening.engine.dialect import DuckDBDialect

_KEY = st.one_of(st.none(), st.sampled_from(["a", "b", "ab", ""]))


class _CollidingDialect(DuckDBDialect):
    """Every key hashes alike: every row goes through the exact comparison."""

    def hash64(self, *exprs: str) -> str:
        return "CAST(7 AS UBIGINT)"


def _later_copies(rows: list[tuple[str | None, str | None]], dialect: DuckDBDialect) -> set[int]:
    con = duckdb.connect()
    table = pa.table(
        {
            "_row": pa.array(range(len(rows)), pa.int64()),
            "k1": pa.array([r[0] for r in rows], pa.string()),
            "k2": pa.array([r[1] for r in rows], pa.string()),
        }
    )
    con.register("src", table)
    return {r[0] for r in con.sql(_later_copies_sql(dialect, "src", ["k1", "k2"])).fetchall()}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_KEY, _KEY), max_size=30))
def test_later_copies_are_every_row_but_the_first_of_each_record_key(rows) -> None:
    first: dict[tuple[str | None, str | None], int] = {}
    for i, key in enumerate(rows):
        first.setdefault(key, i)
    expected = set(range(len(rows))) - set(first.values())
    assert _later_copies(rows, DuckDBDialect()) == expected
    # Hashes that collide send more rows through the comparison by key, never drop a distinct record.
    assert _later_copies(rows, _CollidingDialect()) == expected


def _parts(backend: DuckDBBackend) -> dict[str, list[tuple]]:
    return {
        part: sorted(backend.con.sql(f"SELECT * FROM t_{part}").fetchall())  # noqa: S608 - fixed names
        for part in ("zero", "one", "two")
    }


def test_split_keeps_each_part_with_its_columns_whether_batches_are_mixed_or_not() -> None:
    parts = {"zero": (0, ["i"]), "one": (1, ["i", "label"]), "two": (2, ["i"])}
    mixed = DuckDBBackend()
    mixed.materialise_split(
        "t", "SELECT i % 3 AS f, i, 'n' || i AS label FROM range(10) r(i) ORDER BY i", "f", parts
    )
    expected = {
        "zero": [(0,), (3,), (6,), (9,)],
        "one": [(1, "n1"), (4, "n4"), (7, "n7")],
        "two": [(2,), (5,), (8,)],
    }
    assert _parts(mixed) == expected

    whole = DuckDBBackend()
    whole.materialise_split(
        "t",
        "SELECT 0 AS f, i, 'n' || i AS label FROM range(0, 10, 3) r(i) "
        "UNION ALL SELECT 1 AS f, i, 'n' || i FROM range(1, 10, 3) r(i) "
        "UNION ALL SELECT 2 AS f, i, 'n' || i FROM range(2, 10, 3) r(i) "
        "UNION ALL SELECT 3 AS f, 99, 'not asked for'",
        "f",
        parts,
    )
    assert _parts(whole) == expected
    whole.drop("t_zero", "t_one", "t_two")
    assert "t_zero" not in {r[0] for r in whole.con.sql("SELECT view_name FROM duckdb_views()").fetchall()}

    # Kept in a DuckDB temp table (spill_linked, docs/scale.md §4): the same parts; dropping every part's
    # view drops the table too.
    spilling = DuckDBBackend(spill_linked=True)
    spilling.materialise_split(
        "t", "SELECT i % 3 AS f, i, 'n' || i AS label FROM range(10) r(i) ORDER BY i", "f", parts
    )
    assert _parts(spilling) == expected

    def tables() -> set[str]:
        return {r[0] for r in spilling.con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}

    spilling.drop("t_zero", "t_one")
    assert "t" in tables()
    spilling.drop("t_two")
    assert "t" not in tables()


_INCOME = st.tuples(
    st.sampled_from(["H1", "H2", "H3"]),
    st.integers(2021, 2027),
    st.one_of(st.none(), st.integers(-5000, 90000).map(lambda v: Decimal(v) / 100)),
    st.one_of(st.none(), st.integers(-2000, 30000).map(lambda v: Decimal(v) / 100)),
)


def _incomes(rows: list[tuple], period_year: int, years: list[int] | None) -> set[tuple]:
    con = duckdb.connect()
    money = pa.decimal128(18, 2)
    con.register(
        "src_incomes",
        pa.table(
            {
                "household_no": pa.array([r[0] for r in rows], pa.string()),
                "year": pa.array([r[1] for r in rows], pa.int32()),
                "net_income": pa.array([r[2] for r in rows], money),
                "net_income_per_capita": pa.array([r[3] for r in rows], money),
            }
        ),
    )
    plain = set(con.sql(_incomes_sql(period_year, years)).fetchall())
    # The engine reads the incomes through a subquery (keyed by household): the same figures.
    nested = _incomes_sql(period_year, years, "(SELECT * FROM src_incomes)")
    assert set(con.sql(nested).fetchall()) == plain
    return plain


@settings(max_examples=80, deadline=None)
@given(st.lists(_INCOME, max_size=14), st.sampled_from([2024, 2026]))
def test_latest_incomes_are_the_same_in_one_pass_and_in_two(rows, period_year) -> None:
    """Per household: the latest year up to the period's, that year's largest income figures, and the
    largest per-capita figure of the year before (NULL when that year is missing)."""
    expected = set()
    for no in {r[0] for r in rows}:
        mine = [r for r in rows if r[0] == no and r[1] <= period_year]
        if not mine:
            continue
        year = max(r[1] for r in mine)

        def top(values: list) -> Decimal | None:
            values = [v for v in values if v is not None]
            return max(values) if values else None

        expected.add(
            (
                no,
                year,
                top([r[2] for r in mine if r[1] == year]),
                top([r[3] for r in mine if r[1] == year]),
                top([r[3] for r in mine if r[1] == year - 1]),
            )
        )
    years = sorted({r[1] for r in rows if r[1] <= period_year})
    assert _incomes(rows, period_year, None) == expected
    if len(years) <= ONE_PASS_INCOME_YEARS:
        assert _incomes(rows, period_year, years) == expected


class _ClashingHouseholdKeys(DuckDBDialect):
    """Every household number hashes alike (record keys keep the real hash)."""

    def hash64(self, *exprs: str) -> str:
        return "CAST(7 AS UBIGINT)" if exprs == ("household_no",) else super().hash64(*exprs)


def test_households_whose_keys_clash_are_screened_by_their_numbers_with_the_same_result() -> None:
    """Households are joined by a 64-bit hash of their number; were two of them to hash alike, the run
    keys them by the number itself and finds exactly what it finds otherwise."""
    from dixian.screening.engine import default_rules, screen

    from .data import every_rule_world

    registry, feeds, monitored, links = every_rule_world()
    kwargs: dict[str, Any] = {"monitored_risks": monitored, "links": links}
    hashed = screen(registry, feeds, default_rules(), "2026-10", **kwargs)
    clashing = DuckDBBackend()
    clashing.dialect = _ClashingHouseholdKeys()
    by_number = screen(registry, feeds, default_rules(), "2026-10", backend=clashing, **kwargs)

    assert hashed.alerts.num_rows > 10
    assert by_number.alerts.to_pylist() == hashed.alerts.to_pylist()
    assert by_number.case_evidence.to_pylist() == hashed.case_evidence.to_pylist()
    assert by_number.unmatched.to_pylist() == hashed.unmatched.to_pylist()


def test_linked_rows_in_a_spilling_temp_table_give_the_same_result() -> None:
    """DuckDBBackend(spill_linked=True), for inputs whose linked rows do not fit in memory (a province), finds
    exactly what the default finds (the linked rows as Arrow)."""
    from dixian.screening.engine import default_rules, screen

    from .data import every_rule_world

    registry, feeds, monitored, links = every_rule_world()
    kwargs: dict[str, Any] = {"monitored_risks": monitored, "links": links}
    default = screen(registry, feeds, default_rules(), "2026-10", **kwargs)
    spilling = screen(
        registry, feeds, default_rules(), "2026-10", backend=DuckDBBackend(spill_linked=True), **kwargs
    )
    assert default.alerts.num_rows > 10
    assert spilling.alerts.to_pylist() == default.alerts.to_pylist()
    assert spilling.case_evidence.to_pylist() == default.case_evidence.to_pylist()
    assert spilling.unmatched.to_pylist() == default.unmatched.to_pylist()


def test_the_engine_connection_draws_no_progress_bar() -> None:
    """DuckDB's progress bar is on by default: it would redraw into the worker's log on long statements, and
    polling every running query for its progress costs ~3 % of a city-scale run."""
    backend = DuckDBBackend()
    assert backend.con.sql("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
