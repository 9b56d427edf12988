"""Benchmark of the survey workbook import (`survey_import`, issue 18) on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_survey_import.py                       # both databases, 3 runs each
    .venv/bin/python bench/bench_survey_import.py --databases sqlite --runs 1 --rows 20000

The registry: one county of 50 townships × 10 villages, `--rows` workers on the labour roll (脱贫户 of two
members each, working age, 普通劳动力), inserted directly in bulk. The workbook (XlsxWriter): one row per
worker for 2026-10 (two thirds working, one third not), the 12 columns of the template, ID numbers as text.
Each database is fresh (a temporary SQLite file, or the scratch PostgreSQL database DIXIAN_BENCH_PGDB,
default dixian_imports_bench, dropped and created) and migrated; then, in one child process, each run times

* baseline: reading the workbook with python-calamine alone (what any import pays);
* import: `survey_import` of the whole book into an empty table (read, parse, check persons and roll, write),
  by a county account, as the page and the command import;
* re-import: the same book again (every row equal to its stored record: nothing written, counted unchanged);

and the records are deleted between runs (and the table vacuumed on PostgreSQL, so that every run starts from the
same state). Rows/s is book rows per second of wall time of the import; the
table gives the median of the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = os.environ.get("DIXIAN_BENCH_PGDB", "dixian_imports_bench")
PG_BENCH = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
COUNTY6 = "360424"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琴云莲珍"


def id_number(i: int) -> str:
    from dixian.domain.idnumber import check_digit

    birth = dt.date(1970, 1, 1) + dt.timedelta(days=i // 1000)
    body = f"{COUNTY6}{birth:%Y%m%d}{i % 1000:03d}"
    return body + check_digit(body)


def name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 250) % len(GIVEN)]


def village_of(i: int) -> str:
    t, v = (i // 2) % 50 + 1, (i // 100) % 10 + 1
    return f"{COUNTY6}{100 + t:03d}{200 + v:03d}"


SETUP = r"""
import datetime as dt, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
sys.path.insert(0, "bench")
from bench_survey_import import id_number, name, village_of
from dixian.regions.models import Region
from dixian.registry.models import Household, Person

rows = int(sys.argv[1])
t = time.perf_counter()
city = Region.objects.create(code="360400000000", name="九江市", level="city")
county = Region.objects.create(code="360424000000", name="修水县", level="county", parent=city)
villages = {}
for t_ in range(1, 51):
    town = Region.objects.create(code=f"360424{100 + t_:03d}000", name=f"镇{t_}", level="township", parent=county)
    for v in range(1, 11):
        code = f"360424{100 + t_:03d}{200 + v:03d}"
        villages[code] = Region.objects.create(code=code, name=f"镇{t_}村{v}", level="village", parent=town)
