"""The twelve department feeds of one screening period, with injected events and their ground truth.

`generate_feeds` writes what the departments would send for the demo period (default 2026-10; the
医保 feed carries 12 months of settlements for the 12-month rules) over a generated registry:

- **background rows** (the bulk): ordinary records designed to raise no rule (amounts below every
  threshold, per person, per month and per household; statuses that trigger nothing; qualifying events
  only before the rule's window), so that precision can be measured;
- **injected events**: for each rule R01–R11 and R14–R17 a number of households get the rows that must
  raise exactly that rule (each event in a household of its own, chosen so that it raises nothing else);
  the person's ID number is damaged as departments damage it (missing, 3.60424E+17, one digit mistyped,
  old 15-digit number, full-width digits, spaces) in a share of the events;
- **persons not in the registry**: rows of people the registry does not hold; they must land on the
  应纳未纳 list and raise no alert;
- the **registry-only rules** R12 (income under the line) and R13 (income down ≥ 30 %) hit whatever
  households the generated registry makes eligible: they are derived from the registry into the ground
  truth.

Files (in `feeds/`): `<feed>.parquet` with the departments' Chinese headers (some aliases), typed
columns; for the smaller scales also `<feed>.csv` (UTF-8 with BOM, as a spreadsheet saves it) to upload
by hand. `ground_truth.parquet` lists what the screening must find (see GROUND_TRUTH_SCHEMA).

Everything is drawn column-wise from a random stream of its own (seed, period), so the registry is
unchanged by it and the same seed gives byte-identical files. Never imports Django.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from dixian.domain import catalogue
from dixian.domain.dictionaries import LABOURER_SKILLS, STUDENT_STAGE
from dixian.domain.income import DEMO_INCOME_LINE

from .idnumbers import check_digits

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass

DEFAULT_PERIOD = "2026-10"
DROP_SHARE = 0.3  # R13

# Background rows per registry person (per village for water): about 2.1 rows a person in all, so the
# city (2.5 M persons) gets more than 5 M rows across the 12 feeds.
ROWS_PER_PERSON = {
    "medical": 0.95,
    "education": 0.0,  # two rows a student, see _education_background
    "employment": 0.2,
    "assistance": 0.12,
    "civil_registry": 0.1,
    "loan": 0.12,
    "disability": 0.09,
    "petition": 0.06,
    "major_illness": 0.024,
}
HOUSING_PER_HOUSEHOLD = 0.3
DISASTER_PER_HOUSEHOLD = 0.2
WATER_PER_VILLAGE = 0.3

# Injected events per rule, by scale.
EVENTS_PER_RULE = {"village": 1, "township": 4, "county": 30, "city": 120}
WATER_VILLAGES = {"village": 1, "township": 1, "county": 2, "city": 5}
STRANGERS = {"village": 4, "township": 12, "county": 60, "city": 200}
EVENT_RULES = (
    "R01",
    "R02",
    "R03",
    "R04",
    "R05",
    "R06",
    "R07",
    "R08",
    "R09",
    "R10",
    "R11",
    "R14",
    "R15",
    "R16",
)

# How event IDs are damaged (shares of events). "none", "id15", "fullwidth" and "spaces" are matched by
# the normalised ID number; "missing", "scientific" and "mistyped" need probabilistic linkage.
DAMAGES = ("none", "missing", "scientific", "mistyped", "id15", "fullwidth", "spaces")
DAMAGE_P = np.array([0.52, 0.1, 0.08, 0.1, 0.07, 0.07, 0.06])
LINKAGE_DAMAGES = ("missing", "scientific", "mistyped")
BACKGROUND_DAMAGE_RATE = 0.003  # of background rows; same kinds and shares as the events

# Rules the demo village always gets one ID-clean event of (so the village worker sees line 1).
DEMO_VILLAGE_RULES = ("R01", "R04", "R08", "R09", "R16")

RISK = {
    "R01": "01",
    "R02": "01",
    "R03": "01",
    "R04": "03",
    "R05": "99",
    "R06": "09",
    "R07": "09",
    "R08": "91",
    "R10": "04",
    "R11": "07",
    "R12": "99",
    "R13": "99",
    "R14": "93",
    "R15": "06",
    "R17": "92",
}
DISASTER_RISK = {
    "洪涝": "0201",
    "地质": "0202",
    "干旱": "0203",
    "生物": "0204",
    "气象": "0205",
    "地震": "0206",
    "其他": "0299",
}
PETITION_RISK = {"生活困难": "99", "医疗": "01", "住房": "91"}

# Headers as each department sends them: the canonical header unless an alias is named here.
HEADER_ALIASES: dict[str, dict[str, str]] = {
    "medical": {"name": "参保人姓名", "id_number": "身份证号", "out_of_pocket": "个人自付"},
    "major_illness": {"id_number": "公民身份号码", "disease": "病种名称"},
    "assistance": {"id_number": "身份证号码", "assistance_type": "保障类型"},
    "disability": {"certificate_no": "残疾证号", "id_number": "身份证号"},
    "education": {"id_number": "身份证号", "enrolment_status": "在校状态"},
    "housing": {"id_number": "户主身份证号", "grade": "危房等级"},
    "disaster": {"id_number": "户主身份证号码", "loss": "直接经济损失(元)"},
    "employment": {"id_number": "身份证号码", "event_type": "登记类型"},
    "civil_registry": {"id_number": "公民身份号码"},
    "water": {"village_code": "村级区划代码"},
    "loan": {"name": "客户姓名", "id_number": "身份证号", "overdue_days": "逾期天数(天)"},
    "petition": {"id_number": "身份证号", "category": "诉求类型"},
}

GROUND_TRUTH_SCHEMA = {
    "event": pl.Int32,  # event number (one event may expect several households: R17)
    "kind": pl.String,  # event / registry / not_in_registry
    "rule_id": pl.String,
    "risk_code": pl.String,  # NULL for not_in_registry
    "household_no": pl.String,  # NULL for not_in_registry
    "feed": pl.String,  # NULL for the registry rules
    "name": pl.String,
    "id_number": pl.String,  # as sent in the feed (damaged or not)
    "id_damage": pl.String,  # DAMAGES
    "event_date": pl.Date,
    "village_code": pl.String,
}

_FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_FEED_TYPES: dict[str, pl.DataType | DataTypeClass] = {
    catalogue.TEXT: pl.String,
    catalogue.ID: pl.String,
    catalogue.CHOICE: pl.String,
    catalogue.DATE: pl.Date,
    catalogue.MONEY: pl.Decimal(18, 2),
    catalogue.INT: pl.Int32,
}
STAGE = {
    "preschool": "学前",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "secondary_vocational": "中职",
    "higher_vocational": "高职",
    "undergraduate": "本科",
    "postgraduate": "研究生",
}
FEE_STAGES = ("senior", "secondary_vocational", "higher_vocational", "undergraduate")
DISEASES = ("恶性肿瘤", "尿毒症", "白血病", "重性精神病", "儿童先天性心脏病", "耐多药肺结核")
HOSPITALS = ("修水县人民医院", "九江市第一人民医院", "修水县中医院", "九江学院附属医院")


@dataclass
class FeedSet:
    feeds: dict[str, pl.DataFrame]  # canonical field names, typed
    ground_truth: pl.DataFrame


def period_bounds(period: str) -> tuple[date, date]:
    year, month = (int(x) for x in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def damage_id(number: str, kind: str, rng: np.random.Generator) -> str | None:
    """The ID number as a department's export damages it."""
    if kind == "missing":
        return None
    if kind == "scientific":
        return f"{int(number[:17] + (number[17] if number[17] != 'X' else '0')):.5E}"
    if kind == "mistyped":
        position = int(rng.integers(6, 17))  # a digit of the birth date or order, never the check digit
        digit = (int(number[position]) + int(rng.integers(1, 10))) % 10
        return number[:position] + str(digit) + number[position + 1 :]
    if kind == "id15":
        return number[:6] + number[8:17]
    if kind == "fullwidth":
        return number.translate(_FULL)
    if kind == "spaces":
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    return number


