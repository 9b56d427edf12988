"""The Spark session a screening run uses: local, a cluster's master, or a Spark Connect server.

docs/scale.md §1 (one machine) and §2 (a cluster) describe the settings. A session that cannot start (no
Java, a master or Connect server that does not answer, a cluster with no free executors) raises
`SparkUnavailable` within `start_timeout` seconds, with a Chinese message saying what is wrong and what to
do; nothing is screened and nothing is written. pyspark is imported only when a session is asked for.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core import ScreeningInputError

# How long a session may take to start and run its first (one-row) job before the run gives up.
DEFAULT_START_TIMEOUT = 60.0
CONNECT_DEFAULT_PORT = 15002
STANDALONE_DEFAULT_PORT = 7077

# The driver JVM's options in local mode (docs/scale.md §1); DIXIAN_SPARK_CONF may replace them.
LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"

_MEMORY = re.compile(r"[1-9][0-9]{0,6}[kmgt]", re.IGNORECASE)
_LOCAL = re.compile(r"local(\[([1-9][0-9]{0,3}|\*)\])?")
_CONF_KEY = re.compile(r"spark\.[A-Za-z0-9_.\-]+")


class SparkUnavailable(ScreeningInputError):  # noqa: N818 - read as "Spark (is) unavailable", like the message
    """The Spark session could not start or does not answer: the run stops before reading anything.

    A ScreeningInputError, so that the run shows the message (it is about the run's settings) instead of
    the generic "unexpected error" text."""


@dataclass(frozen=True)
class SparkSettings:
    """Where and how Spark runs (environment variables DIXIAN_SPARK_*: `settings_from_env`)."""

    master: str = ""  # "local[2]", "spark://host:7077", "yarn", "k8s://…"; "" = local on every core
    remote: str = ""  # Spark Connect: "sc://host:15002"; excludes `master`
    driver_memory: str = ""  # "" = 1g per local core, at most 8g (local) or Spark's default (cluster)
    executor_memory: str = ""
    shuffle_partitions: int = 0  # 0 = 2 per core (local) or 64 (cluster)
    start_timeout: float = DEFAULT_START_TIMEOUT
    staging_dir: str = ""  # where in-memory inputs are written as Parquet for the executors to read
    conf: Mapping[str, str] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return not self.remote and (not self.master or self.master.startswith("local"))

    def local_cores(self) -> int:
        m = _LOCAL.fullmatch(self.master or "local[*]")
        if m and m.group(2) and m.group(2) != "*":
            return int(m.group(2))
        if m and not m.group(1):
            return 1  # "local" is one thread
        return usable_cores()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or taskset's share), not the
    host's count `os.cpu_count()` gives inside a container."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity (macOS)
        return os.cpu_count() or 1


# Local driver memory: 1 GB per core up to this many GB (docs/scale.md §1); more takes DRIVER_MEMORY.
LOCAL_DRIVER_MEMORY_MAX_GB = 8


def _fail(message: str) -> SparkUnavailable:
    return SparkUnavailable(message + "。可改用单机计算:dixian screen --backend duckdb")


def settings_from_env(env: Mapping[str, str]) -> SparkSettings:
    """The settings from DIXIAN_SPARK_* variables; a value that cannot be right is refused with the reason."""

    def get(name: str) -> str:
        return (env.get(f"DIXIAN_SPARK_{name}") or "").strip()

    master, remote = get("MASTER"), get("REMOTE")
    if master and remote:
        raise _fail(
            "DIXIAN_SPARK_MASTER 与 DIXIAN_SPARK_REMOTE 只能设置其中一个(前者连接集群主节点,后者连接 Spark Connect 服务)"
        )
    if master and not (
        _LOCAL.fullmatch(master) or master.startswith(("spark://", "yarn", "k8s://", "mesos://"))
    ):
        raise _fail(
            f"DIXIAN_SPARK_MASTER 的值 {master!r} 无法识别,应写作 local[2]、spark://主机:7077、yarn 或 k8s://…"
        )
    if remote and not re.fullmatch(r"sc://[^/:;\s]+(:[0-9]{1,5})?(/;?[^\s]*)?", remote):
        raise _fail(f"DIXIAN_SPARK_REMOTE 的值 {remote!r} 无法识别,应写作 sc://主机:15002")
    memories = {}
    for name in ("DRIVER_MEMORY", "EXECUTOR_MEMORY"):
        value = get(name)
        if value and not _MEMORY.fullmatch(value):
            raise _fail(f"DIXIAN_SPARK_{name} 的值 {value!r} 无法识别,应写作数字加单位,例如 2g 或 1536m")
        memories[name] = value.lower()
    partitions = _positive_int(get("SHUFFLE_PARTITIONS"), "DIXIAN_SPARK_SHUFFLE_PARTITIONS", 0)
    timeout = _positive_int(get("START_TIMEOUT"), "DIXIAN_SPARK_START_TIMEOUT", int(DEFAULT_START_TIMEOUT))
    return SparkSettings(
        master=master,
        remote=remote,
        driver_memory=memories["DRIVER_MEMORY"],
        executor_memory=memories["EXECUTOR_MEMORY"],
        shuffle_partitions=partitions,
        start_timeout=float(timeout),
        staging_dir=get("STAGING_DIR"),
        conf=conf_parse(get("CONF")),
    )


def _positive_int(value: str, name: str, default: int) -> int:
    if not value:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) == 0:
        raise _fail(f"{name} 的值 {value!r} 应为正整数")
    return int(value)


def conf_parse(text: str) -> dict[str, str]:
    """Extra Spark settings as `spark.key=value` pairs separated by spaces or line breaks (a value may not
    hold a space). Only `spark.*` keys: anything else is not a Spark setting and is refused."""
    conf: dict[str, str] = {}
    for item in text.split():
        key, sep, value = item.partition("=")
        if not sep or not _CONF_KEY.fullmatch(key) or not value:
            raise _fail(
                f"DIXIAN_SPARK_CONF 中的 {item!r} 无法识别:每项写作 spark.设置名=值,多项之间用空格分开"
            )
        conf[key] = value
    return conf


# Checks before anything starts -----------------------------------------------------------------------


def java_available(env: Mapping[str, str]) -> bool:
    """What pyspark's launcher runs: $JAVA_HOME/bin/java, else `java` on PATH."""
    home = env.get("JAVA_HOME")
    if home:
        return Path(home, "bin", "java").is_file()
    return shutil.which("java", path=env.get("PATH", "")) is not None


def _endpoints(url: str, default_port: int) -> list[tuple[str, int]]:
    """host:port pairs of spark://h1:7077,h2:7077 or sc://host:15002/;params."""
    rest = url.split("://", 1)[1].split("/", 1)[0].split(";", 1)[0]
    out = []
    for part in rest.split(","):
        host, _, port = part.rpartition(":") if ":" in part else (part, "", "")
        out.append((host or part, int(port) if port.isdigit() else default_port))
    return out


def _reachable(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def preflight(settings: SparkSettings, env: Mapping[str, str] | None = None) -> None:
    """Fail at once, with the reason, where the session could not start: no Java for a driver started
    here, a master or Connect server that does not accept connections, a Connect client not installed."""
    env = os.environ if env is None else env
    probe = min(settings.start_timeout, 5.0)
    if settings.remote:
        if importlib.util.find_spec("grpc") is None:
            raise _fail(
                "已设置 DIXIAN_SPARK_REMOTE,但本机没有安装 Spark Connect 客户端所需的包"
                "(grpcio、grpcio-status、googleapis-common-protos、pandas):请安装 pyspark[connect]"
            )
        for host, port in _endpoints(settings.remote, CONNECT_DEFAULT_PORT):
            if not _reachable(host, port, probe):
                raise _fail(
                    f"无法连接 Spark Connect 服务 {host}:{port}(DIXIAN_SPARK_REMOTE):"
                    "请确认服务已启动、地址和端口正确、网络可达"
                )
        return
    if not java_available(env):
        raise _fail(
            "无法启动 Spark:本机没有 Java 运行环境(Spark 需要 Java 17 或以上)。"
            "请安装 Java(例如 openjdk-17-jre-headless)或设置 JAVA_HOME"
        )
    if settings.master.startswith("spark://"):
        endpoints = _endpoints(settings.master, STANDALONE_DEFAULT_PORT)
        if not any(_reachable(h, p, probe) for h, p in endpoints):
            where = "、".join(f"{h}:{p}" for h, p in endpoints)
            raise _fail(
                f"无法连接 Spark 集群主节点 {where}(DIXIAN_SPARK_MASTER):请确认主节点已启动、地址和端口正确、网络可达"
            )


# The session -----------------------------------------------------------------------------------------


def session_conf(settings: SparkSettings) -> dict[str, str]:
    """The Spark settings of a screening session (docs/scale.md §1 explains each)."""
    cores = settings.local_cores() if settings.local else 0
    partitions = settings.shuffle_partitions or (2 * cores if cores else 64)
    conf = {
        "spark.app.name": "dixian-screening",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(partitions),
        # Adaptive execution: joins whose side turns out small at run time are broadcast, and the shuffle
        # partitions of a small stage are coalesced (most of the run's stages are small).
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Never a spark-warehouse/ folder in the working directory (the checkout, when tests run).
        "spark.sql.warehouse.dir": os.path.join(tempfile.gettempdir(), "dixian-spark-warehouse"),
    }
    # ID numbers and codes are ASCII: the JVM's own case mapping, not ICU's (a class that takes seconds to
    # load and a break iterator per call).
    conf["spark.sql.icu.caseMappings.enabled"] = "false"
    if settings.local:
        conf["spark.master"] = settings.master or f"local[{cores}]"
        conf["spark.default.parallelism"] = str(cores)
        conf["spark.local.dir"] = tempfile.gettempdir()
        default_memory = f"{min(cores, LOCAL_DRIVER_MEMORY_MAX_GB)}g"
        conf["spark.driver.memory"] = settings.driver_memory or default_memory
        # A run is minutes of many short stages: the JIT's optimising compiler (C2) cost 40 % of the county
        # run's CPU and earned less than it cost; the quick compiler alone, and the throughput collector.
        conf["spark.driver.extraJavaOptions"] = LOCAL_JAVA_OPTIONS
    else:
        if settings.master:
            conf["spark.master"] = settings.master
        if settings.driver_memory:
            conf["spark.driver.memory"] = settings.driver_memory
    if settings.executor_memory:
        conf["spark.executor.memory"] = settings.executor_memory
    conf.update(settings.conf)
    return conf


def session_start(settings: SparkSettings | None = None) -> Any:
    """A running Spark session for `settings`, checked by a one-row job within `start_timeout` seconds.

    A session already running in this process for the same master is reused (the worker, the tests)."""
    settings = settings or SparkSettings()
    preflight(settings)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise _fail("本机没有安装 pyspark") from None

    conf = session_conf(settings)
    try:
        if settings.remote:
            builder = SparkSession.builder.remote(settings.remote)
            for key, value in conf.items():
                if key not in _STATIC_LOCAL:
                    builder = builder.config(key, value)
            spark = builder.getOrCreate()
        else:
            from pyspark import SparkContext

            running = SparkContext._active_spark_context  # one per process (one JVM)
            if running is not None:
                if not settings.master or running.master == conf["spark.master"]:
                    # The running session, as it is, but checked like a new one: a session left dead or
                    # hung by an earlier run in this process (the tests, DIXIAN_JOBS_IN_PROCESS=1) would
                    # otherwise hold this run forever. The one-row job costs well under a second.
                    spark = SparkSession.builder.getOrCreate()
                    _checked(spark, settings)
                    return spark
                SparkSession.builder.getOrCreate().stop()  # the settings name another master
            builder = SparkSession.builder
            for key, value in conf.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
            spark.sparkContext.setLogLevel("ERROR")
    except Exception as exc:
        where = settings.remote or conf.get("spark.master", "local")
        raise _fail(f"Spark 会话无法启动({where}):{_first_line(exc)}") from exc
    _checked(spark, settings)
    return spark


# Cluster-only settings a Connect client cannot set (the server has them already).
_STATIC_LOCAL = frozenset(
    {
        "spark.master",
        "spark.driver.memory",
        "spark.local.dir",
        "spark.default.parallelism",
        "spark.ui.enabled",
    }
    | {"spark.ui.showConsoleProgress", "spark.app.name", "spark.sql.warehouse.dir"}
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _checked(spark: Any, settings: SparkSettings) -> None:
    """`_first_job`, and a session that fails it is stopped: the next run in this process starts a new one
    instead of reusing a dead or hung session."""
    try:
        _first_job(spark, settings)
    except SparkUnavailable:
        _stop(spark)
        raise


# How long stopping a failed session may take before it is left to the process's exit.
STOP_TIMEOUT = 10.0


def _stop(spark: Any) -> None:
    # In a thread: a hung driver may not answer `stop` either, and the run's message must not wait on it.
    def stop() -> None:
        with contextlib.suppress(Exception):  # the session is given up either way
            spark.stop()

    worker = threading.Thread(target=stop, name="dixian-spark-stop", daemon=True)
    worker.start()
    worker.join(STOP_TIMEOUT)


def _first_job(spark: Any, settings: SparkSettings) -> None:
    """Run a one-row job; a cluster without free executors would otherwise hold the run forever."""
    done: dict[str, Any] = {}

    def job() -> None:
        try:
            done["rows"] = spark.range(1).count()
        except Exception as exc:  # noqa: BLE001 - reported below with its first line
            done["error"] = exc

    worker = threading.Thread(target=job, name="dixian-spark-probe", daemon=True)
    worker.start()
    worker.join(settings.start_timeout)
    if worker.is_alive():
        try:
            if not settings.remote:
                spark.sparkContext.cancelAllJobs()
            else:
                spark.interruptAll()
        except Exception:  # noqa: BLE001, S110 - the session is given up either way
            pass
        raise _fail(
            f"Spark 会话在 {settings.start_timeout:.0f} 秒内没有完成测试任务:集群可能没有空闲的执行器"
            "(worker),或资源申请超出了集群的容量(DIXIAN_SPARK_EXECUTOR_MEMORY)"
        )
    if "error" in done:
        raise _fail(f"Spark 会话无法运行任务:{_first_line(done['error'])}") from done["error"]
