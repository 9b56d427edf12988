"""`batched.in_batches`: the same rows as a plain IN list, on SQLite (batches of placeholders) and PostgreSQL (one
array), whatever the values hold."""

from __future__ import annotations

import pytest
from django.db import connection

from dixian.employment import batched
from dixian.regions.models import Region

pytestmark = pytest.mark.django_db


def matching(values: list[object], kind: batched.Kind, column: str) -> set:
    table = connection.ops.quote_name(Region._meta.db_table)
    found: set[object] = set()
    with connection.cursor() as cursor:
        for condition, params in batched.in_batches(values, kind):
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} {condition}", params)  # noqa: S608 - the model's table
            found.update(row[0] for row in cursor.fetchall())
    return found


def test_numbers_and_texts_find_their_rows(world, monkeypatch):
    monkeypatch.setattr(batched, "BATCH", 2)  # several batches on SQLite
    regions = list(Region.objects.values_list("pk", "code", "name"))
    pks = [pk for pk, _, _ in regions]
    assert matching([*pks, 10**12], "bigint", "id") == set(pks)
    codes = [code for _, code, _ in regions]
    assert matching([*codes, "999999999999"], "text", "code") == set(codes)
    assert list(batched.in_batches([], "bigint")) == []


def test_texts_holding_the_separator_or_quotes_are_matched_exactly(world):
    # A value with a comma cannot go through the joined string: the values go as an array (PostgreSQL). Split at
    # the comma, "a,b" would find the regions a and b.
    a, b = sorted(set(Region.objects.values_list("name", flat=True)))[:2]
    assert matching([f"{a},{b}"], "text", "name") == set()
    assert matching([a, f"{a},{b}", ",", '"', "{x}", "\\", "", "NULL"], "text", "name") == {a}
    # Without a comma or an empty value, through the joined string: nothing is read as SQL or as an array.
    assert matching([a, '"', "{x}", "{a,b}"[1:2], "\\", "NULL", " "], "text", "name") == {a}
    assert matching([b, "'); DROP TABLE x; --"], "text", "name") == {b}
    assert matching([""], "text", "name") == set() and matching([None, a], "text", "name") == {a}
    with pytest.raises(ValueError):
        list(batched.in_batches([1], "int; DROP TABLE x"))  # type: ignore[arg-type]  # a kind outside Kind is refused