def _damage_kinds(rng: np.random.Generator, n: int) -> np.ndarray:
    cdf = np.cumsum(DAMAGE_P / DAMAGE_P.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(DAMAGES) - 1)


class _Builder:
    """Collects rows per feed (canonical names) and the ground truth while events are injected."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.parts: dict[str, list[pl.DataFrame]] = {f.code: [] for f in catalogue.FEEDS}
        self.rows: dict[str, list[dict[str, object]]] = {f.code: [] for f in catalogue.FEEDS}
        self.truth: list[dict[str, object]] = []
        self.event = 0

    def add(self, code: str, frame: pl.DataFrame) -> None:
        self.parts[code].append(frame)

    def add_row(self, code: str, row: dict[str, object]) -> None:
        """One row built in Python (events): these come before every frame of the feed."""
        self.rows[code].append(row)

    def expect(self, **row: object) -> None:
        self.truth.append({"event": self.event, **row})


def generate_feeds(
    *,
    tree: pl.DataFrame,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    incomes: pl.DataFrame,
    seed: int,
    scale: str,
    period: str = DEFAULT_PERIOD,
    demo_village: str | None = None,
    say: Callable[[str], None] | None = None,
    stranger_county: str = "360424",
    settlement_prefix: str = "JS3604",
) -> FeedSet:
    """`stranger_county`: the county whose made-up ID numbers the persons not in the registry carry (one of
    `persons`' counties, so that none is a registry person's); `settlement_prefix`: of the 医保 结算单号, the
    feed's record key (one per city chunk of a province, so that the chunks' keys never meet)."""
    say = say or (lambda _msg: None)
    start, end = period_bounds(period)
    rng = np.random.default_rng([seed, start.year * 100 + start.month, 12])
    b = _Builder(rng)
    win3, win12 = _months_back(start, 2), _months_back(start, 11)
    history = win12  # background rows span the 12 months up to the period's end

    # ---- registry facts, per household and per person ---------------------------------------------------
    hh_no = households["household_no"]
    n_hh = households.height
    net, per_capita, prev_per_capita = _incomes(households, incomes, start.year)
    kind_ex = (households["kind"] == "ex_poor").to_numpy()
    monitored = (households["monitoring_category"].fill_null("") != "").to_numpy()
    low_threshold = kind_ex | monitored
    hh_village = households["region_code"].str.slice(0, 12).to_numpy()

    hh = hh_no.search_sorted(persons["household_no"]).to_numpy()
    n = persons.height
    male = (persons["sex"] == "male").to_numpy()
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    age_end = _age(birth, np.datetime64(end))
    labourer = persons["labour_skill"].is_in(LABOURER_SKILLS).to_numpy()
    head = (persons["relation"] == "head").to_numpy()
    # The stage of each member (七年级 → junior …, docs/domain.md §18): the feeds speak of stages.
    stage_of = persons["student_status"].replace_strict(STUDENT_STAGE, default="", return_dtype=pl.String)
    student = stage_of.to_numpy()
    in_school = stage_of.is_in(list(STAGE)).to_numpy()
    fee_stage = stage_of.is_in(FEE_STAGES).to_numpy()
    labourers = np.bincount(hh, weights=labourer, minlength=n_hh).astype(np.int64)
    head_of = np.full(n_hh, -1, dtype=np.int64)
    head_of[hh[head]] = np.flatnonzero(head)
    first_labourer = np.full(n_hh, -1, dtype=np.int64)
    lab_rows = np.flatnonzero(labourer)
    first_labourer[hh[lab_rows[::-1]]] = lab_rows[::-1]  # the first labourer of each household wins
    person = _People(
        persons["id_number"],
        persons["name"],
        male,
        persons["birth_date"],
        pl.Series(hh_village[hh], dtype=pl.String),
        rng,
    )

    used = np.zeros(n_hh, dtype=bool)
    per_rule = EVENTS_PER_RULE[scale]

    def take(mask: np.ndarray, k: int, prefer: np.ndarray | None = None) -> np.ndarray:
        """k unused households from mask (from `prefer` first), marked used."""
        chosen: list[int] = []
        for pool in ([mask & prefer] if prefer is not None else []) + [mask]:
            free = np.flatnonzero(pool & ~used)
            if free.size and len(chosen) < k:
                picked = np.sort(rng.choice(free, size=min(k - len(chosen), free.size), replace=False))
                used[picked] = True
                chosen.extend(picked.tolist())
        return np.array(chosen, dtype=np.int64)

    def members_where(h: int, mask: np.ndarray) -> np.ndarray:
        lo, hi = np.searchsorted(hh, h, side="left"), np.searchsorted(hh, h, side="right")
        return lo + np.flatnonzero(mask[lo:hi])

    def day_in(lo: date, hi: date, k: int = 1) -> np.ndarray:
        span = (hi - lo).days + 1
        return np.datetime64(lo) + rng.integers(0, span, k).astype("timedelta64[D]")

    in_demo = hh_village == demo_village if demo_village else np.zeros(n_hh, dtype=bool)

    # ---- eligibility per rule (households) -----------------------------------------------------------------
    has_member = np.ones(n_hh, dtype=bool)
    child_6_15 = np.bincount(hh, weights=(age_end >= 7) & (age_end <= 14), minlength=n_hh) > 0
    fee_student = np.bincount(hh, weights=fee_stage, minlength=n_hh) > 0
    young_labourer = np.bincount(hh, weights=labourer & (age_end >= 18) & (age_end <= 58), minlength=n_hh) > 0
    adult = np.bincount(hh, weights=(age_end >= 18) & (age_end <= 70), minlength=n_hh) > 0
    eligible = {
        "R01": np.where(low_threshold, net >= 12_000, net >= 34_000),
        "R02": net >= 3_000,
        "R03": has_member,
        "R04": has_member,
        "R05": ~monitored & (head_of >= 0),
        "R06": child_6_15,
        "R07": fee_student & (net >= 20_000),
        "R08": head_of >= 0,
        "R09": head_of >= 0,
        "R10": young_labourer,
        "R11": (labourers >= 1) & (labourers <= 2),
        "R14": (net > 500) & (net <= 4_000),
        "R15": adult & kind_ex,
        "R16": adult,
    }

    # ---- injected events --------------------------------------------------------------------------------------
    say("  注入事件")
    targets: dict[str, np.ndarray] = {}
    for rule in EVENT_RULES:
        demo = (
            take(eligible[rule] & in_demo, 1)
            if demo_village and rule in DEMO_VILLAGE_RULES
            else np.zeros(0, np.int64)
        )
        rest = take(eligible[rule], max(per_rule - len(demo), 0))
        targets[rule] = np.concatenate([demo, rest])
    demo_events = {int(h) for rule in DEMO_VILLAGE_RULES for h in targets[rule][:1] if in_demo[h]}

    everyone = np.ones(n, dtype=bool)
    adult_mask = (age_end >= 18) & (age_end <= 70)
    child_mask = (age_end >= 7) & (age_end <= 14)
    worker_mask = labourer & (age_end >= 18) & (age_end <= 58)
    for rule in EVENT_RULES:
        for h in targets[rule]:
            h = int(h)
            b.event += 1
            damage = "none" if h in demo_events else DAMAGES[int(_damage_kinds(rng, 1)[0])]
            _inject(rule, h, damage, b, person, ctx=locals())

    # R17: outages of 30 days or more in a few villages with 脱贫户 or monitored households.
    at_risk = kind_ex | monitored
    villages_with = np.unique(hh_village[at_risk])
    k = min(WATER_VILLAGES[scale], villages_with.size)
    chosen_villages = (
        np.sort(rng.choice(villages_with, size=k, replace=False)) if k else np.array([], dtype=object)
    )
    if demo_village and demo_village in set(villages_with.tolist()) and demo_village not in chosen_villages:
        chosen_villages = np.concatenate([[demo_village], chosen_villages[1:]]) if k else chosen_villages
    for village in chosen_villages:
        b.event += 1
        # Started early enough to have lasted 35 days by the period's end; half of them still going on.
        started = day_in(win3, end - timedelta(days=35))[0]
        finish = None
        if rng.random() < 0.5:
            finish = min(started + np.timedelta64(int(rng.integers(32, 50)), "D"), np.datetime64(end))
        b.add(
            "water",
            pl.DataFrame(
                {
                    "village_code": pl.Series([str(village)], dtype=pl.String),
                    "event_type": pl.Series([str(rng.choice(["停水", "水量不足"]))], dtype=pl.String),
                    "start_date": _dates([started]),
                    "end_date": pl.Series(
                        [finish.astype(object) if finish is not None else None], dtype=pl.Date
                    ),
                    "households_affected": pl.Series([int(np.sum(hh_village == village))], dtype=pl.Int32),
                }
            ),
        )
        for h in np.flatnonzero((hh_village == village) & at_risk):
            b.expect(
                kind="event",
                rule_id="R17",
                risk_code="92",
                household_no=hh_no[int(h)],
                feed="water",
                name=None,
                id_number=None,
                id_damage="none",
                event_date=started.astype(object),
                village_code=str(village),
            )

    # ---- persons not in the registry ---------------------------------------------------------------------------
    _strangers(b, person, STRANGERS[scale], hh_village, start, end, win3, stranger_county)

    # ---- registry rules R12 / R13: derived from the registry ------------------------------------------------------
    year = _latest_year(incomes, start.year)
    line = DEMO_INCOME_LINE.get(year) if year is not None else None  # the default rule R12's demo line
    below = (~monitored) & ~np.isnan(per_capita) & (per_capita < (line if line is not None else -np.inf))
    # In whole fen and thousandths, exactly as the engine compares decimals.
    pc_fen = np.round(np.nan_to_num(per_capita) * 100).astype(np.int64)
    prev_fen = np.round(np.nan_to_num(prev_per_capita) * 100).astype(np.int64)
    keep = round((1 - DROP_SHARE) * 1000)
    drop = (
        ~np.isnan(prev_per_capita)
        & (prev_fen > 0)
        & ~np.isnan(per_capita)
        & (pc_fen * 1000 <= keep * prev_fen)
    )
    for rule, mask in (("R12", below), ("R13", drop)):
        for h in np.flatnonzero(mask):
            b.event += 1
            b.expect(
                kind="registry",
                rule_id=rule,
                risk_code="99",
                household_no=hh_no[int(h)],
                feed=None,
                name=None,
                id_number=None,
                id_damage="none",
                event_date=None,
                village_code=str(hh_village[h]),
            )

    # ---- background ----------------------------------------------------------------------------------------------------
    say("  背景记录")
    free = ~used
    _background(
        b,
        person,
        scale=scale,
        free=free,
        hh=hh,
        net=net,
        age_end=age_end,
        labourer=labourer,
        first_labourer=first_labourer,
        labourers=labourers,
        head_of=head_of,
        student=student,
        in_school=in_school,
        fee_stage=fee_stage,
        villages=tree.filter(pl.col("level") == "village")["code"].to_numpy(),
        start=start,
        end=end,
        win3=win3,
        history=history,
    )

    feeds = {
        code: _assemble(code, b.rows[code], parts, rng, settlement_prefix) for code, parts in b.parts.items()
    }
    truth = pl.DataFrame(b.truth, schema=GROUND_TRUTH_SCHEMA).sort(["event", "household_no"], nulls_last=True)
    return FeedSet(feeds=feeds, ground_truth=truth)


# Registry facts ------------------------------------------------------------------------------------------


def _latest_year(incomes: pl.DataFrame, period_year: int) -> int | None:
    years = incomes.filter(pl.col("year") <= period_year)["year"]
    return int(years.max()) if years.len() else None  # type: ignore[arg-type]  # an integer column's max


def _incomes(
    households: pl.DataFrame, incomes: pl.DataFrame, period_year: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per household: latest net income (元), its per-capita value and the previous year's, as the registry
    computes them (bulk.py: per capita rounded half away from zero to the fen). NaN where missing."""
    year = _latest_year(incomes, period_year)
    n_hh = households.height
    out = [np.full(n_hh, np.nan) for _ in range(3)]
    if year is None:
        return out[0], out[1], out[2]
    members = households.select("household_no", "member_count")
    for i, y in enumerate((year, year - 1)):
        frame = (
            incomes.filter(pl.col("year") == y)
            .join(members, on="household_no", how="inner")
            .select(
                "household_no",
                (
                    (
                        pl.col("wages")
                        + pl.col("business")
                        + pl.col("property")
                        + pl.col("transfers")
                        - pl.col("production_costs")
                    )
                    * 100
                )
                .cast(pl.Int64)
                .alias("fen"),
                pl.col("member_count").cast(pl.Int64).alias("m"),
            )
        )
        magnitude = (frame["fen"].abs() * 2 + frame["m"]) // (2 * frame["m"])
        pc_fen = np.where(frame["fen"].to_numpy() < 0, -magnitude.to_numpy(), magnitude.to_numpy())
        index = households["household_no"].search_sorted(frame["household_no"]).to_numpy()
        if i == 0:
            out[0][index] = frame["fen"].to_numpy() / 100
            out[1][index] = pc_fen / 100
        else:
            out[2][index] = pc_fen / 100
    return out[0], out[1], out[2]


