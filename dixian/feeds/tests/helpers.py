"""Deliveries to send in tests: valid medical rows, and the same rows as xlsx, csv or JSON."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter

from dixian.common.testing import fake_id

MEDICAL_HEADERS = [
    "结算单号",
    "姓名",
    "证件号码",
    "就诊类别",
    "结算日期",
    "医疗总费用",
    "统筹基金支付",
    "个人负担",
]


def medical_rows(n: int = 3, *, start: int = 1) -> list[list[Any]]:
    return [
        [
            f"JS{i:08d}",
            f"患者{i}",
            fake_id("360424", dt.date(1970, 1, 1), i),
            "住院",
            "2026-10-08",
            "1000.50",
            "800",
            "200.50",
        ]
        for i in range(start, start + n)
    ]


def csv_bytes(rows: list[list[Any]], headers: list[str] = MEDICAL_HEADERS, encoding: str = "utf-8") -> bytes:
    def cell(v: Any) -> str:
        text = "" if v is None else str(v)
        return f'"{text}"' if "," in text else text

    lines = [",".join(map(cell, headers))] + [",".join(map(cell, r)) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows: list[list[Any]], headers: list[str] = MEDICAL_HEADERS, *, title_rows: int = 0) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("医保结算")
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for k in range(title_rows):
        ws.write_string(k, 0, f"标题行{k + 1}")
    ws.write_row(title_rows, 0, headers)
    for i, row in enumerate(rows, start=title_rows + 1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_format)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(v))
    wb.close()
    return buf.getvalue()


def json_rows(rows: list[list[Any]], headers: list[str] = MEDICAL_HEADERS) -> list[dict[str, Any]]:
    return [dict(zip(headers, r, strict=True)) for r in rows]
