"""Data sources: what they declare, what the core asks them for, the records they yield."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import anyio.lowlevel

#: The record kinds a data source may yield; each has ``schema/records/<kind>.schema.json``.
RECORD_KINDS: tuple[str, ...] = (
    "firm",
    "person",
    "financial_statement",
    "tax_record",
    "registry_event",
    "legal_case",
    "bureau_summary",
    "loan",
    "repayment_history",
)


async def yield_to_event_loop() -> None:
    """Let other tasks run; call it every few hundred records in a CPU-bound ``fetch``.

    The platform serves requests on the same event loop that consumes a source, so a
    source that computes its records (rather than awaiting I/O) should yield now and then.
    """
    await anyio.lowlevel.checkpoint()


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What the core asks a data source for.

    Attributes:
        since: for incremental sources, the checkpoint of the last successful pull (an
            ISO date-time or the source's own token); ``None`` pulls everything.
        settings: the source's settings, valid against its ``settings_schema``.
        path: the file to read, for file sources (batch import); else ``None``.
        kind: the record kind to read when the source cannot tell by itself (a CSV file
            holds one kind), else ``None`` for "every kind the source has".
        firm_usccs: the firms to pull for; for a source with ``needs_consent`` the core
            only ever passes firms with a recorded consent. ``None`` means all firms.
        resume_from: a :attr:`SourceRecord.position` yielded by an earlier, interrupted
            run with the same request: the source yields exactly the records after it.
    """

    since: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None
    kind: str | None = None
    firm_usccs: Sequence[str] | None = None
    resume_from: str | None = None


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why a source could not even parse a row (a bad CSV line, an undecodable cell).

    Attributes:
        code: stable UPPER_SNAKE code, e.g. ``BAD_ROW``.
        message: for a person; names the column or line where it helps.
        field: the field or column concerned, if any.
        severity: ``error`` (the row is lost) or ``warning`` (a file-level note, such as
            an ignored unknown column, that loses no row).
    """

    code: str
    message: str
    field: str | None = None
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record yielded by :meth:`DataSource.fetch`.

    Attributes:
        kind: one of :data:`RECORD_KINDS` and of the source's ``record_kinds``.
        data: the record; valid against ``schema/records/<kind>.schema.json`` unless the
            source declares ``raw_values = True`` (then the core's cleaning step converts
            it first). ``{}`` when ``error`` is set.
        position: opaque checkpoint token of this record: unique and strictly increasing
            (as a string, so zero-pad numbers) within a run. Passing it back as
            :attr:`FetchRequest.resume_from` resumes right after this record.
        locator: where the record came from, for people: ``"line 17"``,
            ``"sheet 1 row 4"``, ``"firm 12 record 3"``.
        error: set for a row the source could not parse; the core reports it and goes on.
    """

    kind: str
    data: dict[str, Any]
    position: str
    locator: str
    error: RecordError | None = None


@runtime_checkable
class DataSource(Protocol):
    """A source of records about firms (R2): a registry, a bureau, the lender's own books.

    Plugins return instances from ``register_data_sources()``.

    Attributes:
        name: unique source name, also written to every record's ``source`` field.
        description: one line for administrators.
        record_kinds: the kinds ``fetch`` may yield, a subset of :data:`RECORD_KINDS`.
        incremental: True when ``fetch`` honours :attr:`FetchRequest.since`.
        needs_consent: True when the source pulls personal or bureau data: the core then
            calls it only for firms with a recorded consent (``firm_usccs``).
        settings_schema: JSON Schema (draft 2020-12) of :attr:`FetchRequest.settings`.
        raw_values: optional (default False). True when ``data`` holds raw values (strings
            from a spreadsheet) that the platform's cleaning step converts before schema
            validation.
        consent_scope: optional (default None: the source's ``name``). The consent scope
            (lower-case identifier) a firm's consent must cover before a source with
            ``needs_consent`` is called for it; sources sharing one consent share a scope.

    Optional attributes (those with a value here) are declared since SDK 1.3; the core reads
    them with :func:`smecredit.sdk.declared`, so an object may leave them out.
    """

    name: str
    description: str
    record_kinds: tuple[str, ...]
    incremental: bool
    needs_consent: bool
    settings_schema: dict[str, Any]
    raw_values: bool = False
    consent_scope: str | None = None

    def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        """Stream records (an ``async def`` generator: ``async for record in ...``).

        Must yield only after ``request.resume_from`` when it is set, never hold the whole
        data set in memory, and turn unparseable rows into records with ``error`` rather
        than raising. Raise (with a ``code`` attribute) only when nothing can be read.
        """
        ...
