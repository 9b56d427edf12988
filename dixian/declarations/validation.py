"""What the public page accepts: pure functions, no database.

Each cleaner takes what the applicant typed (any string) and returns the normalised value, or raises
`django.core.exceptions.ValidationError` with a Chinese sentence saying what is wrong and what to do. They
raise nothing else, whatever the text. The ID number goes through the registry's own parser, so that a
number typed here matches the number stored in the registry (full-width digits, spaces, a small x).
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone

from dixian.registry.parsing import ParseError, parse_id_number

NAME_MIN, NAME_MAX = 2, 30
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 1000

_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_PHONE_NOISE = re.compile(r"[\s\-()()]")
# The middle dot of minority names as phones and keyboards type it.
_DOTS = re.compile(r"\s*[·•・.‧∙⋅●。]\s*")

# Reference numbers: no 0/O, 1/I/L, so that one read aloud on the phone or copied by hand is unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
_REFERENCE = re.compile(rf"^SB(\d{{4}})-?([{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}})$", re.ASCII)


def _fold(value: str) -> str:
    """Full-width letters, digits and spaces folded to ASCII (NFKC)."""
    return unicodedata.normalize("NFKC", value)


def clean_name(value: str) -> str:
    """2–30 letters (汉字 or others), with the minority middle dot as ·; spaces dropped."""
    name = _DOTS.sub("·", "".join(_fold(value or "").split()))
    if not name:
        raise ValidationError("请填写申报人姓名")
    if name.startswith("·") or name.endswith("·") or "··" in name:
        raise ValidationError("姓名中的间隔号“·”只能在两个字之间,请核对")
    for ch in name:
        if ch != "·" and not unicodedata.category(ch).startswith("L"):
            raise ValidationError(f"姓名里不能有数字或符号(“{ch}”),请只填写姓名")
    if len(name) < NAME_MIN:
        raise ValidationError(f"姓名至少{NAME_MIN}个字,请填写完整姓名")
    if len(name) > NAME_MAX:
        raise ValidationError(f"姓名最多{NAME_MAX}个字,请核对")
    return name


def clean_mobile(value: str) -> str:
    """An 11-digit mainland mobile number 1[3-9]xxxxxxxxx; +86, spaces and dashes tolerated."""
    digits = _PHONE_NOISE.sub("", _fold(value or ""))
    if not digits:
        raise ValidationError("请填写手机号码,村里核实时会打这个电话联系您")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        raise ValidationError("手机号码应为11位数字,以1开头(如 13912345678),请核对")
    return digits


def clean_id_number(value: str) -> str:
    """An 18-digit resident ID number (an old 15-digit one is upgraded), checked as the registry does."""
    if not (value or "").strip():
        raise ValidationError("请填写申报人的18位身份证号码")
    if len(value) > 60:
        raise ValidationError("身份证号码太长了,应为18位,请核对")
    try:
        # Today in the platform's time zone: the machine's date (UTC) is yesterday's until 08:00 in China,
        # which would refuse a baby born today.
        return parse_id_number(value, today=timezone.localdate()).number
    except ParseError as e:
        raise ValidationError(str(e).replace("证件号码", "身份证号码", 1)) from None


def clean_description(value: str) -> str:
    # Kept as typed (no NFKC): folding would turn the applicant's ,!? into ASCII punctuation.
    text = (value or "").replace("\r\n", "\n").strip()
    # Control characters (other than line breaks and tabs) have no place in a description.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    length = len("".join(text.split()))
    if length < DESCRIPTION_MIN:
        raise ValidationError(
            f"请简单说明家里遇到的困难(至少{DESCRIPTION_MIN}个字),例如谁生了什么病、花了多少钱"
        )
    if len(text) > DESCRIPTION_MAX:
        raise ValidationError(f"困难情况最多{DESCRIPTION_MAX}个字(现在{len(text)}个字),请精简")
    return text


def reference_new(yymm: str) -> str:
    """SB2611-7KQ4MZ: the year and month, then six characters drawn by a CSPRNG (31^6 ≈ 8.9 亿)."""
    tail = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"SB{yymm}-{tail}"


def reference_normalise(value: str) -> str | None:
    """What the applicant typed as a reference, in canonical form; None if it cannot be one."""
    text = "".join(_fold(value or "").split()).upper().replace("—", "-").replace("_", "-")
    m = _REFERENCE.match(text)
    return f"SB{m[1]}-{m[2]}" if m else None
