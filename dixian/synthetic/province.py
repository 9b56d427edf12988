"""`generate --scale province`: Jiangxi's 11 prefecture-level cities, about 25 M persons and 50 M feed rows, as
Parquet only, in bounded memory (docs/synthetic.md "Province scale", docs/scale.md §4).

The province is made chunk by chunk: a chunk is a prefecture, or a group of its counties when the prefecture is
larger than `CHUNK_PERSONS`. Each chunk is a city-scale run of the registry and the feeds (population.py, the
pupils planted out of school, feeds.py) on its own subtree and its own random streams, written to its own
Parquet files and dropped before the next one, so that memory stays that of one city run. 九江市 comes first
and is the city scale itself: the same tree, seed and streams give the same households, persons, incomes,
feeds and ground truth as `--scale city`.

Output directory (one file per chunk, named `<prefecture code4>_<chunk>`, e.g. `3607_1`):
  regions.parquet                    the whole tree: the province, its cities, counties, townships, villages, groups
  households/ persons/ incomes/      <chunk>.parquet, columns as at the other scales
  feeds/<feed>/<chunk>.parquet       as the departments send them (Chinese headers)
  ground_truth/<chunk>.parquet       what screening the chunk's feeds must find
  chunks/<chunk>.json                the chunk's row counts, written after its files (a rerun skips a chunk
                                     that has one: an interrupted run resumes)
  manifest.json                      written last: seed, period, totals, chunks, time and peak memory

No lifecycle, funds, CSV or workbook: the province scale exists for the screening benchmark
(bench/bench_province.py).
"""

from __future__ import annotations

import gc
import json
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dixian.domain import catalogue

from .employment import plant_workers
from .feeds import DEFAULT_PERIOD, as_sent, generate_feeds
from .lifecycle import as_of_for, children_plant
from .population import generate_population
from .tree import (
    CITY_CODE,
    CITY_SCALE_PERSONS,
    PREFECTURES,
    PROVINCE_CODE,
    PROVINCE_NAME,
    TREE_SCHEMA,
    Prefecture,
    prefecture_counties,
    prefecture_tree,
    single_village_tree,
)

CITY_PERSONS = CITY_SCALE_PERSONS  # the city scale's persons (generate.SCALES["city"])
CHUNK_PERSONS = 2_600_000  # a chunk holds at most this many persons (one city run's memory)
PROVINCE_FORMAT_VERSION = 1
REGISTRY_TABLES = ("households", "persons", "incomes")


@dataclass(frozen=True)
class Chunk:
    name: str  # <code4>_<k>
    prefecture: Prefecture
    counties: tuple[str, ...]  # 6-digit codes
    persons: int  # target
    seed: int  # of the chunk's random streams; 九江市's is the run's seed itself


def event_scale(persons: int) -> str:
    """The scale whose number of injected events (feeds.EVENTS_PER_RULE) suits a chunk of this size."""
    if persons >= 1_000_000:
        return "city"
    if persons >= 150_000:
        return "county"
    return "township" if persons >= 4_000 else "village"


def plan_chunks(
    seed: int, *, fraction: float = 1.0, prefectures: tuple[str, ...] | None = None
) -> list[Chunk]:
    """The chunks of the province, 九江市 first. `fraction` scales every prefecture's persons (tests use a
    tiny one; 1.0 is the province); `prefectures` (4-digit codes) keeps only those."""
    chosen = [p for p in PREFECTURES if prefectures is None or p.code4 in prefectures]
    chosen.sort(key=lambda p: (p.code4 != CITY_CODE[:4], p.code4))
    chunks = []
    for prefecture in chosen:
        total = round(CITY_PERSONS * prefecture.factor * fraction)
        counties = prefecture_counties(prefecture)
        rural = sum(c.rural_persons for c in counties)
        # As few chunks as hold the prefecture, of about equal size: a county goes to the chunk its middle
        # person falls in.
        n_chunks = max(1, math.ceil(total / CHUNK_PERSONS))
        groups: list[list[str]] = [[] for _ in range(n_chunks)]
        share = [0.0] * n_chunks
        before = 0.0
        for county in counties:
            persons = total * county.rural_persons / rural
            k = min(int((before + persons / 2) / (total / n_chunks)), n_chunks - 1) if total else 0
            groups[k].append(county.code6)
            share[k] += persons
            before += persons
        groups, share = [g for g in groups if g], [s for g, s in zip(groups, share, strict=True) if g]
        is_city = prefecture.code4 == CITY_CODE[:4]
        for k, (codes, persons) in enumerate(zip(groups, share, strict=True)):
            chunks.append(
                Chunk(
                    name=f"{prefecture.code4}_{k}",
                    prefecture=prefecture,
                    counties=tuple(codes),
                    persons=total if len(groups) == 1 else round(persons),
                    seed=seed
                    if is_city and len(groups) == 1
                    else seed * 1000 + int(prefecture.code4[2:]) * 10 + k,
                )
            )
    return chunks


