"""Tests for smecredit.domain.ahp."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.ahp import (
    RANDOM_INDEX,
    AhpError,
    ahp_weights,
    compose_weights,
    most_inconsistent_pair,
    require_consistent,
)
from smecredit.domain.errors import DomainError

# The classic three-criterion textbook matrix (A moderately over B, strongly over C; B
# moderately over C), quoted across AHP texts with weights 0.637 / 0.258 / 0.105,
# lambda_max 3.039, CI 0.019 and CR 0.033.
TEXTBOOK_3: list[list[float]] = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]

# Saaty-scale 4x4 with mild inconsistency, checked against power iteration only.
MATRIX_4: list[list[float]] = [
    [1, 3, 7, 9],
    [1 / 3, 1, 3, 5],
    [1 / 7, 1 / 3, 1, 2],
    [1 / 9, 1 / 5, 1 / 2, 1],
]


def _power_iteration(a: list[list[float]], iterations: int = 500) -> tuple[np.ndarray, float]:
    """Principal eigenpair from the eigen-definition A w = lambda w, independently of eig()."""
    m = np.asarray(a, dtype=float)
    w = np.ones(m.shape[0]) / m.shape[0]
    for _ in range(iterations):
        w = m @ w
        w = w / w.sum()
    lam = float(np.mean((m @ w) / w))
    return w, lam


def test_textbook_3x3_published_figures() -> None:
    r = ahp_weights(TEXTBOOK_3)
    assert r.weights == pytest.approx((0.637, 0.258, 0.105), abs=1e-3)
    assert r.lambda_max == pytest.approx(3.039, abs=1e-3)
    assert r.ci == pytest.approx(0.019, abs=1e-3)
    assert r.cr == pytest.approx(0.033, abs=1e-3)
    assert r.consistent
    assert require_consistent(r) is r


@pytest.mark.parametrize("matrix", [TEXTBOOK_3, MATRIX_4])
def test_against_eigen_definition(matrix: list[list[float]]) -> None:
    w, lam = _power_iteration(matrix)
    r = ahp_weights(matrix)
    n = len(matrix)
    assert np.asarray(r.weights) == pytest.approx(w, abs=1e-9)
    assert sum(r.weights) == pytest.approx(1.0)
    assert np.asarray(matrix) @ np.asarray(r.weights) == pytest.approx(
        r.lambda_max * np.asarray(r.weights), abs=1e-9
    )
    assert r.lambda_max == pytest.approx(lam, abs=1e-9)
    assert r.ci == pytest.approx((lam - n) / (n - 1), abs=1e-9)
    assert r.cr == pytest.approx((lam - n) / (n - 1) / RANDOM_INDEX[n - 1], abs=1e-9)


def test_geometric_method_close_to_eigen() -> None:
    eig = ahp_weights(MATRIX_4)
    geo = ahp_weights(MATRIX_4, method="geometric")
    assert geo.method == "geometric"
    assert np.asarray(geo.weights) == pytest.approx(np.asarray(eig.weights), abs=0.02)
    rows = np.prod(np.asarray(MATRIX_4), axis=1) ** (1 / 4)
    assert np.asarray(geo.weights) == pytest.approx(rows / rows.sum())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.05, 20.0), min_size=1, max_size=15),
    st.sampled_from(["eigen", "geometric"]),
)
def test_consistent_matrix_recovers_weights(raw: list[float], method: str) -> None:
    w = np.asarray(raw) / sum(raw)
    matrix = w[:, None] / w[None, :]
    r = ahp_weights(matrix, method=method)  # type: ignore[arg-type]
    assert np.asarray(r.weights) == pytest.approx(w, rel=1e-6)
    assert r.lambda_max == pytest.approx(len(raw), rel=1e-6)
    assert r.cr == pytest.approx(0.0, abs=1e-6)
    assert r.consistent


def test_random_index_table() -> None:
    assert RANDOM_INDEX == (
        0,
        0,
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
    assert ahp_weights([[1]]).weights == (1.0,)
    two = ahp_weights([[1.0, 3.0], [1 / 3, 1.0]])
    assert two.weights == pytest.approx((0.75, 0.25))
    assert two.cr == 0.0


@pytest.mark.parametrize(
    ("matrix", "fragment"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([], "square"),
        ([[1, -2], [-0.5, 1]], "cell (a, b) [row 1, column 2] must be a positive"),
        ([[2, 2], [0.5, 1]], "cell (a, a) [row 1, column 1] is on the diagonal"),
        ([[1, 3], [0.5, 1]], "cell (a, b) [row 1, column 2] = 3 but its mirror (b, a) = 0.5"),
    ],
)
def test_invalid_matrix_names_the_cell(matrix: list[list[float]], fragment: str) -> None:
    labels = ["a", "b", "c"][: len(matrix)] if matrix and len(matrix) == len(matrix[0]) else None
    with pytest.raises(AhpError) as err:
        ahp_weights(matrix, labels=labels)
    assert err.value.code == "INVALID_PAIRWISE_MATRIX"
    assert isinstance(err.value, DomainError)  # one base class for the GraphQL error mapping
    assert fragment in str(err.value)


def test_too_large_matrix_refused() -> None:
    with pytest.raises(AhpError, match="at most 15"):
        ahp_weights(np.ones((16, 16)))


def test_inconsistent_judgements_refused_with_explanation() -> None:
    # Consistent base (cash 2x debt, debt 2x tax, tax = court) with one judgement reversed:
    # cash vs court entered as 1/4 where the other judgements say 4.
    a: list[list[float]] = [
        [1, 2, 4, 4],
        [1 / 2, 1, 2, 2],
        [1 / 4, 1 / 2, 1, 1],
        [1 / 4, 1 / 2, 1, 1],
    ]
    a[0][3], a[3][0] = 1 / 4, 4
    r = ahp_weights(a, labels=["cash", "debt", "tax", "court"])
    assert r.cr >= 0.1 and not r.consistent
    pair = most_inconsistent_pair(r)
    assert (pair.row, pair.column, pair.entered) == (0, 3, 0.25)
    assert pair.indirect == pytest.approx(4.0)
    assert pair.suggested == 4.0
    with pytest.raises(AhpError) as err:
        require_consistent(r)
    assert err.value.code == "INCONSISTENT_JUDGEMENTS"
    msg = str(err.value)
    assert f"CR = {r.cr:.3f}" in msg
    assert "cash vs court" in msg and "consider 4" in msg
    # Entering the suggestion makes the judgements consistent.
    a[0][3], a[3][0] = 4, 1 / 4
    assert require_consistent(ahp_weights(a)).cr == pytest.approx(0.0, abs=1e-9)


def test_cyclic_judgements_refused() -> None:
    r = ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    assert r.cr > 1
    with pytest.raises(AhpError, match="inconsistent"):
        require_consistent(r)


def test_compose_weights() -> None:
    groups = {"financial": 0.6, "credit": 0.4}
    local = {"financial": {"debt_ratio": 0.75, "current_ratio": 0.25}, "credit": {"dpd": 1.0}}
    out = compose_weights(groups, local)
    assert out == pytest.approx({"debt_ratio": 0.45, "current_ratio": 0.15, "dpd": 0.4})
    assert sum(out.values()) == pytest.approx(1.0)
    # percentages are normalised like fractions
    assert compose_weights(
        {"f": 60, "c": 40}, {"f": {"x": 3, "y": 1}, "c": {"z": 5}}
    ) == pytest.approx({"x": 0.45, "y": 0.15, "z": 0.4})
    with pytest.raises(AhpError) as err:
        compose_weights({"f": 1}, {"g": {"x": 1}})
    assert err.value.code == "INVALID_WEIGHTS"
    with pytest.raises(AhpError, match="more than one group"):
        compose_weights({"f": 1, "g": 1}, {"f": {"x": 1}, "g": {"x": 1}})
    with pytest.raises(AhpError, match=">= 0"):
        compose_weights({"f": -1, "g": 2}, {"f": {"x": 1}, "g": {"y": 1}})
