"""Word documents the platform writes (python-docx): the monthly bulletins of reports and of the ledgers, and
the notices. One home for the government-document fonts and the A4 page, the paragraph, heading and table
helpers, so that every bulletin reads alike (style.md "one home for a helper other apps need").
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.run import Run

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋"
TABLE_FONT = "宋体"


def run_font(run: Run, name: str, size: float, *, bold: bool = False) -> None:
    """Set the run's font for Latin and Chinese text alike (Word keeps the East Asian font apart)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def a4_document() -> DocxDocument:
    """An empty A4 portrait document with the margins of a government bulletin."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.2)
    return document


def document_bytes(document: DocxDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class DocWriter:
    """Paragraphs, headings, a centred title and grid tables in the bulletin's fonts."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document

    def title(self, text: str, size: float = 20, *, bold: bool = True) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        p = self.document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run_font(p.add_run(text), TITLE_FONT, size, bold=bold)

    def paragraph(self, text: str, *, font: str = BODY_FONT, size: float = 14, indent: bool = True) -> None:
        from docx.shared import Pt

        p = self.document.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        p.paragraph_format.line_spacing = 1.5
        run_font(p.add_run(text), font, size)

    def heading(self, text: str) -> None:
        self.paragraph(text, font=HEADING_FONT, size=15, indent=True)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A grid table: the header bold and centred, the first column left, the others right-aligned."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            run_font(cell.paragraphs[0].add_run(text), TABLE_FONT, 10.5, bold=True)
        for values in rows:
            for j, (cell, text) in enumerate(zip(table.add_row().cells, values, strict=True)):
                if j:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                run_font(cell.paragraphs[0].add_run(text), TABLE_FONT, 10.5)
