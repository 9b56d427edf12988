"""Employment monitoring data of a generated city (docs/domain.md §23, docs/synthetic.md "Employment and
relocation"): the monthly survey (就业信息摸排) of every worker on the labour roll for the twelve months up to the
period and the twelve months of the base year, 公益性岗位 with their holders and monthly pay, and the few
department rows (教育 毕业, 公安 死亡) the survey's story needs.

The roll is the one of `dixian.employment.roll`, computed here column-wise on the generated tables: a person
of a 脱贫户 or monitored household, with labour skill 普通 / 技能 / 弱劳动力或半劳动力, aged 16–64 on the month's
last day, not in school unless the education feed reports a graduation by then, and not reported dead or moved
out (without a later return) by the 公安 feed. A department row counts for a person when its ID number,
normalised (`dixian.domain.idnumber.normalised_ids`), is the person's: the matching `DepartmentFact` copies.

Consistency with the 人社 feed: from the day of a person's 就业登记 the records say working (with its employer
and place), from a 失业登记 or 社保断缴 not working, until the next row; a handful of records in the period's
month deliberately contradict the latest row (`MISMATCHES`), for the cross-check list (比对).

Everything is drawn from random streams of its own (seed, 23, …), after the feeds, so the population, the
feeds' rows and the ground truth of screening are unchanged by it, and the same seed gives the same files.
Never imports Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from dixian.domain import dictionaries as d
from dixian.domain import employment as e
from dixian.domain.idnumber import normalised_ids

from .population import _school_grade

# ---- calibration (docs/synthetic.md "Employment and relocation") ------------------------------------------

BASE_YEAR = e.DEFAULT_BASE_YEAR
# Registry non-workers who still work locally (零工, 帮扶车间, 公益性岗位): tuned so that about 77 % of the
# roll works in a month (79.5 % of Jiangxi's 脱贫劳动力 in May 2023, docs/domain.md §10).
LOCAL_WORK_SHARE = 0.35
# Out-of-province workers moved nearer, so that the tiers come out 县内 ~40 %, 省内县外 ~25 %, 省外 ~33 %, 国外 ~1 %.
MOVE_NEARER = 0.12
SPRING_RETURN_P = {1: 0.08, 2: 0.22, 3: 0.30, 4: 0.30}  # idle in the Spring Festival month, by tier
GAP_P = 0.02  # any other month idle between jobs
RETURNED_SHARE = 0.025  # of away workers: came home this year (返乡回流) and stayed
WEAK_SHARE = 0.45  # of ordinary labourers aged 16–64 with a chronic illness or a mild disability → 弱劳动力
GRADUATE_SHARE = (
    1.0  # of final-year 中职 / 高职 students of ex-poor and monitored households: all graduate (雨露计划)
)
FIRST_JOB_SHARE = 0.6  # of those graduates, a first job by the period
# The period's month vs the base year's same month, per county: a ratio drawn in this range (the city's
# report: 100.03 %).
RATIO_RANGE = (1.0003, 1.009)
# Deliberate contradictions of the 人社 feed in the period's month, and the demo village's workers left to
# record in it, by scale.
MISMATCHES = {"village": 1, "township": 3, "county": 12, "city": 60}
FALLING_TOWNSHIPS = {"village": 0, "township": 1, "county": 2, "city": 2}
DEMO_TO_RECORD = 3

# Code tables of the matrices (index 0 = none), from the dictionaries so that they stay in step.
TIERS: tuple[str, ...] = ("", e.IN_COUNTY, e.IN_PROVINCE, e.OUT_OF_PROVINCE, e.ABROAD)
CHANNELS: tuple[str, ...] = ("", *(str(v.code) for v in e.CHANNEL.values))
WAGES: tuple[str, ...] = ("", *(str(v.code) for v in e.WAGE_BAND.values))
REASONS: tuple[str, ...] = ("", *(str(v.code) for v in e.NOT_WORKING_REASON.values))
T_COUNTY, T_PROVINCE, T_OUT, T_ABROAD = 1, 2, 3, 4
CH = {code: i for i, code in enumerate(CHANNELS)}
RS = {code: i for i, code in enumerate(REASONS)}

# Channel of a worker's main job by tier (shares), and of local work taken up by a registry non-worker.
CHANNEL_P: dict[int, dict[str, float]] = {
    T_COUNTY: {
        e.SELF: 0.58,
        e.WORKSHOP: 0.12,
        e.FLEXIBLE: 0.13,
        e.ENTREPRENEUR: 0.06,
        e.WORK_RELIEF: 0.04,
        e.LABOUR_EXPORT: 0.03,
        e.OTHER: 0.04,
    },
    T_PROVINCE: {e.SELF: 0.68, e.LABOUR_EXPORT: 0.26, e.ENTREPRENEUR: 0.03, e.OTHER: 0.03},
    T_OUT: {e.SELF: 0.64, e.LABOUR_EXPORT: 0.32, e.ENTREPRENEUR: 0.01, e.OTHER: 0.03},
    T_ABROAD: {e.LABOUR_EXPORT: 0.8, e.SELF: 0.2},
}
LOCAL_CHANNEL_P = {
    e.FLEXIBLE: 0.45,
    e.WORKSHOP: 0.27,
    e.SELF: 0.18,
    e.WORK_RELIEF: 0.05,
    e.ENTREPRENEUR: 0.05,
}
# Monthly wage band by tier (lt1000 … ge8000); 公益性岗位 pay decides its own.
WAGE_P: dict[int, list[float]] = {
    T_COUNTY: [0.03, 0.17, 0.45, 0.30, 0.05, 0.0],
    T_PROVINCE: [0.0, 0.05, 0.25, 0.52, 0.17, 0.01],
    T_OUT: [0.0, 0.02, 0.12, 0.54, 0.29, 0.03],
    T_ABROAD: [0.0, 0.0, 0.0, 0.1, 0.6, 0.3],
}
FLEXIBLE_WAGE_P = [0.25, 0.45, 0.25, 0.05, 0.0, 0.0]
EMPLOYERS: dict[int, tuple[str, ...]] = {
    T_COUNTY: (
        "某建筑公司",
        "某茶业合作社",
        "某物流公司",
        "某制衣厂",
        "某农业合作社",
    ),  # after the county's name
    T_PROVINCE: ("南昌某电子厂", "九江某化工公司", "赣州某家具厂", "南昌某物流公司", "九江某纺织厂"),
    T_OUT: (
        "东莞某电子厂",
        "浙江某服装厂",
        "深圳某电子公司",
        "上海某物业公司",
        "福建某鞋厂",
        "苏州某制造公司",
    ),
    T_ABROAD: ("某对外劳务合作公司(新加坡)", "某对外劳务合作公司(日本)"),
}
# The 人社 feed's 务工地点 → place tier.
FEED_PLACE_TIER = {"县内": T_COUNTY, "省内": T_PROVINCE, "省外": T_OUT, "国外": T_ABROAD}

# 公益性岗位: posts per village (key villages more; about one worker in ten on a post, as Jiangxi's 乡村公益性岗位
# against its employed 脱贫劳动力), monthly pay (元), type and funding shares.
POSTS_PER_VILLAGE = (1, 2)
POSTS_PER_KEY_VILLAGE = (2, 4)
POST_PAY = (500, 600, 800, 1000)
POST_TYPE_P = {
    "cleaning": 0.35,
    "forest": 0.15,
    "road": 0.15,
    "water": 0.1,
    "security": 0.1,
    "care": 0.05,
    "service": 0.1,
}
POST_FUNDING_P = {"bridging": 0.5, "employment_subsidy": 0.35, "village": 0.1, "other": 0.05}

SURVEY_SCHEMA: dict[str, Any] = {
    "id_number": pl.String,
    "household_no": pl.String,
    "region_code": pl.String,
    "month": pl.Date,
    "working": pl.Boolean,
    "place_tier": pl.String,
    "employer": pl.String,
    "channel": pl.String,
    "months_worked": pl.Int16,
    "wage_band": pl.String,
    "not_working_reason": pl.String,
    "willing": pl.Boolean,
    "recorded_on": pl.Date,
}
POSTS_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "region_code": pl.String,
    "name": pl.String,
    "post_type": pl.String,
    "funding": pl.String,
    "monthly_pay": pl.Decimal(10, 2),
    "term_start": pl.Date,
    "term_end": pl.Date,
}
HOLDINGS_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "post_key": pl.String,
    "id_number": pl.String,
    "household_no": pl.String,
    "region_code": pl.String,
    "start": pl.Date,
    "end": pl.Date,
    "end_reason": pl.String,
}
PAYMENTS_SCHEMA: dict[str, Any] = {
    "holding_key": pl.String,
    "region_code": pl.String,
    "month": pl.Date,
    "amount": pl.Decimal(10, 2),
    "paid_on": pl.Date,
}
EMPLOYMENT_TABLES = ("survey", "posts", "holdings", "payments")
EMPLOYMENT_FILES = tuple(f"employment_{name}.parquet" for name in EMPLOYMENT_TABLES)


def months_of(first: dt.date, count: int) -> list[dt.date]:
    return [e.month_add(first, i) for i in range(count)]


def period_month(period: str) -> dt.date:
    year, month = (int(p) for p in period.split("-"))
    return dt.date(year, month, 1)


class PeriodTooEarly(ValueError):
    """A period whose simulated line (from January of the year before it) would reach into the base year."""


def period_check(period: str) -> None:
    """The survey's timeline runs from January of the year before the period's: it must start after the base
    year, or the base year's months and the current line's would be the same records (one per person and
    month, docs/domain.md §23)."""
    last = period_month(period)
    if last.year - 1 <= BASE_YEAR:
        raise PeriodTooEarly(
            f"期间 {period} 过早:就业监测数据从该期间的上一年1月起生成,须全部在基准年({BASE_YEAR}年)之后;"
            f"请使用 {BASE_YEAR + 2}-01 或更晚的期间"
        )


def survey_months(period: str) -> tuple[list[dt.date], list[dt.date]]:
    """(the base year's twelve months, the twelve months up to the period)."""
    last = period_month(period)
    return months_of(dt.date(BASE_YEAR, 1, 1), 12), months_of(e.month_add(last, -11), 12)


def spring_festival_month(year: int) -> int:
    """The month the Spring Festival's return home shows in (the festival's first week)."""
    festival = SPRING_FESTIVAL.get(year, dt.date(year, 2, 1))
    return (festival + dt.timedelta(days=7)).month


SPRING_FESTIVAL = {
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
}


# ---- before the feeds: 弱劳动力 and the 雨露计划 graduates in the registry -----------------------------------


@dataclass
class Graduates:
    """Final-year 中职 / 高职 students of ex-poor and monitored households who graduate in the period's summer."""

    id_numbers: list[str]
    stage: list[str]  # the feed's 学段 (中职 / 高职)
    on: dt.date


def plant_workers(
    *, households: pl.DataFrame, persons: pl.DataFrame, seed: int, period: str
) -> tuple[pl.DataFrame, Graduates]:
    """The registry's labour skills the survey needs, before the feeds follow the registry:

    - 弱劳动力或半劳动力: WEAK_SHARE of the ordinary labourers aged 16–64 with a chronic illness or a mild
      disability (the population marks none, docs/synthetic.md "Calibration");
    - the 雨露计划 graduates of the period's summer: (GRADUATE_SHARE of) the final-year 中职 (grade 12) and 高职
      (grade 15) students of 脱贫户 and monitored households, in households with another labourer, get the
      labour skill 普通劳动力 while the registry still says 中职 / 高职 (docs/domain.md §23: a graduate is on the
      roll from the education feed's graduation day)."""
    rng = np.random.default_rng([seed, 23, 1])
    graduation = dt.date(period_month(period).year, 7, 1)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    years = (np.datetime64(graduation) - birth).astype(np.int64) / 365.2425
    skill = persons["labour_skill"].to_numpy().astype(object)
    health = persons["health_status"].to_numpy().astype(object)
    grade_level = persons["disability_grade"].fill_null(0).to_numpy()
    mild = (health == "chronic") | ((health == "disabled") & (grade_level >= 3))
    weak = (skill == d.LABOUR_ORDINARY) & mild & (years >= 16) & (years < 65)
    weak &= rng.random(len(skill)) < WEAK_SHARE
    skill = np.where(weak, d.LABOUR_WEAK, skill)

    poor = households.select(
        "household_no", ((pl.col("kind") == d.EX_POOR) | (pl.col("monitoring_category") != "")).alias("poor")
    )
    frame = persons.select("household_no").join(poor, on="household_no", how="left")
    in_poor = frame["poor"].fill_null(False).to_numpy()
    status = persons["student_status"].to_numpy().astype(object)
    grade = _school_grade(birth)
    final = ((status == "secondary_vocational") & (grade == 12)) | (
        (status == "higher_vocational") & (grade == 15)
    )
    labourer = np.isin(skill, d.LABOURER_SKILLS)
    hh_codes = persons["household_no"].to_numpy().astype(object)
    with_labour = set(hh_codes[labourer])
    other_labour = np.array([h in with_labour for h in hh_codes], dtype=bool)
    chosen = final & in_poor & other_labour & (rng.random(len(skill)) < GRADUATE_SHARE)
    skill = np.where(chosen, d.LABOUR_ORDINARY, skill)
    persons = persons.with_columns(pl.Series("labour_skill", skill.astype(str), dtype=pl.String))
    index = np.flatnonzero(chosen)
    return persons, Graduates(
        id_numbers=persons["id_number"].gather(index).to_list(),
        stage=["中职" if status[i] == "secondary_vocational" else "高职" for i in index],
        on=graduation,
    )


# ---- after the feeds: the survey, the posts, the rows the story adds to the feeds --------------------------


@dataclass
class EmploymentSet:
    survey: pl.DataFrame
    posts: pl.DataFrame
    holdings: pl.DataFrame
    payments: pl.DataFrame
    # Rows appended to the feeds (canonical field names): 教育 毕业 of the graduates, 公安 死亡 of a post holder.
    feed_rows: dict[str, pl.DataFrame] = field(default_factory=dict)
    feed_drops: dict[str, pl.Expr] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)  # what the manifest reports

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in EMPLOYMENT_TABLES}


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int, table: tuple[str, ...]) -> np.ndarray:
    codes = list(shares)
    p = np.array([shares[c] for c in codes])
    picked = rng.choice(len(codes), size=n, p=p / p.sum())
    return np.array([table.index(c) for c in codes], dtype=np.int8)[picked]


