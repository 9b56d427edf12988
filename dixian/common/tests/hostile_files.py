"""A corpus of hostile uploads, built in a temporary folder by the tests (no binaries in the repository):
each is a file that once aborted or exhausted the process reading it (docs/security.md §2)."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
SHEET = "xl/worksheets/sheet1.xml"


def xlsx(path: Path, sheet_parts: Iterable[str], *, prolog: str = SHEET_HEAD) -> Path:
    """A minimal workbook whose sheet XML is streamed from `sheet_parts` (never held whole)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open(SHEET, "w", force_zip64=True) as out:
            out.write(prolog.encode())
            for part in sheet_parts:
                out.write(part.encode())
    return path


def inline(ref: str, text: str = "x") -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sparse_sheet(path: Path) -> Path:
    """The 1.7 KB file of the issue: one cell, at XFD1048576, and the dimension that goes with it."""
    return xlsx(
        path,
        [
            '<dimension ref="A1:XFD1048576"/><sheetData>',
            f'<row r="1048576">{inline("XFD1048576")}</row>',
            "</sheetData></worksheet>",
        ],
    )


def sparse_no_dimension(path: Path) -> Path:
    """A1 and XFD1048576 and no <dimension>: calamine asks for a 512 GB rectangle and aborts."""
    return xlsx(
        path,
        [
            "<sheetData>",
            f'<row r="1">{inline("A1")}</row>',
            f'<row r="1048576">{inline("XFD1048576")}</row>',
            "</sheetData></worksheet>",
        ],
    )


def lying_dimension(path: Path) -> Path:
    """A <dimension> of A1:B2 over cells that reach XFD1048576 (with single quotes, valid XML too)."""
    return xlsx(
        path,
        [
            '<dimension ref="A1:B2"/><sheetData>',
            f'<row r="1">{inline("A1")}</row>',
            "<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>",
            "</sheetData></worksheet>",
        ],
    )


def zip_bomb(path: Path) -> Path:
    """A sheet that inflates 300 MB of blanks from a few hundred KB."""
    blank = " " * (1 << 20)
    return xlsx(
        path,
        [
            '<dimension ref="A1"/><sheetData>',
            f'<row r="1">{inline("A1")}</row>',
            *([blank] * 300),
            "</sheetData></worksheet>",
        ],
    )


def declared_huge(path: Path) -> Path:
    """A small sheet whose zip entry declares 3.7 GB uncompressed (the header rewritten)."""
    xlsx(path, ['<sheetData><row r="1">', inline("A1"), "</row></sheetData></worksheet>"])
    data = bytearray(path.read_bytes())
    name = SHEET.encode()
    huge = struct.pack("<I", 0xEE6B2800)
    # Central directory entry: uncompressed size at offset 24 of its header, the name at 46.
    at = data.find(b"PK\x01\x02" + b"\x00" * 0)
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            data[at + 24 : at + 28] = huge
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


def dense_sheet(path: Path, rows: int = 100_000, columns: int = 100, *, dimension: bool = True) -> Path:
    """rows × columns filled cells (10 million by default), written row by row from one template."""
    letters = [_letters(j) for j in range(1, columns + 1)]
    template = "".join(f'<c r="{col}\x00"><v>1</v></c>' for col in letters)

    def parts() -> Iterable[str]:
        yield (f'<dimension ref="A1:{letters[-1]}{rows}"/>' if dimension else "") + "<sheetData>"
        for r in range(1, rows + 1):
            yield f'<row r="{r}">' + template.replace("\x00", str(r)) + "</row>"
        yield "</sheetData></worksheet>"

    return xlsx(path, parts())


def deeply_nested(path: Path, depth: int = 500_000) -> Path:
    """Half a million nested elements inside a cell."""
    return xlsx(
        path,
        [
            '<dimension ref="A1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is>',
            "<r>" * depth,
            "<t>x</t>",
            "</r>" * depth,
            "</is></c></row></sheetData></worksheet>",
        ],
    )


def entity_expansion(path: Path) -> Path:
    """The billion laughs: entities of entities in the sheet's DTD."""
    dtd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]>\n"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    return xlsx(
        path,
        [
            '<dimension ref="A1"/><sheetData><row r="1">',
            '<c r="A1" t="inlineStr"><is><t>&j;</t></is></c>',
            "</row></sheetData></worksheet>",
        ],
        prolog=dtd,
    )


def not_a_workbook(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000)
    return path


def zip_not_xlsx(path: Path) -> Path:
    """An OpenDocument spreadsheet or any zip renamed .xlsx: no xl/workbook.xml."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def cells_without_reference(path: Path) -> Path:
    """16,384 cells with attributes but no r on row 1 (calamine puts each after the previous one) and a
    cell at A500000: a 500,000 × 16,384 rectangle, 262 GB, abort. Before, only `<c>` and `<c/>` were
    taken for cells without a reference."""
    return xlsx(
        path,
        [
            '<sheetData><row r="1">',
            '<c t="n"><v>1</v></c>' * 16_384,
            '</row><row r="500000"><c r="A500000"><v>1</v></c></row>',
            "</sheetData></worksheet>",
        ],
    )


HOSTILE_XLSX: dict[str, Callable[[Path], Path]] = {
    "sparse_xfd1048576": sparse_sheet,
    "sparse_no_dimension": sparse_no_dimension,
    "lying_dimension": lying_dimension,
    "zip_bomb": zip_bomb,
    "declared_huge": declared_huge,
    "dense_100k_x_100": dense_sheet,
    "dense_no_dimension": lambda p: dense_sheet(p, dimension=False),
    "deeply_nested": deeply_nested,
    "entity_expansion": entity_expansion,
    "not_a_workbook": not_a_workbook,
    "zip_not_xlsx": zip_not_xlsx,
    "empty": empty,
    "cells_without_reference": cells_without_reference,
}
