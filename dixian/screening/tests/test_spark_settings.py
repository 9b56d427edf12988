"""The Spark settings (DIXIAN_SPARK_*) and a Spark that cannot start: refused at once with the reason in
Chinese, the run marked failed, nothing stored (docs/scale.md §1, §2)."""

from __future__ import annotations

import io
import os
import socket
import string
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.screening.engine import spark_session
from dixian.screening.engine.spark_session import (
    SparkSettings,
    SparkUnavailable,
    conf_parse,
    preflight,
    session_conf,
    settings_from_env,
)
from dixian.screening.models import ScreeningRun

from .run_fixtures import deliver, head, medical_row


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_settings_are_read_from_the_environment() -> None:
    got = settings_from_env(
        {
            "DIXIAN_SPARK_MASTER": " spark://10.0.0.5:7077 ",
            "DIXIAN_SPARK_DRIVER_MEMORY": "2G",
            "DIXIAN_SPARK_SHUFFLE_PARTITIONS": "64",
            "DIXIAN_SPARK_START_TIMEOUT": "20",
            "DIXIAN_SPARK_CONF": "spark.executor.cores=2\nspark.sql.files.maxPartitionBytes=64m",
        }
    )
    assert got.master == "spark://10.0.0.5:7077" and not got.local
    assert (got.driver_memory, got.shuffle_partitions, got.start_timeout) == ("2g", 64, 20.0)
    conf = session_conf(got)
    assert conf["spark.master"] == "spark://10.0.0.5:7077" and conf["spark.executor.cores"] == "2"
    assert conf["spark.sql.shuffle.partitions"] == "64"


def test_local_defaults_are_one_gigabyte_and_two_partitions_per_core() -> None:
    conf = session_conf(settings_from_env({"DIXIAN_SPARK_MASTER": "local[2]"}))
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.driver.memory"] == "2g" and conf["spark.sql.shuffle.partitions"] == "4"
    assert conf["spark.sql.adaptive.enabled"] == "true"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"DIXIAN_SPARK_MASTER": "local[2]", "DIXIAN_SPARK_REMOTE": "sc://h"}, "只能设置其中一个"),
        ({"DIXIAN_SPARK_MASTER": "http://h:7077"}, "DIXIAN_SPARK_MASTER"),
        ({"DIXIAN_SPARK_REMOTE": "http://h:15002"}, "DIXIAN_SPARK_REMOTE"),
        ({"DIXIAN_SPARK_DRIVER_MEMORY": "2 GB"}, "例如 2g"),
        ({"DIXIAN_SPARK_SHUFFLE_PARTITIONS": "0"}, "正整数"),
        ({"DIXIAN_SPARK_START_TIMEOUT": "-5"}, "正整数"),
        ({"DIXIAN_SPARK_CONF": "executor.cores=2"}, "spark.设置名=值"),
    ],
)
def test_a_wrong_setting_is_refused_with_what_to_write(env: dict[str, str], words: str) -> None:
    with pytest.raises(SparkUnavailable) as caught:
        settings_from_env(env)
    assert words in str(caught.value) and "--backend duckdb" in str(caught.value)


_KEY = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=20).map("spark.".__add__)
_VALUE = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)


@given(st.dictionaries(_KEY, _VALUE, max_size=5), st.sampled_from([" ", "\n", "  \n "]))
def test_extra_conf_reads_back_what_was_written(conf: dict[str, str], sep: str) -> None:
    assert conf_parse(sep.join(f"{k}={v}" for k, v in conf.items())) == conf


@given(st.text(max_size=30))
def test_extra_conf_either_parses_to_spark_keys_or_is_refused(text: str) -> None:
    try:
        conf = conf_parse(text)
    except SparkUnavailable as exc:
        assert "DIXIAN_SPARK_CONF" in str(exc)
    else:
        assert all(k.startswith("spark.") and v for k, v in conf.items())


def test_no_java_is_said_before_anything_starts(tmp_path) -> None:
    with pytest.raises(SparkUnavailable, match="没有 Java 运行环境"):
        preflight(SparkSettings(master="local[1]"), env={"PATH": str(tmp_path)})
    with pytest.raises(SparkUnavailable, match="JAVA_HOME"):
        preflight(SparkSettings(), env={"JAVA_HOME": str(tmp_path / "no-jdk"), "PATH": ""})


