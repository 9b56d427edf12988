"""Cases for tests and the demo, moved the way the platform moves them (`monitoring.services`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils import timezone

from dixian.domain import lifecycle as lc

from .models import CaseAttachment, Measure, MonitoringCase
from .services import case_advance

if TYPE_CHECKING:
    from dixian.accounts.models import User

# A one-page PDF: what a scanned authorisation looks like to the type check.
SMALL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def authorisation_on_file(case: MonitoringCase, by: User | None = None) -> CaseAttachment:
    """A signed authorisation row (the file itself is not needed by the state machine)."""
    return CaseAttachment.objects.create(
        case=case,
        kind=CaseAttachment.Kind.AUTHORISATION,
        path=f"cases/{case.pk}/authorisation.pdf",
        original_name="承诺授权书.pdf",
        content_type="application/pdf",
        size=len(SMALL_PDF),
        sha256=hashlib.sha256(SMALL_PDF).hexdigest(),
        uploaded_at=timezone.now(),
        uploaded_by=by,
    )


def walk_case(
    case: MonitoringCase,
    to_state: str,
    actors: Mapping[str, User],
    *,
    start: dt.date,
    category: str = "edge",
    risk_codes: tuple[str, ...] = ("01",),
) -> MonitoringCase:
    """Move `case` step by step to `to_state`, each step done by its owner on a plausible day from `start`
    (the notice kept for its five full days). `actors` maps each owner of lifecycle.OWNERS to an account
    of the case's region that may do its steps (registry.testing.step_actors for the test personas)."""
    by_owner = actors
    recorded = case.transitions.exclude(action__in=["open", "join", "import"])  # as case_advance bounds it
    last_on = recorded.order_by("-seq").values_list("on", flat=True).first()
    day = max(start, last_on) if last_on is not None else start
    while case.state != to_state:
        if not case.is_open:
            raise ValueError(f"cannot walk a closed case to {to_state}")
        data: dict[str, object] = {}
        method = ""
        if case.state == lc.HOME_CHECK:
            if not case.attachments.filter(kind=CaseAttachment.Kind.AUTHORISATION).exists():
                authorisation_on_file(case)
            data = {"category": category, "risk_codes": list(risk_codes)}
        if case.state in (lc.PUBLIC_NOTICE, lc.ELIM_NOTICE) and case.notice_posted_on:
            day = max(day, lc.notice_may_close_on(case.notice_posted_on))
        if case.state == lc.MONITORING:
            method = lc.ASSISTED
            if not Measure.objects.filter(case=case, status__in=Measure.APPLIED_STATUSES).exists():
                Measure.objects.create(
                    case=case,
                    category="industry",
                    item="产业奖补",
                    start_on=day,
                    deliverer="县农业农村局",
                    status=Measure.Status.APPLIED,
                    applied_on=day,
                )
            day = max(day, lc.months_after(case.identified_on or day, lc.ELIMINATION_MIN_MONTHS))
        case = case_advance(
            case=case, actor=by_owner[case.step.owner], seq=case.seq, on=day, data=data, method=method
        )
        day += dt.timedelta(days=1)
    return case
