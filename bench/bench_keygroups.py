"""The key-group refresh (docs/domain.md §23, dixian/employment/keygroups.py) on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_keygroups.py                      # both databases, 20,000 workers, 3 rounds
    BENCH_KEYGROUPS_WORKERS=100000 .venv/bin/python bench/bench_keygroups.py --backends sqlite

The refresh runs after every survey write (in its transaction), so its cost lands on the village form and on
the workbook import (issue 18: 100,000 rows at 20,000 rows/s). Data, built fresh each run with bulk_create:
N workers of 脱贫户 (four per household, a tenth 弱劳动力) in 20 villages, twelve months of survey records each
(a Markov chain: working in county / away / not working, willing or not), so about a third of the workers
enter a group at some point. Each round times, in one process:
- refresh (first): every worker's memberships computed and written (as after a generator's load);
- refresh (again): the same call, which writes nothing (as after a correction that changes no group);
- baseline: reading the same workers' records alone (the floor of any recomputation from the records).
Prints the medians and the rates (workers per second); figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG_DB = "dixian_bench_keygroups"
WORKERS = int(os.environ.get("BENCH_KEYGROUPS_WORKERS", "20000"))
VILLAGES = 20


def configure(backend: str) -> None:
    if backend == "postgresql":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}"')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        BENCH.mkdir(parents=True, exist_ok=True)
        path = BENCH / "keygroups.sqlite3"
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DIXIAN_DATA_DIR"] = str(BENCH / "data")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(seed: int = 18) -> list[int]:
    from django.utils import timezone

    from dixian.common.testing import fake_id, region
    from dixian.employment.models import Employment
    from dixian.registry.models import Household, Person

    rng = random.Random(seed)
    city = region("360400000000", "九江市", "city")
    county = region("360424000000", "修水县", "county", city)
    township = region("360424100000", "义宁镇", "township", county)
    villages = [region(f"360424100{200 + i:03d}", f"村{i}", "village", township) for i in range(VILLAGES)]
    households = Household.objects.bulk_create(
        [
            Household(
                household_no=f"{villages[i % VILLAGES].code}{i:04d}",
                region=villages[i % VILLAGES],
                region_code=villages[i % VILLAGES].code,
                kind="ex_poor",
                head_name=f"户主{i}",
                member_count=4,
            )
            for i in range((WORKERS + 3) // 4)
        ],
        batch_size=2000,
    )
    persons = Person.objects.bulk_create(
        [
            Person(
                household=households[i // 4],
                region_code=households[i // 4].region_code,
                id_number=fake_id("360424", dt.date(1970, 1, 1) + dt.timedelta(days=i // 400), i % 400),
                name=f"劳动力{i}",
                sex="male",
                birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=i // 400),
                relation="head" if i % 4 == 0 else "child",
                labour_skill="weak" if rng.random() < 0.1 else "ordinary",
                medical_insurance="resident",
            )
            for i in range(WORKERS)
        ],
        batch_size=2000,
    )
    at = timezone.now()
    rows = []
    for p in persons:
        state = rng.choice(["county", "away", "idle"])
        for m in range(12):
            roll = rng.random()
            if roll < 0.15:
                state = rng.choice(["county", "away", "idle"])
            working = state != "idle"
            rows.append(
                Employment(
                    person_id=p.pk,
                    household_id=p.household_id,
                    region_code=p.region_code,
                    month=dt.date(2026, m + 1, 1),
                    working=working,
                    place_tier=("in_county" if state == "county" else "out_of_province") if working else "",
                    channel="self" if working else "",
                    not_working_reason="" if working else "no_job",
                    willing=None if working else rng.random() < 0.5,
                    source="generated",
                    recorded_at=at,
                )
            )
    Employment.objects.bulk_create(rows, batch_size=5000)
    return [p.pk for p in persons]


def run(backend: str, rounds: int) -> None:
    configure(backend)
    from dixian.employment.keygroups import keygroups_refresh
    from dixian.employment.models import Employment, KeyGroupMember

    ids = build()
    today = dt.date(2026, 12, 15)
    first, again, base = [], [], []
    cpu: dict[str, list[float]] = {"first": [], "again": [], "base": []}
    for _ in range(rounds):
        KeyGroupMember.objects.all().delete()
        t, c = time.perf_counter(), time.process_time()
        stats = keygroups_refresh(ids, today=today)
        first.append(time.perf_counter() - t)
        cpu["first"].append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        nothing = keygroups_refresh(ids, today=today)
        again.append(time.perf_counter() - t)
        cpu["again"].append(time.process_time() - c)
        assert nothing.opened == nothing.closed == nothing.changed == nothing.deleted == 0
        t, c = time.perf_counter(), time.process_time()
        for start in range(0, len(ids), 2000):
            list(
                Employment.objects.filter(person_id__in=ids[start : start + 2000])
                .order_by("person_id", "month")
                .values_list("person_id", "month", "working", "place_tier", "willing")
            )
        base.append(time.perf_counter() - t)
        cpu["base"].append(time.process_time() - c)
    members = KeyGroupMember.objects.count()
    print(
        f"{backend}: {len(ids):,} workers × 12 months, {members:,} memberships ({stats.opened:,} opened); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    for label, key, times in (
        ("refresh (first)", "first", first),
        ("refresh (again)", "again", again),
        ("baseline read", "base", base),
    ):
        median = statistics.median(times)
        print(
            f"  {label:16} median {median:6.2f} s wall, {statistics.median(cpu[key]):6.2f} s CPU "
            f"({len(ids) / median:,.0f} workers/s)  runs {[round(x, 2) for x in times]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        run(args.child, args.runs)
        return
    for backend in args.backends.split(","):
        # One process per backend: Django is set up once per process.
        subprocess.run(
            [sys.executable, __file__, "--child", backend, "--runs", str(args.runs)], check=True, cwd=ROOT
        )


if __name__ == "__main__":
    main()
