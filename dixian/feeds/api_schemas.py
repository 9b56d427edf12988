"""The push API's contract as pydantic models, generated from the feed catalogue and the ingest checks.

One row model per feed (`row_model`): a key per catalogue column, named by its Chinese header, typed by the
column's type with the bounds the ingest checks apply (dixian/feeds/ingest.py: TEXT_MAX, MAX_AMOUNT_CENTS,
INT_MAX, EARLIEST, the identity-number forms). django-ninja validates every request with these models and
writes /api/openapi.json from the same models, so the document says what the server accepts: a value the
document allows, the checks accept (tests hold each type's definition to ingest.check_values), and a value
it refuses is refused before the checks run.

The API takes the canonical form of each value, not every spelling a spreadsheet upload tolerates: dates as
2026-03-05, amounts as whole numbers or decimal strings, the headers as the catalogue writes them (the
aliases and field names are for workbooks, whose headers people type). What JSON Schema cannot say is
stated in the descriptions and checked by the delivery service, answering 422 with row errors: a record key
sent twice with different content, and the medical feed's 个人负担 = 医疗总费用 − the four payments.

Dates and the period end today: their patterns are built when a request is validated or the document is
written, from the day's date, so the document served on a day is the contract of that day.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from django.utils import timezone
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from dixian.domain import catalogue as cat
from dixian.domain import dictionaries

from . import ingest
from .models import FeedDelivery
from .services import ERROR_SAMPLE

MAX_ROWS = 50_000
# Row errors a 422 lists (error_count says how many there are; the error report on the web page has them all).
MAX_ERRORS_LISTED = ERROR_SAMPLE
# The largest request body: 50,000 rows of the widest feed with long texts stay well below it.
MAX_BODY_BYTES = 64 * 1024 * 1024
FIRST_PERIOD = (2000, 1)  # as services.period_validate

# ---- value types -----------------------------------------------------------------------------------------

# 18 characters (17 digits and a digit or X) or the old 15 digits: the forms ingest.id_kind_expr accepts as
# an ID from a clean cell ("valid", "checksum": a wrong check digit is kept and left to linkage, "old15").
ID_PATTERN = r"^(?:[0-9]{17}[0-9X]|[0-9]{15})$"
# A required text must hold something besides the blanks ingest trims away (ingest._WS).
NOT_BLANK = "[^" + "".join(f"\\u{ord(c):04x}" for c in ingest._WS) + "]"  # noqa: SLF001 - the same blanks
MAX_YUAN = ingest.MAX_AMOUNT_CENTS // 100


def _money_pattern(max_yuan: int) -> str:
    digits = str(max_yuan)
    # The pattern below is written for a power of ten (10000000): up to 7 digits, or the bound itself.
    assert digits == "1" + "0" * (len(digits) - 1), max_yuan
    return rf"^(?:[0-9]{{1,{len(digits) - 1}}}(?:\.[0-9]{{1,2}})?|{digits}(?:\.00?)?)$"


MONEY_PATTERN = _money_pattern(MAX_YUAN)


def _integral(value: Any) -> Any:
    # JSON Schema counts 12.0 as an integer; Python's json reads it as a float.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_M31 = "(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
_M30 = "(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
_FEB = "02-(?:0[1-9]|1[0-9]|2[0-8])"


def _digit_range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"[{lo}-{hi}]"


def _number_range(lo: int, hi: int, width: int) -> str:
    """An alternation matching exactly the numbers lo … hi written with `width` digits (zero-padded)."""
    if lo > hi:
        return ""
    if width == 1:
        return _digit_range(lo, hi)
    step = 10 ** (width - 1)
    head_lo, head_hi = divmod(lo, step), divmod(hi, step)
    if head_lo[0] == head_hi[0]:
        return f"{head_lo[0]}(?:{_number_range(head_lo[1], head_hi[1], width - 1)})"
    parts = []
    first, last = head_lo[0], head_hi[0]
    if head_lo[1]:
        parts.append(f"{first}(?:{_number_range(head_lo[1], step - 1, width - 1)})")
        first += 1
    if head_hi[1] != step - 1:
        tail = f"{last}(?:{_number_range(0, head_hi[1], width - 1)})"
        last -= 1
    else:
        tail = ""
    if first <= last:
        parts.append(f"{_digit_range(first, last)}[0-9]{{{width - 1}}}")
    if tail:
        parts.append(tail)
    return "|".join(parts)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days(n: int) -> str:
    """01 … n."""
    return f"(?:{_number_range(1, n, 2)})"


def _month_days(year: int, month: int) -> int:
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day


@functools.cache
def date_pattern(first: dt.date, last: dt.date) -> str:
    """A regular expression matching exactly the dates first … last written YYYY-MM-DD (first is 1 January)."""
    assert (first.month, first.day) == (1, 1) and first <= last
    parts = []
    if first.year < last.year:
        parts.append(f"(?:{_number_range(first.year, last.year - 1, 4)})-(?:{_M31}|{_M30}|{_FEB})")
        leap = [y for y in range(first.year, last.year) if _leap(y)]
        by_decade: dict[int, list[int]] = {}
        for y in leap:
            by_decade.setdefault(y // 10, []).append(y % 10)
        years = "|".join(
            f"{d}{units[0]}" if len(units) == 1 else f"{d}[{''.join(map(str, units))}]"
            for d, units in by_decade.items()
        )
        if years:
            parts.append(f"(?:{years})-02-29")
    by_length: dict[int, list[int]] = {}
    for m in range(1, last.month):
        by_length.setdefault(_month_days(last.year, m), []).append(m)
    months = [f"(?:{'|'.join(f'{m:02d}' for m in ms)})-{_days(n)}" for n, ms in by_length.items()]
    months.append(f"{last.month:02d}-{_days(last.day)}")
    parts.append(f"{last.year}-(?:{'|'.join(months)})")
    return "^(?:" + "|".join(parts) + ")$"


@functools.cache
def period_pattern(last: tuple[int, int]) -> str:
    """Exactly the months FIRST_PERIOD … last written YYYY-MM."""
    first_year = FIRST_PERIOD[0]
    parts = []
    if last[0] > first_year:
        parts.append(f"(?:{_number_range(first_year, last[0] - 1, 4)})-(?:0[1-9]|1[0-2])")
    parts.append(f"{last[0]}-{_days(last[1])}")
    return "^(?:" + "|".join(parts) + ")$"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _UpToToday:
    """A string matching a pattern that ends today (dates) or this month (periods), read at use."""

    def __init__(self, kind: Literal["date", "period"]) -> None:
        self.kind = kind

    def pattern(self) -> str:
        today = timezone.localdate()
        if self.kind == "date":
            return date_pattern(ingest.EARLIEST, today)
        return period_pattern((today.year, today.month))

    def _validate(self, value: str) -> str:
        # fullmatch: a trailing newline must not pass the pattern's $ as it would in re.match.
        if _compiled(self.pattern()).fullmatch(value) is None:
            raise PydanticCustomError(f"feed_{self.kind}", "not a {kind} up to today", {"kind": self.kind})
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            self._validate, core_schema.str_schema(strict=True)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern()}


FeedDate = Annotated[str, _UpToToday("date")]
Period = Annotated[str, _UpToToday("period")]
Money = Annotated[
    Annotated[int, Strict(), Ge(0), Le(MAX_YUAN)]
    | Annotated[str, Strict(), StringConstraints(pattern=MONEY_PATTERN)],
    BeforeValidator(_integral),
]
IdNumber = Annotated[str, Strict(), StringConstraints(pattern=ID_PATTERN)]


def value_type(col: cat.FeedColumn) -> Any:
    """The type of one column's value (None not included: optional columns add it)."""
    if col.type == cat.TEXT:
        if col.required:
            return Annotated[str, Strict(), StringConstraints(max_length=ingest.TEXT_MAX, pattern=NOT_BLANK)]
        return Annotated[str, Strict(), StringConstraints(max_length=ingest.TEXT_MAX)]
    if col.type == cat.ID:
        return IdNumber
    if col.type == cat.DATE:
        return FeedDate
    if col.type == cat.MONEY:
        return Money
    if col.type == cat.INT:
        high = ingest.INT_MAX.get(col.field, ingest.INT_DEFAULT_MAX)
        return Annotated[int, Strict(), Ge(0), Le(high), BeforeValidator(_integral)]
    if col.type == cat.CHOICE:
        # Any spelling of the column's national dictionary reads as its choice, as in a file (docs/domain.md §18).
        lookup = cat.choice_lookup(col)

        def canonical(value: Any) -> Any:
            return lookup.get(dictionaries.normalise(value), value) if isinstance(value, str) else value

        return Annotated[
            Literal[col.choices], BeforeValidator(canonical)
        ]  # built from the catalogue at import
    raise AssertionError(f"column type {col.type!r} has no API type")


