"""Helpers shared by the self-declaration tests."""

from __future__ import annotations

import datetime as dt

from dixian.common.testing import fake_id

STRANGER_ID = fake_id("360424", dt.date(1985, 3, 4), 77)


def declaration_post(village_code: str, **overrides: str) -> dict[str, str]:
    data = {
        "name": "赵六",
        "id_number": STRANGER_ID,
        "phone": "13912345678",
        "village": village_code,
        "difficulty": "illness",
        "description": "老伴今年住院做了手术,自己花了三万多元,家里没有钱了。",
        "consent": "on",
        "captcha_0": "testkey",
        "captcha_1": "passed",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
