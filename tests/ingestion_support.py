"""Test doubles and helpers for the ingestion tests (``from ingestion_support import ...``)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import astuple
from typing import Any

from smecredit import models
from smecredit.sdk import FetchRequest, RecordError, SourceRecord
from smecredit.services.persons import decrypt_person

__all__ = [
    "ListSource",
    "Stopper",
    "StoppingSource",
    "clear_tables",
    "snapshot",
]


class ListSource:
    """A data source over a fixed list of (kind, record) pairs; positions are ordinals."""

    description = "records from a list"
    incremental = False
    settings_schema: dict[str, Any] = {}  # noqa: RUF012

    def __init__(
        self,
        records: Iterable[tuple[str, dict[str, Any]] | SourceRecord],
        *,
        name: str = "listed",
        needs_consent: bool = False,
        kinds: Sequence[str] = ("firm", "person", "tax_record", "bureau_summary"),
    ) -> None:
        self.name = name
        self.needs_consent = needs_consent
        self.record_kinds = tuple(kinds)
        self.items = list(records)
        self.requests: list[FetchRequest] = []

    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        self.requests.append(request)
        start = int(request.resume_from) + 1 if request.resume_from is not None else 0
        for ordinal, item in enumerate(self.items):
            if ordinal < start:
                continue
            if isinstance(item, SourceRecord):
                yield SourceRecord(item.kind, item.data, f"{ordinal:08d}", item.locator, item.error)
            else:
                kind, data = item
                yield SourceRecord(kind, dict(data), f"{ordinal:08d}", f"item {ordinal}")


def broken(locator: str, code: str = "BAD_ROW") -> SourceRecord:
    """A record the source could not parse."""
    return SourceRecord("firm", {}, "", locator, RecordError(code, f"{locator} is broken"))


class Stopper(Exception):
    """Raised by :class:`StoppingSource` to simulate a crash half-way."""


class StoppingSource:
    """Wraps a source and raises :class:`Stopper` after ``stop_after`` records."""

    def __init__(self, inner: Any, stop_after: int) -> None:
        self.inner = inner
        self.stop_after = stop_after
        for attr in ("name", "description", "record_kinds", "incremental", "needs_consent"):
            setattr(self, attr, getattr(inner, attr))
        self.settings_schema = getattr(inner, "settings_schema", {})

    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        count = 0
        async for item in self.inner.fetch(request):
            if count == self.stop_after:
                raise Stopper(f"stopped after {count} records")
            count += 1
            yield item


_DATA_MODELS: tuple[Any, ...] = (
    models.RepaymentHistory,
    models.Loan,
    models.BureauSummary,
    models.LegalCase,
    models.RegistryEvent,
    models.TaxRecord,
    models.FinancialStatement,
    models.Consent,
    models.Firm,
    models.Person,
)
_BOOKKEEPING: tuple[Any, ...] = (
    models.QuarantinedRecord,
    models.SourceCheckpoint,
    models.RefreshJob,
    models.SourceState,
    models.SyncRun,
)
_SKIP = {
    "id",
    "created_at",
    "updated_at",
    "version",
    "firm_id",
    "representative_id",
    "run_id",
    "key_ref",
}


async def clear_tables() -> None:
    """Delete every ingested row (children first)."""
    for model in (*_BOOKKEEPING, *_DATA_MODELS):
        await model.all().delete()


async def snapshot(*, include_quarantine: bool = True) -> dict[str, tuple[int, str]]:
    """Table -> (row count, checksum of every column but surrogate keys and timestamps).

    Foreign keys are replaced by the natural key they point at (firm USCC, representative
    ID number), so two databases filled in different orders compare equal.
    """
    result: dict[str, tuple[int, str]] = {}
    tables: tuple[Any, ...] = _DATA_MODELS
    if include_quarantine:
        tables = (*tables, models.QuarantinedRecord)
    for model in tables:
        names = [n for n in model._meta.db_fields if n not in _SKIP]
        if model is models.QuarantinedRecord:
            names = ["source", "locator", "kind", "field", "code", "reason"]
        if "firm_id" in model._meta.db_fields:
            names.append("firm__uscc")
        if model is models.Firm:
            names.append("representative__id_number_index")
        rows = await model.all().values_list(*names)
        if model is models.Person:
            # Stored encrypted under random per-row references: compare the clear values.
            people = await model.all()
            rows = [(p.id_number_index, *astuple(decrypt_person(p))[1:]) for p in people]
        digest = hashlib.sha256()
        for row in sorted(repr(tuple(str(v) for v in row)) for row in rows):
            digest.update(row.encode())
        result[model._meta.db_table] = (len(rows), digest.hexdigest()[:16])
    return result
