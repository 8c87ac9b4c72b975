"""Analytic Hierarchy Process: indicator weights from expert pairwise judgements (R5).

An expert fills a reciprocal matrix ``A`` where ``a_ij`` says how much more important
indicator i is than j on Saaty's 1-9 scale (and ``a_ji = 1 / a_ij``). The weights are the
principal (Perron) eigenvector of ``A`` normalised to sum 1; ``lambda_max`` is its
eigenvalue. A perfectly consistent matrix has ``lambda_max = n``, so the consistency index
``CI = (lambda_max - n) / (n - 1)`` measures the incoherence, and the consistency ratio
``CR = CI / RI`` compares it with Saaty's random index ``RI`` of random matrices of the same
size. Judgements with ``CR >= 0.1`` are conventionally sent back to the expert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from smecredit.domain.errors import DomainError

__all__ = [
    "DEFAULT_CR_THRESHOLD",
    "RANDOM_INDEX",
    "SAATY_SCALE",
    "AhpError",
    "AhpResult",
    "InconsistentPair",
    "ahp_weights",
    "compose_weights",
    "most_inconsistent_pair",
    "require_consistent",
]

#: Saaty's random consistency index for n = 1..15.
RANDOM_INDEX: tuple[float, ...] = (
    0.0,
    0.0,
    0.58,
    0.90,
    1.12,
    1.24,
    1.32,
    1.41,
    1.45,
    1.49,
    1.51,
    1.48,
    1.56,
    1.57,
    1.59,
)
#: Judgements with a consistency ratio at or above this are refused by default.
DEFAULT_CR_THRESHOLD = 0.1
#: Values an expert may enter: 1/9 .. 1/2, 1 .. 9.
SAATY_SCALE: tuple[float, ...] = tuple(1.0 / k for k in range(9, 1, -1)) + tuple(
    float(k) for k in range(1, 10)
)
_RECIPROCAL_RTOL = 1e-3


class AhpError(DomainError):
    """Invalid or inconsistent pairwise judgements, or invalid weights.

    Attributes:
        code: ``INVALID_PAIRWISE_MATRIX``, ``INCONSISTENT_JUDGEMENTS`` or ``INVALID_WEIGHTS``.
    """

    code = "INVALID_PAIRWISE_MATRIX"


@dataclass(frozen=True)
class AhpResult:
    """Weights and consistency of one pairwise comparison matrix.

    Attributes:
        weights: priority vector, sums to 1, in the matrix's row order.
        lambda_max: principal eigenvalue (estimated from ``A w`` for the geometric method).
        ci: consistency index ``(lambda_max - n) / (n - 1)`` (0 for n <= 2).
        cr: consistency ratio ``CI / RI`` (0 for n <= 2, which is always consistent).
        consistent: ``cr < threshold`` used at computation.
        matrix: the validated matrix (kept to explain an inconsistency).
        labels: row names, ``("1", "2", ...)`` when none were given.
        method: ``eigen`` or ``geometric``.
    """

    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float
    consistent: bool
    matrix: tuple[tuple[float, ...], ...]
    labels: tuple[str, ...]
    method: Literal["eigen", "geometric"]

    def as_dict(self) -> dict[str, float]:
        """Label -> weight."""
        return dict(zip(self.labels, self.weights, strict=True))


def _validate(
    matrix: Sequence[Sequence[float]] | npt.ArrayLike, labels: Sequence[str]
) -> np.ndarray:
    try:
        a = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AhpError(
            code="INVALID_PAIRWISE_MATRIX", message=f"the matrix must hold numbers ({exc})"
        ) from exc
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise AhpError(
            code="INVALID_PAIRWISE_MATRIX",
            message=f"the matrix must be square and non-empty, got shape {a.shape}",
        )
    n = a.shape[0]
    if n > len(RANDOM_INDEX):
        raise AhpError(
            code="INVALID_PAIRWISE_MATRIX",
            message=f"at most {len(RANDOM_INDEX)} items can be compared (Saaty's random "
            f"index table); got {n}: split them into groups and compose with compose_weights",
        )
    if len(labels) != n:
        raise AhpError(
            code="INVALID_PAIRWISE_MATRIX", message=f"{n} rows need {n} labels, got {len(labels)}"
        )
    for i in range(n):
        for j in range(n):
            v = a[i, j]
            cell = f"cell ({labels[i]}, {labels[j]}) [row {i + 1}, column {j + 1}]"
            if not (math.isfinite(v) and v > 0):
                raise AhpError(
                    code="INVALID_PAIRWISE_MATRIX",
                    message=f"{cell} must be a positive number, got {v!r}",
                )
            if i == j and not math.isclose(v, 1.0, rel_tol=1e-9):
                raise AhpError(
                    code="INVALID_PAIRWISE_MATRIX",
                    message=f"{cell} is on the diagonal and must be 1, got {v!r}",
                )
            if j > i and not math.isclose(v * a[j, i], 1.0, rel_tol=_RECIPROCAL_RTOL):
                raise AhpError(
                    code="INVALID_PAIRWISE_MATRIX",
                    message=f"{cell} = {v:g} but its mirror ({labels[j]}, {labels[i]}) = "
                    f"{a[j, i]:g}; the mirror must be the reciprocal 1/{v:g} = {1 / v:.4g}",
                )
    return a


def ahp_weights(
    matrix: Sequence[Sequence[float]] | npt.ArrayLike,
    *,
    method: Literal["eigen", "geometric"] = "eigen",
    labels: Sequence[str] | None = None,
    threshold: float = DEFAULT_CR_THRESHOLD,
) -> AhpResult:
    """Weights and consistency of a reciprocal pairwise comparison matrix.

    Args:
        matrix: square, positive, reciprocal (within 0.1%), ones on the diagonal, n <= 15.
        method: ``eigen`` for the principal eigenvector (Saaty), or ``geometric`` for the
            normalised row geometric means (close to the eigenvector, exact when consistent);
            its ``lambda_max`` is estimated as ``mean((A w)_i / w_i)``.
        labels: names of the rows for messages; defaults to ``1..n``.
        threshold: CR below which the judgements count as consistent.

    Raises:
        AhpError: ``INVALID_PAIRWISE_MATRIX`` naming the offending cell.
    """
    size = np.asarray(matrix, dtype=object).shape
    names = (
        tuple(labels)
        if labels is not None
        else tuple(str(i + 1) for i in range(size[0] if size else 0))
    )
    a = _validate(matrix, names)
    n = a.shape[0]
    if method == "eigen":
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(values.real))
        # Perron-Frobenius: the principal eigenvector of a positive matrix has one sign.
        w = np.abs(vectors[:, k].real)
        lambda_max = float(values[k].real)
    elif method == "geometric":
        w = np.exp(np.log(a).mean(axis=1))
        lambda_max = float(np.mean((a @ w) / w))
    else:
        raise AhpError(
            code="INVALID_PAIRWISE_MATRIX",
            message=f"unknown method {method!r}; use 'eigen' or 'geometric'",
        )
    w = w / w.sum()
    if n <= 2:
        ci = cr = 0.0  # a 1x1 or reciprocal 2x2 matrix cannot be inconsistent
    else:
        ci = max(0.0, (lambda_max - n) / (n - 1))  # round-off can give a tiny negative
        cr = ci / RANDOM_INDEX[n - 1]
    return AhpResult(
        weights=tuple(float(x) for x in w),
        lambda_max=lambda_max,
        ci=ci,
        cr=cr,
        consistent=cr < threshold,
        matrix=tuple(tuple(float(v) for v in row) for row in a),
        labels=names,
        method=method,
    )


@dataclass(frozen=True)
class InconsistentPair:
    """The judgement that disagrees most with the derived weights.

    Attributes:
        row: 0-based row i (always ``row < column``).
        column: 0-based column j.
        entered: the entered value ``a_ij``.
        weight_ratio: ``w_i / w_j`` from the derived weights.
        indirect: what the *other* judgements say about i vs j: the geometric mean of
            ``a_ik * a_kj`` over every third item k (``weight_ratio`` when n = 2).
        suggested: the Saaty-scale value nearest to ``indirect``.
    """

    row: int
    column: int
    entered: float
    weight_ratio: float
    indirect: float
    suggested: float


def most_inconsistent_pair(result: AhpResult) -> InconsistentPair:
    """Find the judgement that disagrees most with the weights.

    The deviation of cell (i, j) is ``|ln(a_ij) - ln(w_i / w_j)|``: symmetric in a cell and
    its mirror, and it treats "3 instead of 1" like "1/3 instead of 1". The suggestion comes
    from the indirect comparisons through every other item, which the suspect cell itself
    does not influence (the weights it also shaped would understate the correction).
    """
    a = np.asarray(result.matrix)
    n = a.shape[0]
    w = np.asarray(result.weights)
    ratio = w[:, None] / w[None, :]
    dev = np.abs(np.log(a) - np.log(ratio))
    dev[np.tril_indices_from(dev)] = -1.0
    i, j = (int(v) for v in np.unravel_index(int(np.argmax(dev)), dev.shape))
    others = [k for k in range(n) if k not in (i, j)]
    if others:
        indirect = float(np.exp(np.mean([np.log(a[i, k] * a[k, j]) for k in others])))
    else:
        indirect = float(ratio[i, j])
    return InconsistentPair(
        row=i,
        column=j,
        entered=float(a[i, j]),
        weight_ratio=float(ratio[i, j]),
        indirect=indirect,
        suggested=_nearest_scale_value(indirect),
    )


def _nearest_scale_value(x: float) -> float:
    return min(SAATY_SCALE, key=lambda s: abs(math.log(s) - math.log(x)))


def _fmt_scale(v: float) -> str:
    return f"{v:g}" if v >= 1 else f"1/{round(1 / v)}"


def require_consistent(result: AhpResult, threshold: float = DEFAULT_CR_THRESHOLD) -> AhpResult:
    """Return ``result`` if its CR is below ``threshold``; refuse it otherwise.

    Raises:
        AhpError: ``INCONSISTENT_JUDGEMENTS`` naming the CR, the most inconsistent pair
            (see :func:`most_inconsistent_pair`) and a Saaty-scale value to try instead.
    """
    if result.cr < threshold:
        return result
    pair = most_inconsistent_pair(result)
    li, lj = result.labels[pair.row], result.labels[pair.column]
    raise AhpError(
        code="INCONSISTENT_JUDGEMENTS",
        message=f"the pairwise judgements are inconsistent: CR = {result.cr:.3f} is not below "
        f"{threshold:g} (lambda_max = {result.lambda_max:.3f}, n = {len(result.weights)}). "
        f"The most inconsistent judgement is {li} vs {lj} (row {pair.row + 1}, column "
        f"{pair.column + 1}): entered {_fmt_scale(pair.entered)}, while the comparisons "
        f"through the other items imply about {pair.indirect:.2f}; consider "
        f"{_fmt_scale(pair.suggested)} (and {_fmt_scale(1 / pair.suggested)} for {lj} vs {li}), "
        f"then recompute.",
    )


def _normalised(weights: Mapping[str, float], what: str) -> dict[str, float]:
    if not weights:
        raise AhpError(code="INVALID_WEIGHTS", message=f"{what} is empty")
    for name, v in weights.items():
        if not (math.isfinite(v) and v >= 0):
            raise AhpError(
                code="INVALID_WEIGHTS",
                message=f"weight of {name!r} in {what} must be >= 0, got {v!r}",
            )
    total = float(sum(weights.values()))
    if total <= 0:
        raise AhpError(code="INVALID_WEIGHTS", message=f"weights in {what} sum to zero")
    return {k: float(v) / total for k, v in weights.items()}


def compose_weights(
    group_weights: Mapping[str, float],
    indicator_weights: Mapping[str, Mapping[str, float]],
) -> dict[str, float]:
    """Global indicator weights of a two-level hierarchy: group weight x local weight.

    Each level is normalised to sum 1 first, so expert percentages work as well as AHP
    vectors; the result sums to 1.

    Args:
        group_weights: group (criterion) -> weight.
        indicator_weights: group -> (indicator -> local weight within the group).

    Raises:
        AhpError: ``INVALID_WEIGHTS`` when the groups differ between the two mappings, an
            indicator appears in two groups, or a weight is negative.
    """
    groups = _normalised(group_weights, "group_weights")
    if set(groups) != set(indicator_weights):
        only_groups = sorted(set(groups) - set(indicator_weights))
        only_indicators = sorted(set(indicator_weights) - set(groups))
        raise AhpError(
            code="INVALID_WEIGHTS",
            message=f"groups differ: only in group_weights {only_groups}, "
            f"only in indicator_weights {only_indicators}",
        )
    out: dict[str, float] = {}
    for group, gw in groups.items():
        for indicator, lw in _normalised(indicator_weights[group], f"group {group!r}").items():
            if indicator in out:
                raise AhpError(
                    code="INVALID_WEIGHTS",
                    message=f"indicator {indicator!r} appears in more than one group",
                )
            out[indicator] = gw * lw
    return out
