"""Data-quality reports per source and per sync run (R3 "data-quality assurance")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from smecredit import models
from smecredit.errors import NotFound

__all__ = ["QualityReport", "RunQuality", "quality_report", "run_quality"]


@dataclass(frozen=True, slots=True)
class RunQuality:
    """The data-quality figures of one sync run.

    Attributes:
        run_id / source / status / started_at / finished_at: which run.
        read / accepted / quarantined / merged / duplicates / outliers: its counts.
        acceptance_rate: accepted / read (1.0 for an empty run).
        missing_rates: kind -> field -> share of records with the field empty.
        outliers_by_field: ``kind.field`` -> values flagged.
        flagged_by_code: plausibility code (``IMPLAUSIBLE_DATE``, ``FORMULA_TEXT``) ->
            ``kind.field`` -> records flagged (taken in, for a person to look at).
        quarantine_by_code: quarantine reason code -> records.
        skipped_for_consent: firms not requested for lack of consent.
    """

    run_id: int
    source: str
    status: str
    started_at: str
    finished_at: str | None
    read: int
    accepted: int
    quarantined: int
    merged: int
    duplicates: int
    outliers: int
    acceptance_rate: float
    missing_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    outliers_by_field: dict[str, int] = field(default_factory=dict)
    flagged_by_code: dict[str, dict[str, int]] = field(default_factory=dict)
    quarantine_by_code: dict[str, int] = field(default_factory=dict)
    skipped_for_consent: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Data quality of one source (or all), summed over its runs, with the latest runs.

    Attributes:
        source: the source, or ``None`` for every source.
        runs: the runs reported, newest first.
        totals: read / accepted / quarantined / merged / duplicates / outliers summed.
        latest_missing_rates: the missing-value rates of the newest finished run
            (``succeeded`` or ``partial``).
    """

    source: str | None
    runs: list[RunQuality]
    totals: dict[str, int]
    latest_missing_rates: dict[str, dict[str, float]]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "source": self.source,
            "totals": self.totals,
            "latest_missing_rates": self.latest_missing_rates,
            "runs": [run.as_dict() for run in self.runs],
        }


_COUNTS = ("read", "accepted", "quarantined", "merged", "duplicates", "outliers")
#: Runs that read their source to the end (mirrors ``services.ingestion.sync``).
_FINISHED = ("succeeded", "partial")


async def _quarantine_codes(run_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    by_run: dict[int, dict[str, int]] = {run_id: {} for run_id in run_ids}
    if not run_ids:
        return by_run
    rows = await models.QuarantinedRecord.filter(run_id__in=list(run_ids)).values_list(
        "run_id", "code"
    )
    for run_id, code in rows:
        by_run[run_id][code] = by_run[run_id].get(code, 0) + 1
    return by_run


def _run_quality(run: models.SyncRun, codes: dict[str, int]) -> RunQuality:
    return RunQuality(
        run_id=run.id,
        source=run.source,
        status=run.status,
        started_at=run.started_at.isoformat(),
        finished_at=run.finished_at.isoformat() if run.finished_at else None,
        read=run.read,
        accepted=run.accepted,
        quarantined=run.quarantined,
        merged=run.merged,
        duplicates=run.duplicates,
        outliers=run.outliers,
        acceptance_rate=round(run.accepted / run.read, 6) if run.read else 1.0,
        missing_rates=dict(run.missing_rates or {}),
        outliers_by_field=dict(run.outliers_by_field or {}),
        flagged_by_code={k: dict(v) for k, v in (run.flagged_by_code or {}).items()},
        quarantine_by_code=codes,
        skipped_for_consent=run.skipped_count,
    )


async def run_quality(run_id: int) -> RunQuality:
    """The data-quality figures of one run.

    Raises:
        NotFound: no such run (``RUN_NOT_FOUND``).
    """
    run = await models.SyncRun.get_or_none(id=run_id)
    if run is None:
        raise NotFound(f"sync run {run_id} not found", code="RUN_NOT_FOUND")
    codes = await _quarantine_codes([run.id])
    return _run_quality(run, codes[run.id])


async def quality_report(
    source: str | None = None, run_id: int | None = None, *, limit: int = 20
) -> QualityReport:
    """Data quality per source and per run.

    Args:
        source: one source's runs (default: every source).
        run_id: only this run (its source is then the report's source).
        limit: how many of the newest runs to list (totals count every run).

    Raises:
        NotFound: ``run_id`` does not exist.
    """
    if run_id is not None:
        run = await run_quality(run_id)
        totals = {name: getattr(run, name) for name in _COUNTS}
        return QualityReport(run.source, [run], totals, run.missing_rates)
    query = models.SyncRun.all()
    if source is not None:
        query = query.filter(source=source)
    rows = await query.values_list(*_COUNTS)
    totals = {name: sum(int(row[i] or 0) for row in rows) for i, name in enumerate(_COUNTS)}
    runs = await query.order_by("-id").limit(limit)
    codes = await _quarantine_codes([run.id for run in runs])
    listed = [_run_quality(run, codes[run.id]) for run in runs]
    latest = next((r.missing_rates for r in listed if r.status in _FINISHED), {})
    return QualityReport(source, listed, totals, latest)