def test_an_unreachable_master_or_connect_server_is_said_at_once(monkeypatch) -> None:
    port = closed_port()
    attempts: list[tuple[str, int]] = []
    connect = socket.create_connection

    def counted(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counted)
    with pytest.raises(SparkUnavailable, match=f"无法连接 Spark 集群主节点 127.0.0.1:{port}"):
        preflight(SparkSettings(master=f"spark://127.0.0.1:{port}"))
    assert attempts == [("127.0.0.1", port)]  # one refused connection, not a retry loop
    with pytest.raises(SparkUnavailable, match="DIXIAN_SPARK_REMOTE"):
        preflight(SparkSettings(remote=f"sc://127.0.0.1:{port}"))
    # Without the Connect client installed the setting is refused before any connection.
    assert attempts in ([("127.0.0.1", port)], [("127.0.0.1", port)] * 2)


@pytest.mark.django_db
def test_a_spark_that_cannot_start_fails_the_run_and_stores_nothing(world, settings) -> None:
    person = head(world.home)
    delivery = deliver("medical", [medical_row(person, "JS001", 8000)], region=world.county)
    settings.DIXIAN_SPARK = {"MASTER": f"spark://127.0.0.1:{closed_port()}", "START_TIMEOUT": "5"}

    with pytest.raises(CommandError) as caught:
        call_command("screen", "--period", "2026-10", "--backend", "spark", stdout=io.StringIO())

    assert caught.value.returncode == 1
    assert "筛查失败:无法连接 Spark 集群主节点" in str(caught.value)
    assert "--backend duckdb" in str(caught.value)
    run = ScreeningRun.objects.get()
    assert (run.backend, run.status) == ("spark", ScreeningRun.Status.FAILED)
    assert "无法连接 Spark 集群主节点" in run.message
    assert not Alert.objects.exists() and not AlertEvidence.objects.exists()
    assert not UnmatchedRecord.objects.exists()
    delivery.refresh_from_db()
    assert delivery.status == delivery.Status.ACCEPTED and delivery.screened_at is None


@pytest.mark.django_db
def test_a_wrong_spark_setting_fails_the_run_with_the_reason(world, settings) -> None:
    settings.DIXIAN_SPARK = {"DRIVER_MEMORY": "lots"}
    with pytest.raises(CommandError, match="DIXIAN_SPARK_DRIVER_MEMORY"):
        call_command("screen", "--period", "2026-10", "--backend", "spark", stdout=io.StringIO())
    assert ScreeningRun.objects.get().status == ScreeningRun.Status.FAILED


class _FakeSession:
    """A session whose one-row job hangs (`hang`) or fails; records whether it was stopped."""

    def __init__(self, hang: bool) -> None:
        self.hang, self.stopped = hang, False
        self.release = threading.Event()
        self.sparkContext = self
        self.master = "local[1]"

    def range(self, n: int) -> _FakeSession:
        return self

    def count(self) -> int:
        if self.hang:
            self.release.wait(30)
            return 1
        raise RuntimeError("Java gateway process exited")

    def cancelAllJobs(self) -> None:  # noqa: N802 - pyspark's name
        pass

    def stop(self) -> None:
        self.stopped = True
        self.release.set()


@pytest.mark.parametrize("hang", [True, False])
def test_a_session_that_fails_its_check_is_stopped(hang: bool) -> None:
    fake = _FakeSession(hang)
    with pytest.raises(SparkUnavailable, match="没有完成测试任务" if hang else "无法运行任务"):
        spark_session._checked(fake, SparkSettings(start_timeout=0.2))
    assert fake.stopped


def test_a_running_session_is_checked_before_it_is_reused(spark, monkeypatch) -> None:
    checked: list[Any] = []
    monkeypatch.setattr(spark_session, "_first_job", lambda s, settings: checked.append(s))
    assert spark_session.session_start(SparkSettings()) is not None
    assert len(checked) == 1


def test_local_defaults_count_the_cores_this_process_may_use_and_cap_memory(monkeypatch) -> None:
    """Inside a container os.cpu_count() is the host's: the affinity mask is what the process may use."""
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    conf = session_conf(SparkSettings())
    assert (conf["spark.master"], conf["spark.driver.memory"]) == ("local[2]", "2g")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(48)), raising=False)
    conf = session_conf(SparkSettings())
    assert (conf["spark.master"], conf["spark.driver.memory"]) == ("local[48]", "8g")
    assert session_conf(SparkSettings(driver_memory="24g"))["spark.driver.memory"] == "24g"
