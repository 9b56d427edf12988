"""Probabilistic linkage (概率匹配) of feed records whose ID number is unusable, with Splink on DuckDB.

`link_records(records, persons, upper=, lower=)` takes the feed records (feed, record_key, name,
id_number as sent, sex, birth_date, village, village_code) and the registry persons (id_number, name,
sex, birth_date, region_code) and returns, for the records that the exact ID join cannot place, the
registry persons they probably are. This module never imports Django: the screening service loads the
tables and stores the result.

Which records: those whose ID number, normalised as the screening engine does it (spaces, full-width
digits, x → X, 15 → 18 digits), is missing, was destroyed by a spreadsheet (3.60424E+17), is malformed,
fails its check digit, or is valid but belongs to nobody in the registry. Every other record links by
its ID number and is left alone.

First, one edit (docs/feeds.md §五, `_edit_links`): a record whose number is still 18 characters of digits
and X (or an old 15-digit number) is compared with the registry persons of the same normalised name whose
number is exactly one edit away: one character substituted (any of the 18, the check character included)
or two neighbours swapped. GB 11643's check character catches every wrong character and every swap within
the first 17 (11 is prime and the weights of neighbours differ; a swap of the 17th digit with the check
character passes one time in 11), so a failed check digit is mostly this case; a number that passes but
belongs to nobody is compared too. One such namesake: an automatic link (method id_edit, probability 1);
several: all wait for review (1/n each). Those records are not scored by Splink. Name-and-ID-only feeds
(残联, 教育, 卫健委) have nothing else to link by, and a namesake one keystroke away is far stronger evidence
than Splink could weigh from the name and the remaining digits.

The model (Fellegi–Sunter, scored by Splink). Nothing is trained: there is no labelled data at a
county, and EM on a few hundred damaged records is unstable from one delivery to the next. The m and u
probabilities below are set explicitly, so the same record always gets the same score whatever else
is in the batch or the registry:
- u (agreement by chance between two different persons) comes from the generated city registry
  (2.5 M persons, `dixian generate --scale city`): how often two random persons share a name, a birth
  date, a village and so on;
- m (agreement of a record with its own person) comes from the damage that docs/feeds.md §二 allows and the
  generator injects: names mistyped by a character or with the minority-name dot, birth dates off by
  days or given as the month only, villages named instead of coded, one digit of an ID number wrong.
Two deliberate departures from the textbook values, both found by scoring the generator's ground truth:
a name that is merely similar weighs against a link (twins and siblings share a birth date, a village
and a surname, so a one-character difference is as likely to be the brother as a typing slip: a
person decides), and the prior assumes a city-sized registry.

Candidates of one record exclude each other (a record is one person, or nobody in the registry), so
the reported probability is the share of the record's evidence that the candidate holds:
    p_i = 2^w_i / (1 + Σ_j 2^w_j)
over the record's candidates j, with w the Splink match weight (which includes the prior). A link is
automatic when p_i ≥ upper: at most one candidate can be above 0.5, and two equally good candidates
(twins, namesakes of one village) both wait for review instead of one being linked at random. A
candidate reaches the review queue when its own evidence (Splink's pairwise probability
2^w_i / (1 + 2^w_i)) is at least `lower`.

Blocking (which pairs are scored at all) keeps city scale within seconds of CPU: same birth date and
village; same birth date and surname for records that give no village; same name and birth month; same
name and village (code, or a name that only one village has); same surname and region + birth-date
digits of the ID number; same name and the birth date read from the ID number, or the ID's region digits
(a slip in the date digits then no longer hides the person). The registry is first cut down to the persons that share one of these keys
with some record, so Splink only ever sees a few candidates per record.
"""
# ruff: noqa: S608 - SQL text here is built from constants and code; the only values are tables registered
# with DuckDB, never interpolated.

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from dixian.domain import linkmethods
from dixian.domain.idnumber import DuckDBRegex, checksum_ok_sql, clean_id_sql, normalised_id_sql

