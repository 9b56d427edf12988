"""`screen()`: registry and feed tables in, alerts with evidence out (issue 3, line 1).

The run, in SQL that DuckDB and Spark both execute:
1. canonical views of the inputs (feed headers mapped through the catalogue, values cast to their types);
2. `pp` (persons) and `hh` (households with latest income, labourers, monitoring flags);
3. per person-keyed feed: rows deduplicated by record key, then those inside the longest window of the
   rules on the feed kept; ID numbers normalised (spaces, full-width digits, x, 15-digit upgrade: stored
   so with the delivery, computed for deliveries stored before that); rows
   linked to persons by the optional link table (Splink's output) or by the normalised ID, all feeds in
   one join, the result kept per feed; rows that match nobody become 应纳未纳 candidates;
4. every applicable rule version adds evidence rows; evidence of a risk the household is already
   monitored for goes to `case_evidence` instead of raising an alert;
5. evidence is merged into one alert per (household, risk) with the highest grade and the reasons.
"""
# ruff: noqa: S608 - this module writes SQL: identifiers come from the catalogue and code, every value
# goes through dialect.lit (quotes doubled, backslashes refused) and every header through Dialect.quote.

from __future__ import annotations

import calendar
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dixian.domain import catalogue
from dixian.domain.dictionaries import LABOURER_SKILLS
from dixian.domain.idnumber import checksum_ok_sql
from dixian.domain.records import (
    NORMALISED_ID_COLUMN,
    PROBLEMS,
    key_columns_sql,
    key_id_from_normalised_sql,
    record_key_sql,
    stored_id_sql,
)
from dixian.domain.risks import GRADES, RISK_TYPES

from .backends import Backend, TableLike, make_backend, source_columns, source_schema, to_arrow
from .dialect import Dialect, in_list, lit
from .logic import LOGICS, Ctx
from .rules import RuleVersion

# Output schemas: both backends' results are cast to these, so callers (and the equivalence test) see
# exactly one shape.
EVIDENCE_STRUCT = pa.struct(
    [
        ("rule_id", pa.string()),
        ("rule_version", pa.int32()),
        ("feed", pa.string()),
        ("id_number", pa.string()),
        ("record_keys", pa.list_(pa.string())),
        ("amount", pa.decimal128(18, 2)),
        ("threshold", pa.decimal128(18, 2)),
        ("grade", pa.string()),
        ("reason", pa.string()),
    ]
)
ALERT_SCHEMA = pa.schema(
    [
        ("household_no", pa.string()),
        ("region_code", pa.string()),
        ("risk_code", pa.string()),
        ("risk_name", pa.string()),
        ("grade", pa.string()),
        ("grade_rank", pa.int32()),
        ("reason", pa.string()),
        ("rule_ids", pa.list_(pa.string())),
        ("evidence_count", pa.int32()),
        ("evidence", pa.list_(EVIDENCE_STRUCT)),
    ]
)
CASE_EVIDENCE_SCHEMA = pa.schema(
    [
        ("household_no", pa.string()),
        ("region_code", pa.string()),
        ("risk_code", pa.string()),
        *[(f.name, f.type) for f in EVIDENCE_STRUCT],
    ]
)
UNMATCHED_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("feed_name", pa.string()),
        ("department", pa.string()),
        ("record_key", pa.string()),
        ("name", pa.string()),
        ("id_number", pa.string()),
        ("id_normalised", pa.string()),
        ("problem", pa.string()),
        ("reason", pa.string()),
        ("event_date", pa.date32()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("village", pa.string()),
        ("village_code", pa.string()),
        ("phone", pa.string()),
    ]
)

REGISTRY_COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    # table: [(field, type, required)]
    "households": [
        ("household_no", "text", True),
        ("region_code", "text", True),
        ("kind", "text", True),
        ("monitoring_category", "text", False),
        ("head_name", "text", False),
    ],
    "persons": [
        ("household_no", "text", True),
        ("id_number", "text", True),
        ("name", "text", True),
        ("birth_date", "date", False),
        ("labour_skill", "text", False),
        ("relation", "text", False),
    ],
    "incomes": [
        ("household_no", "text", True),
        ("year", "int", True),
        ("net_income", "money", True),
        ("net_income_per_capita", "money", True),
    ],
}

_SQL_TYPES = {
    "text": "STRING",
    "id": "STRING",
    "choice": "STRING",
    "date": "DATE",
    "money": "DECIMAL(18,2)",
    "int": "INT",
}


@dataclass
class ScreeningResult:
    """What a run found. All three are Arrow tables with the schemas above."""

    alerts: pa.Table
    unmatched: pa.Table
    case_evidence: pa.Table
    period: str
    rules_run: list[str] = field(default_factory=list)  # "R01v1", …
    rules_skipped: dict[str, str] = field(default_factory=dict)  # rule id → why


class ScreeningInputError(ValueError):
    pass


# Period ---------------------------------------------------------------------------------------------


