from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.products import (
    InvalidProductTerms,
    ProductTerms,
    validate_application_terms,
)
from smecredit.domain.schedules import RepaymentMethod

TERMS = ProductTerms(
    amount_min=Decimal("10000.00"),
    amount_max=Decimal("3000000.00"),
    term_months_min=3,
    term_months_max=36,
    rate_min=Decimal("0.0345"),
    rate_max=Decimal("0.18"),
    methods=frozenset({RepaymentMethod.EQUAL_INSTALMENT, RepaymentMethod.EQUAL_PRINCIPAL}),
    grace_period_days=3,
)


def codes(violations):
    return sorted(v.code for v in violations)


def test_valid_application_has_no_violation():
    assert (
        validate_application_terms(
            TERMS, Decimal("500000.00"), 12, Decimal("0.06"), RepaymentMethod.EQUAL_INSTALMENT
        )
        == []
    )


def test_every_violation_is_named():
    violations = validate_application_terms(
        TERMS, Decimal("9999.995"), 48, Decimal("0.20"), RepaymentMethod.INTEREST_ONLY
    )
    assert codes(violations) == [
        "AMOUNT_BELOW_MIN",
        "AMOUNT_NOT_IN_FEN",
        "METHOD_NOT_ALLOWED",
        "RATE_ABOVE_MAX",
        "TERM_ABOVE_MAX",
    ]
    by_code = {v.code: v for v in violations}
    assert by_code["TERM_ABOVE_MAX"].field == "term_months"
    assert "36" in by_code["TERM_ABOVE_MAX"].message
    assert "equal_instalment" in by_code["METHOD_NOT_ALLOWED"].message


def test_lower_bounds():
    violations = validate_application_terms(
        TERMS, Decimal("3000000.01"), 2, Decimal("0.01"), "equal_principal"
    )
    assert codes(violations) == ["AMOUNT_ABOVE_MAX", "RATE_BELOW_MIN", "TERM_BELOW_MIN"]


@given(
    st.integers(0, 500_000_000).map(lambda n: Decimal(n) / 100),
    st.integers(0, 100),
    st.integers(0, 3000).map(lambda b: Decimal(b) / 10_000),
    st.sampled_from(list(RepaymentMethod)),
)
def test_violations_iff_out_of_bounds(amount, term, rate, method):
    found = set(codes(validate_application_terms(TERMS, amount, term, rate, method)))
    assert ("AMOUNT_BELOW_MIN" in found) == (amount < TERMS.amount_min)
    assert ("AMOUNT_ABOVE_MAX" in found) == (amount > TERMS.amount_max)
    assert ("TERM_BELOW_MIN" in found) == (term < TERMS.term_months_min)
    assert ("TERM_ABOVE_MAX" in found) == (term > TERMS.term_months_max)
    assert ("RATE_BELOW_MIN" in found) == (rate < TERMS.rate_min)
    assert ("RATE_ABOVE_MAX" in found) == (rate > TERMS.rate_max)
    assert ("METHOD_NOT_ALLOWED" in found) == (method not in TERMS.methods)


def test_penalty_rate():
    assert TERMS.penalty_rate_for(Decimal("0.06")) == Decimal("0.090")
    absolute = ProductTerms(
        **{
            **{f: getattr(TERMS, f) for f in TERMS.__slots__},
            "penalty_multiplier": None,
            "penalty_rate_absolute": Decimal("0.24"),
        }
    )
    assert absolute.penalty_rate_for(Decimal("0.06")) == Decimal("0.24")


@pytest.mark.parametrize(
    "change",
    [
        {"amount_min": Decimal("0")},
        {"amount_max": Decimal("1.00")},
        {"term_months_min": 40},
        {"rate_max": Decimal("1.2")},
        {"methods": frozenset()},
        {"grace_period_days": -1},
        {"penalty_multiplier": None},
        {"penalty_rate_absolute": Decimal("0.2")},
        {"penalty_multiplier": Decimal("-1")},
    ],
)
def test_inconsistent_products_are_refused(change):
    fields = {f: getattr(TERMS, f) for f in TERMS.__slots__}
    with pytest.raises(InvalidProductTerms) as info:
        ProductTerms(**{**fields, **change})
    assert info.value.code == "INVALID_PRODUCT_TERMS"
