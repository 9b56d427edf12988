"""Benchmark of the finance office's workbook import (`funds_import`, issue 16) on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_funds_import.py                       # both databases, 3 runs each
    .venv/bin/python bench/bench_funds_import.py --databases sqlite --runs 1 --payments 20000

The workbook: 5,000 projects (sheet 项目, in 50 townships × 10 villages of one county, each started and with
a budget) and 100,000 payments (sheet 资金支付) against them. Each database is fresh (a temporary SQLite
file, or the scratch PostgreSQL database DIXIAN_BENCH_PGDB, default dixian_alloc_bench, dropped and created),
migrated, given the region tree; then, in one child process, each run times

* baseline: reading the workbook's two sheets with python-calamine alone (what any import pays);
* import: `funds_import` of the whole book into empty tables (read, parse, check, write in bulk);
* re-import: the same book again (every payment found under its key, nothing written);

and the tables are emptied between runs. Rows/s is payment rows per second of wall time of the import.
The table gives the median of the runs.
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

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = os.environ.get("DIXIAN_BENCH_PGDB", "dixian_alloc_bench")
PG_BENCH = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"

CHILD = r"""
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from python_calamine import CalamineWorkbook
from dixian.funds.imports import funds_import
from dixian.funds.models import Payment, Project, ProjectBudget, ProjectTransition, FundsImportBatch
from dixian.regions.models import Region

path, runs = sys.argv[1], int(sys.argv[2])
county = Region.objects.get(code="360424000000")
out = {"baseline": [], "import": [], "again": [], "import_cpu": []}
for _ in range(runs):
    t = time.perf_counter()
    book = CalamineWorkbook.from_path(path)
    n = sum(len(book.get_sheet_by_name(s).to_python()) for s in book.sheet_names)
    out["baseline"].append(time.perf_counter() - t)
    for label in ("import", "again"):
        t, c = time.perf_counter(), time.process_time()
        batch = funds_import(path=__import__("pathlib").Path(path), actor=None, scope=county)
        out[label].append(time.perf_counter() - t)
        if label == "import":
            out["import_cpu"].append(time.process_time() - c)
        assert batch.status == "imported", (batch.message, batch.errors[:3])
    out["payments"] = Payment.objects.count()
    for model in (Payment, ProjectTransition, ProjectBudget, Project, FundsImportBatch):
        model.objects.all().delete()
print(json.dumps(out))
"""

REGIONS = r"""
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from dixian.regions.models import Region
city = Region.objects.create(code="360400000000", name="九江市", level="city")
county = Region.objects.create(code="360424000000", name="修水县", level="county", parent=city)
for t in range(1, 51):
    town = Region.objects.create(code=f"360424{100 + t:03d}000", name=f"镇{t}", level="township", parent=county)
    for v in range(1, 11):
        Region.objects.create(code=f"360424{100 + t:03d}{200 + v:03d}", name=f"镇{t}村{v}", level="village", parent=town)
"""


def write_book(path: Path, projects: int, payments: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    ws = book.add_worksheet("项目")
    head = [
        "项目编号",
        "项目名称",
        "计划年度",
        "项目类型",
        "行政区划代码",
        "实施单位",
        "中央资金",
        "实际开工日期",
    ]
    for j, h in enumerate(head):
        ws.write_string(0, j, h)
    start = dt.datetime(2026, 3, 1)  # noqa: DTZ001 - an Excel date cell has no zone
    for i in range(projects):
        t, v = i % 50 + 1, (i // 50) % 10 + 1
        row = [f"B{i:05d}", f"项目{i}", 2026, "产业发展", f"360424{100 + t:03d}{200 + v:03d}", "镇政府"]
        for j, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(i + 1, j, value)
            else:
                ws.write_string(i + 1, j, value)
        ws.write_number(i + 1, 6, 10_000_000)
        ws.write_datetime(i + 1, 7, start, date)
    ws = book.add_worksheet("资金支付")
    for j, h in enumerate(["项目编号", "支付日期", "支付金额", "资金用途", "收款方类别", "凭证号"]):
        ws.write_string(0, j, h)
    uses = ["建筑安装工程", "材料采购", "设备购置", "以工代赈劳务报酬"]
    for i in range(payments):
        ws.write_string(i + 1, 0, f"B{i % projects:05d}")
        ws.write_datetime(i + 1, 1, start + dt.timedelta(days=30 + i % 200), date)
        ws.write_number(i + 1, 2, 1000 + (i % 997) / 100)
        ws.write_string(i + 1, 3, uses[i % 4])
        ws.write_string(i + 1, 4, "施工企业")
        ws.write_string(i + 1, 5, f"V{i:07d}")
    book.close()


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def bench(database: str, book: Path, runs: int, tmp: Path) -> dict[str, object]:
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
    run([sys.executable, "-c", REGIONS], env)
    return json.loads(run([sys.executable, "-c", CHILD, str(book), str(runs)], env).splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--payments", type=int, default=100_000)
    args = parser.parse_args()
    print(
        f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        book = tmp / "funds.xlsx"
        write_book(book, args.projects, args.payments)
        print(
            f"# workbook: {args.projects:,} projects, {args.payments:,} payments, {book.stat().st_size / 1e6:.1f} MB"
        )
        print(
            "| database | baseline: calamine read (s) | import (s) | payments/s | import CPU (s) | re-import (s) |"
        )
        print("|---|---|---|---|---|---|")
        for database in args.databases.split(","):
            out = bench(database, book, args.runs, tmp)
            base, first, cpu, again = (
                statistics.median(out[k])  # type: ignore[call-overload]  # lists of seconds from the child's JSON
                for k in ("baseline", "import", "import_cpu", "again")
            )
            print(
                f"| {database} | {base:.2f} | {first:.2f} | {args.payments / first:,.0f} | {cpu:.2f} | {again:.2f} |",
                flush=True,
            )
    print(f"# load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
