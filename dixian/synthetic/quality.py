"""The screening's recall and precision against the generator's ground truth (issue 3, quality bars).

`quality_direct(directory)` screens a generated directory the way a run does, without a database: the
registry and feed Parquet files go into the engine (`dixian.screening.engine.screen`); the records the
exact ID join cannot place go through probabilistic linkage (`dixian.feeds.linkage.link_records`), and
the automatic links go back into a second engine pass as its `links=` input. `evaluate` compares what
came out with `ground_truth.parquet`:

- recall of events whose ID number the engine can match (intact, 15-digit, full-width, spaces): 100 %;
- recall of events whose ID number is missing, destroyed (3.60424E+17) or mistyped: at least 95 %;
- precision of the alerts, one per (household, risk): at least 95 %;
- coverage of the persons not in the registry by the 应纳未纳 list: 100 % (never dropped silently).

An event counts as found when an alert for its household and risk lists its rule. This module never
imports Django; the database path lives in `quality_db.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dixian.domain import catalogue

from .feeds import LINKAGE_DAMAGES

BARS = {"id_recall": 1.0, "linkage_recall": 0.95, "precision": 0.95, "unmatched_coverage": 1.0}
LINK_UPPER, LINK_LOWER = 0.9, 0.5
ID_MATCHED = ("none", "id15", "fullwidth", "spaces")
DAMAGE_LABELS = {
    "none": "证件号码完好",
    "id15": "15位旧号",
    "fullwidth": "全角数字",
    "spaces": "含空格",
    "missing": "证件号码缺失",
    "scientific": "科学计数法(3.60424E+17)",
    "mistyped": "错一位数字",
}


@dataclass
class Ratio:
    found: int
    total: int

    @property
    def value(self) -> float:
        return self.found / self.total if self.total else 1.0

    def text(self) -> str:
        return f"{self.value * 100:.1f}%({self.found:,}/{self.total:,})"


@dataclass
class QualityReport:
    period: str
    path: str  # "engine" (Parquet, no database) or "database"
    id_recall: Ratio
    linkage_recall: Ratio
    registry_recall: Ratio
    precision: Ratio  # found = alerts expected by the ground truth, total = alerts
    unmatched_coverage: Ratio
    by_damage: dict[str, Ratio]
    by_rule: dict[str, Ratio]
    alerts: int
    links_auto: int = 0
    links_pending: int = 0
    feed_rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    missed: list[dict[str, Any]] = field(default_factory=list)  # a sample of events not found
    unexpected: list[dict[str, Any]] = field(default_factory=list)  # a sample of alerts not expected

    def bars(self) -> dict[str, tuple[float, float, bool]]:
        """name → (value, bar, passed)."""
        values = {
            "id_recall": self.id_recall.value,
            "linkage_recall": self.linkage_recall.value,
            "precision": self.precision.value,
            "unmatched_coverage": self.unmatched_coverage.value,
        }
        return {k: (v, BARS[k], v >= BARS[k] - 1e-12) for k, v in values.items()}

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.bars().values())

    def as_json(self) -> dict[str, Any]:
        def ratio(r: Ratio) -> dict[str, Any]:
            return {"found": r.found, "total": r.total, "value": round(r.value, 6)}

        data = asdict(self)
        for key in ("id_recall", "linkage_recall", "registry_recall", "precision", "unmatched_coverage"):
            data[key] = ratio(getattr(self, key))
        data["by_damage"] = {k: ratio(v) for k, v in self.by_damage.items()}
        data["by_rule"] = {k: ratio(v) for k, v in self.by_rule.items()}
        data["bars"] = {
            k: {"value": round(v, 6), "bar": b, "passed": ok} for k, (v, b, ok) in self.bars().items()
        }
        data["passed"] = self.passed
        return data

    def text_zh(self) -> str:
        mark = {True: "达标", False: "未达标"}
        bars = self.bars()
        lines = [
            f"筛查质量核验(期间 {self.period},{'经数据库' if self.path == 'database' else '筛查引擎直读文件'})",
            f"  部门数据 {self.feed_rows:,} 行;预警 {self.alerts:,} 条;"
            f"概率匹配自动链接 {self.links_auto:,} 条、待复核 {self.links_pending:,} 条",
            f"  证件号码可直接匹配的事件召回率:{self.id_recall.text()},要求 100%,{mark[bars['id_recall'][2]]}",
            f"  证件号码缺失或错误的事件召回率:{self.linkage_recall.text()},要求 ≥95%,"
            f"{mark[bars['linkage_recall'][2]]}",
            f"  预警准确率:{self.precision.text()},要求 ≥95%,{mark[bars['precision'][2]]}",
            f"  不在农户信息库的人员进入应纳未纳清单:{self.unmatched_coverage.text()},要求 100%,"
            f"{mark[bars['unmatched_coverage'][2]]}",
            f"  农户信息库规则(R12/R13)召回率:{self.registry_recall.text()}",
            "  按证件号码情况:"
            + ";".join(f"{DAMAGE_LABELS.get(k, k)} {v.text()}" for k, v in self.by_damage.items()),
            "  按规则:" + ";".join(f"{k} {v.text()}" for k, v in self.by_rule.items()),
        ]
        if self.timings:
            lines.append("  用时:" + ";".join(f"{k} {v:.1f} 秒" for k, v in self.timings.items()))
        lines.extend(
            f"  未发现:{row['rule_id']} 户 {row['household_no']} 风险 {row['risk_code']}"
            f"({DAMAGE_LABELS.get(row['id_damage'], row['id_damage'])})"
            for row in self.missed[:5]
        )
        lines.extend(
            f"  多出的预警:户 {row['household_no']} 风险 {row['risk_code']} 规则 {row['rule_ids']}"
            for row in self.unexpected[:5]
        )
        lines.append("  结论:" + ("全部达标" if self.passed else "有指标未达标"))
        return "\n".join(lines)


# Inputs --------------------------------------------------------------------------------------------------


def registry_tables(directory: Path) -> dict[str, pl.DataFrame]:
    """households, persons and incomes as the engine reads them (incomes with the registry's net income and
    per-capita net income, computed as the import computes them: half away from zero to the fen)."""
    households = pl.read_parquet(directory / "households.parquet")
    persons = pl.read_parquet(directory / "persons.parquet")
    incomes = pl.read_parquet(directory / "incomes.parquet")
    return {"households": households, "persons": persons, "incomes": stored_incomes(incomes, households)}


def stored_incomes(incomes: pl.DataFrame, households: pl.DataFrame) -> pl.DataFrame:
    """The generated incomes (components) as the registry stores them: household_no, year, net_income and
    net_income_per_capita, computed as the import computes them (half away from zero to the fen).
    `households` needs household_no and member_count."""
    net_fen = (
        (
            pl.col("wages")
            + pl.col("business")
            + pl.col("property")
            + pl.col("transfers")
            - pl.col("production_costs")
        )
        * 100
    ).cast(pl.Int64)
    m = pl.col("member_count").cast(pl.Int64)
    magnitude = (pl.col("fen").abs() * 2 + m) // (2 * m)
    return (
        incomes.join(households.select("household_no", "member_count"), on="household_no", how="inner")
        .with_columns(net_fen.alias("fen"))
        .with_columns(pl.when(pl.col("fen") < 0).then(-magnitude).otherwise(magnitude).alias("pc_fen"))
        .select(
            "household_no",
            pl.col("year").cast(pl.Int32),
            (pl.col("fen").cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias("net_income"),
            (pl.col("pc_fen").cast(pl.Decimal(18, 2)) / 100)
            .cast(pl.Decimal(18, 2))
            .alias("net_income_per_capita"),
        )
    )


def feed_paths(directory: Path) -> dict[str, Path]:
    return {
        f.code: directory / "feeds" / f"{f.code}.parquet"
        for f in catalogue.FEEDS
        if (directory / "feeds" / f"{f.code}.parquet").exists()
    }


_IDENTITY = ("name", "id_number", "sex", "birth_date", "village", "village_code")


def link_inputs(
    feeds: dict[str, Path], persons: pl.DataFrame, households: pl.DataFrame
) -> tuple[pa.Table, pa.Table]:
    """(records, persons) for `link_records`: the person-keyed feed rows with the record key the engine
    gives them (the same SQL), and the registry persons with their region code.

    Rows whose number is a well-formed 18-character number of a registry person are left out: the exact
    join places them and `link_records` would pass them over anyway; handing it only the others keeps the
    city's 5 M rows out of memory."""
    from dixian.domain.records import record_key_sql

    con = duckdb.connect(":memory:")
    con.register("reg_ids", persons.select("id_number").to_arrow())
    parts = []
    try:
        for code, path in feeds.items():
            spec = catalogue.feed(code)
            if spec.person_key is None:
                continue
            frame = pl.read_parquet(path)
            mapping = catalogue.header_map(code, frame.columns)
            frame = frame.select([pl.col(h).alias(f) for h, f in mapping.items()])
            con.register(f"src_{code}", frame.to_arrow())
            wanted = [f if f in frame.columns else f"NULL AS {f}" for f in _IDENTITY]
            # The table name and the columns are code names from the catalogue, never data.
            parts.append(
                f"SELECT '{code}' AS feed, {record_key_sql(spec)} AS record_key, {', '.join(wanted)} "  # noqa: S608
                f"FROM src_{code} WHERE id_number IS NULL OR NOT regexp_full_match(id_number, '[0-9]{{17}}[0-9X]') "
                "OR id_number NOT IN (SELECT id_number FROM reg_ids)"
            )
        records = con.sql(" UNION ALL BY NAME ".join(parts)).to_arrow_table() if parts else pa.table({})
    finally:
        con.close()
    people = persons.join(
        households.select("household_no", "region_code"), on="household_no", how="left"
    ).select(
        "id_number",
        "name",
        pl.col("sex").replace_strict({"male": "男", "female": "女"}, default=None),
        "birth_date",
        "region_code",
    )
    return records, people.to_arrow()


