"""Writes for self-declarations: the public submission, the rate limits that guard it, and staff handling.

A submission stores the declaration and raises (or adds to) the alert of the household it matches by ID
number, in one transaction. A person who is not in the registry gets an alert of their own, routed to the
village they named (a possible 应纳未纳 case). Whatever the registry holds, the applicant sees the same
answer: the alert is raised either way, with the same steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence
from dixian.cases.services import FOLLOW_CHUNK, alert_add_evidence
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.ratelimit import rate_limit_take
from dixian.registry.models import Person
from dixian.registry.signals import moved_rows, moves_by_region, region_village

from .models import DIFFICULTY_RISK, Bucket, Declaration, Difficulty
from .validation import reference_new

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region
    from dixian.registry.models import Household

# docs/domain.md §4: the township accepts a declaration within 2 days and visits within 2–5 working days;
# the alert is 橙 (act within 7 days).
DECLARATION_GRADE = "橙"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def declare_ip_limit() -> tuple[int, dt.timedelta]:
    return settings.DIXIAN_DECLARE_PER_IP_HOUR, HOUR


def declare_id_limit() -> tuple[int, dt.timedelta]:
    return settings.DIXIAN_DECLARE_PER_ID_DAY, DAY


def lookup_ip_limit() -> tuple[int, dt.timedelta]:
    return settings.DIXIAN_LOOKUPS_PER_IP_HOUR, HOUR


def lookup_take(*, ip: str, at: dt.datetime | None = None) -> None:
    limit, window = lookup_ip_limit()
    rate_limit_take(bucket=Bucket.LOOKUP_IP, value=ip, limit=limit, window=window, at=at)


def captcha_ip_limit() -> tuple[int, dt.timedelta]:
    return settings.DIXIAN_CAPTCHAS_PER_IP_HOUR, HOUR


def captcha_take(*, ip: str, at: dt.datetime | None = None) -> None:
    """Count one bot check drawn for `ip` (a form shown, 换一张); RateLimited when too many (docs/security.md §7)."""
    limit, window = captcha_ip_limit()
    rate_limit_take(bucket=Bucket.CAPTCHA_IP, value=ip, limit=limit, window=window, at=at)


def captcha_image_take(*, ip: str, at: dt.datetime | None = None) -> None:
    """Count one captcha image drawn for `ip`: a page may load its image a few times (zoom, 2x screens)."""
    limit, window = captcha_ip_limit()
    rate_limit_take(bucket=Bucket.CAPTCHA_IMAGE_IP, value=ip, limit=3 * limit, window=window, at=at)


def wrong_captcha_take(*, ip: str, at: dt.datetime | None = None) -> None:
    """A wrong bot-check answer uses one of the network's declarations (docs/security.md §7): guessing the
    sum costs as much as submitting, so the small answer space cannot be walked. RateLimited when spent."""
    limit, window = declare_ip_limit()
    rate_limit_take(bucket=Bucket.DECLARE_IP, value=ip, limit=limit, window=window, at=at)


# ---- submission ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationInput:
    """A declaration as the form cleaned it (normalised name, ID number, phone)."""

    name: str
    id_number: str
    phone: str
    village: Region
    difficulty: str
    description: str
    consent: bool


def declaration_reason(difficulty: str, reference: str) -> str:
    return f"农户自主申报:{Difficulty(difficulty).label}(申报编号 {reference})"


def _create_with_reference(data: DeclarationInput, household_id: int | None, at: dt.datetime) -> Declaration:
    yymm = timezone.localtime(at).strftime("%y%m")
    for _ in range(10):
        try:
            with transaction.atomic():
                return Declaration.objects.create(
                    reference=reference_new(yymm),
                    village=data.village,
                    region_code=data.village.code,
                    name=data.name,
                    id_number=data.id_number,
                    phone=data.phone,
                    difficulty=data.difficulty,
                    description=data.description,
                    consent=data.consent,
                    household_id=household_id,
                )
        except IntegrityError:  # a reference drawn twice (one in 10^8 per pair): draw again
            continue
    raise RuntimeError("could not draw an unused declaration reference")


@transaction.atomic
def declaration_submit(*, data: DeclarationInput, ip: str, at: dt.datetime | None = None) -> Declaration:
    """Store a declaration from the public page and raise its alert; RateLimited when over a limit.

    The same steps run whether or not the ID number is in the registry (one person lookup, one declaration,
    one alert evidence, one audit row), so that neither the answer nor its timing tells the two apart.
    """
    if not data.consent:
        raise ValidationError("请勾选同意核查家庭经济状况,否则无法受理申报")
    if data.village.level != "village":
        raise ValidationError("请选择您所在的村")
    at = at or timezone.now()
    limit, window = declare_ip_limit()
    rate_limit_take(bucket=Bucket.DECLARE_IP, value=ip, limit=limit, window=window, at=at)
    limit, window = declare_id_limit()
    rate_limit_take(bucket=Bucket.DECLARE_ID, value=data.id_number, limit=limit, window=window, at=at)

    person = Person.objects.filter(id_number=data.id_number).select_related("household__region").first()
    household = person.household if person is not None else None
    declaration = _create_with_reference(data, household.pk if household else None, at)
    alert_add_evidence(
        household=household,
        region=household.region if household else data.village,
        risk_code=DIFFICULTY_RISK[data.difficulty],
        channel="self_declared",
        grade=DECLARATION_GRADE,
        reason=declaration_reason(data.difficulty, declaration.reference),
        dedup_parts=("declaration", declaration.reference),
        subject_name="" if household else data.name,
        declaration=declaration,
        at=at,
    )
    change_record(
        actor=None,
        source=ChangeLog.Source.WEB,
        entity="declaration",
        entity_id=declaration.pk,
        household_id=household.pk if household else None,
        action=ChangeLog.Action.CREATE,
        summary=f"农户自主申报 {declaration.reference}:{declaration.get_difficulty_display()}",
    )
    return declaration


# ---- staff handling -----------------------------------------------------------------------------

# 受理 (received on submission) → 核实中 → 未纳入 by hand; 已纳入 only by following the case's county
# approval through the alert (docs/domain.md §20).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Declaration.Status.RECEIVED: (Declaration.Status.VERIFYING,),
    Declaration.Status.VERIFYING: (Declaration.Status.DISMISSED,),
}
# What the staff page calls each step (the Status labels are worded for the applicant).
STAFF_LABELS: dict[str, str] = {
    Declaration.Status.RECEIVED: "已受理",
    Declaration.Status.VERIFYING: "核实中",
    Declaration.Status.CONFIRMED: "已纳入",
    Declaration.Status.DISMISSED: "未纳入",
}


@transaction.atomic
def declaration_set_status(
    *, declaration: Declaration, status: str, note: str, actor: User, following: bool = False
) -> Declaration:
    """Move a declaration one step on; 未纳入 needs a reason (a refusal must give reasons, docs/domain.md §5).

    已纳入 is never set by hand: it follows the monitoring case's county approval through the alert
    (`following=True`, from `declarations_follow_alert`; docs/domain.md §20)."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if status == Declaration.Status.CONFIRMED and not following:
        raise ValidationError(
            "“已纳入”随监测帮扶档案的县级审定自动更新,不能在申报页面直接办理;请在预警线索中拟纳入"
        )
    allowed = ALLOWED_TRANSITIONS.get(declaration.status, ())
    if status not in allowed and not (following and status == Declaration.Status.CONFIRMED):
        current = STAFF_LABELS[Declaration.Status(declaration.status)]
        wanted = STAFF_LABELS.get(status, status) if status in Declaration.Status.values else status
        raise ValidationError(f"申报当前为“{current}”,不能改为“{wanted}”,请刷新页面后再试")
    note = note.strip()
    if status == Declaration.Status.DISMISSED and not note:
        raise ValidationError("核实后不纳入的,必须填写理由(将作为答复申报人的依据)")
    if len(note) > 500:
        raise ValidationError(f"办理说明最多500字(现在{len(note)}字),请精简")
    old = declaration.status
    declaration.status = status
    declaration.status_note = note
    declaration.handled_by = actor
    declaration.save(update_fields=["status", "status_note", "handled_by", "updated_at"])
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="declaration",
        entity_id=declaration.pk,
        household_id=declaration.household_id,
        action=ChangeLog.Action.UPDATE,
        changes={"status": [old, status], **({"status_note": ["", note]} if note else {})},
        summary=(
            f"自主申报 {declaration.reference}:{STAFF_LABELS[Declaration.Status(old)]} → "
            f"{STAFF_LABELS[Declaration.Status(status)]}"
        ),
    )
    return declaration


