"""Test helpers of the key groups and 公益性岗位 (docs/domain.md §23): survey records, departments' facts, a
post and its holding, written straight to the tables (the survey's own services belong to another module)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dixian.feeds.models import FeedDelivery
from dixian.regions.models import Region
from dixian.registry.models import Household, Person

from ..models import DepartmentFact, Employment, KeyGroupMember, PostHolding, PublicPost


def record(
    person: Person,
    month: dt.date,
    *,
    working: bool,
    tier: str = "",
    channel: str = "",
    willing: bool | None = None,
    employer: str = "",
    recorded: dt.date | None = None,
) -> Employment:
    """The person's survey record of `month` (replaced if there is one)."""
    at = timezone.make_aware(dt.datetime.combine(recorded or month, dt.time(9)))
    row, _ = Employment.objects.update_or_create(
        person=person,
        month=month,
        defaults={
            "household_id": person.household_id,
            "region_code": person.region_code,
            "working": working,
            "place_tier": tier if working else "",
            "channel": (channel or "self") if working else "",
            "employer": employer,
            "not_working_reason": "" if working else "no_job",
            "willing": willing,
            "source": Employment.Source.FORM,
            "recorded_at": at,
        },
    )
    return row


def delivery(region: Region, feed: str) -> FeedDelivery:
    return FeedDelivery.objects.create(
        feed=feed,
        period="2026-01",
        channel="upload",
        region=region,
        checksum=f"{feed}-{region.code}".ljust(64, "0")[:64],
        status="accepted",
    )


def fact(person: Person, kind: str, on: dt.date, *, stage: str = "", feed: str = "") -> DepartmentFact:
    feed = feed or {"graduated": "education", "died": "civil_registry", "moved_out": "civil_registry"}.get(
        kind, "employment"
    )
    region = Region.objects.get(code=person.region_code[:12])
    found = FeedDelivery.objects.filter(feed=feed, region=region).first() or delivery(region, feed)
    return DepartmentFact.objects.create(
        person=person, region_code=person.region_code, delivery=found, kind=kind, on=on, stage=stage
    )


def post_in(village: Region, *, name: str = "村庄保洁员", start: dt.date = dt.date(2026, 1, 1)) -> PublicPost:
    return PublicPost.objects.create(
        region=village,
        region_code=village.code,
        name=name,
        post_type="cleaning",
        funding="bridging",
        monthly_pay=Decimal("800"),
        term_start=start,
        term_end=dt.date(2026, 12, 31),
    )


def holding_of(post: PublicPost, person: Person, start: dt.date, end: dt.date | None = None) -> PostHolding:
    return PostHolding.objects.create(
        post=post,
        person=person,
        household_id=person.household_id,
        region_code=post.region_code,
        start=start,
        end=end,
    )


def members(person: Person, group: str) -> list[tuple[dt.date, dt.date | None]]:
    return list(
        KeyGroupMember.objects.filter(person=person, group=group)
        .order_by("since")
        .values_list("since", "until")
    )


def head(h: Household) -> Person:
    return h.members.order_by("pk")[0]


def employment_records_of(h: Household) -> dict[str, int]:
    """For the walks (dixian/common/tests/test_no_leak.py): a key-group member (the household's head, 有就业意愿
    未就业), a 公益性岗位 of the household's village and its holding by the head. Made once per household."""
    person = head(h)
    member = KeyGroupMember.objects.filter(person=person).first()
    if member is None:
        member = KeyGroupMember.objects.create(
            person=person,
            household=h,
            region_code=person.region_code,
            group="willing_idle",
            since=dt.date(2026, 1, 1),
            entered_on=dt.date(2026, 1, 10),
            reason="2026年1月未务工、有就业意愿",
        )
    holding = PostHolding.objects.filter(person=person).first()
    if holding is None:
        holding = holding_of(post_in(h.region, name=f"{h.region.name}保洁员"), person, dt.date(2026, 1, 5))
    return {"key_group_member": member.pk, "public_post": holding.post_id, "post_holding": holding.pk}
