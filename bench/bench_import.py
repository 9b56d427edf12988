"""Benchmark of the registry import (`registry_import`) on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py                        # both databases, 3 runs each
    .venv/bin/python bench/bench_import.py --databases sqlite --runs 1 --workbook /tmp/registry.xlsx
    .venv/bin/python bench/bench_import.py --first-only ...       # the first import only (a loaded machine)

The workbook is the synthetic county (`dixian generate --scale county`: about 200,000 persons), or one
given with --workbook. Each run starts from a fresh database (a temporary SQLite file, or the scratch
PostgreSQL database `dixian_bench` dropped and created again), migrates it, loads the region tree, then
times, in one child process:

* first import: `registry_import` of the whole workbook into the empty registry (read, check, write);
* re-import: the same file again (every row compared, nothing changed, nothing written);
* baseline: the persons of the same file written with Django's `bulk_create` (batch 2,000, households
  created first and not timed), inside a transaction that is rolled back.

Rows/s is persons per second of wall time; CPU seconds of the child are shown too, because on a busy
machine wall time grows while CPU time stays put: all its threads, its main thread alone (the import's
critical path when the other threads have a core of their own), and the PostgreSQL backend's. The table
gives the median of the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
# The scratch database (dropped and created per run); DIXIAN_BENCH_PGDB names another one, so that two
# engineers benchmarking on one machine do not drop each other's.
PG_BENCH_DB = os.environ.get("DIXIAN_BENCH_PGDB", "dixian_bench")
PG_BENCH = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
DIXIAN = [sys.executable, "-m", "dixian"]

CHILD = r"""
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
import polars as pl
from django.db import transaction
from dixian.regions.models import Region
from dixian.registry.imports import build_frames, parse_sheet, read_sheet, registry_import
from dixian.registry.models import Household, Person

path = sys.argv[1]
first_only = sys.argv[2:] == ["first-only"]
root = Region.objects.get(parent__isnull=True)
from django.db import connection


def server_cpu():
    # The PostgreSQL backend's CPU seconds (user + system), read from /proc: the server runs on this machine.
    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    stat = open(f"/proc/{connection.connection.info.backend_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


out = {}
for label in ("first",) if first_only else ("first", "again"):
    t, c, m, s = time.perf_counter(), time.process_time(), time.thread_time(), server_cpu()
    batch = registry_import(path=path, actor=None, region=root)
    out[label] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "rows": batch.rows_total,
                  "cpu_main": time.thread_time() - m, "cpu_server": server_cpu() - s,
                  "status": batch.status, "message": batch.message}
    assert batch.status == "imported", batch.message
if first_only:
    print("RESULT " + json.dumps(out, ensure_ascii=False))
    sys.exit(0)

# Baseline: the same persons through Django's ORM bulk_create, rolled back afterwards.
sheet = read_sheet(__import__("pathlib").Path(path))
households, persons, _ = build_frames(sheet, parse_sheet(sheet))
regions = dict(Region.objects.values_list("code", "id"))


class Rollback(Exception):
    pass


try:
    with transaction.atomic():
        Person.objects.all().delete()
        Household.objects.all().delete()
        hh = Household.objects.bulk_create(
            [Household(household_no=r["household_no"] + "b", region_id=regions[r["region_code"]],
                       region_code=r["region_code"], kind=r["kind"]) for r in households.iter_rows(named=True)],
            batch_size=2000,
        )
        ids = {h.household_no[:-1]: h.pk for h in hh}
        fields = [f for f in persons.columns if f not in ("household_no",)]
        objs = [Person(household_id=ids[r["household_no"]], region_code="x",
                       **{f: (r[f] if r[f] is not None or f in ("disability_grade", "months_worked") else "")
                          for f in fields})
                for r in persons.iter_rows(named=True)]
        t, c = time.perf_counter(), time.process_time()
        Person.objects.bulk_create(objs, batch_size=2000)
        out["baseline"] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "rows": len(objs)}
        raise Rollback
except Rollback:
    pass
print("RESULT " + json.dumps(out, ensure_ascii=False))
"""


def sh(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def fresh_database(db: str, scratch: Path) -> dict[str, str]:
    env = {**os.environ, "DIXIAN_DATA_DIR": str(scratch / "data")}
    if db == "sqlite":
        (scratch / "data").mkdir(parents=True, exist_ok=True)
        target = scratch / "bench.sqlite3"
        target.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{target}"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
        env["DATABASE_URL"] = PG_BENCH
    sh([*DIXIAN, "migrate", "--no-input", "-v0"], env)
    return env


def run_once(
    db: str, workbook: Path, regions: Path, scratch: Path, *, first_only: bool = False
) -> dict[str, dict[str, float]]:
    env = fresh_database(db, scratch)
    sh([*DIXIAN, "load_regions", str(regions)], env)
    out = sh([sys.executable, "-c", CHILD, str(workbook), *(["first-only"] if first_only else [])], env)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--workbook", type=Path, help="an existing registry workbook (default: generate the county)"
    )
    parser.add_argument("--regions", type=Path, help="regions.parquet for --workbook")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--first-only",
        action="store_true",
        help="time the first import only (no re-import, no bulk_create baseline): quicker on a loaded machine",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dixian-bench-import-") as tmp:
        scratch = Path(tmp)
        if args.workbook:
            workbook, regions = args.workbook, args.regions
        else:
            print("generating the county workbook (dixian generate --scale county) ...", flush=True)
            sh(
                [
                    *DIXIAN,
                    "generate",
                    "--scale",
                    "county",
                    "--seed",
                    str(args.seed),
                    "--out",
                    str(scratch / "gen"),
                ],
                {**os.environ, "DIXIAN_DATA_DIR": str(scratch / "data")},
            )
            workbook, regions = scratch / "gen" / "registry.xlsx", scratch / "gen" / "regions.parquet"
        results: dict[str, list[dict[str, dict[str, float]]]] = {}
        for db in args.databases:
            for i in range(args.runs):
                started = time.perf_counter()
                result = run_once(db, workbook, regions, scratch, first_only=args.first_only)
                results.setdefault(db, []).append(result)
                print(
                    f"{db} run {i + 1}: "
                    + ", ".join(
                        f"{k} {v['rows'] / v['wall']:,.0f} rows/s ({v['wall']:.1f} s wall, {v['cpu']:.1f} s cpu"
                        + (
                            f", main thread {v['cpu_main']:.1f} s, server {v['cpu_server']:.1f} s"
                            if "cpu_main" in v
                            else ""
                        )
                        + ")"
                        for k, v in result.items()
                    )
                    + f" [{time.perf_counter() - started:.0f} s]",
                    flush=True,
                )
    print()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d} · {platform.node()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f} · "
        f"median of {args.runs}"
    )
    print("| database | persons | first import | re-import | baseline bulk_create | first import CPU s |")
    print("|---|---:|---:|---:|---:|---:|")
    for db, runs in results.items():

        def med(key: str, runs: list = runs) -> float:
            if key not in runs[0]:
                return float("nan")
            return statistics.median(r[key]["rows"] / r[key]["wall"] for r in runs)

        cpu = statistics.median(r["first"]["cpu"] for r in runs)
        print(
            f"| {db} | {runs[0]['first']['rows']:,} | {med('first'):,.0f} rows/s | {med('again'):,.0f} rows/s | "
            f"{med('baseline'):,.0f} rows/s | {cpu:.1f} |"
        )


if __name__ == "__main__":
    main()
