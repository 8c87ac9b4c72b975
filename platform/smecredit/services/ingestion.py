"""Pull a data source into the platform: clean, validate, quarantine, integrate, resume.

:func:`run_sync` streams a source's records and, per record:

1. a record the source could not parse (``SourceRecord.error``) is **quarantined**;
2. the record is cleaned (:func:`~smecredit.domain.cleaning.normalise_record`, through a
   cache of repeated values, :mod:`smecredit.services.ingest_clean`): missing
   ``source``/``fetched_at`` default to the source's name and the run's start, empty
   optional values are dropped;
3. the cleaned record is validated against ``schema/records/<kind>.schema.json``; a record
   with cleaning errors or schema violations is quarantined with its locator, field and
   reason - never silently dropped - while the valid records around it still land;
4. records about firms without a valid consent (consent-gated sources) are quarantined.

Valid records are gathered into batches of ``batch_size``; each batch is integrated into
one firm profile (:mod:`smecredit.services.ingest_writer`), quarantined records stored,
run counts and the **checkpoint** (the position of the batch's last record) written - all
in **one transaction**. An interrupted sync therefore resumes exactly after the last
committed record: nothing is lost and nothing is counted or written twice.

Data quality per run: records read / accepted / quarantined, merges into existing profiles,
duplicates, outliers per field (:func:`~smecredit.domain.cleaning.flag_outliers`, flagged
not dropped) and missing-value rates per field
(:func:`~smecredit.domain.cleaning.missing_rates`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.cleaning import KINDS, fields_of, flag_outliers, missing_rates
from smecredit.records import validator_for
from smecredit.sdk import DataSource, FetchRequest, SourceRecord
from smecredit.services.consent import consent_scope_of, consented_firms
from smecredit.services.ingest_clean import clean_record
from smecredit.services.ingest_sql import SqlRunner
from smecredit.services.ingest_writer import Rejected, ValidRecord, write_batch

__all__ = [
    "IngestionError",
    "SyncJob",
    "SyncProgress",
    "SyncRunResult",
    "execute_sync",
    "prepare_sync",
    "run_sync",
]

#: Skipped firms stored on the run row; the count is always complete.
MAX_SKIPPED_STORED = 1000
#: Source messages (file-level errors, warnings) kept on the run row.
MAX_NOTES = 50
_MAX_LOCATOR = 255


class IngestionError(Exception):
    """A sync cannot start: unknown source, invalid settings, unknown kind.

    Attributes:
        code: stable UPPER_SNAKE code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Progress of a running sync, reported after each committed batch.

    Attributes:
        run_id: the run.
        done: records taken in so far (committed).
        total: records expected, when known.
        accepted: records integrated so far.
        quarantined: records quarantined so far.
    """

    run_id: int
    done: int
    total: int | None
    accepted: int
    quarantined: int


ProgressCallback = Callable[[SyncProgress], Awaitable[None] | None]


@dataclass(slots=True)
class SyncRunResult:
    """The outcome of one sync run (also stored as a :class:`~smecredit.models.SyncRun`).

    Attributes:
        run_id: id of the stored run.
        source: source name.
        status: ``succeeded``, ``failed`` or ``interrupted``.
        read / accepted / quarantined / merged / duplicates / outliers: the run's counts
            (of committed batches: ``read == accepted + quarantined``).
        missing_rates: kind -> field -> share of records with the field empty.
        outliers_by_field: ``kind.field`` -> values flagged.
        skipped_firms: USCCs not requested for lack of consent (consent-gated sources).
        notes: the source's own messages (first :data:`MAX_NOTES`): ``code``, ``message``,
            ``locator`` and ``severity``; warnings lose no record and are not counted.
        checkpoint: position of the last committed record.
        resumed_from: the checkpoint this run resumed after, if any.
        error: what stopped a failed run.
    """

    run_id: int
    source: str
    status: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    merged: int = 0
    duplicates: int = 0
    outliers: int = 0
    missing_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    outliers_by_field: dict[str, int] = field(default_factory=dict)
    skipped_firms: list[str] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    checkpoint: str | None = None
    resumed_from: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the run finished."""
        return self.status == "succeeded"

    def __str__(self) -> str:
        text = (
            f"run {self.run_id} {self.status}: read {self.read}, accepted {self.accepted}, "
            f"quarantined {self.quarantined}, merged {self.merged}, "
            f"duplicates {self.duplicates}, outliers {self.outliers}"
        )
        if self.skipped_firms:
            text += f", {len(self.skipped_firms)} firm(s) skipped for lack of consent"
        if self.error:
            text += f" ({self.error})"
        return text


