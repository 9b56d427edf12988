"""delivery_receive: accepted deliveries are stored whole and queued for screening; rejected ones store no
row; the same content twice changes nothing; an accepted delivery cannot be changed."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook

from dixian.common.models import ChangeLog, Job
from dixian.domain.idnumber import normalised_id
from dixian.domain.records import NORMALISED_ID_COLUMN
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import delivery_receive

from .helpers import csv_bytes, json_rows, medical_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def receive(people, world, **kw):
    args = {
        "feed": "medical",
        "period": "2026-10",
        "source": people["department_uploader"],
        "region": world.county,
        "channel": FeedDelivery.Channel.UPLOAD,
        "file_name": "医保.csv",
    }
    args.update(kw)
    return delivery_receive(**args)


def parquet_files() -> list[Path]:
    return sorted((Path(settings.DATA_DIR) / "feeds").rglob("*.parquet"))


def test_an_accepted_delivery_is_stored_as_parquet_with_its_original_an_audit_row_and_a_screening_job(
    world, people
):
    content = csv_bytes(medical_rows(3))
    delivery, created = receive(people, world, content=content)
    assert created
    assert delivery.status == FeedDelivery.Status.ACCEPTED
    assert delivery.row_count == 3
    # Stored relative to the data directory, which may move.
    assert delivery.rows_file == str(Path("feeds") / "medical" / "2026-10" / f"{delivery.pk}.parquet")
    rows_file = delivery.rows_path
    assert rows_file == Path(settings.DATA_DIR) / "feeds" / "medical" / "2026-10" / f"{delivery.pk}.parquet"
    table = pq.read_table(rows_file)
    assert table.num_rows == 3
    assert table.column("settlement_no").to_pylist() == ["JS00000001", "JS00000002", "JS00000003"]
    assert delivery.original_path.read_bytes() == content
    assert not list(rows_file.parent.glob(".*.tmp"))  # written through a temporary file, renamed
    audit = ChangeLog.objects.get(entity="feed_delivery", entity_id=delivery.pk)
    assert audit.actor == people["department_uploader"]
    job = Job.objects.get(kind="screen_delivery")
    assert job.params["delivery_ids"] == [delivery.pk]
    assert job.owner == people["department_uploader"]


def test_the_same_file_twice_changes_nothing(world, people):
    content = xlsx_bytes(medical_rows(2))
    first, created = receive(people, world, content=content, file_name="a.xlsx")
    assert created
    counts = (FeedDelivery.objects.count(), Job.objects.count(), ChangeLog.objects.count(), parquet_files())
    again, created = receive(people, world, content=content, file_name="again.xlsx")
    assert not created
    assert again.pk == first.pk and again.period == "2026-10"
    assert (
        FeedDelivery.objects.count(),
        Job.objects.count(),
        ChangeLog.objects.count(),
        parquet_files(),
    ) == counts


def test_the_same_json_batch_twice_changes_nothing_whatever_the_key_order(world, people):
    rows = json_rows(medical_rows(2))
    first, created = receive(people, world, rows=rows, channel=FeedDelivery.Channel.API)
    assert created
    reordered = [dict(reversed(list(r.items()))) for r in rows]
    again, created = receive(people, world, rows=reordered, channel=FeedDelivery.Channel.API)
    assert (again.pk, created) == (first.pk, False)
    assert FeedDelivery.objects.count() == 1


def test_a_delivery_with_row_errors_is_rejected_whole_with_a_report_and_no_rows_stored(world, people):
    rows = medical_rows(4)
    rows[1][2] = "ABC"
    rows[3][7] = "1.234"
    delivery, created = receive(people, world, content=csv_bytes(rows))
    assert created
    assert delivery.status == FeedDelivery.Status.REJECTED
    assert delivery.error_count == 2
    assert [(e["row"], e["column"]) for e in delivery.errors] == [(3, "证件号码"), (5, "个人负担")]
    assert delivery.rows_file == "" and delivery.original_file == ""
    assert parquet_files() == []
    assert not Job.objects.filter(kind="screen_delivery").exists()
    book = CalamineWorkbook.from_path(str(delivery.report_path))
    sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0][-3:] == ["错误行号", "错误列", "错误原因"]
    assert len(sheet) == 5  # the header and every row of the file, as sent
    assert sheet[2][-3] == 3.0 and sheet[2][-2] == "证件号码" and "不是身份证号" in sheet[2][-1]
    assert sheet[1][-1] == ""


def test_a_file_with_wrong_columns_is_rejected_naming_them(world, people):
    delivery, created = receive(people, world, content="姓名,金额\n张三,5\n".encode())
    assert created and delivery.status == FeedDelivery.Status.REJECTED
    messages = [e["message"] for e in delivery.errors]
    assert any("缺少必填列" in m for m in messages)
    assert any("表头应为" in m for m in messages)
    assert "缺少必填列" in delivery.message
    sheet = CalamineWorkbook.from_path(str(delivery.report_path)).get_sheet_by_index(0).to_python()
    assert sheet[-1][0] == "应有表头"
    assert parquet_files() == []


def test_a_rejected_file_sent_again_is_checked_again_and_a_fixed_one_is_accepted(world, people):
    rows = medical_rows(2)
    rows[0][4] = "2099-01-01"
    bad = csv_bytes(rows)
    first, _ = receive(people, world, content=bad)
    second, created = receive(people, world, content=bad)
    assert created and second.pk != first.pk and second.status == FeedDelivery.Status.REJECTED
    fixed, created = receive(people, world, content=csv_bytes(medical_rows(2)))
    assert created and fixed.status == FeedDelivery.Status.ACCEPTED


@pytest.mark.parametrize("period", ["2026-13", "202610", "1999-12", "2099-01", ""])
def test_a_malformed_or_impossible_period_is_refused(world, people, period):
    with pytest.raises(ValidationError):
        receive(people, world, content=csv_bytes(medical_rows(1)), period=period)
    assert FeedDelivery.objects.count() == 0


def test_an_unknown_feed_is_refused(world, people):
    with pytest.raises(ValidationError, match="未知的数据类型"):
        receive(people, world, feed="weather", content=b"x")


def test_an_accepted_delivery_cannot_be_changed(world, people):
    delivery, _ = receive(people, world, content=csv_bytes(medical_rows(2)))
    for name, value in (
        ("row_count", 99),
        ("checksum", "0" * 64),
        ("period", "2026-01"),
        ("rows_file", "/x"),
    ):
        fresh = FeedDelivery.objects.get(pk=delivery.pk)
        setattr(fresh, name, value)
        with pytest.raises(ValidationError, match="已接收的报送不可修改"):
            fresh.save()
    assert FeedDelivery.objects.get(pk=delivery.pk).row_count == 2


def test_a_table_from_the_generator_is_received_like_a_file(world, people):
    import polars as pl

    frame = pl.DataFrame(json_rows(medical_rows(3)))
    delivery, created = receive(
        people, world, table=frame, channel=FeedDelivery.Channel.GENERATED, source=None
    )
    assert created and delivery.status == FeedDelivery.Status.ACCEPTED and delivery.row_count == 3
    assert receive(people, world, table=frame, source=None)[1] is False


def test_the_files_follow_the_data_directory_when_it_moves(world, people, settings, tmp_path):
    """A restore on another machine puts DATA_DIR elsewhere: the deliveries' files are found there."""
    import shutil

    from dixian.screening import loading

    delivery, _ = receive(people, world, content=csv_bytes(medical_rows(3)))
    rows = pq.read_table(delivery.rows_path).to_pylist()
    moved = tmp_path / "restored"
    shutil.copytree(settings.DATA_DIR, moved)
    settings.DATA_DIR = str(moved)

    delivery.refresh_from_db()
    assert delivery.rows_path == moved / delivery.rows_file and delivery.original_path.is_file()
    assert pq.read_table(loading.feeds_load([delivery])["medical"][0]).to_pylist() == rows


