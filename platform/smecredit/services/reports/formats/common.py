"""What every report writer shares: titles in the run's language, rows as they come, the
data hash, and the text of a cell.

The data hash is format-independent: each writer feeds the same canonical encoding of the
sections and of every cell (before any formatting or neutralising) into one
:class:`DataHash`, so the same document gives the same hash in CSV, XLSX and PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from smecredit.sdk.reports import (
    WITHHELD,
    Chart,
    ColumnKind,
    KeyFigures,
    ReportColumn,
    Table,
)

__all__ = [
    "CHECKPOINT_EVERY",
    "FIGURE_COLUMNS",
    "Checkpoint",
    "DataHash",
    "Rows",
    "Titles",
    "chart_columns",
    "chart_rows",
    "hash_chart",
    "hash_key_figures",
    "hash_table_start",
    "iterate_rows",
    "plain_number",
]

#: Rows written between two awaits of the run's checkpoint (cancel, and the event loop).
CHECKPOINT_EVERY: Final = 500

Rows = Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]
Checkpoint = Callable[[], Awaitable[None]]


class Titles:
    """The texts of one run's language (``zh`` or ``en``)."""

    def __init__(self, language: str) -> None:
        self.english = language.lower().startswith("en")

    def of(self, thing: Any) -> str:
        """The title of a section, column or figure (``title_zh`` / ``title_en``)."""
        return str(thing.title_en if self.english else thing.title_zh)

    def pick(self, zh: str, en: str) -> str:
        """``zh`` or ``en`` by the run's language."""
        return en if self.english else zh

    def pick_many(self, zh: tuple[str, ...], en: tuple[str, ...]) -> tuple[str, ...]:
        """``zh`` or ``en`` by the run's language (notes)."""
        return en if self.english else zh

    @property
    def withheld(self) -> str:
        """What a :data:`WITHHELD` cell shows."""
        return self.pick("（无权限）", "(withheld)")


def _canonical(value: Any) -> Any:
    """A JSON-able, type-tagged form of a cell: equal cells give equal forms."""
    if value is None:
        return None
    if value is WITHHELD:
        return ["w"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", str(value)]
    if isinstance(value, Decimal):
        return ["n", plain_number(value)]
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    return ["s", str(value)]


class DataHash:
    """SHA-256 over the sections and every cell of a document, in reading order."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()

    def _feed(self, item: Any) -> None:
        # one JSON line per item: unambiguous boundaries, stable across writers
        self._sha.update(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())
        self._sha.update(b"\n")

    def section(self, kind: str, key: str, columns: Sequence[tuple[str, str]]) -> None:
        """Start a section: its kind, key and ``(column key, column kind)`` pairs."""
        self._feed(["section", kind, key, [list(c) for c in columns]])

    def row(self, cells: Sequence[Any]) -> None:
        """One row of the current section."""
        self._feed([_canonical(cell) for cell in cells])

    def hexdigest(self) -> str:
        """The digest so far, as hex."""
        return self._sha.hexdigest()


def plain_number(value: Decimal | float | int) -> str:
    """A number as plain digits (no exponent, no grouping): ``1E+3`` -> ``1000``."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        text = format(value, "f")
        return "0" if text in ("-0", "-0.0") else text
    return str(value)


async def iterate_rows(
    rows: Rows, width: int, checkpoint: Checkpoint
) -> AsyncIterator[Sequence[Any]]:
    """The rows of a table as they come (a list, a sync or an async iterable), awaiting
    ``checkpoint`` every :data:`CHECKPOINT_EVERY` rows; a short row is padded with None.
    """
    count = 0
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield _padded(row, width)
            count += 1
            if count % CHECKPOINT_EVERY == 0:
                await checkpoint()
    else:
        for row in rows:
            yield _padded(row, width)
            count += 1
            if count % CHECKPOINT_EVERY == 0:
                await checkpoint()


def _padded(row: Sequence[Any], width: int) -> Sequence[Any]:
    if len(row) == width:
        return row
    return (tuple(row) + (None,) * width)[:width]


#: The two columns key figures are written as (figure, value).
FIGURE_COLUMNS: Final = (
    ReportColumn("figure", "指标", "Figure"),
    ReportColumn("value", "数值", "Value"),
)


def chart_columns(chart: Chart, titles: Titles) -> list[tuple[str, ColumnKind]]:
    """Header titles and kinds of a chart's data table: the category, then each series."""
    category: tuple[str, ColumnKind] = (titles.pick("类别", "Category"), "text")
    return [category] + [
        (titles.pick(s.name_zh, s.name_en), chart.value_kind) for s in chart.series
    ]


def chart_rows(chart: Chart) -> list[tuple[Any, ...]]:
    """One row per category: the category, then the value of each series (None: none)."""
    out = []
    for index, category in enumerate(chart.categories):
        values = tuple(s.values[index] if index < len(s.values) else None for s in chart.series)
        out.append((category, *values))
    return out


def hash_key_figures(digest: DataHash, section: KeyFigures) -> None:
    """Feed a key figures block into ``digest``."""
    digest.section("key_figures", section.key, [(f.key, f.kind) for f in section.figures])
    digest.row([f.value for f in section.figures])


def hash_chart(digest: DataHash, chart: Chart) -> None:
    """Feed a chart's data into ``digest``."""
    digest.section(
        "chart",
        chart.key,
        [("category", "text")] + [(s.name_en, chart.value_kind) for s in chart.series],
    )
    for row in chart_rows(chart):
        digest.row(row)


def hash_table_start(digest: DataHash, table: Table) -> None:
    """Start a table in ``digest`` (its rows follow through :meth:`DataHash.row`)."""
    digest.section("table", table.key, [(c.key, c.kind) for c in table.columns])
