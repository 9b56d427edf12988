"""How a feed record is linked to a registry person, said in plain Chinese (docs/feeds.md §五).

The screening engine links a record by its ID number (as sent, cleaned of spaces, full-width digits and a
lower-case x, or an old 15-digit number upgraded); the feed linkage links the rest, by a namesake whose
number is one edit away or by Splink's probability; a reviewer confirms what waited for review. Evidence,
the alert page and the review queue show which, with the wording here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import idnumber

ID, NORMALISED_ID, ID15 = "id", "normalised_id", "id15"
ID_EDIT, PROBABILISTIC, REVIEWER = "id_edit", "probabilistic", "reviewer"
SUBSTITUTION, TRANSPOSITION = "substitution", "transposition"

NAMES: dict[str, str] = {
    ID: "按证件号码匹配",
    NORMALISED_ID: "按证件号码匹配(号码经规范化)",
    ID15: "按证件号码匹配(15位旧号升为18位)",
    ID_EDIT: "证件号码录错一位,按姓名和证件号码匹配",
    PROBABILISTIC: "概率匹配",
    REVIEWER: "经人工确认",
}


def percent(probability: float) -> str:
    """92%: rounded down, so that a link short of certain never reads 100%."""
    return f"{min(math.floor(probability * 100 + 1e-9), 100 if probability >= 1 else 99)}%"


@dataclass(frozen=True)
class LinkMethod:
    code: str
    probability: float | None = None
    edit_kind: str = ""
    edit_position: int | None = None
    found_by: str = ""  # for REVIEWER: how the confirmed candidate had been found

    @property
    def text(self) -> str:
        if self.code == ID_EDIT:
            return edit_text(self.edit_kind, self.edit_position)
        if self.code == PROBABILISTIC:
            return f"概率匹配({percent(self.probability)})" if self.probability is not None else "概率匹配"
        if self.code == REVIEWER:
            found = LinkMethod(self.found_by, self.probability, self.edit_kind, self.edit_position)
            return (
                f"经人工确认(候选来自:{found.text})"
                if self.found_by in (ID_EDIT, PROBABILISTIC)
                else "经人工确认"
            )
        return NAMES.get(self.code, self.code)


def edit_text(kind: str, position: int | None) -> str:
    """证件号码有一位录错(第7位),按姓名和证件号码匹配 / 证件号码第7、8位前后颠倒,…"""
    if kind == TRANSPOSITION and position:
        return f"证件号码第{position}、{position + 1}位前后颠倒,按姓名和证件号码匹配"
    if kind == SUBSTITUTION and position:
        return f"证件号码有一位录错(第{position}位),按姓名和证件号码匹配"
    return NAMES[ID_EDIT]


def exact_method(raw: str | None) -> str | None:
    """How a record's ID number as sent links by itself: ID when it is a valid number as it stands,
    NORMALISED_ID when it is one after cleaning, ID15 for an old number; None when it is not usable (the
    record can only be linked by the feed linkage)."""
    if not raw:
        return None
    if len(raw) == 18 and idnumber.checksum_ok(raw):
        return ID
    norm = idnumber.normalised_id(raw)
    if norm is None or not idnumber.checksum_ok(norm):
        return None
    return ID15 if len(idnumber.clean_id(raw)) == 15 else NORMALISED_ID
