"""Links between the leaders' pages (dashboard, map, bulletin) that are built in parallel (issue 15).

The map links each unit to that unit's dashboard. Until the dashboard's URL exists on the branch the map
is built on, `dashboard_url` answers None and the map shows its tiles without a link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

if TYPE_CHECKING:
    from dixian.regions.models import Region

    from .periods import Period


def dashboard_url(region: Region, period: Period, mode: str) -> str | None:
    """The dashboard of `region` for the month and mode (docs/domain.md §21), or None without a dashboard."""
    try:
        base = reverse("reports:dashboard")
    except NoReverseMatch:  # the dashboard lands separately; the lead removes this fallback at the merge
        return None
    return f"{base}?{urlencode({'region': region.code, 'period': str(period), 'mode': mode})}"
