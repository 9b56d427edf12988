"""Filters of the household list (农户信息) and its export: what the query string means, and its query.

One form (`HouseholdFilterForm`) reads the query string for the list page, the export and the export job,
so a filter means the same thing everywhere. It never widens anything: the result is always
`household_scope_for_user` narrowed further, and a region outside the account's subtree is ignored with a
message. Invalid values (unknown kind, garbage ids) are dropped with a message instead of failing.

Region: the cascading selects of dixian/common/filters.py (county → township → village, shared with the
alert and visit lists).

Search (`q`) at city scale (2.5 M persons) has to use an index, so its meaning depends on how wide the list
is (the selected region, or the account's region):
- township or narrower (≤ ~15k persons, read through the region_code index): any fragment of a member's
  name, ID number or phone, or of the 户编号;
- county or wider: a name from its first character (at least two characters), a full ID number (or, with
  the PII permission, its first 10+ digits), a full phone number, or the 户编号 (full, or its first 12+
  digits, i.e. a village). A one-character name at city scale would read ~10% of all persons.
Accounts without the PII permission (`may_view_pii`) may find a household by a full ID number they
already know, but never by a fragment (a fragment search would reveal the masked digits one at a time, the
birth date among them), and not by a phone number at all. Every search by a full ID or phone number is
rate-limited per account and recorded in the access log (docs/security.md §5). Health and disability are personal data too (the household page hides them from such accounts), so
those two filters need the same permission.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dixian.common.access import may_view_pii, region_range_q
from dixian.common.filters import RegionChainField, choices_with_blank, dropped_notices, resolve_region
from dixian.common.ratelimit import RateLimited, rate_limit_retry_at, rate_limit_take
from dixian.regions.models import Region

from . import choices as c
from .income_lines import below_line_exists, latest_income_year
from .models import GUARANTEE_GAP, MAJOR_ILLNESS, MONITORED, SEVERE_DISABILITY, Household, Person
from .parsing import ParseError, parse_phone

if TYPE_CHECKING:
    from dixian.accounts.models import User

# A region at this prefix length or deeper (a township) is small enough for substring search.
NARROW_PREFIX_LENGTH = Region.PREFIX_LENGTH["township"]
SEARCH_IDS_MAX = 2000  # matches (members or households) a search may have; beyond, ask for more precision
PII_NEEDED = "需开通查看个人信息权限"


class CategoryFilter(models.TextChoices):
    MONITORED = "monitored", "全部监测对象"
    UNSTABLE_EX_POOR = (
        c.MonitoringCategory.UNSTABLE_EX_POOR.value,
        c.MonitoringCategory.UNSTABLE_EX_POOR.label,
    )
    EDGE = c.MonitoringCategory.EDGE.value, c.MonitoringCategory.EDGE.label
    SUDDEN_HARDSHIP = c.MonitoringCategory.SUDDEN_HARDSHIP.value, c.MonitoringCategory.SUDDEN_HARDSHIP.label
    NOT_MONITORED = "none", "非监测对象"


class HealthFilter(models.TextChoices):
    ILL = "ill", "有慢性病或大病成员"
    CHRONIC = "chronic", "有长期慢性病成员"
    MAJOR_ILLNESS = "major_illness", "有大病成员"


class DisabilityFilter(models.TextChoices):
    DISABLED = "disabled", "有残疾成员"
    SEVERE = "severe", "有一、二级重度残疾成员"


class GuaranteeFilter(models.TextChoices):
    ANY = "any", "任一未保障"
    EDUCATION = "education", "义务教育未保障"
    MEDICAL = "medical", "基本医疗未保障"
    HOUSING = "housing", "住房安全未保障"
    WATER = "water", "饮水不安全"


class IncomeFilter(models.TextChoices):
    # The registry's latest income year (registry/income_lines.py), as the leaders' income figures count.
    BELOW_LINE = "below_line", "最近收入年度人均纯收入低于监测线"


GUARANTEE_Q = {
    GuaranteeFilter.ANY: GUARANTEE_GAP,  # the partial index's own condition, term for term
    GuaranteeFilter.EDUCATION: Q(education_ok=False),
    GuaranteeFilter.MEDICAL: Q(medical_ok=False),
    GuaranteeFilter.HOUSING: Q(housing_ok=False),
    GuaranteeFilter.WATER: Q(water_ok=False),
}


def prefix_q(field_name: str, value: str) -> Q:
    """`field` starts with `value`, in a form that the field's B-tree index serves on each database.

    PostgreSQL: LIKE 'x%' uses the varchar_pattern_ops index Django adds for indexed CharFields. SQLite
    uses an index for LIKE only with NOCASE columns, so there the prefix is a range of the binary order
    (every string that starts with x sorts between x and x followed by the highest code point).
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field_name}__gte": value, f"{field_name}__lt": value + "\U0010ffff"})
    return Q(**{f"{field_name}__startswith": value})


