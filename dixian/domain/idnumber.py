"""Resident ID numbers (居民身份证号码, GB 11643): the check digit, the 15 → 18 upgrade, birth date and sex.

One rule in three forms, each where its callers need it:
- per number (plain Python, the check digit from python-stdnum): the registry's cell parser, the
  services, the test helpers;
- Polars expressions over a column: feed ingest and the registry's column-wise fast path;
- SQL that DuckDB and Spark both run: the screening engine and the feed linkage.
The tests hold the three forms to each other and to the synthetic generator's own numpy version.

A number is region (6 digits) + birth date (8) + order (3, odd for men) + check character. The check
character is "10X98765432"[Σ digit × weight mod 11], the weights being 2^(17-i) mod 11. An old 15-digit
number lacks the century "19" and the check character; upgraded, it is the 18-digit number of the person.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from stdnum import numdb
from stdnum.cn import ric

from .dictionaries import FEMALE, MALE

if TYPE_CHECKING:
    # Polars is imported where an expression is built, not with this module: the engine imports the SQL
    # forms below into a process that has no other use for Polars (24 MB of RSS and its start-up).
    import polars as pl

ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # index: the weighted digit sum mod 11
ID18_PATTERN = "[0-9]{17}[0-9X]"
ID15_PATTERN = "[0-9]{15}"
EARLIEST_BIRTH_YEAR = 1880  # an older "birth date" is a typing error

# Per number ---------------------------------------------------------------------------------------------


def check_digit(body17: str) -> str:
    """The check character of the first 17 digits."""
    return ric.calc_check_digit(body17 + "0")  # stdnum reads a whole number and ignores its last character


def checksum_ok(number: str) -> bool:
    """18 characters, 17 ASCII digits and the check character that belongs to them."""
    body = number[:17]
    return len(number) == 18 and body.isascii() and body.isdigit() and number[17] == check_digit(body)


def upgrade15(number15: str) -> str:
    """The 18-digit number of an old 15-digit one (born 19xx, as every 15-digit number's holder was)."""
    body = number15[:6] + "19" + number15[6:]
    return body + check_digit(body)


def birth_date(number: str) -> dt.date:
    """The birth date in digits 7-14 of an 18-digit number; ValueError when no such day exists."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(number: str) -> str:
    """MALE when the 17th digit (the order's last) is odd, else FEMALE."""
    return MALE if int(number[16]) % 2 else FEMALE


def plausible_birth(birth: dt.date, today: dt.date) -> bool:
    return birth.year >= EARLIEST_BIRTH_YEAR and birth <= today


@lru_cache(maxsize=4096)
def region_known(prefix6: str) -> bool:
    """True when stdnum's division list knows the 6-digit code, in any period.

    stdnum's own `get_birth_place` also requires the code to have existed in the birth year, which
    rejects everyone born before their county got its present code (most adults in Jiujiang: the
    codes date from 1983); numbers are issued with the code in force at issue, so any period counts.
    """
    info = {k: v for _, props in numdb.get("cn/loc").info(prefix6) for k, v in props.items()}
    return "province" in info and ("county" in info or prefix6[2:] == "0000")


def clean_id(raw: str) -> str:
    """Per number, as `clean_id_sql`: without spaces (also full-width), half-width digits, a capital X."""
    return raw.translate(_TO_HALF).upper().replace(" ", "").replace("\u3000", "")


def normalised_id(raw: str) -> str | None:
    """Per number, as `normalised_id_sql`: the cleaned 18-character number, or a 15-digit one upgraded."""
    c = clean_id(raw)
    if len(c) == 18 and c[:17].isascii() and c[:17].isdigit() and (c[17].isdigit() or c[17] == "X"):
        return c
    if len(c) == 15 and c.isascii() and c.isdigit():
        return upgrade15(c)
    return None


# Polars -------------------------------------------------------------------------------------------------


def weighted_sum_expr(c: pl.Expr) -> pl.Expr:
    """Σ digit × weight of the first 17 characters of a text column (null where one is not a digit)."""
    import polars as pl

    total = pl.lit(0, dtype=pl.Int64)
    for i, w in enumerate(ID_WEIGHTS):
        total = total + c.str.slice(i, 1).cast(pl.Int64, strict=False) * w
    return total


def body_weighted_sum_expr(body: pl.Expr) -> pl.Expr:
    """Σ digit × weight of the first 17 digits held as one Int64: integer arithmetic, no string slicing
    (the fast path of a million-row delivery)."""
    import polars as pl

    total = pl.lit(0, dtype=pl.Int64)
    for k, w in enumerate(ID_WEIGHTS):
        total = total + (body // 10 ** (16 - k)) % 10 * w
    return total


def check_char_expr(total: pl.Expr) -> pl.Expr:
    """The check character of a weighted digit sum."""
    import polars as pl

    return (total % 11).replace_strict(dict(enumerate(CHECK_CHARS)), return_dtype=pl.String, default=None)


def checksum_ok_expr(c: pl.Expr) -> pl.Expr:
    """For 18-character candidates: the check character matches (null where the body is not digits)."""
    return c.str.slice(17, 1) == check_char_expr(weighted_sum_expr(c))


def birth_date_expr(c: pl.Expr) -> pl.Expr:
    """Digits 7-14 as a date (null where no such day exists)."""
    return c.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def normalised_ids(raw: pl.Series) -> pl.Series:
    """Per value of a text series, as `normalised_id` (and the engine's `normalised_id_sql` of `clean_id_sql`):
    the cleaned 18-character number, a 15-digit one upgraded, null when nothing can be done.

    Nearly every value is a clean 18-character number, its own normalised form; only the others are cleaned
    and upgraded, each step once (an expression that spells the cleaning inside every digit's slice makes
    Polars clean each value 35 times: seconds at a million rows)."""
    import polars as pl

    frame = pl.DataFrame({"raw": raw}, schema={"raw": pl.String})
    ok = frame.get_column("raw").str.contains(f"^{ID18_PATTERN}$").fill_null(False)
    out = frame.select(pl.when(ok).then(pl.col("raw"))).to_series()
    others = frame.with_row_index("i").filter(~ok & pl.col("raw").is_not_null())
    if others.height == 0:
        return out
    cleaned = (
        pl.col("raw")
        .str.replace_many(list(_FULL_WIDTH), list(_HALF_WIDTH))
        .str.to_uppercase()
        .str.replace_all(" ", "", literal=True)
        .str.replace_all("\u3000", "", literal=True)
    )
    c = pl.col("c")
    fixed = (
        others.with_columns(c=cleaned)
        .with_columns(
            body=pl.when(c.str.contains(f"^{ID15_PATTERN}$")).then(
                c.str.slice(0, 6) + pl.lit("19") + c.str.slice(6, 9)
            )
        )
        .select(
            "i",
            pl.when(c.str.contains(f"^{ID18_PATTERN}$"))
            .then(c)
            .otherwise(pl.col("body") + check_char_expr(weighted_sum_expr(pl.col("body"))))
            .alias("n"),
        )
    )
    return out.scatter(fixed.get_column("i"), fixed.get_column("n"))


def male_expr(c: pl.Expr) -> pl.Expr:
    """True where the 17th digit is odd."""
    import polars as pl

    return c.str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1


# SQL (DuckDB and Spark) ---------------------------------------------------------------------------------

_FULL_WIDTH, _HALF_WIDTH = "０１２３４５６７８９ｘＸ", "0123456789XX"
_TO_HALF = str.maketrans(_FULL_WIDTH, _HALF_WIDTH)


class RegexDialect(Protocol):
    """What the SQL forms need of a dialect: a whole-string regular-expression match."""

    def full_match(self, expr: str, pattern: str) -> str: ...


class DuckDBRegex:
    """DuckDB's whole-string match, for callers outside the engine (the feed linkage)."""

    def full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, '{pattern}')"


def check_char_sql(digits: list[str]) -> str:
    """The check character of 17 digit expressions."""
    total = " + ".join(f"CAST({x} AS INT) * {w}" for x, w in zip(digits, ID_WEIGHTS, strict=True))
    return f"substr('{CHECK_CHARS}', (({total}) % 11) + 1, 1)"


def upgrade15_sql(x: str) -> str:
    """The 18-digit number of a 15-digit text expression."""
    digits = (
        [f"substr({x}, {i}, 1)" for i in range(1, 7)]
        + ["'1'", "'9'"]
        + [f"substr({x}, {i}, 1)" for i in range(7, 16)]
    )
    return f"(substr({x}, 1, 6) || '19' || substr({x}, 7, 9) || {check_char_sql(digits)})"


def checksum_ok_sql(x: str) -> str:
    """For an 18-character text expression: the check character matches."""
    return f"(substr({x}, 18, 1) = {check_char_sql([f'substr({x}, {i}, 1)' for i in range(1, 18)])})"


def clean_id_sql(raw: str) -> str:
    """Without spaces (also full-width), with half-width digits and a capital X."""
    return (
        f"replace(replace(upper(translate(trim({raw}), '{_FULL_WIDTH}', '{_HALF_WIDTH}')), ' ', ''), "
        f"'{chr(0x3000)}', '')"
    )


def normalised_id_sql(d: RegexDialect, cleaned: str) -> str:
    """The 18-digit number from a cleaned one: 15-digit numbers upgraded; NULL when nothing can be done."""
    return (
        f"CASE WHEN {d.full_match(cleaned, ID18_PATTERN)} THEN {cleaned} "
        f"WHEN {d.full_match(cleaned, ID15_PATTERN)} THEN {upgrade15_sql(cleaned)} END"
    )