@dataclass(slots=True)
class SyncJob:
    """A prepared sync: the source, the request and the run row already created."""

    source: DataSource
    request: FetchRequest
    run: models.SyncRun
    scope: str
    batch_size: int = 1000
    allowed_firms: frozenset[str] | None = None
    skipped_firms: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Quarantine:
    kind: str | None
    locator: str
    code: str
    field: str | None
    reason: str
    raw: Any


@dataclass(slots=True)
class _Tally:
    """Counts of one run, kept in memory and written with every batch."""

    read: int = 0  # records taken from the source, committed or not
    committed: int = 0  # records of committed batches: accepted + quarantined
    accepted: int = 0
    quarantined: int = 0
    merged: int = 0
    duplicates: int = 0
    outliers: int = 0
    outliers_by_field: dict[str, int] = field(default_factory=dict)
    notes: list[dict[str, str]] = field(default_factory=list)
    # kind -> field -> missing count, and kind -> records seen
    missing: dict[str, dict[str, float]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def missing_rates(self) -> dict[str, dict[str, float]]:
        return {
            kind: {name: round(count / self.seen[kind], 6) for name, count in counts.items()}
            for kind, counts in self.missing.items()
            if self.seen.get(kind)
        }


def _quality_fields(kind: str) -> list[str]:
    names = []
    for name, spec in fields_of(kind).items():
        if name in ("source", "fetched_at", "extensions"):
            continue
        names.append(name)
        names += [f"{name}.{child}" for child in spec.children]
    return names


_QUALITY_FIELDS = {kind: _quality_fields(kind) for kind in KINDS}


def _resolve(registry_or_source: Any, source_name: str | None) -> DataSource:
    if hasattr(registry_or_source, "fetch"):
        return registry_or_source  # type: ignore[no-any-return]
    sources = getattr(registry_or_source, "data_sources", registry_or_source)
    if not isinstance(sources, Mapping):
        raise IngestionError("UNKNOWN_SOURCE", "no data sources to choose from")
    if source_name is None or source_name not in sources:
        known = ", ".join(sorted(sources)) or "(none installed)"
        raise IngestionError(
            "UNKNOWN_SOURCE", f"unknown data source {source_name!r}; installed: {known}"
        )
    return sources[source_name]  # type: ignore[no-any-return]


def _scope(
    kind: str | None, path: Path | None, settings: Mapping[str, Any], since: str | None
) -> str:
    """A stable key of "the same request", so a rerun finds its checkpoint."""
    ident = json.dumps(
        {"path": str(path.resolve()) if path else None, "settings": settings, "since": since},
        sort_keys=True,
        default=str,
    )
    return f"{kind or '*'}:{hashlib.sha256(ident.encode()).hexdigest()[:16]}"


def _check_settings(source: DataSource, settings: Mapping[str, Any]) -> None:
    schema = getattr(source, "settings_schema", None) or {}
    if not schema:
        return
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(dict(settings)), key=lambda e: e.path
    )
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "settings"
        raise IngestionError(
            "INVALID_SETTINGS", f"settings of source {source.name!r}: {where}: {errors[0].message}"
        )


