"""Writes for cadre visits (干部常态排查): one visit record, its photos, and an alert for each risk found."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.cases.models import Channel
from dixian.cases.services import FOLLOW_CHUNK, alert_add_evidence
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.uploads import UploadRefused, image_clean
from dixian.domain import lifecycle as lc
from dixian.monitoring.assistance import measure_follow_up, measures_open_for_follow_up
from dixian.monitoring.models import Measure, MonitoringCase
from dixian.regions.models import Region
from dixian.registry.signals import moved_rows, moves_by_region

from .models import VISIT_RISK_CODE, Visit, VisitPhoto, VisitRisk
from .selectors import helper_assigned_on, household_scope_for_recording

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dixian.accounts.models import User
    from dixian.registry.models import Household

MAX_DAYS_BACK = 90
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# The formats, the pixel limit and the stored size of a photo: dixian/common/uploads.py (image_clean).

# The grade each ticked risk raises, with the deadlines of docs/rules.md §1 (红 3 days, 橙 7, 黄 15):
# - 住房不安全, 意外事故, 自然灾害 are 红: a family may be without a safe roof or earner right now, and the
#   department rules for the same facts (R08 housing C/D, R09 disaster) are 红 too.
# - 患病, 新增残疾, 上学困难/辍学, 饮水不安全, 失业/务工不稳 are 橙: serious, but the cadre has seen the
#   household and nothing suggests it cannot wait a week for the village to verify; the department rules
#   grade the comparable facts 橙 (R03 major illness, R04 disability, R11 job loss) unless data shows worse.
# - 收入骤减 is 黄: it needs the income to be checked against the line before anything else (R13 is 黄).
VISIT_RISK_GRADE = {
    VisitRisk.HOUSING: "红",
    VisitRisk.ACCIDENT: "红",
    VisitRisk.DISASTER: "红",
    VisitRisk.ILLNESS: "橙",
    VisitRisk.DISABILITY: "橙",
    VisitRisk.SCHOOLING: "橙",
    VisitRisk.WATER: "橙",
    VisitRisk.JOB_LOSS: "橙",
    VisitRisk.INCOME_DROP: "黄",
}
METHOD_FOUND = {Visit.Method.HOME: "走访发现", Visit.Method.PHONE: "电话联系发现"}


def visit_date_check(visit_date: dt.date, *, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    if visit_date > today:
        raise ValidationError(
            {
                "visit_date": f"走访日期 {visit_date:%Y-%m-%d} 晚于今天({today:%Y-%m-%d}),请填写实际走访的日期。"
            }
        )
    earliest = today - dt.timedelta(days=MAX_DAYS_BACK)
    if visit_date < earliest:
        raise ValidationError(
            {
                "visit_date": f"走访日期 {visit_date:%Y-%m-%d} 已超过 {MAX_DAYS_BACK} 天"
                f"(最早可填 {earliest:%Y-%m-%d});更早的走访请联系乡镇补录说明。"
            }
        )


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    extension: str


def photo_clean(upload: UploadedFile[bytes]) -> CleanPhoto:
    """Check an uploaded photo by its content (not its name) and re-encode it without EXIF metadata.

    Re-encoding drops whatever rides along in the file (GPS position, camera serial, embedded thumbnails,
    trailing data) and turns the image upright first, so the stored photo looks the way it was taken.
    """
    name = upload.name or "照片"
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(f"照片「{name}」超过 10 MB,请压缩后再上传。")
    data = upload.read()
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(f"照片「{name}」超过 10 MB,请压缩后再上传。")
    try:
        clean = image_clean(data, name)  # the same check as the monitoring cases' attachments
    except UploadRefused as exc:
        raise ValidationError(exc.message) from None
    return CleanPhoto(content=clean.content, extension=clean.extension)


def household_open_case(household: Household) -> MonitoringCase | None:
    """The household's monitoring case still open (one at most), which a visit is recorded under."""
    return MonitoringCase.objects.filter(household=household).exclude(state__in=lc.CLOSED).first()


def visit_region(household: Household) -> Region:
    """The village that must check an alert of the household (its group's village for a 组)."""
    region = household.region
    if region.level == Region.Level.GROUP and region.parent is not None:
        return region.parent
    return region


def visitor_name(user: User) -> str:
    return user.get_full_name() or user.username


