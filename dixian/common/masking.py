"""What an account sees of personal data: one function per kind of value.

Every page, export and message that shows an ID number, a phone, a bank account, a health or disability
detail or a free text quoting such numbers goes through the `*_shown` function of its kind, passing the
viewer's right to see personal data in full (`pii=user_can(user, Capability.PII_VIEW)`, see
`dixian.accounts.capabilities`; in templates the filters of `{% load access %}` take the user). No caller
decides by hand whether to mask. What a mask looks like is decided here alone (`mask_id_number`,
`mask_phone`, `mask_bank_account`, HIDDEN), so changing it is a change to this module.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

HIDDEN = "已隐藏"  # a health or disability detail shown to an account without the right
PRIVATE_SHOWN = "***"  # a private value of an alert's reason (a diagnosis, a petition's words)

# Department feeds whose rows say something about a person's health: shown only with the right.
HEALTH_FEEDS = frozenset({"medical", "major_illness", "disability"})

# Fields of the registry that hold health data (personal information of a special kind).
HEALTH_FIELDS = frozenset(
    {"health_status", "disability_category", "disability_grade", "has_illness", "has_disability"}
)


# --- the masks --------------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """360424********1234: keep the region prefix and the characters after the birth date.

    The birth-date digits are never shown (docs/security.md §1): of an 18-character number the last four
    (order and check), of an old 15-digit one the last three (order); of a number of any other length (a
    typo, a lost digit) only the region, since its last digits may be part of the birth date.
    """
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    kept = {18: 4, 15: 3}.get(len(value), 0)
    return value[:6] + "*" * (len(value) - 6 - kept) + (value[-kept:] if kept else "")


def mask_phone(value: str) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_bank_account(value: str) -> str:
    """6217********1234: the bank's prefix and the last four digits, as on a bank's own statements."""
    digits = "".join(value.split())
    if not digits:
        return ""
    if len(digits) <= 8:
        return "*" * (len(digits) - 4) + digits[-4:] if len(digits) > 4 else "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


# An ID number as typed (15 to 18 characters, a mistyped one too) or a mobile number, not inside a longer
# run of digits (a bank account is masked as one number, from its own ends).
ID_OR_PHONE = re.compile(r"(?<![0-9])(?:[0-9]{14,17}[0-9Xx]|1[0-9]{10})(?![0-9Xx])")
LONG_DIGITS = re.compile(r"(?<![0-9])[0-9]{19,}(?![0-9])")

# A full date quoted in a free text: 1970-01-01, 1970/1/1, 1970.01.01, 1970年1月1日, 19700101. Without the
# right only its year is shown (docs/security.md §1: a birth date beside a masked ID number rebuilds it).
_SEP_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*([-/.])\s*[0-9]{1,2}\s*\2\s*[0-9]{1,2}(?![0-9])")
_CN_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*[日号]?")
_COMPACT_DATE = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?![0-9])"
)


def mask_numbers(text: str) -> str:
    """Mask every ID number and mobile number quoted in a text (an error reason, a record key)."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        return mask_phone(value) if len(value) == 11 else mask_id_number(value)

    text = LONG_DIGITS.sub(lambda m: mask_bank_account(m.group(0)), text)
    return ID_OR_PHONE.sub(mask, text)


# A date after a word for birth ("生日3月5日", "出生于1970.1"): its digits all masked, the year too, since
# a month and day beside the age shown elsewhere would give the birth date.
_BIRTH_WORD = re.compile(r"(出生|生日|生于|诞生|出世)([^0-9\n]{0,6})([0-9][0-9年月日号./\-\s]{0,12})")


def mask_dates(text: str) -> str:
    """Show only the year of every full date quoted in a text (a birth date typed into a note), and
    nothing of a date after a word for birth."""
    text = _BIRTH_WORD.sub(lambda m: m.group(1) + m.group(2) + re.sub("[0-9]", "*", m.group(3)), text)
    text = _SEP_DATE.sub(lambda m: f"{m.group(1)}{m.group(2)}**{m.group(2)}**", text)
    text = _CN_DATE.sub(lambda m: f"{m.group(1)}年*月*日", text)
    return _COMPACT_DATE.sub(lambda m: f"{m.group(1)}****", text)


def mask_text(text: str) -> str:
    """A free text as an account without the right sees it: numbers masked, dates reduced to their year."""
    return mask_dates(mask_numbers(text))


