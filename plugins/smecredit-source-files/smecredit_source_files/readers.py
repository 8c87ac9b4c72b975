"""Streaming readers for partner CSV and xlsx files.

:func:`read_rows` yields one :class:`RowResult` per data row and never holds the whole file:
CSV is read line by line from a binary stream (so every row knows the byte offset where the
next one starts, and an import can resume there), xlsx through openpyxl's read-only mode.
A bad row gives a row error and reading goes on; a bad file gives one file-level error
(``line`` 0 or the header line) and nothing else.

Error codes (``RowResult.error.code``):

* file level: ``EMPTY_FILE``, ``UNSUPPORTED_FILE``, ``BAD_ENCODING`` (undecodable start of
  file or unknown encoding name), ``MISSING_COLUMNS``, ``UNKNOWN_SHEET``, ``FILE_NOT_FOUND``;
* row level: ``BAD_ROW`` (wrong number of cells, malformed quoting), ``FIELD_TOO_LARGE``,
  ``BAD_ENCODING`` (a line that does not decode);
* warnings (``severity == "warning"``, before the rows): ``UNKNOWN_COLUMNS``,
  ``DUPLICATE_COLUMN``.

Values are raw (strings from CSV; str/int/float/datetime from xlsx): cleaning is the
platform's next step, not the reader's.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from smecredit_source_files.mapping import ColumnTarget, HeaderMapping
from smecredit_source_files.quoting import QuoteState, advance, line_ends_quoted

__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_LINE_BYTES",
    "MAX_RECORD_BYTES",
    "Checkpoint",
    "ReadIssue",
    "ReaderError",
    "RowResult",
    "read_rows",
]

#: Longest accepted cell, in characters; longer cells give ``FIELD_TOO_LARGE``.
MAX_FIELD_CHARS = 1 << 20
#: Longest physical CSV line held in memory; the rest of a longer line is skipped unread.
MAX_LINE_BYTES = 4 * MAX_FIELD_CHARS
#: Largest CSV record (a quoted cell may span lines); the rest of a larger one is skipped.
MAX_RECORD_BYTES = MAX_LINE_BYTES
_SNIFF_BYTES = 64 * 1024
_SKIP_CHUNK = 64 * 1024
_UTF8_BOM = codecs.BOM_UTF8
_CSV_SUFFIXES = {".csv": ",", ".txt": ",", ".tsv": "\t"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}

# The csv module's limit is process-wide: only ever raise it, never lower what others set.
# No record fed to csv is larger than MAX_RECORD_BYTES (the lines withhold the rest), so
# csv's limit is never what stops a cell: our own check names the column instead.
if csv.field_size_limit() < MAX_RECORD_BYTES:
    csv.field_size_limit(MAX_RECORD_BYTES)


class ReaderError(ValueError):
    """A programming error in calling the reader (an unknown record kind).

    Attributes:
        code: ``UNKNOWN_KIND``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class ReadIssue:
    """What went wrong with a file or a row.

    Attributes:
        code: stable UPPER_SNAKE code (see the module docstring).
        message: for a person; names the column or byte offset where it helps.
        severity: ``error`` or ``warning``.
        column: the column header concerned, if any.
    """

    code: str
    message: str
    severity: Literal["error", "warning"] = "error"
    column: str | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where to resume reading after a row.

    Attributes:
        line: the 1-based line (CSV) or sheet row (xlsx) of the next row.
        offset: the byte offset of the next row (CSV only).
        encoding: the encoding in use (CSV only), so a resumed read decodes alike.
        line_mode: (CSV only) the file had a quote that never closed before this point, so
            every line is read as one row from here on.
    """

    line: int
    offset: int | None = None
    encoding: str | None = None
    line_mode: bool = False


@dataclass(frozen=True, slots=True)
class RowResult:
    """One data row, or one file-level error or warning.

    Attributes:
        line: 1-based file line (CSV; the first line of a multi-line row) or sheet row
            (xlsx); 0 for errors about the whole file.
        record: field -> raw value, nested for dotted fields; ``None`` on error.
        error: the problem, if any.
        checkpoint: where to resume after this row (``None`` for file-level messages).
    """

    line: int
    record: dict[str, Any] | None = None
    error: ReadIssue | None = None
    checkpoint: Checkpoint | None = None

    @property
    def offset(self) -> int | None:
        """Byte offset just past this row (CSV), for resuming."""
        return self.checkpoint.offset if self.checkpoint else None

    @property
    def ok(self) -> bool:
        """True for a data row that was read."""
        return self.record is not None


def _file_error(code: str, message: str, line: int = 0) -> RowResult:
    return RowResult(line, error=ReadIssue(code, message))


class _ColumnPlan:
    """Header -> record layout, decided once per file."""

    def __init__(self, kind: str, header: Sequence[Any], mapping: HeaderMapping) -> None:
        self.width = len(header)
        self.headers = [
            str(h).replace("\ufeff", "").strip() if h is not None else "" for h in header
        ]
        self.targets: list[tuple[int, ColumnTarget]] = []
        self.unknown: list[str] = []
        self.duplicates: list[str] = []
        taken: set[str] = set()
        for index, name in enumerate(self.headers):
            if not name:
                continue  # blank header cells: trailing Excel columns, ignored
            target = mapping.target(kind, name)
            if target is None:
                self.unknown.append(name)
            elif not target.field:
                continue
            elif target.field in taken:
                self.duplicates.append(name)
            else:
                taken.add(target.field)
                self.targets.append((index, target))
        self.missing = [f for f in mapping.required(kind) if f not in taken]
        # Pre-split the dotted paths: this runs once per file, record() once per row.
        self._layout = [
            (index, tuple(t.field.split(".")[:-1]), t.field.rsplit(".", 1)[-1], t.unit)
            for index, t in self.targets
        ]
        self._mapping, self._kind = mapping, kind

    def header_messages(self, line: int) -> Iterator[RowResult]:
        if self.missing:
            wanted = []
            for name in self.missing:
                spellings = self._mapping.headers_for(self._kind, name)
                wanted.append(f"{name} ({' / '.join(spellings)})" if spellings else name)
            message = f"required columns missing: {', '.join(wanted)}"
            yield RowResult(line, error=ReadIssue("MISSING_COLUMNS", message))
            return
        if self.unknown:
            message = f"unknown columns ignored: {', '.join(self.unknown)}"
            yield RowResult(line, error=ReadIssue("UNKNOWN_COLUMNS", message, "warning"))
        for name in self.duplicates:
            message = f"column {name!r} maps to a field already read from another column; ignored"
            yield RowResult(line, error=ReadIssue("DUPLICATE_COLUMN", message, "warning", name))

    def _too_large(self, cells: Sequence[Any]) -> ReadIssue:
        index = next(
            i for i, v in enumerate(cells) if isinstance(v, str) and len(v) > MAX_FIELD_CHARS
        )
        column = self.headers[index] if index < self.width else f"#{index + 1}"
        size = len(cells[index])
        message = f"column {column!r} holds {size:,} characters (limit {MAX_FIELD_CHARS:,})"
        return ReadIssue("FIELD_TOO_LARGE", message, column=column)

    def record(self, cells: Sequence[Any], *, all_text: bool = False) -> dict[str, Any] | ReadIssue:
        """Build the record of one row; ``all_text`` (CSV) allows a faster size check."""
        if all_text:
            if max(map(len, cells), default=0) > MAX_FIELD_CHARS:
                return self._too_large(cells)
        elif any(isinstance(v, str) and len(v) > MAX_FIELD_CHARS for v in cells):
            return self._too_large(cells)
        record: dict[str, Any] = {}
        for index, parents, leaf, unit in self._layout:
            value = cells[index] if index < len(cells) else None
            if unit and value is not None and str(value).strip():
                value = f"{str(value).strip()}{unit}"
            node = record
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        return record


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


class _Lines:
    """Physical lines of a CSV file, decoded, with the byte offset consumed so far.

    Every line's quote state is tracked (:mod:`smecredit_source_files.quoting`), so the
    lines know where each record ends before ``csv`` does. A line that cannot be handed to
    ``csv`` - undecodable, or longer than :data:`MAX_LINE_BYTES` - and every later line of
    its record are withheld, and so is the rest of a record that grows past
    :data:`MAX_RECORD_BYTES`: ``csv`` then gets, where the record ends, a stand-in that
    closes the record (``"\\n`` inside a quoted cell, ``\\n`` otherwise). The flags say
    why: ``oversized``, ``decode_error``, ``unterminated`` (the file ended inside a quoted
    cell) and ``unbalanced`` (in ``line_mode``, where every line is one record, a line left a
    quote open). :meth:`begin_record` clears them before each record.
    """

    def __init__(
        self,
        stream: IO[bytes],
        encoding: str,
        *,
        tentative: bool,
        offset: int,
        line: int,
        delimiter: str,
        line_mode: bool = False,
    ) -> None:
        self.stream, self.encoding, self.tentative = stream, encoding, tentative
        self.offset, self.line = offset, line
        self.delimiter, self.line_mode = delimiter, line_mode
        self.quoted = False  # the file, at the end of the last line read, is in a quoted cell
        self.fed_quoted = False  # csv, given what it was fed, is in a quoted cell
        self.withholding = False  # the rest of the current record is not fed to csv
        self.record_bytes = 0
        self.first_line_end = offset  # offset after the first line of the current record
        self.oversized = False
        self.unterminated = False
        self.unbalanced = False
        self.decode_error: str | None = None
        stream.seek(offset)

    def begin_record(self) -> None:
        """Clear the per-record flags (the caller is about to read the next record)."""
        self.oversized = self.unterminated = self.unbalanced = False
        self.decode_error = None

    def __iter__(self) -> Iterator[str]:
        while True:
            chunk = self.stream.readline(MAX_LINE_BYTES + 1)
            if not chunk:
                if self.quoted:
                    self.quoted, self.unterminated = False, True
                    yield from self._close_record()
                return
            start = self.offset
            self.offset += len(chunk)
            self.line += 1
            if not self.quoted:  # this line starts a record
                self.record_bytes, self.first_line_end = 0, self.offset
            self.record_bytes += len(chunk)
            if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                self.oversized, self.withholding = True, True
                self.quoted = self._skip_rest_of_line(chunk)
                if not self.quoted:
                    yield from self._close_record()
                continue
            text, readable = self._decode(chunk, start)
            quoted = line_ends_quoted(readable, quoted=self.quoted, delimiter=self.delimiter)
            if self.line_mode and quoted:
                # Quoting is broken in this file: a line is a record, its open quote an error.
                self.unbalanced, quoted = True, False
                if text is not None:
                    text += '"\n'
            self.quoted = quoted
            if text is None:
                self.withholding = True
            elif self.record_bytes > MAX_RECORD_BYTES:
                self.oversized = self.withholding = True
            if self.withholding:
                if not quoted:
                    yield from self._close_record()
                continue
            self.fed_quoted = quoted
            yield text

    def _close_record(self) -> Iterator[str]:
        """End the record in csv (some of it was withheld, or the file ended in a quote)."""
        self.withholding = False
        yield '"\n' if self.fed_quoted else "\n"
        self.fed_quoted = False

    def _skip_rest_of_line(self, head: bytes) -> bool:
        """Read past the rest of an overlong line; whether the record continues after it."""
        state = QuoteState.QUOTED if self.quoted else QuoteState.FIELD_START
        piece = head
        while True:
            # Quotes, delimiters and line ends are ASCII, and no byte of a multi-byte
            # character of UTF-8 or GB18030 is ASCII: a lenient decode keeps them all.
            text = piece.decode(self.encoding, errors="replace")
            state = advance(state, text, delimiter=self.delimiter)
            if not piece or piece.endswith(b"\n"):
                break
            piece = self.stream.readline(_SKIP_CHUNK)
            self.offset += len(piece)
            self.record_bytes += len(piece)
        if self.line_mode and state is QuoteState.QUOTED:
            self.unbalanced = True
            return False
        return state is QuoteState.QUOTED

    def _decode(self, chunk: bytes, start: int) -> tuple[str | None, str]:
        """The line's text (None when it does not decode) and a text to track quotes in."""
        try:
            text = chunk.decode(self.encoding)
        except UnicodeDecodeError as error:
            # The first 64 KiB were plain ASCII, so "UTF-8" was a guess: GB18030 may fit.
            if self.tentative:
                try:
                    text = chunk.decode("gb18030")
                except UnicodeDecodeError:
                    pass
                else:
                    self.encoding, self.tentative = "gb18030", False
                    return text, text
            bad = chunk[error.start : error.start + 1].hex()
            if self.decode_error is None:
                self.decode_error = (
                    f"line {self.line} is not valid {self.encoding}: "
                    f"byte 0x{bad} at offset {start + error.start}"
                )
            return None, chunk.decode(self.encoding, errors="replace")
        if self.tentative and not chunk.isascii():
            self.tentative = False
        return text, text


def _detect_encoding(head: bytes, at_end: bool) -> tuple[str, bool] | ReadIssue:
    """Return (encoding, tentative) for the first bytes of a file, or why none fits."""
    failures = []
    for candidate in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(candidate)()
        try:
            decoder.decode(head, final=at_end)
        except UnicodeDecodeError as error:
            bad = head[error.start : error.start + 1].hex()
            failures.append(f"{candidate}: byte 0x{bad} at offset {error.start}")
            continue
        return candidate, candidate == "utf-8" and head.isascii() and not at_end
    return ReadIssue(
        "BAD_ENCODING",
        f"file is neither UTF-8 nor GBK/GB18030 ({'; '.join(failures)}); "
        "save it as UTF-8 or pass encoding=",
    )


def _read_csv(
    path: Path,
    kind: str,
    mapping: HeaderMapping,
    encoding: str | None,
    resume_from: Checkpoint | None,
) -> Iterator[RowResult]:
    delimiter = _CSV_SUFFIXES.get(path.suffix.lower(), ",")
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
        at_end = len(head) < _SNIFF_BYTES
        body_start = len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0
        if not head[body_start:].strip():
            yield _file_error("EMPTY_FILE", f"{path.name} is empty")
            return
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield _file_error("BAD_ENCODING", f"{path.name} is UTF-16; save it as UTF-8 or GBK")
            return
        if head.startswith(b"PK\x03\x04"):
            yield _file_error(
                "UNSUPPORTED_FILE", f"{path.name} is a zip/xlsx file, not CSV; use the .xlsx suffix"
            )
            return
        if b"\x00" in head:
            nul = head.index(b"\x00")
            yield _file_error(
                "UNSUPPORTED_FILE",
                f"{path.name} is binary, not CSV text (NUL byte at offset {nul})",
            )
            return
        tentative = False
        if resume_from is not None and resume_from.encoding:
            encoding = resume_from.encoding
        if encoding is None:
            detected = _detect_encoding(head[body_start:], at_end)
            if isinstance(detected, ReadIssue):
                yield RowResult(0, error=detected)
                return
            encoding, tentative = detected
        else:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                yield _file_error("BAD_ENCODING", f"unknown encoding {encoding!r}")
                return
        del head  # only the first chunk was ever read whole

        lines = _Lines(
            stream,
            encoding,
            tentative=tentative,
            offset=body_start,
            line=0,
            delimiter=delimiter,
        )
        reader = csv.reader(lines, delimiter=delimiter)
        header: list[str] | None = None
        for cells in reader:
            if lines.decode_error:
                yield _file_error("BAD_ENCODING", lines.decode_error, lines.line)
                return
            if lines.oversized or lines.unterminated:
                yield _file_error(
                    "BAD_ROW", f"the header row (line {lines.line}) is not a row of headers"
                )
                return
            if not _blank(cells):
                header = cells
                break
        if header is None:
            yield _file_error("EMPTY_FILE", f"{path.name} holds no header row")
            return
        plan = _ColumnPlan(kind, header, mapping)
        header_line = lines.line
        messages = list(plan.header_messages(header_line))
        yield from messages
        if plan.missing:
            return

        if resume_from is not None and resume_from.offset is not None:
            lines = _Lines(
                stream,
                lines.encoding,
                tentative=False,
                offset=resume_from.offset,
                line=resume_from.line - 1,
                delimiter=delimiter,
                line_mode=resume_from.line_mode,
            )
        yield from _csv_rows(lines, plan)


def _checkpoint(lines: _Lines) -> Checkpoint:
    return Checkpoint(lines.line + 1, lines.offset, lines.encoding, lines.line_mode)


def _record_issue(lines: _Lines, first_line: int) -> ReadIssue | None:
    """Why the record just read is lost, if it is (see the flags of :class:`_Lines`)."""
    if lines.oversized:
        where = f"line {first_line}"
        if lines.line > first_line:
            where = f"lines {first_line}-{lines.line}"
        message = f"the row on {where} is larger than {MAX_RECORD_BYTES:,} bytes; row skipped"
        return ReadIssue("FIELD_TOO_LARGE", message)
    if lines.decode_error:
        return ReadIssue("BAD_ENCODING", lines.decode_error)
    if lines.unbalanced:
        message = f"line {first_line} opens a quoted cell that does not close on the line"
        return ReadIssue("BAD_ROW", message)
    return None


def _csv_rows(lines: _Lines, plan: _ColumnPlan) -> Iterator[RowResult]:
    reader = csv.reader(lines, delimiter=lines.delimiter)
    while True:
        first_line = lines.line + 1
        lines.begin_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            code = "FIELD_TOO_LARGE" if "field larger" in str(error) else "BAD_ROW"
            yield RowResult(
                first_line,
                error=ReadIssue(code, f"line {first_line}: {error}"),
                checkpoint=_checkpoint(lines),
            )
            continue
        if lines.unterminated:
            # A quote that never closes swallowed the rest of the file: that one line is
            # the bad row, and reading starts again on the line after it, line by line.
            lines = _Lines(
                lines.stream,
                lines.encoding,
                tentative=lines.tentative,
                offset=lines.first_line_end,
                line=first_line,
                delimiter=lines.delimiter,
                line_mode=True,
            )
            reader = csv.reader(lines, delimiter=lines.delimiter)
            message = (
                f"line {first_line} opens a quoted cell that is never closed; "
                "the lines after it are read one row per line"
            )
            yield RowResult(
                first_line, error=ReadIssue("BAD_ROW", message), checkpoint=_checkpoint(lines)
            )
            continue
        checkpoint = _checkpoint(lines)
        issue = _record_issue(lines, first_line)
        if issue is not None:
            yield RowResult(first_line, error=issue, checkpoint=checkpoint)
            continue
        if not "".join(cells).strip():
            continue  # blank line or a row of empty cells
        if len(cells) > plan.width and not "".join(cells[plan.width :]).strip():
            cells = cells[: plan.width]  # trailing empty cells, as spreadsheet exports write them
        if len(cells) != plan.width:
            message = f"line {first_line} has {len(cells)} cells, the header has {plan.width}"
            yield RowResult(first_line, error=ReadIssue("BAD_ROW", message), checkpoint=checkpoint)
            continue
        built = plan.record(cells, all_text=True)
        if isinstance(built, ReadIssue):
            yield RowResult(first_line, error=built, checkpoint=checkpoint)
        else:
            yield RowResult(first_line, record=built, checkpoint=checkpoint)


def _read_xlsx(
    path: Path, kind: str, mapping: HeaderMapping, sheet: str | None, resume_from: Checkpoint | None
) -> Iterator[RowResult]:
    import openpyxl  # deferred: CSV-only imports should not pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as probe:
        magic = probe.read(4)
    if not magic:
        yield _file_error("EMPTY_FILE", f"{path.name} is empty")
        return
    if magic != b"PK\x03\x04":
        yield _file_error("UNSUPPORTED_FILE", f"{path.name} is not an xlsx workbook")
        return
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        yield _file_error(
            "UNSUPPORTED_FILE", f"{path.name} is not a readable xlsx workbook: {error}"
        )
        return
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            names = ", ".join(workbook.sheetnames)
            yield _file_error(
                "UNKNOWN_SHEET", f"{path.name} has no sheet {sheet!r}; sheets: {names}"
            )
            return
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows: Iterable[tuple[Any, ...]] = worksheet.iter_rows(values_only=True)
        header: tuple[Any, ...] | None = None
        header_line = 0
        for header_line, cells in enumerate(rows, start=1):  # noqa: B007 - used after the loop
            if not _blank(cells):
                header = cells
                break
        if header is None:
            yield _file_error(
                "EMPTY_FILE", f"{path.name} sheet {worksheet.title!r} holds no header row"
            )
            return
        trimmed = list(header)
        while trimmed and (trimmed[-1] is None or str(trimmed[-1]).strip() == ""):
            trimmed.pop()
        plan = _ColumnPlan(kind, trimmed, mapping)
        yield from plan.header_messages(header_line)
        if plan.missing:
            return
        first = max(header_line + 1, resume_from.line if resume_from else 0)
        for line, cells in enumerate(
            worksheet.iter_rows(min_row=first, values_only=True), start=first
        ):
            checkpoint = Checkpoint(line + 1)
            if _blank(cells):
                continue
            if len(cells) > plan.width and not _blank(cells[plan.width :]):
                extra = next(
                    i for i in range(plan.width, len(cells)) if not _blank(cells[i : i + 1])
                )
                message = (
                    f"row {line} has a value in column {extra + 1}, "
                    f"beyond the header's {plan.width} columns"
                )
                yield RowResult(line, error=ReadIssue("BAD_ROW", message), checkpoint=checkpoint)
                continue
            built = plan.record(cells[: plan.width])
            if isinstance(built, ReadIssue):
                yield RowResult(line, error=built, checkpoint=checkpoint)
            else:
                yield RowResult(line, record=built, checkpoint=checkpoint)
    finally:
        workbook.close()


def read_rows(
    path: Path,
    *,
    kind: str,
    mapping: HeaderMapping | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    resume_from: Checkpoint | None = None,
) -> Iterator[RowResult]:
    """Stream the data rows of a partner CSV or xlsx file as records of ``kind``.

    Args:
        path: a ``.csv``/``.txt``/``.tsv`` or ``.xlsx``/``.xlsm`` file.
        kind: the record kind the rows hold (``firm``, ``loan``, ...).
        mapping: header mapping; default :meth:`HeaderMapping.default`.
        encoding: CSV encoding; default: UTF-8 (with or without BOM) when the start of
            the file decodes as UTF-8, else GB18030 (a superset of GBK).
        sheet: xlsx sheet name; default the first sheet.
        resume_from: a :attr:`RowResult.checkpoint` from an earlier read: reading
            continues with the row after it (CSV seeks straight to the byte offset).

    Yields:
        File-level errors and header warnings first, then one result per non-blank data
        row: a record of raw values, or a row error.

    Raises:
        ReaderError: ``UNKNOWN_KIND`` when the mapping has no such kind.
    """
    mapping = mapping if mapping is not None else HeaderMapping.default()
    if kind not in mapping.kinds:
        raise ReaderError(
            "UNKNOWN_KIND", f"unknown record kind {kind!r}; known: {', '.join(mapping.kinds)}"
        )
    suffix = path.suffix.lower()
    if not path.is_file():
        yield _file_error("FILE_NOT_FOUND", f"no such file: {path}")
    elif suffix in _CSV_SUFFIXES:
        yield from _read_csv(path, kind, mapping, encoding, resume_from)
    elif suffix in _XLSX_SUFFIXES:
        yield from _read_xlsx(path, kind, mapping, sheet, resume_from)
    elif suffix == ".xls":
        yield _file_error(
            "UNSUPPORTED_FILE", f"{path.name}: legacy .xls is not supported; save it as .xlsx"
        )
    else:
        yield _file_error(
            "UNSUPPORTED_FILE",
            f"{path.name}: unsupported file type {suffix or '(none)'}; use .csv or .xlsx",
        )
