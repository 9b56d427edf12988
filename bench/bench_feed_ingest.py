"""Benchmark of department feed ingestion: `delivery_receive` of a large 医保 delivery, checked and stored.

    .venv/bin/python bench/bench_feed_ingest.py                  # 1,000,000-row csv and 200,000-row xlsx
    .venv/bin/python bench/bench_feed_ingest.py --csv-rows 200000 --xlsx-rows 50000 --runs 1

The files are synthetic (valid 18-digit ID numbers of made-up people, 个人负担 consistent with the
payments; a few percent of IDs missing, mistyped, 15-digit or damaged as 3.60424E+17, which are accepted).
In one child process on a fresh SQLite database under a temporary DATA_DIR, each run times:

* receive: the whole service, `delivery_receive` (read, check every cell, the canonical Parquet written
  atomically, the original kept, the delivery row, audit row and screening job); the accepted delivery is
  deleted between runs so that the next run is not answered as "already received";
* check only: `ingest.ingest_file` (read and check, nothing written);
* baseline: the floor of reading and writing the same file with no checks at all, in the same run —
  `polars.read_csv` (every column as text) + `write_parquet` for the csv; python-calamine's sheet read +
  a Polars frame + `write_parquet` for the workbook.

The table gives the median of the runs (wall seconds, and CPU seconds of the child, which stay put on a
busy machine where wall time grows).
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
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dixian.domain import idnumber  # noqa: E402 - importable once the repository root is on the path

HEADERS = {
    "settlement_no": "结算单号",
    "name": "姓名",
    "id_number": "证件号码",
    "sex": "性别",
    "visit_type": "就诊类别",
    "admission_date": "入院日期",
    "settlement_date": "结算日期",
    "total_cost": "医疗总费用",
    "fund_paid": "统筹基金支付",
    "critical_illness_paid": "大病保险支付",
    "assistance_paid": "医疗救助支付",
    "out_of_pocket": "个人负担",
}
WEIGHTS = np.array(idnumber.ID_WEIGHTS)
CHECK = np.array(list(idnumber.CHECK_CHARS))


def medical_frame(n: int, seed: int = 20261129) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    birth = np.datetime64("1940-01-01") + rng.integers(0, 365 * 70, n).astype("timedelta64[D]")
    births = np.datetime_as_string(birth, unit="D")
    body = np.char.add(
        np.char.add("360424", np.char.replace(births, "-", "")),
        np.char.zfill(rng.integers(0, 999, n).astype(str), 3),
    )
    digits = np.frombuffer("".join(body.tolist()).encode(), dtype=np.uint8).reshape(n, 17) - 48
    ids = np.char.add(body, CHECK[(digits @ WEIGHTS) % 11])
    # Departments' damage: 2 % missing, 1 % one digit mistyped, 1 % the old 15 digits, 1 % 3.60424E+17.
    ser = pl.Series(ids)
    mistyped = (
        ser.str.slice(0, 10)
        + ((ser.str.slice(10, 1).cast(pl.Int64) + 1) % 10).cast(pl.String)
        + ser.str.slice(11)
    ).to_numpy()
    old15 = (ser.str.slice(0, 6) + ser.str.slice(8, 9)).to_numpy()
    kind = rng.random(n)
    ids = np.where(kind < 0.02, "", ids)
    ids = np.where((kind >= 0.02) & (kind < 0.03), mistyped, ids)
    ids = np.where((kind >= 0.03) & (kind < 0.04), old15, ids)
    ids = np.where((kind >= 0.04) & (kind < 0.05), "3.60424E+17", ids)
    settle = np.datetime64("2025-11-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    admit = settle - rng.integers(0, 20, n).astype("timedelta64[D]")
    total = rng.integers(5_000, 5_000_000, n)  # cents
    fund = total * rng.integers(40, 70, n) // 100
    critical = total * rng.integers(0, 10, n) // 100
    assistance = total * rng.integers(0, 5, n) // 100
    own = total - fund - critical - assistance

    def yuan(cents: np.ndarray) -> list[str]:
        return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]

    return pl.DataFrame(
        {
            "结算单号": [f"JS2026{i:010d}" for i in range(n)],
            "姓名": rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈静", "欧阳·明", "杨磊", "赵敏"], n),
            "证件号码": ids,
            "性别": rng.choice(["男", "女"], n),
            "就诊类别": rng.choice(["住院", "门诊慢特病", "普通门诊"], n),
            "入院日期": np.datetime_as_string(admit, unit="D"),
            "结算日期": np.datetime_as_string(settle, unit="D"),
            "医疗总费用": yuan(total),
            "统筹基金支付": yuan(fund),
            "大病保险支付": yuan(critical),
            "医疗救助支付": yuan(assistance),
            "个人负担": yuan(own),
        }
    )


def write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("医保结算")
    ws.write_row(0, 0, frame.columns)
    money = {
        j
        for j, c in enumerate(frame.columns)
        if c in ("医疗总费用", "统筹基金支付", "大病保险支付", "医疗救助支付", "个人负担")
    }
    for i, row in enumerate(frame.iter_rows(), start=1):
        for j, v in enumerate(row):
            if v == "":
                continue
            if j in money:
                ws.write_number(i, j, float(v))
            else:
                ws.write_string(i, j, v)
    wb.close()


CHILD = r"""
import json, os, sys, time, statistics
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import polars as pl
from python_calamine import CalamineWorkbook
from django.utils import timezone
from dixian.accounts.models import Role, User
from dixian.common.models import Job
from dixian.feeds import ingest
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import delivery_receive
from dixian.regions.models import Region