def _age(birth: np.ndarray, on: np.datetime64) -> np.ndarray:
    """Whole years of age on a day."""
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    bm = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    bd = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    day = on.astype(object)
    return day.year - by - ((day.month < bm) | ((day.month == bm) & (day.day < bd)))


class _People:
    """Identity columns of registry persons as a department sends them (gathered from Polars columns)."""

    def __init__(
        self,
        ids: pl.Series,
        names: pl.Series,
        male: np.ndarray,
        birth: pl.Series,
        village: pl.Series,
        rng: np.random.Generator,
    ) -> None:
        self.id_series, self.name_series, self.birth_series, self.village_series = ids, names, birth, village
        self.male, self.rng = male, rng

    def id_of(self, who: int) -> str:
        return str(self.id_series[int(who)])

    def name_of(self, who: int) -> str:
        return str(self.name_series[int(who)])

    def village_of(self, who: int) -> str:
        return str(self.village_series[int(who)])

    def row(self, who: int, sent: str | None) -> dict[str, object]:
        who = int(who)
        return {
            "name": self.name_series[who],
            "id_number": sent,
            "sex": "男" if self.male[who] else "女",
            "birth_date": self.birth_series[who],
            "village_code": self.village_series[who],
        }

    def identity(self, who: np.ndarray, damage: list[str] | None = None) -> dict[str, Any]:
        who = np.asarray(who, dtype=np.int64)
        sent = self.id_series.gather(who)
        if damage is not None and any(d != "none" for d in damage):
            sent = pl.Series(
                [damage_id(x, d, self.rng) for x, d in zip(sent.to_list(), damage, strict=True)],
                dtype=pl.String,
            )
        return {
            "name": self.name_series.gather(who),
            "id_number": sent.alias("id_number"),
            "sex": pl.Series(np.where(self.male[who], "男", "女"), dtype=pl.String),
            "birth_date": self.birth_series.gather(who),
            "village_code": self.village_series.gather(who),
        }


