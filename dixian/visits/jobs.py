"""Background work of the visits: photo files that no visit references are removed once a day.

A visit's photos are written before its rows, inside its transaction; a failure there removes them again
(visit_record), but not a rollback of an outer transaction or a process that dies half-way. Such files hold
personal data and nobody can reach them: the daily sweep deletes them once they are a day old (a newer one
may belong to a transaction still open).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dixian.common.jobs import job_schedule, schedule_due

from .models import VisitPhoto

logger = logging.getLogger("dixian.visits")

PHOTO_FOLDER = "visits"
KEEP_UNREFERENCED = dt.timedelta(days=1)
SWEEP_EVERY = dt.timedelta(days=1)


def orphan_photos_remove(now: dt.datetime | None = None) -> list[str]:
    """Delete the photo files older than a day that no VisitPhoto names; returns their storage names."""
    now = now or timezone.now()
    root = Path(settings.MEDIA_ROOT)
    folder = root / PHOTO_FOLDER
    if not folder.is_dir():
        return []
    cutoff = (now - KEEP_UNREFERENCED).timestamp()
    old = {
        path.relative_to(root).as_posix(): path
        for path in folder.rglob("*")
        if path.is_file() and path.stat().st_mtime < cutoff
    }
    if not old:
        return []
    names = sorted(old)
    referenced: set[str] = set()
    for i in range(0, len(names), 1000):
        referenced.update(
            VisitPhoto.objects.filter(image__in=names[i : i + 1000]).values_list("image", flat=True)
        )
    removed = []
    for name in names:
        if name not in referenced:
            old[name].unlink(missing_ok=True)
            removed.append(name)
    if removed:
        logger.info("removed %d photo files no visit references", len(removed))
    return removed


@job_schedule
def orphan_photos_schedule(now: dt.datetime) -> list[str] | None:
    """Once a day."""
    return orphan_photos_remove(now) if schedule_due("visit-photo-sweep", now, SWEEP_EVERY) else None