LINK_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("record_key", pa.string()),
        ("id_number", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("status", pa.string()),
        # How the candidate was found (METHOD_*); for METHOD_ID_EDIT, which edit and where.
        ("method", pa.string()),
        ("edit_kind", pa.string()),
        ("edit_position", pa.int16()),
    ]
)
AUTO, PENDING = "auto", "pending"
# The ways a record without a usable ID number is linked here (the exact ID join is the engine's).
METHOD_ID_EDIT, METHOD_PROBABILISTIC = linkmethods.ID_EDIT, linkmethods.PROBABILISTIC
EDIT_SUBSTITUTION, EDIT_TRANSPOSITION = linkmethods.SUBSTITUTION, linkmethods.TRANSPOSITION

RECORD_COLUMNS = {
    "feed": pa.string(),
    "record_key": pa.string(),
    "name": pa.string(),
    "id_number": pa.string(),
    "sex": pa.string(),
    "birth_date": pa.date32(),
    "village": pa.string(),
    "village_code": pa.string(),
}
PERSON_COLUMNS = {
    "id_number": pa.string(),
    "name": pa.string(),
    "sex": pa.string(),
    "birth_date": pa.date32(),
    "region_code": pa.string(),
}

# A city-sized registry: the prior probability that a record is one given registry person.
REGISTRY_SIZE = 2_500_000
# Pairs scoring below this match weight (bits) are not fetched: each holds under 2 % of a record's mass.
MIN_WEIGHT = -6.0

# The middle dot of minority names in its many spellings, and spaces (also full-width and no-break).
_NAME_NOISE = "[·•・‧∙⋅●。.．\\s\u3000\u00a0]"
_VILLAGE_SUFFIX = "(村民委员会|村委会|居委会|社区|村)$"


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    m: float
    u: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "sql_condition": self.sql,
            "label_for_charts": self.label,
            "m_probability": self.m,
            "u_probability": self.u,
        }


