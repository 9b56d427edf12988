"""Helpers of every filtered list: the region picker (cascading county → township → village selects), the
field that reads it, and choice lists with a blank entry.

Region: the cascading selects are all named `region`; the values are read in order and the deepest one
that lies inside the previous one (and inside the account's subtree) wins, so a form submitted without
JavaScript after changing the county drops the stale township. A single `?region=<id>` of any region in
the subtree works as a link. The picker's template is common/partials/_region_picker.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.http import Http404

from dixian.common.access import code_in_scope, region_range_q
from dixian.regions.models import Region

if TYPE_CHECKING:
    from dixian.accounts.models import User

PICKER_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE)
MAX_REGION_VALUES = 4
MAX_DB_ID = 2**63 - 1


def choices_with_blank(choices: list[tuple[str, str]], blank: str = "全部") -> list[tuple[str, str]]:
    return [("", blank), *choices]


class RegionChainWidget(forms.Widget):
    """The cascading selects all post `region`; the field receives every value, in document order."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return list(data.getlist(name))
        value = data.get(name)
        return [] if value in (None, "") else [str(value)]


class RegionChainField(forms.Field):
    widget = RegionChainWidget
    default_error_messages = {"invalid": "区划参数无效,已忽略。"}

    def to_python(self, value: Any) -> list[int]:
        ids: list[int] = []
        for raw in (value or [])[:MAX_REGION_VALUES]:
            raw = str(raw).strip()
            if raw == "":
                break  # a select left at 全部 ends the chain
            if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_DB_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(raw))
        return ids


@dataclass
class PickerLevel:
    label: str
    options: list[Region]
    selected: int | None


def region_picker(user: User, selected: Region | None, *, in_use_only: bool = False) -> list[PickerLevel]:
    """The cascading selects below the account's region, down to the village: one query.

    Level 1 lists the children of the account's region; each further level lists the children of the
    region chosen above it. Only regions inside the account's subtree can ever be offered. A picker for
    new data (`in_use_only`) leaves out retired units; a list filter keeps them, since their households
    stay on them until moved (docs/domain.md §19).
    """
    account = user.region if user.is_authenticated and user.region_id else None
    if account is None or account.level not in (
        Region.Level.CITY,
        Region.Level.COUNTY,
        Region.Level.TOWNSHIP,
    ):
        return []
    depth: dict[str, int] = {lvl: i for i, lvl in enumerate(PICKER_LEVELS)}
    chain_prefixes = []
    if selected is not None:
        chain_prefixes = [
            selected.code[:n]
            for lvl, n in Region.PREFIX_LENGTH.items()
            if lvl in (Region.Level.COUNTY, Region.Level.TOWNSHIP)
            and len(account.prefix) < n <= len(selected.prefix)
        ]
    options = list(
        Region.objects.filter(level__in=PICKER_LEVELS)
        .filter(Q(parent_id=account.pk) | Q(parent__prefix__in=chain_prefixes))
        .filter(region_range_q(account.prefix, "code"))
        .filter(Q(retired_on__isnull=True) if in_use_only else Q())
        .only("id", "name", "code", "prefix", "level", "parent_id")
        .order_by("code")
    )
    by_parent: dict[int | None, list[Region]] = {}
    for region in options:
        by_parent.setdefault(region.parent_id, []).append(region)
    labels: dict[str, str] = {
        Region.Level.COUNTY: "县(市、区)",
        Region.Level.TOWNSHIP: "乡镇",
        Region.Level.VILLAGE: "村",
    }
    levels: list[PickerLevel] = []
    parent_id: int | None = account.pk
    while parent_id is not None and by_parent.get(parent_id):
        children = by_parent[parent_id]
        chosen = next(
            (r for r in children if selected is not None and selected.code.startswith(r.prefix)), None
        )
        level = min((r.level for r in children), key=lambda lvl: depth[lvl])
        levels.append(PickerLevel(labels[level], children, chosen.pk if chosen else None))
        parent_id = chosen.pk if chosen is not None and chosen.level != Region.Level.VILLAGE else None
    return levels


def dropped_notices(form: forms.Form, *, per_error: dict[str, str] | None = None) -> list[str]:
    """Validate a list page's filter form and say which values are dropped: an invalid filter is ignored
    with a notice, never an error page. The region chain speaks for itself; a field named in `per_error`
    gets one notice per error (its template takes `{error}`); any other field "「标签」的取值无效,已忽略。"."""
    form.is_valid()
    notices: list[str] = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        if isinstance(field, RegionChainField):
            notices.extend(str(error) for error in errors)
        elif per_error and name in per_error:
            notices.extend(per_error[name].format(error=error) for error in errors)
        else:
            notices.append(f"「{field.label if field else name}」的取值无效,已忽略。")
    return notices


def resolve_region(user: User, ids: list[int], notices: list[str]) -> Region | None:
    """The deepest region of the cascading selects inside the account's subtree (None: the whole scope).

    A region outside the subtree (or one that does not exist) is ignored with the same notice, so that
    nothing is revealed; the notice is appended to `notices`.
    """
    account = user.region if user.is_authenticated and user.region_id else None
    if not ids or account is None:
        return None
    found = {r.pk: r for r in Region.objects.filter(pk__in=ids)}
    current: Region | None = None
    for pk in ids:
        region = found.get(pk)
        if region is None or not region.code.startswith(account.prefix):
            notices.append("所选区划不在您的管辖范围内,已忽略。")
            break
        if current is not None and not region.code.startswith(current.prefix):
            break  # a stale lower select after the upper one changed
        current = region
    if current is not None and current.prefix == account.prefix:
        return None
    return current


# ---- a unit asked by its code (?region=<12-digit code>: the figures and dispatch pages) -----------------

REGION_CODE = re.compile(r"\d{12}", re.ASCII)


class NoRegion(Exception):
    """The account has no region: a page of "its unit" has nothing to show (the page says so)."""


def region_by_code(user: User, raw: str) -> Region:
    """The unit `?region=` names, the account's own when blank. A code that is none, a unit outside the
    account's subtree and a village group answer 404 alike (docs/security.md: nothing is revealed)."""
    raw = raw.strip()
    if not raw:
        if user.region is None:
            raise NoRegion
        return user.region
    if not REGION_CODE.fullmatch(raw) or not code_in_scope(user, raw):
        raise Http404("没有找到这个区划。")
    found = Region.objects.filter(code=raw).exclude(level=Region.Level.GROUP).first()
    if found is None:
        raise Http404("没有找到这个区划。")
    return found


def region_breadcrumb(user: User, region: Region) -> list[Region]:
    """The units from the account's own down to `region` (one query); a unit above the account's is not
    named (the leak walk checks that no page names a unit out of scope)."""
    codes = [region.code[:n].ljust(12, "0") for n in (4, 6, 9) if len(region.prefix) > n]
    if not codes:
        return [region]
    above = {r.code: r for r in Region.objects.filter(code__in=codes)}
    chain = [above[c] for c in codes if c in above] + [region]
    return [r for r in chain if code_in_scope(user, r.code)]
