"""Pull a data source into the platform: clean, validate, quarantine, integrate, resume.

:func:`run_sync` (as :func:`prepare_sync` + :func:`execute_sync`) authorises the caller
(``data.import`` for a file, ``source.sync`` otherwise: the CLI acts as ``SYSTEM``), claims
the run (one live run per request, :mod:`smecredit.services.ingestion.runs`) and streams the
source's records; per record:

1. a record the source could not parse (``SourceRecord.error``) is **quarantined**;
2. the record is cleaned (:func:`~smecredit.domain.cleaning.normalise_record`, through a
   cache of repeated values, :mod:`smecredit.services.ingestion.clean`): missing
   ``source``/``fetched_at`` default to the source's name and the run's start, empty
   optional values are dropped;
3. the cleaned record is validated against ``schema/records/<kind>.schema.json``; a record
   with cleaning errors or schema violations is quarantined with its locator, field and
   reason - never silently dropped - while the valid records around it still land;
4. records about firms without a valid consent (consent-gated sources) are quarantined;
5. a valid record with an implausible date or formula-like text is **flagged**
   (:func:`~smecredit.domain.cleaning.flag_implausible`): integrated, and counted per code
   and field on the run.

Valid records are gathered into batches of ``batch_size``; each batch is integrated into
one firm profile (:mod:`smecredit.services.ingestion.writer`), quarantined records stored
(personal data encrypted or masked, :mod:`smecredit.services.ingestion.quarantine`), run
counts, heartbeat and the **checkpoint** (the position of the batch's last record, stored
encrypted) written - all in **one transaction**, fenced so that a run another process has
declared dead writes nothing more. An interrupted sync therefore resumes exactly after the
last committed record: nothing is lost and nothing is counted or written twice.

The run ends ``succeeded`` (nothing quarantined), ``partial`` (finished, some records
quarantined), ``failed`` (the source raised: a file that cannot be read at all, a missing
column; the error is stored) or ``interrupted`` (cancelled, or its process died: see
:func:`~smecredit.services.ingestion.runs.reap_dead_runs`); the final status, the counts and
an audit row (who, source, file name and SHA-256, counts) are written in one transaction.

A run that read its source to the end remembers its start as the source's next ``since``
(incremental sources), and the firms whose rows it inserted or changed are queued, in the
run's closing transaction, for rescoring and warning re-evaluation
(:mod:`smecredit.services.ingestion.refresh`), run right after by :func:`execute_sync`.
Empty values follow each field's missing-value policy (quarantine, impute, keep:
:mod:`smecredit.domain.cleaning.fields`); an imputed value is flagged ``IMPUTED`` and named
on its stored row.

Data quality per run: records read / accepted / quarantined / flagged, merges into
existing profiles, duplicates, outliers per field
(:func:`~smecredit.domain.cleaning.flag_outliers`, flagged not dropped) and missing-value
rates per field (:func:`~smecredit.domain.cleaning.missing_rates`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import inspect
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.cleaning import (
    KINDS,
    fields_of,
    flag_outliers,
    missing_rates,
)
from smecredit.domain.redaction import redact_personal
from smecredit.sdk import DataSource, FetchRequest, SourceRecord
from smecredit.security.keys import decrypt_field, encrypt_field
from smecredit.security.operations import SYSTEM, authorize
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.consent import consent_scope_of, consented_firms
from smecredit.services.ingestion.assess import Assessor, from_rejected
from smecredit.services.ingestion.quarantine import (
    QuarantineItem,
    seal_clear_quarantine,
    store_quarantine,
)
from smecredit.services.ingestion.refresh import (
    queue_refresh,
    remember_since,
    remembered_since,
    run_refresh,
)
from smecredit.services.ingestion.results import (
    FINISHED_STATUSES,
    ProgressCallback,
    SyncJob,
    SyncProgress,
    SyncRunResult,
)
from smecredit.services.ingestion.runs import (
    DEFAULT_STALE_AFTER,
    IngestionError,
    RunLost,
    claim_run,
    fenced_update,
    heartbeat,
    reap_dead_runs,
    release_live,
)
from smecredit.services.ingestion.writer import ValidRecord, write_batch

__all__ = [
    "IngestionError",
    "execute_sync",
    "prepare_sync",
    "run_positions",
    "run_sync",
]

#: Skipped firms stored on the run row; the count is always complete.
MAX_SKIPPED_STORED = 1000
#: Source messages (warnings) kept on the run row.
MAX_NOTES = 50
#: Flagged records listed on the run row (the counts per code and field are complete).
MAX_FLAGS = 100
_CHUNK = 1 << 20
# Quarantine rows stored in clear by an older version are sealed by the first sync of
# each process (a scan that finds nothing once they are).
_legacy_sealed = False


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
    flagged: int = 0
    flagged_by_code: dict[str, dict[str, int]] = field(default_factory=dict)
    flags: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    # kind -> field -> missing count, and kind -> records seen
    missing: dict[str, dict[str, float]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    # firms whose rows committed batches inserted or changed (rescored after the run)
    touched_firms: set[int] = field(default_factory=set)
    touched_usccs: set[str] = field(default_factory=set)

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
    kind: str | None,
    path: Path | None,
    settings: Mapping[str, Any],
    since: str | None,
    digest: str | None,
) -> str:
    """A stable key of "the same request", so a rerun finds its checkpoint.

    A file's content (its SHA-256) is part of it: a changed file never resumes at a byte
    offset of the old one.
    """
    ident = json.dumps(
        {
            "path": str(path.resolve()) if path else None,
            "settings": settings,
            "since": since,
            "sha256": digest,
        },
        sort_keys=True,
        default=str,
    )
    return f"{kind or '*'}:{hashlib.sha256(ident.encode()).hexdigest()[:16]}"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Positions are opaque to the core and may name a record (a cursor over persons): stored
# encrypted, bound to their row and column like every other encrypted cell.
def _seal_checkpoint(source: str, scope: str, position: str) -> str:
    return encrypt_field("source_checkpoint", "position", f"{source}/{scope}", position) or ""


def _open_checkpoint(row: models.SourceCheckpoint) -> str | None:
    return decrypt_field("source_checkpoint", "position", f"{row.source}/{row.scope}", row.position)


def _seal_run_position(run_id: int, column: str, position: str | None) -> str | None:
    return encrypt_field("sync_run", column, run_id, position)


def run_positions(run: models.SyncRun) -> tuple[str | None, str | None]:
    """``(resumed_from, checkpoint)`` of a stored run, decrypted."""
    return (
        decrypt_field("sync_run", "resumed_from", run.id, run.resumed_from),
        decrypt_field("sync_run", "checkpoint", run.id, run.checkpoint),
    )


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
    actor: Principal | None = SYSTEM,
    operation: str | None = None,
    stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
    full: bool = False,
) -> SyncJob:
    """Authorise and check the request, gate it by consent and claim the run (``running``).

    Arguments as :func:`run_sync`. An incremental source asked for no ``since`` starts
    from the one it remembers (its last complete run's start), unless ``full``.

    Raises:
        PermissionDenied, Unauthenticated: the actor may not take the operation.
        IngestionError: ``UNKNOWN_SOURCE``, ``INVALID_SETTINGS``, ``UNKNOWN_KIND``,
            ``INVALID_BATCH_SIZE``, or ``SYNC_RUNNING`` (a live run of the same request).
    """
    file_path = Path(path) if path is not None else None
    op = operation or ("data.import" if file_path is not None else "source.sync")
    caller = authorize(actor, op)
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
    remembered = False
    if (
        since_text is None
        and not full
        and file_path is None
        and getattr(source, "incremental", False)
    ):
        since_text = await remembered_since(source.name)
        remembered = since_text is not None
    digest = None
    if file_path is not None and file_path.is_file():
        digest = await asyncio.to_thread(_file_digest, file_path)
    scope = _scope(kind, file_path, settings, since_text, digest)
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
    global _legacy_sealed
    if not _legacy_sealed:
        await seal_clear_quarantine()
        _legacy_sealed = True
    await reap_dead_runs(stale_after=stale_after)
    run = await claim_run(
        source.name,
        scope,
        stale_after=stale_after,
        kind=kind,
        operation=op,
        actor=caller.username[:128],
        file_name=redact_personal(file_path.name)[:255] if file_path is not None else None,
        file_sha256=digest,
        since=since_text,
        total=total,
        skipped_firms=skipped[:MAX_SKIPPED_STORED],
        skipped_count=len(skipped),
    )
    try:
        resume_from = None
        if resume:
            # Read after the claim: no other live run of this request can move it now.
            checkpoint = await models.SourceCheckpoint.get_or_none(source=source.name, scope=scope)
            resume_from = _open_checkpoint(checkpoint) if checkpoint else None
        if resume_from is not None:
            sealed = _seal_run_position(run.id, "resumed_from", resume_from)
            await fenced_update(run.id, resumed_from=sealed)
            run.resumed_from = sealed  # type: ignore[assignment]
    except BaseException:
        with contextlib.suppress(Exception):
            await fenced_update(run.id, status="failed", error="could not start", lock_key=None)
        release_live(run.id)
        raise
    request = FetchRequest(
        since=since_text,
        settings=settings,
        path=file_path,
        kind=kind,
        firm_usccs=requested,
        resume_from=resume_from,
    )
    return SyncJob(
        source, request, run, scope, batch_size, allowed, skipped, caller, op, remembered
    )


Flag = tuple[str, str, str, str]


class _Runner:
    def __init__(self, job: SyncJob, progress: ProgressCallback | None) -> None:
        self.job = job
        self.progress = progress
        self.tally = _Tally()
        self.assessor = Assessor(job)
        self.checkpoint = job.request.resume_from
        self.pending: asyncio.Future[None] | None = None
        self.refresh_job_id: int | None = None

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

    def _with_flags(
        self, flags: list[Flag]
    ) -> tuple[int, dict[str, dict[str, int]], list[dict[str, str]]]:
        """The run's flag figures with ``flags`` (a batch's) added, as new objects."""
        tally = self.tally
        by_code = {code: dict(fields) for code, fields in tally.flagged_by_code.items()}
        listed = list(tally.flags)
        records: set[str] = set()
        for kind, field_name, code, locator in flags:
            key = f"{kind}.{field_name}"
            by_code.setdefault(code, {})[key] = by_code.get(code, {}).get(key, 0) + 1
            records.add(locator)
            if len(listed) < MAX_FLAGS:
                listed.append({"code": code, "field": key, "locator": redact_personal(locator)})
        return tally.flagged + len(records), by_code, listed

    async def commit(
        self,
        valid: list[ValidRecord],
        quarantined: list[QuarantineItem],
        flags: list[Flag],
        position: str | None,
    ) -> None:
        """Write one batch; a cancellation waits for the batch's transaction to finish."""
        # Cancelling inside a transaction can leave Tortoise's SQLite connection lock held
        # (its __aenter__ is not cancellation-safe), so the transaction runs in its own
        # task: cancelling the sync stops it between batches, never inside one.
        self.pending = asyncio.ensure_future(self._write(valid, quarantined, flags, position))
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
        self,
        valid: list[ValidRecord],
        quarantined: list[QuarantineItem],
        flags: list[Flag],
        position: str | None,
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
        flagged = self._with_flags(flags)
        async with in_transaction() as conn:
            outcome = await write_batch(conn, valid, run_started=job.run.started_at)
            quarantined = quarantined + [from_rejected(r) for r in outcome.rejected]
            await store_quarantine(conn, job.run.id, job.source.name, quarantined)
            counts = (
                tally.accepted + outcome.accepted,
                tally.quarantined + len(quarantined),
                tally.merged + outcome.merged,
                tally.duplicates + outcome.duplicates,
            )
            if position is not None:
                await self._save_checkpoint(conn, position)
            await self._save_counts(
                conn, counts=counts, flagged=flagged, checkpoint=position or self.checkpoint
            )
        # Only a committed batch moves the in-memory counts and checkpoint.
        tally.accepted, tally.quarantined, tally.merged, tally.duplicates = counts
        tally.flagged, tally.flagged_by_code, tally.flags = flagged
        tally.committed = tally.accepted + tally.quarantined
        tally.touched_firms |= outcome.touched_firms
        tally.touched_usccs |= outcome.touched_usccs
        if position is not None:
            self.checkpoint = position

    async def _save_checkpoint(self, conn: BaseDBAsyncClient, position: str) -> None:
        job = self.job
        now = dt.datetime.now(dt.UTC)
        sealed = _seal_checkpoint(job.source.name, job.scope, position)
        updated = (
            await models.SourceCheckpoint.filter(source=job.source.name, scope=job.scope)
            .using_db(conn)
            .update(position=sealed, run_id=job.run.id, updated_at=now)
        )
        if not updated:
            await models.SourceCheckpoint.create(
                source=job.source.name,
                scope=job.scope,
                position=sealed,
                run_id=job.run.id,
                using_db=conn,
            )

    async def _save_counts(
        self,
        conn: BaseDBAsyncClient | None = None,
        *,
        counts: tuple[int, int, int, int] | None = None,
        flagged: tuple[int, dict[str, dict[str, int]], list[dict[str, str]]] | None = None,
        checkpoint: str | None = None,
        **extra: Any,
    ) -> None:
        """Write the run's figures - fenced: :class:`RunLost` if the run is not ours."""
        tally = self.tally
        accepted, quarantined, merged, duplicates = counts or (
            tally.accepted,
            tally.quarantined,
            tally.merged,
            tally.duplicates,
        )
        _, flagged_by_code, flags = flagged or (tally.flagged, tally.flagged_by_code, tally.flags)
        position = checkpoint or self.checkpoint
        # ``read`` counts committed records only, so read == accepted + quarantined holds
        # and the runs of an interrupted and resumed sync add up to one uninterrupted run.
        await fenced_update(
            self.job.run.id,
            conn,
            read=accepted + quarantined,
            done=accepted + quarantined,
            accepted=accepted,
            quarantined=quarantined,
            merged=merged,
            duplicates=duplicates,
            outliers=tally.outliers,
            outliers_by_field=tally.outliers_by_field,
            flagged_by_code=flagged_by_code,
            flags=flags,
            missing_rates=tally.missing_rates(),
            notes=tally.notes,
            checkpoint=_seal_run_position(self.job.run.id, "checkpoint", position),
            heartbeat_at=dt.datetime.now(dt.UTC),
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
        quarantined: list[QuarantineItem] = []
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
                    flags = self.assessor.drain_flags()
                    await self.commit(valid, quarantined, flags, position)
                    valid, quarantined, in_batch = [], [], 0
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()
        if in_batch:
            await self.commit(valid, quarantined, self.assessor.drain_flags(), position)

    def _note(self, item: SourceRecord) -> None:
        if item.error is None or len(self.tally.notes) >= MAX_NOTES:
            return
        self.tally.notes.append(
            {
                "code": item.error.code,
                "message": redact_personal(item.error.message),
                "locator": redact_personal(item.locator),
                "severity": getattr(item.error, "severity", "error"),
            }
        )

    def _observe_raw(self, verdict: QuarantineItem) -> None:
        # Quarantined records still count towards missing-value rates of their kind.
        if verdict.kind in _QUALITY_FIELDS and isinstance(verdict.raw, Mapping):
            self._observe(verdict.kind, [dict(verdict.raw)], cleaned=False)

    async def finish(self, status: str, error: str | None) -> SyncRunResult:
        """End the run: status, counts and its audit row in one transaction (fenced)."""
        job, tally = self.job, self.tally
        now = dt.datetime.now(dt.UTC)
        error = redact_personal(error) if error else None
        async with in_transaction() as conn:
            await self._save_counts(
                conn, status=status, finished_at=now, error=error, lock_key=None
            )
            if status in FINISHED_STATUSES:
                # A finished run leaves nothing to resume: the next sync starts afresh.
                await (
                    models.SourceCheckpoint.filter(source=job.source.name, scope=job.scope)
                    .using_db(conn)
                    .delete()
                )
                if getattr(job.source, "incremental", False) and job.request.path is None:
                    await remember_since(conn, job.source.name, job.run, now)
            refresh = await queue_refresh(
                conn, job.run, job.source.name, tally.touched_firms, tally.touched_usccs
            )
            self.refresh_job_id = refresh.id if refresh is not None else None
            await audit.record(
                job.actor,
                job.operation,
                f"SyncRun:{job.run.id}",
                after={
                    "source": job.source.name,
                    "kind": job.run.kind,
                    "file": job.run.file_name,
                    "sha256": job.run.file_sha256,
                    "status": status,
                    "read": tally.committed,
                    "accepted": tally.accepted,
                    "quarantined": tally.quarantined,
                    "flagged": tally.flagged,
                    "resumed_from_run": job.request.resume_from is not None,
                    "since": job.request.since,
                    "since_remembered": job.remembered_since,
                    "refresh_job": self.refresh_job_id,
                    "error": error,
                },
                connection=conn,
            )
        return self.result(status, error)

    def result(self, status: str, error: str | None) -> SyncRunResult:
        """The run's outcome as this process knows it."""
        job, tally = self.job, self.tally
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
            flagged=tally.flagged,
            flagged_by_code={code: dict(f) for code, f in tally.flagged_by_code.items()},
            missing_rates=tally.missing_rates(),
            outliers_by_field=dict(tally.outliers_by_field),
            skipped_firms=list(job.skipped_firms),
            notes=list(tally.notes),
            checkpoint=self.checkpoint,
            resumed_from=job.request.resume_from,
            error=error,
            refresh_job_id=self.refresh_job_id,
            refresh_status="pending" if self.refresh_job_id is not None else None,
        )


