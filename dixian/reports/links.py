"""Links between the leaders' pages (dashboard, map, bulletin): the map links each unit to its dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse

if TYPE_CHECKING:
    from dixian.regions.models import Region

    from .periods import Period


def dashboard_url(region: Region, period: Period, mode: str) -> str:
    """The dashboard of `region` for the month and mode (docs/domain.md §21)."""
    return f"{reverse('reports:dashboard')}?{urlencode({'region': region.code, 'period': str(period), 'mode': mode})}"
