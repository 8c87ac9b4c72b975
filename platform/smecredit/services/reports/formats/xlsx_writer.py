"""XLSX: XlsxWriter in constant-memory mode, typed cells and native charts.

The workbook has a cover sheet first (title, parameters, generated at, by whom, the data
hash, the notes), then a sheet per section: key figures, each table (a title row, a frozen
header row with an autofilter, typed cells with number formats) and each chart (its data
table with a native chart beside it). In constant-memory mode XlsxWriter flushes a sheet
row by row, so a sheet's rows must be written in order - but each sheet keeps its own
cursor: the cover is created first and filled last, once the hash is known.

Text is neutralised (no cell reads as a formula); a cell's type follows its value (a
masked amount arrives as text and is written as text), its number format its column's
kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from smecredit.sdk.reports import (
    WITHHELD,
    Chart,
    ColumnKind,
    KeyFigures,
    ReportDocument,
    Table,
    neutralise_cell,
)
from smecredit.services.reports.formats.common import (
    FIGURE_COLUMNS,
    Checkpoint,
    DataHash,
    Titles,
    chart_columns,
    chart_rows,
    hash_chart,
    hash_key_figures,
    hash_table_start,
    iterate_rows,
)
from smecredit.services.reports.formats.cover import Cover
from smecredit.services.reports.formats.sheets import SheetNames

__all__ = ["NUMBER_FORMATS", "write_xlsx"]

#: The number format of each column kind (text has none).
NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "percent": "0.00%",
    "decimal": "#,##0.00##",
    "int": "#,##0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
_CHART_TYPES: dict[str, dict[str, str]] = {
    "bar": {"type": "column"},
    "stacked_bar": {"type": "column", "subtype": "stacked"},
    "line": {"type": "line"},
    "pie": {"type": "pie"},
}
#: Rows of a table whose text widths decide its column widths (the rest are not measured).
_MEASURED_ROWS = 500
_MIN_WIDTH, _MAX_WIDTH = 8, 60


class _Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, book: Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        self.label = book.add_format({"bold": True})
        self.withheld = book.add_format({"italic": True, "font_color": "#808080"})
        self.kinds = {
            kind: book.add_format({"num_format": f}) for kind, f in NUMBER_FORMATS.items()
        }
        self.text = book.add_format({})


def _width(value: Any) -> int:
    text = value if isinstance(value, str) else str(value)
    # a CJK character is about two columns wide
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class _SheetWriter:
    """Writes the rows of one sheet in order, typed, measuring column widths."""

    def __init__(self, sheet: Worksheet, formats: _Formats, titles: Titles) -> None:
        self.sheet = sheet
        self.formats = formats
        self.titles = titles
        self.row = 0
        self.widths: dict[int, int] = {}

    def _measure(self, col: int, value: Any) -> None:
        if self.row <= _MEASURED_ROWS:
            self.widths[col] = max(self.widths.get(col, _MIN_WIDTH), min(_width(value), _MAX_WIDTH))

    def title(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, str(neutralise_cell(text)), self.formats.title)
        self.row += 1

    def header(self, texts: Sequence[str]) -> None:
        for col, text in enumerate(texts):
            safe = str(neutralise_cell(text))
            self.sheet.write_string(self.row, col, safe, self.formats.header)
            self._measure(col, safe)
        self.row += 1

    def cells(self, values: Sequence[Any], kinds: Sequence[str]) -> None:
        for col, value in enumerate(values):
            self.cell(col, value, kinds[col])
        self.row += 1

    def cell(self, col: int, value: Any, kind: str) -> None:
        sheet, row, formats = self.sheet, self.row, self.formats
        if value is None:
            return
        if value is WITHHELD:
            sheet.write_string(row, col, self.titles.withheld, formats.withheld)
            self._measure(col, self.titles.withheld)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, (int, float, Decimal)):
            fmt = formats.kinds.get(kind if kind in NUMBER_FORMATS else "decimal")
            if isinstance(value, int) and kind in ("text", "date", "datetime"):
                fmt = formats.kinds["int"]
            sheet.write_number(row, col, float(value), fmt)
            self._measure(col, f"{float(value):,.2f}")
        elif isinstance(value, dt.datetime):
            # Excel has no time zones: the wall-clock time as given
            sheet.write_datetime(row, col, value.replace(tzinfo=None), formats.kinds["datetime"])
            self._measure(col, "0000-00-00 00:00:00")
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, col, value, formats.kinds["date"])
            self._measure(col, "0000-00-00")
        else:
            text = str(neutralise_cell(str(value)))
            sheet.write_string(row, col, text, formats.text)
            self._measure(col, text)

    def set_widths(self) -> None:
        for col, width in self.widths.items():
            self.sheet.set_column(col, col, width + 2)


def _start_table(writer: _SheetWriter, title: str, headers: Sequence[str]) -> int:
    """Title and header rows; returns the header's row index."""
    writer.title(title)
    header_row = writer.row
    writer.header(headers)
    writer.sheet.freeze_panes(header_row + 1, 0)
    return header_row


def _finish_table(writer: _SheetWriter, header_row: int, width: int) -> None:
    writer.sheet.autofilter(header_row, 0, max(writer.row - 1, header_row), max(width - 1, 0))
    writer.set_widths()