def peak_rss_mb() -> float:
    """Peak RSS of this process so far (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, compression="zstd", statistics=True)


def _chunk(
    chunk: Chunk, *, out: Path, period: str, phone_offset: int, phone_seed: int, say: Callable[[str], None]
) -> dict:
    full = chunk.prefecture.code4 == CITY_CODE[:4] and chunk.seed == phone_seed
    tree = prefecture_tree(chunk.prefecture, seed=chunk.seed, counties=None if full else chunk.counties)
    population = generate_population(
        tree=tree,
        persons_target=chunk.persons,
        seed=chunk.seed,
        phone_offset=phone_offset,
        phone_seed=phone_seed,
    )
    scale = event_scale(chunk.persons)
    as_of = as_of_for(period)
    persons, _pupils = children_plant(
        households=population.households,
        persons=population.persons,
        scale=scale,
        seed=chunk.seed,
        as_of=as_of,
    )
    # 弱劳动力 and the summer's graduates, as the other scales mark them before the feeds (employment.py); the
    # survey itself, and the few feed rows its story adds, are not made at this scale.
    persons, _graduates = plant_workers(
        households=population.households, persons=persons, seed=chunk.seed, period=period
    )
    for table, frame in (
        ("households", population.households),
        ("persons", persons),
        ("incomes", population.incomes),
    ):
        _write(frame, out / table / f"{chunk.name}.parquet")
    demo_village = None
    if chunk.prefecture.code4 == CITY_CODE[:4]:
        demo_village = str(single_village_tree(tree).filter(pl.col("level") == "village")["code"][0])
    code4, k = chunk.name.split("_")
    feedset = generate_feeds(
        tree=tree,
        households=population.households,
        persons=persons,
        incomes=population.incomes,
        seed=chunk.seed,
        scale=scale,
        period=period,
        demo_village=demo_village,
        stranger_county="360424" if full else chunk.counties[0],
        settlement_prefix="JS3604" if full else f"JS{code4}{k}",
    )
    feed_rows = {}
    for code, frame in feedset.feeds.items():
        _write(as_sent(code, frame), out / "feeds" / code / f"{chunk.name}.parquet")
        feed_rows[code] = frame.height
    _write(feedset.ground_truth, out / "ground_truth" / f"{chunk.name}.parquet")
    _write(tree, out / "regions_parts" / f"{chunk.name}.parquet")
    info = {
        "chunk": chunk.name,
        "seed": chunk.seed,
        "counties": list(chunk.counties),
        "households": population.households.height,
        "persons": persons.height,
        "incomes": population.incomes.height,
        "feed_rows": feed_rows,
        "events": dict(sorted(feedset.ground_truth.group_by("kind").len().iter_rows())),
        "event_scale": scale,
    }
    say(
        f"  {chunk.name} {chunk.prefecture.name}: {info['persons']:,} 人,部门数据 {sum(feed_rows.values()):,} 行"
    )
    return info


def generate_province(
    *,
    seed: int,
    out: Path,
    period: str = DEFAULT_PERIOD,
    fraction: float = 1.0,
    prefectures: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Generate the province (or `fraction` of it, or only `prefectures`) into `out`; returns the manifest."""
    say = progress or (lambda _msg: None)
    started, cpu0 = time.monotonic(), time.process_time()
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)
    chunks = plan_chunks(seed, fraction=fraction, prefectures=prefectures)
    key = {"seed": seed, "period": period, "fraction": fraction, "format_version": PROVINCE_FORMAT_VERSION}
    infos = []
    offset = 0
    for chunk in chunks:
        marker = out / "chunks" / f"{chunk.name}.json"
        info = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else None
        chunk_key = {**key, "counties": list(chunk.counties), "persons_target": chunk.persons}
        if info is None or info.get("key") != chunk_key:
            say(
                f"[{time.monotonic() - started:7.1f}s] {chunk.name} {chunk.prefecture.name}({len(chunk.counties)} 个县级单位)"
            )
            t0, c0 = time.monotonic(), time.process_time()
            made = _chunk(chunk, out=out, period=period, phone_offset=offset, phone_seed=seed, say=say)
            info = {
                "key": chunk_key,
                **made,
                "seconds": round(time.monotonic() - t0, 1),
                "cpu_seconds": round(time.process_time() - c0, 1),
            }
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            gc.collect()
        offset += info["persons"]
        infos.append(info)

    # The tree: the province and every chunk's subtree (a prefecture's root once).
    roots = pl.DataFrame(
        {
            "code": [PROVINCE_CODE],
            "name": [PROVINCE_NAME],
            "level": ["province"],
            "parent_code": [None],
            "full_name": [PROVINCE_NAME],
            "is_key_village": [False],
        },
        schema=TREE_SCHEMA,
    )
    parts = [pl.read_parquet(out / "regions_parts" / f"{c.name}.parquet") for c in chunks]
    regions = pl.concat([roots, *parts]).unique("code", keep="first").sort("code")
    _write(regions, out / "regions.parquet")

    feed_rows = {f.code: sum(i["feed_rows"][f.code] for i in infos) for f in catalogue.FEEDS}
    manifest = {
        "scale": "province",
        "seed": seed,
        "period": period,
        "fraction": fraction,
        "regions": regions.height,
        "villages": regions.filter(pl.col("level") == "village").height,
        **{t: sum(i[t] for i in infos) for t in REGISTRY_TABLES},
        "feed_rows": feed_rows,
        "events": {
            k: sum(i["events"].get(k, 0) for i in infos) for k in ("event", "not_in_registry", "registry")
        },
        "chunks": [{k: v for k, v in i.items() if k != "key"} for i in infos],
        "seconds": round(time.monotonic() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu0, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "format_version": PROVINCE_FORMAT_VERSION,
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    say(
        f"完成:{manifest['households']:,} 户,{manifest['persons']:,} 人,部门数据 {sum(feed_rows.values()):,} 行,"
        f"峰值内存 {manifest['peak_rss_mb']:,} MB → {out}"
    )
    return manifest


def province_inputs(directory: Path) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """The registry tables and the feeds of a generated province, as the screening engine takes them: one list
    of Parquet paths (one per chunk) per table."""
    registry = {t: sorted((directory / t).glob("*.parquet")) for t in REGISTRY_TABLES}
    feeds = {f.code: sorted((directory / "feeds" / f.code).glob("*.parquet")) for f in catalogue.FEEDS}
    return registry, feeds