@dataclass(frozen=True)
class Search:
    """How `q` is matched; built by the form, which knows the account and the width of the list."""

    term: str
    narrow_prefix: str | None  # region prefix of a township-or-narrower list: substring search inside it
    pii: bool

    @property
    def is_number(self) -> bool:
        return bool(re.fullmatch(r"[0-9][0-9-]*[0-9Xx]?", self.term))

    @property
    def is_full_number(self) -> bool:
        """A complete ID number or phone (docs/security.md §5: rate-limited and logged)."""
        return self.is_full_id_number or self.is_full_phone

    @property
    def is_full_id_number(self) -> bool:
        return self.is_number and len(self.term.replace("-", "")) in (15, 18)

    @property
    def is_full_phone(self) -> bool:
        return self.is_number and not self.is_full_id_number and _phone_or_none(self.term) is not None

    def household_ids(self) -> QuerySet[Any]:
        """The ids of matching households, as one subquery (UNION ALL of index-served parts)."""
        parts = self._number_parts() if self.is_number else self._name_parts()
        first, *rest = parts
        return first.union(*rest, all=True) if rest else first

    def matching_ids(self) -> frozenset[int] | None:
        """The matching households' ids (one query), or None when more than SEARCH_IDS_MAX match.

        The page then sorts just those households. Left as a subquery, both databases walk the region
        index in order and probe every household for membership: fine for dense matches, 200+ ms for
        3,000 matches spread over a city. A search matching thousands is not a search anyway.
        """
        ids = list(self.household_ids()[: SEARCH_IDS_MAX + 1])
        return frozenset(ids) if len(ids) <= SEARCH_IDS_MAX else None

    def _persons(self) -> QuerySet[Person]:
        qs = Person.objects.all()
        if self.narrow_prefix:
            qs = qs.filter(region_range_q(self.narrow_prefix))
        return qs

    def _households(self) -> QuerySet[Household]:
        qs = Household.objects.all()
        if self.narrow_prefix:
            qs = qs.filter(region_range_q(self.narrow_prefix))
        return qs

    def _name_parts(self) -> list[QuerySet[Any]]:
        q = Q(name__contains=self.term) if self.narrow_prefix else prefix_q("name", self.term)
        return [self._persons().filter(q).values_list("household_id", flat=True)]

    def _number_parts(self) -> list[QuerySet[Any]]:
        term = self.term.upper()
        digits = term.replace("-", "")
        parts: list[QuerySet[Any]] = []
        # 户编号 is not personal data: any fragment in a narrow list, else the full number or a village's prefix.
        if self.narrow_prefix:
            parts.append(
                self._households().filter(household_no__contains=digits).values_list("id", flat=True)
            )
        elif len(digits) >= 12:
            parts.append(
                self._households().filter(prefix_q("household_no", digits)).values_list("id", flat=True)
            )
        else:
            parts.append(self._households().filter(household_no=digits).values_list("id", flat=True))
        phone = _phone_or_none(term) if self.pii else None  # a phone only with the right (security.md §5)
        if len(digits) in (15, 18):
            parts.append(self._persons().filter(id_number=digits).values_list("household_id", flat=True))
        if phone:
            parts.append(self._persons().filter(phone=phone).values_list("household_id", flat=True))
            parts.append(self._households().filter(phone=phone).values_list("id", flat=True))
        if self.pii and self.narrow_prefix and len(digits) >= 3:
            parts.append(
                self._persons().filter(id_number__contains=digits).values_list("household_id", flat=True)
            )
            parts.append(
                self._persons().filter(phone__contains=digits).values_list("household_id", flat=True)
            )
            parts.append(self._households().filter(phone__contains=digits).values_list("id", flat=True))
        elif self.pii and 10 <= len(digits) < 18:
            parts.append(
                self._persons().filter(prefix_q("id_number", digits)).values_list("household_id", flat=True)
            )
        return parts


