"""Where the SQL runs: an embedded DuckDB connection (default) or a Spark session.

Both take the same inputs (Arrow tables, Polars frames, Parquet paths) and run the same SQL text; only
registration, materialisation and fetching differ. pyspark is imported only when Spark is asked for.
"""
# ruff: noqa: S608 - this module writes SQL: identifiers come from the catalogue and code, every value
# goes through dialect.lit (quotes doubled, backslashes refused) and every header through Dialect.quote.

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .dialect import DIALECTS, Dialect

TableLike = Any  # pa.Table | pl.DataFrame | pl.LazyFrame | str | Path | list[str | Path]


def _paths(source: TableLike) -> list[Path] | None:
    if isinstance(source, (str, Path)):
        return [Path(source)]
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, Path)) for s in source):
        return [Path(s) for s in source]
    return None


def to_arrow(source: TableLike) -> pa.Table:
    """An in-memory input as an Arrow table with plain (not large or view) string and list types."""
    if isinstance(source, pa.Table):
        table = source
    elif hasattr(source, "collect") and hasattr(source, "lazy"):  # polars.LazyFrame
        table = source.collect().to_arrow()
    elif hasattr(source, "to_arrow"):  # polars.DataFrame
        table = source.to_arrow()
    elif isinstance(source, pa.RecordBatchReader):
        table = source.read_all()
    else:
        raise TypeError(
            f"不支持的输入类型 {type(source).__name__}: 请传入 Arrow 表、Polars 数据框或 Parquet 路径"
        )
    return _plain_types(table)


def _plain_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.list_(_plain_type(t.value_type))
    return t


def _plain_types(table: pa.Table) -> pa.Table:
    schema = pa.schema([pa.field(f.name, _plain_type(f.type)) for f in table.schema])
    return table if schema.equals(table.schema) else table.cast(schema)


def _paths_schema(paths: list[Path]) -> pa.Schema:
    # Files of one input may differ in their optional columns (deliveries of one feed): read as one table
    # by column name, a column missing from a file is null there.
    return pa.unify_schemas([pq.read_schema(p) for p in paths], promote_options="permissive")


def source_schema(source: TableLike) -> pa.Schema:
    paths = _paths(source)
    if paths is not None:
        return _paths_schema(paths)
    return to_arrow(source).schema


def source_columns(source: TableLike) -> list[str]:
    paths = _paths(source)
    if paths is not None:
        return list(_paths_schema(paths).names)
    if hasattr(source, "collect_schema"):
        return list(source.collect_schema().names())
    if hasattr(source, "columns"):
        return list(source.columns)
    return list(to_arrow(source).column_names)


