"""Case queue and household timeline at city scale (issue 14, p95 under 150 ms), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_cases.py                          # both databases, 200 requests a scenario
    .venv/bin/python bench/bench_cases.py --backends sqlite --requests 50 --no-docs

Reuses the databases of bench_consistency.py (its builder: 40,000 monitored households, 10,000 eliminated,
500 identifications past their limit, 200,000 transitions, in 13 counties and 2,080 villages), built on the
first run and kept. Each child process times GET requests through Django's test Client (full middleware and
templates) after one warm-up request per scenario:

- monitoring:case_queue (/monitoring/) with its filters (default, 超期, 临期, a village, 待我办理, page 2, a
  deep page of 全部) as a city admin, a county admin and a village officer;
- registry:household_detail (/households/<pk>/) of random households with a case — the monitoring panel
  draws the timeline (every episode and its transitions) — as the city admin and the village officer;
- baseline in the same run: the login page (session + auth + a template, no data).

Records p50/p95/max per scenario and the number of queries of each page (the set of counts seen: one value
means the count does not grow with the data), the load average, and writes the "Case queue and household
timeline" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_consistency as bc  # noqa: E402 - the sibling benchmark owns the builder and the databases
from bench_household_list import _summary  # noqa: E402

TARGET_MS = 150.0
HEADING = "## Case queue and household timeline (issue 14)"


def _personas() -> dict[str, Any]:
    from dixian.accounts.models import Role, User
    from dixian.monitoring.models import MonitoringCase
    from dixian.regions.models import Region

    city = Region.objects.get(level="city")
    # A village with identification cases past their limit, so that its officer's 超期/待我办理 are not empty.
    code = (
        MonitoringCase.objects.filter(household__head_name__startswith="待认定")
        .order_by("id")
        .values_list("region_code", flat=True)[7]
    )
    village = Region.objects.get(code=code)
    county = Region.objects.get(level="county", code__startswith=village.prefix[:6])
    users = {}
    for label, region, role, pii in (
        ("市级管理员", city, Role.CITY_ADMIN, True),
        ("县级管理员", county, Role.COUNTY_ADMIN, False),
        ("村级信息员", village, Role.VILLAGE_OFFICER, False),
    ):
        users[label], _ = User.objects.update_or_create(
            username=f"bench_cases_{role}",
            defaults={"region": region, "roles": [role], "can_view_pii": pii, "is_active": True},
        )
    return {"users": users, "city": city, "county": county, "village": village}


def _chain(region: Any) -> list[int]:
    """The region picker's chain of ids from the city down to `region`."""
    ids = []
    while region is not None:
        ids.append(region.pk)  # noqa: PERF401 - a walk up the parents
        region = region.parent
    return ids[::-1]