def age_on(birth: dt.date, today: dt.date) -> int:
    """Whole years of age (周岁) on `today`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# --- what a viewer sees -----------------------------------------------------------------------------


def id_number_shown(value: str | None, *, pii: bool) -> str:
    return (value or "") if pii else mask_id_number(value or "")


def phone_shown(value: str | None, *, pii: bool) -> str:
    return (value or "") if pii else mask_phone(value or "")


def bank_account_shown(value: str | None, *, pii: bool) -> str:
    return (value or "") if pii else mask_bank_account(value or "")


def birth_date_shown(birth: dt.date | None, *, pii: bool, today: dt.date | None = None) -> str:
    """A birth date: with the right the date (1970-01-01); without it the age in whole years ("56岁").

    The masked ID number hides exactly the eight birth-date digits, so a birth date shown beside it (or
    anywhere the same account can see) would rebuild the number (docs/security.md §1).
    """
    if birth is None:
        return ""
    if pii:
        return birth.isoformat()
    return f"{age_on(birth, today or timezone.localdate())}岁"


def birth_date_label(*, pii: bool, dated: str = "出生日期") -> str:
    """The heading of a birth-date column: `dated` with the right, 年龄(周岁) without it."""
    return dated if pii else "年龄(周岁)"


def birth_dates_compared(first: dt.date | None, second: dt.date | None, *, pii: bool) -> str:
    """How far apart two birth dates are, which says nothing about either: for an account without the
    right that must judge whether two records are one person (the linkage queue). Empty with the right
    (the dates themselves are shown) or when a date is missing."""
    if pii or first is None or second is None:
        return ""
    days = abs((first - second).days)
    return "出生日期一致" if days == 0 else f"出生日期相差 {days} 天"


def birth_date_value(
    birth: dt.date | None, *, pii: bool, today: dt.date | None = None
) -> dt.date | int | None:
    """A birth date for a spreadsheet cell: the date itself with the right, the age (an integer) without."""
    if birth is None:
        return None
    return birth if pii else age_on(birth, today or timezone.localdate())


def health_shown(value: Any, *, pii: bool) -> Any:
    """A health status, illness or disability detail: the value itself, or HIDDEN."""
    return value if pii else HIDDEN


def text_shown(text: str | None, *, pii: bool) -> str:
    """A free text that may quote ID or mobile numbers or a birth date (an import or delivery error, a
    visit's notes, a declaration's description, a reviewer's conclusion): without the right, numbers are
    masked and full dates show only their year (docs/security.md §1)."""
    return (text or "") if pii else mask_text(text or "")


# Where a worker works and what it earns (the employment survey, docs/domain.md §23; docs/security.md §1):
# personal data, shown only with the right. Place tier and channel stay (the figures count by them).
WORK_FIELDS = frozenset({"employer", "wage_band"})


def work_shown(value: str | None, *, pii: bool) -> str:
    """An employer, workshop or workplace, or a wage band: the value itself, or HIDDEN (empty stays empty)."""
    if not value:
        return ""
    return value if pii else HIDDEN


def health_feed_hidden(feed: str, *, pii: bool) -> bool:
    """Whether a department feed's rows must not be shown at all (health data without the right)."""
    return not pii and feed in HEALTH_FEEDS


# The marks the screening engine puts around a reason's private values (engine.core.PRIVATE_OPEN/CLOSE; not
# imported, to keep this module light): a cut reason may lack the closing one.
_PRIVATE_VALUE = re.compile("\ue000[^\ue000\ue001]*(?:\ue001|$)")
_PRIVATE_MARKS = re.compile("[\ue000\ue001]")


def reason_shown(text: str, *, pii: bool) -> str:
    """An alert's or evidence's reason as an account may see it: with the personal-data right, whole;
    without it, a diagnosis, a disability's category and grade and a petition's own words read "***" and
    ID and mobile numbers are masked. "患病“***”" still tells the village what to check."""
    if not text:
        return ""
    if pii:
        return _PRIVATE_MARKS.sub("", text)
    # Dates stay: a reason's dates are those of the event (a settlement, a visit), never a birth date.
    return mask_numbers(_PRIVATE_MARKS.sub("", _PRIVATE_VALUE.sub(PRIVATE_SHOWN, text)))


def record_key_shown(feed: str, key: str, *, pii: bool) -> str:
    """A feed record's key as an account may see it.

    Keys are the source columns joined with "|" (name, ID number, and for some feeds the diagnosis), so
    without the PII right the numbers are masked and a health feed's key is not shown at all.
    """
    if pii:
        return key
    if feed in HEALTH_FEEDS:
        return "(健康相关记录,需“可查看完整个人信息”权限)"
    return mask_numbers(key)


# Feed columns whose values are private whatever the feed (a diagnosis, a hospital, a disability, a
# petition's own words): the same fields the screening engine marks private in a reason
# (screening.engine.core.PRIVATE_PLACEHOLDERS), so a table never shows what the reason hides.
PRIVATE_FEED_FIELDS = frozenset({"disease", "hospital", "disability_category", "disability_grade", "summary"})


def feed_value_shown(field: str, kind: str, value: Any, *, pii: bool, today: dt.date | None = None) -> str:
    """One cell of a department record (evidence rows) as the account may see it; `kind` is the catalogue
    column type ("id", "date", "text", ...). Values already made text, except a date."""
    if value is None or value == "":
        return ""
    if pii:
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "id" or field == "id_number":
        return mask_id_number(str(value))
    if field == "phone":
        return mask_phone(str(value))
    if field in PRIVATE_FEED_FIELDS:
        return PRIVATE_SHOWN
    if field == "birth_date":
        if isinstance(value, dt.date):
            return birth_date_shown(value, pii=False, today=today)
        return mask_text(str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return mask_text(str(value)) if kind == "text" else str(value)


def _birth_year(value: str) -> str:
    return mask_dates(value) if len(value) != 10 else f"{value[:4]}年"


# Registry fields by the kind of personal value they hold (for the change history, which shows any field).
# Free texts that may quote ID or phone numbers or a birth date (the survey's 备注): shown through text_shown.
FREE_TEXT_FIELDS = frozenset({"note"})
_FIELD_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "birth_date": _birth_year}


def field_masked(name: str, value: Any, *, pii: bool) -> str | None:
    """How a registry field's value is shown when it must be masked; None when it is shown as it is
    (the viewer has the right, the field holds no personal data, or there is no value)."""
    if pii or value in (None, ""):
        return None
    if name in HEALTH_FIELDS or name in WORK_FIELDS:
        return HIDDEN
    if name in FREE_TEXT_FIELDS:
        shown = text_shown(str(value), pii=False)
        return shown if shown != str(value) else None
    mask = _FIELD_MASKS.get(name)
    return mask(str(value)) if mask else None
