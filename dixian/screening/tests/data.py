"""Tiny in-memory registry and feed tables for the engine tests (Polars frames, built row by row)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from dixian.domain import catalogue, idnumber

VILLAGE = "360424100201"
OTHER_VILLAGE = "360424100202"


def id_number(birth: date, seq: int, region: str = "360424") -> str:
    """A valid 18-digit ID number (GB 11643 checksum)."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + idnumber.check_digit(body)


def id15(id18: str) -> str:
    """The old 15-digit form of an 18-digit number born in the 1900s."""
    return id18[:6] + id18[8:17]


class World:
    """A registry under construction: households with members and incomes."""

    def __init__(self) -> None:
        self.households: list[dict[str, Any]] = []
        self.persons: list[dict[str, Any]] = []
        self.incomes: list[dict[str, Any]] = []
        self._seq = 0

    def household(
        self,
        no: str,
        *,
        kind: str = "ordinary",
        monitoring: str = "",
        village: str = VILLAGE,
        income: float | None = 60000,
        per_capita: float | None = None,
        year: int = 2026,
        prev_per_capita: float | None = None,
    ) -> str:
        self.households.append(
            {
                "household_no": no,
                "region_code": village + "01",
                "kind": kind,
                "monitoring_category": monitoring,
                "head_name": None,
            }
        )
        if income is not None:
            self.incomes.append(
                {
                    "household_no": no,
                    "year": year,
                    "net_income": Decimal(str(income)),
                    "net_income_per_capita": Decimal(
                        str(per_capita if per_capita is not None else income / 3)
                    ),
                }
            )
        if prev_per_capita is not None:
            self.incomes.append(
                {
                    "household_no": no,
                    "year": year - 1,
                    "net_income": Decimal(str(prev_per_capita * 3)),
                    "net_income_per_capita": Decimal(str(prev_per_capita)),
                }
            )
        return no

    def person(
        self,
        household_no: str,
        name: str,
        *,
        birth: date = date(1980, 5, 1),
        labour: str = "ordinary",
        relation: str = "spouse",
    ) -> str:
        self._seq += 1
        pid = id_number(birth, self._seq)
        if relation == "head" or not any(p["household_no"] == household_no for p in self.persons):
            relation = "head"
            for h in self.households:
                if h["household_no"] == household_no:
                    h["head_name"] = name
        self.persons.append(
            {
                "household_no": household_no,
                "id_number": pid,
                "name": name,
                "sex": "male",
                "birth_date": birth,
                "relation": relation,
                "labour_skill": labour,
            }
        )
        return pid

    def registry(self) -> dict[str, pl.DataFrame]:
        return {
            "households": pl.DataFrame(
                self.households,
                schema={
                    "household_no": pl.String,
                    "region_code": pl.String,
                    "kind": pl.String,
                    "monitoring_category": pl.String,
                    "head_name": pl.String,
                },
            ),
            "persons": pl.DataFrame(
                self.persons,
                schema={
                    "household_no": pl.String,
                    "id_number": pl.String,
                    "name": pl.String,
                    "sex": pl.String,
                    "birth_date": pl.Date,
                    "relation": pl.String,
                    "labour_skill": pl.String,
                },
            ),
            "incomes": pl.DataFrame(
                self.incomes,
                schema={
                    "household_no": pl.String,
                    "year": pl.Int32,
                    "net_income": pl.Decimal(12, 2),
                    "net_income_per_capita": pl.Decimal(12, 2),
                },
            ),
        }


def feed(code: str, rows: list[dict[str, Any]], *, headers: str = "chinese") -> pl.DataFrame:
    """A feed frame from rows keyed by field name, with the catalogue's Chinese headers (or field names)."""
    spec = catalogue.feed(code)
    schema: dict[str, Any] = {}
    for col in spec.columns:
        kind = {catalogue.DATE: pl.Date, catalogue.MONEY: pl.Decimal(14, 2), catalogue.INT: pl.Int64}.get(
            col.type, pl.String
        )
        schema[col.field] = kind
    money = {c.field for c in spec.columns if c.type == catalogue.MONEY}
    data = [{k: Decimal(str(v)) if k in money and v is not None else v for k, v in r.items()} for r in rows]
    frame = pl.DataFrame(data, schema={k: v for k, v in schema.items() if any(k in r for r in rows)})
    if headers == "chinese":
        frame = frame.rename({c.field: c.header for c in spec.columns if c.field in frame.columns})
    return frame


