"""Funds and projects at city scale (issue 16), SQLite and PostgreSQL: the real figures, views and producers.

    .venv/bin/python bench/bench_funds.py                        # both databases, 3 rounds
    .venv/bin/python bench/bench_funds.py --backends sqlite --runs 1 --no-docs
    .venv/bin/python bench/bench_funds.py --build-only           # build (or reuse) the data
    BENCH_FUNDS_HOUSEHOLDS=200000 …                              # a smaller registry (a quick look only)

1. A database per backend (var/bench/funds.sqlite3, PostgreSQL `dixian_bench_funds`), built once and kept:
   the registry of bench_household_list.py's SQL generator (~800,000 households in 2,300 villages of 13
   counties), then with bulk_create (not through the services) a year of funds: 520 allocations (four
   levels, ~8 亿 元), 5,000 projects (4,600 in the year's plan, in villages and a tenth in townships, most
   started, many completed and accepted), an arrangement per planned project, 100,000 payments, 20,000
   assets and 300,000 benefit links over the registry's households.
2. Each round, in the child process of the backend, through the Django test client (a city leader, a
   county finance office): the funds report at city and county level and its .xlsx at city level; the
   project list and a project's page when they exist (their URL names resolve; otherwise skipped and said
   so); one warm-up each (its queries counted), then N requests: p50, p95. Beside them, in the same run:
   the funds producers' refresh of the current month (every unit), and the baseline: one SUM over the
   100,000 payments, the floor of any figure read from the rows.
Prints the results and writes the "Funds and projects (issue 16)" section of docs/benchmarks.md.
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
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG_DB = "dixian_bench_funds"
SQLITE_PATH = Path(os.environ.get("BENCH_FUNDS_SQLITE") or BENCH / "funds.sqlite3")
HOUSEHOLDS = int(os.environ.get("BENCH_FUNDS_HOUSEHOLDS", "800000"))
PROJECTS = 5_000
PLANNED = 4_600
PAYMENTS = 100_000
ASSETS = 20_000
LINKS = 300_000
ALLOCATION_DOCS = 10  # per county and level
HEADING = "## Funds and projects (issue 16)"
TARGETS = {"report_city": 300.0, "project_list": 150.0, "project_page": 150.0}


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


def build_data() -> dict[str, int]:
    import bench_household_list as hl
    from django.core.management import call_command

    from dixian.funds.models import Project
    from dixian.registry.models import Household

    call_command("migrate", verbosity=0)
    if Household.objects.count() < HOUSEHOLDS * 0.95:
        if Household.objects.exists():
            raise SystemExit("the bench database holds a partial registry: drop it first")
        hl.build_with_sql(HOUSEHOLDS)
    if not Project.objects.exists():
        _build_funds()
    return sizes()


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _build_funds() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from dixian.domain import funds as fd
    from dixian.funds.models import Allocation, Arrangement, Asset, BenefitLink, Payment, Project
    from dixian.regions.models import Region
    from dixian.registry.models import Household

    t0 = time.perf_counter()
    rng = random.Random(16)
    year = timezone.localdate().year
    now = timezone.now()
    counties = list(Region.objects.filter(level="county").order_by("code"))
    townships = list(Region.objects.filter(level="township").order_by("code"))
    villages = list(Region.objects.filter(level="village").order_by("code"))
    kinds = [fd.INDUSTRY] * 6 + [fd.INFRASTRUCTURE] * 2 + [fd.EMPLOYMENT, fd.RURAL_CONSTRUCTION]
    with transaction.atomic():
        allocations = Allocation.objects.bulk_create(
            [
                Allocation(
                    year=year,
                    level=level,
                    doc_no=f"赣财农〔{year}〕{n}号",
                    doc_date=dt.date(year, 1 + n % 6, 10),
                    region=county,
                    region_code=county.code,
                    amount=_money(rng, 1_000_000, 2_000_000),
                    direct=level in (fd.CENTRAL, fd.PROVINCE),
                )
                for county in counties
                for level in fd.FUND_LEVELS
                for n in range(ALLOCATION_DOCS)
            ],
            batch_size=2_000,
        )
        by_county: dict[str, list[Allocation]] = {}
        for a in allocations:
            by_county.setdefault(a.region_code[:6], []).append(a)
        projects = []
        for i in range(PROJECTS):
            place = rng.choice(townships) if i % 10 == 0 else rng.choice(villages)
            planned = i < PLANNED
            started = (
                dt.date(year, 3, 1) + dt.timedelta(days=rng.randrange(120))
                if planned and rng.random() < 0.95
                else None
            )
            completed = (
                started + dt.timedelta(days=rng.randrange(60, 150))
                if started and rng.random() < 0.7
                else None
            )
            accepted = completed + dt.timedelta(days=20) if completed and rng.random() < 0.7 else None
            projects.append(
                Project(
                    code=f"XM{year}{i:06d}",
                    name=f"基准项目{i}",
                    year=year,
                    kind=rng.choice(kinds),
                    region=place,
                    region_code=place.code,
                    owner_unit="乡镇人民政府",
                    state=fd.IN_PLAN if planned else fd.PROPOSED,
                    state_since=now,
                    planned_on=dt.date(year, 2, 20) if planned else None,
                    budget_total=_money(rng, 50_000, 300_000),
                    started_on=started,
                    completed_on=completed,
                    accepted_on=accepted,
                )
            )
        projects = Project.objects.bulk_create(projects, batch_size=2_000)
        planned_projects = [p for p in projects if p.state == fd.IN_PLAN]
        Arrangement.objects.bulk_create(
            [
                Arrangement(
                    allocation=(a := rng.choice(by_county[p.region_code[:6]])),
                    project=p,
                    amount=p.budget_total,
                    arranged_on=dt.date(year, 2, 25),
                    region_code=a.region_code,
                )
                for p in planned_projects
            ],
            batch_size=2_000,
        )
        started_projects = [p for p in planned_projects if p.started_on]
        payments = []
        for n in range(PAYMENTS):
            p = started_projects[n % len(started_projects)]
            payments.append(
                Payment(
                    project=p,
                    paid_on=p.started_on + dt.timedelta(days=rng.randrange(0, 120)),
                    amount=(p.budget_total / 40).quantize(Decimal("0.01")),
                    level=fd.CENTRAL,
                    use_category="construction",
                    payee_category="contractor",
                    region_code=p.region_code,
                )
            )
        Payment.objects.bulk_create(payments, batch_size=5_000)
        done = [p for p in planned_projects if p.completed_on] or planned_projects
        classes = [fd.OPERATING, fd.PUBLIC, fd.PUBLIC, fd.HOUSEHOLD]
        Asset.objects.bulk_create(
            [
                Asset(
                    project=(p := done[n % len(done)]),
                    name=f"{p.name}资产{n}",
                    asset_class=classes[n % 4],
                    value=_money(rng, 10_000, 100_000),
                    owner_unit="村集体经济组织",
                    region_code=p.region_code,
                )
                for n in range(ASSETS)
            ],
            batch_size=5_000,
        )
        households = list(Household.objects.values_list("id", "region_code").order_by("id"))
        forms = list(fd.LINK_FORMS)
        links = []
        for n in range(LINKS):
            h_id, code = households[rng.randrange(len(households))]
            links.append(
                BenefitLink(
                    household_id=h_id,
                    project=planned_projects[n % len(planned_projects)],
                    year=year,
                    form=forms[n % len(forms)],
                    benefit=_money(rng, 100, 3_000),
                    region_code=code,
                )
            )
        BenefitLink.objects.bulk_create(links, batch_size=5_000, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"  funds built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def sizes() -> dict[str, int]:
    from dixian.funds.models import Allocation, Arrangement, Asset, BenefitLink, Payment, Project
    from dixian.registry.models import Household

    return {
        "households": Household.objects.count(),
        "allocations": Allocation.objects.count(),
        "projects": Project.objects.count(),
        "arrangements": Arrangement.objects.count(),
        "payments": Payment.objects.count(),
        "assets": Asset.objects.count(),
        "links": BenefitLink.objects.count(),
    }


# --------------------------------------------------------------------------- measuring


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def accounts(city: Any, county: Any) -> tuple[Any, Any]:
    from django.contrib.auth.hashers import make_password

    from dixian.accounts.models import Role, User

    leader, _ = User.objects.get_or_create(
        username="bench_funds_leader",
        defaults={"region": city, "roles": [Role.LEADER], "password": make_password(None)},
    )
    finance, _ = User.objects.get_or_create(
        username="bench_funds_finance",
        defaults={"region": county, "roles": [Role.FINANCE_OFFICER], "password": make_password(None)},
    )
    return leader, finance


def child(backend: str, runs: int, requests: int, build_only: bool = False) -> dict[str, Any]:
    configure(backend)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from dixian.funds.models import Payment, Project
    from dixian.regions.models import Region
    from dixian.reports.periods import Period
    from dixian.reports.services import facts_refresh

    started = time.monotonic()
    data = build_data()
    built = time.monotonic() - started
    if build_only:
        return {"sizes": data, "built": built}
    year = str(timezone.localdate().year)
    city = Region.objects.get(level="city")
    county = Region.objects.filter(level="county").order_by("code")[0]
    leader, finance = accounts(city, county)
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    as_leader, as_finance = Client(), Client()
    as_leader.force_login(leader)
    as_finance.force_login(finance)
    report = reverse("funds:report")
    pages: list[tuple[str, str, Any, str, dict[str, str]]] = [
        ("report, city (leader)", "report_city", as_leader, report, {"year": year}),
        ("report, county (finance office)", "", as_finance, report, {"year": year}),
        ("report .xlsx, city (leader)", "", as_leader, reverse("funds:report_xlsx"), {"year": year}),
    ]
    skipped: list[str] = []
    a_project = (
        Project.objects.filter(region_code__startswith=county.prefix, state="in_plan").order_by("pk").first()
    )
    for name, key, args, query in (
        ("funds:project_list", "project_list", [], {"year": year}),
        ("funds:project_detail", "project_page", [a_project.pk if a_project else 0], {}),
    ):
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            skipped.append(f"{name} (not on this branch yet)")
            continue
        label = (
            "project list, county (finance office)"
            if key == "project_list"
            else "project page (finance office)"
        )
        pages.append((label, key, as_finance, url, query))

    queries: dict[str, int] = {}

    def get(client: Any, url: str, query: dict[str, str]) -> None:
        response = client.get(url, query)
        if response.status_code != 200:
            raise SystemExit(f"{url} {query}: {response.status_code}")

    def timed(fn: Any) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    rounds: list[dict[str, Any]] = []
    for _r in range(runs):
        one: dict[str, Any] = {
            "refresh": timed(
                lambda: facts_refresh(
                    periods=[Period.current()], producers=["funds", "funds_present"], scope="基准:资金"
                )
            ),
        }
        base = [timed(lambda: Payment.objects.aggregate(s=Sum("amount"))) * 1000 for _ in range(requests)]
        one["baseline"] = {"p50": statistics.median(base), "p95": _pct(base, 0.95)}
        one["pages"] = {}
        for label, _key, client, url, query in pages:
            with CaptureQueriesContext(connection) as ctx:
                get(client, url, query)
            queries[label] = len(ctx.captured_queries)
            walls = [timed(lambda c=client, u=url, q=query: get(c, u, q)) * 1000 for _ in range(requests)]
            one["pages"][label] = {"p50": statistics.median(walls), "p95": _pct(walls, 0.95)}
        rounds.append(one)
    return {
        "backend": backend,
        "sizes": data,
        "built": built,
        "rounds": rounds,
        "queries": queries,
        "targets": {label: key for label, key, *_ in pages if key},
        "skipped": skipped,
        "requests": requests,
        "load": os.getloadavg()[0],
    }


# --------------------------------------------------------------------------- reporting


def section(results: list[dict[str, Any]]) -> str:
    r0 = results[0]
    s = r0["sizes"]
    lines = [
        HEADING,
        "",
        "`bench/bench_funds.py` (issue 16): the region's funds-and-projects page (`funds:report`, "
        "`dixian/funds/figures.py`: six grouped aggregates whatever the rows) over a city of "
        f"{s['households']:,} households with {s['projects']:,} projects ({s['arrangements']:,} in the year's plan), "
        f"{s['payments']:,} payments, {s['assets']:,} assets, {s['links']:,} benefit links and {s['allocations']:,} "
        "allocations, built with bulk_create. Each figure is the median over rounds of the p50 and p95 of "
        f"{r0['requests']} requests through the Django test client, after a warm-up. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work "
        f"(load {statistics.median(r['load'] for r in results):.1f}); {time.strftime('%Y-%m-%d')}.",
        "",
        "| measure | target | " + " | ".join(r["backend"] for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]

    def med(values: Any) -> float:
        return statistics.median(list(values))

    labels = list(r0["rounds"][0]["pages"])
    for label in labels:
        key = r0["targets"].get(label, "")
        target = f"p95 < {TARGETS[key]:.0f} ms" if key else ""
        cells = []
        for r in results:
            pages = [one["pages"][label] for one in r["rounds"]]
            cells.append(
                f"{med(p['p50'] for p in pages):.0f} / {med(p['p95'] for p in pages):.0f} ms ({r['queries'][label]} q)"
            )
        lines.append(f"| {label} (p50 / p95) | {target} | " + " | ".join(cells) + " |")
    lines.append(
        "| baseline: one SUM over the payments (p50 / p95) | | "
        + " | ".join(
            f"{med(o['baseline']['p50'] for o in r['rounds']):.0f} / {med(o['baseline']['p95'] for o in r['rounds']):.0f} ms"
            for r in results
        )
        + " |"
    )
    lines.append(
        "| funds producers' refresh of the month, every unit | | "
        + " | ".join(f"{med(o['refresh'] for o in r['rounds']) * 1000:.0f} ms" for r in results)
        + " |"
    )
    lines.append("")
    skipped = sorted({s for r in results for s in r["skipped"]})
    if skipped:
        lines.append(
            "Not measured on this branch: " + ", ".join(skipped) + "; the scenarios run as soon as their URL "
            "names resolve (after the merge of the project pages)."
        )
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.runs, args.requests, args.build_only)
        print(json.dumps(result, ensure_ascii=False, default=str))
        return
    results = []
    for backend in args.backends.split(","):
        command = [
            sys.executable,
            __file__,
            "--child",
            backend,
            "--runs",
            str(args.runs),
            "--requests",
            str(args.requests),
        ]
        if args.build_only:
            command.append("--build-only")
        out = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - our own script
        sys.stderr.write(out.stderr[-2000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result, ensure_ascii=False, indent=1))
        results.append(result)
    if args.build_only or args.no_docs:
        return
    from docs_section import replace_docs_section

    print(f"wrote {replace_docs_section(HEADING, section(results))}")


if __name__ == "__main__":
    main()
