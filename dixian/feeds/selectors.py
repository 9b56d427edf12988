"""Reads for feed deliveries and API tokens: everything scoped by the account's region."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import region_range_q, user_prefix
from dixian.common.models import Job

from .models import ApiToken, FeedDelivery
from .services import token_hash

if TYPE_CHECKING:
    from dixian.accounts.models import User


def deliveries_for_user(user: User) -> QuerySet[FeedDelivery]:
    """Deliveries whose region lies inside the account's subtree, for the accounts that deliver department
    data or oversee deliveries (Capability.FEEDS_UPLOAD); none for others."""
    prefix = user_prefix(user)
    if prefix is None or not user_can(user, Capability.FEEDS_UPLOAD):
        return FeedDelivery.objects.none()
    return FeedDelivery.objects.filter(region_range_q(prefix, "region__code")).select_related(
        "region", "source"
    )


def delivery_get_for_user(user: User, pk: int) -> FeedDelivery:
    try:
        return deliveries_for_user(user).get(pk=pk)
    except FeedDelivery.DoesNotExist:
        raise Http404("报送不存在或不在您的管辖范围内") from None


def delivery_screening_job(delivery: FeedDelivery) -> Job | None:
    """The latest job screening the delivery: its own, or the one of its period it joined (deliveries
    landing close together are screened together, docs/security.md §3)."""
    for job in Job.objects.filter(kind="screen_delivery", params__period=delivery.period).order_by("-id")[
        :50
    ]:
        if delivery.pk in (job.params.get("delivery_ids") or ()):
            return job
    return Job.objects.filter(kind="screen_delivery", params__delivery_id=delivery.pk).order_by("-id").first()


def tokens_for_user(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_authenticate(key: str) -> ApiToken | None:
    """The live token for a key (its user active), or None."""
    if not key:
        return None
    return (
        ApiToken.objects.select_related("user", "user__region")
        .filter(key_hash=token_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