households = [
    Household(
        household_no=f"{village_of(2 * h)}{h:06d}",
        region=villages[village_of(2 * h)],
        region_code=village_of(2 * h),
        kind="ex_poor",
        year_out_of_poverty=2018,
        head_name=name(2 * h),
        member_count=2,
    )
    for h in range((rows + 1) // 2)
]
Household.objects.bulk_create(households, batch_size=5000)
pks = dict(Household.objects.values_list("household_no", "pk"))
persons = []
for i in range(rows):
    h = households[i // 2]
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=i // 1000)
    persons.append(
        Person(
            household_id=pks[h.household_no],
            region_code=h.region_code,
            id_number=id_number(i),
            name=name(i),
            sex="male" if int(id_number(i)[16]) % 2 else "female",
            birth_date=birth,
            relation="head" if i % 2 == 0 else "spouse",
            labour_skill="ordinary",
            medical_insurance="resident",
        )
    )
Person.objects.bulk_create(persons, batch_size=5000)
from dixian.accounts.models import User
User.objects.create_user(username="bench_county", first_name="县级用户", region=county)
print(f"registry: {Household.objects.count()} households, {Person.objects.count()} persons in {time.perf_counter() - t:.1f} s")
"""

CHILD = r"""
import datetime as dt, json, os, sys, time
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from python_calamine import CalamineWorkbook
from dixian.employment.imports import survey_import
from django.db import connection
from dixian.employment.models import Employment, EmploymentCount, SurveyImport
from dixian.employment.roll import roll
from dixian.regions.models import Region

path, runs = Path(sys.argv[1]), int(sys.argv[2])
county = Region.objects.get(code="360424000000")
from dixian.accounts.models import User
actor = User.objects.get(username="bench_county")  # a real import has an account (the page, --user)
october = dt.date(2026, 10, 1)
out = {"baseline": [], "import": [], "again": [], "import_cpu": [], "roll": roll(october, prefix="360424").count()}
for _ in range(runs):
    t = time.perf_counter()
    n = len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
    out["baseline"].append(time.perf_counter() - t)
    for label in ("import", "again"):
        t, c = time.perf_counter(), time.process_time()
        batch = survey_import(path=path, actor=actor, scope=county, today=dt.date(2026, 11, 20))
        out[label].append(time.perf_counter() - t)
        if label == "import":
            out["import_cpu"].append(time.process_time() - c)
            assert batch.created == n - 1, (batch.message, batch.errors[:3])
        else:
            assert batch.unchanged == n - 1, (batch.message, batch.errors[:3])
    out["records"] = Employment.objects.count()
    Employment.objects.all().delete()
    SurveyImport.objects.all().delete()
    EmploymentCount.objects.all().delete()
    if connection.vendor == "postgresql":
        # Each run from the same state: without it the next run writes beside 100,000 dead rows and their
        # index entries (autovacuum comes later), 0.5-2 s slower by the third run.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE employment_employment")
            cursor.execute("VACUUM ANALYZE employment_employmentcount")
print(json.dumps(out))
"""

TIERS = ["县内", "省内县外", "省外", "国外"]
CHANNELS = ["自主就业", "劳务输出", "公益性岗位", "帮扶车间", "以工代赈", "灵活就业"]
WAGES = ["1000-2000元", "2000-3000元", "3000-5000元", "5000-8000元"]
REASONS = ["照料家庭", "身体原因", "无合适岗位", "在家务农"]
HEADER = [
    "姓名",
    "证件号码",
    "摸排月份",
    "是否务工",
    "务工地域",
    "就业单位(帮扶车间)",
    "就业渠道",
    "本年务工月数",
    "月工资收入",
    "未就业原因",
    "是否有就业意愿",
    "备注",
]


def write_book(path: Path, rows: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet("摸排表")
    for j, h in enumerate(HEADER):
        ws.write_string(0, j, h)
    for i in range(rows):
        r = i + 1
        ws.write_string(r, 0, name(i))
        ws.write_string(r, 1, id_number(i))
        ws.write_string(r, 2, "2026-10")
        if i % 3:
            ws.write_string(r, 3, "是")
            ws.write_string(r, 4, TIERS[i % 4])
            ws.write_string(r, 5, f"务工单位{i % 500}")
            ws.write_string(r, 6, CHANNELS[i % 6])
            ws.write_number(r, 7, 1 + i % 10)
            ws.write_string(r, 8, WAGES[i % 4])
        else:
            ws.write_string(r, 3, "否")
            ws.write_number(r, 7, 0)
            ws.write_string(r, 9, REASONS[i % 4])
            ws.write_string(r, 10, "是" if i % 2 else "否")
    book.close()


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def bench(database: str, book: Path, rows: int, runs: int, tmp: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIXIAN_DATA_DIR": str(tmp / f"data-{database}")}
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}"')
            conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
        env["DATABASE_URL"] = PG_BENCH
    run([sys.executable, "-m", "dixian", "migrate", "--no-input", "-v", "0"], env)
    print("#", database, run([sys.executable, "-c", SETUP, str(rows)], env).strip(), flush=True)
    return json.loads(run([sys.executable, "-c", CHILD, str(book), str(runs)], env).splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(
        f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory() as dirname:
        tmp = Path(dirname)
        book = tmp / "survey.xlsx"
        write_book(book, args.rows)
        print(f"# workbook: {args.rows:,} rows, {book.stat().st_size / 1e6:.1f} MB")
        print(
            "| database | workers on the roll | baseline: calamine read (s) | import (s) | rows/s | import CPU (s) | re-import (s) | re-import rows/s |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for database in args.databases.split(","):
            out = bench(database, book, args.rows, args.runs, tmp)
            base, first, cpu, again = (
                statistics.median(out[k]) for k in ("baseline", "import", "import_cpu", "again")
            )
            print(
                f"| {database} | {out['roll']:,} | {base:.2f} | {first:.2f} | {args.rows / first:,.0f} | {cpu:.2f} | "
                f"{again:.2f} | {args.rows / again:,.0f} |",
                flush=True,
            )
            runs = " · ".join(f"{args.rows / t:,.0f}" for t in out["import"])
            print(f"#   {database} import runs (rows/s, in order): {runs}", flush=True)
    print(f"# load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