def _money(values: np.ndarray | list[float]) -> pl.Series:
    """元 to the fen, exactly (integer fen to Decimal); NaN becomes null."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    cents = pl.Series(np.where(missing, 0, np.round(values * 100)).astype(np.int64))
    money = (cents.cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2))
    if missing.any():
        money = money.scatter(
            np.flatnonzero(missing), pl.Series([None] * int(missing.sum()), dtype=pl.Decimal(18, 2))
        )
    return money


def _dates(values: np.ndarray | list[object]) -> pl.Series:
    return pl.Series(np.asarray(values, dtype="datetime64[D]")).cast(pl.Date)


# Events -------------------------------------------------------------------------------------------------


def _yuan(value: float) -> Decimal:
    """元 to the fen as a Decimal (for rows built one at a time)."""
    return Decimal(int(round(float(value) * 100))).scaleb(-2)


def _day(value: Any) -> date:
    return np.datetime64(value, "D").astype(object)


def _inject(rule: str, h: int, damage: str, b: _Builder, person: _People, ctx: dict) -> None:  # noqa: C901, PLR0915
    """The rows of one event (plain Python rows: a few per event) and its ground truth."""
    rng = b.rng
    hh_no = ctx["hh_no"]
    start, end, win3, win12 = ctx["start"], ctx["end"], ctx["win3"], ctx["win12"]
    members_where, day_in = ctx["members_where"], ctx["day_in"]
    age_end, labourer, student, net = ctx["age_end"], ctx["labourer"], ctx["student"], ctx["net"]
    head_of, low = ctx["head_of"], ctx["low_threshold"]
    household = hh_no[h]

    def pick(mask: np.ndarray) -> int:
        options = members_where(h, mask)
        return int(options[int(rng.integers(0, options.size))])

    def fix_damage(who: int, kind: str) -> str:
        """Damage the person's ID can carry: no 15-digit number for people born after 1999, no
        scientific notation for numbers ending in X (a spreadsheet keeps those as text), never missing
        where the feed requires the number (公安)."""
        number = person.id_of(who)
        if kind == "missing" and rule == "R10":
            return "mistyped"
        if kind == "id15" and number[6:8] != "19":
            return "spaces"
        if kind == "scientific" and number.endswith("X"):
            return "mistyped"
        return kind

    def add(feed: str, who: int, kind: str, sent: str | None, **cols: object) -> None:
        b.add_row(feed, {**person.row(who, sent), **cols})

    def expect(who: int, kind: str, feed: str, day: object, sent: object, risk: str | None = None) -> None:
        b.expect(
            kind="event",
            rule_id=rule,
            risk_code=risk or RISK[rule],
            household_no=household,
            feed=feed,
            name=person.name_of(who),
            id_number=sent,
            id_damage=kind,
            event_date=_day(day),
            village_code=person.village_of(who),
        )

    def one(feed: str, who: int, day: object, risk: str | None = None, **cols: object) -> None:
        kind = fix_damage(who, damage)
        sent = damage_id(person.id_of(who), kind, rng)
        add(feed, who, kind, sent, **cols)
        expect(who, kind, feed, day, sent, risk)

    def medical(who: int, amounts: np.ndarray, visit: str, days: np.ndarray) -> None:
        kind = fix_damage(who, damage)
        sent = damage_id(person.id_of(who), kind, rng)
        for row in _medical_rows(amounts, [visit] * len(amounts), days, rng):
            add("medical", who, kind, sent, **row)
        expect(who, kind, "medical", days.max(), sent)

    everyone = ctx["everyone"]
    if rule == "R01":
        who = pick(everyone)
        threshold = 5_000 if low[h] else 20_000
        total = min(threshold * rng.uniform(1.05, 1.4), 0.9 * net[h])
        k = int(rng.integers(1, 4))
        days = np.sort(day_in(win12, end, k))
        days[-1] = day_in(win3, end)[0]
        medical(who, rng.dirichlet(np.ones(k)) * total, "住院", days)
    elif rule == "R02":
        who = pick(everyone)
        month = _months_back(start, int(rng.integers(0, 3)))
        k = int(rng.integers(1, 3))
        days = np.sort(day_in(month, date(month.year, month.month, 28), k))
        medical(who, rng.dirichlet(np.ones(k)) * rng.uniform(520, 900), "门诊慢特病", days)
    elif rule == "R03":
        who = pick(everyone)
        day = day_in(win3, end)[0]
        one(
            "major_illness",
            who,
            day,
            disease=str(rng.choice(DISEASES)),
            diagnosis_date=_day(day),
            hospital=str(rng.choice(HOSPITALS)),
        )
    elif rule == "R04":
        who = pick(everyone)
        day = day_in(win3, end)[0]
        one(
            "disability",
            who,
            day,
            certificate_no=f"{person.id_of(who)}{int(rng.integers(1, 8))}{int(rng.integers(1, 3))}",
            disability_category=str(rng.choice(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"])),
            disability_grade=str(rng.choice(["一级", "二级"])),
            issue_date=_day(day),
            change_type="新办",
        )
    elif rule == "R05":
        who = int(head_of[h])
        day = day_in(win3, end)[0]
        one(
            "assistance",
            who,
            day,
            assistance_type=str(rng.choice(["低保", "特困"], p=[0.85, 0.15])),
            change_type="新增",
            effective_date=_day(day),
            amount=_yuan(rng.uniform(300, 900)),
        )
    elif rule == "R06":
        who = pick(ctx["child_mask"])
        day = day_in(win3, end)[0]
        one(
            "education",
            who,
            day,
            stage="小学" if age_end[who] <= 11 else "初中",
            enrolment_status="辍学",
            status_date=_day(day),
        )
    elif rule == "R07":
        who = pick(ctx["fee_stage"])
        day = day_in(win3, end)[0]
        one(
            "education",
            who,
            day,
            stage=STAGE[str(student[who])],
            enrolment_status="在读",
            status_date=_day(day),
            fees=_yuan(min(rng.uniform(10_500, 16_000), 0.8 * net[h])),
        )
    elif rule == "R08":
        who = int(head_of[h])
        day = day_in(win12, end)[0]
        one("housing", who, day, appraisal_date=_day(day), grade=str(rng.choice(["C", "D"], p=[0.75, 0.25])))
    elif rule == "R09":
        who = int(head_of[h])
        day = day_in(win3, end)[0]
        disaster = str(rng.choice(list(DISASTER_RISK)))
        damaged = bool(rng.random() < 0.3)
        loss = rng.uniform(3_000, 9_000) if damaged else rng.uniform(12_000, 40_000)
        one(
            "disaster",
            who,
            day,
            risk=DISASTER_RISK[disaster],
            disaster_type=disaster,
            occurred_on=_day(day),
            loss=_yuan(loss),
            house_damaged="是" if damaged else "否",
        )
    elif rule == "R10":
        who = pick(ctx["worker_mask"])
        day = day_in(win3, end)[0]
        one("civil_registry", who, day, change_type="死亡", change_date=_day(day))
    elif rule == "R11":
        workers = [int(w) for w in members_where(h, labourer)]
        days = day_in(win3, end, len(workers))
        kind = fix_damage(workers[0], damage)
        first_sent = damage_id(person.id_of(workers[0]), kind, rng)
        for i, (worker, day) in enumerate(zip(workers, days, strict=True)):
            sent = first_sent if i == 0 else person.id_of(worker)
            add(
                "employment",
                worker,
                kind if i == 0 else "none",
                sent,
                event_type=str(rng.choice(["失业登记", "社保断缴"])),
                event_date=_day(day),
            )
        expect(workers[0], kind, "employment", days.max(), first_sent)
    elif rule == "R14":
        who = pick(everyone)
        total = min(net[h] + rng.uniform(300, 800), 4_800)
        medical(who, np.array([total]), "住院", day_in(win3, end))
    elif rule == "R15":
        who = pick(ctx["adult_mask"])
        day = day_in(win3, end)[0]
        one(
            "loan",
            who,
            day,
            loan_type="脱贫人口小额信贷",
            overdue_amount=_yuan(rng.uniform(3_000, 50_000)),
            overdue_days=int(rng.integers(90, 400)),
            data_date=_day(day),
        )
    elif rule == "R16":
        who = pick(ctx["adult_mask"])
        day = day_in(win3, end)[0]
        category = str(rng.choice(list(PETITION_RISK)))
        one(
            "petition",
            who,
            day,
            risk=PETITION_RISK[category],
            visit_date=_day(day),
            category=category,
            summary={"生活困难": "家中生活困难,请求救助", "医疗": "看病费用负担重", "住房": "房屋漏雨开裂"}[
                category
            ],
        )
    else:  # pragma: no cover - EVENT_RULES is fixed
        raise ValueError(rule)


def _medical_parts(
    own: np.ndarray, visit: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(fund, critical, assistance, supplementary, total) for 个人负担 `own` (all to the fen)."""
    own = np.round(own, 2)
    inpatient = visit == "住院"
    fund = np.round(
        own * np.where(inpatient, rng.uniform(1.5, 3.0, own.size), rng.uniform(0.5, 1.5, own.size)), 2
    )
    critical = np.round(np.where(inpatient & (own > 3000), own * 0.4, 0), 2)
    assistance = np.zeros(own.size)
    supplementary = np.round(np.where(inpatient, own * 0.1, 0), 2)
    return fund, critical, assistance, supplementary, own + fund + critical + assistance + supplementary