def parse_period(period: str) -> tuple[date, date]:
    """'2026-10' → (2026-10-01, 2026-10-31)."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", period.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ScreeningInputError(f"筛查期间应写作 YYYY-MM,例如 2026-10,而不是 {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


# Rule selection -------------------------------------------------------------------------------------


def select_versions(rules: list[RuleVersion], on: date) -> list[RuleVersion]:
    """Per rule and region, the highest version valid on the day."""
    best: dict[tuple[str, str], RuleVersion] = {}
    for rule in rules:
        if not rule.applies_on(on):
            continue
        key = (rule.rule_id, rule.region)
        if key not in best or rule.version > best[key].version:
            best[key] = rule
    return sorted(best.values(), key=lambda r: (r.rule_id, len(r.region), r.region))


def _region_scope(rule: RuleVersion, chosen: list[RuleVersion]) -> str:
    conds = []
    if rule.region:
        conds.append(f"substr(c.region_code, 1, {len(rule.region)}) = {lit(rule.region)}")
    conds.extend(
        f"NOT (substr(c.region_code, 1, {len(other.region)}) = {lit(other.region)})"
        for other in chosen
        if other.rule_id == rule.rule_id
        and len(other.region) > len(rule.region)
        and other.region.startswith(rule.region)
    )
    return " AND ".join(conds) if conds else "TRUE"


# Templates ------------------------------------------------------------------------------------------


def _param_text(key: str, value: Any) -> str:
    if key.endswith("_share"):
        pct = Decimal(str(value)) * 100
        return f"{pct.normalize():f}%"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        dec = Decimal(str(value))
        return f"{dec:,.2f}".rstrip("0").rstrip(".") if dec % 1 else f"{int(dec):,}"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


# A person's registry name is put into the reasons after the rules (the linked rows do not carry it):
# where a candidate row has no name, its reason holds this mark, replaced by the name of its p_idx.
NAME_MARK = chr(31)
_NAME_MARK_SQL = "chr(31)"

# A value that says something about a person's health (a diagnosis, a disability's category or grade) or
# that a person wrote freely (a petition's summary) is put into a reason between these two marks, so that
# an account without the personal-data right sees "***" in its place (`common.access.reason_shown`).
PRIVATE_OPEN, PRIVATE_CLOSE = "\ue000", "\ue001"
PRIVATE_PLACEHOLDERS = frozenset(
    {"disease", "hospital", "disability_category", "disability_grade", "summary"}
)


def _private(value_sql: str) -> str:
    """The value between the marks, without any mark it carried itself."""
    bare = f"replace(replace({value_sql}, {lit(PRIVATE_OPEN)}, ''), {lit(PRIVATE_CLOSE)}, '')"
    return f"({lit(PRIVATE_OPEN)} || {bare} || {lit(PRIVATE_CLOSE)})"


def compile_template(
    template: str, rule: RuleVersion, d: Dialect, *, window: str, note_sql: str = "''"
) -> str:
    """The template as one SQL string expression over the candidate row `c`."""
    logic = LOGICS[rule.logic]
    parts: list[str] = []
    for literal, name, spec, _conv in string.Formatter().parse(template):
        if NAME_MARK in literal or PRIVATE_OPEN in literal or PRIVATE_CLOSE in literal:
            raise ValueError(f"{rule.rule_id}: 说明模板不能含控制字符")
        if literal:
            parts.append(lit(literal))
        if name is None:
            continue
        if spec:
            raise ValueError(f"{rule.rule_id}: 说明模板不支持格式说明 {{{name}:{spec}}}")
        if name == "name":
            parts.append(f"coalesce(c.name, {_NAME_MARK_SQL})")
        elif name in ("amount", "threshold"):
            parts.append(d.money_text(f"c.{name}"))
        elif name == "window":
            parts.append(lit(window))
        elif name == "rule_id":
            parts.append(lit(rule.rule_id))
        elif name == "version":
            parts.append(lit(str(rule.version)))
        elif name == "note":
            parts.append(note_sql)
        elif name in logic.placeholders:
            kind = logic.placeholders[name]
            col = f"c.p_{name}"
            if kind == "money":
                parts.append(d.money_text(col))
            elif kind == "date":
                parts.append(f"coalesce({d.date_text(col)}, '')")
            elif kind == "int":
                parts.append(f"coalesce(CAST({col} AS STRING), '')")
            elif name in PRIVATE_PLACEHOLDERS:
                parts.append(_private(f"coalesce(CAST({col} AS STRING), '')"))
            else:
                parts.append(f"coalesce(CAST({col} AS STRING), '')")
        elif name in rule.params:
            parts.append(lit(_param_text(name, rule.params[name])))
        else:
            known = [
                "name",
                "amount",
                "threshold",
                "window",
                "rule_id",
                "version",
                "note",
                *logic.placeholders,
                *rule.params,
            ]
            raise ValueError(f"{rule.rule_id}: 说明模板中的 {{{name}}} 无法识别;可用:{'、'.join(known)}")
    return "(" + (" || ".join(parts) if parts else "''") + ")"


def _evidence_sql(rule: RuleVersion, ctx: Ctx, chosen: list[RuleVersion]) -> str:
    d = ctx.d
    logic = LOGICS[rule.logic]
    escalations = sorted(rule.escalations, key=lambda e: -GRADES[e.grade])
    for esc in escalations:
        if esc.when not in logic.conditions:
            raise ValueError(
                f"{rule.rule_id}: 条件 {esc.when} 不属于 {rule.logic};可用:{', '.join(logic.conditions)}"
            )
    window = ctx.window_label(rule.params["window_months"]) if "window_months" in rule.params else ""
    grade = " ".join(f"WHEN c.c_{e.when} THEN {lit(e.grade)}" for e in escalations)
    grade_sql = f"CASE {grade} ELSE {lit(rule.grade)} END" if grade else lit(rule.grade)
    notes = " ".join(
        f"WHEN c.c_{e.when} THEN ',' || {compile_template(e.note, rule, d, window=window)}"
        for e in escalations
        if e.note
    )
    note_sql = f"(CASE {notes} ELSE '' END)" if notes else "''"
    rank_sql = "CASE " + " ".join(f"WHEN {grade_sql} = {lit(g)} THEN {r}" for g, r in GRADES.items()) + " END"
    reason = compile_template(rule.template, rule, d, window=window, note_sql=note_sql)
    feed_label = "+".join(rule.feeds) if rule.feeds else "registry"
    return f"""
SELECT c.household_no, c.region_code, c.risk_code, {lit(rule.rule_id)} AS rule_id,
       CAST({rule.version} AS INT) AS rule_version, {lit(feed_label)} AS feed,
       CAST(c.p_idx AS BIGINT) AS p_idx, c.record_keys,
       CAST(c.amount AS DECIMAL(18,2)) AS amount, CAST(c.threshold AS DECIMAL(18,2)) AS threshold,
       {grade_sql} AS grade, CAST({rank_sql} AS INT) AS grade_rank, {reason} AS reason