def visit_record(
    *,
    household: Household,
    visit_date: dt.date,
    method: str,
    risks: Sequence[str],
    notes: str,
    photos: Sequence[UploadedFile[bytes] | CleanPhoto],
    actor: User,
    measure: Measure | None = None,
) -> Visit:
    """Record a visit by `actor` and raise (or add evidence to) an alert for each risk found.

    The evidence of a risk is identified by (household, risk, visit date, visitor): submitting the same
    visit again adds nothing to the alert, a visit on another day adds a second piece of evidence. A
    submission identical to a stored visit (same household, day, visitor, method, risks and notes — a
    double tap on a slow connection) returns the stored visit and stores nothing, not even its photos.
    Everything is written in one transaction; photo files written before a failure are removed again.

    The visit is linked to the household's open monitoring case, if any; `measure`, a planned or applied
    measure of that case, is the one the visit followed up (docs/domain.md §20): the measure then shows
    this visit as its latest follow-up.
    """
    if not household_scope_for_recording(actor).filter(pk=household.pk).exists():
        raise PermissionDenied("您不能为该户记录走访")
    visit_date_check(visit_date)
    if not user_can(actor, Capability.REGISTRY_EDIT) and not helper_assigned_on(actor, household, visit_date):
        raise ValidationError(
            {
                "visit_date": f"{visit_date:%Y-%m-%d} 您尚未与该户结对帮扶,不能记录这一天的走访;请核对走访日期。"
            }
        )
    if method not in Visit.Method.values:
        raise ValidationError({"method": "请选择走访方式:入户走访或电话联系。"})
    unknown = [r for r in risks if r not in VisitRisk.values]
    if unknown:
        raise ValidationError({"risks": f"未知的风险项:{'、'.join(unknown)}"})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": f"最多上传 {MAX_PHOTOS} 张照片,您选择了 {len(photos)} 张。"})
    notes = notes.strip()
    if len(notes) > 2000:
        raise ValidationError({"notes": "情况记录最多 2000 字,请精简。"})
    # In checklist order, once each: the record reads the same however the boxes were ticked.
    ticked = [r for r in VisitRisk.values if r in set(risks)]
    cleaned = [p if isinstance(p, CleanPhoto) else photo_clean(p) for p in photos]
    if measure is not None and measure.pk not in {
        m.pk for m in measures_open_for_follow_up(actor, household)
    }:
        raise ValidationError({"measure": "所选帮扶措施不属于该户正在办理的监测帮扶档案,请重新选择。"})

    written: list[str] = []
    try:
        with transaction.atomic():
            duplicate = _same_visit(household, visit_date, actor, method, notes, ticked, measure)
            if duplicate is not None:
                return duplicate
            visit = _visit_store(
                household, visit_date, method, ticked, notes, cleaned, actor, written, measure
            )
    except BaseException:
        # The rows are rolled back; the files are not, and they hold personal data.
        for name in written:
            default_storage.delete(name)
        raise
    return visit


def _same_visit(
    household: Household,
    visit_date: dt.date,
    actor: User,
    method: str,
    notes: str,
    ticked: list[str],
    measure: Measure | None,
) -> Visit | None:
    candidates = (
        Visit.objects.select_for_update()
        .filter(
            household=household,
            visit_date=visit_date,
            visitor=actor,
            method=method,
            notes=notes,
            measure=measure,
        )
        .order_by("id")
    )
    return next((v for v in candidates if v.risks == ticked), None)


def _visit_store(
    household: Household,
    visit_date: dt.date,
    method: str,
    ticked: list[str],
    notes: str,
    photos: list[CleanPhoto],
    actor: User,
    written: list[str],
    measure: Measure | None = None,
) -> Visit:
    visit = Visit.objects.create(
        household=household,
        region_code=household.region_code,
        visit_date=visit_date,
        visitor=actor,
        method=method,
        risks=ticked,
        has_risks=bool(ticked),
        notes=notes,
        case=measure.case if measure is not None else household_open_case(household),
        measure=measure,
    )
    if measure is not None:
        measure_follow_up(measure=measure, actor=actor, on=visit_date, how=Visit.Method(method).label)
    for photo in photos:
        record = VisitPhoto(visit=visit)
        # A random name: the original file name may carry a person's name or ID number.
        record.image.save(f"{uuid.uuid4().hex}.{photo.extension}", ContentFile(photo.content), save=False)
        assert record.image.name is not None  # FieldFile.save() has just set it to the stored name
        written.append(record.image.name)
        record.save()

    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="visit",
        entity_id=visit.pk,
        household_id=household.pk,
        action=ChangeLog.Action.CREATE,
        changes={"visit_date": [None, visit_date.isoformat()], "method": [None, method]},
        summary=f"走访记录:{visit_date:%Y-%m-%d} {Visit.Method(method).label}"
        + (f",跟进帮扶措施“{measure.item}”" if measure is not None else "")
        + (f",发现风险 {len(ticked)} 项" if ticked else ",未发现风险")
        + (f",照片 {len(photos)} 张" if photos else ""),
    )
    found = METHOD_FOUND[Visit.Method(method)]
    labels = dict(VisitRisk.choices)
    region = visit_region(household)
    for risk in ticked:
        alert_add_evidence(
            household=household,
            region=region,
            risk_code=VISIT_RISK_CODE[risk],
            channel=Channel.CADRE_VISIT,
            grade=VISIT_RISK_GRADE[VisitRisk(risk)],
            reason=f"{visit_date:%Y-%m-%d} {found}:{labels[risk]}(走访人 {visitor_name(actor)})",
            # Not the visit's pk: a second record of the same visit must not count as new evidence.
            dedup_parts=("visit", visit_date.isoformat(), actor.pk),
            visit=visit,
            actor=actor,
        )
    return visit


def visits_follow_households(*, moves: Mapping[int, Region], **_: object) -> dict[int, dict[str, list[int]]]:
    """A moved household's visits take its new code: they are scoped by where the household lives now
    (docs/security.md §4). Connected to registry's `household_moved` (apps.py), in the move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for i in range(0, len(pks), FOLLOW_CHUNK):
            visits = Visit.objects.filter(household_id__in=pks[i : i + FOLLOW_CHUNK])
            rows = list(visits.order_by().values_list("pk", "household_id"))
            visits.update(region_code=region.code)
            for owner, found in moved_rows(rows, str(Visit._meta.verbose_name)).items():
                moved.setdefault(owner, {}).update(found)
    return moved