class Backend(ABC):
    """Where the rules' SQL runs: DuckDB embedded, or Spark for province/nation scale."""

    dialect: Dialect

    @abstractmethod
    def register(self, name: str, source: TableLike, *, row_numbers: bool = False) -> None: ...

    @abstractmethod
    def run(self, sql: str) -> None: ...

    @abstractmethod
    def view(self, name: str, sql: str) -> None: ...

    @abstractmethod
    def materialise(self, name: str, sql: str, *, build_right: bool = False) -> None:
        """Compute once and keep. `build_right`: hash the right side of the joins as written."""

    def materialise_union(self, name: str, sqls: list[str]) -> None:
        """Compute the UNION ALL of queries with the same columns once and keep it."""
        self.materialise(name, " UNION ALL ".join(f"SELECT * FROM ({q}) q{i}" for i, q in enumerate(sqls)))

    def materialise_split(
        self,
        name: str,
        sql: str,
        column: str,
        parts: Mapping[str, tuple[int, list[str]]],
        *,
        build_right: bool = False,
    ) -> None:
        """Compute once; keep, as table `<name>_<part>`, the rows whose integer `column` is the part's value,
        with the part's columns. Readers of one part then never scan the others."""
        self.materialise(name, sql, build_right=build_right)
        for part, (value, columns) in parts.items():
            self.view(
                f"{name}_{part}", f"SELECT {', '.join(columns)} FROM {name} WHERE {column} = {int(value)}"
            )

    @abstractmethod
    def fetch(self, sql: str) -> pa.Table: ...

    def drop(self, *names: str) -> None:  # noqa: B027 - optional hook
        """Release materialised tables that no later statement reads."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class DuckDBBackend(Backend):
    def __init__(
        self,
        connection: Any = None,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        spill_linked: bool = False,
    ) -> None:
        """`spill_linked`: keep the linked feed rows in a DuckDB temp table, which spills to disk under
        `memory_limit`, instead of Arrow tables in the process's memory, outside the limit (faster): for inputs
        whose linked rows do not fit in memory (a province, docs/scale.md §4)."""
        import duckdb

        self.dialect = DIALECTS["duckdb"]
        self._spill_linked = spill_linked
        self._split: dict[
            str, set[str]
        ] = {}  # spill_linked: a split table → its parts' views not yet dropped
        self._own = connection is None
        self.con = connection if connection is not None else duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # Order within a result is set by ORDER BY where it matters; not keeping insertion order saves memory.
        self.con.execute("SET preserve_insertion_order = false")
        # No progress bar: nobody watches a run's terminal (the worker's log would get its redraws), and
        # the executor would poll every running query for its progress.
        self.con.execute("SET enable_progress_bar = false")
        self._arrow: list[str] = []  # views over Arrow tables that `drop` releases

    def register(self, name: str, source: TableLike, *, row_numbers: bool = False) -> None:
        paths = _paths(source)
        if paths is None:
            table = to_arrow(source)
            if row_numbers:
                table = table.append_column("_row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
            self._arrow_view(name, table)
            return
        parts = []
        for i, path in enumerate(paths):
            quoted = "'" + str(path).replace("'", "''") + "'"
            if row_numbers:
                parts.append(
                    f"SELECT * EXCLUDE (file_row_number), ({i} * 1099511627776 + file_row_number) AS _row "
                    f"FROM read_parquet({quoted}, file_row_number = true)"
                )
            else:
                parts.append(f"SELECT * FROM read_parquet({quoted})")
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS " + " UNION ALL BY NAME ".join(parts))

    def run(self, sql: str) -> None:
        self.con.execute(sql)

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    @contextmanager
    def _join_sides(self, build_right: bool) -> Iterator[None]:
        """`build_right`: hash the right side of the joins as written. DuckDB would otherwise build on
        whichever side it estimates smaller; the estimate after the deduplicating anti-joins is far off,
        and building on millions of wide feed rows spills."""
        if not build_right:
            yield
            return
        self.con.execute("SET disabled_optimizers = 'build_side_probe_side'")
        try:
            yield
        finally:
            self.con.execute("RESET disabled_optimizers")

    def _arrow_view(self, name: str, table: pa.Table) -> None:
        self.con.register(f"{name}__arrow", table)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}__arrow")

    def materialise(self, name: str, sql: str, *, build_right: bool = False) -> None:
        with self._join_sides(build_right):
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def materialise_split(
        self,
        name: str,
        sql: str,
        column: str,
        parts: Mapping[str, tuple[int, list[str]]],
        *,
        build_right: bool = False,
    ) -> None:
        if self._spill_linked:
            super().materialise_split(name, sql, column, parts, build_right=build_right)
            self._split[name] = {f"{name}_{part}" for part in parts}
            return
        # Kept as Arrow, outside DuckDB's buffer pool: a temp table of millions of rows costs more to write
        # than the query that makes it, and under the memory limit it spills to disk.
        with self._join_sides(build_right):
            table = self.con.sql(sql).to_arrow_table()
        by_value = {int(value): part for part, (value, _columns) in parts.items()}
        batches: dict[str, list[pa.RecordBatch]] = {part: [] for part in parts}
        for batch in table.to_batches():
            # DuckDB fills each batch from one branch of a UNION ALL, so a batch nearly always holds one
            # part and is kept whole; a mixed batch is filtered part by part.
            low, high = pc.min_max(batch.column(column)).as_py().values()
            if low is not None and low == high:
                if low in by_value:
                    batches[by_value[low]].append(batch)
                continue
            for value, part in by_value.items():
                rows = batch.filter(pc.equal(batch.column(column), value))
                if rows.num_rows:
                    batches[part].append(rows)
        schema = table.schema
        del table
        for part, (_value, columns) in parts.items():
            self._arrow_view(
                f"{name}_{part}", pa.Table.from_batches(batches.pop(part), schema).select(columns)
            )
            self._arrow.append(f"{name}_{part}")

    def materialise_union(self, name: str, sqls: list[str]) -> None:
        # One statement per query: run as one UNION, all the rules' hash tables are alive at once and spill.
        # Each result (a rule's evidence, small) goes into a temp table through `execute`, which parses and
        # binds the statement once; a relation (`con.sql`) is bound to be made and again to run, ~5 % of a
        # city-scale run over the 17 rules' long statements.
        parts = []
        for i, sql in enumerate(sqls):
            parts.append(f"{name}_{i}")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {parts[-1]} AS {sql}")
        self.view(name, " UNION ALL ".join(f"SELECT * FROM {part}" for part in parts))

    def fetch(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def drop(self, *names: str) -> None:
        for name in names:
            if name in self._arrow:
                self._arrow.remove(name)
                self.con.execute(f"DROP VIEW IF EXISTS {name}")
                self.con.unregister(f"{name}__arrow")
            elif any(name in views for views in self._split.values()):
                self.con.execute(f"DROP VIEW IF EXISTS {name}")
                for table, views in list(self._split.items()):
                    views.discard(name)
                    if not views:  # the last part's view gone: the table goes too
                        del self._split[table]
                        self.con.execute(f"DROP TABLE IF EXISTS {table}")
            else:
                self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        if self._own:
            self.con.close()


def local_spark_session(
    *,
    cores: int = 1,
    shuffle_partitions: int = 1,
    memory: str = "1g",
    extra_conf: dict[str, str] | None = None,
) -> Any:
    """A small local Spark session (tests, benchmarks, a laptop). Province scale passes its own session."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("dixian-screening")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.local.dir", tempfile.gettempdir())
        # Never a spark-warehouse/ folder in the working directory (the checkout, when tests run).
        .config("spark.sql.warehouse.dir", os.path.join(tempfile.gettempdir(), "dixian-spark-warehouse"))
    )
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkBackend(Backend):
    """`staging_dir`: where in-memory inputs (the registry the screening command reads from the database) are
    written as Parquet for Spark to read, a directory every executor can read (docs/scale.md §2); None for
    a temporary directory on this machine (local mode, a cluster on this machine). `stage=False` hands them
    over through the session instead (`createDataFrame`: Spark Connect, tiny test inputs)."""

    def __init__(
        self, spark: Any = None, *, staging_dir: str | Path | None = None, stage: bool = True
    ) -> None:
        self.dialect = DIALECTS["spark"]
        self.spark = spark if spark is not None else local_spark_session()
        self._views: list[str] = []
        self._frames: list[Any] = []
        self._stage = stage
        self._staging_root = Path(staging_dir) if staging_dir else None
        self._staging: Path | None = None

    def _name(self, name: str, df: Any) -> None:
        # A view made from a DataFrame keeps its analysed plan; a SQL `CREATE VIEW` would be parsed and
        # analysed again at every reference, which for the nested rule views costs seconds each.
        df.createOrReplaceTempView(name)
        self._views.append(name)

    def _staged(self, name: str, table: pa.Table) -> str:
        """The table written as Parquet into this run's staging directory (docs/scale.md §1: handed over
        through `createDataFrame`, a registry of millions of rows sits in the driver's heap as Arrow batches
        and is decoded again by every scan)."""
        if self._staging is None:
            root = self._staging_root or Path(tempfile.gettempdir())
            root.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(root)
            self._staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
            if self._staging_root is not None:
                # A named staging directory is read by the executors, which may run as another user of
                # the directory's group (docs/scale.md §2); mkdtemp's 0700 would shut them out.
                self._staging.chmod(0o750)
        path = self._staging / f"{name}.parquet"
        pq.write_table(table, path, row_group_size=256 * 1024)
        return str(path)

    def register(self, name: str, source: TableLike, *, row_numbers: bool = False) -> None:
        from pyspark.sql import functions as F  # noqa: N812 - the conventional alias

        paths = _paths(source)
        if paths is None:
            table = to_arrow(source)
            if row_numbers:
                table = table.append_column("_row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
            if self._stage and table.num_rows > SPARK_STAGE_ROWS:
                df = self.spark.read.parquet(self._staged(name, table))
            else:
                df = self.spark.createDataFrame(table) if table.num_rows else self._empty(table.schema)
            self._name(name, df)
            return
        # Row numbers as DuckDB numbers them (file i, row r: i * 2^40 + r), from the Parquet reader's own
        # row index: the first copy of a re-sent record is the same row on both engines (a numbering by
        # partition, `monotonically_increasing_id`, follows the order Spark splits the files in).
        # Files of one schema are read by one multi-path scan, whose row's file index is found from the
        # path Spark reports for it; so the plan grows with the schemas (deliveries of one feed differ in
        # their optional columns), not with the files (twenty one-row pushes are one scan).
        uris = self._file_uris(paths) if row_numbers else [str(p) for p in paths]
        # A file named twice is read twice, as DuckDB does, in another scan (a scan reads a path once).
        groups: dict[tuple[str, int], list[int]] = {}
        seen: dict[str, int] = {}
        for i, path in enumerate(paths):
            repeat = seen[str(path)] = seen.get(str(path), -1) + 1
            groups.setdefault((pq.read_schema(path).remove_metadata().to_string(), repeat), []).append(i)
        frames = []
        for members in groups.values():
            df = self.spark.read.parquet(*(str(paths[i]) for i in members))
            if row_numbers:
                if uris is None:  # no way to name the files as Spark does: one scan per file
                    for i in members:
                        one = self.spark.read.parquet(str(paths[i]))
                        frames.append(one.select("*", _row_number(F.lit(i))))
                    continue
                index = F.create_map(*(F.lit(x) for i in members for x in (uris[i], i)))
                # A file Spark names otherwise than `_file_uris` expects fails the run, never a null row.
                unknown = F.raise_error(F.concat(F.lit("unnumbered file "), F.col("_metadata.file_path")))
                spark_uri = F.regexp_replace(F.col("_metadata.file_path"), _EMPTY_AUTHORITY.pattern, "$1:/")
                df = df.select("*", _row_number(F.coalesce(index[spark_uri], unknown)))
            frames.append(df)
        df = frames[0]
        for other in frames[1:]:
            # Files of one input may differ in their optional columns (deliveries of one feed).
            df = df.unionByName(other, allowMissingColumns=True)
        self._name(name, df)

    def _file_uris(self, paths: list[Path]) -> list[str] | None:
        """Each path as Spark reports it in `_metadata.file_path` (the file system's `FileStatus` path,
        URL-encoded: Hadoop's `Path.toUri`); None without the driver's JVM at hand (Spark Connect)."""
        try:
            jvm = self.spark.sparkContext._jvm
            conf = self.spark.sparkContext._jsc.hadoopConfiguration()
            out = []
            for path in paths:
                hadoop_path = jvm.org.apache.hadoop.fs.Path(str(path))
                # The file system's own name of the file, as Spark's file listing has it.
                status = hadoop_path.getFileSystem(conf).getFileStatus(hadoop_path)
                out.append(_EMPTY_AUTHORITY.sub(r"\1:/", str(status.getPath().toUri().toString())))
            return out
        except Exception:  # noqa: BLE001 - Spark Connect has no sparkContext: numbered file by file
            return None

    def _empty(self, schema: pa.Schema) -> Any:
        from pyspark.sql.pandas.types import from_arrow_schema

        return self.spark.createDataFrame([], from_arrow_schema(schema))

    def run(self, sql: str) -> None:
        self.spark.sql(sql)

    def view(self, name: str, sql: str) -> None:
        self._name(name, self.spark.sql(sql))

    def materialise(self, name: str, sql: str, *, build_right: bool = False) -> None:
        # Computed once and the lineage cut, so each rule reads the linked rows instead of recomputing them.
        df = self.spark.sql(sql).localCheckpoint(eager=True)
        self._frames.append(df)
        self._name(name, df)

    def fetch(self, sql: str) -> pa.Table:
        return _plain_types(self.spark.sql(sql).toArrow())

    def drop(self, *names: str) -> None:
        for name in names:
            if name in self._views:
                self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        """Drop this run's views, frames and staged files, and forget them: the backend may screen again
        (one `screen` per part of an incremental run, docs/scale.md §3), its staging directory made anew."""
        for name in set(self._views):
            self.spark.catalog.dropTempView(name)
        for df in self._frames:
            df.unpersist()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._views, self._frames, self._staging = [], [], None


# "file:///tmp/x" and "file:/tmp/x" name one file (an empty authority is none): compared without it.
_EMPTY_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):///")