def run_child(backend: str, requests: int) -> dict[str, object]:
    bc.configure(backend)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dixian.domain import lifecycle as lc
    from dixian.monitoring.models import CaseTransition, MonitoringCase
    from dixian.registry.models import Household

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    sizes = bc.build_data()
    built = time.monotonic() - started
    p = _personas()
    users = p["users"]
    assert isinstance(users, dict)
    clients = {}
    for label, user in users.items():
        clients[label] = Client()
        clients[label].force_login(user)
    village_chain = "&".join(f"region={pk}" for pk in _chain(p["village"]))
    other_village = "&".join(
        f"region={pk}"
        for pk in _chain(
            MonitoringCase.objects.filter(region_code__startswith=p["county"].prefix)
            .exclude(region=p["village"])
            .order_by("id")[0]
            .region
        )
    )
    queue = {
        "默认(在办)": "",
        "超期": f"deadline={lc.RED}",
        "临期": f"deadline={lc.ORANGE}",
        "某村": other_village,
        "待我办理": "mine=on",
        "第2页": "page=2",
        "全部·第200页": "state=all&page=200",
    }
    scenarios: list[tuple[str, str, str]] = []  # (persona, scenario, url or "household")
    for who in clients:
        for name, query in queue.items():
            if who == "村级信息员" and name == "某村":
                query = village_chain
            if who == "村级信息员" and name == "全部·第200页":
                continue  # the village holds a few dozen cases
            scenarios.append((who, f"队列 {name}", f"/monitoring/?{query}" if query else "/monitoring/"))
    scenarios += [(who, "农户画像(含监测时间线)", "household") for who in ("市级管理员", "村级信息员")]

    rng = random.Random(14)
    case_households = list(MonitoringCase.objects.values_list("household_id", flat=True))
    village_households = list(
        MonitoringCase.objects.filter(region=p["village"]).values_list("household_id", flat=True)
    )

    def url_of(who: str, target: str) -> str:
        if target != "household":
            return target
        pk = rng.choice(village_households if who == "村级信息员" else case_households)
        return f"/households/{pk}/"

    def get(who: str, url: str) -> tuple[float, int, int]:
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = clients[who].get(url)
            elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code == 200, (who, url, response.status_code)
        return elapsed, len(queries), len(response.content)

    loads = [os.getloadavg()[0]]
    for who, _name, target in scenarios:  # warm-up
        get(who, url_of(who, target))
    timings: dict[str, list[float]] = {}
    query_counts: dict[str, set[int]] = {}
    sizes_kb: dict[str, int] = {}
    # Interleaved rounds, so that a burst of load from the other sessions falls on every scenario alike.
    floor: list[float] = []
    for i in range(requests):
        for who, name, target in scenarios:
            ms, n, size = get(who, url_of(who, target))
            key = f"{who} · {name}"
            timings.setdefault(key, []).append(ms)
            query_counts.setdefault(key, set()).add(n)
            sizes_kb[key] = size // 1024
        t = time.perf_counter()
        clients["市级管理员"].get("/accounts/login/")
        floor.append((time.perf_counter() - t) * 1000)
        if i % 50 == 49:
            loads.append(os.getloadavg()[0])
    loads.append(os.getloadavg()[0])
    from dixian.monitoring.selectors import case_counts_for_user

    counts = {who: case_counts_for_user(user) for who, user in users.items()}
    return {
        "backend": backend,
        "sizes": sizes,
        "cases": MonitoringCase.objects.count(),
        "transitions": CaseTransition.objects.count(),
        "households": Household.objects.count(),
        "build_seconds": built,
        "by_scenario": {k: _summary(v) for k, v in timings.items()},
        "queries": {k: sorted(v) for k, v in query_counts.items()},
        "kb": sizes_kb,
        "baseline": _summary(floor),
        "loads": loads,
        "queue_counts": counts,
    }


