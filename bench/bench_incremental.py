"""Benchmark: a pushed batch of 1,000 records → alerts stored, at city scale, incremental against full
(issue 17 item 2; docs/scale.md §3). Target: under 2 s on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_incremental.py                          # both databases, 3 rounds
    .venv/bin/python bench/bench_incremental.py --backends sqlite --runs 1 --no-docs

The databases are those of bench/bench_screen_command.py (var/bench/screen_city.sqlite3 and PostgreSQL
`dixian_bench_screen`: the generated city, 791k households and 2.5 M persons, with the engine benchmark's
5.5 M feed rows as accepted deliveries of 2026-10), built by that script when missing, plus one full run of
the period (the incremental runs' rule-set baseline) and an uploader account for the city.

Each round, in a fresh child process per database:
1. incremental: 1,000 medical settlements of random registry persons (every ID number usable) are POSTed to
   `/api/v1/feeds/medical/deliveries` (Bearer token, the full Django stack through the test client) and the
   worker runs the queued `screen_delivery` job, now incremental: timed from the POST until the alerts are
   stored (wall and CPU time), with the run's phases;
2. the same with 1 % of the rows without an ID number: those rows go through Splink linkage, which reads the
   registry's persons (the whole city's) first;
3. baseline, the path before issue 17: a third batch pushed the same way, screened by a full delivery run
   (`screening_run` without a scope: the registry and every row of the feeds its rules read).
Medians over the rounds; writes the "Incremental screening" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import bench_screen_command as sc  # noqa: E402 - the city databases are that benchmark's

PERIOD = sc.PERIOD
ROWS = 1_000
TARGET_SECONDS = 2.0
UPLOADER = "bench_incr_uploader"


def prepare() -> dict[str, object]:
    from dixian.accounts.models import Role, User
    from dixian.regions.models import Region
    from dixian.registry.models import Person
    from dixian.screening.models import ScreeningRun
    from dixian.screening.services import screening_run

    sc.ensure_database()
    if (
        not ScreeningRun.objects.filter(period=PERIOD, status=ScreeningRun.Status.DONE)
        .exclude(rule_set={})
        .exists()
    ):
        screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    if not User.objects.filter(username=UPLOADER).exists():
        User.objects.create_user(
            username=UPLOADER,
            password=None,
            region=Region.objects.get(level="city"),
            roles=[Role.DEPARTMENT_UPLOADER],
            feeds=["medical"],
        )
    return {"persons": Person.objects.count()}


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def rows_for(seed: int, *, missing: float) -> list[dict[str, object]]:
    """1,000 settlements of random registry persons (as bench/bench_push.py draws them), with the Chinese
    headers a department sends; `missing`: the share of rows without an ID number."""
    from django.db.models import Max, Min

    from dixian.registry.models import Person

    rng = random.Random(seed)
    bounds = Person.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    persons: list[tuple[str, str]] = []
    while len(persons) < ROWS:
        picks = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range(ROWS)}
        persons += list(Person.objects.filter(pk__in=sorted(picks)[:900]).values_list("name", "id_number"))
    rows = []
    for n, (name, id_number) in enumerate(persons[:ROWS]):
        big = rng.random() < 0.08
        own = round((rng.uniform(6000, 30000) if big else rng.uniform(50, 800)) * 100)
        total = round(own * 2.5)
        rows.append(
            {
                "结算单号": f"INCR{seed:06d}{n:05d}",
                "姓名": name,
                "证件号码": None if rng.random() < missing else id_number,
                "就诊类别": "住院" if big else "普通门诊",
                "结算日期": f"2026-10-{rng.randint(1, 28):02d}",
                "医疗总费用": _yuan(total),
                "统筹基金支付": _yuan(total - own),
                "个人负担": _yuan(own),
            }
        )
    return rows


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker forks one per job)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def push_and_screen(seed: int, *, missing: float, full: bool) -> dict[str, object]:
    from django.test import Client

    from dixian.accounts.models import User
    from dixian.common.jobs import worker_run_once
    from dixian.common.models import Job
    from dixian.feeds.models import FeedDelivery
    from dixian.feeds.services import api_token_create
    from dixian.screening.models import ScreeningRun
    from dixian.screening.services import screening_run

    while worker_run_once():  # jobs left by earlier work: not this batch's time
        pass
    _, key = api_token_create(user=User.objects.get(username=UPLOADER), name=f"bench {seed}", actor=None)
    body = json.dumps({"period": PERIOD, "rows": rows_for(seed, missing=missing)}, ensure_ascii=False)
    client = Client()
    t0, cpu0, epoch0 = time.perf_counter(), _cpu(), time.time()
    response = client.post(
        "/api/v1/feeds/medical/deliveries",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    t_push = time.perf_counter() - t0
    if response.status_code != 201:
        raise SystemExit(f"push answered {response.status_code}: {response.content[:2000]!r}")
    delivery = FeedDelivery.objects.get(pk=response.json()["delivery"]["id"])
    if full:
        # The path before issue 17: the delivery's job ran a full run of the feeds its rules read.
        Job.objects.filter(kind="screen_delivery", status=Job.Status.QUEUED).delete()
        run = screening_run(
            period=PERIOD, trigger=ScreeningRun.Trigger.DELIVERY, delivery=delivery, changed=[delivery]
        )
    else:
        while worker_run_once():
            pass
        run = ScreeningRun.objects.filter(delivery=delivery).get()
    t_total, cpu = time.perf_counter() - t0, _cpu() - cpu0
    if run.status != ScreeningRun.Status.DONE:
        raise SystemExit(f"run {run.pk}: {run.status} {run.message}")
    run.refresh_from_db()
    # The alerts are stored when the run's transaction has committed: its end, whatever the job does after
    # (the figures of the reports are refreshed by the job once the run is stored).
    assert run.finished_at is not None
    stored = run.finished_at.timestamp() + float(run.timings.get("commit", 0.0)) - epoch0
    return {
        "push": t_push,
        "stored": stored,
        "total": t_total,
        "cpu": cpu,
        "mode": run.mode,
        "households": run.households,
        "alerts_new": run.alerts_new,
        "evidence_new": run.evidence_new,
        "unmatched_new": run.unmatched_new,
        "timings": run.timings,
    }


def round_child(seed: int) -> dict[str, object]:
    return {
        "incremental": push_and_screen(seed * 3, missing=0.0, full=False),
        "incremental_missing": push_and_screen(seed * 3 + 1, missing=0.01, full=False),
        "full": push_and_screen(seed * 3 + 2, missing=0.0, full=True),
    }


def child(kind: str, backend: str, seed: int) -> dict[str, object]:
    sc.configure(backend)
    if kind == "prepare":
        return prepare()
    return round_child(seed)


def spawn(kind: str, backend: str, seed: int = 0) -> dict[str, object]:
    proc = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", kind, "--backend", backend, "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} on {backend} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


PHASES = [
    ("load_registry", "— deliveries, rule set (full run: read registry)"),
    ("link", "— linkage (Splink)"),
    ("scope_read", "— scope: read the feeds' ID numbers"),
    ("scope_closure", "— scope: households (closure)"),
    ("scope_rows", "— scope: their rows"),
    ("load_other", "— rules, links, scope, registry of the scope (total)"),
    ("engine", "— engine"),
    ("store", "— store"),
    ("commit", "— commit"),
]


def _phase(key: str):  # noqa: ANN202 - a getter of one phase's seconds
    return lambda r: r["timings"].get(key)


def report(results: dict[str, list[dict]], load: list[str], persons: dict[str, int]) -> str:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    kinds = [
        ("incremental", "incremental, every ID usable"),
        ("incremental_missing", "incremental, 1 % without ID (Splink)"),
        ("full", "baseline: full delivery run"),
    ]
    lines = [
        "## Incremental screening",
        "",
        f"`bench/bench_incremental.py`, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores "
        f"(load average at the rounds: {', '.join(load)}). City scale: the databases of the screening command's "
        f"benchmark ({', '.join(f'{b} {n:,} persons' for b, n in persons.items())}; 5.5 M feed rows in 12 "
        "accepted deliveries of 2026-10, one full run of the period stored). Each round, in a fresh process: "
        "1,000 medical settlements POSTed to the push API (full Django stack), screened by the worker's "
        "incremental job; the same with 1 % of rows without an ID number; and the baseline, a third batch "
        "screened by a full delivery run (the path before issue 17). Medians of "
        f"{len(next(iter(results.values())))} rounds; target < {TARGET_SECONDS:.0f} s from the POST to the alerts.",
        "",
    ]
    header = "| | " + " | ".join(f"{b} {label}" for b in results for _, label in kinds) + " |"
    lines += [header, "|---" * (1 + len(results) * len(kinds)) + "|"]

    def cell(backend: str, kind: str, get) -> str:  # noqa: ANN001
        values = [get(r[kind]) for r in results[backend]]
        values = [v for v in values if v is not None]
        return f"{med(values):.2f} s" if values else "–"

    rows = [
        ("**POST → alerts stored** (run committed)", lambda r: r["stored"]),
        ("POST → job done (figures refreshed or marked)", lambda r: r["total"]),
        ("CPU time (POST → alerts)", lambda r: r["cpu"]),
        ("push (validate, store Parquet, enqueue)", lambda r: r["push"]),
        *[(label, _phase(key)) for key, label in PHASES],
    ]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(cell(b, k, get) for b in results for k, _ in kinds) + " |")
    counts = []
    for b in results:
        for k, _ in kinds:
            r = results[b][0][k]
            counts.append(
                f"{r['households']:,} / {r['alerts_new']} / {r['evidence_new']} / {r['unmatched_new']}"
            )
    lines.append(
        "| households screened / new alerts / evidence / 应纳未纳 (first round) | "
        + " | ".join(counts)
        + " |"
    )
    lines.append("")
    for b in results:
        inc = med([r["incremental"]["stored"] for r in results[b]])
        mis = med([r["incremental_missing"]["stored"] for r in results[b]])
        full = med([r["full"]["stored"] for r in results[b]])
        inc_cpu = med([r["incremental"]["cpu"] for r in results[b]])
        full_cpu = med([r["full"]["cpu"] for r in results[b]])
        verdict = "within" if inc < TARGET_SECONDS else "OVER"
        lines.append(
            f"- {b}: {inc:.2f} s incremental ({verdict} the {TARGET_SECONDS:.0f} s target), {full:.2f} s for the "
            f"full delivery run in the same rounds ({full / inc:.1f}× the incremental); with 1 % of rows "
            f"without an ID number {mis:.2f} s; CPU time {inc_cpu:.2f} s against {full_cpu:.2f} s "
            f"({full_cpu / inc_cpu:.1f}×); all rounds (stored): "
            + ", ".join(f"{r['incremental']['stored']:.2f}" for r in results[b])
            + " s."
        )
    lines += NOTES
    return "\n".join(lines) + "\n"


# What the table does not say (kept by hand; the rest of the section is generated).
NOTES: list[str] = [
    "- The machine was shared with three other helpers' heavy jobs during the rounds (load average 4.8–9.7 on 2",
    "  cores): wall times are several times what the CPU times say, the SQLite rounds (load ~9) most. Judge by",
    "  the CPU time and by the ratio against the full delivery run measured in the same rounds.",
    "- The 2 s target is **not met**: an incremental batch costs ~7 s of CPU at city scale, against 19–32 s for",
    "  the full run it replaces. Where it goes (CPU, median round): the scope ~2.5 s (reading the sidecars of the",
    "  5.5 M feed rows' ID numbers ~0.8 s, the closure's joins over them ~1 s, fetching the ~8,000 rows of the",
    "  scope ~0.6 s), the engine over ~1,070 households ~1–1.5 s (its fixed cost: some sixty statements whatever",
    "  the input's size), the push, the forked job process, store and audit rows the rest.",
    "- What is still missing for 2 s: the scope's cost grows with the feeds' rows, not with the batch (the sidecars",
    "  are read whole every run). An index of feed rows by person, kept as deliveries are accepted, would make it",
    "  grow with the batch only (docs/scale.md §3); the engine's fixed cost on tiny inputs is the other half.",
    "- 1 % of rows without an ID number: Splink linkage needs the registry's persons (2.5 M rows read), which the",
    "  batch with usable numbers skips (`scope.needs_linking`).",
    "- After the run the job now marks the villages it wrote about for the reports' refresh instead of refreshing",
    "  every village's alert figures (which the full delivery run still does: the gap between its two first rows).",
    "- Each delivery's sidecar is written once, by the first incremental run that reads it (the city's 12",
    "  deliveries: ~8 s of wall time in total on this machine, not in the rounds). The SQLite rounds ran before,",
    "  the PostgreSQL rounds after the change that reads a scope's older incomes by NOT EXISTS (registry read).",
    '- "deliveries, rule set" is the registry read in the full run\'s column (the incremental one reads the',
    '  scope\'s households within "rules, links, scope, registry"); "0 households" there means all of them.',
]


def write_docs(section: str) -> None:
    from docs_section import replace_docs_section

    replace_docs_section("## Incremental screening", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.backend, args.seed), ensure_ascii=False, default=str))
        return
    results: dict[str, list[dict]] = {}
    persons: dict[str, int] = {}
    load: list[str] = []
    base = int(time.time()) % 100_000
    for backend in args.backends.split(","):
        persons[backend] = int(spawn("prepare", backend)["persons"])  # type: ignore[call-overload]  # an int from JSON
        results[backend] = []
        for i in range(args.runs):
            load.append(f"{os.getloadavg()[0]:.1f}")
            r = spawn("round", backend, base + i)
            results[backend].append(r)
            print(
                f"{backend} round {i + 1}: incremental stored {r['incremental']['stored']:.2f} s, "
                f"cpu {r['incremental']['cpu']:.2f} s, done {r['incremental']['total']:.2f} s "
                f"({r['incremental']['timings']}), missing IDs {r['incremental_missing']['total']:.2f} s, "
                f"full {r['full']['stored']:.2f} s (cpu {r['full']['cpu']:.2f} s)",
                file=sys.stderr,
            )
    section = report(results, load, persons)
    print(section)
    if not args.no_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