async def prepare_sync(
    registry_or_source: Any,
    source_name: str | None = None,
    *,
    since: str | dt.datetime | None = None,
    settings: Mapping[str, Any] | None = None,
    path: str | Path | None = None,
    kind: str | None = None,
    firm_usccs: Sequence[str] | None = None,
    batch_size: int = 1000,
    resume: bool = True,
    total: int | None = None,
) -> SyncJob:
    """Check the request, gate it by consent and create the run row (status ``running``).

    Arguments as :func:`run_sync`.

    Raises:
        IngestionError: ``UNKNOWN_SOURCE``, ``INVALID_SETTINGS``, ``UNKNOWN_KIND`` or
            ``INVALID_BATCH_SIZE``.
    """
    source = _resolve(registry_or_source, source_name)
    settings = dict(settings or {})
    _check_settings(source, settings)
    if kind is not None and kind not in KINDS:
        raise IngestionError(
            "UNKNOWN_KIND", f"unknown record kind {kind!r}; known kinds: {', '.join(KINDS)}"
        )
    if batch_size < 1:
        raise IngestionError("INVALID_BATCH_SIZE", f"batch_size must be >= 1, got {batch_size}")
    since_text = since.isoformat() if isinstance(since, dt.datetime) else since
    file_path = Path(path) if path is not None else None
    scope = _scope(kind, file_path, settings, since_text)
    resume_from = None
    if resume:
        checkpoint = await models.SourceCheckpoint.get_or_none(source=source.name, scope=scope)
        resume_from = checkpoint.position if checkpoint else None
    allowed: frozenset[str] | None = None
    skipped: list[str] = []
    requested = list(firm_usccs) if firm_usccs is not None else None
    if getattr(source, "needs_consent", False):
        candidates: list[str] = (
            requested
            if requested is not None
            else [
                str(uscc)
                for uscc in await models.Firm.all().order_by("uscc").values_list("uscc", flat=True)
            ]
        )
        consented = await consented_firms(consent_scope_of(source))
        allowed = frozenset(consented)
        requested = [uscc for uscc in candidates if uscc in consented]
        skipped = sorted(uscc for uscc in candidates if uscc not in consented)
    run = await models.SyncRun.create(
        source=source.name,
        kind=kind,
        scope=scope,
        since=since_text,
        resumed_from=resume_from,
        total=total,
        skipped_firms=skipped[:MAX_SKIPPED_STORED],
        skipped_count=len(skipped),
    )
    request = FetchRequest(
        since=since_text,
        settings=settings,
        path=file_path,
        kind=kind,
        firm_usccs=requested,
        resume_from=resume_from,
    )
    return SyncJob(source, request, run, scope, batch_size, allowed, skipped)


class _Assessor:
    """Cleans and validates one record at a time (no I/O)."""

    def __init__(self, job: SyncJob) -> None:
        self.source_name = job.source.name
        self.default_fetched_at = job.run.started_at.isoformat()
        self.allowed = job.allowed_firms
        self.required: dict[str, frozenset[str]] = {}

    def assess(self, item: SourceRecord) -> ValidRecord | _Quarantine:
        kind, raw, locator = item.kind, item.data, item.locator[:_MAX_LOCATOR]
        if item.error is not None:
            error = item.error
            return _Quarantine(kind, locator, error.code, error.field, error.message, raw)
        if kind not in KINDS:
            reason = f"unknown record kind {kind!r}; known kinds: {', '.join(KINDS)}"
            return _Quarantine(kind, locator, "UNKNOWN_KIND", None, reason, raw)
        if not isinstance(raw, Mapping):
            reason = f"a {kind} record must be an object, got {type(raw).__name__}"
            return _Quarantine(kind, locator, "BAD_RECORD", None, reason, raw)
        data = raw
        if not raw.get("source") or not raw.get("fetched_at"):
            data = dict(raw)
            data["source"] = raw.get("source") or self.source_name
            data["fetched_at"] = raw.get("fetched_at") or self.default_fetched_at
        cleaned = clean_record(kind, data)
        record = cleaned.record
        validator = validator_for(kind)
        required = self.required.get(kind) or frozenset(validator.schema.get("required", ()))
        self.required[kind] = required
        empty = [
            name
            for name, value in record.items()
            if (value is None and name not in required)
            # e.g. representative columns present but all empty: absent, not invalid
            or (
                type(value) is dict
                and name != "extensions"
                and all(v is None for v in value.values())
            )
        ]
        for name in empty:
            del record[name]  # an empty optional value is an absent one
        errors = [issue for issue in cleaned.issues if issue.severity == "error"]
        violations = validator.violations(record)
        if errors or violations:
            messages = [issue.message for issue in errors]
            messages += [
                f"{v.field}: {v.message}" if v.field else v.message
                for v in violations
                if not any(v.field == issue.field for issue in errors)
            ]
            first_field = errors[0].field if errors else violations[0].field or None
            code = errors[0].code if errors else "SCHEMA_VIOLATION"
            return _Quarantine(kind, locator, code, first_field, "; ".join(messages), raw)
        if self.allowed is not None:
            uscc = record.get("firm_uscc") or record.get("uscc")
            if uscc is not None and uscc not in self.allowed:
                reason = f"no valid consent recorded for firm {uscc}: record not taken in"
                field_name = "firm_uscc" if "firm_uscc" in record else "uscc"
                return _Quarantine(kind, locator, "CONSENT_MISSING", field_name, reason, raw)
        return ValidRecord(kind, record, locator, raw)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def _store_quarantine(
    conn: BaseDBAsyncClient, run_id: int, source: str, items: Sequence[_Quarantine]
) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = [
        (
            run_id,
            source,
            item.locator,
            item.kind[:32] if item.kind else None,
            item.field[:128] if item.field else None,
            item.code[:64],
            item.reason,
            _json(item.raw),
            now,
        )
        for item in items
    ]
    await SqlRunner(conn).insert_many(
        "quarantined_record",
        [
            "run_id",
            "source",
            "locator",
            "kind",
            "field",
            "code",
            "reason",
            "raw_record",
            "created_at",
        ],
        rows,
    )


