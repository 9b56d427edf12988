"""Writes for department feed deliveries and API tokens.

`delivery_receive` is the one way rows enter the platform, whatever the channel (web upload, push API,
generated demo data): it checks the delivery whole (ingest.py), and either stores it (the canonical
Parquet file, written atomically, the original next to it, an audit row, a screening job) or records the
rejection with its per-row report, storing none of its rows. The same content sent again returns the
delivery already accepted and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import shutil
import uuid
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.spreadsheets import ErrorReport
from dixian.domain import catalogue

from . import ingest
from .models import ApiToken, FeedDelivery
from .signals import delivery_changed

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region

logger = logging.getLogger("dixian.feeds")

# Errors kept on the delivery row: what the push API answers a rejected batch with (the report workbook has
# them all; the web page shows the first feeds.views.ERRORS_SHOWN).
ERROR_SAMPLE = 1_000
REPORT_MAX_ERRORS = 100_000  # errors written to the report workbook
REPORT_FULL_ROWS = 20_000  # up to this many rows the report repeats the whole file; above, the rows in error
ID_NOTE_LABELS = {
    "missing": "未填证件号码",
    ingest.ID_OLD15: "15位旧号码",
    ingest.ID_CHECKSUM: "校验位不符(可能填错)",
    ingest.ID_DAMAGED: "被表格软件存成科学计数法",
}
LIVE = (FeedDelivery.Status.ACCEPTED, FeedDelivery.Status.SCREENED)


def deliveries_dir() -> Path:
    path = Path(settings.DATA_DIR) / "feeds"
    path.mkdir(parents=True, exist_ok=True)
    return path


class DeliveryNotPermitted(ValidationError):
    """The account may not send this feed, or not for this region (docs/security.md §3)."""


def feeds_permitted(user: User) -> list[str] | None:
    """The feed codes `user` may deliver: None for any (administrators, Capability.FEEDS_ANY), else the
    codes listed on the account that the catalogue knows (docs/security.md §3)."""
    from dixian.accounts.capabilities import Capability, user_can

    if user_can(user, Capability.FEEDS_ANY):
        return None
    listed = user.feeds if isinstance(user.feeds, list) else []
    return [f.code for f in catalogue.FEEDS if f.code in listed]


def delivery_permission_check(user: User, feed: str, region: Region | None) -> None:
    """Raise DeliveryNotPermitted (a Chinese message) unless `user` may send `feed` for `region`: a feed of
    its own list (any feed with Capability.FEEDS_ANY) and the account's region or a region inside it
    (docs/security.md §3). An account with an empty list sends nothing until an administrator assigns
    its feeds."""
    from dixian.accounts.capabilities import Capability, user_can

    if not user_can(user, Capability.FEEDS_UPLOAD):
        raise DeliveryNotPermitted("您的账号没有报送部门数据的权限。")
    if user.region_id is None:
        raise DeliveryNotPermitted("您的账号还没有分配区划,不能报送数据。请联系管理员。")
    if region is None or not (user.region is not None and user.region.contains(region.code)):
        where = user.region.name if user.region is not None else ""
        raise DeliveryNotPermitted(
            f"只能报送本账号区划({where})内的数据,不能报送「{region.name if region else '未知区划'}」的数据。"
        )
    allowed = feeds_permitted(user)
    if allowed is None or feed in allowed:
        return
    spec = catalogue.FEEDS_BY_CODE.get(feed)
    name = f"{spec.department} · {spec.name}" if spec else feed
    if not allowed:
        raise DeliveryNotPermitted(
            "您的账号还没有分配负责的数据项,不能报送任何数据。请联系县级或市级管理员,"
            "在账号管理中为本账号勾选本部门负责的数据项后再报送。"
        )
    mine = "、".join(f"{catalogue.feed(c).department} · {catalogue.feed(c).name}" for c in allowed)
    raise DeliveryNotPermitted(
        f"您的账号不负责“{name}”数据,不能报送。本账号可报送:{mine}。如需变更,请联系管理员。"
    )


def _permission_check(source: User | None, feed: str, region: Region, channel: str) -> None:
    # What a person or a department's system sends is bound to the account (docs/security.md §3); the
    # platform's own generated demo data, and platform code sending without an account, are not. The upload
    # page and the push API always send with the account.
    if channel != FeedDelivery.Channel.GENERATED and source is not None:
        delivery_permission_check(source, feed, region)


def period_validate(period: str, *, today: dt.date | None = None) -> str:
    period = (period or "").strip()
    match = ingest.PERIOD.match(period)
    if not match:
        raise ValidationError(f"数据期间「{period}」格式不对,请填写如 2026-10 的年月")
    today = today or timezone.localdate()
    if int(match[1]) < 2000 or (int(match[1]), int(match[2])) > (today.year, today.month):
        raise ValidationError(f"数据期间「{period}」不合理:应在 2000-01 与本月({today:%Y-%m})之间")
    return period


def rows_checksum(rows: list[dict[str, Any]]) -> str:
    """SHA-256 of the rows' canonical JSON (keys sorted, no spaces): the same batch pushed twice matches."""
    text = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def table_checksum(table: pa.Table | pl.DataFrame) -> str:
    arrow = table.to_arrow() if isinstance(table, pl.DataFrame) else table
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _existing(feed: str, checksum: str, period: str, region: Region) -> FeedDelivery | None:
    # The same content for another period or region is another delivery: a file sent under the wrong
    # period can be sent again under the right one, and one county never gets another county's delivery.
    return (
        FeedDelivery.objects.filter(
            feed=feed, checksum=checksum, period=period, region=region, status__in=LIVE
        )
        .select_related("region", "source")
        .first()
    )


