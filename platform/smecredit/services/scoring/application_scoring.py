"""Scoring a credit application when it is submitted.

The lifecycle engine calls :func:`score_submitted` right after an application moved to
``submitted``: the firm is scored with the application champion, and the score, grade, PD,
reasons, suggested limit and price band are stored with the application (an
``ApplicationScoreRecord`` naming the credit policy version), so they come back with it.

Scoring is advice, not a gate: the submission is already committed, so when there is no
champion (or its model is not installed, or the credit policy lacks the grade) the
application simply has no score, and the reason is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from smecredit import models
from smecredit.sdk import ScoringModel
from smecredit.services.scoring.scoring import ApplicationScore, score_application

__all__ = ["score_submitted"]

log = logging.getLogger("smecredit.scoring.applications")


async def score_submitted(
    application: models.LoanApplication,
    *,
    as_of: dt.date | None = None,
    available: Mapping[str, ScoringModel] | None = None,
) -> ApplicationScore | None:
    """Score a submitted application for its amount; None when it could not be scored.

    Args:
        application: the application just submitted.
        as_of: the business date of the features (default today).
        available: scoring models of the app's plugins (default: the installed ones).
    """
    try:
        return await score_application(
            application.firm_id,  # type: ignore[attr-defined]
            application.amount,
            as_of=as_of,
            available=available,
            application_id=application.id,
        )
    except Exception as error:  # advice only: the submission stands whatever happens here
        code = getattr(error, "code", None)
        if isinstance(code, str):
            log.info("application %s not scored: %s %s", application.id, code, error)
        else:
            log.exception("scoring application %s failed", application.id)
        return None
