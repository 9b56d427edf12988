"""Benchmark of the household list (农户信息) at city scale, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_household_list.py                      # both backends, the demo city
    .venv/bin/python bench/bench_household_list.py --backends sqlite --source sql --households 200000

For each backend the script runs itself in a child process (Django settings are per process):
1. builds the city-scale database once and keeps it (var/bench/household_list_<source>.sqlite3, PostgreSQL
   database `dixian_bench_list_<source>`). Source `synthetic` (the default when the commands exist):
   `dixian generate --scale city` + `dixian load_registry_parquet`, the demo's own city (~790k households,
   2.5 M persons). Source `sql`: the generator below (bulk INSERT on SQLite, COPY on PostgreSQL, with
   realistic shares of ex-poor, monitored, ill and disabled households, ~3.1 persons per household);
2. runs ANALYZE, then times, logged in as a city admin (with the PII permission) and as a village officer
   (without), full pages and htmx partials over 21 filter/search scenarios with varied values (12 rounds:
   252 requests per backend, after one warm-up round), and one export of a whole county with its members;
3. prints p50/p95 per scenario, per persona and overall, with two baselines from the same run: a bare
   `SELECT ... ORDER BY region_code, id LIMIT 50` and the framework floor (session + auth + a redirect).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/{db}"

COUNTIES = {
    "360402": "濂溪区",
    "360403": "浔阳区",
    "360404": "柴桑区",
    "360423": "武宁县",
    "360424": "修水县",
    "360425": "永修县",
    "360426": "德安县",
    "360428": "都昌县",
    "360429": "湖口县",
    "360430": "彭泽县",
    "360481": "瑞昌市",
    "360482": "共青城市",
    "360483": "庐山市",
}
SURNAMES = "刘陈李张王黄吴胡徐罗万周熊杨曾邓朱肖彭郭余何廖汪涂钟程谢邹易袁卢叶蔡冷戴匡樊柯詹"
GIVEN = "建国华明伟芳秀英兰军平红金玉春生林海文荣桂梅德强志勇丽娟辉新宝成福贵珍凤云清美光永兴德安祥"


# --------------------------------------------------------------------------- data generation (SQL)


def _surname(rng: random.Random) -> str:
    # Skewed like real surname frequencies: the first few surnames cover a large share.
    return SURNAMES[min(int(rng.expovariate(1 / 8)), len(SURNAMES) - 1)]


def _given(rng: random.Random) -> str:
    return "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))


def _regions() -> list[dict[str, object]]:
    """City, 13 counties, ~15 townships each, ~12 villages each (about 2,300 villages, as in Jiujiang)."""
    rng = random.Random(4)
    rows: list[dict[str, object]] = []
    next_id = 1

    def add(
        code: str, name: str, level: str, parent: dict[str, object] | None, plen: int
    ) -> dict[str, object]:
        nonlocal next_id
        row = {
            "id": next_id,
            "code": code,
            "name": name,
            "level": level,
            "parent_id": parent["id"] if parent else None,
            "prefix": code[:plen],
            "full_name": f"{parent['full_name']}{name}" if parent else name,
            "is_key_village": False,
        }
        next_id += 1
        rows.append(row)
        return row

    city = add("360400000000", "九江市", "city", None, 4)
    for c6, cname in COUNTIES.items():
        county = add(c6 + "000000", cname, "county", city, 6)
        for t in range(rng.randint(12, 18)):
            town = add(
                f"{c6}{100 + t:03d}000", f"{GIVEN[t % len(GIVEN)]}{SURNAMES[t]}镇", "township", county, 9
            )
            for v in range(rng.randint(9, 15)):
                add(
                    f"{town['prefix']}{201 + v:03d}",
                    f"{GIVEN[(t + v) % len(GIVEN)]}{GIVEN[v]}村",
                    "village",
                    town,
                    12,
                )
                rows[-1]["is_key_village"] = rng.random() < 0.3
    return rows


def generate_rows(households: int, seed: int = 20261129):
    """Yield (households, persons, incomes) chunks of plain tuples keyed by column name."""
    from dixian.domain import idnumber

    rng = random.Random(seed)
    villages = [r for r in _regions() if r["level"] == "village"]
    per_village = households // len(villages)
    extra = households - per_village * len(villages)
    now = "2026-01-01 00:00:00+00:00"
    hid = pid = 0
    birth_seq: dict[tuple[str, str], int] = {}
    chunk_h: list[dict[str, object]] = []
    chunk_p: list[dict[str, object]] = []
    chunk_i: list[dict[str, object]] = []
    for vi, village in enumerate(villages):
        code = str(village["code"])
        for n in range(per_village + (1 if vi < extra else 0)):
            hid += 1
            ex_poor = rng.random() < 0.15
            r = rng.random()
            if ex_poor:
                category = "unstable_ex_poor" if r < 0.08 else ""
            else:
                category = "edge" if r < 0.015 else "sudden_hardship" if r < 0.02 else ""
            size = min(max(int(rng.gauss(3.1, 1.4) + 0.5), 1), 8)
            surname = _surname(rng)
            ill = disabled = False
            head_phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else ""
            for m in range(size):
                pid += 1
                health = rng.choices(("healthy", "chronic", "major_illness", "disabled"), (80, 12, 3, 5))[0]
                ill |= health in ("chronic", "major_illness")
                disabled |= health == "disabled"
                age = rng.randint(25, 85) if m == 0 else rng.randint(0, 90)
                birth = dt.date(2025 - age, rng.randint(1, 12), rng.randint(1, 28))
                key = (code[:6], birth.isoformat())
                order = birth_seq.get(key, 0)
                birth_seq[key] = order + 1
                body = f"{code[:6]}{birth:%Y%m%d}{order % 1000:03d}"
                if order >= 1000:  # more than 1000 people of one county born the same day: shift the day
                    body = f"{code[:6]}{birth.replace(day=29 + order // 1000 % 2):%Y%m%d}{order % 1000:03d}"
                chunk_p.append(
                    {
                        "id": pid,
                        "household_id": hid,
                        "region_code": code,
                        "id_number": body + idnumber.check_digit(body),
                        "name": surname + _given(rng) if m == 0 else _surname(rng) + _given(rng),
                        "sex": "male" if int(body[16]) % 2 else "female",
                        "birth_date": birth.isoformat(),
                        "relation": "head"
                        if m == 0
                        else rng.choice(("spouse", "son", "daughter", "parent", "grandchild")),
                        "ethnicity": "汉族",
                        "education": rng.choice(("", "primary", "junior", "senior")),
                        "student_status": "",
                        "health_status": health,
                        "disability_category": rng.choice(("physical", "visual", "intellectual"))
                        if health == "disabled"
                        else "",
                        "disability_grade": rng.randint(1, 4) if health == "disabled" else None,
                        "labour_skill": rng.choice(("ordinary", "ordinary", "skilled", "none")),
                        "work_place": rng.choice(("", "in_county", "in_province", "out_of_province")),
                        "months_worked": None,
                        "medical_insurance": "resident",
                        "pension_insurance": "resident",
                        "dibao": rng.random() < 0.03,
                        "tekun": False,
                        "phone": head_phone
                        if m == 0
                        else (
                            f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.3 else ""
                        ),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            water = None if rng.random() < 0.05 else rng.random() > 0.005
            chunk_h.append(
                {
                    "id": hid,
                    "household_no": f"{code}{n + 1:04d}",
                    "region_id": village["id"],
                    "region_code": code,
                    "kind": "ex_poor" if ex_poor else "ordinary",
                    "year_out_of_poverty": rng.randint(2014, 2020) if ex_poor else None,
                    "monitoring_category": category,
                    "head_name": chunk_p[-size]["name"],
                    "member_count": size,
                    "phone": head_phone,
                    "address": f"{village['full_name']}{n % 40 + 1}号",
                    "housing_grade": rng.choice("AABBBC") if rng.random() < 0.9 else "",
                    "water_ok": water,
                    "education_ok": rng.random() > 0.003,
                    "medical_ok": rng.random() > 0.003,
                    "housing_ok": rng.random() > 0.005,
                    "has_illness": ill,
                    "has_disability": disabled,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            wages = rng.randint(0, 60000)
            net = wages + 3000 - 500
            chunk_i.append(
                {
                    "id": hid,
                    "household_id": hid,
                    "year": 2025,
                    "wages": wages,
                    "business": 3000,
                    "property": 0,
                    "transfers": 0,
                    "production_costs": 500,
                    "eligible_out_of_pocket": 0,
                    "insurance_payout": 0,
                    "members": size,
                    "net_income": net,
                    "net_income_per_capita": round(net / size, 2),
                }
            )
            if len(chunk_h) >= 20_000:
                yield chunk_h, chunk_p, chunk_i
                chunk_h, chunk_p, chunk_i = [], [], []
    if chunk_h:
        yield chunk_h, chunk_p, chunk_i


def _insert(model, rows: list[dict[str, object]]) -> None:
    """Bulk insert plain rows; columns the generator does not know get the field's default."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    missing = {}
    for f in fields:
        if f.attname not in rows[0]:
            default = f.get_default()
            missing[f.attname] = f.get_db_prep_save(default, connection) if default is not None else None
    columns = [f.column for f in fields]
    names = [f.attname for f in fields]
    values = [tuple(row.get(n, missing.get(n)) for n in names) for row in rows]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for v in values:
                    copy.write_row(v)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values)  # noqa: S608


