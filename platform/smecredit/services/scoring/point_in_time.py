"""The book as it stood on a past day: its population, their outcomes, and fresh scores.

Back-tests and side-by-side comparisons of model versions need the firms that were in the
portfolio on an observation date (holding a loan, not already in default), whether each
defaulted in the performance window after it, and - when no score was stored back then -
the score a version gives to each firm's features *as of that date* (never later
evidence), so every version is judged on the same footing as training was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from smecredit import models
from smecredit.domain.features import (
    DEFAULT_DPD_THRESHOLD,
    DEFAULT_HORIZON_MONTHS,
    compute_features,
    default_label,
    in_default,
    in_population,
)
from smecredit.sdk import ScoringModel
from smecredit.services.scoring.features import FirmProfile, load_profiles
from smecredit.services.scoring.scoring import score_rows

__all__ = ["Population", "book_on", "labels", "rescore"]


@dataclass(slots=True)
class Population:
    """The population of an observation date with the profiles behind it.

    Attributes:
        as_of: the observation date.
        profiles: firm id -> profile (evidence and loans) of each firm in the population.
    """

    as_of: dt.date
    profiles: dict[int, FirmProfile]


async def book_on(
    as_of: dt.date,
    *,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    firm_ids: list[int] | None = None,
) -> Population:
    """The firms holding a loan on ``as_of`` and not in default then (or, with
    ``firm_ids``, those of them not in default: a stored score names its own population)."""
    ids = firm_ids
    if ids is None:
        ids = list(await models.Firm.all().order_by("id").values_list("id", flat=True))  # type: ignore[arg-type]
    profiles = await load_profiles([int(i) for i in ids], with_loans=True)
    kept: dict[int, FirmProfile] = {}
    for firm_id, p in profiles.items():
        repayments = p.evidence.get("repayment_history", [])
        if firm_ids is None:
            if not in_population(p.loans, as_of, repayments, dpd_threshold=dpd_threshold):
                continue
        elif in_default(repayments, p.loans, as_of, dpd_threshold=dpd_threshold):
            continue
        kept[firm_id] = p
    return Population(as_of, kept)


def labels(
    book: Population,
    *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
) -> dict[int, int]:
    """Firm id -> 1 when it defaulted within ``horizon_months`` after the date, else 0."""
    return {
        firm_id: int(
            default_label(
                p.evidence.get("repayment_history", []),
                p.loans,
                book.as_of,
                horizon_months=horizon_months,
                dpd_threshold=dpd_threshold,
            )
        )
        for firm_id, p in book.profiles.items()
    }


def rescore(
    version: models.ModelVersion,
    book: Population,
    *,
    available: Mapping[str, ScoringModel] | None = None,
) -> dict[int, tuple[float, str]]:
    """Firm id -> (PD, grade) of ``version`` on each firm's features as of the date."""
    ids = sorted(book.profiles)
    rows = [
        compute_features(book.profiles[i].firm, book.profiles[i].evidence, book.as_of) for i in ids
    ]
    if not rows:
        return {}
    scored = score_rows(version, rows, explain=False, available=available)
    return {i: (pd, grade) for i, (pd, _points, grade, _reasons) in zip(ids, scored, strict=True)}
