"""Made-up but well-formed resident ID numbers (GB 11643), built column-wise.

A number is region (6) + birth date (8) + order (3, odd for men) + check digit. The region part is
the person's county code as it stood in the birth year: Jiujiang's present codes date from 1983 (and
later for 柴桑区, 瑞昌市, 共青城市, 庐山市), and stdnum's division list, like the national one, only
knows a code for the years it existed; older people carry the code of the county's predecessor.

The check-digit arithmetic here is the generator's own numpy version, independent of
`dixian.domain.idnumber` on purpose: it is the oracle the domain's tests hold the platform's rule to.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

# county code → ((first birth year, code valid from that year on), ...), newest first.
History = tuple[tuple[int, str], ...]
PREFIX_HISTORY: dict[str, History] = {
    "360402": ((1983, "360402"), (0, "360400")),  # 庐山区 → 濂溪区 (2016); before 1983 九江市
    "360403": ((1983, "360403"), (0, "360400")),
    "360404": ((2017, "360404"), (1983, "360421"), (0, "362621")),  # 九江县 → 柴桑区
    "360423": ((1983, "360423"), (0, "362623")),
    "360424": ((1983, "360424"), (0, "362624")),
    "360425": ((1983, "360425"), (0, "362625")),
    "360426": ((1983, "360426"), (0, "362626")),
    "360428": ((1983, "360428"), (0, "362628")),
    "360429": ((1983, "360429"), (0, "362629")),
    "360430": ((1983, "360430"), (0, "362630")),
    "360481": ((1989, "360481"), (1983, "360422"), (0, "362622")),  # 瑞昌县 → 瑞昌市
    "360482": ((2010, "360482"), (1983, "360425"), (0, "362625")),  # carved out of 永修县
    "360483": ((2016, "360483"), (1983, "360427"), (0, "362627")),  # 星子县 → 庐山市
}

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = np.array(list("10X98765432"))  # index = weighted sum mod 11
ORDER_SLOTS = 499  # orders 1..998: men 2k+1, women 2k+2, k < 499


def id_prefix(
    county6: np.ndarray, birth_year: np.ndarray, histories: Mapping[str, History] = PREFIX_HISTORY
) -> np.ndarray:
    """The 6-digit region part (as int) for each person's county and birth year."""
    out = np.zeros(len(county6), dtype=np.int64)
    for county, history in histories.items():
        in_county = county6 == int(county)
        for first_year, code in reversed(history):
            out[in_county & (birth_year >= first_year)] = int(code)
    if (out == 0).any():
        raise ValueError("a county without an ID prefix history")
    return out


def check_digits(prefix: np.ndarray, ymd: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The check character of each number from its parts (all int arrays)."""
    total = np.zeros(len(prefix), dtype=np.int64)
    for i in range(6):
        total += WEIGHTS[i] * (prefix // 10 ** (5 - i) % 10)
    for i in range(8):
        total += WEIGHTS[6 + i] * (ymd // 10 ** (7 - i) % 10)
    for i in range(3):
        total += WEIGHTS[14 + i] * (order // 10 ** (2 - i) % 10)
    return CHECK_CHARS[total % 11]


def prefix_history(code6: str) -> History:
    """九江's counties: their codes through time. A made-up county of another prefecture (province scale)
    carries its own code for every birth year: well-formed (GB 11643), but stdnum's division list may not
    know that code for an older birth year (docs/synthetic.md, "Province scale")."""
    return PREFIX_HISTORY.get(code6, ((0, code6),))


def id_numbers(
    *,
    county6: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    shuffle: np.ndarray,
    salt: int,
    histories: Mapping[str, History] = PREFIX_HISTORY,
) -> pl.Series:
    """Unique ID numbers for people given county code (int), birth date (datetime64[D]), sex and a
    random key that orders people who share region, birth date and sex."""
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = years * 10000 + months * 100 + days
    prefix = id_prefix(county6, years, histories)
    day_number = birth.astype(np.int64)
    frame = pl.DataFrame({"prefix": prefix, "day": day_number, "male": male, "key": shuffle})
    rank = (
        frame.select((pl.col("key").rank("ordinal").over(["prefix", "day", "male"]) - 1).cast(pl.Int64))
        .to_series()
        .to_numpy()
    )
    if len(rank) and rank.max() >= ORDER_SLOTS:
        raise ValueError("more than 499 people of one sex share a region and birth date")
    # A bijection of 0..498 per (region, day) so that orders look scattered rather than 001, 003, ...
    offset = (day_number * 31 + prefix * 7 + salt) % ORDER_SLOTS
    slot = (rank * 37 + offset) % ORDER_SLOTS
    order = 2 * slot + np.where(male, 1, 2)
    check = check_digits(prefix, ymd, order)
    parts = pl.DataFrame({"prefix": prefix, "ymd": ymd, "order": order, "check": check})
    return parts.select(
        pl.concat_str(
            pl.col("prefix").cast(pl.String),
            pl.col("ymd").cast(pl.String),
            pl.col("order").cast(pl.String).str.zfill(3),
            pl.col("check"),
        ).alias("id_number")
    ).to_series()
