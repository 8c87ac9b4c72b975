"""Composite early-warning index over weighted indicators (R5).

Each indicator has four thresholds, one per warning level (blue < yellow < orange < red in
severity), and a direction: ``higher_is_worse`` (e.g. days past due, debt-to-asset ratio)
or ``lower_is_worse`` (e.g. current ratio, revenue growth).

An indicator value maps to a 0-100 *risk score*, piecewise linear through fixed anchors:

=================================  =====
point                              score
=================================  =====
blue - (yellow - blue)             0
blue threshold                     20
yellow threshold                   40
orange threshold                   60
red threshold                      80
red + (red - orange)               100
=================================  =====

and clamped to [0, 100] outside. The anchors equal the default index bands, so an indicator
exactly at its orange threshold scores 60, which the index bands call orange: a single
indicator's level and its score agree. (For ``lower_is_worse`` everything is mirrored.)

The composite index is the weighted mean of the available scores. Missing data is neither
healthy nor bad: an indicator without a value is left out and the weights of the others are
renormalised, so the index is the best estimate from what is known. How much of the weight
was known is reported separately by :func:`index_coverage`; a caller should show it and may
refuse to act on a low coverage.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from smecredit.domain.errors import DomainError

__all__ = [
    "DEFAULT_INDEX_BANDS",
    "Direction",
    "IndicatorSpec",
    "Level",
    "Thresholds",
    "WarningIndexError",
    "composite_index",
    "index_coverage",
    "index_level",
    "indicator_level",
    "indicator_score",
    "score_indicators",
]

Direction = Literal["higher_is_worse", "lower_is_worse"]

#: Scores at the blue, yellow, orange and red thresholds (see the module docstring).
_LEVEL_SCORES = (20.0, 40.0, 60.0, 80.0)


class WarningIndexError(DomainError):
    """Invalid thresholds, weights or scores.

    Attributes:
        code: ``INVALID_THRESHOLDS``, ``INVALID_WEIGHTS``, ``INVALID_SCORE`` or
            ``NO_INDICATOR_DATA``.
    """

    code = "INVALID_THRESHOLDS"


class Level(enum.IntEnum):
    """Warning levels, ordered by severity (compare with ``<``)."""

    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4


@dataclass(frozen=True)
class Thresholds:
    """Values at which an indicator reaches each level.

    Strictly increasing for ``higher_is_worse``, strictly decreasing for ``lower_is_worse``.
    """

    blue: float
    yellow: float
    orange: float
    red: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(blue, yellow, orange, red)``."""
        return (self.blue, self.yellow, self.orange, self.red)


@dataclass(frozen=True)
class IndicatorSpec:
    """Configuration of one indicator.

    Attributes:
        name: indicator key.
        thresholds: level thresholds.
        direction: which way is worse.
    """

    name: str
    thresholds: Thresholds
    direction: Direction = "higher_is_worse"


#: Default index bands: lower bound of each level on the 0-100 index.
DEFAULT_INDEX_BANDS: Mapping[Level, float] = {
    Level.RED: 80.0,
    Level.ORANGE: 60.0,
    Level.YELLOW: 40.0,
    Level.BLUE: 20.0,
}


def _oriented(
    value: float, thresholds: Thresholds, direction: Direction
) -> tuple[float, np.ndarray]:
    """Flip ``lower_is_worse`` to ``higher_is_worse`` by negation; validate the thresholds."""
    if direction not in ("higher_is_worse", "lower_is_worse"):
        raise WarningIndexError(
            code="INVALID_THRESHOLDS", message=f"unknown direction {direction!r}"
        )
    t = np.asarray(thresholds.as_tuple(), dtype=float)
    if not np.isfinite(t).all():
        raise WarningIndexError(
            code="INVALID_THRESHOLDS", message=f"thresholds must be finite: {t.tolist()}"
        )
    sign = 1.0 if direction == "higher_is_worse" else -1.0
    if (np.diff(sign * t) <= 0).any():
        order = "increasing" if sign > 0 else "decreasing"
        raise WarningIndexError(
            code="INVALID_THRESHOLDS",
            message=f"with {direction} the blue, yellow, orange, red thresholds must be strictly "
            f"{order}, got {t.tolist()}",
        )
    if not math.isfinite(value):
        raise WarningIndexError(
            code="INVALID_SCORE", message=f"indicator value must be finite, got {value!r}"
        )
    return sign * value, sign * t


