"""Entry point of the ``files`` data source (batch import of partner CSV and xlsx files).

Registers :class:`FileSource`, which streams :func:`smecredit_source_files.readers.read_rows`
as :class:`smecredit.sdk.SourceRecord` objects.

A file that cannot be read at all (missing, empty, not CSV or xlsx, undecodable from the
start, required columns missing, unknown sheet) raises :class:`FileSourceError` with the
reader's code: nothing can be read, so the run fails with that error (the SDK's contract).
A bad row is a record with ``error``; reading goes on.

Positions sort as strings in yield order:

* ``"0:NNNN"`` for file-level warnings (unknown or duplicate columns), numbered from 0;
  they come before the rows.
* ``"1:LLLLLLLLLL:OOOOOOOOOOOOOOO:ENCODING"`` for rows: the reader's
  :class:`~smecredit_source_files.readers.Checkpoint` (line of the next row, byte offset,
  encoding), zero-padded, and ``":L"`` after it once the reader reads one row per line (a
  quote was never closed). Resuming from it seeks straight to the offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

from smecredit.sdk import (
    RECORD_KINDS,
    DataSource,
    FetchRequest,
    RecordError,
    SourceRecord,
    hookimpl,
    yield_to_event_loop,
)
from smecredit_source_files.mapping import HeaderMapping
from smecredit_source_files.readers import Checkpoint, RowResult, read_rows

__all__ = ["SMECREDIT_SDK", "FileSource", "FileSourceError", "register_data_sources"]

#: The smecredit SDK version this plugin is written against.
SMECREDIT_SDK = "1.0"

_YIELD_EVERY = 256


class FileSourceError(ValueError):
    """The fetch request cannot be served (no file, no kind, a bad resume token), or the
    file cannot be read at all.

    Attributes:
        code: ``NO_FILE``, ``NO_KIND`` or ``BAD_POSITION``; or the reader's file-level code
            (``FILE_NOT_FOUND``, ``EMPTY_FILE``, ``UNSUPPORTED_FILE``, ``BAD_ENCODING``,
            ``MISSING_COLUMNS``, ``UNKNOWN_SHEET``, ``BAD_ROW`` for a broken header row).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _row_position(checkpoint: Checkpoint) -> str:
    offset = "" if checkpoint.offset is None else f"{checkpoint.offset:015d}"
    mode = ":L" if checkpoint.line_mode else ""
    return f"1:{checkpoint.line:010d}:{offset}:{checkpoint.encoding or ''}{mode}"


def _parse_position(position: str) -> int | Checkpoint:
    """A message index (for ``0:`` positions) or a reader checkpoint (for ``1:``)."""
    try:
        if position.startswith("0:"):
            return int(position[2:])
        tag, line, offset, rest = position.split(":", 3)
        encoding, _, mode = rest.partition(":")
        if tag == "1" and mode in ("", "L"):
            return Checkpoint(
                int(line), int(offset) if offset else None, encoding or None, mode == "L"
            )
    except ValueError:
        pass
    raise FileSourceError("BAD_POSITION", f"not a position of the files source: {position!r}")


class FileSource:
    """Partner CSV (UTF-8 or GBK) and xlsx files, one record kind per file.

    The records hold raw values (``raw_values = True``): strings from CSV, cells from
    xlsx. The platform's cleaning step converts them before schema validation. Every
    record gets ``source`` (this source's name unless the file has the column) and
    ``fetched_at`` (the file's modification time unless given in the settings).
    """

    name = "files"
    description = "Batch import of partner CSV and xlsx files (Chinese headers mapped)"
    record_kinds: tuple[str, ...] = RECORD_KINDS
    incremental = False
    needs_consent = False
    raw_values = True
    consent_scope = None  # needs no consent: the lender's own files
    settings_schema: dict[str, Any] = {  # noqa: RUF012 - read-only by contract
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mapping": {
                "type": "string",
                "description": "path of a TOML header mapping extending the default one",
            },
            "encoding": {"type": "string", "description": "CSV encoding (default: detect)"},
            "sheet": {"type": "string", "description": "xlsx sheet (default: the first)"},
            "fetched_at": {"type": "string", "format": "date-time"},
        },
    }

    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        """Stream the rows of ``request.path`` as records of ``request.kind``.

        Raises:
            FileSourceError: no path or kind in the request, or a malformed ``resume_from``.
        """
        if request.path is None:
            raise FileSourceError("NO_FILE", "the files source needs FetchRequest.path")
        if request.kind is None:
            raise FileSourceError("NO_KIND", "the files source needs FetchRequest.kind")
        resume = _parse_position(request.resume_from) if request.resume_from else None
        settings = request.settings
        stamp = settings.get("fetched_at") or _modified_at(request.path)
        rows = _read(request.path, request.kind, settings, resume)
        xlsx = request.path.suffix.lower() in (".xlsx", ".xlsm")
        records = _records(rows, request.kind, self.name, stamp, resume, xlsx=xlsx)
        for count, record in enumerate(records):
            if count % _YIELD_EVERY == 0:
                await yield_to_event_loop()
            yield record


def _modified_at(path: Path) -> str:
    try:
        seconds = path.stat().st_mtime
    except OSError:
        seconds = 0.0
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(microsecond=0).isoformat()


def _read(
    path: Path, kind: str, settings: Mapping[str, Any], resume: int | Checkpoint | None
) -> Iterator[RowResult]:
    mapping_file = settings.get("mapping")
    mapping = HeaderMapping.from_toml(Path(mapping_file)) if mapping_file else None
    return read_rows(
        path,
        kind=kind,
        mapping=mapping,
        encoding=settings.get("encoding"),
        sheet=settings.get("sheet"),
        resume_from=resume if isinstance(resume, Checkpoint) else None,
    )


def _records(
    rows: Iterator[RowResult],
    kind: str,
    source: str,
    fetched_at: str,
    resume: int | Checkpoint | None,
    *,
    xlsx: bool,
) -> Iterator[SourceRecord]:
    message_index = 0
    unit = "row" if xlsx else "line"  # xlsx rows are sheet rows, CSV rows file lines
    for row in rows:
        if row.checkpoint is None:
            assert row.error is not None
            if row.error.severity == "error":
                # Nothing can be read: the run fails with the reader's code and message.
                raise FileSourceError(row.error.code, row.error.message)
            # File-level warning: numbered, and already delivered when resuming past it.
            index, message_index = message_index, message_index + 1
            if isinstance(resume, Checkpoint) or (isinstance(resume, int) and index <= resume):
                continue
            yield SourceRecord(
                kind=kind,
                data={},
                position=f"0:{index:04d}",
                locator=f"{unit} {row.line}" if row.line else "file",
                error=RecordError(
                    row.error.code, row.error.message, row.error.column, row.error.severity
                ),
            )
            continue
        position, locator = _row_position(row.checkpoint), f"{unit} {row.line}"
        if row.error is not None:
            error = RecordError(row.error.code, row.error.message, row.error.column)
            yield SourceRecord(kind, {}, position, locator, error)
        elif row.record is not None:
            data = dict(row.record)
            data.setdefault("source", source)
            data.setdefault("fetched_at", fetched_at)
            yield SourceRecord(kind, data, position, locator)


@hookimpl
def register_data_sources() -> list[DataSource]:
    """The files source."""
    return [FileSource()]
