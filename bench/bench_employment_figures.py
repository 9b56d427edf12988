"""The city's monthly employment figures at city scale (issue 18), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_employment_figures.py                  # both databases, 5 runs
    .venv/bin/python bench/bench_employment_figures.py --backends sqlite --runs 3 --no-docs
    .venv/bin/python bench/bench_employment_figures.py --build-only     # build (or reuse) the data

1. A database per backend (var/bench/employment.sqlite3, PostgreSQL `dixian_bench_employment`), built once
   and kept, with plain SQL (COPY on PostgreSQL): the region tree of bench_household_list.py (13 counties,
   ~200 townships, ~2,300 villages); 200,000 脱贫户 or monitored households with 3 members each, of whom 2.5
   on average are on the labour roll (500,000 workers; the others are children, elderly or without labour
   capacity), and 400,000 ordinary households of 2 (not on the roll: the roll's join reads past them); then,
   with one INSERT … SELECT per month from the roll's persons, a survey record per worker for the twelve
   base-year months (2022) and the thirteen months 2025-10 … 2026-10 (12.5 million records). About 78 % of
   the workers are marked working, a little more than in the base year, varying by township and month so that
   some townships fall from one month to the next.
2. Each run (in a child process per backend): the city's figures of 2026-10 from the stored data
   (`dixian.employment.figures.region_report`: six queries — the records of the month and the three months
   it is compared with, their tiers and channels, the roll, by county, the falling townships), the same for a county, the roll's count alone (the join
   of persons and households), the 12-month trend, and the baseline measured in the same run: a plain
   COUNT(*) of the month's records. Medians over the runs.
Prints the results and writes the "Employment figures (issue 18)" section of docs/benchmarks.md.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG_DB = os.environ.get("BENCH_EMPLOYMENT_PG") or "dixian_bench_employment"
SQLITE_PATH = Path(os.environ.get("BENCH_EMPLOYMENT_SQLITE") or BENCH / "employment.sqlite3")
ROLL_HOUSEHOLDS = int(os.environ.get("BENCH_EMPLOYMENT_HOUSEHOLDS", "200000"))
ORDINARY_HOUSEHOLDS = 2 * ROLL_HOUSEHOLDS
MONTH = dt.date(2026, 10, 1)
BASE_YEAR = 2022
HEADING = "## Employment figures (issue 18)"
TARGET_S = 2.0


def survey_months() -> list[dt.date]:
    base = [dt.date(BASE_YEAR, m, 1) for m in range(1, 13)]
    recent = [dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    recent += [dt.date(2026, m, 1) for m in range(1, 11)]
    return base + recent


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


# --------------------------------------------------------------------------- building the data


def _registry_rows(villages: list[dict[str, Any]]):
    """(households, persons) chunks: roll households first, then ordinary ones, spread over the villages."""
    now = "2026-01-01 00:00:00+00:00"
    hid = pid = 0
    chunk_h: list[dict[str, object]] = []
    chunk_p: list[dict[str, object]] = []

    def person(code: str, birth: dt.date, skill: str, relation: str) -> dict[str, object]:
        nonlocal pid
        pid += 1
        return {
            "id": pid,
            "household_id": hid,
            "region_code": code,
            "id_number": f"B{pid:017d}",
            "name": "基准",
            "sex": "male" if pid % 2 else "female",
            "birth_date": birth.isoformat(),
            "relation": relation,
            "labour_skill": skill,
            "medical_insurance": "resident",
            "pension_insurance": "resident",
            "created_at": now,
            "updated_at": now,
        }

    total = ROLL_HOUSEHOLDS + ORDINARY_HOUSEHOLDS
    for n in range(total):
        hid += 1
        village = villages[n % len(villages)]
        code = str(village["code"])
        on_roll = n < ROLL_HOUSEHOLDS
        monitored = on_roll and n % 10 == 0  # a tenth monitored (监测户), the rest 脱贫户
        chunk_h.append(
            {
                "id": hid,
                "household_no": f"{code}{hid:08d}",
                "region_id": village["id"],
                "region_code": code,
                "kind": "ex_poor" if on_roll and not monitored else "ordinary",
                "monitoring_category": "edge" if monitored else "",
                "head_name": "基准",
                "member_count": 3 if on_roll else 2,
                "created_at": now,
                "updated_at": now,
            }
        )
        skills = ("ordinary", "skilled", "weak")
        if on_roll:
            chunk_p.append(
                person(code, dt.date(1970 + n % 30, 1 + n % 12, 1 + n % 28), skills[n % 3], "head")
            )
            chunk_p.append(person(code, dt.date(1972 + n % 30, 1 + n % 12, 1 + n % 28), "ordinary", "spouse"))
            if n % 2:  # a third worker in half the households, a child in the others
                chunk_p.append(person(code, dt.date(1995 + n % 8, 6, 1), skills[(n + 1) % 3], "son"))
            else:
                chunk_p.append(person(code, dt.date(2015 + n % 8, 6, 1), "none", "daughter"))
        else:
            chunk_p.append(person(code, dt.date(1960 + n % 40, 3, 3), "ordinary", "head"))
            chunk_p.append(person(code, dt.date(1940 + n % 20, 3, 3), "none", "parent"))
        if len(chunk_h) >= 20_000:
            yield chunk_h, chunk_p
            chunk_h, chunk_p = [], []
    if chunk_h:
        yield chunk_h, chunk_p


SURVEY_SQL = """
INSERT INTO employment_employment
    (person_id, household_id, region_code, month, working, place_tier, employer, channel, months_worked,
     wage_band, not_working_reason, willing, note, source, recorded_at)
