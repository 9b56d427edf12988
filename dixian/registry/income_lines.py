"""The income line in queries: which households' per-capita net income is below the line (docs/domain.md §2).

The household list's 收入 filter and the leaders' figures (reports/producers_registry.py) read the same
year and the same line through these two functions, so a figure and the list behind it agree.
"""

from __future__ import annotations

from django.db.models import Case, DecimalField, Exists, F, Max, OuterRef, Value, When

from .models import HouseholdIncome, IncomeLine


def latest_income_year(up_to: int) -> int | None:
    """The registry's latest income year up to `up_to`, as the screening reads it (screening/loading.py
    registry_load): one year for the whole city, whatever part of it a query reads."""
    found: int | None = HouseholdIncome.objects.filter(year__lte=up_to).aggregate(y=Max("year"))["y"]
    return found


def income_line_case(year: int, field: str = "household__region_code") -> Case | None:
    """The line of `year` that applies to each row's region code (`field`), as one SQL CASE: the most
    specific region's line wins, as in domain/income.py lines_by_year. None: no line is set for the year."""
    lines = [
        (line.region.prefix if line.region is not None else "", line.amount)
        for line in IncomeLine.objects.filter(year=year).select_related("region")
    ]
    if not lines:
        return None
    money = DecimalField(max_digits=10, decimal_places=2)
    default = next((amount for prefix, amount in lines if not prefix), None)
    whens = [
        When(**{f"{field}__startswith": prefix}, then=Value(amount, output_field=money))
        for prefix, amount in sorted(lines, key=lambda e: -len(e[0]))
        if prefix
    ]
    return Case(*whens, default=Value(default, output_field=money), output_field=money)


def below_line_exists(year: int) -> Exists | None:
    """For a household queryset: its income of `year` is below that year's line (None: no line set)."""
    line = income_line_case(year)
    if line is None:
        return None
    return Exists(
        HouseholdIncome.objects.filter(household=OuterRef("pk"), year=year)
        .annotate(line=line)
        .filter(line__isnull=False, net_income_per_capita__lt=F("line"))
    )
