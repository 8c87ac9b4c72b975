"""The credit policy: suggested limit, price band (grade band and risk-based floor), checks."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.credit_policy import (
    DEFAULT_CREDIT_POLICY,
    LEGAL_RATE_CEILING,
    CreditPolicy,
    CreditPolicyError,
    GradeTerms,
    RiskPricing,
)
from smecredit.domain.scorecard_scaling import DEFAULT_MASTER_SCALE

GRADES = DEFAULT_MASTER_SCALE.grades
D = Decimal
NO_PRICING = dataclasses.replace(DEFAULT_CREDIT_POLICY, pricing=None)


def _with_grade(policy: CreditPolicy, grade: str, terms: GradeTerms) -> CreditPolicy:
    return dataclasses.replace(policy, grades={**policy.grades, grade: terms})


def test_default_policy_is_valid_for_the_default_scale() -> None:
    assert DEFAULT_CREDIT_POLICY.problems(GRADES) == []
    assert list(DEFAULT_CREDIT_POLICY.grades) == list(GRADES)


def test_limit_is_the_revenue_cap_times_the_grade_factor_rounded_down() -> None:
    # C: factor 0.75. Revenue 1,000,000.01 x 0.30 = 300,000.003 < 500,000 asked.
    offer = NO_PRICING.suggest(
        grade="C", pd=0.015, amount=D("500000.00"), annual_revenue=D("1000000.01")
    )
    assert offer.limit == D("225000.00")  # 300,000.003 x 0.75 = 225,000.00225, down to fen
    # the amount asked is the cap when it is the smaller
    small = NO_PRICING.suggest(grade="C", pd=0.015, amount=D("1000.01"), annual_revenue=D("1e9"))
    assert small.limit == D("750.00")  # 750.0075 rounded down
    # no revenue known: the amount times the factor
    unknown = NO_PRICING.suggest(grade="B", pd=0.007, amount=D("100000"), annual_revenue=None)
    assert unknown.limit == D("90000.00")
    # a negative revenue caps at zero; grade G lends nothing
    negative = NO_PRICING.suggest(grade="A", pd=0.001, amount=D("10"), annual_revenue=D("-5"))
    assert negative.limit == 0
    assert NO_PRICING.suggest(grade="G", pd=0.4, amount=D("1e6"), annual_revenue=None).limit == 0


def test_band_is_the_grade_band_without_pricing() -> None:
    offer = NO_PRICING.suggest(grade="D", pd=0.03, amount=D("1000"), annual_revenue=None)
    assert (offer.rate_low, offer.rate_high) == (D("0.070000"), D("0.090000"))
    assert offer.risk_rate is None


def test_risk_based_floor_follows_the_pd_inside_the_grade_band() -> None:
    pricing = RiskPricing(lgd=D("0.5"), funding_rate=D("0.03"), margin=D("0.02"))
    policy = CreditPolicy(
        grades={g: GradeTerms(D("1"), D("0.06"), D("0.10")) for g in GRADES},
        revenue_cap_share=D("1"),
        rate_ceiling=D("0.15"),
        pricing=pricing,
    )

    def band(pd: float) -> tuple[Decimal, Decimal, Decimal | None]:
        offer = policy.suggest(grade="D", pd=pd, amount=D("1"), annual_revenue=None)
        return offer.rate_low, offer.rate_high, offer.risk_rate

    # 0.03 + 0.02 + 0.02 x 0.5 = 0.06: exactly the grade's floor
    assert band(0.02) == (D("0.060000"), D("0.100000"), D("0.060000"))
    # 0.05 + 0.06 x 0.5 = 0.08: the firm's cost of risk is the floor
    assert band(0.06) == (D("0.080000"), D("0.100000"), D("0.080000"))
    # cheaper than the grade's floor: the grade's floor stands
    assert band(0.001)[0] == D("0.060000")
    # dearer than the grade's ceiling: the band closes at the ceiling
    assert band(0.2) == (D("0.100000"), D("0.100000"), D("0.150000"))


def test_uncovered_grade_and_negative_amount_are_refused() -> None:
    with pytest.raises(CreditPolicyError) as error:
        DEFAULT_CREDIT_POLICY.suggest(grade="Z", pd=0.1, amount=D("1"), annual_revenue=None)
    assert error.value.code == "GRADE_NOT_COVERED" and "'Z'" in error.value.message
    with pytest.raises(CreditPolicyError) as error:
        DEFAULT_CREDIT_POLICY.suggest(grade="A", pd=0.1, amount=D("-1"), annual_revenue=None)
    assert error.value.code == "INVALID_AMOUNT"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rate_ceiling": D("0.37")}, "rate ceiling must be above 0 and at most 0.36"),
        ({"rate_ceiling": D("0")}, "rate ceiling must be above 0"),
        ({"revenue_cap_share": D("1.2")}, "revenue cap share must lie in [0, 1]"),
        ({"revenue_cap_share": D("-0.1")}, "revenue cap share must lie in [0, 1]"),
        (
            {"pricing": RiskPricing(D("1.5"), D("0.02"), D("0.01"))},
            "pricing: LGD must lie in [0, 1]",
        ),
        (
            {"pricing": RiskPricing(D("0.4"), D("0.2"), D("0.01"))},
            "pricing: funding rate must lie in [0, 0.15]",
        ),
        ({"revenue_cap_share": D("NaN")}, "the revenue cap share must be a finite number"),
    ],
)
def test_policy_level_problems_are_named(change: dict[str, object], expected: str) -> None:
    policy = dataclasses.replace(DEFAULT_CREDIT_POLICY, **change)  # type: ignore[arg-type]
    with pytest.raises(CreditPolicyError) as error:
        policy.validate(GRADES)
    assert error.value.code == "INVALID_CREDIT_POLICY"
    assert any(expected in p for p in error.value.problems), error.value.problems


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (GradeTerms(D("1.01"), D("0.05"), D("0.06")), "grade C: limit factor must lie in [0, 1]"),
        (GradeTerms(D("-0.1"), D("0.05"), D("0.06")), "grade C: limit factor must lie in [0, 1]"),
        (GradeTerms(D("0.5"), D("-0.01"), D("0.06")), "grade C: rate_min must lie in [0, 0.15]"),
        (GradeTerms(D("0.5"), D("0.05"), D("0.16")), "grade C: rate_max must lie in [0, 0.15]"),
        (GradeTerms(D("0.5"), D("0.08"), D("0.06")), "grade C: rate_min 0.08 is above rate_max"),
    ],
)
def test_grade_problems_are_named(terms: GradeTerms, expected: str) -> None:
    policy = _with_grade(DEFAULT_CREDIT_POLICY, "C", terms)
    found = policy.problems(GRADES)
    assert len(found) == 1 and expected in found[0], found


def test_every_grade_must_be_covered_and_no_other() -> None:
    grades = {g: t for g, t in DEFAULT_CREDIT_POLICY.grades.items() if g not in ("F", "G")}
    grades["H"] = GradeTerms(D("0"), D("0.1"), D("0.1"))
    policy = dataclasses.replace(DEFAULT_CREDIT_POLICY, grades=grades)
    with pytest.raises(CreditPolicyError) as error:
        policy.validate(GRADES)
    problems = error.value.problems
    assert len(problems) == 2
    assert "grade(s) F, G of the master scale have no terms" in problems[0]
    assert "grade(s) H are not on the master scale" in problems[1]
    assert "F, G" in error.value.message and "H" in error.value.message
    # H is accepted when it belongs to a scale that is registered but not yet in use
    assert policy.problems(["A", "B", "C", "D", "E"], ["H"]) == []


def test_a_higher_ceiling_up_to_the_legal_bound_admits_higher_rates() -> None:
    steep = _with_grade(DEFAULT_CREDIT_POLICY, "G", GradeTerms(D("0"), D("0.2"), D("0.36")))
    assert steep.problems(GRADES)  # above the default 15% ceiling
    raised = dataclasses.replace(steep, rate_ceiling=LEGAL_RATE_CEILING)
    assert raised.problems(GRADES) == []


def test_json_round_trip_keeps_order_and_values() -> None:
    data = DEFAULT_CREDIT_POLICY.to_json()
    assert [g["grade"] for g in data["grades"]] == list(GRADES)
    assert CreditPolicy.from_json(data) == DEFAULT_CREDIT_POLICY
    assert CreditPolicy.from_json(NO_PRICING.to_json()) == NO_PRICING
    with pytest.raises(CreditPolicyError, match="revenue_cap_share"):
        CreditPolicy.from_json({k: v for k, v in data.items() if k != "revenue_cap_share"})
    with pytest.raises(CreditPolicyError, match="must be a number"):
        CreditPolicy.from_json({**data, "rate_ceiling": "lots"})
    twice = {**data, "grades": [data["grades"][0], data["grades"][0]]}
    with pytest.raises(CreditPolicyError, match="appears twice"):
        CreditPolicy.from_json(twice)


_money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(
    grade=st.sampled_from(GRADES),
    pd=st.floats(min_value=0, max_value=1),
    amount=_money,
    revenue=st.none() | _money,
)
def test_any_suggestion_stays_inside_the_policy(
    grade: str, pd: float, amount: Decimal, revenue: Decimal | None
) -> None:
    offer = DEFAULT_CREDIT_POLICY.suggest(grade=grade, pd=pd, amount=amount, annual_revenue=revenue)
    terms = DEFAULT_CREDIT_POLICY.grades[grade]
    assert D(0) <= offer.limit <= amount * terms.limit_factor
    if revenue is not None:
        assert offer.limit <= revenue * DEFAULT_CREDIT_POLICY.revenue_cap_share
    assert terms.rate_min <= offer.rate_low <= offer.rate_high == terms.rate_max
    assert offer.rate_high <= DEFAULT_CREDIT_POLICY.rate_ceiling


@given(
    grade=st.sampled_from(GRADES),
    pds=st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted),
)
def test_a_riskier_firm_never_gets_a_lower_floor(grade: str, pds: list[float]) -> None:
    low, high = (
        DEFAULT_CREDIT_POLICY.suggest(grade=grade, pd=pd, amount=D(1), annual_revenue=None)
        for pd in pds
    )
    assert low.rate_low <= high.rate_low
    assert low.risk_rate is not None and high.risk_rate is not None
    assert low.risk_rate <= high.risk_rate