FROM ({logic.build(ctx, rule)}) c
WHERE {_region_scope(rule, chosen)}"""


# Inputs ---------------------------------------------------------------------------------------------


def _cast(d: Dialect, expr: str, kind: str, *, clean: bool = True) -> str:
    sql_type = _SQL_TYPES[kind]
    if sql_type == "STRING":
        text = f"try_cast({expr} AS STRING)"
        return f"NULLIF(trim({text}), '')" if clean else f"NULLIF({text}, '')"
    return f"try_cast({expr} AS {sql_type})"


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


_ARROW_KINDS = {
    "text": _is_text,
    "id": _is_text,
    "choice": _is_text,
    "date": pa.types.is_date32,
    "int": pa.types.is_int32,
}


def _canonical_feed_sql(d: Dialect, feed: catalogue.Feed, raw: str, schema: pa.Schema) -> str:
    """Field names for the delivery's headers; values cast to the catalogue's types where they are not.
    Values are taken as the delivery importer left them (validated, trimmed): the engine only tolerates
    what would otherwise break linking (the ID number) and does no per-value clean-up of its own.

    A feed with an ID number also gets NORMALISED_ID_COLUMN: as stored with the delivery when it was
    received (`domain.records`), computed here for the rows of deliveries stored without it (null there).
    Deduplication and linking read it, and test no row with a regular expression where it was stored."""
    mapping = {field_: header for header, field_ in catalogue.header_map(feed.code, schema.names).items()}
    cols = []
    for col in feed.columns:
        if col.field not in mapping:
            cols.append(f"CAST(NULL AS {_SQL_TYPES[col.type]}) AS {col.field}")
            continue
        source = d.quote(mapping[col.field])
        check = _ARROW_KINDS.get(col.type)
        if check and check(schema.field(mapping[col.field]).type):
            cols.append(f"{source} AS {col.field}")
        elif col.type == catalogue.MONEY:
            cols.append(f"try_cast({source} AS DECIMAL(18,2)) AS {col.field}")
        else:
            cols.append(f"{_cast(d, source, col.type)} AS {col.field}")
    if not any(col.field == "id_number" for col in feed.columns):
        return f"SELECT {', '.join(cols)}, _row FROM {raw}"
    computed = stored_id_sql("id_number", d)
    if NORMALISED_ID_COLUMN in schema.names:
        # Text as the delivery service writes it; anything else is not its column and is recomputed.
        stored = d.quote(NORMALISED_ID_COLUMN) if _is_text(schema.field(NORMALISED_ID_COLUMN).type) else None
    else:
        stored = None
    names = ", ".join(col.field for col in feed.columns)
    return (
        f"SELECT {names}, _row, {f'coalesce(_stored, {computed})' if stored else computed} AS {NORMALISED_ID_COLUMN} "
        f"FROM (SELECT {', '.join(cols)}, _row{f', {stored} AS _stored' if stored else ''} FROM {raw}) c"
    )


def _canonical_registry_sql(d: Dialect, table: str, raw: str, schema: pa.Schema) -> str:
    """Registry tables come from the database, already typed and clean: cast only what is not."""
    cols, missing = [], []
    for name, kind, required in REGISTRY_COLUMNS[table]:
        if name in schema.names:
            check = _ARROW_KINDS.get(kind)
            typed = check(schema.field(name).type) if check else False
            cols.append(
                f"{d.quote(name)} AS {name}"
                if typed
                else f"{_cast(d, d.quote(name), kind, clean=False)} AS {name}"
            )
        elif required:
            missing.append(name)
        else:
            cols.append(f"CAST(NULL AS {_SQL_TYPES[kind]}) AS {name}")
    if missing:
        raise ScreeningInputError(f"registry.{table} 缺少列:{', '.join(missing)}")
    if table == "persons":
        cols.append("_row AS p_idx")
    return f"SELECT {', '.join(cols)} FROM {raw}"


def _empty_incomes_sql() -> str:
    return (
        "SELECT CAST(NULL AS STRING) AS household_no, CAST(NULL AS INT) AS year, "
        "CAST(NULL AS DECIMAL(18,2)) AS net_income, CAST(NULL AS DECIMAL(18,2)) AS net_income_per_capita "
        "FROM (SELECT 1 AS one) t WHERE 1 = 0"
    )


# Up to this many distinct income years, each household's incomes are read in one pass (a conditional
# aggregate per year); with more, the latest year is found first and the incomes are read again for it.
ONE_PASS_INCOME_YEARS = 3


def _incomes_sql(period_year: int, years: list[int] | None, source: str = "src_incomes") -> str:
    """Per household: the latest income year up to the period's (`year`), that year's `net_income` and
    `per_capita`, and the year before's `prev_per_capita` (the largest value where a year has several rows).

    `years`: the distinct years up to the period's, when known and few. The registry read by the screening
    command holds two, and then one grouping of the incomes does, instead of two groupings and a join."""
    if years and len(years) <= ONE_PASS_INCOME_YEARS:
        aggs = "".join(
            f", max(CASE WHEN year = {y} THEN net_income END) AS n{y}"
            f", max(CASE WHEN year = {y} THEN net_income_per_capita END) AS p{y}"
            for y in years
        )

        def latest(column: str, offset: int = 0) -> str:
            whens = "".join(f" WHEN {y} THEN {column}{y - offset}" for y in years if y - offset in years)
            return f"CASE year{whens} END" if whens else "CAST(NULL AS DECIMAL(18,2))"

        return f"""
  SELECT household_no, year, {latest("n")} AS net_income, {latest("p")} AS per_capita,
         {latest("p", 1)} AS prev_per_capita
  FROM (
    SELECT household_no, max(year) AS year{aggs}
    FROM {source} s WHERE year <= {period_year} GROUP BY household_no
  ) y"""
    return f"""
  SELECT i.household_no, max(l.year) AS year,
         max(CASE WHEN i.year = l.year THEN i.net_income END) AS net_income,
         max(CASE WHEN i.year = l.year THEN i.net_income_per_capita END) AS per_capita,
         max(CASE WHEN i.year = l.year - 1 THEN i.net_income_per_capita END) AS prev_per_capita
  FROM {source} i JOIN (
    SELECT household_no, max(year) AS year FROM {source} s WHERE year <= {period_year} GROUP BY household_no
  ) l ON l.household_no = i.household_no
  WHERE i.year IN (l.year, l.year - 1)
  GROUP BY i.household_no"""


def household_key_sql(d: Dialect, column: str, hashed: bool) -> str:
    """The key the engine joins and groups households by: a 64-bit hash of the household number, an integer
    that is far cheaper to hash, compare and carry than the text (every rule joins its rows to the 800 k
    households); or the number itself (`hashed` False: the fallback when two households' hashes collide).
    NULL for no number, as a join on the text would match nothing. (A person whose household number is not
    among the households, which the registry's keys rule out, could meet one only by a 64-bit coincidence.)"""
    if not hashed:
        return column
    return f"CASE WHEN {column} IS NOT NULL THEN {d.hash64(column)} END"


# How many registry households share their key with another (0 unless two numbers hash alike).
HOUSEHOLD_KEY_CLASH_SQL = "SELECT count(household_no) - count(DISTINCT household_no) FROM hh"


def _hh_sql(
    d: Dialect,
    period_year: int,
    has_head_name: bool,
    income_years: list[int] | None = None,
    *,
    hashed: bool = True,
) -> str:
    """One row per household: `household_no` is the key (see `household_key_sql`), `household_text` the
    number itself."""
    head = "h.head_name" if has_head_name else "hd.name"
    head_join = (
        ""
        if has_head_name
        else (
            "LEFT JOIN (SELECT household_no, max(name) AS name FROM src_persons WHERE relation = 'head' "
            "GROUP BY household_no) hd ON hd.household_no = h.household_no"
        )
    )
    incomes = (
        f"(SELECT {household_key_sql(d, 'household_no', hashed)} AS household_no, year, net_income, "
        "net_income_per_capita FROM src_incomes)"
    )
    return f"""
WITH inc AS ({_incomes_sql(period_year, income_years, incomes)}
), lab AS (
  SELECT household_no, count(*) AS labourers FROM pp WHERE p_labourer GROUP BY household_no
)
SELECT h._hk AS household_no, h.household_no AS household_text, h.region_code,
       substr(h.region_code, 1, 12) AS village_code, h.kind,
       (coalesce(h.monitoring_category, '') <> '') AS monitored,
       (h.kind = 'ex_poor' OR coalesce(h.monitoring_category, '') <> '') AS low_threshold,
       {head} AS head_name, i.year AS income_year, i.net_income, i.per_capita, i.prev_per_capita,
       coalesce(l.labourers, 0) AS labourers
FROM (SELECT *, {household_key_sql(d, "household_no", hashed)} AS _hk FROM src_households) h
LEFT JOIN inc i ON i.household_no = h._hk
LEFT JOIN lab l ON l.household_no = h._hk
{head_join}"""


def needed_fields(feed: catalogue.Feed, rules: list[RuleVersion]) -> list[str]:
    """The feed columns carried through linking besides the date, name and ID number: what the rules read
    and the parts of a record key."""
    wanted: set[str] = set(feed.record_key) if len(feed.record_key) > 1 else set()
    for rule in rules:
        logic = LOGICS.get(rule.logic)
        if logic is not None:
            wanted.update(logic.uses.get(feed.code, ()))
    wanted -= {feed.date_field, "name", "id_number"}
    return [c.field for c in feed.columns if c.field in wanted]


_LINKED_COLUMNS = (
    *("_row", "_key", "_linked", "_date", "p_idx", "_unid", "_uname", "_uraw", "_ukid"),
    *("household_no", "p_birth_date", "p_labourer"),
)
_SLOT_PREFIX = {"STRING": "s", "DATE": "d", "DECIMAL(18,2)": "m", "INT": "i"}


@dataclass
class _Layout:
    """All person-keyed feeds go through linking as one table with generic typed slots; `fields[feed]` maps
    each carried field to its slot, and a view per feed gives the fields their names back."""

    fields: dict[str, dict[str, str]]
    slots: list[tuple[str, str]]

    @classmethod
    def of(cls, wanted: dict[str, list[str]]) -> _Layout:
        fields: dict[str, dict[str, str]] = {}
        widest: dict[str, int] = {}
        for code, names in wanted.items():
            spec, used, mapping = catalogue.feed(code), dict.fromkeys(_SLOT_PREFIX, 0), {}
            for name in names:
                sql_type = _SQL_TYPES[spec.column(name).type]
                used[sql_type] += 1
                mapping[name] = f"{_SLOT_PREFIX[sql_type]}{used[sql_type]}"
            fields[code] = mapping
            for sql_type, n in used.items():
                widest[sql_type] = max(widest.get(sql_type, 0), n)
        slots = [
            (f"{prefix}{i}", t) for t, prefix in _SLOT_PREFIX.items() for i in range(1, widest.get(t, 0) + 1)
        ]
        return cls(fields, slots)

    def columns(self, code: str) -> list[str]:
        """The columns of the linked rows of one feed: the common ones and the feed's own slots."""
        return [*_LINKED_COLUMNS, *self.fields[code].values()]


def _feed_no(code: str) -> int:
    """The feed's number in the linked rows (a small integer is narrower and quicker to filter than its code)."""
    return list(catalogue.FEEDS_BY_CODE).index(code)


def _later_copies_sql(
    d: Dialect,
    src: str,
    keys: tuple[str, ...] | list[str],
    where: str = "TRUE",
    hash_keys: tuple[str, ...] | list[str] | None = None,
) -> str:
    """The row numbers (`_dup`) of the rows that repeat the record key of an earlier row, among the rows
    `where` holds (a condition every copy of a record meets alike, or TRUE).

    Exact, and cheap where nearly every key is unique: the keys are grouped by a 64-bit hash (an integer,
    where grouping the text keys themselves costs a hash table of millions of strings), and only the rows
    whose hash occurs more than once are compared by their keys. A hash shared by different keys only sends
    those rows through the exact comparison. `hash_keys`, when given, are some of the keys' columns (every
    copy of a record agrees on them): the keys are then read and computed only for the rows they group."""
    cols = ", ".join(keys)
    h = d.hash64(*(hash_keys or keys))
    return f"""
SELECT _row AS _dup FROM (
  SELECT _row, row_number() OVER (PARTITION BY {cols} ORDER BY _row) AS _n
  FROM {src} WHERE ({where}) AND {h} IN (SELECT {h} FROM {src} WHERE {where} GROUP BY {h} HAVING count(*) > 1)
) w WHERE _n > 1"""


def _linked_sql(
    d: Dialect, codes: list[str], layout: _Layout, linked_feeds: set[str], keep_from: dict[str, date]
) -> str:
    parts = []
    for code in codes:
        feed = catalogue.feed(code)
        mapping = layout.fields[code]
        slot_cols = "".join(
            f", {next((f for f, s in mapping.items() if s == slot), None) or f'CAST(NULL AS {t})'} AS {slot}"
            for slot, t in layout.slots
        )
        slot_names = "".join(f", {slot}" for slot, _ in layout.slots)
        # The ID number links by its normalised form (NORMALISED_ID_COLUMN: see `_canonical_feed_sql`).
        # A key of several columns is spelled out only where it is shown (evidence, 应纳未纳 list): building
        # the text for every row costs more than the linking itself.
        key_id = key_id_from_normalised_sql(NORMALISED_ID_COLUMN, "id_number")
        stored_key = (
            record_key_sql(feed, d=d, key_id=key_id) if len(feed.record_key) == 1 else "CAST(NULL AS STRING)"
        )
        # The record key to look links up by, only for the feeds that have links (building a key of
        # several columns for every row costs more than the look-up).
        lkey_in = (
            f", {record_key_sql(feed, d=d, key_id=key_id) if code in linked_feeds else 'CAST(NULL AS STRING)'} AS _lkey"
            if linked_feeds
            else ""
        )
        lkey_out = ", _lkey" if linked_feeds else ""
        # Only the rows of the run's windows go on to linking. Older rows were screened, and their unmatched
        # persons listed, by the runs of their own periods. Deduplication looks at every row where the first
        # copy of a record may be older than the window (a key without the date: 结算单号); where the key
        # holds the date, every copy of a record is inside the window or none is, and it looks at the
        # window's rows alone (for most feeds a fifth of the rows).
        start = keep_from.get(code)
        in_window = (
            f"({feed.date_field} >= {lit(start)} OR {feed.date_field} IS NULL)"
            if start is not None
            else "TRUE"
        )
        window = f"AND {in_window}" if start is not None else ""
        dedup_rows = in_window if feed.date_field in feed.record_key else "TRUE"
        # First row per record key: a re-sent row counts once (see `_later_copies_sql`), also when it was
        # sent again with its ID number cleaned up (the key's ID is normalised: docs/feeds.md §五).
        # `_kid`: the key's ID where it differs from the number as delivered.
        # Grouped by the key's other columns: hashing the ID's 18 characters too costs more than the few
        # more candidates it would rule out (docs/benchmarks.md, screening engine).
        others = [k for k in feed.record_key if k != "id_number"]
        dedup = _later_copies_sql(
            d, f"src_{code}", key_columns_sql(feed, d=d, key_id=key_id), dedup_rows, others
        )
        parts.append(f"""
  SELECT {lit(code)} AS feed, CAST({_feed_no(code)} AS SMALLINT) AS _f, _row, _key, _date{slot_names}, name, id_number,
         {NORMALISED_ID_COLUMN} AS _id{lkey_out},
         CASE WHEN {NORMALISED_ID_COLUMN} <> id_number THEN {NORMALISED_ID_COLUMN} END AS _kid
  FROM (
    SELECT _row, name, id_number, {NORMALISED_ID_COLUMN}, {stored_key} AS _key, {feed.date_field} AS _date{slot_cols}{lkey_in}
    FROM src_{code}
    WHERE NOT EXISTS (SELECT 1 FROM ({dedup}) dup WHERE dup._dup = _row)
      {window}
  ) r""")
    if linked_feeds:
        link_join = "LEFT JOIN lk ON lk.feed = a.feed AND lk.record_key = a._lkey"
        pid, linked = "coalesce(lk.id_number, a._id)", "(lk.id_number IS NOT NULL)"
    else:
        link_join, pid, linked = "", "a._id", "FALSE"
    # The windows were applied before linking; of the rows without a date in a windowed feed, only the
    # unmatched are kept (to be listed).
    windowed = [_feed_no(code) for code in keep_from]
    keep_sql = f"u._date IS NOT NULL OR NOT {in_list('u._f', windowed)}" if windowed else "TRUE"
    slot_names = "".join(f", u.{slot}" for slot, _ in layout.slots)
    # Name and ID number as delivered: shown for unmatched rows, and part of the record key of the feeds
    # whose key has several columns; a single-column key (结算单号) needs neither for matched rows.
    composite = [c for c in codes if len(catalogue.feed(c).record_key) > 1]
    needs_raw = f"p.p_idx IS NULL OR {in_list('u._f', [_feed_no(c) for c in composite])}"
    raw_ids = (
        f"CASE WHEN {needs_raw} THEN u.name END AS _uname, CASE WHEN {needs_raw} THEN u.id_number END AS _uraw, "
        # The ID number as the record key holds it, where that differs from the number as delivered.
        f"CASE WHEN {needs_raw} THEN u._kid END AS _ukid"
    )
    a_cols = "a._f, a._row, a._key, a._date, a.name, a.id_number" + "".join(
        f", a.{slot}" for slot, _ in layout.slots
    )
    return f"""
SELECT u._f, u._row, u._key, u._linked, u._date{slot_names},
       p.p_idx, CASE WHEN p.p_idx IS NULL THEN u._pid END AS _unid,
       {raw_ids},
       p.household_no, p.birth_date AS p_birth_date, p.p_labourer
FROM (
  SELECT {a_cols}, {pid} AS _pid, {linked} AS _linked, a._kid
  FROM ({" UNION ALL ".join(parts)}
  ) a {link_join}
) u
LEFT JOIN pp p ON p.id_number = u._pid
WHERE p.household_no IS NULL OR {keep_sql}"""


def _composite_key_sql(feed: catalogue.Feed, layout: _Layout, alias: str) -> str:
    """A record key of several columns, from the linked row (the name as delivered, the ID number as the
    key holds it: `domain.records.key_id_sql`, which the linking statement's `_id` computes already)."""
    where = {"name": "_uname", "id_number": "_uraw", feed.date_field: "_date", **layout.fields[feed.code]}
    parts = ", ".join(
        f"coalesce(CAST(coalesce({alias}_ukid, {alias}_uraw) AS STRING), '')"
        if k == "id_number"
        else f"coalesce(CAST({alias}{where[k]} AS STRING), '')"
        for k in feed.record_key
    )
    return f"concat_ws('|', {parts})"


def _feed_view_sql(code: str, layout: _Layout) -> str:
    feed = catalogue.feed(code)
    named = "".join(f"l.{slot} AS {name}, " for name, slot in layout.fields[code].items())
    key = "l._key" if len(feed.record_key) == 1 else _composite_key_sql(feed, layout, "l.")
    return (
        f"SELECT {named}l._date AS {feed.date_field}, {key} AS _key, l._row, l.p_idx, l._linked, "
        f"l.household_no, l.p_birth_date, l.p_labourer "
        f"FROM lnk_{code} l WHERE l.household_no IS NOT NULL"
    )


def _keep_from(code: str, rules: list[RuleVersion], ctx: Ctx) -> date | None:
    """The earliest window start of the rules reading a feed; None when some rule reads it without a window."""
    starts = []
    for rule in rules:
        logic = LOGICS.get(rule.logic)
        if logic is None or code not in rule.feeds:
            continue
        if "window_months" not in rule.params:
            return None
        starts.append(ctx.window(rule.params["window_months"])[0])
    return min(starts) if starts else ctx.period_start


_EXTRA_IDENTITY = ("sex", "birth_date", "village", "village_code", "phone")


def _unmatched_rows_sql(feed: catalogue.Feed, rows: str) -> str:
    """应纳未纳 rows from `rows` (a query of the rows that match nobody, with record_key, the name and ID
    number as delivered `_uname`/`_uraw`, the normalised ID `_unid`, `_linked`, `_date` and the identity
    columns of _EXTRA_IDENTITY), with the problem and its reason."""
    problem = f"""CASE
      WHEN x._linked THEN 'link_not_found'
      WHEN coalesce(trim(x._uraw), '') = '' THEN 'missing'
      WHEN upper(x._uraw) LIKE '%E%' THEN 'scientific'
      WHEN x._unid IS NULL THEN 'invalid'
      WHEN NOT {checksum_ok_sql("x._unid")} THEN 'checksum'
      ELSE 'not_found' END"""
    reasons = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in PROBLEMS.items())
    extras = ", ".join(f"x.{f}" for f in _EXTRA_IDENTITY)
    return f"""
SELECT {lit(feed.code)} AS feed, {lit(feed.name)} AS feed_name, {lit(feed.department)} AS department,
       y.record_key, y.name, y.id_number, y.id_normalised, y.problem,
       {lit(feed.department + feed.name + "记录:")} || CASE y.problem {reasons} END || ',列入应纳未纳核查' AS reason,
       y.event_date, y.sex, y.birth_date, y.village, y.village_code, y.phone
FROM (
  SELECT x.record_key, x._uname AS name, x._uraw AS id_number, x._unid AS id_normalised,
         {problem} AS problem, x._date AS event_date, {extras}
  FROM ({rows}) x
) y"""


def _extra_identity_sql(feed: catalogue.Feed, delivered: set[str], alias: str) -> str:
    """The identity columns of _EXTRA_IDENTITY from `alias`, NULL where the delivery has no such column."""
    return ", ".join(
        f"{alias}.{f}" if f in delivered else f"CAST(NULL AS {_SQL_TYPES[feed.column(f).type]}) AS {f}"
        for f in _EXTRA_IDENTITY
    )


def _unmatched_sql(d: Dialect, feed: catalogue.Feed, layout: _Layout, delivered: set[str]) -> str:
    """Linked rows that match nobody, with why. Name and ID number as delivered travel with the unmatched
    rows; the other identity columns are read back from the delivery only when it has them: an inner join
    (every linked row is a row of the delivery), so that Spark copies the few unmatched rows to the tasks
    that read the delivery instead of shuffling the whole delivery to meet them (docs/scale.md §1)."""
    key = "x._key" if len(feed.record_key) == 1 else _composite_key_sql(feed, layout, "x.")
    hint = ""
    if any(f in delivered for f in _EXTRA_IDENTITY):
        join = f"JOIN src_{feed.code} s ON s._row = x._row"
        hint = d.broadcast("x")
    else:
        join = ""
    return _unmatched_rows_sql(
        feed,
        f"SELECT {hint} {key} AS record_key, x._uname, x._uraw, x._unid, x._linked, x._date, "
        f"{_extra_identity_sql(feed, delivered, 's')} FROM lnk_{feed.code} x {join} WHERE x.household_no IS NULL",
    )


def _older_ids_sql(d: Dialect, feed: catalogue.Feed, start: date, linked: bool) -> str:
    """The rows of this period's delivery of a feed dated before the rules' windows (`start`): feed number,
    row number, the ID they link by (`_pid`: normalised, or Splink's) and whether Splink linked them."""
    if linked:
        key_id = key_id_from_normalised_sql(NORMALISED_ID_COLUMN, "id_number")
        lkey = f", {record_key_sql(feed, d=d, key_id=key_id)} AS _lkey"
        link_join = f"LEFT JOIN lk ON lk.feed = {lit(feed.code)} AND lk.record_key = r._lkey"
        pid, is_linked = "coalesce(lk.id_number, r._id)", "(lk.id_number IS NOT NULL)"
    else:
        lkey, link_join, pid, is_linked = "", "", "r._id", "FALSE"
    return f"""
  SELECT CAST({_feed_no(feed.code)} AS SMALLINT) AS _f, r._row, {pid} AS _pid, {is_linked} AS _linked
  FROM (
    SELECT _row, {NORMALISED_ID_COLUMN} AS _id{lkey}
    FROM older_{feed.code} WHERE {feed.date_field} < {lit(start)}
  ) r {link_join}"""


# The older rows of this period's deliveries (see `screen`'s period_feeds) that match nobody: all feeds'
# rows against the persons' ID numbers at once (one hash table of 2.5 M numbers, not one per feed).
# NOT EXISTS, an anti-join on the ID number in both engines; `_pid IS NULL OR _pid NOT IN (…)` (the same
# rows) is a nested-loop join of every older row with every person in Spark (docs/scale.md §1).
_OLDER_UNMATCHED_SQL = """
SELECT o._f, o._row, o._pid, o._linked FROM ({rows}) o
WHERE NOT EXISTS (SELECT 1 FROM src_persons s WHERE s.id_number = o._pid)"""


def _older_unmatched_sql(d: Dialect, feed: catalogue.Feed, delivered: set[str]) -> str:
    """应纳未纳 rows of a feed from `older_unmatched`, with the delivered columns read back by row number."""
    key = record_key_sql(
        feed, "s.", d, key_id=key_id_from_normalised_sql(f"s.{NORMALISED_ID_COLUMN}", "s.id_number")
    )
    return _unmatched_rows_sql(
        feed,
        f"""
  SELECT {d.broadcast("u")} {key} AS record_key, s.name AS _uname, s.id_number AS _uraw, u._pid AS _unid, u._linked,
         s.{feed.date_field} AS _date, {_extra_identity_sql(feed, delivered, "s")}
  FROM older_unmatched u JOIN older_{feed.code} s ON s._row = u._row
  WHERE u._f = {_feed_no(feed.code)}""",
    )


def _water_sql() -> str:
    feed = catalogue.feed("water")
    return f"""
SELECT * FROM (
  SELECT *, {record_key_sql(feed)} AS _key, row_number() OVER (PARTITION BY {record_key_sql(feed)} ORDER BY _row) AS _rn
  FROM src_water
) r WHERE _rn = 1"""


def _water_unmatched_sql() -> str:
    feed = catalogue.feed("water")
    return f"""
SELECT 'water' AS feed, {lit(feed.name)} AS feed_name, {lit(feed.department)} AS department, w._key AS record_key,
       CAST(NULL AS STRING) AS name, CAST(NULL AS STRING) AS id_number, CAST(NULL AS STRING) AS id_normalised,
       'village_not_found' AS problem,
       {lit(feed.department + feed.name + "记录:" + PROBLEMS["village_not_found"] + ",列入应纳未纳核查")} AS reason,
       w.start_date AS event_date, CAST(NULL AS STRING) AS sex, CAST(NULL AS DATE) AS birth_date,
       CAST(NULL AS STRING) AS village, w.village_code, CAST(NULL AS STRING) AS phone
FROM fw_water w LEFT JOIN (SELECT DISTINCT village_code FROM hh) v ON v.village_code = w.village_code
WHERE v.village_code IS NULL"""


def _merge_sql(d: Dialect) -> str:
    ev_struct = d.struct([(f.name, f"e.{f.name}") for f in EVIDENCE_STRUCT])
    risk_names = " ".join(f"WHEN {lit(code)} THEN {lit(r.name)}" for code, r in RISK_TYPES.items())
    grade_names = " ".join(f"WHEN {rank} THEN {lit(g)}" for g, rank in GRADES.items())
    # Nearly every alert has one piece of evidence: those are wrapped as they are, and only the alerts
    # with several go through the (ordered, costly) list aggregation.
    return f"""
WITH one AS {d.materialized()}(
  SELECT household_no, risk_code FROM ev_alert GROUP BY household_no, risk_code HAVING count(*) = 1
)
SELECT a.household_no, a.region_code, a.risk_code, CASE a.risk_code {risk_names} ELSE a.risk_code END AS risk_name,
       CASE a.grade_rank {grade_names} END AS grade, a.grade_rank, {d.join_field("a.evidence", "reason", "；")} AS reason,
       a.rule_ids, a.evidence_count, a.evidence
FROM (
  SELECT e.household_no, e.region_code, e.risk_code, e.grade_rank, {d.list_of("e.rule_id")} AS rule_ids,
         CAST(1 AS INT) AS evidence_count, {d.list_of(ev_struct)} AS evidence
  FROM ev_alert e JOIN one o ON o.household_no = e.household_no AND o.risk_code = e.risk_code
  UNION ALL
  SELECT e.household_no, max(e.region_code) AS region_code, e.risk_code, max(e.grade_rank) AS grade_rank,
         {d.sorted_list("e.rule_id", distinct=True)} AS rule_ids, CAST(count(*) AS INT) AS evidence_count,
         {d.sorted_list(ev_struct, empty=False)} AS evidence
  FROM ev_alert e LEFT JOIN one o ON o.household_no = e.household_no AND o.risk_code = e.risk_code
  WHERE o.household_no IS NULL
  GROUP BY e.household_no, e.risk_code
) a
ORDER BY a.household_no, a.risk_code"""


_MONITORED = """EXISTS (
  SELECT 1 FROM mr WHERE mr.household_no = e.household_no
    AND substr(e.risk_code, 1, length(mr.risk_code)) = mr.risk_code)"""


# The entry point ------------------------------------------------------------------------------------


def screen(
    registry: Mapping[str, TableLike],
    feeds: Mapping[str, TableLike],
    rules: list[RuleVersion],
    period: str,
    backend: str | Backend = "duckdb",
    *,
    links: TableLike | None = None,
    monitored_risks: TableLike | None = None,
    period_feeds: Mapping[str, TableLike] | None = None,
    spark: Any = None,
    backend_options: Mapping[str, Any] | None = None,
) -> ScreeningResult:
    """Screen one period.

    registry: {"households", "persons", "incomes"} with the model's field names (persons carry household_no;
      incomes are optional). feeds: {feed code: table}, with the catalogue's Chinese headers (or aliases) or
      its field names. rules: rule versions; per rule and region the highest version valid at the period's
      end is used. links: optional (feed, record_key, id_number) rows from probabilistic linkage, which win
      over the row's own ID. monitored_risks: optional (household_no, risk_code) of monitored households;
      a code covers its sub-codes (02 covers 0201).
    period_feeds: optional {feed code: table} of this period's deliveries (also part of `feeds`). Their rows
      dated before the rules' windows are screened by no run (a run links only its windows' rows, and later
      periods' windows start later), so the ones that match nobody are listed here (应纳未纳), never dropped.
    Inputs may be Arrow tables, Polars frames or Parquet paths.
    """
    period_start, period_end = parse_period(period)
    unknown = sorted(set(feeds) - set(catalogue.FEEDS_BY_CODE))
    if unknown:
        raise ScreeningInputError(f"未知的部门数据类型:{', '.join(unknown)}")
    missing = [t for t in ("households", "persons") if t not in registry]
    if missing:
        raise ScreeningInputError(f"缺少农户信息库表:{', '.join(missing)}")

    be = make_backend(backend, spark=spark, **dict(backend_options or {}))
    d = be.dialect
    try:
        # 1. inputs
        for table in ("households", "persons", "incomes"):
            if table not in registry:
                continue
            # Persons carry their row number: feed rows link to it, an integer that is cheap to group by.
            be.register(f"raw_{table}", registry[table], row_numbers=table == "persons")
            be.view(
                f"src_{table}",
                _canonical_registry_sql(d, table, f"raw_{table}", source_schema(registry[table])),
            )
        if "incomes" not in registry:
            be.view("src_incomes", _empty_incomes_sql())
        delivered = {code: _feed_register(be, code, source, f"src_{code}") for code, source in feeds.items()}
        linked_feeds = _feeds_of(links) if links is not None else set()
        if linked_feeds:
            be.register("raw_links", links)
            be.view(
                "lk",
                "SELECT feed, record_key, min(upper(trim(id_number))) AS id_number FROM raw_links "
                "GROUP BY feed, record_key",
            )
        if monitored_risks is not None:
            be.register("raw_mr", monitored_risks)
            be.view("mr", "SELECT DISTINCT household_no, risk_code FROM raw_mr")
        else:
            be.view(
                "mr",
                "SELECT CAST(NULL AS STRING) AS household_no, CAST(NULL AS STRING) AS risk_code "
                "FROM (SELECT 1 AS one) t WHERE 1 = 0",
            )

        # 2. registry
        # Registry ID numbers are stored normalised by the registry import (18 digits, capital X).
        head_name = "head_name" in source_columns(registry["households"])
        years = (
            be.fetch(
                f"SELECT DISTINCT year FROM src_incomes WHERE year <= {period_start.year} ORDER BY year "
                f"LIMIT {ONE_PASS_INCOME_YEARS + 1}"
            )
            .column(0)
            .to_pylist()
        )
        for hashed in (True, False):
            be.view(
                "pp",
                f"""
SELECT id_number, p_idx, {household_key_sql(d, "household_no", hashed)} AS household_no, name, birth_date,
       coalesce({in_list("labour_skill", LABOURER_SKILLS)}, FALSE) AS p_labourer
FROM src_persons""",
            )
            be.materialise("hh", _hh_sql(d, period_start.year, head_name, years, hashed=hashed))
            # Two registry households whose numbers hash alike (about one chance in 50 million at city
            # scale): the run keys households by their numbers instead.
            if not hashed or be.fetch(HOUSEHOLD_KEY_CLASH_SQL).column(0)[0].as_py() == 0:
                break

        # 3. feeds
        ctx = Ctx(d, period_start, period_end, set(feeds))
        chosen = select_versions(list(rules), period_end)
        person_feeds = [c for c in feeds if catalogue.feed(c).person_key is not None]
        unmatched_parts = []
        if person_feeds:
            layout = _Layout.of({c: needed_fields(catalogue.feed(c), chosen) for c in person_feeds})
            keep = {c: start for c in person_feeds if (start := _keep_from(c, chosen, ctx)) is not None}
            # Build the join's hash table on the persons, never on the (wider, longer) feed rows.
            # Kept per feed, so that each rule reads only its feed's rows.
            be.materialise_split(
                "lnk",
                _linked_sql(d, person_feeds, layout, linked_feeds, keep),
                "_f",
                {code: (_feed_no(code), layout.columns(code)) for code in person_feeds},
                build_right=True,
            )
            for code in person_feeds:
                be.view(f"fm_{code}", _feed_view_sql(code, layout))
                unmatched_parts.append(_unmatched_sql(d, catalogue.feed(code), layout, delivered[code]))
            # Only person feeds of this run that are read with a window have rows before it.
            older = {
                code: _feed_register(be, code, source, f"older_{code}")
                for code, source in (period_feeds or {}).items()
                if code in keep
            }
            if older:
                rows = " UNION ALL ".join(
                    _older_ids_sql(d, catalogue.feed(c), keep[c], c in linked_feeds) for c in older
                )
                be.materialise("older_unmatched", _OLDER_UNMATCHED_SQL.format(rows=rows))
                unmatched_parts += [_older_unmatched_sql(d, catalogue.feed(c), older[c]) for c in older]
        if "water" in feeds:
            be.materialise("fw_water", _water_sql())
            unmatched_parts.append(_water_unmatched_sql())

        # 4. rules
        evidence_parts, run, skipped = [], [], {}
        for rule in chosen:
            logic = LOGICS.get(rule.logic)
            if logic is None:
                raise ScreeningInputError(f"{rule.rule_id}: 未知的规则逻辑 {rule.logic}")
            present = [f for f in rule.feeds if f in feeds]
            if rule.feeds and (not present if logic.any_feed else len(present) < len(rule.feeds)):
                skipped[rule.rule_id] = "本期未报送:" + "、".join(catalogue.feed(f).name for f in rule.feeds)
                continue
            evidence_parts.append(_evidence_sql(rule, ctx, chosen))
            run.append(f"{rule.rule_id}v{rule.version}")
        if evidence_parts:
            be.materialise_union("ev_raw", evidence_parts)
        # 应纳未纳 now: it is the last reader of the linked rows, which are the bulk of the run's memory;
        # dropped, they leave room for what follows (without it the evidence look-up and the merge spill).
        if unmatched_parts:
            unmatched = be.fetch(
                " UNION ALL ".join(f"SELECT * FROM ({p}) u{i}" for i, p in enumerate(unmatched_parts))
                + " ORDER BY feed, record_key"
            )
        else:
            unmatched = UNMATCHED_SCHEMA.empty_table()
        if evidence_parts:
            # The household numbers of the households with evidence, by their key (once each: a number the
            # registry lists twice must not double the evidence again).
            be.materialise(
                "hx",
                "SELECT DISTINCT household_no, household_text FROM hh "
                "WHERE household_no IN (SELECT household_no FROM ev_raw)",
            )
        be.drop(*[f"lnk_{code}" for code in person_feeds], "fw_water", "older_unmatched", "hh")
        if evidence_parts:
            filled = {
                "id_number": "coalesce(p.id_number, '') AS id_number",
                "reason": f"replace(e.reason, {_NAME_MARK_SQL}, coalesce(p.name, '')) AS reason",
            }
            cols = ", ".join(filled.get(f.name, f"e.{f.name}") for f in EVIDENCE_STRUCT)
            # The ID numbers and names of the few persons with evidence: their row numbers hashed, the
            # registry's columns streamed past them; then the (wide) evidence joined to that small list.
            be.materialise(
                "ev",
                f"SELECT x.household_text AS household_no, e.region_code, e.risk_code, e.grade_rank, {cols} "
                "FROM ev_raw e JOIN hx x ON x.household_no = e.household_no LEFT JOIN ("
                "  SELECT p_idx, id_number, name FROM pp WHERE p_idx IN (SELECT p_idx FROM ev_raw)"
                ") p ON p.p_idx = e.p_idx",
            )
        else:
            be.materialise("ev", _empty_evidence_sql(d))
        be.view("ev_alert", f"SELECT * FROM ev e WHERE NOT {_MONITORED}")

        # 5. results
        alerts = be.fetch(_merge_sql(d))
        case_cols = ", ".join(
            ["e.household_no", "e.region_code", "e.risk_code", *[f"e.{f.name}" for f in EVIDENCE_STRUCT]]
        )
        case_evidence = be.fetch(
            f"SELECT {case_cols} FROM ev e WHERE {_MONITORED} "
            "ORDER BY e.household_no, e.risk_code, e.rule_id, e.id_number"
        )
        return ScreeningResult(
            alerts=_conform(alerts, ALERT_SCHEMA),
            unmatched=_conform(unmatched, UNMATCHED_SCHEMA),
            case_evidence=_conform(case_evidence, CASE_EVIDENCE_SCHEMA),
            period=period,
            rules_run=run,
            rules_skipped=skipped,
        )
    finally:
        be.close()


def _feed_register(be: Backend, code: str, source: TableLike, view: str) -> set[str]:
    """Register a feed's rows (with row numbers) and its canonical view `view`; returns the fields the
    delivery has. A delivery whose columns do not fit the catalogue is refused with the reason."""
    be.register(f"raw_{view}", source, row_numbers=True)
    try:
        schema = source_schema(source)
        fields = set(catalogue.header_map(code, schema.names).values())
        be.view(view, _canonical_feed_sql(be.dialect, catalogue.feed(code), f"raw_{view}", schema))
    except catalogue.FeedSchemaError as exc:
        raise ScreeningInputError(str(exc)) from exc
    return fields


def _feeds_of(links: TableLike) -> set[str]:
    """The feeds that have at least one link (the link table is small: read whole)."""
    paths = [links] if isinstance(links, (str, Path)) else links
    if isinstance(paths, (list, tuple)) and paths and all(isinstance(p, (str, Path)) for p in paths):
        table = pa.concat_tables([pq.read_table(p, columns=["feed"]) for p in paths])
    else:
        table = to_arrow(links)
    return {f for f in table.column("feed").unique().to_pylist() if f is not None}


def _empty_evidence_sql(d: Dialect) -> str:
    return (
        "SELECT CAST(NULL AS STRING) AS household_no, CAST(NULL AS STRING) AS region_code, "
        "CAST(NULL AS STRING) AS risk_code, CAST(NULL AS STRING) AS rule_id, CAST(NULL AS INT) AS rule_version, "
        "CAST(NULL AS STRING) AS feed, CAST(NULL AS STRING) AS id_number, "
        f"{d.empty_list()} AS record_keys, CAST(NULL AS DECIMAL(18,2)) AS amount, "
        "CAST(NULL AS DECIMAL(18,2)) AS threshold, CAST(NULL AS STRING) AS grade, CAST(NULL AS INT) AS grade_rank, "
        "CAST(NULL AS STRING) AS reason FROM (SELECT 1 AS one) t WHERE 1 = 0"
    )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    table = table.select(schema.names)
    return table.cast(schema)