def _medical_rows(
    out_of_pocket: np.ndarray, visit_types: list[str], days: np.ndarray, rng: np.random.Generator
) -> list[dict[str, object]]:
    own = np.round(np.asarray(out_of_pocket, dtype=np.float64), 2)
    visit = np.asarray(visit_types)
    fund, critical, assistance, supplementary, total = _medical_parts(own, visit, rng)
    inpatient = visit == "住院"
    admitted = days - np.where(inpatient, rng.integers(2, 15, own.size), 0).astype("timedelta64[D]")
    return [
        {
            "visit_type": str(visit[i]),
            "admission_date": _day(admitted[i]),
            "settlement_date": _day(days[i]),
            "total_cost": _yuan(total[i]),
            "fund_paid": _yuan(fund[i]),
            "critical_illness_paid": _yuan(critical[i]),
            "assistance_paid": _yuan(assistance[i]),
            "supplementary_paid": _yuan(supplementary[i]),
            "out_of_pocket": _yuan(own[i]),
        }
        for i in range(own.size)
    ]


def _medical_money(
    out_of_pocket: np.ndarray, visit_types: np.ndarray, days: np.ndarray, rng: np.random.Generator
) -> dict[str, object]:
    """Medical amounts that add up, as columns: total = 个人负担 + 统筹 + 大病 + 救助 + 补充 (to the fen)."""
    own = np.round(np.asarray(out_of_pocket, dtype=np.float64), 2)
    visit = np.asarray(visit_types)
    fund, critical, assistance, supplementary, total = _medical_parts(own, visit, rng)
    inpatient = visit == "住院"
    return {
        "visit_type": pl.Series(visit, dtype=pl.String),
        "admission_date": _dates(
            days - np.where(inpatient, rng.integers(2, 15, own.size), 0).astype("timedelta64[D]")
        ),
        "settlement_date": _dates(days),
        "total_cost": _money(total),
        "fund_paid": _money(fund),
        "critical_illness_paid": _money(critical),
        "assistance_paid": _money(assistance),
        "supplementary_paid": _money(supplementary),
        "out_of_pocket": _money(own),
    }


