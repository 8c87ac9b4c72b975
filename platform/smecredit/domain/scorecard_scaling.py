"""Scorecard points scaling (PDO / base odds) and the PD master scale (R4, R6).

Scaling: ``score = offset + factor * ln(odds)`` with odds = good:bad, where
``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``. So a firm at the
base odds scores ``base_score`` and every ``pdo`` points double the odds.

The logistic model this module scales predicts the probability of **default** on WoE
inputs: ``ln(p_bad / p_good) = intercept + sum(coef_j * woe_j)``, hence
``ln(odds_good) = -(intercept + sum(coef_j * woe_j))``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from smecredit.domain.errors import DomainError

__all__ = [
    "DEFAULT_MASTER_SCALE",
    "MasterScale",
    "ScoreScaling",
    "ScorecardError",
]


class ScorecardError(DomainError):
    """Invalid scaling parameters, PD or master scale.

    Attributes:
        code: ``INVALID_SCORE_SCALING``, ``INVALID_PD`` or ``INVALID_MASTER_SCALE``.
    """

    code = "INVALID_SCORE_SCALING"


def _check_pd(pd: float, *, open_interval: bool) -> None:
    ok = 0.0 < pd < 1.0 if open_interval else 0.0 <= pd <= 1.0
    if not ok or math.isnan(pd):
        where = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ScorecardError(code="INVALID_PD", message=f"a PD must lie {where}, got {pd!r}")


@dataclass(frozen=True)
class ScoreScaling:
    """Points scaling by points-to-double-the-odds.

    Attributes:
        base_score: score at the base odds.
        base_odds: good:bad odds that score ``base_score`` (50 means 50 goods per bad).
        pdo: points that double the odds.
    """

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if not (self.base_odds > 0 and math.isfinite(self.base_odds)):
            raise ScorecardError(
                code="INVALID_SCORE_SCALING",
                message=f"base_odds must be > 0, got {self.base_odds!r}",
            )
        if not (self.pdo > 0 and math.isfinite(self.pdo)):
            raise ScorecardError(
                code="INVALID_SCORE_SCALING", message=f"pdo must be > 0, got {self.pdo!r}"
            )
        if not math.isfinite(self.base_score):
            raise ScorecardError(
                code="INVALID_SCORE_SCALING", message="base_score must be a finite number"
            )

    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``pdo / ln 2``."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Score at odds 1:1: ``base_score - factor * ln(base_odds)``."""
        return self.base_score - self.factor * math.log(self.base_odds)

    def points_for_log_odds(self, log_odds_good: float) -> float:
        """Score for a good:bad log-odds ``ln(p_good / p_bad)``."""
        return self.offset + self.factor * log_odds_good

    def points_for_odds(self, odds_good: float) -> float:
        """Score for good:bad odds."""
        if not odds_good > 0:
            raise ScorecardError(
                code="INVALID_SCORE_SCALING", message=f"odds must be > 0, got {odds_good!r}"
            )
        return self.points_for_log_odds(math.log(odds_good))

    def attribute_points(self, coef: float, woe: float, intercept: float, n_features: int) -> float:
        """Points of one attribute (bin) of one characteristic.

        The standard allocation (Siddiqi) spreads the intercept and the offset evenly over
        the ``n_features`` characteristics so each attribute carries whole points:
        ``-(coef * woe + intercept / n) * factor + offset / n``. Summing one attribute per
        characteristic gives exactly :meth:`points_for_log_odds` of the model's log-odds.

        Args:
            coef: the characteristic's coefficient in the default model.
            woe: the attribute's WoE.
            intercept: the default model's intercept.
            n_features: characteristics in the scorecard.
        """
        if n_features < 1:
            raise ScorecardError(
                code="INVALID_SCORE_SCALING", message=f"n_features must be >= 1, got {n_features}"
            )
        return -(coef * woe + intercept / n_features) * self.factor + self.offset / n_features

    def score_to_pd(self, score: float) -> float:
        """PD implied by a score: ``1 / (1 + exp((score - offset) / factor))``."""
        z = (score - self.offset) / self.factor  # ln(odds_good)
        # Written two ways so neither branch overflows exp() for extreme scores.
        if z >= 0:
            e = math.exp(-z)
            return e / (1.0 + e)
        return 1.0 / (1.0 + math.exp(z))

    def pd_to_score(self, pd: float) -> float:
        """Score of a PD in (0, 1): ``offset + factor * ln((1 - pd) / pd)``."""
        _check_pd(pd, open_interval=True)
        return self.points_for_log_odds(math.log1p(-pd) - math.log(pd))


