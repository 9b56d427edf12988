"""The cross-check with 人社 (比对, docs/domain.md §23): for a region and a month, the workers whose latest 人社
fact on or before the month's last day says one thing and the village's survey record of the month another.

- the fact is 就业登记 and the record says not working;
- the fact is 失业登记 or 社保断缴 and the record says working.

Both sides are returned (the record's working/tier/channel/reason, the fact's kind, date and employer) so the
village can look. The latest fact is one correlated subquery per shown row on the (person, on) index of
`DepartmentFact`; the records of the month come from the (region_code, month) index of `Employment`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, DateField, OuterRef, Q, QuerySet, Subquery

from dixian.common.access import region_range_q
from dixian.domain import employment as e

from .models import DepartmentFact, Employment

K = DepartmentFact.Kind
# 人社's facts: the employment feed's kinds (facts.py).
HR_KINDS: tuple[str, ...] = (K.EMPLOYED, K.UNEMPLOYED, K.INSURANCE_STOPPED)
NOT_EMPLOYED_KINDS: tuple[str, ...] = (K.UNEMPLOYED, K.INSURANCE_STOPPED)


def latest_hr_fact(month: dt.date) -> QuerySet[DepartmentFact]:
    """The latest 人社 fact of the outer row's person up to the month's last day (newest first; on a tie, the
    fact stored last)."""
    return DepartmentFact.objects.filter(
        person_id=OuterRef("person_id"), kind__in=HR_KINDS, on__lte=e.month_end(month)
    ).order_by("-on", "-pk")


def mismatches(prefix: str, month: dt.date) -> QuerySet[Employment]:
    """The survey records of `month` inside the region `prefix` that disagree with the latest 人社 fact,
    ordered by village and person, each annotated with `fact_kind`, `fact_on`, `fact_employer` and
    `fact_place`, with its person selected."""
    latest = latest_hr_fact(month)
    return (
        Employment.objects.filter(region_range_q(prefix), month=month)
        .annotate(
            fact_kind=Subquery(latest.values("kind")[:1], output_field=CharField()),
            fact_on=Subquery(latest.values("on")[:1], output_field=DateField()),
            fact_employer=Subquery(latest.values("employer")[:1], output_field=CharField()),
            fact_place=Subquery(latest.values("place")[:1], output_field=CharField()),
        )
        .filter(Q(fact_kind=K.EMPLOYED, working=False) | Q(fact_kind__in=NOT_EMPLOYED_KINDS, working=True))
        .select_related("person")
        .order_by("region_code", "person_id")
    )


def fact_label(kind: str) -> str:
    return str(K(kind).label) if kind in K.values else kind


def record_summary(record: Employment) -> str:
    """The village's side in words: 务工(省外 · 劳务输出) or 未务工(照料家庭,有就业意愿)."""
    if record.working:
        parts = [p for p in (record.get_place_tier_display(), record.get_channel_display()) if p]
        return "务工" + (f"({' · '.join(parts)})" if parts else "")
    parts = [record.get_not_working_reason_display()] if record.not_working_reason else []
    if record.willing is not None:
        parts.append("有就业意愿" if record.willing else "无就业意愿")
    return "未务工" + (f"({','.join(parts)})" if parts else "")