SELECT p.id, p.household_id, p.region_code, %s, p.w,
    CASE WHEN p.w THEN CASE p.id %% 10 WHEN 0 THEN 'abroad' WHEN 1 THEN 'out_of_province'
        WHEN 2 THEN 'in_province' WHEN 3 THEN 'in_province' ELSE 'in_county' END ELSE '' END,
    '',
    CASE WHEN p.w THEN CASE (p.id / 10) %% 8 WHEN 0 THEN 'labour_export' WHEN 1 THEN 'public_post'
        WHEN 2 THEN 'workshop' WHEN 3 THEN 'work_relief' WHEN 4 THEN 'flexible' ELSE 'self' END ELSE '' END,
    0, '', CASE WHEN p.w THEN '' ELSE 'family_care' END, NULL, '', 'generated', %s
FROM (
    SELECT q.id, q.household_id, q.region_code, q.labour_skill,
        ((q.id * 2654435761) %% 1000) < %s + ((CAST(substr(q.region_code, 7, 3) AS INTEGER) + %s) %% 5) * 10
            AS w
    FROM registry_person q
) p
JOIN registry_household h ON h.id = p.household_id
WHERE p.labour_skill IN ('ordinary', 'skilled', 'weak') AND (h.kind = 'ex_poor' OR h.monitoring_category <> '')
"""


def build_data() -> dict[str, int]:
    import bench_household_list as hl
    from django.core.management import call_command
    from django.db import connection, transaction

    from dixian.employment.models import Employment
    from dixian.regions.models import Region
    from dixian.registry.models import Household, Person

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    if not Household.objects.exists():
        regions = hl._regions()
        villages = [r for r in regions if r["level"] == "village"]
        with transaction.atomic():
            hl._insert(Region, regions)
            done = 0
            for chunk_h, chunk_p in _registry_rows(villages):
                hl._insert(Household, chunk_h)
                hl._insert(Person, chunk_p)
                done += len(chunk_h)
                print(f"  {done:,} households", file=sys.stderr, end="\r")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for model in (Region, Household, Person):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - our own table names
                    )
        print(f"  registry in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    have = set(Employment.objects.values_list("month", flat=True).distinct())
    # SQLite has no boolean type: the comparison gives 0/1, which CASE WHEN and the boolean field read.
    sql = SURVEY_SQL
    for index, month in enumerate(survey_months()):
        if month in have:
            continue
        t1 = time.perf_counter()
        level = 770 if month.year == BASE_YEAR else 780
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [month, "2026-11-01 00:00:00+00:00", level, index])
        print(f"  survey {month:%Y-%m} in {time.perf_counter() - t1:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return sizes()


def sizes() -> dict[str, int]:
    from dixian.employment.models import Employment
    from dixian.employment.roll import roll
    from dixian.regions.models import Region
    from dixian.registry.models import Household, Person

    return {
        "villages": Region.objects.filter(level="village").count(),
        "townships": Region.objects.filter(level="township").count(),
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "roll": roll(MONTH).count(),
        "records": Employment.objects.count(),
        "months": Employment.objects.values("month").distinct().count(),
        "month_records": Employment.objects.filter(month=MONTH).count(),
    }


# --------------------------------------------------------------------------- measuring


def child(backend: str, runs: int, build_only: bool = False) -> dict[str, Any]:
    configure(backend)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dixian.employment.figures import region_report, trend
    from dixian.employment.models import Employment
    from dixian.employment.roll import roll
    from dixian.regions.models import Region

    started = time.monotonic()
    data = build_data()
    built = time.monotonic() - started
    if build_only:
        return {"backend": backend, "sizes": data, "built": built}
    city = Region.objects.get(level="city")
    county = Region.objects.filter(level="county").order_by("code")[0]

    def timed(fn: Any) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    measures = {
        "city figures (region_report)": lambda: region_report(city, MONTH),
        "county figures (region_report)": lambda: region_report(county, MONTH),
        "roll count alone, city": lambda: roll(MONTH).count(),
        "12-month trend vs base year, city": lambda: trend(city, MONTH),
        "baseline: COUNT(*) of the month's records": lambda: Employment.objects.filter(month=MONTH).count(),
    }
    with CaptureQueriesContext(connection) as ctx:
        report = region_report(city, MONTH)
    queries = len(ctx.captured_queries)
    results: dict[str, list[float]] = {name: [] for name in measures}
    for fn in measures.values():
        fn()  # warm-up
    for _ in range(runs):
        for name, fn in measures.items():
            results[name].append(timed(fn))
    return {
        "backend": backend,
        "sizes": data,
        "built": built,
        "runs": runs,
        "seconds": {name: statistics.median(v) for name, v in results.items()},
        "queries": queries,
        "figures": {
            "employed": report.total.employed,
            "base": report.total.base.employed,
            "ratio": str(report.total.base_ratio),
            "coverage": str(report.total.coverage),
            "falling": len(report.falling),
        },
        "load": os.getloadavg()[0],
    }


def section(results: list[dict[str, Any]]) -> str:
    r0 = results[0]
    s = r0["sizes"]
    f = r0["figures"]
    lines = [
        HEADING,
        "",
        "`bench/bench_employment_figures.py` (issue 18): the city's monthly employment figures from the stored "
        "data (`dixian/employment/figures.py` `region_report`, six queries: the survey records of the month, "
        "the previous month and the base year's and previous year's same month counted in one query, their "
        "tiers and channels in another, both grouped in the order of the index `employment_figures` so that "
        "neither database sorts; the labour roll counted by unit in one query; the table by county and the "
        "falling townships) over "
        f"{s['roll']:,} workers on the roll ({s['persons']:,} persons in {s['households']:,} households, "
        f"{s['villages']:,} villages in {s['townships']:,} townships) and {s['records']:,} survey records "
        f"({s['months']} months: the base year's twelve and 2025-10 … 2026-10; {s['month_records']:,} in "
        "2026-10), built with plain SQL. "
        f"City figures of 2026-10: {f['employed']:,} employed, {f['base']:,} in 2022-10, {f['ratio']} %, "
        f"coverage {f['coverage']} %, {f['falling']} townships falling. Median of {r0['runs']} runs after a "
        "warm-up, with the baseline (a plain COUNT(*) of the month's records) measured in the same run. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other helpers "
        f"(load {statistics.median(r['load'] for r in results):.1f}); {time.strftime('%Y-%m-%d')}.",
        "",
        "| measure | target | " + " | ".join(r["backend"] for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for name in r0["seconds"]:
        target = f"< {TARGET_S:.0f} s" if name.startswith("city figures") else ""
        cells = [f"{r['seconds'][name]:.2f} s" for r in results]
        if name.startswith("city figures"):
            cells = [f"{c} ({r['queries']} q)" for c, r in zip(cells, results, strict=True)]
        lines.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
    base = "baseline: COUNT(*) of the month's records"
    lines.append(
        "| city figures ÷ baseline | | "
        + " | ".join(
            f"{r['seconds']['city figures (region_report)'] / r['seconds'][base]:.1f}×" for r in results
        )
        + " |"
    )
    lines += [
        "",
        "What was slow and what was done (measured on SQLite under the same load): grouping the records by a "
        "prefix of the region code made SQLite sort the city's two million rows of four months (7.7 s for "
        "that query alone); grouped by (month, working, region code) and by the index's full order it reads "
        "the index in order and never sorts (1.3 s and 1.2 s). `working = true` is written by Django on "
        "SQLite as the bare column, which no index search uses: `working IN (true)` halves the rows read "
        "(the trend: 11 s → 5 s). The roll is the other half of the cost: a code range covering the whole "
        "city made SQLite read the persons through the code index row by row (9.4 s); a prefix test scans "
        "them (3 s), and the departed and graduated persons are read as id sets once instead of an EXISTS "
        "probed for each of 1.4 million persons (before: the probes cost as much as the join). The remaining "
        "floor is the "
        "join of the roll's persons with their households and reading two to three million index entries; "
        "the figures ÷ baseline ratio is the machine-independent figure while the machine is shared.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.build_only)))
        return
    results = []
    for backend in args.backends.split(","):
        cmd = [sys.executable, __file__, "--child", backend, "--runs", str(args.runs)]
        if args.build_only:
            cmd.append("--build-only")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ})
        sys.stderr.write(out.stderr)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.build_only or args.no_docs:
        return
    from docs_section import replace_docs_section

    print(replace_docs_section(HEADING, section(results)))


if __name__ == "__main__":
    main()
