"""The rectification ledger's findings list at city scale (issue 19 "Speed"), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_rectification.py                        # both databases, 40 requests each
    .venv/bin/python bench/bench_rectification.py --backends sqlite --no-docs

1. A database per backend (var/bench/rectification.sqlite3, PostgreSQL `dixian_bench_rectification`), built once
   and kept: a region tree of 13 counties × 15 townships × 10 villages (1,950 villages, one in ten a key
   village), 10,000 findings spread over the villages, townships and counties (sources, categories, statuses
   and deadlines mixed: about a third closed, some overdue), and 50,000 tasks (5 per finding, owned by the
   finding's unit), bulk-inserted.
2. Each run (in a child process per backend): the list page (/rectification/) rendered through Django's test
   client for the city account, for a county account, for the city with ?overdue=on, and for the city on page
   20; and the baseline measured in the same run: the sign-in page (a template render without the ledger).
   p50 and p95 over the requests (after two warm-up requests).
Prints the results and writes the "Rectification list (issue 19)" section of docs/benchmarks.md.
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

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG_DB = os.environ.get("BENCH_RECTIFICATION_PG") or "dixian_bench_rectification"
SQLITE_PATH = Path(os.environ.get("BENCH_RECTIFICATION_SQLITE") or BENCH / "rectification.sqlite3")
FINDINGS = 10_000
TASKS_PER_FINDING = 5
HEADING = "## Rectification list (issue 19)"
TARGET_MS = 150.0


def setup(backend: str) -> None:
    if backend == "postgresql":
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DIXIAN_DATA_DIR"] = str(BENCH / "data")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_pg_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{PG_DB}"')


def build_data() -> dict[str, int]:
    import ledger_fill
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from dixian.accounts.models import Role, User
    from dixian.rectification.models import Finding, FindingTask
    from dixian.regions.models import Region

    call_command("migrate", verbosity=0)
    if Finding.objects.count() >= FINDINGS:
        return {"findings": Finding.objects.count(), "tasks": FindingTask.objects.count()}
    today = timezone.localdate()
    with transaction.atomic():
        city = Region.objects.create(code="360400000000", name="九江市", level="city", prefix="3604")
        units: list[Region] = []
        for c in range(1, 14):
            county = Region.objects.create(
                code=f"3604{c:02d}000000", name=f"县{c}", level="county", parent=city, prefix=f"3604{c:02d}"
            )
            units.append(county)
            for t in range(1, 16):
                township = Region.objects.create(
                    code=f"3604{c:02d}{100 + t:03d}000",
                    name=f"乡{c}-{t}",
                    level="township",
                    parent=county,
                    prefix=f"3604{c:02d}{100 + t:03d}",
                )
                units.append(township)
                villages = [
                    Region(
                        code=f"3604{c:02d}{100 + t:03d}{200 + v:03d}",
                        name=f"村{c}-{t}-{v}",
                        level="village",
                        parent=township,
                        prefix=f"3604{c:02d}{100 + t:03d}{200 + v:03d}",
                        is_key_village=v == 1,
                    )
                    for v in range(1, 11)
                ]
                units += Region.objects.bulk_create(villages)
        User.objects.create_user(username="bench_city", region=city, roles=[Role.CITY_ADMIN])
        county1 = Region.objects.get(code="360401000000")
        User.objects.create_user(username="bench_county", region=county1, roles=[Role.COUNTY_ADMIN])
        ledger_fill.fill_rectification(units, today, FINDINGS)
    return {"findings": Finding.objects.count(), "tasks": FindingTask.objects.count()}


def measure(requests: int) -> dict[str, Any]:
    from django.test import Client

    from dixian.accounts.models import User

    def timed(client: Client, url: str) -> dict[str, float]:
        for _ in range(2):
            assert client.get(url).status_code == 200  # noqa: S101 - a bench of a working page
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200  # noqa: S101 - as above
        times.sort()
        return {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))]}

    city = Client(HTTP_HOST="localhost")
    city.force_login(User.objects.get(username="bench_city"))
    county = Client(HTTP_HOST="localhost")
    county.force_login(User.objects.get(username="bench_county"))
    anonymous = Client(HTTP_HOST="localhost")
    return {
        "baseline (sign-in page)": timed(anonymous, "/accounts/login/"),
        "list, city": timed(city, "/rectification/"),
        "list, county": timed(county, "/rectification/"),
        "list, city, overdue only": timed(city, "/rectification/?overdue=on"),
        "list, city, page 20": timed(city, "/rectification/?page=20"),
    }


def child(backend: str, requests: int) -> None:
    setup(backend)
    sizes = build_data()
    print(json.dumps({"sizes": sizes, "results": measure(requests)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.requests)
        return
    found: dict[str, Any] = {}
    for backend in args.backends.split(","):
        if backend == "postgresql":
            ensure_pg_database()
        out = subprocess.run(  # noqa: S603 - this script, with our own arguments
            [sys.executable, __file__, "--child", backend, "--requests", str(args.requests)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        found[backend] = json.loads(out.stdout.strip().splitlines()[-1])
        print(backend, json.dumps(found[backend], ensure_ascii=False, indent=1))
    if args.no_docs:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from docs_section import replace_docs_section

    lines = [
        HEADING,
        "",
        f"`bench/bench_rectification.py`, {dt.date.today():%Y-%m-%d}, {platform.machine()} "  # noqa: DTZ011 - the date of the run, local
        f"({os.cpu_count()} cores, shared with other work: read the ratios to the baseline), Python "
        f"{platform.python_version()}. {FINDINGS:,} findings with {FINDINGS * TASKS_PER_FINDING:,} tasks over "
        f"1,950 villages; the findings list (/rectification/) through Django's test client, {args.requests} "
        f"requests after two warm-ups; target p95 < {TARGET_MS:.0f} ms.",
        "",
        "| database | page | p50 ms | p95 ms | p95 ÷ baseline |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, data in found.items():
        base = data["results"]["baseline (sign-in page)"]["p95"]
        for name, r in data["results"].items():
            lines.append(f"| {backend} | {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p95'] / base:.1f} |")
    lines.append("")
    path = replace_docs_section(HEADING, "\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
