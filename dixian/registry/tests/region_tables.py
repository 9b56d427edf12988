"""A small statistical division code table built in code (synthetic names, real-looking codes under 3604),
written as the published table comes: .xlsx with a title line above the header, or csv in GBK."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

HEADER = ("统计用区划代码", "城乡分类代码", "名称")

# code, 城乡分类代码 (villages only), name. The world of registry.testing is 九江市 / 修水县 / 义宁镇 /
# 良塘村 + 桃坪村 and 都昌县 / 都昌镇 / 城西村.
PROVINCE = [("360000000000", "", "江西省")]
OTHER_CITIES = [
    ("360100000000", "", "南昌市"),
    ("360102000000", "", "东湖区"),
    ("360102001000", "", "公园街道"),
    ("360102001001", "111", "墩子塘社区"),
    ("360500000000", "", "新余市"),
    ("360502100201", "220", "某某村"),
]
CITY = [
    ("360400000000", "", "九江市"),
    ("360401000000", "", "市辖区"),  # older tables: no unit below it, skipped
    ("360424000000", "", "修水县"),
    ("360424100000", "", "义宁镇"),
    ("360424100201", "220", "良塘村"),
    ("360424100202", "210", "桃坪村"),
    ("360424101000", "", "白岭镇"),
    ("360424101201", "220", "白岭村"),
    ("360424101202", "121", "新街社区"),
    ("360428000000", "", "都昌县"),
    ("360428100000", "", "都昌镇"),
    ("360428100201", "122", "城西村"),
]


def table(
    *, without: tuple[str, ...] = (), renamed: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """The province's table: the province row, other cities around the city's rows."""
    renamed = renamed or {}
    city = [(c, u, renamed.get(c, n)) for c, u, n in CITY if c not in without]
    return [*PROVINCE, *OTHER_CITIES[:4], *city, *OTHER_CITIES[4:]]


def write_xlsx(
    path: Path, rows: list[tuple[str, str, str]], *, header: tuple[str, ...] = HEADER, numeric: bool = True
) -> Path:
    """Codes stored as numbers, as Excel does with a pasted code column (unless `numeric` is False)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("2023")
    sheet.write_row(0, 0, ["2023年统计用区划代码和城乡划分代码"])
    sheet.write_row(1, 0, header)
    for i, (code, urban_rural, name) in enumerate(rows, start=2):
        sheet.write(i, 0, int(code) if numeric else code)
        if urban_rural:
            sheet.write(i, 1, int(urban_rural) if numeric else urban_rural)
        sheet.write(i, 2, name)
    book.close()
    return path


def write_csv(
    path: Path,
    rows: list[tuple[str, str, str]],
    *,
    header: tuple[str, ...] = HEADER,
    encoding: str = "gbk",
) -> Path:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path