# --- searches by a full number: rate-limited per account (docs/security.md §5) ----------------------------

SEARCH_BUCKET = "al-fullnum-search"
MISS_BUCKET = "al-fullnum-miss"
FULL_NUMBER_MISSES_PER_DAY = 10


def _account_key(user: User) -> str:
    return f"account:{user.pk}"


def full_number_search_take(user: User, *, pii: bool) -> None:
    """Count one search by a full number, or raise RateLimited (the hourly limit; without the right, also
    when the day's misses are spent)."""
    if not pii:
        retry = rate_limit_retry_at(
            bucket=MISS_BUCKET,
            value=_account_key(user),
            limit=FULL_NUMBER_MISSES_PER_DAY,
            window=dt.timedelta(days=1),
        )
        if retry is not None:
            raise RateLimited(MISS_BUCKET, retry, FULL_NUMBER_MISSES_PER_DAY, dt.timedelta(days=1))
    rate_limit_take(
        bucket=SEARCH_BUCKET,
        value=_account_key(user),
        limit=settings.DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR,
        window=dt.timedelta(hours=1),
    )


def full_number_missed(user: User) -> None:
    """A full-number search without the right found nothing: one of the day's misses."""
    with contextlib.suppress(RateLimited):  # already at the limit: the next search is refused anyway
        rate_limit_take(
            bucket=MISS_BUCKET,
            value=_account_key(user),
            limit=FULL_NUMBER_MISSES_PER_DAY,
            window=dt.timedelta(days=1),
        )


def _phone_or_none(term: str) -> str | None:
    try:
        return parse_phone(term) or None
    except ParseError:
        return None