county = Region.objects.create(code="360424000000", name="修水县", level="county")
user = User.objects.create_user("bench_dept", region=county, roles=[Role.DEPARTMENT_UPLOADER], feeds=["medical"])
path, runs, scratch = sys.argv[1], int(sys.argv[2]), sys.argv[3]
content = open(path, "rb").read()
name = os.path.basename(path)

def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - t, time.process_time() - c, value

def baseline():
    if name.endswith(".csv"):
        frame = pl.read_csv(path, infer_schema=False)
    else:
        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        frame = pl.DataFrame([pl.Series(h, [None if v == "" else str(v) for v in col], dtype=pl.String)
                              for h, *col in zip(*rows)])
    frame.write_parquet(os.path.join(scratch, "baseline.parquet"))
    return frame.height

out = {"receive": [], "check": [], "baseline": []}
for _ in range(runs):
    wall, cpu, (delivery, created) = timed(lambda: delivery_receive(
        feed="medical", period="2026-10", source=user, region=county, channel="upload", file_name=name,
        content=content))
    assert created and delivery.status == "accepted", (delivery.status, delivery.message, delivery.errors[:3])
    out["receive"].append({"wall": wall, "cpu": cpu, "rows": delivery.row_count, "message": delivery.message})
    FeedDelivery.objects.filter(pk=delivery.pk).delete()
    Job.objects.all().delete()
    wall, cpu, result = timed(lambda: ingest.ingest_file("medical", content, file_name=name, today=timezone.localdate()))
    assert result.ok
    out["check"].append({"wall": wall, "cpu": cpu, "rows": result.row_count})
    wall, cpu, n = timed(baseline)
    out["baseline"].append({"wall": wall, "cpu": cpu, "rows": n})
print(json.dumps(out))
"""


def run_child(path: Path, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="dixian-bench-feeds-") as tmp:
        env = {
            **os.environ,
            "DIXIAN_DATA_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(runs), tmp],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"child failed on {path.name}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def median(values: list[dict], key: str) -> float:
    return statistics.median(v[key] for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dixian-bench-feed-files-") as tmp:
        files = []
        t = time.perf_counter()
        if args.csv_rows:
            csv_path = Path(tmp) / "医保结算.csv"
            medical_frame(args.csv_rows).write_csv(csv_path)
            files.append(csv_path)
        if args.xlsx_rows:
            xlsx_path = Path(tmp) / "医保结算.xlsx"
            write_xlsx(medical_frame(args.xlsx_rows, seed=7), xlsx_path)
            files.append(xlsx_path)
        print(f"files generated in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}; "
            f"date {dt.datetime.now(dt.UTC).date()}; load average before: {os.getloadavg()[0]:.1f}"
        )
        print(
            "| file | rows | size | receive (median wall / CPU) | check only | baseline (read + write Parquet, no checks) | receive ÷ baseline |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for path in files:
            result = run_child(path, args.runs)
            rows = result["receive"][0]["rows"]
            receive = median(result["receive"], "wall")
            base = median(result["baseline"], "wall")
            print(
                f"| {path.suffix[1:]} | {rows:,} | {path.stat().st_size / 1e6:.0f} MB | "
                f"{receive:.1f} s / {median(result['receive'], 'cpu'):.1f} s | "
                f"{median(result['check'], 'wall'):.1f} s / {median(result['check'], 'cpu'):.1f} s | "
                f"{base:.1f} s / {median(result['baseline'], 'cpu'):.1f} s | {receive / base:.1f}x |"
            )
            print(
                f"  walls: receive {[round(r['wall'], 1) for r in result['receive']]}, "
                f"baseline {[round(r['wall'], 1) for r in result['baseline']]}; {result['receive'][0]['message']}",
                file=sys.stderr,
            )
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