def build_with_sql(households: int) -> None:
    from django.db import connection, transaction

    from dixian.regions.models import Region
    from dixian.registry.models import Household, HouseholdIncome, Person

    t0 = time.perf_counter()
    with transaction.atomic():
        _insert(Region, _regions())
        done = 0
        for chunk_h, chunk_p, chunk_i in generate_rows(households):
            _insert(Household, chunk_h)
            _insert(Person, chunk_p)
            _insert(HouseholdIncome, chunk_i)
            done += len(chunk_h)
            print(f"  {done:,} households", file=sys.stderr, end="\r")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Region, Household, Person, HouseholdIncome):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - table names come from our own models
                )
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(f"  generated {households:,} households in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def synthetic_available() -> bool:
    """True when the colleague's generator and parquet loader exist (checked without Django settings)."""
    commands = ROOT / "dixian" / "synthetic" / "management" / "commands"
    return (commands / "generate.py").exists() and (commands / "load_registry_parquet.py").exists()


def build_with_commands() -> None:
    """`dixian generate --scale city` + `dixian load_registry_parquet`: the demo's own city (~790k households)."""
    from django.core.management import call_command

    out = ROOT / "var" / "bench" / "city_parquet"
    t0 = time.perf_counter()
    if not (out / "persons.parquet").exists():
        call_command("generate", "--scale", "city", "--out", str(out), "--no-workbook")
    call_command("load_registry_parquet", str(out))
    from django.db import connection

    with connection.cursor() as cursor:  # a freshly loaded table has no visibility map / statistics yet
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"  generated and loaded the synthetic city in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def prepare(households: int, source: str) -> None:
    from django.core.management import call_command

    from dixian.registry.models import Household

    call_command("migrate", verbosity=0)
    have = Household.objects.count()
    if have >= households * 0.95:
        print(f"  reusing {have:,} households", file=sys.stderr)
        return
    if have:
        raise SystemExit(f"bench database holds {have:,} households, not {households:,}: drop it first")
    if source == "synthetic":
        build_with_commands()
    else:
        build_with_sql(households)


def configure(backend: str, source: str) -> None:
    """Point Django at the bench database of this backend and data source (each is built once and kept)."""
    if backend == "postgresql":
        db = f"dixian_bench_list_{source}"
        os.environ["DATABASE_URL"] = PG_URL.format(db=db)
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
                conn.execute(f'CREATE DATABASE "{db}"')
    else:
        path = ROOT / "var" / "bench" / f"household_list_{source}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DIXIAN_DATA_DIR"] = str(ROOT / "var" / "bench" / "data")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --------------------------------------------------------------------------- timing (child process)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": statistics.median(values), "p95": _pct(values, 0.95), "max": max(values)}


