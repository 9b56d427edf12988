"""Test helpers of the lower layers: regions, ID numbers and accounts. The helpers that need registry's
models (a small world of households, the personas of style.md) are in dixian/registry/testing.py
(docs/architecture.md: common sits below registry)."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import ric

from dixian.accounts.models import User
from dixian.regions.models import Region

PASSWORD = "dixian-test-pass"  # noqa: S105 - test fixture


def region(code: str, name: str, level: str, parent: Region | None = None) -> Region:
    full = f"{parent.full_name}{name}" if parent else name
    return Region.objects.create(code=code, name=name, level=level, parent=parent, full_name=full)


def fake_id(region6: str, birth: dt.date, seq: int, *, female: bool = False) -> str:
    order = seq * 2 + (0 if female else 1)
    body = f"{region6}{birth:%Y%m%d}{order % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character (the check digit)


def persona(
    username: str, region_node: Region | None, *roles: str, pii: bool = False, feeds: list[str] | None = None
) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, region=region_node, roles=list(roles), feeds=feeds or []
    )
    user.can_view_pii = pii
    user.save(update_fields=["can_view_pii"])
    return user