def test_migration_0003_stores_the_paths_under_the_data_directory_relative_to_it(world, people):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("dixian.feeds.migrations.0003_delivery_files_relative_to_data_dir")
    delivery, _ = receive(people, world, content=csv_bytes(medical_rows(3)))
    inside = str(Path(settings.DATA_DIR).resolve() / delivery.rows_file)
    elsewhere = "/srv/old-dixian/feeds/medical/2026-10/1.original.csv"
    FeedDelivery.objects.filter(pk=delivery.pk).update(rows_file=inside, original_file=elsewhere)

    migration.forwards(apps, None)
    delivery.refresh_from_db()
    assert delivery.rows_file == str(Path("feeds") / "medical" / "2026-10" / f"{delivery.pk}.parquet")
    assert delivery.original_file == elsewhere  # outside the data directory: read where it is
    assert delivery.rows_path.is_file()

    migration.backwards(apps, None)
    delivery.refresh_from_db()
    assert delivery.rows_file == inside and delivery.original_file == elsewhere


def test_an_accepted_delivery_keeps_its_id_numbers_as_sent_and_normalised_once(world, people):
    # The screening engine deduplicates and links by the normalised number (docs/feeds.md §五); stored with
    # the delivery, no run normalises it again.
    rows = medical_rows(4)
    clean = [r[2] for r in rows]
    rows[1][2] = clean[1][:6] + " " + clean[1][6:]
    rows[2][2] = clean[2][:6] + clean[2][8:17]  # the old 15-digit number
    rows[3][2] = "3.60424E+17"
    delivery, created = receive(people, world, content=csv_bytes(rows))
    assert created
    table = pq.read_table(delivery.rows_path)
    assert table.column("id_number").to_pylist() == [r[2] for r in rows]
    assert table.column(NORMALISED_ID_COLUMN).to_pylist() == [clean[0], clean[1], clean[2], None]
    assert table.column(NORMALISED_ID_COLUMN).to_pylist() == [normalised_id(r[2]) for r in rows]
