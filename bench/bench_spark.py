"""Benchmark of the screening engine on local Spark against DuckDB, county and city inputs (issue 17).

    .venv/bin/python bench/bench_spark.py                          # county, 3 rounds; updates docs
    .venv/bin/python bench/bench_spark.py --scale city --runs 1    # city benchmark inputs
    .venv/bin/python bench/bench_spark.py --scale county --runs 1 --no-docs --data /tmp/county
    .venv/bin/python bench/bench_spark.py --cluster                # the local standalone cluster check

Inputs:
- county: `dixian generate --scale county` (the county demo: 200,010 persons, 437,980 feed rows over the
  12 feeds, with the departments' Chinese headers); incomes as the registry import computes them (net =
  wages + business + property + transfers - production costs; per capita over the household's members).
- city: the engine benchmark's inputs (bench/bench_screening.py: 800,000 households, 2.5 M persons, 5 M
  feed rows, stored normalised ID numbers).

Each run is a child process: `screen()` with the 17 default rules over the Parquet paths, on DuckDB (2
threads, as the engine benchmark) or on a local Spark session as `dixian screen --backend spark` starts it
with DIXIAN_SPARK_MASTER=local[2] (engine.spark_session: driver memory 1 GB per core = 2g, 4 shuffle
partitions, adaptive execution, the JVM's quick compiler). Measured: the engine's wall time (session start
apart), the CPU time of the child and of its JVM (read from /proc before the child exits), and the peak RSS
of each. Both engines' alerts, 应纳未纳 rows and case evidence are compared table against table.

`--cluster`: the tested cluster configuration of docs/scale.md §2 (3–4 minutes on this loaded machine, too
long for the test suite). scripts/spark-local-cluster starts a standalone master and worker; a driver
process configured only by DIXIAN_SPARK_* variables runs every default rule on the cluster and on DuckDB
and compares the results table against table (its inputs written as Parquet, read by the worker's
executor); the work must have run on the worker. Then the worker is stopped and a session on the master
alone must fail within its start timeout with the message. Exits non-zero on any failure.
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

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-10"
DUCKDB_OPTIONS = {"threads": 2}
SPARK_MASTER = "local[2]"
TABLES = ("alerts", "unmatched", "case_evidence")


# Inputs ------------------------------------------------------------------------------------------------


def county_inputs(out: Path) -> dict[str, int]:
    """The county demo as `dixian generate` writes it, with the registry's incomes computed."""
    import polars as pl

    if not (out / "manifest.json").exists():
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{out / 'unused.sqlite3'}"}
        subprocess.run(  # noqa: S603 - our own command
            [
                sys.executable,
                "-m",
                "dixian",
                "generate",
                "--scale",
                "county",
                "--out",
                str(out),
                "--no-workbook",
            ],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
    households = pl.read_parquet(out / "households.parquet")
    members = households.select("household_no", "member_count")
    parts = ("wages", "business", "property", "transfers")
    incomes = (
        pl.read_parquet(out / "incomes.parquet")
        .join(members, on="household_no")
        .with_columns(
            net_income=(pl.sum_horizontal(*parts) - pl.col("production_costs")).cast(pl.Decimal(18, 2)),
            year=pl.col("year").cast(pl.Int32),
        )
        .with_columns(
            net_income_per_capita=(
                pl.col("net_income").cast(pl.Float64) / pl.col("member_count").clip(lower_bound=1)
            )
            .round(2)
            .cast(pl.Decimal(18, 2))
        )
        .select("household_no", "year", "net_income", "net_income_per_capita")
    )
    incomes.write_parquet(out / "registry_incomes.parquet")
    feeds = sorted((out / "feeds").glob("*.parquet"))
    return {
        "households": households.height,
        "persons": pl.scan_parquet(out / "persons.parquet").select(pl.len()).collect().item(),
        "feed_rows": sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in feeds),
    }


