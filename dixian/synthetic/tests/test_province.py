"""The province scale (docs/synthetic.md "Province scale"): planned in chunks that each fit one city run's
memory, and, on a tiny fraction of the population, unique keys across the chunks, a consistent tree, counts
that match the manifest and byte-identical files for the same seed. The 25 M-person run is bench/'s."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dixian.domain import catalogue
from dixian.domain.idnumber import region_known
from dixian.synthetic.feeds import feed_headers
from dixian.synthetic.province import (
    CHUNK_PERSONS,
    CITY_PERSONS,
    generate_province,
    plan_chunks,
    province_inputs,
)
from dixian.synthetic.tree import COUNTIES, PREFECTURES, build_tree, prefecture_counties, prefecture_tree

SEED = 20261129
# 九江 (the city scale's chunk), 鹰潭 (three units) and 赣州 (the largest): a tenth of a percent of each.
PREFECTURES_KEPT = ("3604", "3606", "3607")
FRACTION = 0.001


@pytest.fixture(scope="module")
def province_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province")
    generate_province(seed=SEED, out=out, fraction=FRACTION, prefectures=PREFECTURES_KEPT)
    return out


def _read(directory: Path, table: str) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p) for p in sorted((directory / table).glob("*.parquet"))])


def test_plan_covers_every_county_once_in_chunks_of_one_city_run() -> None:
    chunks = plan_chunks(SEED)
    assert chunks[0].name == "3604_0" and chunks[0].seed == SEED  # 九江 first: the city scale itself
    assert chunks[0].persons == CITY_PERSONS and chunks[0].counties == tuple(c.code6 for c in COUNTIES)
    assert {c.prefecture.code4 for c in chunks} == {p.code4 for p in PREFECTURES}
    counties = [code for c in chunks for code in c.counties]
    assert sorted(counties) == sorted(c.code6 for p in PREFECTURES for c in prefecture_counties(p))
    assert max(c.persons for c in chunks) <= CHUNK_PERSONS
    assert len({c.seed for c in chunks}) == len(chunks)
    assert 24_000_000 <= sum(c.persons for c in chunks) <= 26_000_000  # about 10 × the city
    assert [c.name for c in chunks if c.prefecture.code4 == "3607"] == ["3607_0", "3607_1"]  # 赣州 is split


def test_other_prefectures_have_their_real_counties_known_to_the_registrys_check() -> None:
    ganzhou = prefecture_counties(next(p for p in PREFECTURES if p.code4 == "3607"))
    assert ("360781", "瑞金市") in {(c.code6, c.name) for c in ganzhou}
    assert all(region_known(c.code6) for p in PREFECTURES for c in prefecture_counties(p))
    # 九江's subtree is the city scale's, under the province.
    jiujiang = prefecture_tree(next(p for p in PREFECTURES if p.code4 == "3604"), seed=SEED)
    city = build_tree(seed=SEED)
    assert jiujiang.drop("parent_code").equals(city.drop("parent_code"))
    assert jiujiang.filter(pl.col("level") == "city")["parent_code"].to_list() == ["360000000000"]


def test_keys_are_unique_across_chunks(province_dir: Path) -> None:
    persons = _read(province_dir, "persons")
    households = _read(province_dir, "households")
    assert persons["id_number"].n_unique() == persons.height
    assert households["household_no"].n_unique() == households.height
    phones = persons.filter(pl.col("phone") != "")["phone"]
    assert phones.n_unique() == phones.len()
    prefixes = persons["id_number"].str.slice(0, 6).unique().to_list()
    assert {p[:4] for p in prefixes} >= {"3604", "3606", "3607"}
    assert all(region_known(p) for p in prefixes)
    medical = _read(province_dir, "feeds/medical")
    key = feed_headers("medical")["settlement_no"]
    assert medical[key].n_unique() == medical.height  # the record key never meets another chunk's


def test_tree_and_counts_match_the_manifest(province_dir: Path) -> None:
    manifest = json.loads((province_dir / "manifest.json").read_text(encoding="utf-8"))
    regions = pl.read_parquet(province_dir / "regions.parquet")
    households = _read(province_dir, "households")
    persons = _read(province_dir, "persons")
    assert manifest["persons"] == persons.height and manifest["households"] == households.height
    assert manifest["persons"] == pytest.approx(
        FRACTION * CITY_PERSONS * sum(p.factor for p in PREFECTURES if p.code4 in PREFECTURES_KEPT), rel=0.1
    )
    assert regions["code"].n_unique() == regions.height
    assert regions.filter(pl.col("level") == "province")["code"].to_list() == ["360000000000"]
    codes = set(regions["code"].to_list())
    assert set(regions["parent_code"].drop_nulls().to_list()) <= codes
    assert set(households["region_code"].to_list()) <= codes
    assert set(persons["household_no"].to_list()) == set(households["household_no"].to_list())
    registry, feeds = province_inputs(province_dir)
    assert {t: len(p) for t, p in registry.items()} == {t: len(manifest["chunks"]) for t in registry}
    for feed in catalogue.FEEDS:
        rows = sum(pl.read_parquet(p).height for p in feeds[feed.code])
        assert rows == manifest["feed_rows"][feed.code], feed.code
    truth = _read(province_dir, "ground_truth")
    assert set(truth["household_no"].drop_nulls().to_list()) <= set(households["household_no"].to_list())
    assert truth.filter(pl.col("kind") == "event").height == manifest["events"]["event"] > 0


def test_same_seed_gives_byte_identical_files_and_a_rerun_resumes(province_dir: Path, tmp_path: Path) -> None:
    generate_province(seed=SEED, out=tmp_path, fraction=FRACTION, prefectures=PREFECTURES_KEPT)
    files = sorted(p.relative_to(province_dir) for p in province_dir.rglob("*.parquet"))
    assert files and files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    for name in files:
        assert (tmp_path / name).read_bytes() == (province_dir / name).read_bytes(), name
    # An interrupted run: the chunks with a marker are kept as they are, the others made again.
    marker = tmp_path / "chunks" / "3606_0.json"
    (tmp_path / "persons" / "3604_0.parquet").write_bytes(b"kept")
    marker.unlink()
    (tmp_path / "persons" / "3606_0.parquet").unlink()
    generate_province(seed=SEED, out=tmp_path, fraction=FRACTION, prefectures=PREFECTURES_KEPT)
    assert (tmp_path / "persons" / "3604_0.parquet").read_bytes() == b"kept"
    assert (tmp_path / "persons" / "3606_0.parquet").read_bytes() == (
        province_dir / "persons" / "3606_0.parquet"
    ).read_bytes()
    assert marker.exists()
