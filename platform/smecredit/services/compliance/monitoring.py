"""Check of the scoring models: every champion monitored, its PSI within band."""

from __future__ import annotations

from smecredit import models
from smecredit.domain.compliance import CheckOutcome, ComplianceCheck, psi_status, worst
from smecredit.domain.compliance import CheckStatus as S
from smecredit.services.compliance.base import CheckContext, Entry

__all__ = ["CHECKS"]

PSI = ComplianceCheck(
    "model_psi",
    "模型受监控且稳定性在区间内",
    "Models monitored, PSI within band",
    8,
    "For every champion model, the PSI of its latest scores against its training baseline: "
    "< 0.1 passes, 0.1-0.25 warns, above fails; a champion with no scores or no baseline "
    "(not monitored) warns; not applicable without a champion.",
    "models",
)


async def model_psi(ctx: CheckContext) -> CheckOutcome:
    """Every champion's PSI in band."""
    from smecredit.services.scoring.monitoring import model_drift

    champions = await models.ModelVersion.filter(status="champion").order_by("id")
    if not champions:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no champion model")
    statuses: list[S] = []
    offending: list[str] = []
    notes: list[str] = []
    for version in champions:
        drift = await model_drift(version.id)
        psi = drift.get("psi")
        status = S.WARNING if psi is None else psi_status(float(psi))
        statuses.append(status)
        label = f"{version.name} {version.version}"
        notes.append(f"{label}: PSI {'n/a' if psi is None else f'{psi:.3f}'}")
        if status is not S.PASS:
            offending.append(f"ModelVersion:{version.id}")
    return CheckOutcome.of(worst(statuses), "; ".join(notes), offending)


CHECKS: tuple[Entry, ...] = ((PSI, model_psi),)