def _personas():
    from dixian.accounts.models import Role, User
    from dixian.regions.models import Region
    from dixian.registry.models import Household

    city = Region.objects.get(level="city")
    village_code = Household.objects.order_by("id").values_list("region_code", flat=True)[1000]
    village = Region.objects.get(code=village_code[:12])
    admin, _ = User.objects.update_or_create(
        username="bench_city_admin",
        defaults={"region": city, "roles": [Role.CITY_ADMIN], "can_view_pii": True},
    )
    officer, _ = User.objects.update_or_create(
        username="bench_village_officer",
        defaults={"region": village, "roles": [Role.VILLAGE_OFFICER], "can_view_pii": False},
    )
    return admin, officer, village


def _samples(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """(name, id number, phone) of random persons with a phone, read by primary key (cheap at any size)."""
    from dixian.registry.models import Person

    top = Person.objects.order_by("-id").values_list("id", flat=True).first() or 0
    out: list[tuple[str, str, str]] = []
    while len(out) < n:
        row = (
            Person.objects.filter(id__gte=rng.randint(1, top))
            .exclude(phone="")
            .order_by("id")
            .values_list("name", "id_number", "phone")
            .first()
        )
        if row:
            out.append(row)
    return out


def run_child(backend: str, households: int, source: str, rounds: int) -> dict[str, object]:
    configure(backend, source)
    prepare(households, source)
    from django.db import connection
    from django.test import Client

    from dixian.regions.models import Region
    from dixian.registry import exports
    from dixian.registry.filters import HouseholdFilters
    from dixian.registry.models import Household, Person

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as after any bulk load
    admin, officer, village = _personas()
    rng = random.Random(7)
    counties = list(Region.objects.filter(level="county").values_list("pk", flat=True))
    townships = list(Region.objects.filter(level="township").values_list("pk", flat=True))
    people = _samples(rng, rounds * 4)
    village_names = list(
        Person.objects.filter(region_code__startswith=village.prefix).values_list("name", flat=True)[:200]
    )

    def pick() -> tuple[str, str, str]:
        return rng.choice(people)

    scenarios = {
        ("市级管理员", "全部"): lambda: {},
        ("市级管理员", "第2-100页"): lambda: {"page": rng.randint(2, 100)},
        ("市级管理员", "县 + 监测对象"): lambda: {"region": rng.choice(counties), "category": "monitored"},
        ("市级管理员", "乡镇 + 脱贫户"): lambda: {"region": rng.choice(townships), "kind": "ex_poor"},
        ("市级管理员", "突发严重困难户"): lambda: {"category": "sudden_hardship", "page": rng.randint(1, 20)},
        ("市级管理员", "脱贫户 + 有残疾成员"): lambda: {"kind": "ex_poor", "disability": "disabled"},
        ("市级管理员", "重度残疾"): lambda: {"disability": "severe", "page": rng.randint(1, 5)},
        ("市级管理员", "有大病成员"): lambda: {"health": "major_illness"},
        ("市级管理员", "三保障任一未保障"): lambda: {"guarantee": "any", "page": rng.randint(1, 5)},
        ("市级管理员", "姓名(前两字)"): lambda: {"q": pick()[0][:2]},
        ("市级管理员", "姓名(全名)"): lambda: {"q": pick()[0]},
        ("市级管理员", "身份证号"): lambda: {"q": pick()[1]},
        ("市级管理员", "身份证号前14位"): lambda: {"q": pick()[1][:14]},
        ("市级管理员", "手机号"): lambda: {"q": pick()[2]},
        ("市级管理员", "乡镇 + 姓名任一字"): lambda: {"region": rng.choice(townships), "q": pick()[0][-1]},
        ("市级管理员", "htmx: 县 + 监测对象"): lambda: {
            "region": rng.choice(counties),
            "category": "monitored",
            "_htmx": 1,
        },
        ("村级信息员", "全部"): lambda: {},
        ("村级信息员", "第2页"): lambda: {"page": 2},
        ("村级信息员", "监测对象"): lambda: {"category": "monitored"},
        ("村级信息员", "姓名任一字"): lambda: {"q": rng.choice(village_names)[-1]},
        ("村级信息员", "htmx: 姓名任一字"): lambda: {"q": rng.choice(village_names)[-1], "_htmx": 1},
    }
    clients = {"市级管理员": Client(), "村级信息员": Client()}
    clients["市级管理员"].force_login(admin)
    clients["村级信息员"].force_login(officer)

    def request(who: str, params: dict[str, object]) -> float:
        headers = {"HTTP_HX_REQUEST": "true"} if params.pop("_htmx", None) else {}
        started = time.perf_counter()
        response = clients[who].get("/households/", params, **headers)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (who, params, response.status_code)
        return elapsed

    for (who, _), make in scenarios.items():  # warm-up: templates, connection, OS page cache
        request(who, make())
    timings: dict[str, list[float]] = {f"{who} · {what}": [] for who, what in scenarios}
    for _ in range(rounds):
        for (who, what), make in scenarios.items():
            timings[f"{who} · {what}"].append(request(who, make()))

    # Baselines in the same run: the bare page query, and the framework floor (session + auth + a redirect).
    table = Household._meta.db_table
    bare: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(200):
            offset = rng.randint(0, 5000)
            started = time.perf_counter()
            cursor.execute(
                f"SELECT id, household_no, head_name, region_code, kind, monitoring_category, member_count, phone "  # noqa: S608
                f"FROM {table} ORDER BY region_code, id LIMIT 50 OFFSET {offset}"
            )
            cursor.fetchall()
            bare.append((time.perf_counter() - started) * 1000)
    floor: list[float] = []
    for _ in range(200):
        started = time.perf_counter()
        clients["市级管理员"].get("/accounts/login/")
        floor.append((time.perf_counter() - started) * 1000)

    # Export throughput: one county with its members (~50k households + ~160k persons) into a file.
    import resource
    import tempfile

    county = Region.objects.get(code="360424000000")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with tempfile.TemporaryFile() as fh:
        result = exports.household_export_write(
            fh, user=admin, filters=HouseholdFilters(region=county), persons=True
        )
        size = fh.tell()
    export_seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    all_list = [t for k, v in timings.items() for t in v]
    return {
        "backend": backend,
        "source": source,
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "scenarios": {k: _summary(v) for k, v in timings.items()},
        "overall": _summary(all_list),
        "by_persona": {
            who: _summary([t for k, v in timings.items() if k.startswith(who) for t in v]) for who in clients
        },
        "baseline_bare_select": _summary(bare),
        "baseline_framework_floor": _summary(floor),
        "export": {
            "households": result.households,
            "persons": result.persons,
            "seconds": export_seconds,
            "rows_per_second": (result.households + result.persons) / export_seconds,
            "bytes": size,
            "peak_rss_growth_mb": (rss_after - rss_before) / 1024,
        },
    }


# --------------------------------------------------------------------------- driver


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--households", type=int, default=800_000)
    parser.add_argument(
        "--rounds", type=int, default=12, help="passes over the 21 scenarios (12 → 252 requests)"
    )
    parser.add_argument("--source", choices=("auto", "synthetic", "sql"), default="auto")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.source == "auto":
        args.source = "synthetic" if synthetic_available() else "sql"
    if args.child:
        print(
            json.dumps(run_child(args.child, args.households, args.source, args.rounds), ensure_ascii=False)
        )
        return
    results = []
    for backend in args.backends.split(","):
        print(f"== {backend}", file=sys.stderr)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                backend,
                "--households",
                str(args.households),
                "--rounds",
                str(args.rounds),
                "--source",
                args.source,
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        sys.stderr.write(out.stderr[-2000:])
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    report(results)


def report(results: list[dict]) -> None:
    today = dt.datetime.now(dt.UTC).date()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"date {today} · {os.cpu_count()} cores · load average after the run {load} · data: {results[0]['source']} · "
        + ", ".join(
            f"{r['backend']}: {r['households']:,} households / {r['persons']:,} persons" for r in results
        )
    )
    names = list(results[0]["scenarios"])
    print("\n| scenario | " + " | ".join(f"{r['backend']} p50 | p95" for r in results) + " |")
    print("|---|" + "---:|---:|" * len(results))
    for name in names:
        cells = " | ".join(
            f"{r['scenarios'][name]['p50']:.1f} | {r['scenarios'][name]['p95']:.1f}" for r in results
        )
        print(f"| {name} | {cells} |")
    for key, label in (
        ("overall", "**all list requests**"),
        ("baseline_bare_select", "baseline: bare SELECT … LIMIT 50"),
        ("baseline_framework_floor", "baseline: framework floor (session+auth, 302)"),
    ):
        cells = " | ".join(f"{r[key]['p50']:.1f} | {r[key]['p95']:.1f}" for r in results)
        print(f"| {label} (n={results[0][key]['n']}) | {cells} |")
    for r in results:
        for who, s in r["by_persona"].items():
            print(
                f"{r['backend']} {who}: n={s['n']} p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms"
            )
        e = r["export"]
        print(
            f"{r['backend']} export: {e['households']:,} households + {e['persons']:,} persons in {e['seconds']:.1f} s "
            f"= {e['rows_per_second']:,.0f} rows/s, {e['bytes'] / 1e6:.1f} MB, peak RSS +{e['peak_rss_growth_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