TYPE_NOTES = {
    cat.TEXT: f"文字,不超过 {ingest.TEXT_MAX} 个字",
    cat.ID: "18位身份证号(末位可为大写 X)或老的15位号码,字符串;号码不详时为 null,系统按姓名、性别、出生日期和行政村匹配",
    cat.DATE: f"日期字符串 YYYY-MM-DD(如 2026-03-05),从 {ingest.EARLIEST.isoformat()} 到今天",
    cat.MONEY: f'金额(元):0 到 {MAX_YUAN} 的整数,或最多两位小数的字符串(如 "1200.50")',
    cat.INT: "0 起的整数",
    cat.CHOICE: "可填的值之一",
}


def column_description(col: cat.FeedColumn) -> str:
    parts = [f"{col.header}({'必填' if col.required else '选填,可为 null'})", TYPE_NOTES[col.type]]
    if col.type == cat.INT:
        parts[-1] += f",最大 {ingest.INT_MAX.get(col.field, ingest.INT_DEFAULT_MAX)}"
    if col.choices:
        parts.append("可填:" + "、".join(col.choices))
    if col.meaning:
        parts.append(col.meaning)
    return "。".join(parts) + "。"


def _row_rules(spec: cat.Feed) -> str:
    rules = [
        f"记录键:{'、'.join(spec.column(f).header for f in spec.record_key)};同一批中记录键相同的行内容须相同"
    ]
    if spec.code == "medical":
        rules.append(
            "个人负担须等于医疗总费用减去统筹基金、大病保险、医疗救助、补充保险四项支付(允许相差0.01元)"
        )
    fields = set(spec.fields)
    for start, end in (("admission_date", "settlement_date"), ("start_date", "end_date")):
        if start in fields and end in fields:
            rules.append(f"{spec.column(end).header}不能早于{spec.column(start).header}")
    return ";".join(rules)