def _null(sql: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": "缺失", "is_null_level": True}


def _else(m: float, u: float) -> Level:
    return Level("其他", "ELSE", m, u)


_ID_PARTS = "substr(coalesce({k}_l, {k}_r), 1, 6) || substr(coalesce({k}_l, {k}_r), 15, 3)"

# The comparisons. Columns exist in both inputs; the record-only and person-only ID columns are NULL on
# the other side, so every condition reads the same whichever input Splink puts on the left.
COMPARISONS: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "name",
        "姓名(去掉间隔点和空格)",
        [
            _null("name_n_l IS NULL OR name_n_r IS NULL"),
            # u: two random persons of the generated city share a name about 1 time in 38,000 (surnames
            # follow a Zipf law, given names come from pools by sex and birth cohort). A namesake that is
            # really in the registry competes for the record (see the module docstring), so the common
            # name is not linked to one of two namesakes at random.
            Level("相同", "name_n_l = name_n_r", 0.93, 2.6e-5).as_dict(),
            # A slip late in the name (张伟明/张伟民: Jaro–Winkler 0.82). u is the chance among persons of the
            # same village and birth date, not among random pairs: there it is siblings and twins.
            Level(
                "相近(Jaro-Winkler ≥ 0.8)", "jaro_winkler_similarity(name_n_l, name_n_r) >= 0.8", 0.03, 0.12
            ).as_dict(),
            # One character wrong anywhere, or one missing or added (王芳/汪芳, 李小明/李明).
            Level("差一个字", "damerau_levenshtein(name_n_l, name_n_r) <= 1", 0.03, 0.2).as_dict(),
            _else(0.01, 0.68).as_dict(),
        ],
    ),
    (
        "birth_date",
        "出生日期",
        [
            _null("birth_date_l IS NULL OR birth_date_r IS NULL"),
            # u (measured on the generated city, as the others marked so): 1 in 30,000 share a birth date,
            # 1 in 1,000 a birth month.
            Level("相同", "birth_date_l = birth_date_r", 0.92, 3.4e-5).as_dict(),
            Level(
                "相差3天以内", "abs(date_diff('day', birth_date_l, birth_date_r)) <= 3", 0.02, 2.4e-4
            ).as_dict(),
            Level(
                "同年同月",
                "date_trunc('month', birth_date_l) = date_trunc('month', birth_date_r)",
                0.03,
                1.0e-3,
            ).as_dict(),
            _else(0.03, 0.9987).as_dict(),
        ],
    ),
    (
        "sex",
        "性别",
        [
            _null("sex_l IS NULL OR sex_r IS NULL"),
            Level("相同", "sex_l = sex_r", 0.98, 0.5).as_dict(),
            _else(0.02, 0.5).as_dict(),
        ],
    ),
    (
        "village",
        "行政村(代码或名称)",
        [
            _null(
                "(village_code_l IS NULL OR village_code_r IS NULL) AND (village_n_l IS NULL OR village_n_r IS NULL)"
            ),
            # u (measured): the same village 5.6e-4, township 6.5e-3, county 0.11.
            Level(
                "同村",
                "village_code_l = village_code_r OR (village_n_l = village_n_r AND "
                "(county_l IS NULL OR county_r IS NULL OR county_l = county_r))",
                0.9,
                5.6e-4,
            ).as_dict(),
            Level(
                "同乡镇", "substr(village_code_l, 1, 9) = substr(village_code_r, 1, 9)", 0.04, 6.5e-3
            ).as_dict(),
            Level("同县", "county_l = county_r", 0.03, 0.11).as_dict(),
            _else(0.03, 0.88).as_dict(),
        ],
    ),
    (
        "id_digits",
        "证件号码中出生日期以外仍可用的数字(地区码、顺序码)",
        [
            _null("coalesce(id_known_l, id_known_r) IS NULL"),
            # The birth-date digits are compared as the birth date (the record's own, or read from the ID),
            # so here only the region (1-6) and order (15-17) digits count: counting the birth date twice
            # would make any typed-wrong number of the same county and birthday look like a near-certain
            # match. u (measured): the same region and order digits 5.7e-5; one of them off, about 130
            # times that; the first five digits (the prefecture and part of the county) about 1 in 13.
            Level(
                "地区码和顺序码相同",
                f"length(coalesce(id_known_l, id_known_r)) = 17 AND {_ID_PARTS.format(k='id_known')} = "
                f"{_ID_PARTS.format(k='id_full')}",
                0.45,
                5.7e-5,
            ).as_dict(),
            # One of those digits typed wrong, or two neighbours swapped.
            Level(
                "地区码和顺序码差一位",
                f"length(coalesce(id_known_l, id_known_r)) = 17 AND damerau_levenshtein("
                f"{_ID_PARTS.format(k='id_known')}, {_ID_PARTS.format(k='id_full')}) <= 1",
                0.27,
                7.5e-3,
            ).as_dict(),
            # A spreadsheet kept only the first digits (3.60424E+17): the region they name, at best.
            Level(
                "仅存的前几位相同",
                "length(coalesce(id_known_l, id_known_r)) < 17 AND "
                "starts_with(coalesce(id_full_l, id_full_r), coalesce(id_known_l, id_known_r))",
                0.25,
                0.075,
            ).as_dict(),
            _else(0.03, 0.9175).as_dict(),
        ],
    ),
]

# Blocking: a pair is scored when it agrees on one of these (column names of the prepared inputs).
BLOCKS: list[tuple[str, ...]] = [
    ("birth_date", "village_code"),
    # Records that name no village code: the same birth date and surname anywhere in the registry.
    ("birth_date", "surname_nv"),
    ("name_n", "birth_month"),
    ("name_n", "village_code"),
    ("name_n", "village_n"),
    # The region and birth-date digits of a damaged ID number, when the record's own birth date is wrong.
    ("id14", "surname"),
    # The name with the birth date read from the ID number (the record's own birth date may be missing or
    # differ), and the name with the ID's region digits: a slip in the date digits is then not fatal.
    ("name_n", "id_birth"),
    ("name_n", "id_region"),
]


