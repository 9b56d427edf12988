"""Test helpers of the funds app: the offices that work on money and projects (docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from dixian.accounts.models import User
from dixian.registry.testing import World, funds_offices


def funds_personas(world: World) -> dict[str, User]:
    """The county's finance office and a sector office that runs projects (the same accounts as the
    `people` fixture's "finance" and "sector", never a second copy), and the other county's finance office
    (to check scoping)."""
    return funds_offices(world)


def funds_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """A finance office's workbook: each sheet's rows as given (the first is the header), written as typed
    (numbers as numbers, dates as dates, text as text)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "constant_memory": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    ws.write_number(i, j, float(value))
                else:
                    ws.write_string(i, j, str(value))
    book.close()
    return path
