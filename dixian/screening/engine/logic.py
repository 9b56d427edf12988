"""How each rule is computed: one SQL builder per logic, parameterised by the rule version's data.

A builder returns one SELECT (valid in DuckDB and in Spark SQL through the `Dialect` helpers) over the
engine's prepared tables:

- `hh`: one row per household with its latest income (`income_year`, `net_income`, `per_capita`), the
  previous year's per-capita income (`prev_per_capita`), `labourers`, `monitored`, `low_threshold`
  (脱贫户 or monitored) and `village_code`;
- `fm_<feed>`: the feed's rows (deduplicated by record key) that matched a registry person, with the
  feed's date column and the columns listed in `Logic.uses`, `_key` (record key), `p_idx` (the person's
  row in the registry), `household_no`, `p_birth_date`, `p_labourer`. Only rows inside the longest
  window of the rules on that feed are there;
- `pp`: the registry's persons (`p_idx`, `id_number`, `name`, `household_no`, …), for the few look-ups
  that need more than the linked rows carry;
- `fw_water`: the water feed deduplicated (it is keyed by village, not by person).

`household_no` in these tables is the household's key (`core.household_key_sql`: a 64-bit hash of its
number, or the number itself), never shown: join and group by it only. Every builder joins its rows to `hh`,
and the engine gives each piece of evidence its household's number back through `hh`.

Each candidate row is one piece of evidence with the columns household_no, region_code, p_idx (NULL for
household-level evidence; the engine looks the ID number up), name (NULL for a person's evidence: the
engine puts the member's registry name into the reason), record_keys, amount, threshold,
risk_code; a boolean `c_<condition>` for every escalation condition; and `p_<placeholder>` for each of
the logic's placeholders.
"""
# ruff: noqa: S608 - this module writes SQL: identifiers come from the catalogue and code, every value
# goes through dialect.lit (quotes doubled, backslashes refused) and every header through Dialect.quote.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dixian.domain.income import line_entries, most_specific_first

from .dialect import Dialect, in_list, lit
from .rules import RuleVersion