def delivery_receive(
    *,
    feed: str,
    period: str,
    source: User | None,
    region: Region,
    channel: str,
    file_name: str = "",
    content: bytes | None = None,
    rows: list[dict[str, Any]] | None = None,
    table: pa.Table | pl.DataFrame | None = None,
    path: Path | None = None,
) -> tuple[FeedDelivery, bool]:
    """Receive one delivery; returns (delivery, created).

    created is False when an accepted delivery of the same feed and content exists: it is returned and
    nothing changes. Otherwise a new delivery is recorded, accepted (rows stored, screening queued) or
    rejected (errors and report kept, no rows stored). Raises ValidationError for an unknown feed, a
    malformed period or no content, and DeliveryNotPermitted (a ValidationError) when the sending account
    may not send this feed for this region (docs/security.md §3). `path`: the uploaded file on disk (the web
    upload streams it there), read from there and never held whole in memory as bytes (docs/security.md §2).
    """
    if feed not in catalogue.FEEDS_BY_CODE:
        raise ValidationError(f"未知的数据类型「{feed}」")
    _permission_check(source, feed, region, channel)
    period = period_validate(period)
    given = [x is not None for x in (content, rows, table, path)]
    if sum(given) != 1:
        raise ValidationError("请提供且只提供一种数据:文件内容、数据行或数据表")
    if path is not None:
        checksum = _file_checksum(path)
    elif content is not None:
        checksum = hashlib.sha256(content).hexdigest()
    elif rows is not None:
        checksum = rows_checksum(rows)
    else:
        assert table is not None
        checksum = table_checksum(table)
    existing = _existing(feed, checksum, period, region)
    if existing is not None:
        return existing, False

    today = timezone.localdate()
    raw: ingest.RawDelivery | None = None
    try:
        if path is not None:
            raw = ingest.read_delivery(feed, path, file_name)
        elif content is not None:
            raw = ingest.read_delivery(feed, content, file_name)
        elif rows is not None:
            raw = ingest.read_rows(rows)
        else:
            assert table is not None
            raw = ingest.read_table(table)
        result = ingest.check(catalogue.feed(feed), raw, today=today, max_errors=REPORT_MAX_ERRORS)
    except ingest.FeedFileError as exc:
        errors = [ingest.RowError(exc.header_row, "", p) for p in exc.problems]
        return _reject(
            feed=feed,
            period=period,
            source=source,
            region=region,
            channel=channel,
            file_name=file_name,
            checksum=checksum,
            errors=errors,
            error_count=len(errors),
            rows_read=0 if raw is None else raw.frame.height,
            raw=None,
            message="整份数据未接收:" + ";".join(exc.problems[:-1] or exc.problems),
        ), True
    if not result.ok:
        return _reject(
            feed=feed,
            period=period,
            source=source,
            region=region,
            channel=channel,
            file_name=file_name,
            checksum=checksum,
            errors=result.errors,
            error_count=result.error_count,
            rows_read=result.rows_read,
            raw=raw,
            message=_rejection_message(result.errors, result.error_count),
        ), True
    assert result.table is not None
    return _accept(
        feed=feed,
        period=period,
        source=source,
        region=region,
        channel=channel,
        file_name=file_name,
        checksum=checksum,
        result=result,
        original=path
        if path is not None
        else content
        if content is not None
        else (json.dumps(rows, ensure_ascii=False).encode("utf-8") if rows is not None else None),
        original_suffix=_suffix(file_name, _head(path) if path is not None else content),
    )


def _file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