def section(results: list[dict[str, Any]]) -> str:
    sizes = results[0]["sizes"]
    assert isinstance(sizes, dict)
    lines = [
        HEADING,
        "",
        f"`bench/bench_cases.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, shared with other sessions (load average during the runs: "
        + "; ".join(f"{r['backend']} " + ", ".join(f"{x:.1f}" for x in r["loads"]) for r in results)
        + "). Data: bench_consistency.py's builder — "
        + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
        + " (40,000 households in 监测帮扶中, 10,000 eliminated, 500 identifications past their limit). "
        f"{results[0]['by_scenario'][next(iter(results[0]['by_scenario']))]['n']} requests per scenario "
        "through Django's test Client (full middleware and templates), interleaved, after one warm-up each; "
        "the baseline is the login page requested in the same rounds. p50 / p95 in ms, queries per page.",
        "",
        "| persona · page | " + " | ".join(str(r["backend"]) for r in results) + " | queries |",
        "|---|" + "---:|" * len(results) + "---:|",
    ]
    for key in results[0]["by_scenario"]:
        cells = []
        for r in results:
            s = r["by_scenario"][key]
            cells.append(f"{s['p50']:.1f} / {s['p95']:.1f}")
        q = sorted({n for r in results for n in r["queries"][key]})
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {', '.join(map(str, q))} |")
    lines.append(
        "| baseline: login page | "
        + " | ".join(f"{r['baseline']['p50']:.1f} / {r['baseline']['p95']:.1f}" for r in results)
        + " | |"
    )
    lines.append("")
    for r in results:
        worst = max(s["p95"] for s in r["by_scenario"].values())
        base = r["baseline"]["p50"]
        ratio = max(s["p50"] for s in r["by_scenario"].values()) / max(base, 1e-6)
        lines.append(
            f"- {r['backend']}: worst p95 {worst:.1f} ms "
            f"({'within' if worst < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target); the slowest "
            f"median is {ratio:.1f}x the login page's. Queue counts (open / 超期 / 临期 / 待我办理): "
            + "; ".join(
                f"{who} {c['total']:,} / {c['red']:,} / {c['orange']:,} / {c['mine']:,}"
                for who, c in r["queue_counts"].items()
            )
            + "."
        )
    lines += [
        "- Found and fixed (first run of this benchmark, PostgreSQL, load 2-4 while the SQLite database was",
        "  being built, 5 requests a scenario): the city admin's queue took",
        "  p50 458 ms (page 2: 443 ms, a deep page 774 ms). The queue's ORDER BY starts with the deadline",
        "  clock, a CASE over today's date that no index serves, so every page sorted all 40,500 open cases",
        "  with their joined household and region rows (PostgreSQL: an external merge sort on disk, 3 MB a",
        "  worker, 380 ms), and the summary grouped the same 40,500 rows by that clock. Now the queue is read",
        "  as two segments in the same order (selectors.case_queue_segments): the cases on an identification",
        "  step (few; the new `case_state` index on (state, region_code)), then the decided cases, which the",
        "  new `case_queue_order` index on (due_on, state_since DESC, id DESC) hands out in order (the",
        "  city's first page: 0.2 ms instead of a 45 ms top-N sort of the ids); only the page's ids are read",
        "  from the segments, then its rows (common/paging.paginate_segments); the summary counts the open",
        "  cases and groups only the running ones. Tests: monitoring/tests/test_queue_paging.py (the order",
        "  across pages and segments, the counts, the same queries for more cases).",
        "- Left over, SQLite only: a deep page of 全部 for the city (page 166 after the clamp: offset 4,950,",
        "  past the 500 running cases into 50,000 decided and closed ones). SQLite plans the second segment",
        "  through the region index `case_queue` (the city's range: every row) and a temporary B-tree for the",
        "  ORDER BY, even after ANALYZE, so the top 4,481 of 50,000 rows are sorted (90-110 ms of the page",
        "  under this load); PostgreSQL walks `case_queue_order`. On the first pages SQLite's sorter keeps",
        "  only the top 31 rows, within the target. A fix",
        "  would be to drop the region condition when it is the account's whole city (then only the ordering",
        "  index applies), which belongs to the scope selector; not done here.",
        "- The query count of a page does not grow with the data; it depends on where the page falls: a page",
        "  past the first segment adds a COUNT of that segment, a page past the end (the village officer's",
        "  page 2: the village has 21 cases) reads the last page again, the pager's total adds the counts.",
        "- The household page is 17 queries whatever the number of episodes and transitions (asserted by",
        "  monitoring/tests/test_case_pages.py); the builder gives each household one episode of four",
        "  transitions.",
        "- On this loaded machine (load average 6-9 on 2 cores) even the village officer's queue of 21",
        "  cases takes several times the login page: the time is Python and templates sharing the CPUs, not",
        "  the database; the ratio to the login page is the figure to compare between runs.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", default="")
    parser.add_argument(
        "--docs-only", action="store_true", help="rewrite the section from var/bench/cases.json"
    )
    args = parser.parse_args()
    if args.docs_only:
        from docs_section import replace_docs_section

        replace_docs_section(HEADING, section(json.loads((bc.BENCH / "cases.json").read_text("utf-8"))))
        return
    if args.child:
        print(json.dumps(run_child(args.child, args.requests), ensure_ascii=False))
        return
    results = []
    for backend in args.backends:
        out = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--requests", str(args.requests)],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(bc.ROOT)},
        )
        sys.stderr.write(out.stderr[-3000:])
        if out.returncode:
            raise SystemExit(f"{backend}: the child failed ({out.returncode})")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"== {backend}: built/checked in {result['build_seconds']:.0f} s, loads {result['loads']}")
        for key, s in result["by_scenario"].items():
            print(
                f"  {key}: p50 {s['p50']:.1f} p95 {s['p95']:.1f} max {s['max']:.1f} (n={s['n']}) "
                f"queries {result['queries'][key]} {result['kb'][key]} KB"
            )
        b = result["baseline"]
        print(f"  baseline login page: p50 {b['p50']:.1f} p95 {b['p95']:.1f}")
        results.append(result)
    (bc.BENCH / "cases.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    if not args.no_docs:
        from docs_section import replace_docs_section

        replace_docs_section(HEADING, section(results))


if __name__ == "__main__":
    main()