class Ctx:
    """What a builder may know about the run: dialect, period and which feeds were delivered."""

    def __init__(self, dialect: Dialect, period_start: date, period_end: date, feeds: set[str]) -> None:
        self.d = dialect
        self.period_start = period_start
        self.period_end = period_end
        self.feeds = feeds

    def window(self, months: int) -> tuple[date, date]:
        months = int(months)
        if months < 1:
            raise ValueError("window_months must be at least 1")
        index = self.period_end.year * 12 + self.period_end.month - 1 - (months - 1)
        return date(index // 12, index % 12 + 1, 1), self.period_end

    def window_label(self, months: int) -> str:
        start, end = self.window(months)
        if (start.year, start.month) == (end.year, end.month):
            return f"{end.year}年{end.month}月"
        if start.year == end.year:
            return f"{end.year}年{start.month}-{end.month}月"
        return f"{start.year}年{start.month}月至{end.year}年{end.month}月"

    def between(self, expr: str, months: int) -> str:
        start, end = self.window(months)
        return f"{expr} BETWEEN {lit(start)} AND {lit(end)}"


@dataclass(frozen=True)
class Logic:
    key: str
    build: Callable[[Ctx, RuleVersion], str]
    placeholders: dict[str, str] = field(default_factory=dict)  # name → text | money | date | int
    conditions: tuple[str, ...] = ()
    any_feed: bool = False  # True: runs when at least one of the rule's feeds is present (else all)
    # The feed columns the logic reads (beyond name, id_number, record key and date): only these are carried
    # through linking, which keeps the linked tables narrow at city scale.
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _hh_join(alias: str = "f") -> str:
    return f"JOIN hh h ON h.household_no = {alias}.household_no"


def _row_evidence(d: Dialect) -> str:
    """The standard columns of evidence made of one feed row of a person."""
    return f"f.household_no, h.region_code, f.p_idx, CAST(NULL AS STRING) AS name, {d.list_of('f._key')} AS record_keys"


# R01 ------------------------------------------------------------------------------------------------


def _medical_out_of_pocket(ctx: Ctx, rule: RuleVersion) -> str:
    d, p = ctx.d, rule.param
    low, ordinary = lit(p("threshold_ex_poor")), lit(p("threshold_ordinary"))
    share = lit(p("red_income_share"))
    visit_filter = (
        f"AND {in_list('f.visit_type', p('visit_types'))}" if rule.params.get("visit_types") else ""
    )
    rows = f"{ctx.between('f.settlement_date', p('window_months'))} {visit_filter}"
    threshold = f"CASE WHEN h.low_threshold THEN {low} ELSE {ordinary} END"
    # Sums per person first (grouped by the integer row number alone: the household's text key would be
    # carried through a million groups), then the rows of the few members over the lowest threshold are
    # read again for their household, the household's threshold and the record keys.
    return f"""
WITH over AS {d.materialized()}(
  SELECT f.p_idx, sum(f.out_of_pocket) AS amount
  FROM fm_medical f WHERE {rows}
  GROUP BY f.p_idx
  HAVING sum(f.out_of_pocket) >= least({low}, {ordinary})
)
SELECT q.*, (q.p_income IS NOT NULL AND q.amount >= {share} * q.p_income) AS c_income_share FROM (
  SELECT f.household_no, h.region_code, f.p_idx, CAST(NULL AS STRING) AS name,
         {d.sorted_list("f._key")} AS record_keys, max(o.amount) AS amount, max({threshold}) AS threshold,
         {lit(rule.risk_code)} AS risk_code,
         max(CASE WHEN h.kind = 'ex_poor' THEN '脱贫户' WHEN h.monitored THEN '监测户' ELSE '一般农户' END) AS p_kind,
         max(h.net_income) AS p_income
  FROM over o JOIN fm_medical f ON f.p_idx = o.p_idx {_hh_join()}
  WHERE {rows} AND o.amount >= {threshold}
  GROUP BY f.household_no, h.region_code, f.p_idx
) q"""


# R02 ------------------------------------------------------------------------------------------------


def _medical_chronic_monthly(ctx: Ctx, rule: RuleVersion) -> str:
    d, p = ctx.d, rule.param
    return f"""
SELECT q.household_no, q.region_code, q.p_idx, q.name, q.record_keys, q.amount,
       {lit(p("threshold"))} AS threshold, {lit(rule.risk_code)} AS risk_code,
       CAST(q.y AS STRING) || '年' || CAST(q.m AS STRING) || '月' AS p_month
FROM (
  SELECT f.household_no, h.region_code, f.p_idx, CAST(NULL AS STRING) AS name,
         {d.sorted_list("f._key")} AS record_keys, sum(f.out_of_pocket) AS amount,
         year(f.settlement_date) AS y, month(f.settlement_date) AS m
  FROM fm_medical f {_hh_join()}
  WHERE f.visit_type = {lit(p("visit_type"))} AND {ctx.between("f.settlement_date", p("window_months"))}
  GROUP BY f.household_no, h.region_code, f.p_idx, year(f.settlement_date), month(f.settlement_date)
  HAVING sum(f.out_of_pocket) >= {lit(p("threshold"))}
) q"""


# R03 ------------------------------------------------------------------------------------------------


def _major_illness_case(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    return f"""
SELECT {_row_evidence(ctx.d)}, CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.diagnosis_date AS p_date, f.disease AS p_disease, f.hospital AS p_hospital
FROM fm_major_illness f {_hh_join()}
WHERE {ctx.between("f.diagnosis_date", p("window_months"))}"""


# R04 ------------------------------------------------------------------------------------------------


def _severe_disability(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    return f"""
SELECT {_row_evidence(ctx.d)}, CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.issue_date AS p_date, f.disability_grade AS p_disability_grade,
       f.disability_category AS p_disability_category,
       (f.p_labourer AND h.labourers = 1) AS c_only_labourer
FROM fm_disability f {_hh_join()}
WHERE {in_list("f.disability_grade", p("grades"))} AND coalesce(f.change_type, '新办') = '新办'
  AND {ctx.between("f.issue_date", p("window_months"))}"""


# R05 ------------------------------------------------------------------------------------------------


def _assistance_granted(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    unmonitored = "AND NOT h.monitored" if rule.params.get("only_unmonitored") else ""
    return f"""
SELECT {_row_evidence(ctx.d)}, f.amount AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.effective_date AS p_date, f.assistance_type AS p_assistance_type
FROM fm_assistance f {_hh_join()}
WHERE {in_list("f.assistance_type", p("assistance_types"))} AND f.change_type = '新增'
  AND {ctx.between("f.effective_date", p("window_months"))} {unmonitored}"""


# R06 ------------------------------------------------------------------------------------------------


def _dropout(ctx: Ctx, rule: RuleVersion) -> str:
    p, d = rule.param, ctx.d
    birth = "coalesce(f.p_birth_date, f.birth_date)"
    age = d.age(birth, "f.status_date")
    return f"""
SELECT {_row_evidence(d)}, CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.status_date AS p_date, {age} AS p_age, f.stage AS p_stage
FROM fm_education f {_hh_join()}
WHERE f.enrolment_status = '辍学' AND {ctx.between("f.status_date", p("window_months"))}
  AND {age} BETWEEN {lit(p("min_age"))} AND {lit(p("max_age"))}"""


# R07 ------------------------------------------------------------------------------------------------


def _school_fees(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    return f"""
SELECT {_row_evidence(ctx.d)}, f.fees AS amount, {lit(p("threshold"))} AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.stage AS p_stage, f.status_date AS p_date
FROM fm_education f {_hh_join()}
WHERE f.fees > {lit(p("threshold"))} AND {ctx.between("f.status_date", p("window_months"))}"""


# R08 ------------------------------------------------------------------------------------------------


def _housing_unsafe(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    return f"""
SELECT {_row_evidence(ctx.d)}, CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.appraisal_date AS p_date, f.grade AS p_housing_grade,
       f.address AS p_address
FROM fm_housing f {_hh_join()}
WHERE {in_list("f.grade", p("grades"))} AND {ctx.between("f.appraisal_date", p("window_months"))}"""


# R09 ------------------------------------------------------------------------------------------------


def _case_map(expr: str, mapping: dict[str, str], default: str) -> str:
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} ELSE {lit(default)} END" if whens else lit(default)


def _disaster_loss(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    share = lit(p("red_income_share"))
    risk = _case_map("f.disaster_type", dict(rule.params.get("risk_codes", {})), rule.risk_code)
    return f"""
SELECT {_row_evidence(ctx.d)}, f.loss AS amount, {lit(p("loss_threshold"))} AS threshold, {risk} AS risk_code,
       f.occurred_on AS p_date, f.disaster_type AS p_disaster_type, h.net_income AS p_income,
       CASE WHEN f.house_damaged = '是' THEN ',房屋倒损' ELSE '' END AS p_house_damage,
       (h.net_income IS NOT NULL AND f.loss >= {share} * h.net_income) AS c_income_share
FROM fm_disaster f {_hh_join()}
WHERE (f.loss >= {lit(p("loss_threshold"))} OR f.house_damaged = '是')
  AND {ctx.between("f.occurred_on", p("window_months"))}"""


# R10 ------------------------------------------------------------------------------------------------


def _labourer_death(ctx: Ctx, rule: RuleVersion) -> str:
    p, d = rule.param, ctx.d
    age = d.age("f.p_birth_date", "f.change_date")
    return f"""
SELECT {_row_evidence(d)}, CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.change_date AS p_date, {age} AS p_age,
       (h.labourers - coalesce(g.dead, 0) <= 0) AS c_no_labourer_left
FROM fm_civil_registry f {_hh_join()}
LEFT JOIN (
  SELECT household_no, count(DISTINCT p_idx) AS dead FROM fm_civil_registry
  WHERE change_type = '死亡' AND p_labourer AND change_date <= {lit(ctx.period_end)}
  GROUP BY household_no
) g ON g.household_no = f.household_no
WHERE f.change_type = '死亡' AND f.p_labourer AND {ctx.between("f.change_date", p("window_months"))}
  AND {age} BETWEEN {lit(p("min_age"))} AND {lit(p("max_age"))}"""


# R11 ------------------------------------------------------------------------------------------------


def _all_labourers_jobless(ctx: Ctx, rule: RuleVersion) -> str:
    p, d = rule.param, ctx.d
    bad = in_list("f.event_type", p("event_types"))
    window = ctx.between("f.event_date", p("window_months"))
    return f"""
WITH per_person AS (
  SELECT f.household_no, f.p_idx,
         max(CASE WHEN {bad} THEN f.event_date END) AS bad_date,
         max(CASE WHEN f.event_type = {lit(p("reemployed_type"))} THEN f.event_date END) AS ok_date
  FROM fm_employment f WHERE f.p_labourer AND {window}
  GROUP BY f.household_no, f.p_idx
), jobless AS (
  SELECT household_no, p_idx FROM per_person WHERE bad_date IS NOT NULL AND (ok_date IS NULL OR ok_date < bad_date)
)
SELECT f.household_no, h.region_code, CAST(NULL AS BIGINT) AS p_idx, max(h.head_name) AS name,
       {d.sorted_list("f._key")} AS record_keys, CAST(count(DISTINCT f.p_idx) AS DECIMAL(18,2)) AS amount,
       CAST(h.labourers AS DECIMAL(18,2)) AS threshold, {lit(rule.risk_code)} AS risk_code,
       {d.join(d.sorted_list("n.name", distinct=True), "、")} AS p_names
FROM fm_employment f
JOIN jobless j ON j.household_no = f.household_no AND j.p_idx = f.p_idx
JOIN (SELECT p_idx, name FROM pp WHERE p_idx IN (SELECT p_idx FROM jobless)) n ON n.p_idx = f.p_idx
{_hh_join()}
WHERE {bad} AND {window}
GROUP BY f.household_no, h.region_code, h.labourers
HAVING h.labourers > 0 AND count(DISTINCT f.p_idx) >= h.labourers"""


# R12 / R13 ------------------------------------------------------------------------------------------


def _income_line_expr(rule: RuleVersion) -> str:
    """The line for (h.region_code, h.income_year): the most specific region's entry wins
    (`domain.income.income_line` in SQL: the first matching WHEN is the most specific entry)."""
    whens = []
    for region, year, amount in (
        (e.region, e.year, e.amount) for e in most_specific_first(line_entries(rule.param("income_line")))
    ):
        cond = f"h.income_year = {year}"
        if region:
            cond += f" AND substr(h.region_code, 1, {len(region)}) = {lit(region)}"
        whens.append(f"WHEN {cond} THEN {lit(amount)}")
    return f"CAST(CASE {' '.join(whens)} END AS DECIMAL(18,2))" if whens else "CAST(NULL AS DECIMAL(18,2))"


def _income_below_line(ctx: Ctx, rule: RuleVersion) -> str:
    d = ctx.d
    line = _income_line_expr(rule)
    unmonitored = "AND NOT h.monitored" if rule.params.get("only_unmonitored") else ""
    return f"""
SELECT h.household_no, h.region_code, CAST(NULL AS BIGINT) AS p_idx, h.head_name AS name,
       {d.list_of("'incomes:' || CAST(h.income_year AS STRING)")} AS record_keys,
       h.per_capita AS amount, {line} AS threshold, {lit(rule.risk_code)} AS risk_code, h.income_year AS p_year
FROM hh h
WHERE h.per_capita IS NOT NULL AND h.per_capita < {line} {unmonitored}"""


def _income_drop(ctx: Ctx, rule: RuleVersion) -> str:
    d = ctx.d
    keep = Decimal(1) - Decimal(str(rule.param("drop_share")))
    pct = d.intdiv(
        "CAST((h.prev_per_capita - h.per_capita) * 10000 AS BIGINT)",
        "CAST(h.prev_per_capita * 100 AS BIGINT)",
    )
    return f"""
SELECT h.household_no, h.region_code, CAST(NULL AS BIGINT) AS p_idx, h.head_name AS name,
       {d.list_of("'incomes:' || CAST(h.income_year - 1 AS STRING)", "'incomes:' || CAST(h.income_year AS STRING)")}
         AS record_keys,
       h.per_capita AS amount, h.prev_per_capita AS threshold, {lit(rule.risk_code)} AS risk_code,
       h.income_year AS p_year, {pct} AS p_drop_percent
FROM hh h
WHERE h.prev_per_capita > 0 AND h.per_capita <= {lit(keep)} * h.prev_per_capita"""


# R14 ------------------------------------------------------------------------------------------------


def _rigid_expenditure(ctx: Ctx, rule: RuleVersion) -> str:
    d, p = ctx.d, rule.param
    med_rows = f"{ctx.between('settlement_date', p('window_months'))} AND out_of_pocket > 0"
    edu_rows = f"{ctx.between('status_date', p('window_months'))} AND fees > 0"
    sums, joins, present, keys = [], [], [], []
    for alias, column, feed, rows, amount in (
        ("m", "med", "medical", med_rows, "out_of_pocket"),
        ("e", "edu", "education", edu_rows, "fees"),
    ):
        if feed not in ctx.feeds:
            sums.append(f"CAST(0 AS DECIMAL(18,2)) AS {column}")
            continue
        sums.append(f"coalesce({alias}.{column}, CAST(0 AS DECIMAL(18,2))) AS {column}")
        joins.append(f"""
  LEFT JOIN (SELECT household_no, sum({amount}) AS {column} FROM fm_{feed} WHERE {rows} GROUP BY household_no
  ) {alias} ON {alias}.household_no = h.household_no""")
        present.append(f"{alias}.household_no IS NOT NULL")
        keys.append(f"""
  SELECT household_no, '{feed}:' || _key AS k FROM fm_{feed}
  WHERE {rows} AND household_no IN (SELECT household_no FROM hit)""")
    # Sums per household and feed, joined to the households (one hash table each, where the sums of both
    # feeds grouped again would hash 700 k households a second time); the record keys are listed for the
    # households over their income only.
    return f"""
WITH hit AS {d.materialized()}(
  SELECT household_no, region_code, head_name, net_income, med, edu FROM (
    SELECT h.household_no, h.region_code, h.head_name, h.net_income, {", ".join(sums)}
    FROM hh h{"".join(joins)}
    WHERE h.net_income IS NOT NULL AND ({" OR ".join(present)})
  ) t
  WHERE med + edu > net_income
)
SELECT t.household_no, t.region_code, CAST(NULL AS BIGINT) AS p_idx, t.head_name AS name,
       k.record_keys, t.med + t.edu AS amount, t.net_income AS threshold,
       {lit(rule.risk_code)} AS risk_code, t.med AS p_medical, t.edu AS p_school
FROM hit t JOIN (
  SELECT household_no, {d.sorted_list("k")} AS record_keys FROM ({" UNION ALL ".join(keys)}
  ) x GROUP BY household_no
) k ON k.household_no = t.household_no"""


# R15 ------------------------------------------------------------------------------------------------


def _loan_overdue(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    return f"""
SELECT {_row_evidence(ctx.d)}, f.overdue_amount AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, f.data_date AS p_date, f.overdue_days AS p_days
FROM fm_loan f {_hh_join()}
WHERE {in_list("f.loan_type", p("loan_types"))} AND f.overdue_days >= {lit(p("min_days"))}
  AND {ctx.between("f.data_date", p("window_months"))}"""


# R16 ------------------------------------------------------------------------------------------------


def _petition_hardship(ctx: Ctx, rule: RuleVersion) -> str:
    p = rule.param
    codes = dict(p("risk_codes"))
    return f"""
SELECT {_row_evidence(ctx.d)}, CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {_case_map("f.category", codes, rule.risk_code)} AS risk_code, f.visit_date AS p_date,
       f.category AS p_category, coalesce(f.summary, '') AS p_summary
FROM fm_petition f {_hh_join()}
WHERE {in_list("f.category", codes)} AND {ctx.between("f.visit_date", p("window_months"))}"""


# R17 ------------------------------------------------------------------------------------------------


def _water_outage(ctx: Ctx, rule: RuleVersion) -> str:
    p, d = rule.param, ctx.d
    start, end = ctx.window(p("window_months"))
    until = f"coalesce(w.end_date, {lit(end)})"
    days = d.days_between("w.start_date", until)
    return f"""
SELECT h.household_no, h.region_code, CAST(NULL AS BIGINT) AS p_idx, h.head_name AS name, {d.list_of("w._key")} AS record_keys,
       CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS DECIMAL(18,2)) AS threshold,
       {lit(rule.risk_code)} AS risk_code, w.start_date AS p_start, w.event_type AS p_event_type, {days} AS p_days
FROM fw_water w JOIN hh h ON h.village_code = w.village_code
WHERE {in_list("w.event_type", p("event_types"))} AND {days} >= {lit(p("min_days"))}
  AND w.start_date <= {lit(end)} AND {until} >= {lit(start)}
  AND (h.kind = 'ex_poor' OR h.monitored)"""


_DATE = {"date": "date"}
_MED: dict[str, tuple[str, ...]] = {"medical": ("visit_type", "settlement_date", "out_of_pocket")}
LOGICS: dict[str, Logic] = {
    lg.key: lg
    for lg in (
        Logic(
            "medical_out_of_pocket",
            _medical_out_of_pocket,
            {"kind": "text", "income": "money"},
            ("income_share",),
            uses=_MED,
        ),
        Logic("medical_chronic_monthly", _medical_chronic_monthly, {"month": "text"}, uses=_MED),
        Logic(
            "major_illness_case",
            _major_illness_case,
            {**_DATE, "disease": "text", "hospital": "text"},
            uses={"major_illness": ("diagnosis_date", "disease", "hospital")},
        ),
        Logic(
            "severe_disability",
            _severe_disability,
            {**_DATE, "disability_grade": "text", "disability_category": "text"},
            ("only_labourer",),
            uses={"disability": ("disability_grade", "disability_category", "change_type", "issue_date")},
        ),
        Logic(
            "assistance_granted",
            _assistance_granted,
            {**_DATE, "assistance_type": "text"},
            uses={"assistance": ("assistance_type", "change_type", "effective_date", "amount")},
        ),
        Logic(
            "dropout",
            _dropout,
            {**_DATE, "age": "int", "stage": "text"},
            uses={"education": ("enrolment_status", "status_date", "birth_date", "stage")},
        ),
        Logic(
            "school_fees",
            _school_fees,
            {**_DATE, "stage": "text"},
            uses={"education": ("fees", "status_date", "stage")},
        ),
        Logic(
            "housing_unsafe",
            _housing_unsafe,
            {**_DATE, "housing_grade": "text", "address": "text"},
            uses={"housing": ("grade", "appraisal_date", "address")},
        ),
        Logic(
            "disaster_loss",
            _disaster_loss,
            {**_DATE, "disaster_type": "text", "income": "money", "house_damage": "text"},
            ("income_share",),
            uses={"disaster": ("loss", "house_damaged", "occurred_on", "disaster_type")},
        ),
        Logic(
            "labourer_death",
            _labourer_death,
            {**_DATE, "age": "int"},
            ("no_labourer_left",),
            uses={"civil_registry": ("change_type", "change_date")},
        ),
        Logic(
            "all_labourers_jobless",
            _all_labourers_jobless,
            {"names": "text"},
            uses={"employment": ("event_type", "event_date")},
        ),
        Logic("income_below_line", _income_below_line, {"year": "int"}),
        Logic("income_drop", _income_drop, {"year": "int", "drop_percent": "int"}),
        Logic(
            "rigid_expenditure",
            _rigid_expenditure,
            {"medical": "money", "school": "money"},
            any_feed=True,
            uses={"medical": ("settlement_date", "out_of_pocket"), "education": ("status_date", "fees")},
        ),
        Logic(
            "loan_overdue",
            _loan_overdue,
            {**_DATE, "days": "int"},
            uses={"loan": ("loan_type", "overdue_days", "data_date", "overdue_amount")},
        ),
        Logic(
            "petition_hardship",
            _petition_hardship,
            {**_DATE, "category": "text", "summary": "text"},
            uses={"petition": ("category", "visit_date", "summary")},
        ),
        Logic("water_outage", _water_outage, {"start": "date", "event_type": "text", "days": "int"}),
    )
}
