"""What the access log (docs/security.md §5) costs: the household page and a 200,000-person export, with
and without logging, in the same run.

    .venv/bin/python bench/bench_access_log.py [--backends sqlite,postgresql] [--requests 400] [--exports 3]

Each backend runs in a child process against a database of its own, built once and kept
(var/bench/access_log.sqlite3; PostgreSQL database `dixian_bench_access_log`) with the SQL generator of
bench_household_list.py: 64,500 households, about 200,000 persons. Then:

- household page: GET /households/<pk>/ through Django's test Client (full middleware and templates) as a
  city admin (PII right: a "reveal" row) and a village officer (masked row), random households; each
  request is made with logging on or off in alternation (`dixian.common.access_log.ENABLED`), so both
  series see the same machine load. p50/p95 of each, and the difference.
- the logging alone: 1,000 calls of `log_access` for a household page (one committed INSERT each).
- export: `household_export_write` of the whole city with the person sheet (64,500 + ~200,000 rows) to a
  temporary file plus its `export_logged` row, as the city admin, alternating on and off; median of each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_household_list as blist  # noqa: E402 - the SQL generator and the summaries

ROOT = blist.ROOT
HOUSEHOLDS = 64_500


def configure(backend: str) -> None:
    if backend == "postgresql":
        db = "dixian_bench_access_log"
        os.environ["DATABASE_URL"] = blist.PG_URL.format(db=db)
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
                conn.execute(f'CREATE DATABASE "{db}"')
    else:
        path = ROOT / "var" / "bench" / "access_log.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DIXIAN_DATA_DIR"] = str(ROOT / "var" / "bench" / "data")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run_child(backend: str, requests: int, exports_n: int) -> dict[str, object]:
    configure(backend)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.test import Client

    from dixian.common import access_log
    from dixian.common.models import AccessLog
    from dixian.registry import exports
    from dixian.registry.filters import HouseholdFilters
    from dixian.registry.models import Household, Person

    if not Household.objects.exists():
        blist.build_with_sql(HOUSEHOLDS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    admin, officer, village = blist._personas()
    rng = random.Random(5)
    top = Household.objects.order_by("-id").values_list("id", flat=True).first() or 1
    village_ids = list(
        Household.objects.filter(
            region_code__gte=village.prefix, region_code__lt=village.prefix + "~"
        ).values_list("id", flat=True)
    )
    clients = {"市级管理员": Client(), "村级信息员": Client()}
    clients["市级管理员"].force_login(admin)
    clients["村级信息员"].force_login(officer)

    def pick(who: str) -> int:
        return rng.choice(village_ids) if who == "村级信息员" else rng.randint(1, top)

    def get(who: str, pk: int) -> float:
        started = time.perf_counter()
        response = clients[who].get(f"/households/{pk}/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code in (200, 404), response.status_code
        return elapsed

    for who in clients:
        for _ in range(5):
            get(who, pick(who))
    page: dict[str, dict[bool, list[float]]] = {who: {True: [], False: []} for who in clients}
    before = AccessLog.objects.count()
    for i in range(requests // 2):
        for who in clients:
            on = i % 2 == 0
            access_log.ENABLED = on
            page[who][on].append(get(who, pick(who)))
    access_log.ENABLED = True
    logged_rows = AccessLog.objects.count() - before

    # The logging alone: the one INSERT (committed on its own, as in a request) that a page adds.
    from django.test import RequestFactory

    request = RequestFactory().get(f"/households/{village_ids[0]}/")
    request.user = officer
    household = Household.objects.get(pk=village_ids[0])
    members = list(Person.objects.filter(household=household))
    insert: list[float] = []
    for _ in range(1000):
        started = time.perf_counter()
        access_log.log_access(
            request, household=household, persons=members, fields=access_log.HOUSEHOLD_FIELDS
        )
        insert.append((time.perf_counter() - started) * 1000)

    persons = Person.objects.count()
    export: dict[bool, list[float]] = {True: [], False: []}
    filters = HouseholdFilters()
    for i in range(exports_n * 2):
        on = i % 2 == 1
        access_log.ENABLED = on
        with tempfile.TemporaryFile() as fh:
            started = time.perf_counter()
            result = exports.household_export_write(fh, user=admin, filters=filters, persons=True)
            exports.export_logged(admin, user=admin, filters=filters, persons=True, result=result)
            export[on].append(time.perf_counter() - started)
    access_log.ENABLED = True
    return {
        "backend": backend,
        "households": Household.objects.count(),
        "persons": persons,
        "page": {
            who: {"on": blist._summary(v[True]), "off": blist._summary(v[False])} for who, v in page.items()
        },
        "page_rows_logged": logged_rows,
        "insert": blist._summary(insert),
        "export": {
            "on": export[True],
            "off": export[False],
            "rows": result.households + result.persons,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--exports", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.requests, args.exports), ensure_ascii=False))
        return
    for backend in args.backends.split(","):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                backend,
                "--requests",
                str(args.requests),
                "--exports",
                str(args.exports),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        sys.stderr.write(out.stderr[-1500:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"== {backend}: {r['households']:,} households, {r['persons']:,} persons")
        for who, s in r["page"].items():
            on, off = s["on"], s["off"]
            print(
                f"  page {who}: with log p50 {on['p50']:.1f} p95 {on['p95']:.1f} ms · without p50 "
                f"{off['p50']:.1f} p95 {off['p95']:.1f} ms · p95 diff {on['p95'] - off['p95']:+.1f} ms (n={on['n']})"
            )
        print(f"  rows logged by the pages: {r['page_rows_logged']}")
        i = r["insert"]
        print(f"  log_access alone: p50 {i['p50']:.2f} p95 {i['p95']:.2f} max {i['max']:.2f} ms (n={i['n']})")
        e = r["export"]
        m_on, m_off = statistics.median(e["on"]), statistics.median(e["off"])
        print(
            f"  export {e['rows']:,} rows: with log median {m_on:.2f} s {[round(x, 2) for x in e['on']]} · "
            f"without {m_off:.2f} s {[round(x, 2) for x in e['off']]} · {100 * (m_on - m_off) / m_off:+.1f} %"
        )


if __name__ == "__main__":
    main()
