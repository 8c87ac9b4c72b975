"""Scoring models: the protocol, the reasons they give, input helpers and model maths."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

# Model-building maths for scoring-model plugins (which may import only this module).
from smecredit.domain.errors import CodedError
from smecredit.domain.model_metrics import auc
from smecredit.domain.scorecard_scaling import ScoreScaling
from smecredit.domain.woe_binning import (
    BinningResult,
    fit_categorical_bins,
    fit_numeric_bins,
    select_features,
)
from smecredit.domain.woe_binning import transform as woe_transform

__all__ = [
    "BinningResult",
    "ModelInputError",
    "Reason",
    "ScoreScaling",
    "ScoringModel",
    "as_float",
    "auc",
    "fit_categorical_bins",
    "fit_numeric_bins",
    "is_missing",
    "select_features",
    "woe_transform",
]


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a score, for adverse-action notices and reviewers.

    Attributes:
        feature: feature name.
        value: the firm's value of the feature.
        contribution: the feature's push on the score (log-odds or SHAP units; positive
            means riskier).
        description: a sentence for people, optional.
    """

    feature: str
    value: Any
    contribution: float
    description: str = ""


class ModelInputError(CodedError):
    """A scoring model cannot be trained on, or applied to, what it was given.

    Scoring-model plugins raise it (or a subclass of their own) for bad training data, an
    unusable artefact or unusable rows. ``code`` is a stable, upper-case identifier such as
    ``"BAD_TRAINING_DATA"`` or ``"BAD_ARTEFACT"``, which the core reports with the message
    (it treats any exception carrying such a ``code`` as an error meant for people).

    Attributes:
        code: the stable error code.
        message: what is wrong, for people.

    It derives from the core's one coded-error base (:class:`CodedError`, exported by
    ``smecredit.sdk``), so ``except CodedError`` catches it with every other coded error.

    Added in SDK 1.1.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def is_missing(value: Any) -> bool:
    """Whether a feature value counts as missing: None, NaN or the empty string.

    Rows handed to :class:`ScoringModel` methods mark an unknown value with None; NaN (of
    any float type) and ``""`` (an empty categorical cell) mean the same.

    Added in SDK 1.1.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return math.isnan(value)
    except (TypeError, ValueError, OverflowError):  # not a float-like number: not NaN
        return False


def as_float(value: Any) -> float:
    """A feature value as a float: NaN when it is missing or not a number.

    ``as_float(3)`` is ``3.0``, ``as_float("2.5")`` is ``2.5``; ``None``, ``""``, NaN and
    ``"n/a"`` all give NaN, which tree models treat as missing.

    Added in SDK 1.1.
    """
    if is_missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


@runtime_checkable
class ScoringModel(Protocol):
    """A probability-of-default model family (R4), e.g. logistic regression or CatBoost.

    Rows ``X`` are mappings of feature name to value (numbers, strings for categorical
    features, None for missing), so plugins need no particular data-frame library.

    Attributes:
        name: unique model name, e.g. ``"catboost"``.
        description: one line for administrators.
        version: the implementation's version, stored with every artefact and score.
        predict_and_explain: optional (default None). A callable
            ``(artefact, X, top_n) -> (probabilities, reasons)`` giving what
            :meth:`predict_proba` and :meth:`explain` give, in one pass (batch scoring uses
            it when present). Declared since SDK 1.3.
    """

    name: str
    description: str
    version: str
    predict_and_explain: (
        Callable[[bytes, Sequence[Mapping[str, Any]], int], tuple[list[float], list[list[Reason]]]]
        | None
    ) = None

    def fit(
        self,
        X: Sequence[Mapping[str, Any]],
        y: Sequence[int],
        *,
        categorical: Sequence[str],
        options: Mapping[str, Any],
    ) -> bytes:
        """Train on rows ``X`` with labels ``y`` (1 = default) and return the artefact.

        The artefact is opaque bytes that the core stores and hands back to
        :meth:`predict_proba` and :meth:`explain`; bytes rather than objects so that
        nothing is unpickled from the database.
        """
        ...

    def predict_proba(
        self,
        artefact: bytes,
        X: Sequence[Mapping[str, Any]],
    ) -> list[float]:
        """Probability of default for each row of ``X``, in order."""
        ...

    def explain(
        self,
        artefact: bytes,
        X: Sequence[Mapping[str, Any]],
        top_n: int,
    ) -> list[list[Reason]]:
        """The ``top_n`` strongest reasons for each row's score, strongest first."""
        ...
