"""Household page (农户画像) at city scale: p50/p95 per persona on SQLite and PostgreSQL.

Reuses the city-scale databases that bench_household_list.py builds (and keeps) under var/bench/ and in
PostgreSQL; run that first. Each child process times GET /households/<pk>/ through Django's test Client
(full middleware and templates) for random households — as a city admin (PII permission, any household
of the city) and as a village officer (no PII, households of the village) — and records the number of
queries of each page. Baseline in the same run: the framework floor (session + auth + the login page).

    .venv/bin/python bench/bench_household_page.py [--backends sqlite,postgresql] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_household_list as blist  # noqa: E402 - the sibling benchmark owns the city databases


def run_child(backend: str, requests: int) -> dict[str, object]:
    blist.configure(backend, "synthetic")
    blist.prepare(800_000, "synthetic")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dixian.registry.models import Household

    admin, officer, village = blist._personas()
    rng = random.Random(11)
    top = Household.objects.order_by("-id").values_list("id", flat=True).first()
    village_ids = list(
        Household.objects.filter(
            region_code__gte=village.prefix, region_code__lt=village.prefix + "~"
        ).values_list("id", flat=True)
    )
    clients = {"市级管理员": Client(), "村级信息员": Client()}
    clients["市级管理员"].force_login(admin)
    clients["村级信息员"].force_login(officer)

    def pick(who: str) -> int:
        if who == "村级信息员":
            return rng.choice(village_ids)
        while True:
            pk = rng.randint(1, top)
            if Household.objects.filter(pk=pk).exists():
                return pk

    def get(who: str, pk: int) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = clients[who].get(f"/households/{pk}/")
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (who, pk, response.status_code)
        return elapsed, len(queries)

    for who in clients:  # warm-up
        get(who, pick(who))
    timings: dict[str, list[float]] = {who: [] for who in clients}
    query_counts: dict[str, set[int]] = {who: set() for who in clients}
    for _ in range(requests // 2):
        for who in clients:
            ms, n = get(who, pick(who))
            timings[who].append(ms)
            query_counts[who].add(n)
    floor = []
    for _ in range(200):
        started = time.perf_counter()
        clients["市级管理员"].get("/accounts/login/")
        floor.append((time.perf_counter() - started) * 1000)
    return {
        "backend": backend,
        "households": Household.objects.count(),
        "by_persona": {who: blist._summary(v) for who, v in timings.items()},
        "overall": blist._summary([t for v in timings.values() for t in v]),
        "queries": {who: sorted(v) for who, v in query_counts.items()},
        "baseline_framework_floor": blist._summary(floor),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.requests), ensure_ascii=False))
        return
    for backend in args.backends.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--requests", str(args.requests)],
            check=True,
            capture_output=True,
            text=True,
            cwd=blist.ROOT,
        )
        sys.stderr.write(out.stderr[-1500:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"== {backend}: {result['households']:,} households")
        for who, s in result["by_persona"].items():
            print(
                f"  {who}: p50 {s['p50']:.1f} ms  p95 {s['p95']:.1f} ms  max {s['max']:.1f} ms (n={s['n']}) "
                f"queries/page {result['queries'][who]}"
            )
        o, f = result["overall"], result["baseline_framework_floor"]
        print(
            f"  overall: p50 {o['p50']:.1f} p95 {o['p95']:.1f} · floor p50 {f['p50']:.1f} p95 {f['p95']:.1f}"
        )


if __name__ == "__main__":
    main()
