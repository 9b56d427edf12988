"""Benchmark and quality check of probabilistic linkage (issue 3 item 6) at city scale.

    .venv/bin/python bench/bench_linkage.py                 # city: 2.5 M persons, 200,000 records
    .venv/bin/python bench/bench_linkage.py --scale county  # 200,000 persons, 20,000 records
    .venv/bin/python bench/bench_linkage.py --truth-only    # only the generator's ground truth (county)

Inputs: the registry of `dixian generate` (the synthetic population of the given scale, seed 20261129),
and feed records made from it with known answers:
- 95 % are registry persons whose ID number is unusable (missing 45 %, 3.60424E+17 25 %, one digit
  mistyped 20 %, old number with a mistyped digit 10 %), and whose other fields are damaged the way
  linkage must tolerate (docs/feeds.md §二): a character of the name wrong (4 %), the minority-name dot or
  spaces (2 %), the birth date a few days off (3 %) or only the month right (3 %) or missing (10 %), sex
  missing (20 %), the village as a code (60 %), by name (25 %) or missing (15 %);
- 5 % are persons held out of the registry (strangers from the same villages and name pools).

Timed (median of 3, in this process, DuckDB default threads): `link_records` over all records, and the
baseline in the same run, the exact-ID join of the same records to the registry in DuckDB (what linking
by normalised ID costs). Quality: precision and recall of the automatic links; how many records wait for
review and whether the right person is among their candidates; strangers linked by mistake.

`--truth-only` scores the generator's own ground truth (dixian/synthetic/feeds.py: the injected events
whose ID is missing, 3.60424E+17 or mistyped, and the persons not in the registry) at county scale.
"""
# ruff: noqa: S608, T201 - a benchmark script: SQL from constants, results printed.

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dixian.feeds.linkage import link_records  # noqa: E402
from dixian.synthetic.population import generate_population  # noqa: E402
from dixian.synthetic.tree import build_tree  # noqa: E402