async def write_xlsx(
    document: ReportDocument,
    out: BinaryIO,
    *,
    cover: Cover,
    titles: Titles,
    digest: DataHash,
    checkpoint: Checkpoint,
) -> None:
    """Write ``document`` to ``out`` as XLSX, feeding every cell into ``digest``."""
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "remove_timezone": True,
            # a NaN or infinite float becomes #NUM!/#DIV/0! instead of failing the report
            "nan_inf_to_errors": True,
        },
    )
    try:
        await _fill(
            book, document, cover=cover, titles=titles, digest=digest, checkpoint=checkpoint
        )
    except BaseException:
        # cancelled or failed: the engine discards the output, so nothing is zipped
        _abandon(book)
        raise
    # zipping the sheets is the slow part: off the event loop
    await asyncio.to_thread(book.close)


def _abandon(book: Workbook) -> None:
    """Drop a workbook unwritten: remove the row files constant-memory mode keeps per sheet.

    XlsxWriter has no public way to give up a workbook; closing it would zip every row
    written so far only to be thrown away (and a 200,000-row cancel would wait for that).
    """
    for sheet in book.worksheets():
        with contextlib.suppress(Exception):
            sheet._opt_close()
        name = getattr(sheet, "row_data_filename", None)
        if name:
            with contextlib.suppress(OSError):
                os.unlink(name)
    book.fileclosed = True


async def _fill(
    book: Workbook,
    document: ReportDocument,
    *,
    cover: Cover,
    titles: Titles,
    digest: DataHash,
    checkpoint: Checkpoint,
) -> None:
    formats = _Formats(book)
    names = SheetNames()
    cover_sheet = book.add_worksheet(names.name(titles.pick("封面", "Cover")))
    for section in document.sections:
        sheet = book.add_worksheet(names.name(titles.of(section), section.key))
        writer = _SheetWriter(sheet, formats, titles)
        if isinstance(section, KeyFigures):
            hash_key_figures(digest, section)
            header_row = _start_table(
                writer, titles.of(section), [titles.of(c) for c in FIGURE_COLUMNS]
            )
            for figure in section.figures:
                writer.cells([titles.of(figure), figure.value], ["text", figure.kind])
            _finish_table(writer, header_row, 2)
        elif isinstance(section, Chart):
            hash_chart(digest, section)
            _write_chart(book, writer, section, titles)
        elif isinstance(section, Table):
            hash_table_start(digest, section)
            kinds = [c.kind for c in section.columns]
            header_row = _start_table(
                writer, titles.of(section), [titles.of(c) for c in section.columns]
            )
            async for row in iterate_rows(section.rows, len(kinds), checkpoint):
                digest.row(row)
                writer.cells(row, kinds)
            note = titles.pick(section.note_zh, section.note_en)
            _finish_table(writer, header_row, len(kinds))
            if note:
                writer.row += 1
                writer.cells([note], ["text"])
        await checkpoint()
    _write_cover(_SheetWriter(cover_sheet, formats, titles), document, cover, digest)


def _write_chart(book: Workbook, writer: _SheetWriter, chart: Chart, titles: Titles) -> None:
    columns = chart_columns(chart, titles)
    header_row = _start_table(writer, titles.of(chart), [t for t, _ in columns])
    kinds: list[ColumnKind] = [k for _, k in columns]
    rows = chart_rows(chart)
    for row in rows:
        writer.cells(row, kinds)
    _finish_table(writer, header_row, len(columns))
    if not rows or not chart.series:
        return
    native = book.add_chart(_CHART_TYPES[chart.kind])  # type: ignore[arg-type]
    if native is None:
        return
    sheet_name = writer.sheet.get_name()
    first, last = header_row + 1, header_row + len(rows)
    series = chart.series[:1] if chart.kind == "pie" else chart.series
    for index, _ in enumerate(series, start=1):
        native.add_series(
            {
                "name": [sheet_name, header_row, index],
                "categories": [sheet_name, first, 0, last, 0],
                "values": [sheet_name, first, index, last, index],
            }
        )
    native.set_title({"name": titles.of(chart)})
    if chart.kind != "pie" and chart.value_kind in NUMBER_FORMATS:
        native.set_y_axis({"num_format": NUMBER_FORMATS[chart.value_kind]})
    writer.sheet.insert_chart(
        header_row, len(columns) + 1, native, {"x_scale": 1.5, "y_scale": 1.2}
    )


def _write_cover(
    writer: _SheetWriter, document: ReportDocument, cover: Cover, digest: DataHash
) -> None:
    titles = writer.titles
    writer.title(cover.title)
    pairs: list[tuple[str, Any]] = [(titles.pick("报表", "Report"), cover.report_name)]
    if document.as_of is not None:
        pairs.append((titles.pick("数据截至", "Data as of"), document.as_of))
    pairs += [(label, value) for label, value in cover.parameters]
    pairs += [
        (titles.pick("生成时间", "Generated at"), cover.generated_at),
        (titles.pick("生成人", "Generated by"), cover.generated_by),
        (titles.pick("数据哈希 (SHA-256)", "Data hash (SHA-256)"), digest.hexdigest()),
    ]
    for label, value in pairs:
        writer.sheet.write_string(writer.row, 0, str(neutralise_cell(label)), writer.formats.label)
        writer._measure(0, label)
        kind = (
            "datetime"
            if isinstance(value, dt.datetime)
            else "date"
            if isinstance(value, dt.date)
            else "text"
        )
        writer.cell(1, value, kind)
        writer.row += 1
    notes = titles.pick_many(document.notes_zh, document.notes_en)
    if notes:
        writer.row += 1
        writer.sheet.write_string(writer.row, 0, titles.pick("说明", "Notes"), writer.formats.label)
        writer.row += 1
        for note in notes:
            writer.cells([note], ["text"])
    writer.widths[1] = min(max(writer.widths.get(1, 0), 66), _MAX_WIDTH + 10)
    writer.set_widths()
