"""What a sync is and what it reports: the prepared job, its progress and its result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from smecredit import models
from smecredit.sdk import DataSource, FetchRequest
from smecredit.security.operations import SYSTEM
from smecredit.security.principal import Principal

__all__ = [
    "FINISHED_STATUSES",
    "ProgressCallback",
    "SyncJob",
    "SyncProgress",
    "SyncRunResult",
]

#: Statuses of a run that read its source to the end.
FINISHED_STATUSES = ("succeeded", "partial")


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
        status: ``succeeded``, ``partial`` (finished with records quarantined),
            ``failed`` or ``interrupted``.
        read / accepted / quarantined / merged / duplicates / outliers: the run's counts
            (of committed batches: ``read == accepted + quarantined``).
        flagged: accepted records with an implausible date or formula-like text.
        flagged_by_code: code -> ``kind.field`` -> records flagged.
        missing_rates: kind -> field -> share of records with the field empty.
        outliers_by_field: ``kind.field`` -> values flagged.
        skipped_firms: USCCs not requested for lack of consent (consent-gated sources).
        notes: the source's own messages (first ``sync.MAX_NOTES``): ``code``, ``message``,
            ``locator`` and ``severity``; warnings lose no record and are not counted.
        checkpoint: position of the last committed record.
        resumed_from: the checkpoint this run resumed after, if any.
        error: what stopped a failed run.
        refresh_job_id: the rescoring and warning re-evaluation queued for the firms the
            run inserted or changed (None when it touched none).
        refresh_status: that job's status when this result was made.
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
    flagged: int = 0
    flagged_by_code: dict[str, dict[str, int]] = field(default_factory=dict)
    missing_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    outliers_by_field: dict[str, int] = field(default_factory=dict)
    skipped_firms: list[str] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    checkpoint: str | None = None
    resumed_from: str | None = None
    error: str | None = None
    refresh_job_id: int | None = None
    refresh_status: str | None = None

    @property
    def ok(self) -> bool:
        """True when the run finished and nothing was quarantined."""
        return self.status == "succeeded"

    @property
    def finished(self) -> bool:
        """True when the run read its source to the end (``succeeded`` or ``partial``)."""
        return self.status in FINISHED_STATUSES

    def __str__(self) -> str:
        text = (
            f"run {self.run_id} {self.status}: read {self.read}, accepted {self.accepted}, "
            f"quarantined {self.quarantined}, merged {self.merged}, "
            f"duplicates {self.duplicates}, outliers {self.outliers}, flagged {self.flagged}"
        )
        if self.skipped_firms:
            text += f", {len(self.skipped_firms)} firm(s) skipped for lack of consent"
        if self.error:
            text += f" ({self.error})"
        return text


@dataclass(slots=True)
class SyncJob:
    """A prepared sync: the source, the request and the run row already created.

    Attributes:
        actor: who asked for it (audited).
        operation: the operation it takes (``data.import`` or ``source.sync``).
    """

    source: DataSource
    request: FetchRequest
    run: models.SyncRun
    scope: str
    batch_size: int = 1000
    allowed_firms: frozenset[str] | None = None
    skipped_firms: list[str] = field(default_factory=list)
    actor: Principal = SYSTEM
    operation: str = "source.sync"
    remembered_since: bool = False