def row_schema_name(code: str) -> str:
    return f"Row_{code}"


@functools.cache
def row_model(code: str) -> type[BaseModel]:
    """One row of a feed: the catalogue's columns keyed by their Chinese headers, no other key."""
    spec = cat.feed(code)
    fields: dict[str, Any] = {}
    for col in spec.columns:
        kind = value_type(col)
        about = column_description(col)
        fields[col.field] = (
            (kind, Field(alias=col.header, title=col.header, description=about))
            if col.required
            else (kind | None, Field(None, alias=col.header, title=col.header, description=about))
        )
    return create_model(
        row_schema_name(code),
        __config__=ConfigDict(
            extra="forbid",
            title=f"{spec.department} · {spec.name}",
            json_schema_extra={
                "description": (
                    f"{spec.meaning}。一行一条记录,键为下列中文表头,顺序不限;必填的键不能缺少或为 null。"
                    f"整批检查的规则:{_row_rules(spec)}(不符时整批 422,errors 列出各行)。"
                )
            },
        ),
        **fields,
    )


@functools.cache
def batch_model(code: str) -> type[BaseModel]:
    spec = cat.feed(code)
    rows: Any = list[row_model(code)]  # type: ignore[misc]  # a model class built from the catalogue
    return create_model(
        f"Batch_{code}",
        __config__=ConfigDict(extra="forbid", title=f"{spec.department} · {spec.name} 一批数据"),
        period=(Period, Field(description="数据期间(年-月),从 2000-01 到本月,如 2026-10")),
        rows=(rows, Field(min_length=1, max_length=MAX_ROWS, description=f"数据行,1 到 {MAX_ROWS} 行")),
    )


