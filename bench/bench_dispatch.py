"""The dispatch page and the weekly summary at city scale (issue 19 §5, docs/domain.md §29), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_dispatch.py                       # both databases, 5 runs, writes the docs
    .venv/bin/python bench/bench_dispatch.py --backends sqlite --runs 3 --no-docs
    .venv/bin/python bench/bench_dispatch.py --no-stand-in         # only the ledgers' own providers

The dispatch app owns no table: it costs what the ledgers' providers cost, plus its own counting, sorting,
rendering and writing. The bench measures it with whatever providers are registered (the ledgers' own, once
merged: each reads its tables in this database, which their own benches or the demo may fill) and, unless
--no-stand-in, a stand-in ledger built here, because the ledgers were built beside this app:

1. A database per backend (var/bench/dispatch.sqlite3, PostgreSQL `dixian_bench_dispatch`), built once and
   kept: the region tree of bench_household_list.py (13 counties, ~200 townships, ~2,300 villages) and 50,000
   funds projects (`funds_project`, an existing table with a region code, a planned completion date and a
   completion date) standing in for the rectification ledger's 50,000 tasks: planned completions spread over
   2026, 95 % of those already due done (so a week carries some 2,000 overdue tasks across the city), spread
   over the villages.
2. The stand-in provider (`问题整改(替身)`, RECTIFICATION_VIEW) reads the tasks of the prefix due in the week or
   due before it and still open, with one query over the project table's (region_code, year, state) index
   prefix, as a rectification provider would over its task table.
3. Each run (a child process per backend): the page `dispatch:week` through Django's test client (session,
   middleware, template) for a 领导 of the city, a county, a township and a village account, 20 requests each
   (p95 and median); the city's weekly summary (board + workbook, what `dixian dispatch_summary` does) and a
   county's; the baseline measured in the same run: a plain COUNT(*) of the stand-in table.
Prints the results and writes the "Dispatch (issue 19)" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG_DB = os.environ.get("BENCH_DISPATCH_PG") or "dixian_bench_dispatch"
SQLITE_PATH = Path(os.environ.get("BENCH_DISPATCH_SQLITE") or BENCH / "dispatch.sqlite3")
TASKS = int(os.environ.get("BENCH_DISPATCH_TASKS", "50000"))
YEAR = 2026
TODAY = dt.date(2026, 12, 2)  # a Wednesday of 2026-W49: 48 weeks of tasks already due
HEADING = "## Dispatch (issue 19)"
PAGE_TARGET_MS = 150
SUMMARY_TARGET_S = 20
STAND_IN = "问题整改(替身)"
REQUESTS = 20


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
    (BENCH / "data").mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --------------------------------------------------------------------------- building the data


def build_data() -> dict[str, int]:
    import bench_household_list as hl
    from django.core.management import call_command
    from django.db import connection, transaction

    from dixian.funds.models import Project
    from dixian.regions.models import Region

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        with transaction.atomic():
            hl._insert(Region, hl._regions())
    if Project.objects.count() < TASKS:
        rng = random.Random(19)
        villages = list(Region.objects.filter(level="village").values_list("id", "code"))
        jan1 = dt.date(YEAR, 1, 1)
        now = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
        rows = []
        for n in range(TASKS):
            pk, code = villages[n % len(villages)]
            due = jan1 + dt.timedelta(days=rng.randrange(365))
            done = due < TODAY and rng.random() < 0.95
            rows.append(
                {
                    "id": n + 1,
                    "code": f"DISPATCH-{n:06d}",
                    "name": f"整改任务 {n:06d}",
                    "year": YEAR,
                    "kind": "industry",
                    "region_id": pk,
                    "region_code": code,
                    "owner_unit": f"{code[:9]} 乡镇",
                    "state": "planned",
                    "state_since": now,
                    "planned_completion": due,
                    "completed_on": due - dt.timedelta(days=rng.randrange(5)) if done else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with transaction.atomic():
            Project.objects.all().delete()
            for i in range(0, len(rows), 10_000):
                hl._insert(Project, rows[i : i + 10_000])
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for model in (Region, Project):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - our own table names
                    )
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "villages": Region.objects.filter(level="village").count(),
        "townships": Region.objects.filter(level="township").count(),
        "counties": Region.objects.filter(level="county").count(),
        "tasks": Project.objects.count(),
    }


# --------------------------------------------------------------------------- the stand-in ledger


def stand_in_provider(user: Any, prefix: str, start: dt.date, end: dt.date) -> list[Any]:
    """Tasks of the prefix due in the week, or due before it and still open (docs/domain.md §29), one query."""
    from django.db.models import Q

    from dixian.common.access import region_range_q
    from dixian.common.due import DueItem
    from dixian.funds.models import Project

    rows = (
        Project.objects.filter(region_range_q(prefix), year=YEAR, planned_completion__lte=end)
        .filter(Q(planned_completion__gte=start) | Q(completed_on__isnull=True))
        .order_by()
        .values_list("pk", "name", "region_code", "planned_completion", "completed_on", "owner_unit")
    )
    return [
        DueItem(
            ledger=STAND_IN,
            kind="整改任务到期",
            title=name,
            region_code=code,
            due_on=due,
            url=f"/funds/projects/{pk}/",
            owner=owner,
            done=done_on is not None and done_on <= end,
        )
        for pk, name, code, due, done_on, owner in rows
    ]


# --------------------------------------------------------------------------- measuring


def _accounts() -> dict[str, Any]:
    from dixian.accounts.models import Role, User
    from dixian.regions.models import Region

    city = Region.objects.get(level="city")
    county = Region.objects.filter(level="county").order_by("code")[0]
    township = Region.objects.filter(level="township", prefix__startswith=county.prefix).order_by("code")[0]
    village = Region.objects.filter(level="village", prefix__startswith=township.prefix).order_by("code")[0]
    out = {}
    for name, region, role in (
        ("city leader", city, Role.LEADER),
        ("county reviewer", county, Role.COUNTY_REVIEWER),
        ("township reviewer", township, Role.TOWNSHIP_REVIEWER),
        ("village officer", village, Role.VILLAGE_OFFICER),
    ):
        username = "bench_dispatch_" + name.split()[0]
        user = User.objects.filter(username=username).first() or User.objects.create_user(
            username, password=None, region=region, roles=[role]
        )
        out[name] = user
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def child(backend: str, runs: int, stand_in: bool) -> dict[str, Any]:
    configure(backend)
    import time_machine
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from dixian.accounts.capabilities import Capability
    from dixian.common.due import due_registered, due_sources, week_of
    from dixian.dispatch.board import board_build
    from dixian.dispatch.summary import summary_write
    from dixian.funds.models import Project
    from dixian.regions.models import Region

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    sizes = build_data()
    accounts = _accounts()
    city = Region.objects.get(level="city")
    county = Region.objects.filter(level="county").order_by("code")[0]
    url = reverse("dispatch:week")
    out = BENCH / "data" / "dispatch-summary.xlsx"

    def timed(fn: Any) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    registration = (
        due_registered(
            name=STAND_IN, order=0, capability=Capability.RECTIFICATION_VIEW.value, provider=stand_in_provider
        )
        if stand_in
        else _nothing()
    )
    pages: dict[str, list[float]] = {name: [] for name in accounts}
    items: dict[str, int] = {}
    queries: dict[str, int] = {}
    summaries: dict[str, list[float]] = {
        "city weekly summary (board + workbook)": [],
        "county weekly summary": [],
    }
    baseline: list[float] = []
    provider_alone: list[float] = []
    with registration, time_machine.travel(TODAY, tick=True):
        providers = [s.name for s in due_sources()]
        clients = {}
        for name, user in accounts.items():
            c = Client()
            c.force_login(user)
            clients[name] = c
            assert c.get(url).status_code == 200  # warm-up
            with CaptureQueriesContext(connection) as ctx:
                c.get(url)
            queries[name] = len(ctx.captured_queries)
            items[name] = board_build(user, user.region, TODAY, today=TODAY).total.listed
        for _ in range(runs):
            for name, c in clients.items():
                for _ in range(REQUESTS):
                    pages[name].append(timed(lambda c=c: c.get(url)))
            leader = accounts["city leader"]
            for label, region in (
                ("city weekly summary (board + workbook)", city),
                ("county weekly summary", county),
            ):

                def summary(region: Any = region, leader: Any = leader) -> None:
                    with out.open("wb") as fh:
                        summary_write(board_build(leader, region, TODAY, today=TODAY), fh)

                summaries[label].append(timed(summary))
            baseline.append(timed(lambda: Project.objects.count()))
            if stand_in:
                provider_alone.append(
                    timed(lambda u=leader: stand_in_provider(u, city.prefix, *week_of(TODAY)))
                )
    return {
        "backend": backend,
        "sizes": sizes,
        "providers": providers,
        "runs": runs,
        "page_p95_ms": {n: _pct(v, 0.95) * 1000 for n, v in pages.items()},
        "page_median_ms": {n: statistics.median(v) * 1000 for n, v in pages.items()},
        "items": items,
        "queries": queries,
        "summary_s": {n: statistics.median(v) for n, v in summaries.items()},
        "baseline_ms": statistics.median(baseline) * 1000,
        "provider_ms": statistics.median(provider_alone) * 1000 if provider_alone else None,
        "load": os.getloadavg()[0],
    }


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def section(results: list[dict[str, Any]]) -> str:
    r0 = results[0]
    s = r0["sizes"]
    lines = [
        HEADING,
        "",
        "`bench/bench_dispatch.py` (issue 19 §5, docs/domain.md §29): the dispatch page `dispatch:week` through "
        "Django's test client (session, middleware, template) and the weekly summary (the board and its "
        "workbook, what `dixian dispatch_summary` writes) for 2026-W49, today 2026-12-02. Providers measured: "
        f"{', '.join(r0['providers']) or 'none'}. The ledgers were built beside this app, so the stand-in "
        f"`{STAND_IN}` reads {s['tasks']:,} funds projects (`funds_project`, an existing table with a region "
        "code, a planned completion and a completion date) as if they were the rectification ledger's 50,000 "
        f"tasks, over {s['villages']:,} villages in {s['townships']:,} townships and {s['counties']} counties: "
        "planned completions spread over 2026, 95 % of those already due done. One query per provider "
        "(the tasks of the prefix due in the week or open before it). "
        f"{REQUESTS} requests per account and run, {r0['runs']} runs; p95 over all requests, summaries the "
        "median of the runs; the baseline (a plain COUNT(*) of the stand-in table) measured in the same run. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other helpers "
        f"(load {statistics.median(r['load'] for r in results):.1f}); {time.strftime('%Y-%m-%d')}.",
        "",
        "| measure | target | " + " | ".join(r["backend"] for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for name in r0["page_p95_ms"]:
        cells = [
            f"{r['page_p95_ms'][name]:.0f} ms (median {r['page_median_ms'][name]:.0f}; "
            f"{r['items'][name]:,} items, {r['queries'][name]} q)"
            for r in results
        ]
        lines.append(f"| page p95, {name} | < {PAGE_TARGET_MS} ms | " + " | ".join(cells) + " |")
    for name in r0["summary_s"]:
        target = f"< {SUMMARY_TARGET_S} s" if name.startswith("city") else ""
        lines.append(
            f"| {name} | {target} | " + " | ".join(f"{r['summary_s'][name]:.2f} s" for r in results) + " |"
        )
    lines.append(
        "| baseline: COUNT(*) of the stand-in table | | "
        + " | ".join(f"{r['baseline_ms']:.1f} ms" for r in results)
        + " |"
    )
    if all(r["provider_ms"] for r in results):
        lines.append(
            "| the stand-in provider alone, city (its query and items) | | "
            + " | ".join(f"{r['provider_ms']:.0f} ms" for r in results)
            + " |"
        )
        lines.append(
            "| city page median ÷ provider alone | | "
            + " | ".join(f"{r['page_median_ms']['city leader'] / r['provider_ms']:.1f}×" for r in results)
            + " |"
        )
    lines += [
        "",
        "The city page lists the first 50 items of each ledger but counts all of them (per ledger and per "
        "county): its cost grows with the items of the week (here those of the whole city), which the provider "
        "reads in one query and the board sorts and counts in Python. After the merge, run it again: the real "
        "providers then stand beside the stand-in (`--no-stand-in` measures them alone), each reading its own "
        "tables of this database.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-stand-in", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs, not args.no_stand_in), ensure_ascii=False))
        return
    results = []
    for backend in args.backends.split(","):
        cmd = [sys.executable, __file__, "--child", backend, "--runs", str(args.runs)]
        if args.no_stand_in:
            cmd.append("--no-stand-in")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ})
        sys.stderr.write(out.stderr)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.no_docs:
        return
    from docs_section import replace_docs_section

    print(replace_docs_section(HEADING, section(results)))


if __name__ == "__main__":
    main()