def _matched(feed: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """The feed's rows whose normalised ID number is a registry person's, with that number."""
    if feed.height == 0:
        return feed.with_columns(pl.lit(None, dtype=pl.String).alias("person_id"))
    normal = normalised_ids(feed["id_number"])
    return feed.with_columns(normal.alias("person_id")).filter(pl.col("person_id").is_in(ids.implode()))


def _identity(row: dict[str, Any]) -> dict[str, object]:
    """The identity columns of a registry person as a department sends them (feeds.py `_People.row`)."""
    return {
        "name": row["name"],
        "id_number": row["id_number"],
        "sex": "男" if row["sex"] == "male" else "女",
        "birth_date": row["birth_date"],
        "village_code": row["household_no"][:12],
    }


def _feed_row(frame: pl.DataFrame, rows: list[dict[str, object]]) -> pl.DataFrame:
    """Rows in a feed frame's columns and types (the columns a row does not name are null)."""
    return pl.DataFrame([{c: r.get(c) for c in frame.columns} for r in rows], schema=frame.schema)


def generate_employment(  # noqa: PLR0915 - one story, told in order
    *,
    tree: pl.DataFrame,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    feeds: dict[str, pl.DataFrame],
    truth: pl.DataFrame,
    graduates: Graduates,
    seed: int,
    scale: str,
    period: str,
    demo_village: str,
    say: Any = None,
) -> EmploymentSet:
    say = say or (lambda _m: None)
    rng = np.random.default_rng([seed, 23, 2])
    base_months, current_months = survey_months(period)
    last = current_months[-1]
    # The simulated timelines: the base year, and from January of the year before the period on (so that
    # the months worked of a record of November count the year's earlier months).
    current_line = months_of(dt.date(last.year - 1, 1, 1), 12 + last.month)
    line = base_months + current_line
    n_months = len(line)
    ends = np.array([np.datetime64(e.month_end(m)) for m in line])
    is_current = np.array([i >= 12 for i in range(n_months)])

    hh = households.select(
        "household_no",
        pl.col("region_code").alias("hh_region"),
        ((pl.col("kind") == d.EX_POOR) | (pl.col("monitoring_category") != "")).alias("poor"),
    )
    place_names = tree.select("code", "name")
    people = (
        persons.with_row_index("row")
        .join(hh, on="household_no", how="left")
        .filter(pl.col("poor").fill_null(False) & pl.col("labour_skill").is_in(e.ROLL_SKILLS))
        .with_columns(
            pl.col("hh_region").str.slice(0, 12).alias("village_code"),
            (pl.col("hh_region").str.slice(0, 6) + "000000").alias("county_code"),
        )
        .join(
            place_names.rename({"code": "village_code", "name": "village_name"}),
            on="village_code",
            how="left",
        )
        .join(
            place_names.rename({"code": "county_code", "name": "county_name"}), on="county_code", how="left"
        )
        .with_columns(pl.col("village_name").fill_null(""), pl.col("county_name").fill_null(""))
    )
    n = people.height
    say(f"  就业监测:可能在册的劳动力 {n:,} 人")
    ids = people["id_number"]
    index_of = {v: i for i, v in enumerate(ids.to_list())}
    birth = people["birth_date"].to_numpy().astype("datetime64[D]")
    in_school_codes = [c for stage in d.IN_SCHOOL_STAGES for c in d.STAGE_CODES[stage]]
    in_school = people["student_status"].is_in(in_school_codes).to_numpy()
    skill = people["labour_skill"].to_numpy().astype(object)
    weak = skill == d.LABOUR_WEAK
    male = (people["sex"] == "male").to_numpy()
    region = people["hh_region"].to_numpy().astype(object)
    village = np.array([r[:12] for r in region], dtype=object)

    # ---- departments' rows about these persons (what DepartmentFact will hold) ---------------------------
    # A graduate in a household of a screening event keeps the feed's rows as they are (an R07 event may be
    # that student's autumn row): no 毕业 row, so never on the roll.
    truth_households = truth.filter(pl.col("kind") == "event")["household_no"].drop_nulls().implode()
    grad_people = persons.filter(
        pl.col("id_number").is_in(graduates.id_numbers) & ~pl.col("household_no").is_in(truth_households)
    )
    planted_stage = dict(zip(graduates.id_numbers, graduates.stage, strict=True))
    graduates = Graduates(
        id_numbers=grad_people["id_number"].to_list(),
        stage=[planted_stage[x] for x in grad_people["id_number"].to_list()],
        on=graduates.on,
    )
    stage_of = dict(zip(graduates.id_numbers, graduates.stage, strict=True))
    grad_rows = _feed_row(
        feeds["education"],
        [
            {
                **_identity(row),
                "stage": stage_of[row["id_number"]],
                "enrolment_status": "毕业",
                "status_date": graduates.on - dt.timedelta(days=1),
            }
            for row in grad_people.iter_rows(named=True)
        ],
    )
    education = pl.concat([feeds["education"], grad_rows])
    graduated = _matched(education.filter(pl.col("enrolment_status") == "毕业"), ids)
    grad_day = np.full(n, np.datetime64("NaT", "D"), dtype="datetime64[D]")
    for pid, on in graduated.select("person_id", "status_date").iter_rows():
        i = index_of[pid]
        day = np.datetime64(on)
        if np.isnat(grad_day[i]) or day < grad_day[i]:
            grad_day[i] = day

    # ---- who is on the roll of each month ------------------------------------------------------------------
    age_ok = np.zeros((n, n_months), dtype=bool)
    for j, m in enumerate(line):
        earliest, latest = e.birth_bounds(m, e.DEFAULT_AGE_MIN, e.DEFAULT_AGE_MAX)
        age_ok[:, j] = (birth >= np.datetime64(earliest)) & (birth <= np.datetime64(latest))
    graduated_by = ~np.isnat(grad_day)[:, None] & (grad_day[:, None] <= ends[None, :])
    on_roll = age_ok & (~in_school[:, None] | graduated_by)

    # A post holder who died (the 公安 feed gets the row): chosen with the posts below, but the row must be in
    # before the roll is read, so the posts are drawn first.
    # Holders are on the roll of their start month too (posts.py holding_assign): of working age then (the
    # age bounds widen backwards for the 30-63-year-olds drawn), out of school (students are left out, even
    # graduates), alive (the feeds' names are left out; the planted death comes later).
    posts, holders = _draw_posts(rng, tree, people, on_roll[:, -1] & ~in_school, weak, feeds, truth, last)
    dead_holder = holders.get("dead")
    civil_rows: list[dict[str, object]] = []
    if dead_holder is not None:
        # Five months before the period: inside the feed's twelve months, outside R10's three-month window.
        died_on = e.month_add(last, -5).replace(day=12)
        row = persons.filter(pl.col("id_number") == ids[dead_holder]).row(0, named=True)
        civil_rows.append({**_identity(row), "change_type": "死亡", "change_date": died_on})
    civil_extra = _feed_row(feeds["civil_registry"], civil_rows)
    civil = _matched(pl.concat([feeds["civil_registry"], civil_extra]), ids)
    gone = np.zeros((n, n_months), dtype=bool)
    for pid, rows in civil.sort("change_date").group_by("person_id", maintain_order=True):
        i = index_of[str(pid[0])]
        out_since: np.datetime64 | None = None
        state = np.zeros(n_months, dtype=bool)
        events = rows.select("change_type", "change_date").rows()
        for j, end in enumerate(ends):
            out_since = None
            dead = False
            for kind, on in events:
                day = np.datetime64(on)
                if day > end:
                    break
                if kind == "死亡":
                    dead = True
                elif kind == "迁出":
                    out_since = day
                elif kind == "迁入" and out_since is not None and day > out_since:
                    out_since = None
            state[j] = dead or out_since is not None
        gone[i] = state
    on_roll &= ~gone

    # ---- each person's working life, month by month ------------------------------------------------------------
    reg_tier = people["work_place"].replace_strict({t: k for k, t in enumerate(TIERS)}, default=0).to_numpy()
    reg_months = people["months_worked"].fill_null(0).to_numpy()
    tier = reg_tier.astype(np.int8).copy()
    nearer = (tier == T_OUT) & (rng.random(n) < MOVE_NEARER)
    tier[nearer] = np.where(rng.random(int(nearer.sum())) < 0.25, T_COUNTY, T_PROVINCE)
    local = (tier == 0) & (rng.random(n) < LOCAL_WORK_SHARE * np.where(weak, 0.5, 1.0))
    tier[local] = T_COUNTY
    channel = np.zeros(n, dtype=np.int8)
    for t, shares in CHANNEL_P.items():
        mask = (tier == t) & ~local
        channel[mask] = _pick(rng, shares, int(mask.sum()), CHANNELS)
    channel[local] = _pick(rng, LOCAL_CHANNEL_P, int(local.sum()), CHANNELS)
    wage = np.zeros(n, dtype=np.int8)
    for t, p in WAGE_P.items():
        mask = tier == t
        wage[mask] = 1 + rng.choice(6, size=int(mask.sum()), p=p)
    flexible = channel == CH[e.FLEXIBLE]
    wage[flexible] = 1 + rng.choice(6, size=int(flexible.sum()), p=FLEXIBLE_WAGE_P)
    employer_pick = rng.integers(0, 1_000_000, n)
    # Who does not work: the reason stays with the person (弱劳动力 ill, older ones' age, young mothers' family).
    age_now = (np.datetime64(e.month_end(last)) - birth).astype(np.int64) / 365.2425
    reason = np.full(n, RS["farming"], dtype=np.int8)
    u = rng.random(n)
    reason[u < 0.3] = RS["no_job"]
    reason[(u >= 0.3) & (u < 0.42)] = RS["no_skill"]
    reason[~male & (age_now >= 22) & (age_now < 45) & (rng.random(n) < 0.6)] = RS["family_care"]
    reason[age_now >= 55] = RS["age"]
    reason[weak] = RS["illness"]
    willing_p = np.select(
        [reason == RS["no_job"], reason == RS["no_skill"], reason == RS["family_care"], weak],
        [0.85, 0.7, 0.3, 0.35],
        0.2,
    )
    willing = rng.random(n) < willing_p

    worker = tier > 0
    working = np.repeat(worker[:, None], n_months, axis=1)
    cell_reason = np.repeat(reason[:, None], n_months, axis=1)
    cell_willing = np.repeat(willing[:, None], n_months, axis=1)
    cell_tier = np.repeat(tier[:, None], n_months, axis=1)
    cell_channel = np.repeat(channel[:, None], n_months, axis=1)
    cell_wage = np.repeat(wage[:, None], n_months, axis=1)
    cell_employer = np.full((n, n_months), -1, dtype=np.int32)  # -1: the person's own (tier, pick)
    employers: list[str] = []

    def idle(mask: np.ndarray, why: str, keen: bool | None = True) -> None:
        working[mask] = False
        cell_reason[mask] = RS[why]
        if keen is not None:
            cell_willing[mask] = keen

    month_no = np.array([m.month for m in line])
    years = np.array([m.year for m in line])
    # The Spring Festival: some come home for it and leave again the month after.
    festival = np.array([m.month == spring_festival_month(m.year) for m in line])
    p_home = np.vectorize(lambda t: SPRING_RETURN_P.get(int(t), 0.0))(tier)
    idle(worker[:, None] & festival[None, :] & (rng.random((n, n_months)) < p_home[:, None]), "seasonal")
    # Seasonal workers (few months a year in the registry) sit the winter out, farming.
    seasonal = worker & (reg_months > 0) & (reg_months <= 6)
    winter = np.isin(month_no, (12, 1, 2, 3))
    idle(seasonal[:, None] & winter[None, :] & (rng.random((n, n_months)) < 0.6), "farming")
    idle(worker[:, None] & (rng.random((n, n_months)) < GAP_P), "no_job")
    # Willing idle persons take short local jobs now and then (灵活就业).
    spells = (~worker & willing)[:, None] & (rng.random((n, n_months)) < 0.12)
    working[spells] = True
    cell_tier[spells] = T_COUNTY
    cell_channel[spells] = CH[e.FLEXIBLE]
    cell_wage[spells] = 1 + rng.choice(6, size=int(spells.sum()), p=FLEXIBLE_WAGE_P)
    # 返乡回流: away workers who came home this year and stayed; half of them later took a job near home.
    away = worker & (tier >= T_PROVINCE)
    returned = away & (rng.random(n) < RETURNED_SHARE)
    first_this_year = line.index(dt.date(last.year, 3, 1)) if last.month >= 3 else n_months - 1
    for i in np.flatnonzero(returned).tolist():
        at = int(rng.integers(first_this_year, n_months))
        stay = int(rng.integers(2, 7))
        why = ("family_care", "illness", "no_job")[int(rng.integers(0, 3))]
        working[i, at : at + stay] = False
        cell_reason[i, at : at + stay] = RS[why]
        cell_willing[i, at : at + stay] = why != "illness"
        if at + stay < n_months and rng.random() < 0.5:
            cell_tier[i, at + stay :] = T_COUNTY
            cell_channel[i, at + stay :] = CH[e.SELF] if rng.random() < 0.6 else CH[e.WORKSHOP]
            cell_wage[i, at + stay :] = 3 + int(rng.integers(0, 2))
            working[i, at + stay :] = True
        elif at + stay < n_months:
            working[i, at + stay :] = False
            cell_reason[i, at + stay :] = RS["no_job"]
            cell_willing[i, at + stay :] = True
    # 雨露计划 graduates: a first job for most within the months after graduating.
    grads = np.flatnonzero(~np.isnat(grad_day) & in_school)
    for i in grads.tolist():
        after = np.flatnonzero(is_current & (ends >= grad_day[i]))
        working[i] = False
        cell_reason[i] = RS["no_job"]
        cell_willing[i] = True
        if after.size and rng.random() < FIRST_JOB_SHARE:
            start = int(after[min(int(rng.integers(1, 4)), after.size - 1)])
            away_job = rng.random() < 0.6
            working[i, start:] = True
            cell_tier[i, start:] = T_OUT if away_job else T_COUNTY
            cell_channel[i, start:] = CH[e.LABOUR_EXPORT] if rng.random() < 0.4 else CH[e.SELF]
            cell_wage[i, start:] = 4 if away_job else 3
    # 公益性岗位 holders work their post from the month they took it.
    for i, start, post in holders["current"]:
        from_month = np.flatnonzero(ends >= np.datetime64(start))
        if from_month.size:
            k = int(from_month[0])
            working[i, k:] = True
            cell_tier[i, k:] = T_COUNTY
            cell_channel[i, k:] = CH[e.PUBLIC_POST]
            cell_wage[i, k:] = (
                WAGES.index("lt1000") if post["monthly_pay"] < 1000 else WAGES.index("1000_2000")
            )
            cell_employer[i, k:] = len(employers)
            employers.append(f"{post['village_name']}村民委员会({post['name']})")

    # ---- the 人社 feed decides the months from each of its rows on (docs/domain.md §23, 比对) ------------------
    jobs = _matched(feeds["employment"], ids).sort("event_date")
    has_fact = np.zeros(n, dtype=bool)
    latest_kind: dict[int, str] = {}
    for pid, event, on, employer, place in jobs.select(
        "person_id", "event_type", "event_date", "employer", "work_place"
    ).iter_rows():
        i = index_of[pid]
        has_fact[i] = True
        cols = is_current & (ends >= np.datetime64(on))
        if event == "就业登记":
            working[i, cols] = True
            t = FEED_PLACE_TIER.get(place or "", T_OUT if place else T_COUNTY)
            cell_tier[i, cols] = t
            cell_channel[i, cols] = (
                CH[e.LABOUR_EXPORT] if t >= T_OUT and employer_pick[i] % 3 == 0 else CH[e.SELF]
            )
            if cell_wage[i, cols].min() == 0 or t != tier[i]:
                cell_wage[i, cols] = 1 + int(np.argmax(WAGE_P[t]))
            cell_employer[i, cols] = len(employers)
            employers.append(employer or "")
        else:
            working[i, cols] = False
            cell_reason[i, cols] = RS["no_job"]
            cell_willing[i, cols] = True
        if on <= e.month_end(last):
            latest_kind[i] = event

    working &= on_roll
    records = on_roll.copy()
    records[:, ~np.isin(np.arange(n_months), [*range(12), *range(n_months - 12, n_months)])] = False
    L = n_months - 1  # the period's column  # noqa: N806

    # ---- deliberate contradictions of the 人社 feed in the period's month ------------------------------------
    candidates = [i for i in sorted(latest_kind) if records[i, L]]
    planted = (
        rng.choice(np.array(candidates), size=min(len(candidates), MISMATCHES[scale]), replace=False)
        if candidates
        else np.zeros(0, np.int64)
    )
    for i in planted.tolist():
        if latest_kind[int(i)] == "就业登记":
            working[i, L] = False
            cell_reason[i, L] = RS["family_care"]
            cell_willing[i, L] = False
        else:
            working[i, L] = True
            cell_tier[i, L] = T_COUNTY
            cell_channel[i, L] = CH[e.FLEXIBLE]
            cell_wage[i, L] = max(int(cell_wage[i, L]), 2)
            cell_employer[i, L] = -1

    # The demo village's workers still to record in the period's month (a few of its roll).
    demo_rows = np.flatnonzero(records[:, L] & (village == demo_village) & ~np.isin(np.arange(n), planted))
    left_to_record = 0
    if demo_rows.size > DEMO_TO_RECORD * 3:
        records[rng.choice(demo_rows, size=DEMO_TO_RECORD, replace=False), L] = False
        left_to_record = DEMO_TO_RECORD

    # ---- the period's month: one or two townships fall, the others hold (调度) ----------------------------------
    township = np.array([r[:9] for r in region], dtype=object)
    free = ~has_fact & ~np.isin(np.arange(n), [h[0] for h in holders["current"]])
    free &= records[:, L] & records[:, L - 1]
    counted = working & records
    falling = _falling_townships(rng, township, counted, free, scale, demo_village, L)
    for code in sorted(set(township[records[:, L]])):
        members = township == code
        before, now = int(counted[members, L - 1].sum()), int(counted[members, L].sum())
        if code in falling:
            pool = np.flatnonzero(members & free & counted[:, L] & counted[:, L - 1])
            drop = rng.choice(pool, size=min(pool.size, max(2, round(0.04 * now))), replace=False)
            working[drop, L] = False
            cell_reason[drop, L] = RS["family_care"]
            cell_willing[drop, L] = True
        elif now < before:
            pool = np.flatnonzero(members & free & ~counted[:, L])
            take = rng.choice(pool, size=min(pool.size, before - now), replace=False)
            working[take, L] = True
            cell_tier[take, L] = T_COUNTY
            cell_channel[take, L] = CH[e.FLEXIBLE]
            cell_wage[take, L] = np.maximum(cell_wage[take, L], 2)
            cell_employer[take, L] = -1

    # ---- the base year: each county's count a little under the period's year's, month by month -----------------
    county = np.array([r[:6] for r in region], dtype=object)
    for code in sorted(set(county)):
        in_county = county == code
        for k in range(12):
            cur = int((working[:, n_months - 12 + k] & records[:, n_months - 12 + k] & in_county).sum())
            base_col = int(current_months[k].month) - 1
            have = working[:, base_col] & records[:, base_col] & in_county
            target = round(cur / rng.uniform(*RATIO_RANGE))
            diff = int(have.sum()) - target
            if diff > 0:
                pool = np.flatnonzero(have & ~np.isin(cell_channel[:, base_col], [CH[e.PUBLIC_POST]]))
                drop = rng.choice(pool, size=min(pool.size, diff), replace=False)
                working[drop, base_col] = False
                cell_reason[drop, base_col] = (
                    RS["seasonal"]
                    if festival[base_col]
                    else np.where(weak[drop], RS["illness"], RS["no_job"])
                )
                cell_willing[drop, base_col] = True
            elif diff < 0:
                pool = np.flatnonzero(in_county & records[:, base_col] & ~working[:, base_col] & ~weak)
                take = rng.choice(pool, size=min(pool.size, -diff), replace=False)
                working[take, base_col] = True
                cell_tier[take, base_col] = T_COUNTY
                cell_channel[take, base_col] = CH[e.FLEXIBLE]
                cell_wage[take, base_col] = np.maximum(cell_wage[take, base_col], 2)
                cell_employer[take, base_col] = -1

    # Months worked this year: the count of the year's working months up to the record's.
    months_worked = np.zeros((n, n_months), dtype=np.int16)
    for year in sorted(set(years.tolist())):
        year_cols = np.flatnonzero(years == year)
        months_worked[:, year_cols] = np.cumsum(working[:, year_cols], axis=1)

    survey = _survey_frame(
        people=people,
        line=line,
        records=records,
        working=working,
        tier=cell_tier,
        channel=cell_channel,
        wage=cell_wage,
        reason=cell_reason,
        willing=cell_willing,
        months_worked=months_worked,
        employer=cell_employer,
        employers=employers,
        rng=rng,
    )
    holdings, payments = _holdings_and_payments(
        posts, holders, ids, people, current_months, dead_holder, civil_rows
    )
    facts = {
        "mismatches": len(planted),
        "graduates": len(graduates.id_numbers),
        "falling_townships": len(falling),
        "post_holder_deaths": len(civil_rows),
        "left_to_record": left_to_record,
    }
    drops: dict[str, pl.Expr] = {}
    if graduates.id_numbers:
        # A graduate's autumn row no longer says 在读.
        # (A row without an ID number — a damaged one, which screening must link — is never dropped.)
        drops["education"] = (
            pl.col("id_number").is_in(graduates.id_numbers) & (pl.col("status_date") >= graduates.on)
        ).fill_null(False)
    say(
        f"  就业信息摸排 {survey.height:,} 条,公益性岗位 {posts.height:,} 个,"
        f"雨露计划毕业生 {len(graduates.id_numbers)} 人,人社比对不一致 {len(planted)} 人"
    )
    return EmploymentSet(
        survey=survey,
        posts=posts.drop("village_name"),
        holdings=holdings,
        payments=payments,
        feed_rows={"education": grad_rows, "civil_registry": civil_extra},
        feed_drops=drops,
        facts=facts,
    )


def _falling_townships(
    rng: np.random.Generator,
    township: np.ndarray,
    counted: np.ndarray,
    free: np.ndarray,
    scale: str,
    demo_village: str,
    last: int,
) -> set[str]:
    """The townships whose count falls in the period's month: in the demo county, with 20 or more free workers
    (no 人社 row, no post) working in both months."""
    want = FALLING_TOWNSHIPS[scale]
    if want == 0:
        return set()
    eligible = []
    for code in sorted(set(township[free])):
        members = (township == code) & free & counted[:, last] & counted[:, last - 1]
        if code.startswith(demo_village[:6]) and members.sum() >= 20:
            eligible.append(code)
    if not eligible:
        return set()
    chosen = rng.choice(np.array(eligible, dtype=object), size=min(want, len(eligible)), replace=False)
    return {str(c) for c in chosen}


def _survey_frame(
    *,
    people: pl.DataFrame,
    line: list[dt.date],
    records: np.ndarray,
    working: np.ndarray,
    tier: np.ndarray,
    channel: np.ndarray,
    wage: np.ndarray,
    reason: np.ndarray,
    willing: np.ndarray,
    months_worked: np.ndarray,
    employer: np.ndarray,
    employers: list[str],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """One row per record, columns as the model's (docs/domain.md §23: working ⇒ tier and channel; not working
    ⇒ reason and willingness; months worked ≤ months elapsed)."""
    who, col = np.nonzero(records)
    order = np.lexsort((col, who))
    who, col = who[order], col[order]
    w = working[who, col]
    t = np.where(w, tier[who, col], 0)
    ch = np.where(w, channel[who, col], 0)
    wb = np.where(w, wage[who, col], 0)
    rs = np.where(w, 0, reason[who, col])
    wi = willing[who, col]
    month = np.array([np.datetime64(m) for m in line])[col]
    # The employer: the 人社 row's or the post's; else by channel and tier, the same for a person throughout
    # (none for 灵活就业 and 自主创业).
    own = employer[who, col]
    village_names = people["village_name"].to_numpy().astype(object)[who]
    county_names = people["county_name"].to_numpy().astype(object)[who]
    pick = (who * 7919 + 13) % 997
    by_tier = np.empty(who.size, dtype=object)
    by_tier[:] = ""
    for k, options in EMPLOYERS.items():
        mask = t == k
        by_tier[mask] = np.array(options, dtype=object)[pick[mask] % len(options)]
    by_tier = np.where(t == T_COUNTY, county_names + by_tier, by_tier)
    table = np.array([*employers, ""], dtype=object)
    names = np.select(
        [
            ~w,
            own >= 0,
            np.isin(ch, [CH[e.FLEXIBLE], CH[e.ENTREPRENEUR]]),
            ch == CH[e.WORKSHOP],
            ch == CH[e.WORK_RELIEF],
        ],
        [
            np.full(who.size, "", dtype=object),
            table[np.where(own >= 0, own, len(employers))],
            np.full(who.size, "", dtype=object),
            village_names + "就业帮扶车间",
            village_names + "以工代赈项目",
        ],
        by_tier,
    )
    # Recorded in the second half of the month (the village's 摸排 day).
    recorded = month + rng.integers(14, 26, who.size).astype("timedelta64[D]")
    frame = pl.DataFrame(
        {
            "id_number": people["id_number"].gather(who),
            "household_no": people["household_no"].gather(who),
            "region_code": people["hh_region"].gather(who),
            "month": month,
            "working": w,
            "place_tier": pl.Series(TIERS).gather(t),
            "employer": pl.Series(names.tolist(), dtype=pl.String),
            "channel": pl.Series(CHANNELS).gather(ch),
            "months_worked": months_worked[who, col].astype(np.int16),
            "wage_band": pl.Series(WAGES).gather(wb),
            "not_working_reason": pl.Series(REASONS).gather(rs),
            "willing": pl.Series(
                [None if x else bool(y) for x, y in zip(w.tolist(), wi.tolist(), strict=True)],
                dtype=pl.Boolean,
            ),
            "recorded_on": recorded,
        }
    )
    return frame.with_columns(pl.col("month").cast(pl.Date), pl.col("recorded_on").cast(pl.Date)).select(
        list(SURVEY_SCHEMA)
    )


def _draw_posts(
    rng: np.random.Generator,
    tree: pl.DataFrame,
    people: pl.DataFrame,
    on_roll_now: np.ndarray,
    weak: np.ndarray,
    feeds: dict[str, pl.DataFrame],
    truth: pl.DataFrame,
    last: dt.date,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Posts of the villages with roll workers; a holder each, 弱劳动力 and older workers first; persons the
    人社 or 公安 feeds name hold none (their records follow the feed). One holder, outside the households
    screening's truth names, dies (the caller adds the row to the 公安 feed)."""
    villages = tree.filter(pl.col("level") == "village").select("code", "name", "is_key_village")
    names = dict(villages.select("code", "name").iter_rows())
    key = dict(villages.select("code", "is_key_village").iter_rows())
    ids = people["id_number"]
    named = set(
        pl.concat(
            [normalised_ids(feeds[f]["id_number"]).drop_nulls() for f in ("employment", "civil_registry")]
        )
        .unique()
        .to_list()
    )
    excluded_households = set(truth["household_no"].drop_nulls().to_list())
    birth = people["birth_date"].to_numpy().astype("datetime64[D]")
    age = (np.datetime64(e.month_end(last)) - birth).astype(np.int64) / 365.2425
    hh_no = people["household_no"].to_numpy().astype(object)
    village = people["hh_region"].str.slice(0, 12).to_numpy().astype(object)
    eligible = (
        on_roll_now & (age >= 30) & (age < 64) & ~np.array([x in named for x in ids.to_list()], dtype=bool)
    )
    weight = np.where(weak, 8.0, np.where(age >= 50, 2.0, 0.3)) * eligible
    rows: list[dict[str, Any]] = []
    current: list[tuple[int, dt.date, dict[str, Any]]] = []
    type_codes, type_p = list(POST_TYPE_P), np.array(list(POST_TYPE_P.values()))
    fund_codes, fund_p = list(POST_FUNDING_P), np.array(list(POST_FUNDING_P.values()))
    labels = {str(v.code): v.label for v in e.POST_TYPE.values}
    order = np.argsort(village, kind="stable")
    bounds = np.flatnonzero(np.r_[True, village[order][1:] != village[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        members = order[a:b]
        code = str(village[members[0]])
        pool = members[weight[members] > 0]
        if code not in names or pool.size == 0:
            continue
        lo, hi = POSTS_PER_KEY_VILLAGE if key.get(code) else POSTS_PER_VILLAGE
        count = min(int(rng.integers(lo, hi + 1)), pool.size)
        p = weight[pool] / weight[pool].sum()
        chosen = rng.choice(pool, size=count, replace=False, p=p)
        for serial, i in enumerate(chosen, start=1):
            post_type = type_codes[int(rng.choice(len(type_codes), p=type_p))]
            post = {
                "key": f"{code}-G{serial:02d}",
                "region_code": code,
                "name": f"{labels[post_type]}{serial}号岗",
                "post_type": post_type,
                "funding": fund_codes[int(rng.choice(len(fund_codes), p=fund_p))],
                "monthly_pay": POST_PAY[int(rng.integers(0, len(POST_PAY)))],
                "term_start": None,
                "term_end": dt.date(last.year, 12, 31),
                "village_name": names[code],
            }
            # The holding starts 2-39 months before the period; the post's term runs from the holding's
            # first day to the end of the period's year, so the holding and its pay lie inside it
            # (posts.py holding_assign / payment_record, docs/domain.md §23).
            start = e.month_add(last, -int(rng.integers(2, 40)))
            post["term_start"] = start
            rows.append(post)
            current.append((int(i), start, post))
    posts = pl.DataFrame(
        [{**r, "monthly_pay": f"{r['monthly_pay']}.00"} for r in rows],
        schema={**POSTS_SCHEMA, "monthly_pay": pl.String, "village_name": pl.String},
    ).with_columns(pl.col("monthly_pay").cast(pl.Decimal(10, 2)))
    # The holder who died: the first one whose post started before the period's year.
    dead = None
    for i, start, _post in current:
        if start < dt.date(last.year, 1, 1) and hh_no[i] not in excluded_households:
            dead = i
            break
    return posts, {"current": current, "dead": dead}


def _holdings_and_payments(
    posts: pl.DataFrame,
    holders: dict[str, Any],
    ids: pl.Series,
    people: pl.DataFrame,
    months: list[dt.date],
    dead: int | None,
    civil_rows: list[dict[str, object]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The current holding of each post (open: the holder who died is still on it, a finding) and its monthly
    pay over the survey months from its start, paid on the 25th; none from the month of a death on."""
    died_on = civil_rows[0]["change_date"] if civil_rows else None
    stop = dt.date(died_on.year, died_on.month, 1) if isinstance(died_on, dt.date) else None
    holdings, payments = [], []
    hh_no = people["household_no"]
    for i, start, post in holders["current"]:
        key = f"{post['key']}-1"
        holdings.append(
            {
                "key": key,
                "post_key": post["key"],
                "id_number": ids[i],
                "household_no": hh_no[i],
                "region_code": post["region_code"],
                "start": start,
                "end": None,
                "end_reason": "",
            }
        )
        for month in months:
            if month < start or (i == dead and stop is not None and month >= stop):
                continue
            payments.append(
                {
                    "holding_key": key,
                    "region_code": post["region_code"],
                    "month": month,
                    "amount": f"{post['monthly_pay']}.00",
                    "paid_on": month.replace(day=25),
                }
            )
    return (
        pl.DataFrame(holdings, schema=HOLDINGS_SCHEMA),
        pl.DataFrame(payments, schema={**PAYMENTS_SCHEMA, "amount": pl.String}).with_columns(
            pl.col("amount").cast(pl.Decimal(10, 2))
        ),
    )