def delivery_refuse(
    *,
    feed: str,
    period: str,
    source: User | None,
    region: Region,
    channel: str,
    file_name: str,
    rows: list[dict[str, Any]],
    errors: list[ingest.RowError],
    error_count: int,
) -> FeedDelivery:
    """Record a batch of rows refused before the checks ran: the push API's contract (feeds/api_schemas.py)
    takes each value in its canonical form only, and found `errors` (the first ones of `error_count`).

    Recorded as `delivery_receive` records a rejection: a delivery row with its errors, the error report
    repeating the rows, an audit row; nothing of the rows is kept. Raises ValidationError for an unknown
    feed or a malformed period."""
    if feed not in catalogue.FEEDS_BY_CODE:
        raise ValidationError(f"未知的数据类型「{feed}」")
    _permission_check(source, feed, region, channel)
    period = period_validate(period)
    try:
        raw: ingest.RawDelivery | None = ingest.read_rows(rows)
    except ingest.FeedFileError:
        raw = None  # rows without any key: the report lists the problems and the expected headers
    return _reject(
        feed=feed,
        period=period,
        source=source,
        region=region,
        channel=channel,
        file_name=file_name,
        checksum=rows_checksum(rows),
        errors=errors,
        error_count=error_count,
        rows_read=len(rows),
        raw=raw,
        message=_rejection_message(errors, error_count),
    )


def _rejection_message(errors: list[ingest.RowError], error_count: int) -> str:
    bad_rows = len({e.row for e in errors})
    return (
        f"发现 {error_count} 处错误"
        + (f"(涉及 {bad_rows} 行)" if error_count == len(errors) else "")
        + ",整份数据未接收。请下载错误报告,按“错误原因”列改正后重新报送。"
    )


def _suffix(file_name: str, content: bytes | None) -> str:
    if content is None:
        return ".json"
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xls", ".xlsm", ".ods", ".csv", ".txt"):
        return suffix
    return ".xlsx" if content[:4] == b"PK\x03\x04" else ".csv"


def _note(result: ingest.IngestResult) -> str:
    parts = [f"{ID_NOTE_LABELS[k]} {n} 行" for k, n in result.notes.items() if k in ID_NOTE_LABELS]
    if not parts:
        return ""
    return "证件号码:" + "、".join(parts) + ",这些行将按姓名、性别、出生日期和行政村做概率匹配。"


def _accept(
    *,
    feed: str,
    period: str,
    source: User | None,
    region: Region,
    channel: str,
    file_name: str,
    checksum: str,
    result: ingest.IngestResult,
    original: bytes | Path | None,
    original_suffix: str,
) -> tuple[FeedDelivery, bool]:
    folder = deliveries_dir() / feed / period
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    repeats = result.rows_read - result.row_count
    message = (
        f"已接收 {result.row_count} 条记录"
        + (f"(另有 {repeats} 行与其他行完全相同,只计一次)" if repeats else "")
        + "。"
        + _note(result)
    )
    try:
        with transaction.atomic():
            delivery = FeedDelivery.objects.create(
                feed=feed,
                period=period,
                channel=channel,
                source=source,
                region=region,
                file_name=file_name[:255],
                checksum=checksum,
                status=FeedDelivery.Status.PENDING,
            )
            rows_path = folder / f"{delivery.pk}.parquet"
            assert result.table is not None  # an accepted result has its table
            stored = ingest.stored_table(result.table)
            if result.source_rows is not None:
                # Each row's number in what was sent, for the evidence's provenance (docs/security.md §3).
                stored = stored.append_column(ingest.SOURCE_ROW, result.source_rows)
            _write_atomic(rows_path, lambda tmp: pq.write_table(stored, tmp, compression="zstd"))
            written.append(rows_path)
            if original is not None:
                original_path = folder / f"{delivery.pk}.original{original_suffix}"
                if isinstance(original, Path):
                    source_path = original
                    _write_atomic(original_path, lambda tmp: shutil.copyfile(source_path, tmp))
                else:
                    data = original
                    _write_atomic(original_path, lambda tmp: tmp.write_bytes(data))
                written.append(original_path)
            delivery.rows_file = FeedDelivery.stored_path(rows_path)
            delivery.original_file = FeedDelivery.stored_path(written[1]) if len(written) > 1 else ""
            delivery.row_count = result.row_count
            delivery.status = FeedDelivery.Status.ACCEPTED
            delivery.message = message[:500]
            with transaction.atomic():  # the unique constraint decides a race between two equal sends
                delivery.save()
            change_record(
                actor=source,
                source=ChangeLog.Source.IMPORT,
                entity="feed_delivery",
                entity_id=delivery.pk,
                household_id=None,
                action=ChangeLog.Action.CREATE,
                summary=f"接收{delivery.feed_spec.department}{delivery.feed_spec.name} {period}:{result.row_count} 条",
                reference=f"feed_delivery:{delivery.pk}",
                changes={"checksum": [None, checksum], "row_count": [None, result.row_count]},
            )
            delivery_changed.send(sender=FeedDelivery, delivery=delivery, owner=source)
    except IntegrityError:
        _remove(written)
        existing = _existing(feed, checksum, period, region)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        _remove(written)
        raise
    return delivery, True


