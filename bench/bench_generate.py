"""Benchmark of the synthetic data generator (`dixian generate`) at county and city scale.

    .venv/bin/python bench/bench_generate.py                      # county and city, 3 runs each
    .venv/bin/python bench/bench_generate.py --scales city --runs 5

Each run is the whole console command in a child process (start-up, tree, population, Parquet and,
at county scale, the 200,000-row import workbook), writing into a scratch directory. The table shows
the median, minimum and maximum wall time and the median CPU time of the child (user + system): on a
busy machine wall time grows while CPU time stays put, so both are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(scale: str, seed: int, out: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "dixian",
            "generate",
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", nargs="+", default=["county", "city"], choices=["village", "county", "city"]
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="dixian-bench-") as scratch:
        for scale in args.scales:
            walls, cpus = [], []
            for run in range(args.runs):
                out = Path(scratch) / f"{scale}-{run}"
                wall, cpu = run_once(scale, args.seed, out)
                walls.append(wall)
                cpus.append(cpu)
                print(f"{scale} run {run + 1}/{args.runs}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            size = sum(f.stat().st_size for f in out.iterdir())
            rows.append(
                (
                    scale,
                    manifest["persons"],
                    manifest["households"],
                    statistics.median(walls),
                    min(walls),
                    max(walls),
                    statistics.median(cpus),
                    size / 1e6,
                    manifest["workbook"],
                )
            )

    print()
    print(
        f"# dixian generate, {dt.date.today()}, {platform.machine()}, {os.cpu_count()} CPUs, "  # noqa: DTZ011
        f"median of {args.runs} runs, load average at end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'scale':<8} {'persons':>10} {'households':>10} {'median s':>9} {'min s':>7} {'max s':>7} "
        f"{'CPU s':>7} {'output MB':>9}  workbook"
    )
    for scale, persons, households, median, low, high, cpu, mb, workbook in rows:
        print(
            f"{scale:<8} {persons:>10,} {households:>10,} {median:>9.1f} {low:>7.1f} {high:>7.1f} {cpu:>7.1f} "
            f"{mb:>9.1f}  {'yes' if workbook else 'no'}"
        )


if __name__ == "__main__":
    main()