def settings_dict() -> dict[str, Any]:
    """The Splink model: explicit m/u, no training."""
    from splink import block_on

    return {
        "link_type": "link_only",
        "unique_id_column_name": "uid",
        "probability_two_random_records_match": 1 / REGISTRY_SIZE,
        "comparisons": [
            {"output_column_name": name, "comparison_description": description, "comparison_levels": levels}
            for name, description, levels in COMPARISONS
        ],
        "blocking_rules_to_generate_predictions": [block_on(*cols) for cols in BLOCKS],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


# Inputs ---------------------------------------------------------------------------------------------


def _conform(table: pa.Table, columns: dict[str, pa.DataType]) -> pa.Table:
    """The columns the linkage reads; absent optional columns become NULL. Present ones are taken as they
    are (large or view strings, timestamps): DuckDB casts them where they are read, without a copy."""
    arrays = []
    for name, kind in columns.items():
        if name in table.column_names:
            arrays.append(table.column(name))
        else:
            arrays.append(pa.nulls(table.num_rows, kind))
    return pa.table(arrays, names=list(columns))


def _text(expr: str) -> str:
    return f"NULLIF(trim({expr}), '')"


def _name(expr: str) -> str:
    return f"NULLIF(regexp_replace({expr}, '{_NAME_NOISE}', '', 'g'), '')"


def _village(expr: str) -> str:
    return (
        f"NULLIF(regexp_replace(regexp_replace(trim({expr}), '\\s', '', 'g'), '{_VILLAGE_SUFFIX}', ''), '')"
    )


def _sex(expr: str) -> str:
    return (
        f"CASE lower(trim({expr})) WHEN '男' THEN '男' WHEN 'male' THEN '男' WHEN 'm' THEN '男' WHEN '1' THEN '男' "
        f"WHEN '女' THEN '女' WHEN 'female' THEN '女' WHEN 'f' THEN '女' WHEN '2' THEN '女' END"
    )


# The columns both inputs carry into Splink (persons: id_known NULL; records: id_full NULL).
_COLUMNS = (
    "uid, id_full, id_known, id14, name_n, surname, surname_nv, sex, birth_date, birth_month, "
    "village_code, county, village_n, id_birth, id_region"
)


def _prepare(con: duckdb.DuckDBPyConnection, villages: bool, timings: dict[str, float]) -> None:
    """`rec`: the records that need linking; `edits`: those a namesake one edit away places (`_edit_links`);
    `rest`: the others; `per`: the registry persons that share a blocking key with one of `rest`; all but
    `edits` with the columns of _COLUMNS.

    The registry is read with cheap expressions only (city scale: 2.5 M rows): once for the ID numbers the
    records may already match, once for the blocking keys. Names in the registry are stored with one kind
    of middle dot (the registry import makes every variant ·), so dropping · is enough there; records get
    the full clean-up.
    """
    d = DuckDBRegex()
    vil = f"SELECT code, {_village('name')} AS village_n FROM villages_in" if villages else None
    started = time.perf_counter()
    con.execute(f"""
CREATE TEMP TABLE rec AS
WITH firsts AS (
  SELECT * FROM records_in WHERE r_idx IN (SELECT min(r_idx) FROM records_in GROUP BY feed, record_key)
), ids AS (
  SELECT *, {clean_id_sql("CAST(id_number AS VARCHAR)")} AS c FROM firsts
), normal AS (
  SELECT *, {normalised_id_sql(d, "c")} AS norm FROM ids
), todo AS (
  SELECT * FROM normal k
  WHERE norm IS NULL OR NOT {checksum_ok_sql("norm")}
     OR NOT EXISTS (SELECT 1 FROM persons_in p WHERE p.id_number = k.norm)
), known AS (
  SELECT *,
    CASE
      WHEN norm IS NOT NULL THEN substr(norm, 1, 17)
      WHEN regexp_full_match(c, '[0-9]{{17}}') THEN c
      -- 3.60424E+17: the digits shown, less the last, which the spreadsheet may have rounded.
      WHEN regexp_full_match(c, '[0-9][.][0-9]+E[+]?17') THEN
        substr(regexp_replace(split_part(c, 'E', 1), '[.]', ''), 1,
               least(17, length(regexp_replace(split_part(c, 'E', 1), '[.]', '')) - 1))
    END AS known_digits,
    {_name("name")} AS name_n, {_text("village_code")} AS given_code, {_village("village")} AS village_n
  FROM todo
), placed AS (
  -- A village named but not coded: its code, when only one village of the registry has that name.
  SELECT k.*, coalesce(k.given_code, {"u.code" if villages else "NULL"}) AS vcode
  FROM known k
  {f"LEFT JOIN (SELECT village_n, min(code) AS code FROM ({vil}) v GROUP BY village_n HAVING count(*) = 1) u ON u.village_n = k.village_n" if villages else ""}
), dated AS (
  -- Without a birth date of its own, the record's birth date is the one its ID number still shows.
  SELECT *, coalesce(try_cast(birth_date AS DATE), CASE WHEN length(known_digits) >= 14 THEN
                     try_strptime(substr(known_digits, 7, 8), '%Y%m%d')::DATE END) AS birth
  FROM placed
)
SELECT r_idx AS uid, feed, record_key, CAST(NULL AS VARCHAR) AS id_full,
       CASE WHEN length(known_digits) >= 5 THEN known_digits END AS id_known,
       CASE WHEN length(known_digits) >= 14 THEN substr(known_digits, 1, 14) END AS id14,
       CASE WHEN length(known_digits) >= 14 THEN try_strptime(substr(known_digits, 7, 8), '%Y%m%d')::DATE END
         AS id_birth,
       CASE WHEN length(known_digits) >= 6 THEN substr(known_digits, 1, 6) END AS id_region,
       -- The number compared character by character with the registry's (see _edit_links): the normalised
       -- one, or 18 characters of digits and X as cleaned (a swap may have moved the X off the end).
       CASE WHEN norm IS NOT NULL THEN norm WHEN regexp_full_match(c, '[0-9X]{{18}}') THEN c END AS edit_id,
       (norm IS NOT NULL AND length(c) = 15) AS from15,
       name_n, substr(name_n, 1, 1) AS surname,
       CASE WHEN vcode IS NULL THEN substr(name_n, 1, 1) END AS surname_nv,
       {_sex("sex")} AS sex, birth AS birth_date, date_trunc('month', birth) AS birth_month,
       vcode AS village_code, NULLIF(substr(vcode, 1, 6), '') AS county, village_n
FROM dated""")
    timings["records"] = time.perf_counter() - started
    started = time.perf_counter()
    con.execute("""
CREATE TEMP TABLE per_keys AS
SELECT p_idx, try_cast(birth_date AS DATE) AS birth_date, date_trunc('month', try_cast(birth_date AS DATE)) AS birth_month,
       substr(region_code, 1, 12) AS village_code, substr(name, 1, 1) AS surname_nv,
       replace(name, '·', '') AS name_n, substr(id_number, 1, 14) AS id14, substr(name, 1, 1) AS surname,
       try_cast(birth_date AS DATE) AS id_birth, substr(id_number, 1, 6) AS id_region, id_number
FROM persons_in WHERE NULLIF(id_number, '') IS NOT NULL""")
    timings["registry"] = time.perf_counter() - started
    # The records that a namesake one edit away places are not scored again: the registry is cut down for
    # the rest only.
    started = time.perf_counter()
    _edit_links(con)
    con.execute("CREATE TEMP TABLE rest AS SELECT * FROM rec ANTI JOIN edits ON edits.uid = rec.uid")
    timings["id_edit"] = time.perf_counter() - started
    started = time.perf_counter()
    wanted: list[tuple[tuple[str, ...], str]] = []
    for cols in BLOCKS:
        if cols == ("name_n", "village_n"):
            if villages:  # a record that names its village: the codes of the villages of that name
                wanted.append(
                    (
                        ("name_n", "village_code"),
                        f"SELECT DISTINCT r.name_n, v.code AS village_code FROM rest r JOIN ({vil}) v "
                        "ON v.village_n = r.village_n WHERE r.name_n IS NOT NULL",
                    )
                )
            continue
        where = " AND ".join(f"{c} IS NOT NULL" for c in cols)
        wanted.append((cols, f"SELECT DISTINCT {', '.join(cols)} FROM rest WHERE {where}"))
    keeps = " UNION ALL ".join(
        f"SELECT p.p_idx FROM per_keys p SEMI JOIN ({sql}) k ON "
        + " AND ".join(f"p.{c} = k.{c}" for c in cols)
        for cols, sql in wanted
    )
    con.execute(f"CREATE TEMP TABLE keep AS SELECT DISTINCT p_idx FROM ({keeps})")
    con.execute(f"""
CREATE TEMP TABLE per AS
SELECT p.p_idx AS uid, p.id_number AS id_full, CAST(NULL AS VARCHAR) AS id_known, substr(p.id_number, 1, 14) AS id14,
       replace(p.name, '·', '') AS name_n, substr(p.name, 1, 1) AS surname, substr(p.name, 1, 1) AS surname_nv,
       coalesce({_sex("p.sex")}, CASE WHEN try_cast(substr(p.id_number, 17, 1) AS INT) % 2 = 1 THEN '男'
                                      WHEN substr(p.id_number, 17, 1) IS NOT NULL THEN '女' END) AS sex,
       try_cast(p.birth_date AS DATE) AS birth_date, date_trunc('month', try_cast(p.birth_date AS DATE)) AS birth_month,
       NULLIF(substr(p.region_code, 1, 12), '') AS village_code, NULLIF(substr(p.region_code, 1, 6), '') AS county,
       {"v.village_n" if villages else "CAST(NULL AS VARCHAR)"} AS village_n,
       try_cast(p.birth_date AS DATE) AS id_birth, substr(p.id_number, 1, 6) AS id_region
FROM persons_in p JOIN keep USING (p_idx)
{f"LEFT JOIN ({vil}) v ON v.code = substr(p.region_code, 1, 12)" if villages else ""}""")
    timings["registry"] += time.perf_counter() - started


def link_records(
    records: pa.Table,
    persons: pa.Table,
    *,
    upper: float,
    lower: float,
    villages: pa.Table | None = None,
    threads: int | None = None,
    timings: dict[str, float] | None = None,
) -> pa.Table:
    """The registry persons that feed records without a usable ID number probably are (LINK_SCHEMA).

    records: feed, record_key, name, id_number (as sent), sex, birth_date, village, village_code (absent
      optional columns count as missing). persons: id_number (normalised, 18 characters), name, sex
      (男/女 or male/female; taken from the ID number when absent), birth_date, region_code. villages:
      optional (code, name) of the villages, so that a record naming its village can be compared.
    A candidate at or above `upper` links (status auto, the only candidate kept for its record); between
    `lower` and `upper` every candidate of the record waits for review (pending); below, none is kept.
    Sorted by feed, record key, descending probability and ID number: the same inputs give the same table.
    `timings`, when given, receives the seconds each step took and the row counts (for the benchmark).
    """
    if not 0 < lower <= upper <= 1:
        raise ValueError("need 0 < lower <= upper <= 1")
    recs = _conform(records, RECORD_COLUMNS)
    recs = recs.append_column("r_idx", pa.array(range(recs.num_rows), pa.int64()))
    pers = _conform(persons, PERSON_COLUMNS)
    pers = pers.append_column("p_idx", pa.array(range(pers.num_rows), pa.int64()))
    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.register("records_in", recs)
        con.register("persons_in", pers)
        if villages is not None:
            con.register("villages_in", _conform(villages, {"code": pa.string(), "name": pa.string()}))
        spent: dict[str, float] = {} if timings is None else timings
        _prepare(con, villages is not None, spent)
        n_rec = con.sql("SELECT count(*) FROM rest").fetchall()[0][0]
        n_per = con.sql("SELECT count(*) FROM per").fetchall()[0][0]
        n_edit = con.sql("SELECT count(DISTINCT uid) FROM edits").fetchall()[0][0]
        spent.update(records_to_link=n_rec + n_edit, registry_candidates=n_per, id_edit_records=n_edit)
        pairs = PAIRS_SCHEMA.empty_table()
        if n_rec and n_per:
            started = time.perf_counter()
            con.execute(f"CREATE TEMP TABLE splink_rec AS SELECT {_COLUMNS} FROM rest")
            con.execute(f"CREATE TEMP TABLE splink_per AS SELECT {_COLUMNS} FROM per")
            pairs = _score(con)
            spent.update(splink=time.perf_counter() - started, pairs_kept=pairs.num_rows)
        started = time.perf_counter()
        con.register("pairs", pairs)
        result = _decide(con, upper, lower)
        spent["decide"] = time.perf_counter() - started
        return result
    finally:
        con.close()


PAIRS_SCHEMA = pa.schema([("r_idx", pa.int64()), ("p_idx", pa.int64()), ("match_weight", pa.float64())])


def _differs(a: str, b: str, n: int) -> str:
    """The first of positions 1..n where two texts differ (NULL when none does)."""
    whens = " ".join(f"WHEN substr({a}, {i}, 1) <> substr({b}, {i}, 1) THEN {i}" for i in range(1, n + 1))
    return f"CASE {whens} END"


def _edit_links(con: duckdb.DuckDBPyConnection) -> None:
    """`edits`: for each record whose ID number is unusable but still 18 characters (or an old 15-digit
    number), the registry persons of the same name whose number is exactly one edit away: one character
    substituted (any of the 18, the check character included) or two neighbours swapped.

    Joined on the normalised name first (a hash join on the records' names: the registry is read once and
    only namesakes are compared), then the two numbers are compared character by character: one
    difference is a substitution; two differences that Damerau–Levenshtein counts as one edit are a swap.
    An old 15-digit number is compared on the 17 digits before its check character (the upgrade computes
    that character from the mistyped digits), and the position is given in the number as sent.
    """
    con.execute(f"""
CREATE TEMP TABLE edits AS
WITH r AS (
  SELECT uid, name_n, edit_id, from15, CASE WHEN from15 THEN 17 ELSE 18 END AS n
  FROM rec WHERE edit_id IS NOT NULL AND name_n IS NOT NULL
), pairs AS (
  SELECT r.uid, r.from15, k.id_number, substr(r.edit_id, 1, r.n) AS a, substr(k.id_number, 1, r.n) AS b
  FROM r JOIN per_keys k ON k.name_n = r.name_n
  WHERE length(k.id_number) = 18 AND k.id_number <> r.edit_id
), near AS (
  SELECT *, hamming(a, b) AS diff FROM pairs
), found AS (
  SELECT uid, from15, id_number,
         CASE WHEN diff = 1 THEN '{EDIT_SUBSTITUTION}' ELSE '{EDIT_TRANSPOSITION}' END AS edit_kind,
         {_differs("a", "b", 18)} AS pos18
  FROM near WHERE diff = 1 OR (diff = 2 AND damerau_levenshtein(a, b) = 1)
)
SELECT uid, id_number, edit_kind,
       CAST(CASE WHEN from15 AND pos18 > 8 THEN pos18 - 2 ELSE pos18 END AS SMALLINT) AS edit_position,
       count(*) OVER (PARTITION BY uid) AS n_found
FROM found""")


def _score(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Splink's match weight for every blocked (record, person) pair above MIN_WEIGHT."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    left = db_api.register("splink_per", dataset_display_name="a_persons")
    right = db_api.register("splink_rec", dataset_display_name="b_records")
    # The settings are constants checked by the tests; validating them again costs most of a second.
    linker = Linker([left, right], settings_dict(), log_level=None, validate_settings=False)
    # Splink logs every SQL step at INFO; the platform's log only wants warnings from it.
    logging.getLogger("splink").setLevel(logging.WARNING)
    predictions = linker.inference.predict(threshold_match_weight=MIN_WEIGHT, warning_mode="never")
    try:
        return con.sql(
            f"""SELECT CASE WHEN source_dataset_l = 'b_records' THEN uid_l ELSE uid_r END AS r_idx,
                       CASE WHEN source_dataset_l = 'b_records' THEN uid_r ELSE uid_l END AS p_idx,
                       match_weight
                FROM {predictions.physical_name}"""
        ).to_arrow_table()
    finally:
        predictions.drop_table_from_database_and_remove_from_cache()


def _decide(con: duckdb.DuckDBPyConnection, upper: float, lower: float) -> pa.Table:
    # Competing candidates share one record's probability mass (p); the sum runs in a fixed order so that the
    # same input always gives the same bits. A link is automatic on that share; a candidate is worth a
    # reviewer's look on its own evidence (Splink's pairwise probability), so that two namesakes who fit
    # equally well both reach the queue instead of both falling under the lower threshold at 0.5 each.
    table = con.sql(f"""
WITH scored AS (
  SELECT r.feed, r.record_key, p.id_full AS id_number, x.match_weight,
         pow(2, x.match_weight) AS odds
  FROM pairs x JOIN rec r ON r.uid = x.r_idx JOIN per p ON p.uid = x.p_idx
), normal AS (
  SELECT *, odds / (1 + sum(odds) OVER (PARTITION BY feed, record_key ORDER BY match_weight DESC, id_number
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS p
  FROM scored
), flagged AS (
  SELECT *, max(CASE WHEN p >= {float(upper)} THEN 1 ELSE 0 END) OVER (PARTITION BY feed, record_key) AS has_auto
  FROM normal
)
SELECT feed, record_key, id_number, round(p, 6) AS match_probability, round(match_weight, 4) AS match_weight,
       CASE WHEN p >= {float(upper)} THEN '{AUTO}' ELSE '{PENDING}' END AS status,
       '{METHOD_PROBABILISTIC}' AS method, CAST(NULL AS VARCHAR) AS edit_kind, CAST(NULL AS SMALLINT) AS edit_position
FROM flagged
WHERE CASE WHEN has_auto = 1 THEN p >= {float(upper)} ELSE odds / (1 + odds) >= {float(lower)} END
UNION ALL
-- One person one edit away: linked. Several: each as likely as the others, all for review.
SELECT r.feed, r.record_key, e.id_number, round(1.0 / e.n_found, 6), 0.0,
       CASE WHEN e.n_found = 1 THEN '{AUTO}' ELSE '{PENDING}' END, '{METHOD_ID_EDIT}', e.edit_kind, e.edit_position
FROM edits e JOIN rec r ON r.uid = e.uid
ORDER BY feed, record_key, match_probability DESC, id_number""").to_arrow_table()
    return table.cast(LINK_SCHEMA)


def weight_of(probability: float) -> float:
    """The match weight (bits) of a probability: how thresholds read on Splink's scale."""
    return math.log2(probability / (1 - probability))
