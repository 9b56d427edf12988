"""Place names as workbooks write them: the text rules behind resolving 县 / 乡 / 村 / 组 names.

The national system's export names a household's place instead of coding it (docs/domain.md §14), and
clerks spell the same unit several ways: "义宁镇", "义宁", "义宁街道"; "良塘村", "良塘村委会", "良塘村民委员会";
"3组", "三组", "第三村民小组"; full-width brackets and spaces; the whole path in one cell
("九江市修水县义宁镇良塘村"). This module holds the pure part of matching them (docs/domain.md §14.1):

- `clean`: the one form a name is compared in (NFKC, so full-width brackets, digits and spaces become
  half-width; then no whitespace at all). Idempotent, never raises.
- `short_names`: a name without its level's suffix ("义宁镇" → "义宁", "良塘村委会" → "良塘"), and
  without a trailing note in brackets ("良塘村(社区)" → "良塘"). Two names of one level match when their
  clean forms are equal, or else when they share a short name.
- `group_number`: the number of a 村民小组 written as "3组", "三组", "第三村民小组", "03" or 3.
- `strip_province`, `split_group`: the parts of a path in one cell that the region tree cannot peel.

The tree lookup itself (which units of an account's scope carry a name) is regions/names.py.
"""

from __future__ import annotations

import functools
import re
import unicodedata

COUNTY, TOWNSHIP, VILLAGE, GROUP = "county", "township", "village", "group"

# Longest first: "街道办事处" must go before "街道", "村民委员会" before "村".
SUFFIXES: dict[str, tuple[str, ...]] = {
    "city": ("自治州", "地区", "市", "州", "盟"),
    COUNTY: ("自治县", "县", "区", "市", "旗"),
    TOWNSHIP: ("街道办事处", "街道办", "办事处", "街道", "镇", "乡"),
    VILLAGE: (
        "社区居民委员会",
        "村民委员会",
        "居民委员会",
        "社区居委会",
        "村委会",
        "居委会",
        "社区",
        "村委",
        "村",
    ),
    GROUP: ("村民小组", "居民小组", "小组", "组", "队"),
}

# Brackets that NFKC leaves alone but clerks use as brackets.
_BRACKETS = str.maketrans(
    {"〔": "(", "〕": ")", "【": "(", "】": ")", "［": "(", "］": ")", "[": "(", "]": ")"}
)
_CLEAN_ROUNDS = 8

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_GROUP = re.compile(r"第?([0-9]{1,3}|[零〇一二两三四五六七八九十百]{1,4})(?:村民小组|居民小组|小组|组|队)?")
_PROVINCE = re.compile(r"(.{2,7}?(?:省|自治区))(?=.)")


def clean(value: object) -> str:
    """The comparable form of a name cell: NFKC (full-width → half-width), brackets unified, no
    whitespace. A float cell that holds a whole number ("3.0" from Excel) reads as that number."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _clean_text(str(value))


@functools.lru_cache(maxsize=1 << 16)
def _clean_text(text: str) -> str:
    # A county's book repeats a few hundred names on every row: cached, each is folded once.
    # NFKC can produce spaces (U+00A8 → space + diaeresis) and dropping a space can let a mark compose:
    # repeat until nothing changes, so that clean(clean(x)) == clean(x) holds for every input.
    for _ in range(_CLEAN_ROUNDS):
        step = "".join(unicodedata.normalize("NFKC", text).translate(_BRACKETS).split())
        if step == text:
            break
        text = step
    return text


def short_name(name: str, level: str) -> str:
    """The name without its level's suffix, if anything is left: "修水县" → "修水", "义宁" → "义宁";
    a doubled suffix goes too ("良塘村村委会" → "良塘")."""
    text = clean(name)
    for _ in range(2):
        for suffix in SUFFIXES.get(level, ()):
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                break
        else:
            break
    return text


@functools.lru_cache(maxsize=1 << 16)
def short_names(name: str, level: str) -> tuple[str, ...]:
    """The short names a name answers to: its `short_name`, and, when it ends with a note in brackets
    ("良塘村(社区)"), also the short name of what comes before the note. Two names of one level match
    when their clean forms are equal, or else when they share a short name."""
    text = clean(name)
    names = [short_name(text, level)]
    if text.endswith(")") and "(" in text[1:]:
        bare = short_name(text[: text.rindex("(")], level)
        if bare not in names:
            names.append(bare)
    return tuple(names)


def chinese_number(text: str) -> int | None:
    """ "三" → 3, "十二" → 12, "二十一" → 21, "一百零五" → 105, "一〇" → 10; None when it is not one."""
    if not text or any(char not in _DIGITS and char not in "十百" for char in text):
        return None
    if "十" not in text and "百" not in text:
        return int("".join(str(_DIGITS[char]) for char in text))  # read digit by digit
    total, current = 0, None
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            total += (1 if current is None else current) * (10 if char == "十" else 100)
            current = None
    return total + (current or 0)


def group_number(value: object) -> int | None:
    """The number of a 村民小组 written as a number: "3组", "三组", "第三村民小组", "03", 3 → 3.
    None for a named group ("张家组") or anything else."""
    return _group_number(clean(value))


@functools.lru_cache(maxsize=1 << 12)
def _group_number(text: str) -> int | None:
    match = _GROUP.fullmatch(text)
    if match is None:
        return None
    digits = match.group(1)
    number = int(digits) if digits.isdigit() else chinese_number(digits)
    return number if number is not None and 0 < number < 100 else None


def strip_province(text: str) -> str:
    """ "江西省九江市修水县" → "九江市修水县": the province is above every tree Dixian holds."""
    match = _PROVINCE.match(text)
    return text[match.end() :] if match else text


def split_group(text: str) -> tuple[str, str]:
    """A village cell that ends with its group: "良塘村三组" → ("良塘村", "三组"); else (text, "")."""
    for end in range(len(text) - 1, 0, -1):
        head, tail = text[:end], text[end:]
        if group_number(tail) is not None and any(head.endswith(s) for s in SUFFIXES[VILLAGE]):
            return head, tail
    return text, ""