def _linkage_thresholds() -> tuple[float, float]:
    from dixian.feeds import linkage

    return getattr(linkage, "DEFAULT_UPPER", LINK_UPPER), getattr(linkage, "DEFAULT_LOWER", LINK_LOWER)


def quality_direct(
    directory: Path,
    *,
    period: str | None = None,
    backend: str = "duckdb",
    upper: float | None = None,
    lower: float | None = None,
    say: Callable[[str], None] | None = None,
) -> QualityReport:
    """Screen the generated directory through the engine and linkage (no database) and evaluate."""
    from dixian.feeds.linkage import link_records
    from dixian.screening.engine import default_rules, screen

    say = say or (lambda _msg: None)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    period = period or manifest.get("period", "2026-10")
    default_upper, default_lower = _linkage_thresholds()
    upper = default_upper if upper is None else upper
    lower = default_lower if lower is None else lower
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 3)
        t0 = now

    say("读取农户信息库与部门数据")
    registry = registry_tables(directory)
    feeds = feed_paths(directory)
    rules = default_rules()
    lap("读取")
    say("概率匹配(证件号码缺失或错误的记录)")
    records, people = link_inputs(feeds, registry["persons"], registry["households"])
    links = link_records(records, people, upper=upper, lower=lower)
    status = links.column("status").to_pylist() if links.num_rows else []
    auto = links.filter(pc.equal(links.column("status"), "auto")) if links.num_rows else links
    lap("概率匹配")
    say("筛查")
    result = screen(
        {k: v.to_arrow() for k, v in registry.items()},
        feeds,
        rules,
        period,
        backend,
        links=auto.select(["feed", "record_key", "id_number"]),
    )
    lap("筛查")
    alerts = pl.from_arrow(result.alerts).select("household_no", "risk_code", "rule_ids")  # type: ignore[union-attr]  # a Table gives a DataFrame
    unmatched = pl.from_arrow(result.unmatched).select("feed", "name", "id_number", "event_date")  # type: ignore[union-attr]  # a Table gives a DataFrame
    report = evaluate(
        pl.read_parquet(directory / "ground_truth.parquet"),
        alerts=alerts,
        unmatched=unmatched,
        period=period,
        path="engine",
    )
    report.links_auto = status.count("auto")
    report.links_pending = status.count("pending")
    report.feed_rows = sum((manifest.get("feed_rows") or {}).values())
    report.timings = timings
    return report