@dataclass(frozen=True)
class HouseholdFilters:
    """A validated set of list filters. Built by `HouseholdFilterForm.filters()` (or directly in tests)."""

    region: Region | None = None
    kind: str = ""
    category: str = ""
    health: str = ""
    disability: str = ""
    guarantee: str = ""
    income: str = ""
    q: str = ""
    search: Search | None = None
    search_ids: frozenset[int] | None = None  # the search's matches, when the form already read them
    blocked: bool = False  # the search text cannot be used (too short, or matches too many): show nothing
    full_number: str = ""  # the term, when it was a full ID or phone number (the list logs the search)
    notices: tuple[str, ...] = field(default_factory=tuple)

    def apply(self, qs: QuerySet[Household]) -> QuerySet[Household]:
        """Narrow an already scoped queryset. Never widens it: every condition is an AND."""
        if self.blocked:
            return qs.none()
        if self.region is not None:
            # The region's range goes in front of the scope's wider range on the same column: SQLite seeks
            # the index with the first range it meets, and would otherwise walk the whole scope.
            qs = Household.objects.filter(region_range_q(self.region.prefix)) & qs
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.category == CategoryFilter.NOT_MONITORED:
            qs = qs.filter(monitoring_category="")
        elif self.category:
            # MONITORED repeats the partial index's condition, so SQLite reads that small index, in order.
            qs = qs.filter(MONITORED)
            if self.category != CategoryFilter.MONITORED:
                qs = qs.filter(monitoring_category=self.category)
        if self.health:
            # has_illness is the denormalised pre-filter; the member condition decides.
            qs = qs.filter(has_illness=True)
            if self.health == HealthFilter.CHRONIC:
                qs = qs.filter(
                    Exists(
                        Person.objects.filter(household=OuterRef("pk"), health_status=c.HealthStatus.CHRONIC)
                    )
                )
            elif self.health == HealthFilter.MAJOR_ILLNESS:
                qs = qs.filter(Exists(Person.objects.filter(MAJOR_ILLNESS, household=OuterRef("pk"))))
        if self.disability:
            qs = qs.filter(has_disability=True)
            if self.disability == DisabilityFilter.SEVERE:
                qs = qs.filter(Exists(Person.objects.filter(SEVERE_DISABILITY, household=OuterRef("pk"))))
        if self.guarantee:
            qs = qs.filter(GUARANTEE_Q[GuaranteeFilter(self.guarantee)])
        if self.income == IncomeFilter.BELOW_LINE:
            year = latest_income_year(timezone.localdate().year)
            below = below_line_exists(year) if year is not None else None
            qs = qs.filter(below) if below is not None else qs.none()
        if self.search is not None:
            ids = self.search_ids if self.search_ids is not None else self.search.matching_ids()
            qs = qs.filter(pk__in=ids) if ids is not None else qs.none()
        return qs

    def params(self) -> list[tuple[str, str]]:
        """The canonical query string of these filters (what the page pushes into the address bar)."""
        out: list[tuple[str, str]] = []
        if self.region is not None:
            out.append(("region", str(self.region.pk)))
        for name in ("kind", "category", "health", "disability", "guarantee", "income", "q"):
            value = getattr(self, name)
            if value:
                out.append((name, value))
        return out

    def describe(self) -> list[tuple[str, str]]:
        """(label, value) of each filter in use, for the export's 说明 sheet."""
        labels = {
            "kind": ("户类型", dict(c.HouseholdKind.choices)),
            "category": ("监测类别", dict(CategoryFilter.choices)),
            "health": ("健康", dict(HealthFilter.choices)),
            "disability": ("残疾", dict(DisabilityFilter.choices)),
            "guarantee": ("三保障及饮水", dict(GuaranteeFilter.choices)),
            "income": ("收入", dict(IncomeFilter.choices)),
        }
        out = [("区划", self.region.full_name or self.region.name)] if self.region is not None else []
        for name, (label, names) in labels.items():
            value = getattr(self, name)
            if value:
                out.append((label, str(names.get(value, value))))
        if self.q:
            out.append(("查找", self.q))
        return out


class HouseholdFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    kind = forms.ChoiceField(
        label="户类型", required=False, choices=choices_with_blank(c.HouseholdKind.choices)
    )
    category = forms.ChoiceField(
        label="监测类别", required=False, choices=choices_with_blank(CategoryFilter.choices)
    )
    health = forms.ChoiceField(
        label="健康状况", required=False, choices=choices_with_blank(HealthFilter.choices, "不限")
    )
    disability = forms.ChoiceField(
        label="残疾", required=False, choices=choices_with_blank(DisabilityFilter.choices, "不限")
    )
    guarantee = forms.ChoiceField(
        label="三保障及饮水", required=False, choices=choices_with_blank(GuaranteeFilter.choices, "不限")
    )
    income = forms.ChoiceField(
        label="收入", required=False, choices=choices_with_blank(IncomeFilter.choices, "不限")
    )
    q = forms.CharField(
        label="查找",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "姓名、身份证号、电话或户编号", "autocomplete": "off"}
        ),
    )

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user
        self.pii = may_view_pii(user)
        if not self.pii:
            for name in ("health", "disability"):
                self.fields[name].disabled = True
                self.fields[name].help_text = PII_NEEDED
        self._region: Region | None = None
        self._search: Search | None = None
        self._search_ids: frozenset[int] | None = None
        self._blocked = False
        self._full_number = ""
        self._notices: list[str] = []

    def clean_region(self) -> list[int]:
        ids: list[int] = self.cleaned_data.get("region") or []
        self._region = resolve_region(self.user, ids, self._notices)
        return ids

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what BaseForm.clean() returns; its stub says dict | None
        if not self.pii and any(self.data.get(name) for name in ("health", "disability")):
            self._notices.append(f"按健康状况、残疾筛选{PII_NEEDED},已忽略。")
        term = cleaned["q"] = re.sub(r"\s+", "", cleaned.get("q") or "")
        if term:
            account = self.user.region if getattr(self.user, "region_id", None) else None
            width = self._region.prefix if self._region is not None else (account.prefix if account else "")
            narrow = width if len(width) >= NARROW_PREFIX_LENGTH else None
            self._search = Search(term=term, narrow_prefix=narrow, pii=self.pii)
            if not narrow and not self._search.is_number and len(term) < 2:
                self._blocked = True
                self._notices.append(
                    "在县级及以上范围按姓名查找,请至少输入两个字;或先选择乡镇、村后按任意字查找。"
                )
                return cleaned
            if self._search.is_full_number and not self._full_number_allowed(self._search):
                self._blocked = True
                return cleaned
            if self._search.is_number and not self._search.is_full_number:
                if not self.pii:
                    self._notices.append(f"号码片段只按户编号查找;按身份证号或电话的片段查找{PII_NEEDED}。")
                elif not narrow:
                    self._notices.append(
                        "在县级及以上范围,身份证号需输入前10位以上;按尾号等片段查找请先选择乡镇或村。"
                    )
            self._search_ids = self._search.matching_ids()
            if self._search.is_full_number:
                self._full_number = term
                if not self._search_ids and not self.pii:
                    full_number_missed(self.user)
            if self._search_ids is None:
                self._blocked = True
                self._notices.append(
                    f"「{term}」的匹配结果超过 {SEARCH_IDS_MAX:,} 条,请输入更完整的姓名或号码,或先选择乡镇、村后再查找。"
                )
        return cleaned

    def _full_number_allowed(self, search: Search) -> bool:
        """The rules of a search by a full ID or phone number (docs/security.md §5); False with a notice.

        A phone number only with the personal-data right. Any full number: at most
        DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR per account; without the right, also at most
        FULL_NUMBER_MISSES_PER_DAY that find nothing (guessing the hidden digits of a masked number
        one candidate at a time misses almost every time).
        """
        if search.is_full_phone and not self.pii:
            self._notices.append(
                f"按完整电话号码查找{PII_NEEDED}(“查看完整个人信息”)。请按姓名、身份证号或户编号查找。"
            )
            return False
        try:
            full_number_search_take(self.user, pii=self.pii)
        except RateLimited as exc:
            until = timezone.localtime(exc.retry_at).strftime("%H:%M")
            self._notices.append(
                f"按完整身份证号或电话查找的次数已达上限(每小时 {exc.limit} 次,查无结果每天 "
                f"{FULL_NUMBER_MISSES_PER_DAY} 次),请于 {until} 后再试,或按姓名、户编号查找。"
                if exc.bucket == MISS_BUCKET
                else f"按完整身份证号或电话查找的次数已达上限(每小时 {exc.limit} 次),请于 {until} 后再试,"
                "或按姓名、户编号查找。"
            )
            return False
        return True

    def filters(self) -> HouseholdFilters:
        """The usable filters: invalid fields are dropped, each with a notice saying so."""
        dropped = dropped_notices(self, per_error={"q": "查找内容无效,已忽略:{error}"})
        notices = [*self._notices, *dropped]  # the search's own notices are made while validating
        data = {
            name: self.cleaned_data.get(name, "")
            for name in ("kind", "category", "health", "disability", "guarantee", "income")
        }
        if not self.pii:
            data["health"] = data["disability"] = ""
        return HouseholdFilters(
            region=self._region,
            q=self.cleaned_data.get("q", "") if self._search else "",
            search=self._search,
            search_ids=self._search_ids,
            blocked=self._blocked,
            full_number=self._full_number,
            notices=tuple(dict.fromkeys(notices)),
            **data,
        )
