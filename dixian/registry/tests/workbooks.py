"""Test workbooks for the registry import, written with XlsxWriter like a county's own file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter
from stdnum.cn import ric

from dixian.registry.template import BY_FIELD


def make_id(birth: dt.date, seq: int, *, region6: str = "360424") -> str:
    """A valid 18-digit ID; odd `seq` gives a man, even a woman."""
    body = f"{region6}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def person_row(
    household_no: str, relation: str, name: str, birth: dt.date, seq: int, **extra: Any
) -> dict[str, Any]:
    """One row keyed by field name, with Chinese cell values as a county would type them."""
    row: dict[str, Any] = {
        "household_no": household_no,
        "region_code": "360424100201",
        "kind": "脱贫户",
        "year_out_of_poverty": 2018,
        "housing_grade": "B",
        "water_ok": "是",
        "address": "良塘村一组",
        "name": name,
        "id_number": make_id(birth, seq),
        "relation": relation,
        "ethnicity": "汉族",
        "health_status": "健康",
        "labour_skill": "普通劳动力",
        "medical_insurance": "城乡居民基本医疗保险",
        "dibao": "否",
        "phone": "",
        "year": 2025,
        "wages": 20000,
        "business": "3000.50",
        "transfers": 1200,
        "production_costs": 1000,
    }
    row.update(extra)
    return row


def family(no: str = "3604241002010001", *, first_seq: int = 1, **extra: Any) -> list[dict[str, Any]]:
    """A three-person household: head, spouse and a school-age son."""
    return [
        person_row(no, "户主", "张大山", dt.date(1970, 3, 1), first_seq, phone="13800001111", **extra),
        person_row(no, "配偶", "李秀英", dt.date(1972, 5, 6), first_seq + 1, **extra),
        person_row(
            no,
            "之子",
            "张小明",
            dt.date(2014, 9, 10),
            first_seq + 2,
            **{"student_status": "小学", "labour_skill": "无劳动力", **extra},
        ),
    ]


def write_workbook(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    fields: list[str] | None = None,
    headers: dict[str, str] | None = None,
    sheet: str = "农户信息",
    title_rows: int = 0,
    extra_columns: dict[str, str] | None = None,
) -> Path:
    """Write `rows` (dicts keyed by field) under the template's headers (or `headers` overrides).

    Values are written with their Python type: str as text, int/float as numbers, date as dates.
    """
    fields = fields or [f for f in BY_FIELD if any(f in r for r in rows)] or list(BY_FIELD)
    headers = headers or {}
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for t in range(title_rows):
        ws.write_string(t, 0, "修水县农户信息表")
    names = [headers.get(f, BY_FIELD[f].header) for f in fields] + list(extra_columns or {})
    for j, name in enumerate(names):
        ws.write_string(title_rows, j, name)
    for i, row in enumerate(rows, start=title_rows + 1):
        values = [row.get(f) for f in fields] + [row.get(k) for k in (extra_columns or {}).values()]
        for j, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, (dt.date, dt.datetime)):
                ws.write_datetime(
                    i,
                    j,
                    value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time()),
                    date_format,
                )
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(i, j, value)
            else:
                ws.write_string(i, j, str(value))
    wb.close()
    return path