# Evaluation ------------------------------------------------------------------------------------------


def evaluate(
    truth: pl.DataFrame, *, alerts: pl.DataFrame, unmatched: pl.DataFrame, period: str, path: str
) -> QualityReport:
    """alerts: household_no, risk_code, rule_ids (list); unmatched: feed, name, id_number, event_date."""
    expected = truth.filter(pl.col("kind") != "not_in_registry")
    hits = (
        alerts.explode("rule_ids")
        .rename({"rule_ids": "rule_id"})
        .select("household_no", "risk_code", "rule_id")
        .unique()
        .with_columns(pl.lit(True).alias("found"))
    )
    scored = expected.join(hits, on=["household_no", "risk_code", "rule_id"], how="left").with_columns(
        pl.col("found").fill_null(False)
    )

    def ratio(frame: pl.DataFrame) -> Ratio:
        return Ratio(int(frame["found"].sum()), frame.height)

    events = scored.filter(pl.col("kind") == "event")
    by_damage = {
        d: ratio(events.filter(pl.col("id_damage") == d))
        for d in ("none", "id15", "fullwidth", "spaces", "missing", "scientific", "mistyped")
        if events.filter(pl.col("id_damage") == d).height
    }
    by_rule = {
        r: ratio(scored.filter(pl.col("rule_id") == r)) for r in sorted(scored["rule_id"].unique().to_list())
    }
    pairs = expected.select("household_no", "risk_code").unique().with_columns(pl.lit(True).alias("ok"))
    judged = alerts.join(pairs, on=["household_no", "risk_code"], how="left").with_columns(
        pl.col("ok").fill_null(False)
    )

    strangers = truth.filter(pl.col("kind") == "not_in_registry").select("feed", "name", "event_date")
    listed = unmatched.select("feed", "name", "event_date").unique().with_columns(pl.lit(True).alias("found"))
    covered = strangers.join(listed, on=["feed", "name", "event_date"], how="left").with_columns(
        pl.col("found").fill_null(False)
    )
    missed = (
        scored.filter(~pl.col("found"))
        .select("rule_id", "household_no", "risk_code", "id_damage", "feed", "id_number")
        .head(20)
        .to_dicts()
    )
    unexpected = (
        judged.filter(~pl.col("ok"))
        .select("household_no", "risk_code", pl.col("rule_ids").list.join(","))
        .head(20)
        .to_dicts()
    )
    return QualityReport(
        period=period,
        path=path,
        id_recall=ratio(events.filter(pl.col("id_damage").is_in(ID_MATCHED))),
        linkage_recall=ratio(events.filter(pl.col("id_damage").is_in(LINKAGE_DAMAGES))),
        registry_recall=ratio(scored.filter(pl.col("kind") == "registry")),
        precision=Ratio(int(judged["ok"].sum()), judged.height),
        unmatched_coverage=Ratio(int(covered["found"].sum()), covered.height),
        by_damage=by_damage,
        by_rule=by_rule,
        alerts=judged.height,
        missed=missed,
        unexpected=unexpected,
    )
