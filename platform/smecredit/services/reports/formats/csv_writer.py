"""CSV: streamed, UTF-8 with a BOM (Excel then reads Chinese), one block per section.

Each section is a title row, a header row and its rows, with a blank row between
sections; key figures are a two-column table and a chart is its data table (the
category, then one column per series). Numbers are plain digits (no grouping, no
exponent: a spreadsheet reads them as numbers), dates ISO, every text cell neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, BinaryIO

from smecredit.sdk.reports import (
    WITHHELD,
    Chart,
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
    plain_number,
)

__all__ = ["csv_cell", "write_csv"]

_BOM = "\ufeff"
#: Rows gathered before one write to the output.
_BATCH = 200


def csv_cell(value: Any, titles: Titles) -> str:
    """The CSV text of a cell."""
    if value is None:
        return ""
    if value is WITHHELD:
        return titles.withheld
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return plain_number(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(neutralise_cell(str(value)))


class _Sink:
    """A csv writer whose text goes to a binary output in UTF-8 batches."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._pending = 0

    def row(self, cells: Sequence[str]) -> None:
        self._writer.writerow(cells)
        self._pending += 1
        if self._pending >= _BATCH:
            self.flush()

    def flush(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._out.write(text.encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pending = 0


async def write_csv(
    document: ReportDocument,
    out: BinaryIO,
    *,
    titles: Titles,
    digest: DataHash,
    checkpoint: Checkpoint,
) -> None:
    """Write ``document`` to ``out`` as CSV, feeding every cell into ``digest``."""
    out.write(_BOM.encode("utf-8"))
    sink = _Sink(out)
    text = lambda value: csv_cell(value, titles)  # noqa: E731 - the one cell rule here
    for number, section in enumerate(document.sections):
        if number:
            sink.row([])
        sink.row([text(titles.of(section))])
        if isinstance(section, KeyFigures):
            hash_key_figures(digest, section)
            sink.row([text(titles.of(c)) for c in FIGURE_COLUMNS])
            for figure in section.figures:
                sink.row([text(titles.of(figure)), text(figure.value)])
        elif isinstance(section, Chart):
            hash_chart(digest, section)
            sink.row([text(title) for title, _ in chart_columns(section, titles)])
            for values in chart_rows(section):
                sink.row([text(cell) for cell in values])
        elif isinstance(section, Table):
            hash_table_start(digest, section)
            sink.row([text(titles.of(c)) for c in section.columns])
            async for row in iterate_rows(section.rows, len(section.columns), checkpoint):
                digest.row(row)
                sink.row([text(cell) for cell in row])
        await checkpoint()
    notes = titles.pick_many(document.notes_zh, document.notes_en)
    if notes:
        sink.row([])
        sink.row([text(titles.pick("说明", "Notes"))])
        for note in notes:
            sink.row([text(note)])
    sink.flush()
