"""Scoring a firm on demand, as bank staff ask for it (``firm.score``, ``application.score``).

The batch and application pipelines call the engine (:mod:`.scoring`) directly as the
platform; a person asking for a score goes through here: the operation must be theirs and
the firm within their branches (a firm outside answers exactly as a missing one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.sdk import ScoringModel
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services.scoring import scoring

__all__ = ["score_application_now", "score_firm_now"]


async def _visible_firm(actor: Principal, firm_id: int, label: str | None) -> None:
    if not await scoped_rows(actor, models.Firm).filter(id=firm_id).exists():
        raise NotFound(f"{label or f'firm {firm_id}'} not found")


async def score_firm_now(
    actor: Principal,
    firm_id: int,
    *,
    use: str = "application",
    as_of: dt.date | None = None,
    available: Mapping[str, ScoringModel] | None = None,
    label: str | None = None,
) -> scoring.FirmScore:
    """Score one firm with the champion and store the score.

    Raises:
        PermissionDenied: the actor may not score firms.
        NotFound: no such firm within the actor's branches.
        ScoringUnavailable: no usable champion.
    """
    authorize(actor, "firm.score")
    await _visible_firm(actor, firm_id, label)
    return await scoring.score_firm(firm_id, as_of, use=use, available=available)


async def score_application_now(
    actor: Principal,
    firm_id: int,
    amount: Decimal,
    *,
    available: Mapping[str, ScoringModel] | None = None,
    label: str | None = None,
) -> scoring.ApplicationScore:
    """Score a firm for an application of ``amount`` yuan: grade, limit and price band.

    Raises:
        PermissionDenied: the actor may not score applications.
        InvalidInput: a non-positive amount.
        NotFound: no such firm within the actor's branches.
    """
    authorize(actor, "application.score")
    if amount <= 0:
        raise InvalidInput(f"amount must be positive, got {amount}", field="amount")
    await _visible_firm(actor, firm_id, label)
    return await scoring.score_application(firm_id, amount, available=available)