#: Default grades A..G with exclusive PD upper bounds; G takes everything from 15%.
_DEFAULT_BANDS: tuple[tuple[str, float], ...] = (
    ("A", 0.005),
    ("B", 0.01),
    ("C", 0.02),
    ("D", 0.04),
    ("E", 0.08),
    ("F", 0.15),
    ("G", math.inf),
)


@dataclass(frozen=True)
class MasterScale:
    """PD master scale: grades with exclusive upper PD bounds, best grade first.

    A PD belongs to the first grade whose upper bound is strictly greater, so a PD exactly on
    a boundary goes to the worse grade (0.5% is B with the defaults). The last grade must
    have an infinite bound so every PD in [0, 1] gets a grade.

    Attributes:
        bands: ``(grade, upper_bound)`` pairs in increasing bound order.
    """

    bands: tuple[tuple[str, float], ...] = _DEFAULT_BANDS

    def __post_init__(self) -> None:
        if not self.bands:
            raise ScorecardError(
                code="INVALID_MASTER_SCALE", message="a master scale needs at least one grade"
            )
        names = [g for g, _ in self.bands]
        if len(set(names)) != len(names):
            raise ScorecardError(
                code="INVALID_MASTER_SCALE", message=f"grade names repeat: {names}"
            )
        bounds = [b for _, b in self.bands]
        if any(not lo < hi for lo, hi in itertools.pairwise(bounds)) or bounds[0] <= 0:
            raise ScorecardError(
                code="INVALID_MASTER_SCALE",
                message=f"upper bounds must be positive and increasing: {bounds}",
            )
        if not math.isinf(bounds[-1]):
            raise ScorecardError(
                code="INVALID_MASTER_SCALE",
                message=f"the last grade {names[-1]!r} must be open-ended (upper bound inf), "
                f"got {bounds[-1]}",
            )

    @classmethod
    def from_bounds(cls, grades: Sequence[str], upper_bounds: Sequence[float]) -> MasterScale:
        """Build a scale from grade names and the upper bounds of all but the last grade."""
        if len(upper_bounds) != len(grades) - 1:
            raise ScorecardError(
                code="INVALID_MASTER_SCALE",
                message=f"{len(grades)} grades need {len(grades) - 1} bounds, "
                f"got {len(upper_bounds)}",
            )
        return cls(tuple(zip(grades, [*upper_bounds, math.inf], strict=True)))

    @property
    def grades(self) -> tuple[str, ...]:
        """Grade names, best first."""
        return tuple(g for g, _ in self.bands)

    def grade_for_pd(self, pd: float) -> str:
        """Grade of a PD in [0, 1]."""
        _check_pd(pd, open_interval=False)
        for grade, upper in self.bands:
            if pd < upper:
                return grade
        raise AssertionError("unreachable: the last band is open-ended")

    def band(self, grade: str) -> tuple[float, float]:
        """``[lower, upper)`` PD interval of a grade (upper is inf for the last grade)."""
        lower = 0.0
        for name, upper in self.bands:
            if name == grade:
                return lower, upper
            lower = upper
        raise ScorecardError(
            code="INVALID_MASTER_SCALE",
            message=f"unknown grade {grade!r}; grades are {self.grades}",
        )


#: The platform's default scale: A <0.5%, B <1%, C <2%, D <4%, E <8%, F <15%, G >=15%.
DEFAULT_MASTER_SCALE = MasterScale()