def _row_number(file_index: Any) -> Any:
    """DuckDB's row number of a Parquet row (file i, row r: i * 2^40 + r; DuckDBBackend.register)."""
    from pyspark.sql import functions as F  # noqa: N812 - the conventional alias

    return (file_index.cast("long") * F.lit(1099511627776) + F.col("_metadata.row_index")).alias("_row")


# In-memory inputs larger than this go to Spark as Parquet files (SparkBackend._staged).
SPARK_STAGE_ROWS = 10_000

# A run's staging directory: `STAGING_PREFIX` + a random suffix, in the staging root (docs/scale.md §2).
STAGING_PREFIX = "dixian-spark-staging-"
# A staging directory untouched for this long was left by a run whose driver was killed: a copy of the
# registry's personal data that nothing else would remove.
STAGING_MAX_AGE = 24 * 3600.0


def remove_stale_staging(root: Path, *, max_age: float = STAGING_MAX_AGE) -> list[Path]:
    """Remove the staging directories in `root` older than `max_age` seconds, only Dixian's own
    (`STAGING_PREFIX`); returns those removed."""
    removed = []
    cutoff = time.time() - max_age
    for path in root.glob(f"{STAGING_PREFIX}*"):
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path)
                removed.append(path)
        except OSError:
            continue  # another user's or another run's, being removed: left alone
    return removed


def make_backend(backend: str | Backend, *, spark: Any = None, **options: Any) -> Backend:
    if isinstance(backend, Backend):
        return backend
    if backend == "duckdb":
        return DuckDBBackend(**options)
    if backend == "spark":
        return SparkBackend(spark, **options)
    raise ValueError(f"unknown backend {backend!r}: use 'duckdb' or 'spark'")


__all__ = [
    "Backend",
    "DuckDBBackend",
    "SparkBackend",
    "TableLike",
    "local_spark_session",
    "make_backend",
    "source_columns",
    "to_arrow",
]