def _from_rejected(rejected: Rejected) -> _Quarantine:
    item = rejected.item
    return _Quarantine(
        item.kind, item.locator, rejected.code, rejected.field, rejected.reason, item.raw
    )


class _Runner:
    def __init__(self, job: SyncJob, progress: ProgressCallback | None) -> None:
        self.job = job
        self.progress = progress
        self.tally = _Tally()
        self.assessor = _Assessor(job)
        self.checkpoint = job.request.resume_from
        self.pending: asyncio.Future[None] | None = None

    def _observe(self, kind: str, records: list[dict[str, Any]], *, cleaned: bool = True) -> None:
        """Missing-value counts of a batch's records of one kind."""
        names = _QUALITY_FIELDS.get(kind)
        if not names or not records:
            return
        counts = self.tally.missing.setdefault(kind, dict.fromkeys(names, 0.0))
        if cleaned:
            # Cleaning turned every null token into None (or dropped the key): a plain
            # lookup is exact and much cheaper than re-testing null tokens.
            for name in names:
                if "." in name:
                    parent, child = name.split(".", 1)
                    missing = sum(
                        1
                        for r in records
                        if not isinstance(r.get(parent), dict) or r[parent].get(child) is None
                    )
                else:
                    missing = sum(1 for r in records if r.get(name) is None)
                counts[name] += missing
        else:
            for name, rate in missing_rates(records, names).items():
                counts[name] += rate * len(records)
        self.tally.seen[kind] = self.tally.seen.get(kind, 0) + len(records)

    def _flag(self, valid: list[ValidRecord]) -> None:
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for item in valid:
            by_kind.setdefault(item.kind, []).append(item.record)
        for kind, records in by_kind.items():
            for issue in flag_outliers(kind, records):
                key = f"{kind}.{issue.field}"
                self.tally.outliers += 1
                self.tally.outliers_by_field[key] = self.tally.outliers_by_field.get(key, 0) + 1

    async def commit(
        self, valid: list[ValidRecord], quarantined: list[_Quarantine], position: str | None
    ) -> None:
        """Write one batch; a cancellation waits for the batch's transaction to finish."""
        # Cancelling inside a transaction can leave Tortoise's SQLite connection lock held
        # (its __aenter__ is not cancellation-safe), so the transaction runs in its own
        # task: cancelling the sync stops it between batches, never inside one.
        self.pending = asyncio.ensure_future(self._write(valid, quarantined, position))
        await asyncio.shield(self.pending)
        if self.progress is not None:
            job, tally = self.job, self.tally
            report = self.progress(
                SyncProgress(
                    job.run.id, tally.committed, job.run.total, tally.accepted, tally.quarantined
                )
            )
            if inspect.isawaitable(report):
                await report

    async def settle(self) -> None:
        """Wait for a batch still being written (after a cancellation)."""
        if self.pending is not None and not self.pending.done():
            with contextlib.suppress(Exception):
                await self.pending

    async def _write(
        self, valid: list[ValidRecord], quarantined: list[_Quarantine], position: str | None
    ) -> None:
        job, tally = self.job, self.tally
        self._flag(valid)
        cleaned: dict[str, list[dict[str, Any]]] = {}
        for item in valid:
            cleaned.setdefault(item.kind, []).append(item.record)
        for kind, records in cleaned.items():
            self._observe(kind, records)
        for verdict in quarantined:
            self._observe_raw(verdict)
        async with in_transaction() as conn:
            outcome = await write_batch(conn, valid, run_started=job.run.started_at)
            quarantined = quarantined + [_from_rejected(r) for r in outcome.rejected]
            await _store_quarantine(conn, job.run.id, job.source.name, quarantined)
            counts = (
                tally.accepted + outcome.accepted,
                tally.quarantined + len(quarantined),
                tally.merged + outcome.merged,
                tally.duplicates + outcome.duplicates,
            )
            if position is not None:
                await self._save_checkpoint(conn, position)
            await self._save_counts(conn, counts=counts, checkpoint=position or self.checkpoint)
        # Only a committed batch moves the in-memory counts and checkpoint.
        tally.accepted, tally.quarantined, tally.merged, tally.duplicates = counts
        tally.committed = tally.accepted + tally.quarantined
        if position is not None:
            self.checkpoint = position

    async def _save_checkpoint(self, conn: BaseDBAsyncClient, position: str) -> None:
        job = self.job
        now = dt.datetime.now(dt.UTC)
        updated = (
            await models.SourceCheckpoint.filter(source=job.source.name, scope=job.scope)
            .using_db(conn)
            .update(position=position, run_id=job.run.id, updated_at=now)
        )
        if not updated:
            await models.SourceCheckpoint.create(
                source=job.source.name,
                scope=job.scope,
                position=position,
                run_id=job.run.id,
                using_db=conn,
            )

    async def _save_counts(
        self,
        conn: BaseDBAsyncClient | None = None,
        *,
        counts: tuple[int, int, int, int] | None = None,
        checkpoint: str | None = None,
        **extra: Any,
    ) -> None:
        tally = self.tally
        accepted, quarantined, merged, duplicates = counts or (
            tally.accepted,
            tally.quarantined,
            tally.merged,
            tally.duplicates,
        )
        query = models.SyncRun.filter(id=self.job.run.id)
        if conn is not None:
            query = query.using_db(conn)
        # ``read`` counts committed records only, so read == accepted + quarantined holds
        # and the runs of an interrupted and resumed sync add up to one uninterrupted run.
        await query.update(
            read=accepted + quarantined,
            done=accepted + quarantined,
            accepted=accepted,
            quarantined=quarantined,
            merged=merged,
            duplicates=duplicates,
            outliers=tally.outliers,
            outliers_by_field=tally.outliers_by_field,
            missing_rates=tally.missing_rates(),
            notes=tally.notes,
            checkpoint=checkpoint or self.checkpoint,
            **extra,
        )

    async def _stream(self) -> AsyncIterator[SourceRecord]:
        fetched: Any = self.job.source.fetch(self.job.request)
        if inspect.isawaitable(fetched):
            fetched = await fetched
        return fetched  # type: ignore[no-any-return]

    async def run(self) -> None:
        job, tally = self.job, self.tally
        if (
            job.request.firm_usccs is not None
            and not job.request.firm_usccs
            and job.allowed_firms is not None
        ):
            return  # consent-gated and no firm may be asked about
        valid: list[ValidRecord] = []
        quarantined: list[_Quarantine] = []
        position: str | None = None
        in_batch = 0
        stream = await self._stream()
        try:
            async for item in stream:
                if item.error is not None:
                    self._note(item)
                    if getattr(item.error, "severity", "error") == "warning":
                        continue  # a note about the file, not a record
                tally.read += 1
                in_batch += 1
                position = item.position
                verdict = self.assessor.assess(item)
                if type(verdict) is ValidRecord:
                    valid.append(verdict)
                else:
                    quarantined.append(verdict)  # type: ignore[arg-type]
                if in_batch >= job.batch_size:
                    await self.commit(valid, quarantined, position)
                    valid, quarantined, in_batch = [], [], 0
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()
        if in_batch:
            await self.commit(valid, quarantined, position)

    def _note(self, item: SourceRecord) -> None:
        if item.error is None or len(self.tally.notes) >= MAX_NOTES:
            return
        self.tally.notes.append(
            {
                "code": item.error.code,
                "message": item.error.message,
                "locator": item.locator,
                "severity": getattr(item.error, "severity", "error"),
            }
        )

    def _observe_raw(self, verdict: _Quarantine) -> None:
        # Quarantined records still count towards missing-value rates of their kind.
        if verdict.kind in _QUALITY_FIELDS and isinstance(verdict.raw, Mapping):
            self._observe(verdict.kind, [dict(verdict.raw)], cleaned=False)

    async def finish(self, status: str, error: str | None) -> SyncRunResult:
        job = self.job
        now = dt.datetime.now(dt.UTC)
        await self._save_counts(status=status, finished_at=now, error=error)
        if status == "succeeded":
            # A finished run leaves nothing to resume: the next sync starts afresh.
            await models.SourceCheckpoint.filter(source=job.source.name, scope=job.scope).delete()
        tally = self.tally
        return SyncRunResult(
            run_id=job.run.id,
            source=job.source.name,
            status=status,
            read=tally.committed,
            accepted=tally.accepted,
            quarantined=tally.quarantined,
            merged=tally.merged,
            duplicates=tally.duplicates,
            outliers=tally.outliers,
            missing_rates=tally.missing_rates(),
            outliers_by_field=dict(tally.outliers_by_field),
            skipped_firms=list(job.skipped_firms),
            notes=list(tally.notes),
            checkpoint=self.checkpoint,
            resumed_from=job.request.resume_from,
            error=error,
        )


