"""Leaders' figures at city scale (issue 15), SQLite and PostgreSQL: the real producers, catalogue and views.

    .venv/bin/python bench/bench_reports.py                             # both databases, 3 rounds
    .venv/bin/python bench/bench_reports.py --backends sqlite --runs 3 --no-docs
    .venv/bin/python bench/bench_reports.py --build-only                # build (or reuse) data and history
    .venv/bin/python bench/bench_reports.py --docs-only                 # the docs from the kept results
    BENCH_REPORTS_SQLITE=/other/checkout/var/bench/reports.sqlite3 …    # reuse a SQLite database built elsewhere

1. A database per backend (var/bench/reports.sqlite3, PostgreSQL `dixian_bench_reports`), built once and
   kept: the registry of bench_household_list.py's SQL generator (~800,000 households, 2.5 M persons, 2,300
   villages in 13 counties), then with bulk inserts (not through the services) 40,000 monitored households
   with a case in 监测帮扶中 or eliminated during the year and their transitions, a year of alerts (with one
   piece of evidence each, of a rule version and feed) in every state, and a year of visits. Then, once,
   13 months of facts of every registered producer (kept: FactRefresh scope HISTORY_SCOPE).
2. Each round, in the child process of the backend:
   - the full refresh of every registered producer for the current month (`facts_refresh`);
   - the refresh after a screening run: 2,000 alerts of the month inserted as a run stores them, then what
     the screening signal's receiver does (`reports.triggers.facts_after_screening`: the alert producers of
     the current month, every village);
   - the refresh of 50 stale villages (what the job worker does after a day of case work);
   - the bulletin of the city for the last complete month: `bulletin_build`, `bulletin_docx`, `bulletin_xlsx`;
   - baseline in the same round: the dashboard's first figure (households by kind) counted from the registry
     of the city and of one village, which is what a page would pay per figure without facts;
   - the pages through the Django test client, logged in as a city leader and a county administrator
     (accounts the bench creates): reports:dashboard at city (month and year to date), county, township and
     village, reports:map at city and county, reports:indicator of the first headline indicator at city and
     county; one warm-up (its queries counted), then N requests each: p50, p95, CPU p50.
Prints the results and writes the "Leaders' figures (issue 15)" section of docs/benchmarks.md.
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
PG_DB = "dixian_bench_reports"
# A database built once can be reused from another checkout: BENCH_REPORTS_SQLITE=/path/reports.sqlite3.
SQLITE_PATH = Path(os.environ.get("BENCH_REPORTS_SQLITE") or BENCH / "reports.sqlite3")
HOUSEHOLDS = 800_000
MONITORED = 40_000
ALERTS = 150_000
VISITS = 120_000
NEW_ALERTS = 2_000  # a screening run's new alerts in the incremental scenario
STALE = 50
PENDING = (1, 10, 50)  # villages marked stale when a dashboard is opened
HEADING = "## Leaders' figures (issue 15)"
TARGETS = {"refresh_after_screening": 10.0, "city_ms": 300.0, "below_ms": 150.0, "bulletin": 20.0}


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


def _months_ago(today: dt.date, months: int, day: int) -> dt.date:
    year, month = today.year, today.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, min(day, 28))


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    from django.utils import timezone

    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def build_data() -> dict[str, int]:
    """The registry (bench_household_list's generator), then cases, alerts and visits of the past year."""
    import bench_household_list as hl
    from django.core.management import call_command

    from dixian.monitoring.models import MonitoringCase
    from dixian.registry.models import Household

    call_command("migrate", verbosity=0)
    if Household.objects.count() < HOUSEHOLDS * 0.95:
        if Household.objects.exists():
            raise SystemExit("the bench database holds a partial registry: drop it first")
        hl.build_with_sql(HOUSEHOLDS)
    if not MonitoringCase.objects.exists():
        _build_lines()
    return sizes()


def _build_lines() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from dixian.accounts.models import Role, User
    from dixian.cases.models import Alert, AlertEvidence
    from dixian.domain import lifecycle as lc
    from dixian.monitoring.models import CaseTransition, Measure, MonitoringCase
    from dixian.registry.models import HelperAssignment, Household
    from dixian.screening.models import RuleVersion
    from dixian.visits.models import Visit

    t0 = time.perf_counter()
    rng = random.Random(15)
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        helper, _ = User.objects.get_or_create(
            username="bench_reports_helper",
            defaults={"roles": [Role.HELPER], "password": make_password(None)},
        )
        # 40,000 monitored households: those the generator made monitored, topped up with 脱贫户.
        monitored_ids = list(
            Household.objects.exclude(monitoring_category="").order_by("id").values_list("id", flat=True)
        )
        if len(monitored_ids) < MONITORED:
            extra = list(
                Household.objects.filter(monitoring_category="", kind="ex_poor")
                .order_by("id")
                .values_list("id", flat=True)[: MONITORED - len(monitored_ids)]
            )
            for i in range(0, len(extra), 5000):
                Household.objects.filter(pk__in=extra[i : i + 5000]).update(
                    monitoring_category="unstable_ex_poor"
                )
            monitored_ids += extra
        monitored_ids = monitored_ids[:MONITORED]
        households = dict(_in_chunks(Household, monitored_ids, ("id", "region_code")))
        from dixian.regions.models import Region

        region_of = dict(Region.objects.filter(level="village").values_list("code", "id"))
        cases = []
        for n, hid in enumerate(monitored_ids):
            code = households[hid]
            # A quarter identified during the past year, the rest earlier; one in eight eliminated this year.
            months_back = rng.randint(0, 11) if n % 4 == 0 else rng.randint(12, 48)
            identified = _months_ago(today, months_back, rng.randint(1, 28))
            eliminated = None
            if n % 8 == 0 and months_back >= 6:
                eliminated = _months_ago(today, rng.randint(0, 5), rng.randint(1, 28))
            cases.append(
                MonitoringCase(
                    household_id=hid,
                    region_id=region_of[code],
                    region_code=code,
                    state=lc.ELIMINATED if eliminated else lc.MONITORING,
                    state_since=now,
                    seq=5 if eliminated else 4,
                    origin="import",
                    category="unstable_ex_poor",
                    risk_codes=[rng.choice(["01", "02", "03", "05", "06", "07"])],
                    first_clue_on=identified - dt.timedelta(days=rng.randint(5, 20)),
                    due_on=identified + dt.timedelta(days=3),
                    decided_on=identified,
                    identified_on=identified,
                    eliminated_on=eliminated,
                    elimination_method="assisted" if eliminated else "",
                    closed_at=_at(eliminated) if eliminated else None,
                )
            )
        MonitoringCase.objects.bulk_create(cases, batch_size=5000)
        rows = list(
            MonitoringCase.objects.order_by("id").values_list(
                "id", "household_id", "identified_on", "eliminated_on"
            )
        )
        transitions, measures, assignments = [], [], []
        path = (lc.HOME_CHECK, lc.COUNTY_APPROVAL, lc.ANNOUNCEMENT, lc.MONITORING)
        for n, (case_id, hid, identified, eliminated) in enumerate(rows):
            steps = [(s, identified) for s in path] + ([(lc.ELIMINATED, eliminated)] if eliminated else [])
            previous = ""
            for seq, (to_state, on) in enumerate(steps, start=1):
                transitions.append(
                    CaseTransition(
                        case_id=case_id,
                        seq=seq,
                        action="open" if seq == 1 else "advance",
                        from_state=previous,
                        to_state=to_state,
                        on=on,
                        at=_at(on),
                        actor_name="基准",
                    )
                )
                previous = to_state
            measures.append(
                Measure(
                    case_id=case_id,
                    category="employment" if n % 3 else "health",
                    item="基准措施",
                    start_on=identified,
                    deliverer="乡镇",
                    status="applied",
                    applied_on=identified,
                )
            )
            if n % 25:
                assignments.append(
                    HelperAssignment(household_id=hid, helper=helper, unit="县直单位", start_date=identified)
                )
        CaseTransition.objects.bulk_create(transitions, batch_size=5000)
        Measure.objects.bulk_create(measures, batch_size=5000)
        HelperAssignment.objects.bulk_create(assignments, batch_size=5000)
        print(f"  cases: {len(rows):,}, transitions {len(transitions):,}", file=sys.stderr)

        # A year of alerts, spread over the months, each with its rule's evidence.
        versions = list(RuleVersion.objects.select_related("rule").order_by("id"))
        total = Household.objects.count()
        picked = rng.sample(range(1, total + 1), ALERTS)
        ids_codes = dict(_in_chunks(Household, picked, ("id", "region_code")))
        statuses = [
            (Alert.Status.DISMISSED, 55),
            (Alert.Status.CONFIRMED, 15),
            (Alert.Status.OPEN, 12),
            (Alert.Status.VERIFYING, 10),
            (Alert.Status.PROPOSED, 8),
        ]
        alerts = []
        evidence_meta = []
        for n, hid in enumerate(picked):
            if hid not in ids_codes:
                continue
            code = ids_codes[hid]
            version = versions[n % len(versions)]
            raised_day = today - dt.timedelta(days=rng.randint(0, 364))
            status = rng.choices([s for s, _ in statuses], [w for _, w in statuses])[0]
            closed = status in (Alert.Status.DISMISSED, Alert.Status.CONFIRMED)
            closed_day = min(today, raised_day + dt.timedelta(days=rng.randint(1, 20))) if closed else None
            alerts.append(
                Alert(
                    household_id=hid,
                    region_id=region_of[code],
                    region_code=code,
                    risk_code=version.risk_code,
                    grade=version.grade,
                    grade_rank={"红": 1, "橙": 2}.get(version.grade, 3),
                    status=status,
                    reason="基准预警",
                    channels=["department"],
                    evidence_count=1,
                    raised_at=_at(raised_day),
                    due_date=raised_day + dt.timedelta(days=7),
                    last_evidence_at=_at(raised_day),
                    closed_at=_at(closed_day, 16) if closed_day else None,
                    close_note="基准" if closed else "",
                    created_at=_at(raised_day),
                    updated_at=_at(closed_day or raised_day),
                )
            )
            evidence_meta.append((version, raised_day))
        Alert.objects.bulk_create(alerts, batch_size=5000)
        alert_rows = list(
            Alert.objects.order_by("id").values_list("id", "household_id", "region_code", "risk_code")
        )
        evidence = [
            AlertEvidence(
                alert_id=aid,
                household_id=hid,
                region_code=code,
                risk_code=risk,
                channel="department",
                grade=version.grade,
                reason="基准证据",
                rule_version=version,
                feed=(version.rule.feeds or [""])[0][:20],
                dedup_key=f"bench-{aid}",
                created_at=_at(day),
            )
            for (aid, hid, code, risk), (version, day) in zip(alert_rows, evidence_meta, strict=True)
        ]
        AlertEvidence.objects.bulk_create(evidence, batch_size=5000)
        print(f"  alerts: {len(alerts):,}", file=sys.stderr)

        visited = rng.sample(range(1, total + 1), VISITS)
        visit_codes = dict(_in_chunks(Household, visited, ("id", "region_code")))
        Visit.objects.bulk_create(
            (
                Visit(
                    household_id=hid,
                    region_code=code,
                    visit_date=today - dt.timedelta(days=rng.randint(0, 364)),
                    visitor=helper,
                    method="home",
                    risks=[],
                    has_risks=False,
                    notes="基准走访",
                )
                for hid, code in visit_codes.items()
            ),
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  lines and cases built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def _in_chunks(model: Any, ids: list[int], fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        out.extend(model.objects.filter(pk__in=ids[i : i + 900]).values_list(*fields))
    return out


def sizes() -> dict[str, int]:
    from dixian.cases.models import Alert
    from dixian.monitoring.models import CaseTransition, MonitoringCase
    from dixian.regions.models import Region
    from dixian.registry.models import Household, Person
    from dixian.visits.models import Visit

    return {
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "monitored households": Household.objects.exclude(monitoring_category="").count(),
        "villages": Region.objects.filter(level="village").count(),
        "cases": MonitoringCase.objects.count(),
        "transitions": CaseTransition.objects.count(),
        "alerts": Alert.objects.count(),
        "visits": Visit.objects.count(),
    }


# --------------------------------------------------------------------------- timing


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _insert_run_alerts(round_no: int) -> list[str]:
    """NEW_ALERTS open alerts of this month on households without an open one, as a screening run stores
    them (bulk, no signal): the villages they fall in."""
    from django.utils import timezone

    from dixian.cases.models import Alert
    from dixian.registry.models import Household

    rng = random.Random(1000 + round_no)
    busy = set(
        Alert.objects.filter(status__in=Alert.OPEN_STATUSES, risk_code="05").values_list(
            "household_id", flat=True
        )
    )
    total = Household.objects.count()
    picked = [h for h in rng.sample(range(1, total + 1), NEW_ALERTS * 2) if h not in busy][:NEW_ALERTS]
    rows = _in_chunks(Household, picked, ("id", "region_code", "region_id"))
    now = timezone.now()
    Alert.objects.bulk_create(
        [
            Alert(
                household_id=hid,
                region_id=rid,
                region_code=code,
                risk_code="05",
                grade="黄",
                grade_rank=3,
                status=Alert.Status.OPEN,
                reason="基准筛查新增",
                channels=["department"],
                evidence_count=1,
                raised_at=now,
                due_date=timezone.localdate() + dt.timedelta(days=7),
                last_evidence_at=now,
            )
            for hid, code, rid in rows
        ],
        batch_size=5000,
    )
    return sorted({code[:12] for _, code, _ in rows})


HISTORY_SCOPE = "基准:13 个月(全部生产者)"


def history(current: Any) -> float | None:
    """13 months of every producer, once per database (kept: FactRefresh scope HISTORY_SCOPE). The facts of
    the stand-in the first version of this bench registered (codes bench.*) are removed first."""
    from dixian.reports.models import Fact, FactRefresh
    from dixian.reports.services import facts_refresh

    kept = FactRefresh.objects.filter(scope=HISTORY_SCOPE).order_by("pk").first()
    if kept is not None:
        return kept.seconds
    Fact.objects.filter(code__startswith="bench.")._raw_delete(Fact.objects.db)
    t = time.perf_counter()
    facts_refresh(periods=[current.back(i) for i in range(12, -1, -1)], scope=HISTORY_SCOPE)
    return time.perf_counter() - t


def accounts(city: Any, county: Any) -> tuple[Any, Any]:
    """A city leader and a county administrator (bench accounts, no PII_VIEW)."""
    from django.contrib.auth.hashers import make_password

    from dixian.accounts.models import Role, User

    leader, _ = User.objects.update_or_create(
        username="bench_reports_leader",
        defaults={"roles": [Role.LEADER], "region": city, "password": make_password(None)},
    )
    county_admin, _ = User.objects.update_or_create(
        username="bench_reports_county",
        defaults={"roles": [Role.COUNTY_ADMIN], "region": county, "password": make_password(None)},
    )
    return leader, county_admin


def data_behind() -> dict[str, int]:
    """The rows the real producers read besides the registry, cases, alerts and visits: the bench builds
    alerts by bulk insert, so there are no audit rows of their status changes, no feed deliveries and no
    consistency findings; the figures over them are zero (the producers run all the same)."""
    from dixian.cases.models import AlertEvidence
    from dixian.common.models import ChangeLog
    from dixian.feeds.models import FeedDelivery
    from dixian.monitoring.models import ConsistencyFinding
    from dixian.screening.models import RuleVersion

    return {
        "alert audit rows (ChangeLog)": ChangeLog.objects.filter(entity="alert").count(),
        "evidence with a rule version": AlertEvidence.objects.filter(rule_version__isnull=False).count(),
        "rule versions": RuleVersion.objects.count(),
        "feed deliveries": FeedDelivery.objects.count(),
        "consistency findings": ConsistencyFinding.objects.count(),
    }


def facts_by_producer(period: str) -> dict[str, int]:
    from dixian.reports.models import Fact
    from dixian.reports.producers import PRODUCERS

    return {
        name: Fact.objects.filter(period=period, code__in=p.codes).count()
        for name, p in sorted(PRODUCERS.items())
    }


def child(backend: str, runs: int, requests: int, build_only: bool = False) -> dict[str, Any]:
    configure(backend)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from dixian.regions.models import Region
    from dixian.registry.models import Household
    from dixian.reports.bulletin import bulletin_build, bulletin_docx, bulletin_xlsx
    from dixian.reports.catalogue import INDICATORS, headline_indicators
    from dixian.reports.models import Fact
    from dixian.reports.periods import Period
    from dixian.reports.producers import PRODUCERS
    from dixian.reports.services import facts_mark_stale, facts_refresh, facts_refresh_stale
    from dixian.reports.triggers import alert_producers, facts_after_screening

    started = time.monotonic()
    data = build_data()
    built = time.monotonic() - started
    current = Period.current()
    history_seconds = history(current)
    # The facts were just written: statistics for the planner, as autovacuum would gather them (it is off
    # on the bench machine; without them PostgreSQL ranks the counties by a scan of the month's codes).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_fact")
    if build_only:
        return {"sizes": data, "history_seconds": history_seconds}

    city = Region.objects.get(level="city")
    county = (
        Region.objects.filter(level="county", code__startswith="360424").first()
        or Region.objects.filter(level="county").order_by("code")[0]
    )
    township = Region.objects.filter(level="township", parent=county).order_by("code")[0]
    village = Region.objects.filter(level="village", parent=township).order_by("code")[0]
    leader, county_admin = accounts(city, county)
    headline = headline_indicators()
    first = headline[0]
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    as_leader, as_county = Client(), Client()
    as_leader.force_login(leader)
    as_county.force_login(county_admin)
    dashboard, indicator, map_url = (
        reverse("reports:dashboard"),
        reverse("reports:indicator", args=[first.code]),
        reverse("reports:map"),
    )
    # (label, level for the target, client, url, query)
    pages: list[tuple[str, str, Any, str, dict[str, str]]] = [
        ("dashboard, city (leader)", "city", as_leader, dashboard, {"region": city.code}),
        ("dashboard, city, year to date (leader)", "city", as_leader, dashboard, {"mode": "ytd"}),
        ("dashboard, county (leader)", "county", as_leader, dashboard, {"region": county.code}),
        ("dashboard, county (county account)", "county", as_county, dashboard, {}),
        ("dashboard, township (county account)", "township", as_county, dashboard, {"region": township.code}),
        ("dashboard, village (county account)", "village", as_county, dashboard, {"region": village.code}),
        ("map, city (leader)", "city", as_leader, map_url, {}),
        ("map, county (county account)", "county", as_county, map_url, {}),
        (f"indicator {first.code}, city (leader)", "city", as_leader, indicator, {}),
        (f"indicator {first.code}, county (county account)", "county", as_county, indicator, {}),
    ]
    queries: dict[str, int] = {}

    def get(client: Any, url: str, query: dict[str, str]) -> None:
        response = client.get(url, query)
        if response.status_code != 200:
            raise SystemExit(f"{url} {query}: {response.status_code}")

    def baseline(region: Region) -> None:
        list(
            Household.objects.filter(region_code__gte=region.prefix, region_code__lt=region.prefix + "~")
            .values_list("kind")
            .order_by()
            .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        )

    def timed(fn: Any) -> tuple[float, float]:
        t, cpu = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t, time.process_time() - cpu

    loads = [os.getloadavg()[0]]
    rounds: list[dict[str, Any]] = []
    bulletin_period = current.previous()  # what the bulletin page offers by default: the last complete month
    for r in range(runs):
        one: dict[str, Any] = {}
        one["full"], one["full_cpu"] = timed(lambda: facts_refresh(periods=[current], scope="基准:全部"))
        _insert_run_alerts(r)
        one["after_screening"], one["after_screening_cpu"] = timed(
            lambda: facts_after_screening(periods=[current])
        )
        villages = list(
            Region.objects.filter(level="village").order_by("?").values_list("code", flat=True)[:STALE]
        )
        facts_mark_stale(villages)
        one["stale"], _ = timed(facts_refresh_stale)
        t, cpu = time.perf_counter(), time.process_time()
        made = bulletin_build(city, bulletin_period)
        one["bulletin_build"], one["bulletin_build_cpu"] = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        docx = bulletin_docx(made)
        one["bulletin_docx"], one["bulletin_docx_cpu"] = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        xlsx = bulletin_xlsx(made)
        one["bulletin_xlsx"], one["bulletin_xlsx_cpu"] = time.perf_counter() - t, time.process_time() - cpu
        one["bulletin_bytes"] = [len(docx), len(xlsx)]
        one["baseline_city_ms"] = timed(lambda: baseline(city))[0] * 1000
        one["baseline_village_ms"] = timed(lambda: baseline(village))[0] * 1000
        one["pages"] = {}
        for label, _level, client, url, query in pages:
            with CaptureQueriesContext(connection) as captured:
                get(client, url, query)  # warm-up
            queries[label] = len(captured)
            walls, cpus = [], []
            for _ in range(requests):
                wall, cpu = timed(lambda c=client, u=url, q=query: get(c, u, q))
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
            one["pages"][label] = {
                "p50": _pct(walls, 0.5),
                "p95": _pct(walls, 0.95),
                "cpu_p50": _pct(cpus, 0.5),
            }
        # A page opened with villages marked stale refreshes them before reading when there are at most
        # views_dashboard.STALE_REFRESH_LIMIT of them (_freshness): what the first leader after a day's
        # case work pays.
        one["pending"] = {}
        for k in PENDING:
            facts_mark_stale(
                list(Region.objects.filter(level="village").order_by("?").values_list("code", flat=True)[:k])
            )
            one["pending"][str(k)] = timed(lambda: get(as_leader, dashboard, {}))[0] * 1000
        rounds.append(one)
        loads.append(os.getloadavg()[0])
        print(f"  round {r + 1}: {json.dumps(one, ensure_ascii=False)}", file=sys.stderr)
    # Where a refresh's time goes, once: each producer alone, for every village and for STALE villages.
    per_producer: dict[str, list[float]] = {}
    some = list(Region.objects.filter(level="village").order_by("?").values_list("code", flat=True)[:STALE])
    for name in sorted(PRODUCERS):
        every, _ = timed(lambda n=name: facts_refresh(periods=[current], producers=[n], scope="基准:单个"))
        few, _ = timed(
            lambda n=name: facts_refresh(periods=[current], villages=some, producers=[n], scope="基准:单个")
        )
        per_producer[name] = [every, few]
    loads.append(os.getloadavg()[0])
    return {
        "per_producer": per_producer,
        "backend": backend,
        "vendor": connection.vendor,
        "sizes": data,
        "behind": data_behind(),
        "build_seconds": built,
        "producers": sorted(PRODUCERS),
        "alert_producers": alert_producers(),
        "facts_by_producer": facts_by_producer(str(current)),
        "indicators": len(INDICATORS),
        "headline": len(headline),
        "headline_first": f"{first.code} ({first.name})",
        "facts": Fact.objects.count(),
        "history_seconds": history_seconds,
        "rounds": rounds,
        "bulletin_period": str(bulletin_period),
        "page_levels": {label: level for label, level, *_ in pages},
        "queries": queries,
        "requests": requests,
        "loads": loads,
    }


def section(results: list[dict[str, Any]]) -> str:
    med = statistics.median
    r0 = results[0]

    def m(r: dict[str, Any], key: str) -> float:
        return med(one[key] for one in r["rounds"])

    zero = sorted({name for r in results for name, n in r["facts_by_producer"].items() if not n})
    lines = [
        HEADING,
        "",
        f"`bench/bench_reports.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other sessions (load average during the runs: "
        + "; ".join(f"{r['backend']} " + ", ".join(f"{x:.1f}" for x in r["loads"]) for r in results)
        + "). Data built with bulk inserts: "
        + ", ".join(f"{v:,} {k}" for k, v in r0["sizes"].items())
        + f". Every registered producer ({', '.join(r0['producers'])}; after a screening run: "
        f"{', '.join(r0['alert_producers'])}) and the catalogue as merged: {r0['indicators']} indicators "
        f"({r0['headline']} headline). Medians of {len(r0['rounds'])} rounds; pages: the median over the "
        f"rounds of the p50 and p95 of {r0['requests']} requests each through the Django test client (every "
        "middleware, the template rendered), after a warm-up.",
        "",
        "| | target | " + " | ".join(r["backend"] for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]

    def row(label: str, target: str, values: list[str]) -> None:
        lines.append(f"| {label} | {target} | " + " | ".join(values) + " |")

    row(
        "13 months of every producer (once, the history)",
        "",
        [f"{r['history_seconds']:.0f} s" if r.get("history_seconds") else "" for r in results],
    )
    row(
        "full refresh, every producer, current month (CPU of the process)",
        "",
        [f"{m(r, 'full'):.1f} s ({m(r, 'full_cpu'):.1f} s)" for r in results],
    )
    row(
        "**refresh after a screening run** (alert producers, current month, every village; CPU)",
        "< 10 s",
        [f"{m(r, 'after_screening'):.2f} s ({m(r, 'after_screening_cpu'):.2f} s)" for r in results],
    )
    row(
        f"refresh of {STALE} stale villages (every producer)", "", [f"{m(r, 'stale'):.2f} s" for r in results]
    )
    for name in r0.get("per_producer", {}):
        row(
            f"of which {name} (alone: every village / {STALE} villages)",
            "",
            [
                f"{r['per_producer'][name][0]:.2f} / {r['per_producer'][name][1]:.2f} s"
                if "per_producer" in r
                else ""
                for r in results
            ],
        )
    for label, level in r0["page_levels"].items():
        target = "< 300 ms" if level == "city" else "< 150 ms"
        values = []
        for r in results:
            pages = [one["pages"][label] for one in r["rounds"]]
            values.append(
                f"{med(p['p50'] for p in pages):.0f} / {med(p['p95'] for p in pages):.0f} ms "
                f"(CPU {med(p['cpu_p50'] for p in pages):.0f} ms, {r['queries'][label]} queries)"
            )
        row(f"{label}: p50 / p95", target, values)
    for k in PENDING:
        row(
            f"dashboard, city, opened with {k} stale village{'s' if k > 1 else ''} pending (refreshed first)",
            "< 300 ms",
            [f"{med(one['pending'][str(k)] for one in r['rounds']):.0f} ms" for r in results],
        )
    row(
        "**bulletin of the city** (build + .docx + .xlsx)",
        "< 20 s",
        [
            f"{m(r, 'bulletin_build') + m(r, 'bulletin_docx') + m(r, 'bulletin_xlsx'):.2f} s "
            f"(build {m(r, 'bulletin_build'):.2f}, docx {m(r, 'bulletin_docx'):.2f}, "
            f"xlsx {m(r, 'bulletin_xlsx'):.2f})"
            for r in results
        ],
    )
    row(
        "baseline: households by kind from the registry, city",
        "",
        [f"{m(r, 'baseline_city_ms'):.0f} ms" for r in results],
    )
    row(
        "baseline: households by kind from the registry, one village",
        "",
        [f"{m(r, 'baseline_village_ms'):.1f} ms" for r in results],
    )
    lines.append("| facts held | | " + " | ".join(f"{r['facts']:,}" for r in results) + " |")
    behind = ", ".join(f"{k}: {v:,}" for k, v in r0["behind"].items())
    lines += [
        "",
        "- What changed since the first version of this bench (before issue 15 was merged): it timed a",
        "  stand-in of the alert producers and 14 stand-in indicators, and the dashboard's selectors",
        "  instead of the views (city 36/65 ms, county 33/58 ms, village 15/26 ms p50/p95 on SQLite; the",
        "  refresh after a screening run 4.1 s on SQLite, 1.8 s on PostgreSQL). Now: the real producers and",
        "  catalogue, the pages requested as a city leader (`leader`) and a county administrator, the",
        f"  bulletin built and written for the city (month {r0.get('bulletin_period', 'last complete')}).",
        f"- Data the producers read besides the registry, cases, alerts and visits: {behind}. The alerts",
        "  are bulk-inserted, so the verification figures (核实数, 按期核实) count from `closed_at` (the",
        "  producer's path for alerts without audit rows); with no feed deliveries and no consistency",
        "  findings, the producers "
        + (", ".join(zero) if zero else "(none)")
        + " wrote no facts for the month (zero figures: they ran, over empty tables).",
        "- Facts of the current month per producer: "
        + ", ".join(f"{k} {v:,}" for k, v in r0["facts_by_producer"].items())
        + ".",
        "- The refresh after a screening run is what `reports.triggers.on_screening_finished` does:",
        "  `facts_after_screening` (every producer of producers_alerts.py) for the month, every village,",
        f"  after {NEW_ALERTS:,} alerts of the month were inserted as a run stores them.",
        "- CPU: of the benchmarking process, which on SQLite is all of the work and on PostgreSQL the",
        "  client's part (the rest is the server's).",
        "- The facts table is analysed after the history is written (autovacuum is off on this machine).",
        "  The history of both databases was computed at the same time, each competing with the other for",
        "  the two cores.",
        "- Stale villages are refreshed one village at a time (services._compute). registry_income then",
        "  reads the latest income year once per village (`registry.income_lines.latest_income_year`:",
        "  MAX(year) over every income row, which no index serves: about 0.1 s at 800,000 incomes), so 50",
        "  villages cost more of it than the whole city does. The dashboard refreshes up to",
        "  `STALE_REFRESH_LIMIT` (50) pending villages before it reads (`_freshness`): the rows 'opened with",
        "  N stale villages pending' are what the first page after a day's case work pays. They miss the",
        "  target from about 5 villages on, and that time is the refresh, not the page: one try (2026-12-06,",
        "  SQLite / PostgreSQL) with the income year looked up once per refresh instead of once per village",
        "  took the page with 10 pending villages from 0.9 / 1.5 s to 0.5 / 0.75 s and with 50 from",
        "  3.8 / 5.7 s to 1.4 / 2.7 s; the rest is the nine producers' queries per village (about 25-50 ms",
        "  a village) and the roll-up.",
        "- A page's time is almost all the Python process (CPU ≈ wall on SQLite): about ten indexed queries",
        "  over the facts, then the view and the template; the city costs what a village does.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--docs-only", action="store_true", help="write the docs from var/bench/reports_*.json"
    )
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.requests, build_only=args.build_only)))
        return
    if args.docs_only:
        from docs_section import replace_docs_section

        kept = [BENCH / f"reports_{b}.json" for b in ("sqlite", "postgresql")]
        found = [json.loads(p.read_text(encoding="utf-8")) for p in kept if p.exists()]
        replace_docs_section(HEADING, section(found))
        return
    results = []
    for backend in args.backends:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                backend,
                "--runs",
                str(args.runs),
                "--requests",
                str(args.requests),
                *(["--build-only"] if args.build_only else []),
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "BENCH_REPORTS_SQLITE": str(SQLITE_PATH)},
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result, ensure_ascii=False, indent=1))
        results.append(result)
        if not args.build_only:
            (BENCH / f"reports_{backend}.json").write_text(
                json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
            )
    if args.build_only:
        return
    if not args.no_docs:
        from docs_section import replace_docs_section

        replace_docs_section(HEADING, section(results))


if __name__ == "__main__":
    main()
