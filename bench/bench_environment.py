"""The living-environment ledger at city scale (issue 19, docs/domain.md §27), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_environment.py                       # both databases, 5 runs
    .venv/bin/python bench/bench_environment.py --backends sqlite --runs 3 --no-docs

1. A database per backend (var/bench/environment.sqlite3, PostgreSQL `dixian_bench_environment`), built once and
   kept: a city of 13 counties × 16 townships × 10 villages (2,080 villages), a 2026 plan per village and 52
   weekly reports per village (108,160 rows; about 3 % of the weeks missing, 5 % late), then the townships' week
   sums rebuilt as the demo loader does (docs/domain.md §27 "Week sums") and, on PostgreSQL, ANALYZE.
   `BENCH_ENVIRONMENT_PG` / `BENCH_ENVIRONMENT_SQLITE` name other databases.
2. Each run (a child process per backend): the ledger list `/environment/` of the city's administrator (first
   page and a later page, 20 requests each: p95), the weekly dispatch `/environment/dispatch/` of the city (20:
   p95), and the monthly 通报 of the city for 2026-10 built and written as .docx and .xlsx (median of the runs);
   the baseline measured in the same run: a plain COUNT(*) of the weekly reports.
Prints the results and writes the "Living environment (issue 19)" section of docs/benchmarks.md.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG_DB = os.environ.get("BENCH_ENVIRONMENT_PG") or "dixian_bench_environment"
SQLITE_PATH = Path(os.environ.get("BENCH_ENVIRONMENT_SQLITE") or BENCH / "environment.sqlite3")
HEADING = "## Living environment (issue 19)"
COUNTIES, TOWNSHIPS, VILLAGES = 13, 16, 10
NOW = dt.datetime(2026, 12, 30, 10, 0, tzinfo=dt.UTC)


def configure(backend: str) -> None:
    if backend == "postgresql":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone():
                conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DIXIAN_DATA_DIR"] = str(BENCH / "data")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build() -> None:
    import ledger_fill
    from django.core.management import call_command
    from django.db import connection

    from dixian.accounts.models import Role, User
    from dixian.environment.models import WeeklyReport, WeekSum
    from dixian.environment.sums import rebuild
    from dixian.regions.models import Region

    call_command("migrate", verbosity=0)
    if WeeklyReport.objects.exists():
        if not WeekSum.objects.exists():  # a database built before the week sums (docs/domain.md §27)
            rebuild()
        return
    city = Region.objects.create(code="360400000000", name="九江市", level="city", full_name="九江市")
    regions: list[Region] = []
    villages: list[Region] = []
    for c in range(COUNTIES):
        county = Region.objects.create(
            code=f"3604{c + 1:02d}000000", name=f"县{c + 1}", level="county", parent=city
        )
        for t in range(TOWNSHIPS):
            township = Region.objects.create(
                code=f"{county.code[:6]}{t + 1:03d}000",
                name=f"乡镇{c + 1}-{t + 1}",
                level="township",
                parent=county,
            )
            regions.extend(
                Region(
                    code=f"{township.code[:9]}{v + 201:03d}",
                    prefix=f"{township.code[:9]}{v + 201:03d}",
                    name=f"村{c + 1}-{t + 1}-{v + 1}",
                    level="village",
                    parent=township,
                )
                for v in range(VILLAGES)
            )
    villages = Region.objects.bulk_create(regions)
    User.objects.create_user(
        username="bench_city",
        password="bench",  # noqa: S106 - a local benchmark account
        region=city,
        roles=[Role.CITY_ADMIN],
    )
    ledger_fill.fill_environment(villages, dt.date(2026, 1, 5), 2026)  # W02 … 52 weeks to 2026-12-28
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # the planner's statistics, as autovacuum would gather them


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


def run_once(backend: str) -> dict[str, float]:
    configure(backend)
    build()
    import time_machine
    from django.db import connection
    from django.test import Client

    from dixian.accounts.models import User
    from dixian.environment import bulletin as bl
    from dixian.regions.models import Region

    out: dict[str, float] = {}
    with time_machine.travel(NOW, tick=True):
        client = Client()
        client.force_login(User.objects.get(username="bench_city"))

        def timed(url: str, n: int = 20) -> list[float]:
            client.get(url)  # warm
            samples = []
            for _ in range(n):
                t0 = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            return samples

        out["ledger_p95_ms"] = p95(timed("/environment/") + timed("/environment/?page=20"))
        out["dispatch_p95_ms"] = p95(timed("/environment/dispatch/"))
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM environment_weeklyreport")
            cur.fetchone()
        out["baseline_count_ms"] = (time.perf_counter() - t0) * 1000
        city = Region.objects.get(code="360400000000")
        t0 = time.perf_counter()
        b = bl.bulletin_build(city, 2026, 10)
        docx = bl.bulletin_docx(b)
        xlsx = bl.bulletin_xlsx(b)
        out["bulletin_s"] = time.perf_counter() - t0
        out["bulletin_bytes"] = len(docx) + len(xlsx)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once(args.child)))
        return
    results: dict[str, dict[str, float]] = {}
    for backend in args.backends:
        runs = []
        for _ in range(args.runs):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", backend],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        results[backend] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(backend, json.dumps(results[backend], ensure_ascii=False))
    if args.no_docs:
        return
    from docs_section import replace_docs_section

    lines = [
        HEADING,
        "",
        f"`bench/bench_environment.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d}, {platform.machine()} {os.cpu_count()} cores "
        f"(shared), Python {platform.python_version()}; median of {args.runs} runs. 13 counties × 16 townships × 10 "
        "villages = 2,080 villages, a 2026 plan each and 52 weekly reports each (about 3 % missing, 5 % late): "
        "108,160 rows less the missing, and their townships' week sums (docs/domain.md §27, 208 × 52 rows). Targets "
        "(issue 19): the ledger list and the weekly dispatch p95 < 150 ms, the monthly 通报 of the city < 20 s.",
        "",
        "| backend | ledger list p95 (ms) | weekly dispatch p95 (ms) | monthly 通报 .docx + .xlsx (s) | baseline COUNT(*) (ms) |",
        "|---|---|---|---|---|",
    ]
    for backend, r in results.items():
        lines.append(
            f"| {backend} | {r['ledger_p95_ms']:.0f} | {r['dispatch_p95_ms']:.0f} | {r['bulletin_s']:.2f} | "
            f"{r['baseline_count_ms']:.1f} |"
        )
    lines.append("")
    replace_docs_section(HEADING, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
