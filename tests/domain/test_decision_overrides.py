"""What makes an approval go against the recommendation."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.decision_overrides import (
    OVERRIDE_KINDS,
    Recommendation,
    findings,
    summary,
)

D = Decimal
REC = Recommendation(D("225000.00"), D("0.0450"), D("0.0550"))


def test_within_the_recommendation_there_is_nothing_to_override():
    assert findings(D("225000.00"), D("0.05"), REC) == []
    assert summary([]) == ""


def test_above_the_suggested_limit():
    (found,) = findings(D("300000.00"), D("0.05"), REC)
    assert (found.kind, found.system_value, found.decided_value) == (
        "above_limit",
        "225000.00",
        "300000.00",
    )
    assert "above the suggested limit 225000.00" in found.text


def test_a_zero_limit_replaces_above_limit():
    zero = Recommendation(D("0.00"), D("0.13"), D("0.15"))
    (found,) = findings(D("1000.00"), D("0.14"), zero)
    assert (found.kind, found.system_value, found.decided_value) == (
        "zero_limit",
        "0.00",
        "1000.00",
    )


def test_a_rate_outside_the_band():
    (found,) = findings(D("1000.00"), D("0.12"), REC)
    assert (found.kind, found.system_value, found.decided_value) == (
        "rate_outside",
        "4.5%-5.5%",
        "12%",
    )


def test_failed_policy_checks_and_no_score():
    (found,) = findings(D("1000.00"), D("0.05"), REC, ["consent withdrawn"])
    assert (found.kind, found.system_value, found.decided_value) == (
        "policy_check",
        "consent withdrawn",
        "approved",
    )
    (unscored,) = findings(D("1000.00"), D("0.05"), None)
    assert unscored.kind == "policy_check" and "no score" in (unscored.system_value or "")
    text = summary([unscored])
    assert text.startswith("this approval goes against the recommendation") and "reason" in text


@given(
    st.decimals("1", "1000000", places=2),
    st.decimals("0.01", "0.30", places=4),
    st.decimals("0", "1000000", places=2),
)
def test_every_finding_is_a_known_kind_with_both_values(amount, rate, limit):
    rec = Recommendation(limit, D("0.05"), D("0.10"))
    found = findings(amount, rate, rec)
    assert {f.kind for f in found} <= set(OVERRIDE_KINDS)
    assert all(f.decided_value for f in found)
    # above-limit and zero-limit exclude each other; each appears exactly when it applies
    kinds = [f.kind for f in found]
    assert ("zero_limit" in kinds) == (limit <= 0)
    assert ("above_limit" in kinds) == (0 < limit < amount)
    assert ("rate_outside" in kinds) == (not D("0.05") <= rate <= D("0.10"))
