"""The compliance scoring: statuses to scores, the weighted overall score, the PSI band."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.compliance import (
    MAX_EVIDENCE,
    CheckOutcome,
    CheckStatus,
    ComplianceCheck,
    overall_score,
    psi_status,
    worst,
)

S = CheckStatus
weights = st.floats(min_value=0.01, max_value=1000, allow_nan=False)
results = st.lists(st.tuples(weights, st.sampled_from(list(CheckStatus))), max_size=20)


@given(results)
def test_the_overall_score_lies_between_0_and_100(rows: list[tuple[float, CheckStatus]]) -> None:
    score = overall_score(rows)
    scored = [r for r in rows if r[1] is not S.NOT_APPLICABLE]
    if not scored:
        assert score is None
    else:
        assert score is not None and 0 <= score <= 100


@given(results, st.lists(weights, max_size=5))
def test_not_applicable_results_change_nothing(
    rows: list[tuple[float, CheckStatus]], extra: list[float]
) -> None:
    assert overall_score(rows + [(w, S.NOT_APPLICABLE) for w in extra]) == overall_score(rows)


@given(results, st.floats(min_value=0.1, max_value=10))
def test_scaling_every_weight_keeps_the_score(
    rows: list[tuple[float, CheckStatus]], factor: float
) -> None:
    base, scaled = overall_score(rows), overall_score([(w * factor, s) for w, s in rows])
    assert (base is None) == (scaled is None)
    if base is not None and scaled is not None:
        assert scaled == pytest.approx(base, abs=0.02)


def test_the_score_is_the_weighted_mean_of_the_statuses() -> None:
    assert overall_score([(3, S.PASS), (1, S.FAIL)]) == 75.0
    assert overall_score([(1, S.PASS), (1, S.WARNING)]) == 75.0
    assert overall_score([(1, S.ERROR), (1, S.PASS), (5, S.NOT_APPLICABLE)]) == 50.0
    assert overall_score([(2, S.NOT_APPLICABLE)]) is None
    assert overall_score([]) is None


def test_a_heavier_failure_costs_more() -> None:
    light = overall_score([(10, S.PASS), (1, S.FAIL)])
    heavy = overall_score([(1, S.PASS), (10, S.FAIL)])
    assert light is not None and heavy is not None and light > heavy


def test_outcomes_keep_the_first_evidence_and_count_all() -> None:
    ids = [f"Loan:{i}" for i in range(MAX_EVIDENCE + 7)]
    outcome = CheckOutcome.of(S.FAIL, "too many", ids)
    assert outcome.evidence == tuple(ids[:MAX_EVIDENCE])
    assert outcome.total == MAX_EVIDENCE + 7
    assert outcome.score == 0.0
    assert CheckOutcome.of(S.NOT_APPLICABLE, "n/a").score is None


def test_psi_bands() -> None:
    assert psi_status(0.0) is S.PASS
    assert psi_status(0.099) is S.PASS
    assert psi_status(0.1) is S.WARNING
    assert psi_status(0.25) is S.WARNING
    assert psi_status(0.2501) is S.FAIL


def test_worst_orders_the_statuses() -> None:
    assert worst([S.PASS, S.WARNING]) is S.WARNING
    assert worst([S.PASS, S.FAIL, S.WARNING]) is S.FAIL
    assert worst([]) is S.NOT_APPLICABLE


def test_a_check_needs_a_positive_weight() -> None:
    with pytest.raises(ValueError, match="weight"):
        ComplianceCheck("x", "x", "x", 0, "m", "g")