def _describe(error: BaseException) -> str:
    code = getattr(error, "code", None)
    text = str(error) or type(error).__name__
    return f"{code}: {text}" if isinstance(code, str) else f"{type(error).__name__}: {text}"


async def _lost(runner: _Runner, error: RunLost) -> SyncRunResult:
    """The run was declared dead by another process: report what the database says."""
    row = await models.SyncRun.get_or_none(id=runner.job.run.id)
    status = row.status if row is not None else "interrupted"
    return runner.result(status, (row.error if row is not None else None) or str(error))


async def execute_sync(
    job: SyncJob,
    *,
    progress: ProgressCallback | None = None,
    refresh: bool = True,
    platform_settings: Any = None,
) -> SyncRunResult:
    """Run a prepared sync to its end (see the module docstring), then its refresh job.

    A source that raises ends the run as ``failed`` with its error (the committed batches
    stay, the checkpoint allows a resume); cancelling the task ends it as ``interrupted``
    and re-raises the cancellation. A run that finished with records quarantined is
    ``partial``. When the run inserted or changed rows of some firms, the rescoring and
    warning re-evaluation of those firms it queued runs next (``refresh=False`` leaves it
    ``pending``; :mod:`smecredit.services.ingestion.refresh`).
    """
    result = await _execute(job, progress)
    if refresh and result.refresh_job_id is not None:
        done = await run_refresh(result.refresh_job_id, settings=platform_settings)
        result.refresh_status = done.status
    return result