SEED = 20261129
UPPER, LOWER = 0.95, 0.60
SCALES = {"city": (None, 2_500_000, 200_000), "county": (("360424",), 200_000, 20_000)}
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def registry(scale: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    counties, target, _ = SCALES[scale]
    tree = build_tree(seed=SEED, counties=counties)
    pop = generate_population(tree=tree, persons_target=target, seed=SEED)
    persons = pop.persons.join(
        pop.households.select("household_no", "region_code"), on="household_no"
    ).select("household_no", "id_number", "name", "sex", "birth_date", "region_code")
    villages = tree.filter(pl.col("level") == "village").select("code", "name")
    return persons, villages


def _typo(name: str, rng: np.random.Generator, pool: str) -> str:
    i = int(rng.integers(0, len(name)))
    options = [c for c in pool if c != name[i]]
    return name[:i] + options[int(rng.integers(0, len(options)))] + name[i + 1 :]


def _check(body: str) -> str:
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def damaged_records(
    persons: pl.DataFrame, villages: pl.DataFrame, n: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(records, truth: record_key → true id_number or NULL, registry without the held-out strangers)."""
    pick = rng.choice(persons.height, n, replace=False)
    strangers = pick[: n // 20]
    chosen = persons[pick]
    kept = persons.with_row_index("_i").filter(~pl.col("_i").is_in(strangers.tolist())).drop("_i")
    village_name = dict(zip(villages["code"].to_list(), villages["name"].to_list(), strict=True))
    pool = "".join(sorted(set("".join(persons["name"][:50_000].to_list()))))
    rows = []
    for i, p in enumerate(chosen.iter_rows(named=True)):
        idn, name = p["id_number"], p["name"]
        u = rng.random()
        if u < 0.45:
            sent = None
        elif u < 0.70:
            sent = f"{int(idn[:17] + (idn[17] if idn[17] != 'X' else '0')):.5E}"
        elif u < 0.90:
            pos = int(rng.integers(6, 17))
            sent = idn[:pos] + str((int(idn[pos]) + int(rng.integers(1, 10))) % 10) + idn[pos + 1 :]
        else:
            pos = int(rng.integers(8, 17))
            typo = idn[:pos] + str((int(idn[pos]) + int(rng.integers(1, 10))) % 10) + idn[pos + 1 :]
            sent = typo[:6] + typo[8:17]
        u = rng.random()
        if u < 0.04:
            name = _typo(name, rng, pool)
        elif u < 0.06 and len(name) >= 2:
            name = name[0] + rng.choice(["·", " ", "　", "•"]) + name[1:]
        birth: dt.date | None = p["birth_date"]
        u = rng.random()
        if u < 0.03:
            birth = birth + dt.timedelta(days=int(rng.choice([-3, -2, -1, 1, 2, 3])))
        elif u < 0.06:
            birth = birth.replace(day=1) if birth.day != 1 else birth.replace(day=15)
        elif u < 0.16:
            birth = None
        code = p["region_code"][:12]
        u = rng.random()
        vcode, vname = (
            (code, None) if u < 0.6 else ((None, village_name.get(code)) if u < 0.85 else (None, None))
        )
        rows.append(
            {
                "feed": "medical",
                "record_key": f"S{i:07d}",
                "name": name,
                "id_number": sent,
                "sex": None if rng.random() < 0.2 else ("男" if p["sex"] == "male" else "女"),
                "birth_date": birth,
                "village": vname,
                "village_code": vcode,
            }
        )
    records = pl.DataFrame(
        rows,
        schema={
            "feed": pl.String,
            "record_key": pl.String,
            "name": pl.String,
            "id_number": pl.String,
            "sex": pl.String,
            "birth_date": pl.Date,
            "village": pl.String,
            "village_code": pl.String,
        },
    )
    truth = pl.DataFrame(
        {
            "record_key": records["record_key"],
            "true_id": pl.Series(
                [None if j < len(strangers) else chosen["id_number"][j] for j in range(n)], dtype=pl.String
            ),
        }
    )
    return records, truth, kept


def score(links: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    joined = links.join(truth, on="record_key")
    auto = joined.filter(pl.col("status") == "auto")
    pending = joined.filter(pl.col("status") == "pending")
    in_registry = truth.filter(pl.col("true_id").is_not_null()).height
    strangers = truth.height - in_registry
    auto_right = auto.filter(pl.col("id_number") == pl.col("true_id")).height
    pending_records = pending["record_key"].n_unique()
    pending_right = pending.filter(pl.col("id_number") == pl.col("true_id"))["record_key"].n_unique()
    found = auto_right + pending_right
    return {
        "records": truth.height,
        "in_registry": in_registry,
        "strangers": strangers,
        "auto": auto.height,
        "auto_right": auto_right,
        "precision_auto": auto_right / auto.height if auto.height else 1.0,
        "recall_auto": auto_right / in_registry if in_registry else 1.0,
        "pending_records": pending_records,
        "pending_candidates": pending.height,
        "pending_right": pending_right,
        "recall_auto_or_review": found / in_registry if in_registry else 1.0,
        "strangers_auto": auto.filter(pl.col("true_id").is_null()).height,
        "strangers_pending": pending.filter(pl.col("true_id").is_null())["record_key"].n_unique(),
    }


def exact_join(records: pa.Table, persons: pa.Table) -> int:
    import duckdb

    from dixian.screening.engine.core import clean_id_sql, normalised_id_sql
    from dixian.screening.engine.dialect import DuckDBDialect

    con = duckdb.connect()
    con.register("r", records)
    con.register("p", persons)
    n = con.sql(
        f"SELECT count(*) FROM (SELECT {normalised_id_sql(DuckDBDialect(), clean_id_sql('id_number'))} AS nid FROM r) x "
        "JOIN p ON p.id_number = x.nid"
    ).fetchall()[0][0]
    con.close()
    return n


def timed(fn, runs: int) -> tuple[float, list[float], object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def truth_only() -> None:
    from dixian.synthetic.feeds import LINKAGE_DAMAGES, generate_feeds

    counties, target, _ = SCALES["county"]
    tree = build_tree(seed=SEED, counties=counties)
    pop = generate_population(tree=tree, persons_target=target, seed=SEED)
    fs = generate_feeds(
        tree=tree,
        households=pop.households,
        persons=pop.persons,
        incomes=pop.incomes,
        seed=SEED,
        scale="county",
    )
    gt = fs.ground_truth.filter(
        pl.col("id_damage").is_in(list(LINKAGE_DAMAGES)) | (pl.col("kind") == "not_in_registry")
    ).filter(pl.col("feed").is_not_null())
    persons = pop.persons.join(pop.households.select("household_no", "region_code"), on="household_no")
    recs = []
    for code, frame in fs.feeds.items():
        if "name" not in frame.columns:
            continue
        cols = [
            c
            for c in ("name", "id_number", "sex", "birth_date", "village", "village_code")
            if c in frame.columns
        ]
        recs.append(
            frame.with_row_index("_n").select(
                pl.lit(code).alias("feed"),
                pl.concat_str(pl.lit(code + ":"), pl.col("_n").cast(pl.String)).alias("record_key"),
                *cols,
            )
        )
    records = pl.concat(recs, how="diagonal_relaxed")
    t, cpu = time.perf_counter(), time.process_time()
    links = pl.from_arrow(link_records(records.to_arrow(), persons.to_arrow(), upper=UPPER, lower=LOWER))
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    # A ground-truth event is found when its record (same feed, name and ID as sent) links to a member of the
    # expected household; a stranger is right when it links to nobody.
    sent = records.join(
        gt.select("feed", "name", "id_number", "kind", "household_no"),
        on=["feed", "name", "id_number"],
        nulls_equal=True,
    )
    found = sent.join(links.rename({"id_number": "linked_id"}), on=["feed", "record_key"], how="left").join(
        persons.select(
            pl.col("id_number").alias("linked_id"), pl.col("household_no").alias("linked_household")
        ),
        on="linked_id",
        how="left",
    )
    print(found.select("kind", "status").group_by("kind", "status").len().sort("kind", "status"))
    ev = found.filter(pl.col("kind") == "event")
    right = ev.filter((pl.col("status") == "auto") & (pl.col("linked_household") == pl.col("household_no")))
    wrong = ev.filter((pl.col("status") == "auto") & (pl.col("linked_household") != pl.col("household_no")))
    strangers = found.filter(pl.col("kind") == "not_in_registry")
    print(
        f"ground truth: {ev['record_key'].n_unique()} damaged-ID events, auto-linked right "
        f"{right['record_key'].n_unique()}, wrong {wrong['record_key'].n_unique()}; "
        f"{strangers['record_key'].n_unique()} strangers, linked {strangers.filter(pl.col('status').is_not_null())['record_key'].n_unique()}; "
        f"{records.height} feed rows, {links.height} candidates, {wall:.1f} s wall, {cpu:.1f} s CPU"
    )


def chance_agreement(persons: pl.DataFrame) -> dict[str, float]:
    """u of the exact levels on the registry itself: the chance that two random persons agree (Σ share²)."""
    n = persons.height

    def u(expr: pl.Expr) -> float:
        counts = persons.select(expr.alias("k")).group_by("k").len()["len"].cast(pl.Float64)
        return float(((counts / n) ** 2).sum())

    return {
        "name": u(pl.col("name").str.replace_all("·", "")),
        "birth_date": u(pl.col("birth_date")),
        "birth_month": u(pl.col("birth_date").dt.truncate("1mo")),
        "village": u(pl.col("region_code").str.slice(0, 12)),
        "township": u(pl.col("region_code").str.slice(0, 9)),
        "county": u(pl.col("region_code").str.slice(0, 6)),
        "sex": u(pl.col("sex")),
        "id_region": u(pl.col("id_number").str.slice(0, 6)),
        "id_region_and_order": u(pl.col("id_number").str.slice(0, 6) + pl.col("id_number").str.slice(14, 3)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=sorted(SCALES), default="city")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--truth-only", action="store_true")
    args = parser.parse_args()
    if args.truth_only:
        truth_only()
        return
    t = time.perf_counter()
    persons, villages = registry(args.scale)
    records, truth, kept = damaged_records(
        persons, villages, SCALES[args.scale][2], np.random.default_rng(SEED)
    )
    print(f"inputs: {kept.height:,} persons, {records.height:,} records ({time.perf_counter() - t:.0f} s)")
    print("chance agreement on the registry (u of the exact levels):")
    for key, value in chance_agreement(kept).items():
        print(f"  {key}: {value:.3g}")
    rec_arrow, per_arrow, vil_arrow = records.to_arrow(), kept.to_arrow(), villages.to_arrow()
    exact_join(rec_arrow, per_arrow)  # warm-up: DuckDB and the ID SQL
    link_records(
        rec_arrow.slice(0, 100), per_arrow.slice(0, 1000), upper=UPPER, lower=LOWER
    )  # imports Splink
    base_med, base_all, matched = timed(lambda: exact_join(rec_arrow, per_arrow), args.runs)
    cpu = time.process_time()
    link_med, link_all, links = timed(
        lambda: link_records(rec_arrow, per_arrow, upper=UPPER, lower=LOWER, villages=vil_arrow), args.runs
    )
    link_cpu = (time.process_time() - cpu) / args.runs
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    quality = score(pl.from_arrow(links), truth)
    print(
        f"baseline exact-ID join: median {base_med:.2f} s {[round(x, 2) for x in base_all]}, {matched} rows joined"
    )
    print(
        f"link_records: median {link_med:.2f} s {[round(x, 2) for x in link_all]}, CPU {link_cpu:.2f} s a run, "
        f"peak RSS {rss:.0f} MB; {links.num_rows:,} candidates"
    )
    for key, value in quality.items():
        print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value:,}")


if __name__ == "__main__":
    main()
