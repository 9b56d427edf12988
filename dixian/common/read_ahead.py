"""Reading a large worksheet in parts while the rest of it is still being checked (docs/security.md §2,
docs/benchmarks.md "Issue 13, fifth try").

`uploads.check_xlsx` streams every worksheet's XML through its bound check. For the one sheet an importer
will read (`ReadAhead.path`), the checked pieces are also collected here and cut, right after a `</row>`,
into parts of about `part_bytes`; each part becomes a small stored zip (the workbook's own parts, the
sheet's head up to `<sheetData>`, the part's rows, the closing tags) that python-calamine parses in a
worker thread. Calamine releases the GIL while it parses, so on a machine with two cores the check of
part k+1 and the parse of part k run at the same time, and once the check is done two parts parse at once.

What keeps it safe and exact:

* calamine only ever sees bytes that have passed the check, piece by piece: every part is within the
  limits (the counts of the check are cumulative), whatever follows it;
* read-ahead runs only when the sheet declares a `<dimension>` within the limits (checked by then) and
  stops as soon as the sheet holds more rows or cells than it declared (plus a slack for `<col>` tags), so
  a refused file costs at most the memory that the file it claims to be would have cost;
* at most `workers` parts parse and one waits (the check waits for calamine rather than queue parts), and
  a workbook whose own parts (shared strings, styles …) exceed `MAX_COMMON_BYTES` is read whole, since
  every part carries a copy of them: memory stays within a few parts whatever the file;
* cells and rows without a reference (positional), prefixed tags, comments and CDATA sections, a part whose
  rows do not follow the previous part's, or any error or panic of calamine on a part: the read-ahead is
  dropped and the sheet is read whole afterwards, as before (`rows()` returns None);
* the parts' cells are put back on one grid from A1 exactly as calamine's `to_python(skip_empty_area=False)`
  gives the whole sheet: each part placed at its own start row and column, gaps and short rows filled with
  "" (a property test holds the two together, `common/tests/test_read_ahead.py`).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

logger = logging.getLogger("dixian.uploads")

MB = 1024 * 1024
PART_BYTES = 24 * MB  # sheet XML per part
MIN_SHEET_BYTES = 32 * MB  # smaller sheets are read whole once checked
MAX_HEAD = 4 * MB  # the sheet's head (up to <sheetData>) must come within this
WORKERS = 2
# The workbook's own parts (shared strings, styles …) go into every part's zip and are parsed again with it:
# above this, reading ahead would multiply them in memory and in work, so the sheet is read whole.
MAX_COMMON_BYTES = 32 * MB
SHEET_DATA = b"<sheetData>"
ROW_END = b"</row>"
CLOSE = b"</sheetData></worksheet>"
DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})?(\d+)?)?"')
UNSAFE = (b"<!--", b"<![CDATA[")
# In both markers: a one-byte search rules most pieces out (0.31 → 0.02 s for 269 MB of sheet XML,
# docs/benchmarks.md "Issue 13, seventh try").
UNSAFE_LEAD = b"!"
SLACK = (
    1.1  # counted rows/cells may exceed the declared ones by this factor (+ 1,000) before read-ahead stops
)


def _letters(s: bytes) -> int:
    n = 0
    for ch in s:
        n = n * 26 + ch - 64
    return n


class ReadAhead:
    """One worksheet's XML, fed piece by piece after the check has passed each piece (see module doc)."""

    def __init__(
        self,
        zf: zipfile.ZipFile,
        path: str,
        name: str,
        *,
        part_bytes: int | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.path = path  # the worksheet's entry in the zip
        self.name = name  # its sheet name (calamine reads the part by name)
        self.part_bytes = PART_BYTES if part_bytes is None else part_bytes
        self.head: bytes | None = None
        self.buf: list[bytes] = []
        self.size = 0
        self.dead = False
        self.declared_rows = self.declared_cells = 0
        self.futures: list[Future[Any]] = []
        self.pool: ThreadPoolExecutor | None = None
        self.workers = workers
        # The workbook's own parts (workbook, relations, styles, shared strings, …), without worksheets.
        self.common: list[tuple[zipfile.ZipInfo, bytes]] = []
        common = [
            info
            for info in zf.infolist()
            if not info.filename.lower().startswith("xl/worksheets/")
            and info.filename.lower().endswith((".xml", ".rels"))
        ]
        if sum(info.file_size for info in common) > MAX_COMMON_BYTES:
            # Sizes as the check has bounded them (it runs before any read-ahead is built).
            self.drop("the workbook's own parts are too large to copy into every part")
            return
        for info in common:
            self.common.append((info, zf.read(info)))

    # ---- fed by the check ----------------------------------------------------------------------------

    def feed(self, piece: bytes, *, rows: int, cells: int, plain: bool) -> None:
        """A piece the check has passed; `rows`/`cells` are its counts so far, `plain` that no positional or
        prefixed tag has been seen."""
        if self.dead:
            return
        if not plain or (UNSAFE_LEAD in piece and any(marker in piece for marker in UNSAFE)):
            self.drop("positional, prefixed, comment or CDATA")
            return
        if self.head is None:
            self.buf.append(piece)
            self.size += len(piece)
            data = b"".join(self.buf)
            at = data.find(SHEET_DATA)
            if at < 0:
                if self.size > MAX_HEAD:
                    self.drop("no <sheetData> in the head")
                return
            end = at + len(SHEET_DATA)
            self.head = data[:end]
            if not self._declared(self.head):
                self.drop("no <dimension>")
                return
            rest = data[end:]
            self.buf, self.size = [rest], len(rest)
            return
        if rows > self.declared_rows * SLACK + 1000 or cells > self.declared_cells * SLACK + 1000:
            self.drop("more rows or cells than declared")
            return
        self.buf.append(piece)
        self.size += len(piece)
        if self.size >= self.part_bytes:
            data = b"".join(self.buf)
            cut = data.rfind(ROW_END)
            if cut < 0:
                self.buf = [data]
                return
            cut += len(ROW_END)
            rest = data[cut:]
            self.buf, self.size = [rest], len(rest)
            self._submit(memoryview(data)[:cut], CLOSE)

    def finish(self) -> None:
        """The sheet's check is complete: the rest is the last part (with the sheet's own end)."""
        if self.dead or self.head is None:
            self.drop("nothing read ahead")
            return
        data = b"".join(self.buf)
        self.buf, self.size = [], 0
        self._submit(data, b"")

    def _declared(self, head: bytes) -> bool:
        match = DIMENSION.search(head)
        if match is None:
            return False
        c1, r1, c2, r2 = match.groups()
        first_row, last_row = int(r1 or 1), int(r2 or r1 or 1)
        first_col, last_col = _letters(c1 or b"A"), _letters(c2 or c1 or b"A")
        self.declared_rows = max(last_row - first_row + 1, 1)
        self.declared_cells = self.declared_rows * max(last_col - first_col + 1, 1)
        return True

    def _submit(self, rows: bytes | memoryview, tail: bytes) -> None:
        """One part: a stored zip of the workbook's own parts and this sheet's head, rows and tail."""
        assert self.head is not None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as part:
            for info, data in self.common:
                part.writestr(info.filename, data)
            with part.open(self.path, "w") as sheet:
                sheet.write(self.head)
                sheet.write(rows)
                sheet.write(tail)
        out.seek(0)
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="dx-sheet-part")
        # At most one part waits beside those being parsed: the check waits here rather than queue parts
        # (each a copy of its XML and the common parts) faster than calamine takes them.
        pending = [f for f in self.futures if not f.done()]
        if len(pending) > self.workers:
            wait(pending, return_when=FIRST_COMPLETED)
        self.futures.append(self.pool.submit(_parse_part, out, self.name))

    def drop(self, why: str) -> None:
        """Give up reading ahead: the sheet will be read whole once checked."""
        if not self.dead:
            logger.debug("read-ahead of %s dropped: %s", self.path, why)
        self.dead = True
        self.buf, self.size, self.head = [], 0, None
        self.close()

    def close(self) -> None:
        """Wait for the parts in flight (a Rust call cannot be interrupted) and let go of them."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.futures = []

    # ---- read by the importer ------------------------------------------------------------------------

    def rows(self) -> list[list[Any]] | None:
        """The sheet's rows from A1, as `to_python(skip_empty_area=False)` of the whole sheet; None when the
        read-ahead was dropped or a part could not be read (the caller reads the sheet whole)."""
        if self.dead or not self.futures:
            self.close()
            return None
        parts: list[Part] = []
        try:
            for future in self.futures:  # in order: a part's cells are taken while later parts parse
                sheet = future.result()
                if sheet is None:
                    return None
                try:
                    start, end = sheet.start, sheet.end
                    cells = sheet.to_python(skip_empty_area=True) if start is not None else []
                except BaseException:  # noqa: BLE001 - a panic of calamine: read the sheet whole
                    logger.debug("read-ahead part of %s unreadable", self.path, exc_info=True)
                    return None
                parts.append((start, end, cells))
                del sheet
        finally:
            self.close()
        return stitch(parts)


Part = tuple[tuple[int, int] | None, tuple[int, int] | None, list[list[Any]]]


def _parse_part(data: io.BytesIO, name: str) -> Any:
    """Calamine's sheet of one part (its cells held in Rust until taken), or None when it cannot be read."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(data).get_sheet_by_name(name)
    except BaseException:  # noqa: BLE001 - a panic (pyo3 PanicException) or any error: read the sheet whole
        logger.debug("read-ahead part of %s unreadable", name, exc_info=True)
        return None


def stitch(parts: list[Part]) -> list[list[Any]] | None:
    """The parts' cells on one grid from A1 to the furthest cell, "" where no part has a cell, as calamine
    gives a whole sheet; None when a part's rows do not come after the previous part's."""
    filled = [(start, end, cells) for start, end, cells in parts if start is not None and end is not None]
    if not filled:
        return []
    width = max(end[1] for _, end, _ in filled) + 1
    rows: list[list[Any]] = []
    for start, _end, cells in filled:
        if start[0] < len(rows):
            return None  # overlapping parts (duplicate references): only the whole sheet says which wins
        rows.extend([""] * width for _ in range(start[0] - len(rows)))
        lead = [""] * start[1]
        for row in cells:
            if lead:
                row[:0] = lead
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            rows.append(row)
    return rows