def city_inputs(out: Path) -> dict[str, int]:
    sys.path.insert(0, str(ROOT / "bench"))
    import pyarrow.parquet as pq
    from bench_screening import FEED_ROWS, build_inputs

    if not (out / "persons.parquet").exists():
        build_inputs(out)
    (out / "feeds").mkdir(exist_ok=True)
    for code in FEED_ROWS:
        if (out / f"{code}.parquet").exists():
            (out / f"{code}.parquet").rename(out / "feeds" / f"{code}.parquet")
    if not (out / "registry_incomes.parquet").exists():
        (out / "incomes.parquet").rename(out / "registry_incomes.parquet")
    return {
        "households": pq.ParquetFile(out / "households.parquet").metadata.num_rows,
        "persons": pq.ParquetFile(out / "persons.parquet").metadata.num_rows,
        "feed_rows": sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "feeds").glob("*.parquet")),
    }


# The measured child ------------------------------------------------------------------------------------


def _proc_status(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _jvm() -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of this process's JVM children (the Spark driver)."""
    tick = os.sysconf("SC_CLK_TCK")
    cpu = rss = 0.0
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    for pid in children.read_text().split() if children.exists() else []:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu += (int(fields[11]) + int(fields[12])) / tick
        rss += _proc_status(pid, "VmHWM") / 1024
    return cpu, rss


def child(engine: str, data: Path, out: Path) -> dict[str, object]:
    import pyarrow.parquet as pq

    from dixian.screening.engine import default_rules, screen
    from dixian.screening.engine.backends import SparkBackend

    registry = {
        "households": data / "households.parquet",
        "persons": data / "persons.parquet",
        "incomes": data / "registry_incomes.parquet",
    }
    feeds = {p.stem: p for p in sorted((data / "feeds").glob("*.parquet"))}
    session_seconds = 0.0
    backend: object = "duckdb"
    options = DUCKDB_OPTIONS if engine == "duckdb" else None
    if engine == "spark":
        from dixian.screening.engine.spark_session import SparkSettings, session_conf, session_start

        settings = SparkSettings(master=SPARK_MASTER)
        t0 = time.perf_counter()
        spark = session_start(settings)
        session_seconds = time.perf_counter() - t0
        backend = SparkBackend(spark, staging_dir=out)
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = screen(registry, feeds, default_rules(), PERIOD, backend, backend_options=options)  # type: ignore[arg-type]  # a Backend or its name
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    for name in TABLES:
        pq.write_table(getattr(result, name), out / f"{engine}_{name}.parquet")
    jvm_cpu, jvm_rss = _jvm()
    info: dict[str, object] = {
        "engine": engine,
        "seconds": seconds,
        "session_seconds": session_seconds,
        "cpu": cpu + jvm_cpu,  # the JVM's CPU includes its start; small next to the run
        "rss_mb": _proc_status("self", "VmHWM") / 1024,
        "jvm_rss_mb": jvm_rss,
        "alerts": result.alerts.num_rows,
        "unmatched": result.unmatched.num_rows,
    }
    if engine == "spark":
        info["conf"] = {k: v for k, v in session_conf(settings).items() if "memory" in k or "partitions" in k}
    return info


def measure(engine: str, data: Path, out: Path) -> dict[str, object]:
    proc = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", engine, "--data", str(data), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{engine} run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-5000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same_results(out: Path) -> bool:
    import pyarrow.parquet as pq

    return all(
        pq.read_table(out / f"duckdb_{t}.parquet").equals(pq.read_table(out / f"spark_{t}.parquet"))
        for t in TABLES
    )


# The local standalone cluster (docs/scale.md §2) -------------------------------------------------------

CLUSTER_SCRIPT = ROOT / "scripts" / "spark-local-cluster"

CLUSTER_DRIVER = r"""
import os
import sys
from pathlib import Path

from dixian.screening.engine import default_rules, screen
from dixian.screening.engine.backends import SparkBackend
from dixian.screening.engine.spark_session import SparkUnavailable, session_start, settings_from_env
from dixian.screening.tests.data import every_rule_world

out = Path(sys.argv[1])
try:
    settings = settings_from_env(os.environ)
    spark = session_start(settings)
except SparkUnavailable as exc:
    print("UNAVAILABLE", exc)
    sys.exit(3)
registry, feeds, monitored, links = every_rule_world()
paths = {}
for name, frame in {**registry, **{f"feed_{k}": v for k, v in feeds.items()}}.items():
    paths[name] = out / f"{name}.parquet"
    frame.write_parquet(paths[name])
reg = {k: paths[k] for k in registry}
fd = {k: paths[f"feed_{k}"] for k in feeds}
kw = {"monitored_risks": monitored, "links": links}
duck = screen(reg, fd, default_rules(), "2026-10", backend="duckdb", **kw)
on_spark = screen(reg, fd, default_rules(), "2026-10", backend=SparkBackend(spark, staging_dir=out), **kw)
assert spark.sparkContext.master == settings.master, spark.sparkContext.master
for name in ("alerts", "unmatched", "case_evidence"):
    assert getattr(on_spark, name).to_pylist() == getattr(duck, name).to_pylist(), name
print("SAME", duck.alerts.num_rows)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cluster(action: str, folder: Path, port: int) -> str:
    env = {**os.environ, "PYTHON": sys.executable, "SPARK_CLUSTER_PORT": str(port)}
    done = subprocess.run(  # noqa: S603 - our own script
        [str(CLUSTER_SCRIPT), action, str(folder)], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        log = folder / "master.log"
        raise SystemExit(f"{action} failed: {done.stderr}\n{log.read_text()[-2000:] if log.exists() else ''}")
    return done.stdout.strip()


def _drive(master: str, folder: Path, timeout: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "DIXIAN_SPARK_MASTER": master,
        "DIXIAN_SPARK_EXECUTOR_MEMORY": "768m",
        "DIXIAN_SPARK_DRIVER_MEMORY": "768m",
        "DIXIAN_SPARK_SHUFFLE_PARTITIONS": "2",
        "DIXIAN_SPARK_START_TIMEOUT": timeout,
        # Tiny inputs: interpreted evaluation beats compiling generated code (as the test session's Spark).
        "DIXIAN_SPARK_CONF": "spark.sql.codegen.wholeStage=false spark.sql.adaptive.enabled=false",
    }
    return subprocess.run(  # noqa: S603 - our own driver script
        [sys.executable, "-c", CLUSTER_DRIVER, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=ROOT,
    )


def cluster_check() -> str:
    """Run the cluster check; returns its report line (raises SystemExit on a failure)."""
    with tempfile.TemporaryDirectory(prefix="dixian-spark-cluster-") as tmp:
        folder, port = Path(tmp), _free_port()
        t0 = time.perf_counter()
        master = _cluster("start", folder / "cluster", port)
        started = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            done = _drive(master, folder, "120")
            run = time.perf_counter() - t0
            if done.returncode != 0 or "SAME" not in done.stdout:
                raise SystemExit(f"cluster run failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
            if not any((folder / "cluster" / "work").iterdir()):
                raise SystemExit("the worker ran no executor")
            alerts = done.stdout.split("SAME", 1)[1].split()[0]
            worker = folder / "cluster" / "worker.pid"
            os.kill(int(worker.read_text()), 15)
            worker.unlink()
            t0 = time.perf_counter()
            done = _drive(master, folder, "8")
            refused = time.perf_counter() - t0
            if done.returncode != 3 or "没有完成测试任务" not in done.stdout:
                raise SystemExit(
                    f"a master without workers was not refused:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
                )
        finally:
            _cluster("stop", folder / "cluster", port)
    return (
        f"- Local standalone cluster (`--cluster`, {dt.datetime.now(dt.UTC).date().isoformat()}): master and worker "
        f"up in {started:.0f} s; a driver configured by DIXIAN_SPARK_MASTER ran every default rule there with "
        f"DuckDB's results ({alerts} alerts, table against table) in {run:.0f} s (both engines and the driver's "
        f"start); on the master without its worker the session was refused after {refused:.0f} s "
        "(start timeout 8 s) with the message."
    )


# Report ------------------------------------------------------------------------------------------------


def section(results: dict[str, dict[str, list[dict]]], counts: dict[str, dict[str, int]], runs: int) -> str:
    med = statistics.median
    load = os.getloadavg()
    lines = [
        "## Spark engine (issue 17)",
        "",
        f"`bench/bench_spark.py`, {dt.datetime.now(dt.UTC).date().isoformat()}, {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}, pyspark {_pyspark_version()}, Java 17), "
        f"load average {load[0]:.1f} at the end (the machine is shared with other benchmarks: judge by the "
        "CPU columns and the ratios). `screen()` with the 17 default rules over Parquet; DuckDB with 2 threads; "
        f"Spark local as `dixian screen --backend spark` starts it with DIXIAN_SPARK_MASTER={SPARK_MASTER} "
        "(driver memory 2g = 1 GB per core, 4 shuffle partitions, adaptive execution, quick JIT compiler). "
        "Each run a fresh child process; medians; engine time without the session's start (given apart).",
        "",
        "| inputs | engine | runs | engine wall (s) | session start (s) | CPU incl. JVM (s) | peak RSS Python / JVM (MB) | alerts | same as DuckDB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    notes = []
    for scale, res in results.items():
        c = counts[scale]
        label = f"{scale}: {c['persons']:,} persons, {c['feed_rows']:,} feed rows"
        for engine in ("duckdb", "spark"):
            rs = res.get(engine, [])
            if not rs:
                continue
            same = ", ".join("yes" if r.get("same") else "NO" for r in rs) if engine == "spark" else ""
            lines.append(
                f"| {label} | {engine} | {len(rs)} | {med(r['seconds'] for r in rs):.1f} | "
                f"{med(r['session_seconds'] for r in rs):.1f} | {med(r['cpu'] for r in rs):.1f} | "
                f"{med(r['rss_mb'] for r in rs):.0f} / {med(r['jvm_rss_mb'] for r in rs):.0f} | "
                f"{rs[-1]['alerts']:,} | {same} |"
            )
        if res.get("duckdb") and res.get("spark"):
            wall = med(r["seconds"] for r in res["spark"]) / med(r["seconds"] for r in res["duckdb"])
            cpu = med(r["cpu"] for r in res["spark"]) / med(r["cpu"] for r in res["duckdb"])
            notes.append(f"- {scale}: Spark / DuckDB = **{wall:.1f}x** wall, {cpu:.1f}x CPU.")
    lines += ["", *notes]
    return "\n".join(lines) + "\n"


def _pyspark_version() -> str:
    try:
        import pyspark

        return pyspark.__version__
    except ImportError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", help="county, city or county,city")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, help="keep the inputs in this directory (one per scale)")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--cluster", action="store_true", help="only the local standalone cluster check")
    parser.add_argument("--child", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.out), ensure_ascii=False))
        return
    if args.cluster:
        print(cluster_check())
        return

    results: dict[str, dict[str, list[dict]]] = {}
    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="dixian-bench-spark-") as tmp:
        for scale in args.scale.split(","):
            data = (args.data / scale) if args.data else Path(tmp) / scale
            data.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            counts[scale] = (county_inputs if scale == "county" else city_inputs)(data)
            print(f"{scale} inputs ready in {time.perf_counter() - t0:.0f} s: {counts[scale]}", flush=True)
            res: dict[str, list[dict]] = {"duckdb": [], "spark": []}
            for i in range(args.runs):
                out = Path(tmp) / f"out-{scale}-{i}"
                out.mkdir()
                for engine in ("duckdb", "spark"):  # interleaved: the machine's load hits both alike
                    res[engine].append(measure(engine, data, out))
                res["spark"][-1]["same"] = same_results(out)
                print(f"{scale} round {i + 1}: {res['duckdb'][-1]} {res['spark'][-1]}", flush=True)
            results[scale] = res
    text = section(results, counts, args.runs)
    print(text)
    if not args.no_docs:
        from docs_section import replace_docs_section  # bench/ is on sys.path when a bench runs as a script

        print(f"updated {replace_docs_section('## Spark engine (issue 17)', text)}")


if __name__ == "__main__":
    main()