def indicator_level(value: float, thresholds: Thresholds, direction: Direction) -> Level | None:
    """The most severe level whose threshold the value reaches; None below blue.

    Reaching means ``value >= threshold`` (``<=`` for ``lower_is_worse``).
    """
    v, t = _oriented(value, thresholds, direction)
    reached = [lvl for lvl, th in zip(Level, t, strict=True) if v >= th]
    return reached[-1] if reached else None


def indicator_score(value: float, thresholds: Thresholds, direction: Direction) -> float:
    """Risk score 0-100 of an indicator value, piecewise linear (see the module docstring)."""
    v, t = _oriented(value, thresholds, direction)
    xs = np.r_[t[0] - (t[1] - t[0]), t, t[3] + (t[3] - t[2])]
    ys = np.r_[0.0, _LEVEL_SCORES, 100.0]
    return float(np.interp(v, xs, ys))  # np.interp clamps to 0 and 100 outside


def score_indicators(
    values: Mapping[str, float | None], specs: Mapping[str, IndicatorSpec]
) -> dict[str, float | None]:
    """Scores for many indicators; None (or NaN) values stay None (missing).

    Raises:
        WarningIndexError: a value for an indicator without a spec.
    """
    out: dict[str, float | None] = {}
    for name, value in values.items():
        if name not in specs:
            raise WarningIndexError(
                code="INVALID_THRESHOLDS", message=f"no thresholds configured for {name!r}"
            )
        if value is None or math.isnan(value):
            out[name] = None
        else:
            spec = specs[name]
            out[name] = indicator_score(value, spec.thresholds, spec.direction)
    return out


def _present(
    scores: Mapping[str, float | None], weights: Mapping[str, float]
) -> tuple[dict[str, float], float]:
    unknown = sorted(set(scores) - set(weights))
    if unknown:
        raise WarningIndexError(
            code="INVALID_WEIGHTS", message=f"no weight for indicators {unknown}"
        )
    total = 0.0
    for name, w in weights.items():
        if not (math.isfinite(w) and w >= 0):
            raise WarningIndexError(
                code="INVALID_WEIGHTS", message=f"weight of {name!r} must be >= 0, got {w!r}"
            )
        total += w
    if total <= 0:
        raise WarningIndexError(code="INVALID_WEIGHTS", message="weights sum to zero")
    present: dict[str, float] = {}
    for name, s in scores.items():
        if s is None or math.isnan(s):
            continue
        if not 0.0 <= s <= 100.0:
            raise WarningIndexError(
                code="INVALID_SCORE", message=f"score of {name!r} must lie in [0, 100], got {s!r}"
            )
        present[name] = float(s)
    return present, total


def composite_index(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """Weighted mean of the available indicator scores, 0-100.

    Indicators whose score is None/NaN, or that have a weight but no entry in ``scores``,
    are missing: they are left out and the remaining weights renormalised.

    Args:
        scores: indicator -> score in [0, 100] or None.
        weights: indicator -> non-negative weight (need not sum to 1).

    Raises:
        WarningIndexError: ``NO_INDICATOR_DATA`` when no weighted indicator has a score;
            ``INVALID_WEIGHTS``/``INVALID_SCORE`` on bad input.
    """
    present, _ = _present(scores, weights)
    covered = sum(weights[n] for n in present)
    if covered <= 0:
        raise WarningIndexError(
            code="NO_INDICATOR_DATA",
            message="no indicator with a positive weight has data; the index cannot be computed",
        )
    value = sum(weights[n] * s for n, s in present.items()) / covered
    return min(100.0, max(0.0, value))  # guard float round-off at the ends


def index_coverage(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """Share (0-1) of the total weight whose indicators have a score."""
    present, total = _present(scores, weights)
    return sum(weights[n] for n in present) / total


def index_level(index: float, bands: Mapping[Level, float] = DEFAULT_INDEX_BANDS) -> Level | None:
    """Level of an index value: the most severe level whose lower bound it reaches.

    Args:
        index: composite index in [0, 100].
        bands: level -> lower bound; more severe levels need higher bounds.
    """
    if not (math.isfinite(index) and 0.0 <= index <= 100.0):
        raise WarningIndexError(
            code="INVALID_SCORE", message=f"index must lie in [0, 100], got {index!r}"
        )
    ordered = sorted(bands.items())
    bounds = [b for _, b in ordered]
    if any(not lo < hi for lo, hi in itertools.pairwise(bounds)):
        raise WarningIndexError(
            code="INVALID_THRESHOLDS",
            message=f"index bands must rise with severity: { {k.name: v for k, v in ordered} }",
        )
    level = None
    for lvl, lower in ordered:
        if index >= lower:
            level = lvl
    return level
