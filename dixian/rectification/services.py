"""Writes to the rectification ledger (docs/domain.md §25). Every write is one transaction and leaves a
history entry; the pages, the workbook import and the other ledgers all come through here."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from .models import Finding

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region


@transaction.atomic
def finding_raise(
    *,
    actor: User | None,
    source: str,
    category: str,
    title: str,
    region: Region,
    found_on: dt.date,
    description: str = "",
    origin_key: str | None = None,
) -> tuple[Finding, bool]:
    """File a finding (问题). With `origin_key`, a second call for the same origin returns the finding
    already filed and False instead of filing it again (a check that runs every night raises it once)."""
    if origin_key:
        existing = Finding.objects.filter(origin_key=origin_key).first()
        if existing is not None:
            return existing, False
    finding = Finding.objects.create(
        source=source,
        category=category,
        title=title,
        description=description,
        region=region,
        region_code=region.code,
        found_on=found_on,
        origin_key=origin_key or None,
        raised_by=actor,
    )
    return finding, True
