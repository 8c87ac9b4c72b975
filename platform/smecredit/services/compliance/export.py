"""Compliance results and decision alerts as flat rows, for the report datasets.

The columns are those of the datasets ``compliance_results`` and ``decision_alerts``
(:data:`RESULT_COLUMNS`, :data:`ALERT_COLUMNS`); evidence is one text, the ``Kind:id`` ids
joined by commas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from smecredit import models
from smecredit.services.compliance.catalogue import CHECKS

__all__ = ["ALERT_COLUMNS", "RESULT_COLUMNS", "alert_rows", "result_rows"]

RESULT_COLUMNS = (
    "run_id",
    "run_at",
    "check_code",
    "title_zh",
    "title_en",
    "status",
    "weight",
    "score",
    "evidence",
    "overall_score",
)
ALERT_COLUMNS = ("alert_id", "kind", "subject", "value", "bound", "status", "raised_at")
_BATCH = 500


async def result_rows(run_ids: Iterable[int] | None = None) -> AsyncIterator[dict[str, Any]]:
    """One row per result of the finished runs (``run_ids``: only those), run by run."""
    runs = models.ComplianceRun.filter(status="succeeded")
    if run_ids is not None:
        runs = runs.filter(id__in=list(run_ids))
    for run in await runs.order_by("id"):
        results = await models.ComplianceResult.filter(run_id=run.id).order_by("id")
        for r in results:
            check = CHECKS.get(r.check_code)
            yield {
                "run_id": run.id,
                "run_at": run.started_at,
                "check_code": r.check_code,
                "title_zh": check.title_zh if check else r.check_code,
                "title_en": check.title_en if check else r.check_code,
                "status": r.status,
                "weight": r.weight,
                "score": r.score,
                "evidence": ", ".join(r.evidence or []),
                "overall_score": run.overall_score,
            }


async def alert_rows() -> AsyncIterator[dict[str, Any]]:
    """One row per decision alert, oldest first, read in batches."""
    last = 0
    while True:
        batch = await models.DecisionAlert.filter(id__gt=last).order_by("id").limit(_BATCH)
        if not batch:
            return
        for a in batch:
            yield {
                "alert_id": a.id,
                "kind": a.kind,
                "subject": a.subject,
                "value": a.value,
                "bound": a.bound,
                "status": a.status,
                "raised_at": a.raised_at,
            }
        last = batch[-1].id