def every_rule_world() -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    """A registry and one delivery of each feed in which every default rule fires at least once, with
    near misses next to each hit. Returns (registry, feeds, monitored_risks, links); period 2026-10."""
    w = World()
    d = date
    # H01: ordinary, income 30,000 — R01 red (20,000 ≥ 50%), R14 via medical + school fees.
    h01 = w.household("H01", income=30000, per_capita=10000)
    p01 = w.person(h01, "赵一", birth=d(1975, 3, 2))
    p01b = w.person(h01, "赵小一", birth=d(2008, 9, 1), labour="none", relation="son")
    # H02: ex-poor, income 20,000 — R01 orange (5,200 < 50%), R02 monthly chronic, R03 major illness.
    h02 = w.household("H02", kind="ex_poor", income=20000, per_capita=9000)
    p02 = w.person(h02, "钱二", birth=d(1960, 1, 15))
    # H03: ordinary, one labourer — R04 red (only labourer), and a grade-3 certificate (no alert).
    h03 = w.household("H03", income=40000)
    p03 = w.person(h03, "孙三", birth=d(1982, 6, 30))
    p03b = w.person(h03, "孙母", birth=d(1950, 2, 2), labour="lost", relation="parent")
    # H04: 低保 newly granted, unmonitored — R05; H05 monitored gets none (R05 needs unmonitored).
    h04 = w.household("H04", income=20000)
    p04 = w.person(h04, "李四", birth=d(1970, 7, 7))
    h05 = w.household("H05", monitoring="edge", income=20000)
    p05 = w.person(h05, "周五", birth=d(1971, 8, 8))
    # H06: dropout aged 13 — R06; a 17-year-old dropout (no R06); school fees 12,000 — R07.
    h06 = w.household("H06", income=50000)
    w.person(h06, "吴六", birth=d(1980, 1, 1))
    p06b = w.person(h06, "吴小六", birth=d(2013, 2, 1), labour="none", relation="son")
    p06c = w.person(h06, "吴大六", birth=d(2009, 2, 1), labour="none", relation="daughter")
    # H07: house graded D — R08; disaster loss 15,000 (flood) — R09 orange; H08 loss ≥ income — R09 red.
    h07 = w.household("H07", income=60000)
    p07 = w.person(h07, "郑七", birth=d(1966, 4, 4))
    h08 = w.household("H08", income=9000)
    p08 = w.person(h08, "王八", birth=d(1968, 5, 5))
    # H09: two labourers, one dies aged 50 — R10 orange; H10: the only labourer dies — R10 red.
    h09 = w.household("H09", income=30000)
    p09 = w.person(h09, "冯九", birth=d(1976, 1, 1))
    w.person(h09, "冯妻", birth=d(1978, 1, 1))
    h10 = w.household("H10", income=30000)
    p10 = w.person(h10, "陈十", birth=d(1980, 10, 10))
    w.person(h10, "陈母", birth=d(1948, 1, 1), labour="lost", relation="parent")
    # H11: both labourers unemployed — R11; H12: one of two — nothing.
    h11 = w.household("H11", income=30000)
    p11a = w.person(h11, "褚甲", birth=d(1985, 1, 1))
    p11b = w.person(h11, "褚乙", birth=d(1987, 1, 1))
    h12 = w.household("H12", income=30000)
    p12a = w.person(h12, "卫甲", birth=d(1985, 1, 1))
    w.person(h12, "卫乙", birth=d(1987, 1, 1))
    # H13: per-capita below the 2026 line — R12; H14: down 40 % on 2025 — R13.
    h13 = w.household("H13", income=24000, per_capita=8000)
    w.person(h13, "蒋十三")
    h14 = w.household("H14", income=36000, per_capita=12000, prev_per_capita=20000)
    w.person(h14, "沈十四")
    # H15: micro-credit 120 days overdue — R15; H16: petition 医疗 — R16 (risk 01).
    h15 = w.household("H15", kind="ex_poor", income=40000)
    p15 = w.person(h15, "韩十五")
    h16 = w.household("H16", income=40000)
    p16 = w.person(h16, "杨十六")
    # H17 (ex-poor) and H18 (monitored) in the village with a 45-day outage — R17; H19 ordinary — none.
    h17 = w.household("H17", kind="ex_poor", income=40000, village=OTHER_VILLAGE)
    w.person(h17, "朱十七")
    h18 = w.household("H18", monitoring="edge", income=40000, village=OTHER_VILLAGE)
    w.person(h18, "秦十八")
    h19 = w.household("H19", income=40000, village=OTHER_VILLAGE)
    w.person(h19, "尤十九")
    # H20: monitored for 因病 already: its medical evidence goes to the case, not to a new alert.
    h20 = w.household("H20", monitoring="sudden_hardship", income=30000)
    p20 = w.person(h20, "许二十")

    feeds = {
        "medical": feed(
            "medical",
            [
                _med("JS001", "赵一", p01, "住院", d(2026, 2, 3), 20000),
                _med("JS002", "钱二", p02, "门诊慢特病", d(2026, 9, 3), 300),
                _med("JS003", "钱二", p02, "门诊慢特病", d(2026, 9, 20), 250),
                _med("JS004", "钱二", p02, "住院", d(2026, 5, 1), 4650),
                _med("JS004", "钱二", p02, "住院", d(2026, 5, 1), 4650),  # re-sent: counts once
                _med("JS005", "许二十", p20, "住院", d(2026, 8, 8), 25000),
                _med("JS006", "不在库", id_number(d(1990, 1, 1), 901), "住院", d(2026, 8, 8), 1000),
                _med("JS007", "表格坏", "3.60424E+17", "住院", d(2026, 8, 8), 1000),
                _med("JS008", "无证号", None, "住院", d(2026, 8, 9), 30000),
            ],
        ),
        "major_illness": feed(
            "major_illness",
            [
                {
                    "name": "钱二",
                    "id_number": p02,
                    "disease": "恶性肿瘤",
                    "diagnosis_date": d(2026, 10, 2),
                    "hospital": "九江市第一人民医院",
                },
                {
                    "name": "钱二",
                    "id_number": p02,
                    "disease": "尿毒症",
                    "diagnosis_date": d(2025, 1, 2),
                },  # too old
            ],
        ),
        "disability": feed(
            "disability",
            [
                {
                    "certificate_no": "C001",
                    "name": "孙三",
                    "id_number": p03,
                    "disability_category": "肢体",
                    "disability_grade": "二级",
                    "issue_date": d(2026, 9, 1),
                    "change_type": "新办",
                },
                {
                    "certificate_no": "C002",
                    "name": "孙母",
                    "id_number": p03b,
                    "disability_category": "视力",
                    "disability_grade": "三级",
                    "issue_date": d(2026, 9, 1),
                    "change_type": "新办",
                },
            ],
        ),
        "assistance": feed(
            "assistance",
            [
                {
                    "name": "李四",
                    "id_number": p04,
                    "assistance_type": "低保",
                    "change_type": "新增",
                    "effective_date": d(2026, 10, 1),
                    "amount": 620,
                },
                {
                    "name": "周五",
                    "id_number": p05,
                    "assistance_type": "低保",
                    "change_type": "新增",
                    "effective_date": d(2026, 10, 1),
                    "amount": 620,
                },
                {
                    "name": "李四",
                    "id_number": p04,
                    "assistance_type": "临时救助",
                    "change_type": "新增",
                    "effective_date": d(2026, 10, 1),
                    "amount": 2000,
                },
            ],
        ),
        "education": feed(
            "education",
            [
                {
                    "name": "吴小六",
                    "id_number": p06b,
                    "stage": "初中",
                    "enrolment_status": "辍学",
                    "status_date": d(2026, 9, 15),
                },
                {
                    "name": "吴大六",
                    "id_number": p06c,
                    "stage": "高中",
                    "enrolment_status": "辍学",
                    "status_date": d(2026, 9, 15),
                },
                {
                    "name": "吴大六",
                    "id_number": p06c,
                    "stage": "高中",
                    "enrolment_status": "在读",
                    "status_date": d(2026, 3, 1),
                    "fees": 12000,
                },
                {
                    "name": "赵小一",
                    "id_number": p01b,
                    "stage": "高职",
                    "enrolment_status": "在读",
                    "status_date": d(2026, 9, 1),
                    "fees": 10001,
                },
            ],
        ),
        "housing": feed(
            "housing",
            [
                {
                    "name": "郑七",
                    "id_number": p07,
                    "appraisal_date": d(2026, 6, 1),
                    "grade": "D",
                    "address": "一组12号",
                },
                {"name": "王八", "id_number": p08, "appraisal_date": d(2026, 6, 1), "grade": "B"},
            ],
        ),
        "disaster": feed(
            "disaster",
            [
                {
                    "name": "郑七",
                    "id_number": p07,
                    "disaster_type": "洪涝",
                    "occurred_on": d(2026, 8, 20),
                    "loss": 15000,
                    "house_damaged": "否",
                },
                {
                    "name": "王八",
                    "id_number": p08,
                    "disaster_type": "地质",
                    "occurred_on": d(2026, 9, 2),
                    "loss": 9000,
                    "house_damaged": "是",
                },
            ],
        ),
        "civil_registry": feed(
            "civil_registry",
            [
                {"name": "冯九", "id_number": p09, "change_type": "死亡", "change_date": d(2026, 10, 3)},
                {"name": "陈十", "id_number": p10, "change_type": "死亡", "change_date": d(2026, 9, 3)},
                {"name": "孙母", "id_number": p03b, "change_type": "迁出", "change_date": d(2026, 9, 3)},
            ],
        ),
        "employment": feed(
            "employment",
            [
                {"name": "褚甲", "id_number": p11a, "event_type": "失业登记", "event_date": d(2026, 9, 1)},
                {"name": "褚乙", "id_number": p11b, "event_type": "社保断缴", "event_date": d(2026, 10, 1)},
                {"name": "卫甲", "id_number": p12a, "event_type": "失业登记", "event_date": d(2026, 9, 1)},
            ],
        ),
        "loan": feed(
            "loan",
            [
                {
                    "name": "韩十五",
                    "id_number": p15,
                    "loan_type": "脱贫人口小额信贷",
                    "overdue_amount": 30000,
                    "overdue_days": 120,
                    "data_date": d(2026, 10, 31),
                },
                {
                    "name": "韩十五",
                    "id_number": p15,
                    "loan_type": "其他",
                    "overdue_amount": 5000,
                    "overdue_days": 200,
                    "data_date": d(2026, 10, 31),
                },
            ],
        ),
        "petition": feed(
            "petition",
            [
                {
                    "name": "杨十六",
                    "id_number": p16,
                    "visit_date": d(2026, 10, 9),
                    "category": "医疗",
                    "summary": "住院费用无力负担",
                },
                {
                    "name": "杨十六",
                    "id_number": p16,
                    "visit_date": d(2026, 10, 9),
                    "category": "就业",
                    "summary": "求职",
                },
            ],
        ),
        "water": feed(
            "water",
            [
                {
                    "village_code": OTHER_VILLAGE,
                    "event_type": "停水",
                    "start_date": d(2026, 9, 1),
                    "end_date": d(2026, 10, 16),
                },
                {
                    "village_code": VILLAGE,
                    "event_type": "停水",
                    "start_date": d(2026, 9, 1),
                    "end_date": d(2026, 9, 20),
                },
                {"village_code": "360424999999", "event_type": "水量不足", "start_date": d(2026, 8, 1)},
            ],
        ),
    }
    monitored = pl.DataFrame({"household_no": ["H20"], "risk_code": ["01"]})
    links = pl.DataFrame({"feed": ["medical"], "record_key": ["JS008"], "id_number": [p01]})
    return w.registry(), feeds, monitored, links


def _med(no: str, name: str, pid: str | None, kind: str, day: date, own: float) -> dict[str, Any]:
    return {
        "settlement_no": no,
        "name": name,
        "id_number": pid,
        "visit_type": kind,
        "settlement_date": day,
        "total_cost": own * 2,
        "out_of_pocket": own,
    }