def _write_atomic(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder and rename: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _remove(paths: list[Path]) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            logger.warning("could not remove %s after a failed delivery", p)


def _reject(
    *,
    feed: str,
    period: str,
    source: User | None,
    region: Region,
    channel: str,
    file_name: str,
    checksum: str,
    errors: list[ingest.RowError],
    error_count: int,
    rows_read: int,
    raw: ingest.RawDelivery | None,
    message: str,
) -> FeedDelivery:
    with transaction.atomic():
        delivery = FeedDelivery.objects.create(
            feed=feed,
            period=period,
            channel=channel,
            source=source,
            region=region,
            file_name=file_name[:255],
            checksum=checksum,
            status=FeedDelivery.Status.REJECTED,
            row_count=rows_read,
            error_count=error_count,
            errors=[e.as_dict() for e in errors[:ERROR_SAMPLE]],
            message=message[:500],
        )
        report = deliveries_dir() / feed / period / "rejected" / f"{delivery.pk}-错误报告.xlsx"
        report.parent.mkdir(parents=True, exist_ok=True)
        try:
            _write_atomic(report, lambda tmp: write_report(tmp, feed=feed, raw=raw, errors=errors))
        except Exception:
            logger.exception("error report of delivery %s could not be written", delivery.pk)
        else:
            delivery.report_file = FeedDelivery.stored_path(report)
            delivery.save(update_fields=["report_file", "updated_at"])
        change_record(
            actor=source,
            source=ChangeLog.Source.IMPORT,
            entity="feed_delivery",
            entity_id=delivery.pk,
            household_id=None,
            action=ChangeLog.Action.CREATE,
            summary=f"拒收{delivery.feed_spec.department}{delivery.feed_spec.name} {period}:{error_count} 处错误",
            reference=f"feed_delivery:{delivery.pk}",
        )
    return delivery


# ---- the error report ------------------------------------------------------------------------------------


def write_report(
    out: Path, *, feed: str, raw: ingest.RawDelivery | None, errors: list[ingest.RowError]
) -> None:
    """The delivery's rows, plus 错误行号 / 错误列 / 错误原因; the cells in error shaded (as the registry
    import's report). Up to REPORT_FULL_ROWS rows the whole file is repeated, above only the rows in error.
    Without rows (the file itself was refused) the report lists the problems and the expected headers."""
    spec = catalogue.feed(feed)
    report = ErrorReport(out)
    if raw is None:
        report.problems(
            [("错误", e.message, True) for e in errors] + [("应有表头", ingest.expected_headers(spec), False)]
        )
        report.close()
        return
    by_row: dict[int | None, list[ingest.RowError]] = defaultdict(list)
    for e in errors:
        by_row[e.row].append(e)
    position = {h: j for j, h in enumerate(raw.headers)}
    width = len(raw.headers)
    report.sheet(raw.sheet or spec.name, width, column_width=16)
    report.header(0, raw.headers)
    report.freeze(1)
    frame = raw.frame
    if frame.height > REPORT_FULL_ROWS:
        frame = frame.filter(pl.col(ingest.ROW_COL).is_in([r for r in by_row if r is not None]))
    cells = [f"c{j}" for j in range(width)]
    i = 0
    for i, row in enumerate(frame.select(*cells, ingest.ROW_COL).iter_rows(), start=1):
        number = row[-1]
        row_errors = by_row.get(number, [])
        shaded = {position.get(e.column) for e in row_errors}
        for j in range(width):
            report.cell(i, j, row[j], bad=j in shaded)
        if row_errors:
            report.errors(i, number, (e.column for e in row_errors), [e.message for e in row_errors])
    for k, e in enumerate(by_row.get(None, []), start=i + 2):
        report.reason(k, e.message)
    report.close()


# ---- API tokens -----------------------------------------------------------------------------------------

TOKEN_PREFIX = "dx_"  # noqa: S105 - the visible prefix of every key, not a secret


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_token_create(*, user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns (token, key). The key is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写令牌的用途,如“医保系统每日推送”")
    if len(name) > 100:
        raise ValidationError("用途不能超过100个字")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, key_hash=token_hash(key), key_prefix=key[:8])
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB if actor is not None else ChangeLog.Source.SYSTEM,
            entity="api_token",
            entity_id=token.pk,
            household_id=None,
            action=ChangeLog.Action.CREATE,
            summary=f"为账号 {user.username} 创建接口令牌“{name}”",
        )
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB if actor is not None else ChangeLog.Source.SYSTEM,
            entity="api_token",
            entity_id=token.pk,
            household_id=None,
            action=ChangeLog.Action.UPDATE,
            summary=f"停用接口令牌“{token.name}”",
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token


def api_token_touch(token: ApiToken) -> None:
    """Record the use, at most once a minute (a busy system pushes many batches)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