# ---- answers -----------------------------------------------------------------------------------------------


class Delivery(BaseModel):
    model_config = ConfigDict(title="一次报送")

    id: int = Field(description="报送编号")
    feed: Literal[tuple(f.code for f in cat.FEEDS)] = Field(  # type: ignore[valid-type]  # built from the catalogue at import: pydantic reads it, mypy cannot
        description="数据类型"
    )
    period: str = Field(pattern=ingest.PERIOD.pattern, description="数据期间(年-月)")
    channel: Literal[tuple(FeedDelivery.Channel.values)] = Field(  # type: ignore[valid-type]  # built from the model's choices at import, as feed
        description="报送方式:" + ",".join(f"{v} {label}" for v, label in FeedDelivery.Channel.choices)
    )
    status: Literal[tuple(FeedDelivery.Status.values)] = Field(  # type: ignore[valid-type]  # built from the model's choices at import, as feed
        description="状态:" + ",".join(f"{v} {label}" for v, label in FeedDelivery.Status.choices)
    )
    status_label: str = Field(description="状态的中文名")
    row_count: int = Field(ge=0, description="接收的记录数(完全相同的行只计一次);拒收时为读到的行数")
    error_count: int = Field(ge=0, description="错误数")
    checksum: str = Field(pattern="^[0-9a-f]{64}$", description="内容的 SHA-256")
    message: str = Field(description="说明")
    created_at: dt.datetime = Field(description="接收时间")
    screened_at: dt.datetime | None = Field(description="筛查时间(未筛查为 null)")


class DeliveryEnvelope(BaseModel):
    delivery: Delivery


class RowError(BaseModel):
    model_config = ConfigDict(title="一处错误")

    row: int | None = Field(ge=1, description="rows 中的行号(从 1 起);整批或请求本身的问题为 null")
    column: str = Field(description="出错的键(整行、整批或请求本身的问题为空)")
    message: str = Field(description="错误原因与改正方法(中文)")


class Problem(BaseModel):
    model_config = ConfigDict(title="错误")

    message: str = Field(description="总的说明(中文)")
    errors: list[RowError] = Field(description=f"每一处错误(最多前 {MAX_ERRORS_LISTED:,} 处)")
    error_count: int = Field(ge=0, description="错误总数")


class Rejection(Problem):
    model_config = ConfigDict(title="整批拒收")

    delivery: Delivery = Field(description="记录下来的拒收报送(可在平台上下载错误报告)")


class CatalogueColumn(BaseModel):
    field: str = Field(description="字段名")
    header: str = Field(description="中文表头:推送时用作键")
    aliases: list[str] = Field(description="上传表格时也接受的表头")
    type: Literal[cat.TYPES] = Field(description="类型")  # type: ignore[valid-type]  # built from catalogue.TYPES
    required: bool
    choices: list[str] = Field(description="可填的值(选项类)")
    meaning: str


class CatalogueFeed(BaseModel):
    code: str
    department: str
    name: str
    meaning: str
    record_key: list[str]
    person_key: str | None
    date_field: str
    columns: list[CatalogueColumn]


class Catalogue(BaseModel):
    feeds: list[CatalogueFeed]


def delivery_out(delivery: FeedDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "feed": delivery.feed,
        "period": delivery.period,
        "channel": delivery.channel,
        "status": delivery.status,
        "status_label": FeedDelivery.Status(delivery.status).label,
        "row_count": delivery.row_count,
        "error_count": delivery.error_count,
        "checksum": delivery.checksum,
        "message": delivery.message,
        "created_at": delivery.created_at.isoformat(),
        "screened_at": delivery.screened_at.isoformat() if delivery.screened_at else None,
    }