def _strangers(
    b: _Builder,
    person: _People,
    count: int,
    hh_village: np.ndarray,
    start: date,
    end: date,
    win3: date,
    county: str,
) -> None:
    """Persons the registry does not hold, each with one row that would raise an alert if matched."""
    from . import names as name_lists

    rng = b.rng
    known = set(person.id_series.to_list())
    villages = np.unique(hh_village)
    surnames = np.array(name_lists.SURNAMES)
    given = np.array(list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕"))
    feeds = ("medical", "major_illness", "disability", "education", "civil_registry", "petition")
    for i in range(count):
        b.event += 1
        feed = feeds[i % len(feeds)]
        is_male = bool(rng.random() < 0.5)
        age = int(rng.integers(8, 14)) if feed == "education" else int(rng.integers(25, 58))
        born = np.datetime64(date(start.year - age, 1, 1)) + np.timedelta64(int(rng.integers(0, 360)), "D")
        number = _fresh_id(county, born, is_male, rng, known)
        name = str(rng.choice(surnames)) + "".join(rng.choice(given, int(rng.integers(1, 3))))
        damage = "missing" if (rng.random() < 0.3 and feed != "civil_registry") else "none"
        sent = None if damage == "missing" else number
        day = np.datetime64(win3) + np.timedelta64(int(rng.integers(0, (end - win3).days + 1)), "D")
        village = str(villages[int(rng.integers(0, villages.size))])
        row: dict[str, object] = {
            "name": name,
            "id_number": sent,
            "sex": "男" if is_male else "女",
            "birth_date": _day(born),
            "village_code": village,
        }
        if feed == "medical":
            row.update(
                _medical_rows(np.array([rng.uniform(21_000, 30_000)]), ["住院"], np.array([day]), rng)[0]
            )
        elif feed == "major_illness":
            row.update(disease=str(rng.choice(DISEASES)), diagnosis_date=_day(day))
        elif feed == "disability":
            row.update(
                certificate_no=f"{number}11",
                disability_category="肢体",
                disability_grade="一级",
                issue_date=_day(day),
                change_type="新办",
            )
        elif feed == "education":
            row.update(stage="小学", enrolment_status="辍学", status_date=_day(day))
        elif feed == "civil_registry":
            row.update(change_type="死亡", change_date=_day(day))
        else:
            row.update(visit_date=_day(day), category="生活困难", summary="生活困难")
        b.add_row(feed, row)
        b.expect(
            kind="not_in_registry",
            rule_id=None,
            risk_code=None,
            household_no=None,
            feed=feed,
            name=name,
            id_number=sent,
            id_damage=damage,
            event_date=_day(day),
            village_code=village,
        )


def _fresh_id(county: str, born: np.datetime64, male: bool, rng: np.random.Generator, known: set[str]) -> str:
    ymd = int(str(born).replace("-", ""))
    while True:
        order = 2 * int(rng.integers(0, 499)) + (1 if male else 2)
        check = check_digits(np.array([int(county)]), np.array([ymd]), np.array([order]))[0]
        number = f"{county}{ymd}{order:03d}{check}"
        if number not in known:
            known.add(number)
            return number


# Background -------------------------------------------------------------------------------------------


def _background(b: _Builder, person: _People, **k: Any) -> None:  # noqa: PLR0915
    rng = b.rng
    free, hh, net = k["free"], k["hh"], k["net"]
    age_end, labourer, student = k["age_end"], k["labourer"], k["student"]
    first_labourer, labourers, head_of = k["first_labourer"], k["labourers"], k["head_of"]
    villages = k["villages"]
    start, end, win3, history = k["start"], k["end"], k["win3"], k["history"]
    n = len(person.male)
    span = (end - history).days + 1
    before = (win3 - history).days  # days from history start to the 3-month window

    def draw(mask: np.ndarray, rows: int) -> np.ndarray:
        pool = np.flatnonzero(mask)
        if pool.size == 0 or rows <= 0:
            return np.zeros(0, np.int64)
        return pool[rng.integers(0, pool.size, rows)]

    def days(rows: int, *, before_window: bool = False) -> np.ndarray:
        width = before if before_window else span
        return np.datetime64(history) + rng.integers(0, max(width, 1), rows).astype("timedelta64[D]")

    def ident(who: np.ndarray, *, id_required: bool = False) -> dict[str, Any]:
        damaged = np.flatnonzero(rng.random(who.size) < BACKGROUND_DAMAGE_RATE)
        out = person.identity(who)
        if damaged.size:
            kinds = np.array(DAMAGES)[_damage_kinds(rng, damaged.size)]
            ids = out["id_number"]
            sent = []
            for i, kind in zip(damaged.tolist(), kinds.tolist(), strict=True):
                number = str(ids[i])
                if kind == "id15" and number[6:8] != "19":
                    kind = "spaces"
                if (kind == "scientific" and number.endswith("X")) or (kind == "missing" and id_required):
                    kind = "mistyped"
                sent.append(damage_id(number, kind, rng))
            out["id_number"] = ids.scatter(damaged, pl.Series(sent, dtype=pl.String))
        return out

    def choice(values: list[str], rows: int, p: list[float] | None = None) -> pl.Series:
        return pl.Series(rng.choice(values, rows, p=p), dtype=pl.String)

    free_p = free[hh]
    # 医保: settlements of people in households that can carry them; capped below every threshold later.
    rows = round(ROWS_PER_PERSON["medical"] * n)
    who = draw(free_p & (net[hh] >= 3_000), rows)
    visit = rng.choice(["普通门诊", "门诊慢特病", "住院"], who.size, p=[0.84, 0.12, 0.04])
    own = np.where(
        visit == "住院",
        rng.uniform(200, 2_500, who.size),
        np.where(visit == "门诊慢特病", rng.uniform(20, 120, who.size), rng.uniform(5, 150, who.size)),
    )
    settled = days(who.size)
    # 教育: two status rows a student (spring and autumn term), fees only at the higher stages.
    pupils = np.flatnonzero(free_p & k["in_school"])
    e_who = np.repeat(pupils, 2)
    e_day = np.tile(
        np.array([np.datetime64(date(start.year, 3, 1)), np.datetime64(date(start.year, 9, 1))]), pupils.size
    )
    pays = k["fee_stage"][e_who] & (e_day == np.datetime64(date(start.year, 9, 1)))
    fees = np.where(pays, rng.uniform(1_000, 6_000, e_who.size), np.nan)
    # Caps: a person's 12-month medical total below 4,000 (R01 starts at 5,000), 门诊慢特病 below 450 a
    # month (R02: 500), a household's medical plus fees below 60 % of its income (R14).
    own = _cap(own, who, 4_000.0)
    chronic = visit == "门诊慢特病"
    own[chronic] = _cap(own[chronic], who[chronic], 450.0)
    hh_cost = np.bincount(hh[who], weights=own, minlength=len(net)) + np.bincount(
        hh[e_who], weights=np.nan_to_num(fees), minlength=len(net)
    )
    factor = np.where(hh_cost > 0, np.minimum(1.0, 0.6 * np.maximum(net, 0) / np.maximum(hh_cost, 1e-9)), 1.0)
    own = np.floor(own * factor[hh[who]] * 100) / 100
    fees = np.floor(fees * factor[hh[e_who]] * 100) / 100
    keep = own >= 0.01
    who, visit, own, settled = who[keep], visit[keep], own[keep], settled[keep]
    b.add("medical", pl.DataFrame({**ident(who), **_medical_money(own, visit, settled, rng)}))
    b.add(
        "education",
        pl.DataFrame(
            {
                **ident(e_who),
                "stage": pl.Series([STAGE[s] for s in student[e_who]], dtype=pl.String),
                "enrolment_status": pl.Series(
                    np.where(
                        (student[e_who] == "undergraduate") & (rng.random(e_who.size) < 0.05), "毕业", "在读"
                    ),
                    dtype=pl.String,
                ),
                "status_date": _dates(e_day),
                "fees": _money(fees),
            }
        ),
    )

    # 卫健: cases diagnosed before the 3-month window.
    who = draw(free_p, round(ROWS_PER_PERSON["major_illness"] * n))
    b.add(
        "major_illness",
        pl.DataFrame(
            {
                **ident(who),
                "disease": choice(list(DISEASES), who.size),
                "diagnosis_date": _dates(days(who.size, before_window=True)),
                "hospital": choice(list(HOSPITALS), who.size),
            }
        ),
    )

    # 民政: adjustments and stops; 临时救助 granted; 低保/特困 granted only before the window.
    who = draw(free_p, round(ROWS_PER_PERSON["assistance"] * n))
    a_type = rng.choice(["低保", "特困", "临时救助"], who.size, p=[0.55, 0.1, 0.35])
    change = rng.choice(["新增", "停发", "调整"], who.size, p=[0.2, 0.2, 0.6])
    early = (a_type != "临时救助") & (change == "新增")
    a_day = np.where(early, days(who.size, before_window=True), days(who.size))
    b.add(
        "assistance",
        pl.DataFrame(
            {
                **ident(who),
                "assistance_type": pl.Series(a_type, dtype=pl.String),
                "change_type": pl.Series(change, dtype=pl.String),
                "effective_date": _dates(a_day),
                "amount": _money(rng.uniform(200, 900, who.size)),
            }
        ),
    )

    # 残联: grades 三级/四级 freely; 一级/二级 only renewed, cancelled, or issued before the window.
    who = draw(free_p, round(ROWS_PER_PERSON["disability"] * n))
    grade = rng.choice(["一级", "二级", "三级", "四级"], who.size, p=[0.1, 0.15, 0.35, 0.4])
    change = rng.choice(["新办", "换领", "注销"], who.size, p=[0.5, 0.4, 0.1])
    severe_new = np.isin(grade, ["一级", "二级"]) & (change == "新办")
    d_day = np.where(severe_new, days(who.size, before_window=True), days(who.size))
    serial = pl.Series(np.arange(who.size)).cast(pl.String).str.zfill(8)
    b.add(
        "disability",
        pl.DataFrame(
            {
                "certificate_no": pl.select(pl.lit("CJ") + serial).to_series(),
                **ident(who),
                "disability_category": choice(
                    ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"], who.size
                ),
                "disability_grade": pl.Series(grade, dtype=pl.String),
                "issue_date": _dates(d_day),
                "change_type": pl.Series(change, dtype=pl.String),
            }
        ),
    )

    # 人社: 就业登记 freely; 失业登记/社保断缴 before the window, or in it for the first labourer of a
    # household with two or more (never all of a household's labourers).
    who = draw(free_p & labourer, round(ROWS_PER_PERSON["employment"] * n))
    e_type = rng.choice(["就业登记", "失业登记", "社保断缴"], who.size, p=[0.6, 0.25, 0.15])
    bad = e_type != "就业登记"
    may_now = (first_labourer[hh[who]] == who) & (labourers[hh[who]] >= 2)
    em_day = np.where(bad & ~may_now, days(who.size, before_window=True), days(who.size))
    b.add(
        "employment",
        pl.DataFrame(
            {
                **ident(who),
                "event_type": pl.Series(e_type, dtype=pl.String),
                "event_date": _dates(em_day),
                "employer": choice(
                    ["修水县某建筑公司", "东莞某电子厂", "浙江某服装厂", "本地合作社"], who.size
                ),
                "work_place": choice(["县内", "省内", "广东", "浙江"], who.size),
            }
        ),
    )

    # 公安: moves; deaths of people who are not labourers or are over 64.
    who = draw(free_p, round(ROWS_PER_PERSON["civil_registry"] * n))
    may_die = ~labourer[who] | (age_end[who] >= 65)
    c_type = np.where(may_die & (rng.random(who.size) < 0.35), "死亡", rng.choice(["迁出", "迁入"], who.size))
    b.add(
        "civil_registry",
        pl.DataFrame(
            {
                **ident(who, id_required=True),
                "change_type": pl.Series(c_type, dtype=pl.String),
                "change_date": _dates(days(who.size)),
            }
        ),
    )

    # 金融机构: other loans freely; 小额信贷 overdue under 90 days, or longer only before the window.
    who = draw(free_p & (age_end >= 18), round(ROWS_PER_PERSON["loan"] * n))
    l_type = rng.choice(["脱贫人口小额信贷", "其他"], who.size, p=[0.15, 0.85])
    overdue = rng.integers(1, 400, who.size)
    micro_long = (l_type == "脱贫人口小额信贷") & (overdue >= 90)
    l_day = np.where(micro_long, days(who.size, before_window=True), days(who.size))
    b.add(
        "loan",
        pl.DataFrame(
            {
                **ident(who),
                "loan_type": pl.Series(l_type, dtype=pl.String),
                "overdue_amount": _money(rng.uniform(500, 30_000, who.size)),
                "overdue_days": pl.Series(overdue, dtype=pl.Int32),
                "data_date": _dates(l_day),
            }
        ),
    )

    # 信访: 就业/其他 freely; hardship, medical and housing petitions only before the window.
    who = draw(free_p & (age_end >= 18), round(ROWS_PER_PERSON["petition"] * n))
    category = rng.choice(
        ["生活困难", "医疗", "住房", "就业", "其他"], who.size, p=[0.1, 0.1, 0.05, 0.25, 0.5]
    )
    p_day = np.where(
        np.isin(category, list(PETITION_RISK)), days(who.size, before_window=True), days(who.size)
    )
    b.add(
        "petition",
        pl.DataFrame(
            {
                **ident(who),
                "visit_date": _dates(p_day),
                "category": pl.Series(category, dtype=pl.String),
                "summary": pl.Series(
                    np.where(category == "就业", "咨询就业政策", "其他诉求"), dtype=pl.String
                ),
            }
        ),
    )

    # 住建: appraisals of the head's house, grade A or B.
    heads = head_of[np.flatnonzero(free & (head_of >= 0))]
    who = heads[rng.random(heads.size) < HOUSING_PER_HOUSEHOLD]
    b.add(
        "housing",
        pl.DataFrame(
            {
                **ident(who),
                "appraisal_date": _dates(days(who.size)),
                "grade": choice(["A", "B"], who.size, p=[0.7, 0.3]),
                "address": pl.Series([None] * who.size, dtype=pl.String),
            }
        ),
    )

    # 应急: losses under 10,000 without a damaged house.
    who = heads[rng.random(heads.size) < DISASTER_PER_HOUSEHOLD]
    b.add(
        "disaster",
        pl.DataFrame(
            {
                **ident(who),
                "disaster_type": choice(list(DISASTER_RISK), who.size),
                "occurred_on": _dates(days(who.size)),
                "loss": _money(rng.uniform(200, 8_000, who.size)),
                "house_damaged": pl.Series(["否"] * who.size, dtype=pl.String),
            }
        ),
    )

    # 水利: water quality events, and outages of under 20 days that have ended.
    w_village = villages[rng.random(villages.size) < WATER_PER_VILLAGE]
    w_start = days(w_village.size)
    w_type = rng.choice(["水质不达标", "停水", "水量不足"], w_village.size, p=[0.4, 0.4, 0.2])
    length = np.where(
        w_type == "水质不达标", rng.integers(1, 60, w_village.size), rng.integers(1, 20, w_village.size)
    )
    b.add(
        "water",
        pl.DataFrame(
            {
                "village_code": pl.Series(w_village, dtype=pl.String),
                "event_type": pl.Series(w_type, dtype=pl.String),
                "start_date": _dates(w_start),
                # Ended by the period's end at the latest: a later day could be after the delivery's day,
                # which the delivery check refuses (a date in the future).
                "end_date": _dates(np.minimum(w_start + length.astype("timedelta64[D]"), np.datetime64(end))),
                "households_affected": pl.Series(rng.integers(5, 200, w_village.size), dtype=pl.Int32),
            }
        ),
    )


def _cap(amounts: np.ndarray, who: np.ndarray, cap: float) -> np.ndarray:
    """Scale each person's amounts so that their sum stays under cap."""
    if amounts.size == 0:
        return amounts
    total = np.bincount(who, weights=amounts)
    factor = np.minimum(1.0, cap / np.maximum(total, 1e-9))
    return amounts * factor[who]


def _assemble(
    code: str,
    rows: list[dict[str, object]],
    parts: list[pl.DataFrame],
    rng: np.random.Generator,
    settlement_prefix: str,
) -> pl.DataFrame:
    """One feed: the canonical columns in catalogue order, typed, rows shuffled, keys numbered. The rows
    built in Python (events) come first."""
    spec = catalogue.feed(code)
    schema = {c.field: _FEED_TYPES[c.type] for c in spec.columns}
    frames = []
    if rows:
        frames.append(pl.DataFrame([{f: r.get(f) for f in schema} for r in rows], schema=schema))
    for part in parts:
        cols = [
            (pl.col(f) if f in part.columns else pl.lit(None)).cast(t).alias(f) for f, t in schema.items()
        ]
        frames.append(part.select(cols))
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    frame = frame.select(list(schema))
    if code != "medical":
        # A record key drawn twice (the same person, type and day): a department sends one version of a
        # record. Events come first, so they are the ones kept.
        frame = frame.unique(subset=list(spec.record_key), keep="first", maintain_order=True)
    order = rng.permutation(frame.height)
    frame = frame[order]
    if code == "medical":
        serial = pl.Series(np.arange(1, frame.height + 1)).cast(pl.String).str.zfill(10)
        frame = frame.with_columns(
            pl.select(pl.lit(settlement_prefix) + serial).to_series().alias("settlement_no")
        )
    return frame


def feed_headers(code: str) -> dict[str, str]:
    """field → the header the department sends."""
    aliases = HEADER_ALIASES.get(code, {})
    return {c.field: aliases.get(c.field, c.header) for c in catalogue.feed(code).columns}


# Only the columns a department of the demo actually sends (identity extras vary by department).
SENT_EXTRAS = {
    "medical": ("sex", "birth_date", "village_code"),
    "major_illness": ("sex", "birth_date", "village_code"),
    "assistance": ("sex", "birth_date", "village_code"),
    "disability": ("sex", "birth_date", "village_code"),
    "education": ("sex", "birth_date", "village_code"),
    "housing": ("sex", "birth_date", "village_code"),
    "disaster": ("sex", "birth_date", "village_code"),
    "employment": ("sex", "birth_date", "village_code"),
    "civil_registry": ("sex", "birth_date", "village_code"),
    "loan": ("sex", "birth_date", "village_code"),
    "petition": ("sex", "birth_date", "village_code"),
    "water": (),
}
_NOT_SENT = ("village", "phone")


def as_sent(code: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The feed with the department's headers, without the columns it does not send."""
    headers = feed_headers(code)
    drop = [f for f in _NOT_SENT if f in frame.columns]
    return frame.drop(drop).rename({f: headers[f] for f in frame.columns if f not in drop})


def write_feeds(feedset: FeedSet, out: Path, *, csv: bool) -> dict[str, int]:
    """feeds/<code>.parquet (and .csv), ground_truth.parquet; returns rows per feed."""
    directory = out / "feeds"
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for code, frame in feedset.feeds.items():
        sent = as_sent(code, frame)
        sent.write_parquet(directory / f"{code}.parquet", compression="zstd", statistics=True)
        if csv:
            with (directory / f"{code}.csv").open("wb") as handle:
                handle.write("\ufeff".encode())
                sent.write_csv(handle, date_format="%Y-%m-%d")
        counts[code] = frame.height
    feedset.ground_truth.write_parquet(out / "ground_truth.parquet", compression="zstd", statistics=True)
    return counts
