"""What an account sees of personal data: one function per kind of value.

Every page, export and message that shows an ID number, a phone, a bank account, a health or disability
detail or a free text quoting such numbers goes through the `*_shown` function of its kind, passing the
viewer's right to see personal data in full (`pii=user_can(user, Capability.PII_VIEW)`, see
`dixian.accounts.capabilities`; in templates the filters of `{% load access %}` take the user). No caller
decides by hand whether to mask. What a mask looks like is decided here alone (`mask_id_number`,
`mask_phone`, `mask_bank_account`, HIDDEN), so changing it is a change to this module.
"""

from __future__ import annotations

import re
from typing import Any

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
    """360424********1234: keep the region prefix and the last four characters."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


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


ID_OR_PHONE = re.compile(r"\d{17}[\dXx]|\d{15}|1\d{10}")


def mask_numbers(text: str) -> str:
    """Mask every ID number and mobile number quoted in a text (an error reason, a record key)."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        return mask_phone(value) if len(value) == 11 else mask_id_number(value)

    return ID_OR_PHONE.sub(mask, text)


# --- what a viewer sees -----------------------------------------------------------------------------


def id_number_shown(value: str | None, *, pii: bool) -> str:
    return (value or "") if pii else mask_id_number(value or "")


def phone_shown(value: str | None, *, pii: bool) -> str:
    return (value or "") if pii else mask_phone(value or "")


def bank_account_shown(value: str | None, *, pii: bool) -> str:
    return (value or "") if pii else mask_bank_account(value or "")


def health_shown(value: Any, *, pii: bool) -> Any:
    """A health status, illness or disability detail: the value itself, or HIDDEN."""
    return value if pii else HIDDEN


def text_shown(text: str | None, *, pii: bool) -> str:
    """A free text that may quote ID or mobile numbers (an import or delivery error, a note)."""
    return (text or "") if pii else mask_numbers(text or "")


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


# Registry fields by the kind of personal value they hold (for the change history, which shows any field).
_FIELD_MASKS = {"id_number": mask_id_number, "phone": mask_phone}


def field_masked(name: str, value: Any, *, pii: bool) -> str | None:
    """How a registry field's value is shown when it must be masked; None when it is shown as it is
    (the viewer has the right, the field holds no personal data, or there is no value)."""
    if pii or value in (None, ""):
        return None
    if name in HEALTH_FIELDS:
        return HIDDEN
    mask = _FIELD_MASKS.get(name)
    return mask(str(value)) if mask else None