def _describe(error: BaseException) -> str:
    code = getattr(error, "code", None)
    text = str(error) or type(error).__name__
    return f"{code}: {text}" if isinstance(code, str) else f"{type(error).__name__}: {text}"


async def execute_sync(job: SyncJob, *, progress: ProgressCallback | None = None) -> SyncRunResult:
    """Run a prepared sync to its end (see the module docstring).

    A source that raises ends the run as ``failed`` (the committed batches stay, the
    checkpoint allows a resume); cancelling the task ends it as ``interrupted`` and
    re-raises the cancellation.
    """
    runner = _Runner(job, progress)
    try:
        await runner.run()
    except (asyncio.CancelledError, KeyboardInterrupt):
        await runner.settle()
        await asyncio.shield(runner.finish("interrupted", "the sync was interrupted"))
        raise
    except Exception as error:
        return await runner.finish("failed", _describe(error))
    return await runner.finish("succeeded", None)


async def run_sync(
    registry_or_source: Any,
    source_name: str | None = None,
    *,
    since: str | dt.datetime | None = None,
    settings: Mapping[str, Any] | None = None,
    path: str | Path | None = None,
    kind: str | None = None,
    firm_usccs: Sequence[str] | None = None,
    batch_size: int = 1000,
    progress: ProgressCallback | None = None,
    resume: bool = True,
    total: int | None = None,
) -> SyncRunResult:
    """Pull ``source_name`` into the platform and return the run's outcome.

    Args:
        registry_or_source: a plugin registry (``.data_sources``), a mapping of name to
            source, or a data source itself.
        source_name: the source to run (ignored when a source is passed).
        since: pull only what changed since then (incremental sources).
        settings: the source's settings, checked against its ``settings_schema``.
        path: the file to read (file sources).
        kind: the record kind (file sources: what the file holds).
        firm_usccs: only these firms (default: all; consent-gated sources: only the
            consented ones among them).
        batch_size: records per transaction and checkpoint.
        progress: called after every committed batch with a :class:`SyncProgress`.
        resume: continue after the checkpoint of an unfinished run of the same request.
        total: the number of records expected, for progress display.

    Returns:
        The run's counts and status (``failed`` runs carry ``error``).

    Raises:
        IngestionError: the sync cannot start (unknown source, invalid settings...).
        asyncio.CancelledError: when cancelled (the run is stored as ``interrupted``).
    """
    job = await prepare_sync(
        registry_or_source,
        source_name,
        since=since,
        settings=settings,
        path=path,
        kind=kind,
        firm_usccs=firm_usccs,
        batch_size=batch_size,
        resume=resume,
        total=total,
    )
    return await execute_sync(job, progress=progress)
