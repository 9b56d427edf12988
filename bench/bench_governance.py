"""The 四议两公开 list at city scale (issue 19, docs/domain.md §28): p50/p95 on PostgreSQL (and SQLite).

    .venv/bin/python bench/bench_governance.py                         # PostgreSQL, 3 rounds of 50
    .venv/bin/python bench/bench_governance.py --backend sqlite --rounds 1 --no-docs

1. A database per backend (PostgreSQL `dixian_bench_governance`, var/bench/governance.sqlite3), built once and
   kept: a city of 10 counties, 100 townships and 2,000 villages, 20 decisions a village (40,000) with their
   derived facts as the app keeps them (a tenth closed missing a step), bulk_create.
2. Each round, through the Django test client: the city account's list (`governance:decision_list`, page 1 of
   the whole city), the same list filtered to decisions missing a step, page 40 of the city list, and a
   township reviewer's list; then, as the baseline of the same round, the figures page of one township (five
   aggregate queries over its 400 decisions). One warm-up each (its queries counted), then N requests: p50, p95.
Prints the results and, unless --no-docs, writes the "Governance list (issue 19)" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_DB = "dixian_bench_governance"
SQLITE_PATH = ROOT / "var" / "bench" / "governance.sqlite3"
COUNTIES, TOWNSHIPS, VILLAGES, PER_VILLAGE = 10, 10, 20, 20
HEADING = "## Governance list (issue 19)"
TARGET_P95_MS = 150.0


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
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build() -> int:
    import ledger_fill

    from dixian.governance.models import Decision
    from dixian.regions.models import Region

    if Decision.objects.count() >= COUNTIES * TOWNSHIPS * VILLAGES * PER_VILLAGE:
        return Decision.objects.count()
    city, _ = Region.objects.get_or_create(code="369900000000", defaults={"name": "基准市", "level": "city"})
    today = dt.date(2026, 6, 1)
    rows = []
    for c in range(COUNTIES):
        county = Region.objects.create(
            code=f"3699{c + 1:02d}000000", name=f"县{c}", level="county", parent=city
        )
        for t in range(TOWNSHIPS):
            town = Region.objects.create(
                code=f"{county.code[:6]}{t + 100:03d}000", name=f"镇{c}-{t}", level="township", parent=county
            )
            villages = Region.objects.bulk_create(
                Region(
                    code=f"{town.code[:9]}{v + 200:03d}", name=f"村{c}-{t}-{v}", level="village", parent=town
                )
                for v in range(VILLAGES)
            )
            rows += ledger_fill.decision_rows(villages, today, PER_VILLAGE)
        Decision.objects.bulk_create(rows, batch_size=5000)
        rows = []
    return Decision.objects.count()


def analyze() -> None:
    """Fresh statistics, as autovacuum gives a table some time after a bulk load (the planner's choice of
    the primary-key order for the city list depends on them)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE governance_decision")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(backend: str, rounds: int, requests: int) -> dict[str, Any]:
    configure(backend)
    decisions = build()
    analyze()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from dixian.accounts.models import Role, User
    from dixian.regions.models import Region

    city = Region.objects.get(code="369900000000")
    town = Region.objects.get(code="369901100000")
    admin, _ = User.objects.update_or_create(
        username="bench_gov_city", defaults={"region": city, "roles": [Role.CITY_ADMIN]}
    )
    reviewer, _ = User.objects.update_or_create(
        username="bench_gov_town", defaults={"region": town, "roles": [Role.TOWNSHIP_REVIEWER]}
    )
    city_client, town_client = Client(), Client()
    city_client.force_login(admin)
    town_client.force_login(reviewer)
    url = reverse("governance:decision_list")
    pages = {
        "city list": (city_client, url),
        "city list, missing a step": (city_client, url + "?flagged=on"),
        "city list, page 40": (city_client, url + "?page=40"),
        "township list": (town_client, url),
        "baseline: township figures": (town_client, reverse("governance:figures")),
    }
    queries = {}
    for name, (client, address) in pages.items():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200, name
        queries[name] = len(captured.captured_queries)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, (client, address) in pages.items():
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(address)
                times.append((time.perf_counter() - started) * 1000)
            results[name].append({"p50": _pct(times, 0.5), "p95": _pct(times, 0.95)})
    return {"backend": backend, "decisions": decisions, "queries": queries, "rounds": results}


def report(result: dict[str, Any], rounds: int, requests: int) -> str:
    lines = [
        HEADING,
        "",
        f"`bench/bench_governance.py` on {platform.node() or 'this machine'} ({platform.machine()}, "
        f"{os.cpu_count()} cores, shared), {time.strftime('%Y-%m-%d')}, {result['backend']}: "
        f"{result['decisions']:,} decisions over 2,000 villages; median of {rounds} rounds of {requests} "
        f"requests. Target: each list p95 < {TARGET_P95_MS:.0f} ms.",
        "",
        "| page | queries | p50 (ms) | p95 (ms) | p95 ÷ baseline p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    base = statistics.median(r["p95"] for r in result["rounds"]["baseline: township figures"])
    for name, rs in result["rounds"].items():
        p50 = statistics.median(r["p50"] for r in rs)
        p95 = statistics.median(r["p95"] for r in rs)
        lines.append(f"| {name} | {result['queries'][name]} | {p50:.1f} | {p95:.1f} | {p95 / base:.2f} |")
    return "\n".join(lines) + "\n"


def write_docs(section: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
        if end != -1:
            text = text[:start] + section + "\n" + text[end + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    result = run(args.backend, args.rounds, args.requests)
    section = report(result, args.rounds, args.requests)
    print(section)
    if not args.no_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