async def _execute(job: SyncJob, progress: ProgressCallback | None) -> SyncRunResult:
    runner = _Runner(job, progress)
    try:
        async with heartbeat(job.run.id):
            try:
                await runner.run()
            except (asyncio.CancelledError, KeyboardInterrupt):
                await runner.settle()
                with contextlib.suppress(RunLost):
                    await asyncio.shield(runner.finish("interrupted", "the sync was interrupted"))
                raise
            except RunLost as lost:
                return await _lost(runner, lost)
            except Exception as error:
                outcome: tuple[str, str | None] = ("failed", _describe(error))
            else:
                outcome = ("partial" if runner.tally.quarantined else "succeeded", None)
            try:
                return await runner.finish(*outcome)
            except RunLost as lost:
                return await _lost(runner, lost)
    finally:
        release_live(job.run.id)


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
    actor: Principal | None = SYSTEM,
    operation: str | None = None,
    stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
    full: bool = False,
    refresh: bool = True,
    platform_settings: Any = None,
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
        resume: continue after the checkpoint of an unfinished run of the same request
            (also one whose process died: it is marked ``interrupted`` first).
        total: the number of records expected, for progress display.
        actor: who asks (checked against the table of operations, and audited); the
            platform itself (``SYSTEM``) by default - GraphQL passes the caller.
        operation: ``data.import`` or ``source.sync`` (default: ``data.import`` when a
            file ``path`` is given).
        stale_after: how old a live run's heartbeat may be before it is taken for dead.
        full: an incremental source pulls everything instead of starting from the
            ``since`` it remembers (ignored when ``since`` is given).
        refresh: rescore and re-evaluate the warnings of the firms the run touched, once
            it ended (False leaves the queued job ``pending``).
        platform_settings: platform settings for that refresh (warning broadcaster, rules).

    Returns:
        The run's counts and status (``failed`` runs carry ``error``).

    Raises:
        PermissionDenied, Unauthenticated: the actor may not take the operation.
        IngestionError: the sync cannot start (unknown source, invalid settings, a live
            run of the same request...).
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
        actor=actor,
        operation=operation,
        stale_after=stale_after,
        full=full,
    )
    return await execute_sync(
        job, progress=progress, refresh=refresh, platform_settings=platform_settings
    )
