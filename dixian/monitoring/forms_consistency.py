"""The filters of the 疑点核查 list (docs/domain.md §20.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms

from dixian.common.filters import RegionChainField, choices_with_blank, dropped_notices, resolve_region

from .consistency import RULES

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region


@dataclass(frozen=True)
class FindingFilters:
    rule: str
    region: Region | None
    notices: tuple[str, ...]

    def params(self) -> list[tuple[str, str]]:
        out = [("rule", self.rule)] if self.rule else []
        if self.region is not None:
            out.append(("region", str(self.region.pk)))
        return out


class FindingFilterForm(forms.Form):
    rule = forms.ChoiceField(
        label="核查规则", required=False, choices=choices_with_blank(list(RULES.items()))
    )
    region = RegionChainField(required=False, label="区划")

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def filters(self) -> FindingFilters:
        """The usable filters: an invalid value is dropped with a notice, never an error page."""
        notices = dropped_notices(self)
        data = self.cleaned_data
        region = resolve_region(self.user, data.get("region") or [], notices)
        return FindingFilters(
            rule=data.get("rule") or "", region=region, notices=tuple(dict.fromkeys(notices))
        )