@transaction.atomic
def declaration_match(*, declaration: Declaration, household: Household, actor: User) -> Declaration:
    """The declarant was registered (登记并发起监测): the declaration now names that household (audited)."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.household_id == household.pk:
        return declaration
    if declaration.household_id is not None:
        raise ValidationError("该申报已匹配到登记农户,不能再登记")
    declaration.household = household
    declaration.save(update_fields=["household", "updated_at"])
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="declaration",
        entity_id=declaration.pk,
        household_id=household.pk,
        action=ChangeLog.Action.UPDATE,
        changes={"household": [None, household.pk]},
        summary=f"自主申报 {declaration.reference}:申报人已登记为农户 {household.household_no}",
    )
    return declaration


def declarations_follow_alert(*, alert: Alert, note: str, actor: User, **_: object) -> None:
    """The declarations behind an alert move with it, so that an applicant looking up a reference sees
    the village's verification: 核实中 (also while the case identifies the household), then 已纳入 on the
    case's county approval or 未纳入 (with the village's or the case's reason). A declaration
    already decided on its own page is left as it is; each step is audited as the declaration page does.

    Connected to cases' `alert_status_changed` signal (apps.py), so it runs inside the alert's transaction.
    """
    steps = {
        Alert.Status.VERIFYING: [Declaration.Status.VERIFYING],
        # 拟纳入: the case's identification is under way; the applicant sees 核实中 until it is decided.
        Alert.Status.PROPOSED: [Declaration.Status.VERIFYING],
        Alert.Status.CONFIRMED: [Declaration.Status.VERIFYING, Declaration.Status.CONFIRMED],
        Alert.Status.DISMISSED: [Declaration.Status.VERIFYING, Declaration.Status.DISMISSED],
    }.get(Alert.Status(alert.status), [])
    ids = AlertEvidence.objects.filter(alert=alert, declaration__isnull=False).values("declaration_id")
    for declaration in Declaration.objects.filter(
        pk__in=ids, status__in=[Declaration.Status.RECEIVED, Declaration.Status.VERIFYING]
    ).order_by("pk"):
        for step in steps:
            if step == Declaration.Status.VERIFYING and declaration.status != Declaration.Status.RECEIVED:
                continue
            declaration = declaration_set_status(
                declaration=declaration,
                status=step,
                note=note if step != Declaration.Status.VERIFYING else "",
                actor=actor,
                following=True,
            )


def declarations_follow_households(
    *, moves: Mapping[int, Region], **_: object
) -> dict[int, dict[str, list[int]]]:
    """The declarations matched to a moved household take its new village and code: they are personal data
    of that household, scoped by where it lives now (docs/security.md §4). A declaration that matched no
    household stays with the village it names. Connected to registry's `household_moved` (apps.py), in the
    move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        village = region_village(region)
        for i in range(0, len(pks), FOLLOW_CHUNK):
            declarations = Declaration.objects.filter(household_id__in=pks[i : i + FOLLOW_CHUNK])
            rows = list(declarations.order_by().values_list("pk", "household_id"))
            # A declaration names a village (the public page offers villages, never groups).
            declarations.update(village=village, region_code=village.code)
            for owner, found in moved_rows(rows, str(Declaration._meta.verbose_name)).items():
                moved.setdefault(owner, {}).update(found)
    return moved
