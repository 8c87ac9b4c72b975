"""PDF: A4 with an embedded CJK font, a cover page, tables with repeated headers, SVG charts.

The rows are read as they come (every cell goes into the data hash) but a table keeps only
the rows it prints - :attr:`~smecredit.settings.Settings.report_pdf_max_rows`, then a note
that the XLSX/CSV has all of them - so memory stays bounded. Once everything is read (and
the hash known for the cover), the layout runs off the event loop with fpdf2: the cover
(title, parameters, generated at, by whom, the data hash), each section in order (key
figures and tables as tables, charts drawn as SVG by :mod:`.svg_chart`), the notes at the
end, and page numbers on every page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from smecredit.sdk.reports import WITHHELD, Chart, KeyFigures, ReportDocument, Table
from smecredit.services.reports.formats.common import (
    FIGURE_COLUMNS,
    Checkpoint,
    DataHash,
    Titles,
    hash_chart,
    hash_key_figures,
    hash_table_start,
    iterate_rows,
)
from smecredit.services.reports.formats.cover import Cover
from smecredit.services.reports.formats.fonts import ReportFont, find_font
from smecredit.services.reports.formats.svg_chart import HEIGHT, WIDTH, chart_svg
from smecredit.services.reports.formats.values import display, printable
from smecredit.settings import Settings

__all__ = ["write_pdf"]

_FONT = "report-cjk"
_HEADER_FILL = (221, 228, 238)
_GREY = (128, 128, 128)
_NUMERIC = frozenset({"int", "decimal", "money", "percent"})


@dataclass
class _Printed:
    """A section as the PDF prints it: its title, header, kinds and the rows kept."""

    title: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    total: int = 0
    note: str = ""
    chart: Chart | None = None


class _ReportPDF(FPDF):
    """A4 pages with a page number at the foot of each."""

    def __init__(self, titles: Titles) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._titles = titles

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(*_GREY)
        label = self._titles.pick(
            f"第 {self.page_no()} 页，共 {{nb}} 页", f"Page {self.page_no()} of {{nb}}"
        )
        self.cell(0, 6, label, align="C")
        self.set_text_color(0, 0, 0)


async def write_pdf(
    document: ReportDocument,
    out: BinaryIO,
    *,
    cover: Cover,
    titles: Titles,
    digest: DataHash,
    checkpoint: Checkpoint,
    settings: Settings,
) -> None:
    """Write ``document`` to ``out`` as PDF, feeding every cell into ``digest``.

    Raises:
        ReportFontMissing: before any row is read, when no CJK font is found.
    """
    font = find_font(settings.report_font)
    limit = settings.report_pdf_max_rows
    printed: list[_Printed] = []
    for section in document.sections:
        if isinstance(section, KeyFigures):
            hash_key_figures(digest, section)
            block = _Printed(
                titles.of(section), [titles.of(c) for c in FIGURE_COLUMNS], ["text", "text"]
            )
            block.rows = [
                [titles.of(f), display(f.value, f.kind, titles.withheld)] for f in section.figures
            ]
            block.total = len(block.rows)
        elif isinstance(section, Chart):
            hash_chart(digest, section)
            block = _Printed(titles.of(section), [], [], chart=section)
        elif isinstance(section, Table):
            hash_table_start(digest, section)
            kinds: list[str] = [c.kind for c in section.columns]
            block = _Printed(
                titles.of(section),
                [titles.of(c) for c in section.columns],
                kinds,
                note=titles.pick(section.note_zh, section.note_en),
            )
            async for row in iterate_rows(section.rows, len(kinds), checkpoint):
                digest.row(row)
                block.total += 1
                if block.total <= limit:
                    block.rows.append(list(row))
        printed.append(block)
        await checkpoint()
    data = await asyncio.to_thread(
        _render, document, printed, cover, titles, font, digest.hexdigest(), limit
    )
    out.write(data)


def _render(
    document: ReportDocument,
    printed: list[_Printed],
    cover: Cover,
    titles: Titles,
    font: ReportFont,
    data_hash: str,
    limit: int,
) -> bytes:
    pdf = _ReportPDF(titles)
    pdf.add_font(_FONT, fname=str(font.path), collection_font_number=font.face)
    pdf.set_title(cover.title)
    pdf.set_author(cover.generated_by)
    pdf.set_creator("smecredit")
    pdf.set_creation_date(_aware(cover.generated_at))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_lang("en" if titles.english else "zh-CN")
    _cover(pdf, document, cover, titles, data_hash)
    pdf.add_page()
    for block in printed:
        if block.chart is not None:
            _chart(pdf, block, titles)
        else:
            _table(pdf, block, titles, limit)
    notes = titles.pick_many(document.notes_zh, document.notes_en)
    if notes:
        _heading(pdf, titles.pick("说明", "Notes"))
        pdf.set_font(_FONT, size=9)
        for note in notes:
            pdf.multi_cell(
                0, 5, printable(note), new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR
            )
    return bytes(pdf.output())


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    # keep a heading with at least a few lines of what follows it
    if pdf.get_y() > pdf.page_break_trigger - 30:
        pdf.add_page()
    pdf.set_font(_FONT, size=size)
    pdf.multi_cell(
        0, size * 0.55, printable(text), new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR
    )
    pdf.ln(2)


def _cover(
    pdf: FPDF, document: ReportDocument, cover: Cover, titles: Titles, data_hash: str
) -> None:
    pdf.add_page()
    pdf.set_y(50)
    pdf.set_font(_FONT, size=22)
    pdf.multi_cell(
        0,
        11,
        printable(cover.title),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
        wrapmode=WrapMode.CHAR,
    )
    pdf.ln(12)
    pairs = [(titles.pick("报表", "Report"), cover.report_name)]
    if document.as_of is not None:
        pairs.append((titles.pick("数据截至", "Data as of"), document.as_of.isoformat()))
    pairs += [(label, value) for label, value in cover.parameters]
    pairs += [
        (
            titles.pick("生成时间", "Generated at"),
            _aware(cover.generated_at).strftime("%Y-%m-%d %H:%M:%S %Z"),
        ),
        (titles.pick("生成人", "Generated by"), cover.generated_by),
        (titles.pick("数据哈希 (SHA-256)", "Data hash (SHA-256)"), data_hash),
    ]
    pdf.set_font(_FONT, size=10)
    with pdf.table(
        col_widths=(1, 3),
        first_row_as_headings=False,
        text_align=("LEFT", "LEFT"),
        wrapmode=WrapMode.CHAR,
        line_height=6,
    ) as table:
        for label, value in pairs:
            row = table.row()
            row.cell(printable(str(label)), style=FontFace(fill_color=_HEADER_FILL))
            row.cell(printable(str(value)))


def _table(pdf: FPDF, block: _Printed, titles: Titles, limit: int) -> None:
    _heading(pdf, block.title)
    width = max(len(block.headers), 1)
    size = 9 if width <= 5 else 8 if width <= 8 else 7 if width <= 11 else 6
    pdf.set_font(_FONT, size=size)
    aligns = tuple("RIGHT" if kind in _NUMERIC else "LEFT" for kind in block.kinds)
    grey = FontFace(color=_GREY)
    with pdf.table(
        text_align=aligns if len(aligns) > 1 else aligns[0] if aligns else "LEFT",
        headings_style=FontFace(emphasis="", fill_color=_HEADER_FILL),
        repeat_headings=1,
        wrapmode=WrapMode.CHAR,
        line_height=size * 0.5,
        padding=(0.6, 1.0),
    ) as table:
        header = table.row()
        for text in block.headers:
            header.cell(printable(text))
        for values in block.rows:
            row = table.row()
            for value, kind in zip(values, block.kinds, strict=False):
                text = display(value, kind, titles.withheld)
                row.cell(text, style=grey if value is WITHHELD else None)
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(*_GREY)
    if block.total > limit:
        pdf.ln(1)
        pdf.multi_cell(
            0,
            4.5,
            titles.pick(
                f"仅列出前 {limit:,} 行（共 {block.total:,} 行）；完整表格见 XLSX/CSV 格式。",
                f"First {limit:,} of {block.total:,} rows; the full table is in the XLSX/CSV.",
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if block.note:
        pdf.ln(1)
        pdf.multi_cell(
            0, 4.5, printable(block.note), new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR
        )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)


def _chart(pdf: FPDF, block: _Printed, titles: Titles) -> None:
    assert block.chart is not None
    height = pdf.epw * HEIGHT / WIDTH
    if pdf.get_y() + height + 12 > pdf.page_break_trigger:
        pdf.add_page()
    _heading(pdf, block.title)
    svg = chart_svg(block.chart, titles, _FONT)
    pdf.image(io.BytesIO(svg.encode("utf-8")), x=pdf.l_margin, w=pdf.epw, h=height)
    pdf.set_y(pdf.get_y() + 4)
    pdf.ln(4)
