from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.classification import (
    DEFAULT_OBSERVATION_DAYS,
    NON_PERFORMING,
    DebtorClaim,
    DpdBand,
    Evidence,
    LoanClass,
    Override,
    apply_debtor_contagion,
    apply_upgrade_rule,
    class_for_dpd,
    classify,
    ifrs9_stage,
)
from smecredit.domain.errors import DomainError, Forbidden, ReasonRequired

classes = st.sampled_from(list(LoanClass))
dpds = st.integers(0, 2000)


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, LoanClass.NORMAL),
        (1, LoanClass.SPECIAL_MENTION),
        (90, LoanClass.SPECIAL_MENTION),
        (91, LoanClass.SUBSTANDARD),
        (270, LoanClass.SUBSTANDARD),
        (271, LoanClass.DOUBTFUL),
        (360, LoanClass.DOUBTFUL),
        (361, LoanClass.LOSS),
    ],
)
def test_default_band_boundaries(dpd, expected):
    assert class_for_dpd(dpd) is expected
    assert classify(dpd).loan_class is expected


def test_labels_and_ranks():
    assert [c.label_zh for c in LoanClass] == ["正常", "关注", "次级", "可疑", "损失"]
    assert [c.rank for c in LoanClass] == [0, 1, 2, 3, 4]
    assert {c for c in LoanClass if c.is_non_performing} == NON_PERFORMING


@given(dpds, dpds)
def test_classification_is_monotone_in_dpd(a, b):
    low, high = sorted((a, b))
    assert classify(low).loan_class.rank <= classify(high).loan_class.rank


@given(st.lists(st.integers(1, 900), min_size=4, max_size=4, unique=True), dpds)
def test_custom_bands_are_monotone_too(starts, dpd):
    bands = [DpdBand(0, LoanClass.NORMAL)] + [
        DpdBand(s, c) for s, c in zip(sorted(starts), list(LoanClass)[1:], strict=True)
    ]
    assert class_for_dpd(dpd, bands).rank <= class_for_dpd(dpd + 1, bands).rank


def test_invalid_bands_and_dpd():
    with pytest.raises(DomainError) as info:
        class_for_dpd(5, [DpdBand(1, LoanClass.NORMAL)])
    assert info.value.code == "INVALID_BANDS"
    with pytest.raises(DomainError):
        class_for_dpd(5, [DpdBand(0, LoanClass.LOSS), DpdBand(3, LoanClass.NORMAL)])
    with pytest.raises(DomainError) as info:
        class_for_dpd(-1)
    assert info.value.code == "INVALID_DPD"


@given(dpds, st.lists(classes, max_size=3))
def test_evidence_only_worsens(dpd, floors):
    evidence = [Evidence(f, "test evidence") for f in floors]
    result = classify(dpd, evidence=evidence)
    assert result.loan_class.rank == max([class_for_dpd(dpd).rank, *(f.rank for f in floors)])
    assert result.dpd_class is class_for_dpd(dpd)


@given(dpds, classes)
def test_authorised_override_is_final(dpd, decided):
    override = Override(decided, "u7", frozenset({"risk_analyst"}), "collateral seized")
    result = classify(dpd, override=override)
    assert result.loan_class is decided
    assert result.overridden
    assert result.reason == "collateral seized"
    assert result.overridden_by == "u7"


@pytest.mark.parametrize("roles", [set(), {"viewer"}, {"loan_officer", "admin"}])
def test_override_needs_an_authorised_role(roles):
    with pytest.raises(Forbidden) as info:
        classify(0, override=Override(LoanClass.LOSS, "u1", frozenset(roles), "why"))
    assert info.value.code == "FORBIDDEN"


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_needs_a_reason(reason):
    with pytest.raises(ReasonRequired) as info:
        classify(
            0, override=Override(LoanClass.LOSS, "u1", frozenset({"credit_committee"}), reason)
        )
    assert info.value.code == "REASON_REQUIRED"


@given(classes, classes, st.integers(0, 400), st.integers(1, 365))
def test_upgrade_rule(previous, proposed, days_current, observation):
    result = apply_upgrade_rule(previous, proposed, days_current, observation_days=observation)
    if proposed.rank >= previous.rank:
        assert result is proposed  # worsening (or staying) is never delayed
    elif previous.is_non_performing and days_current < observation:
        assert result is previous  # not current long enough to leave non-performing
    else:
        assert result is proposed


def test_upgrade_through_classify_needs_the_observation_period():
    held = classify(0, previous=LoanClass.SUBSTANDARD, days_current=DEFAULT_OBSERVATION_DAYS - 1)
    assert held.loan_class is LoanClass.SUBSTANDARD
    assert held.upgrade_held
    freed = classify(0, previous=LoanClass.SUBSTANDARD, days_current=DEFAULT_OBSERVATION_DAYS)
    assert freed.loan_class is LoanClass.NORMAL
    assert not freed.upgrade_held
    # A performing loan upgrades at once.
    assert classify(0, previous=LoanClass.SPECIAL_MENTION).loan_class is LoanClass.NORMAL


amounts = st.integers(0, 10_000_000).map(lambda n: Decimal(n) / 100)
claims = st.lists(
    st.builds(
        DebtorClaim,
        loan_id=st.uuids().map(str),
        outstanding=amounts,
        loan_class=classes,
        overridden=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(claims, st.integers(0, 100).map(lambda p: Decimal(p) / 100))
def test_debtor_contagion(debtor_claims, threshold):
    result = apply_debtor_contagion(debtor_claims, threshold=threshold)
    total = sum(c.outstanding for c in debtor_claims)
    bad = sum(c.outstanding for c in debtor_claims if c.loan_class.is_non_performing)
    expected_trigger = total > 0 and bad / total > threshold
    assert result.triggered == expected_trigger
    assert len(result.claims) == len(debtor_claims)
    for before, after in zip(debtor_claims, result.claims, strict=True):
        assert after.loan_id == before.loan_id
        assert after.loan_class.rank >= before.loan_class.rank  # never an upgrade
        if not expected_trigger or before.overridden:
            assert after == before
        else:
            assert after.loan_class.is_non_performing


def test_contagion_default_threshold_is_ten_percent_and_skips_retail():
    base = [
        DebtorClaim("a", Decimal("89.00"), LoanClass.NORMAL),
        DebtorClaim("b", Decimal("11.00"), LoanClass.DOUBTFUL),
    ]
    result = apply_debtor_contagion(base)
    assert result.triggered
    assert [c.loan_class for c in result.claims] == [LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL]
    assert result.npl_ratio == Decimal("0.11")
    assert not apply_debtor_contagion(base, retail=True).triggered
    exactly_ten = [
        DebtorClaim("a", Decimal("90.00"), LoanClass.NORMAL),
        DebtorClaim("b", Decimal("10.00"), LoanClass.LOSS),
    ]
    assert not apply_debtor_contagion(exactly_ten).triggered


@pytest.mark.parametrize(
    ("dpd", "loan_class", "sicr", "stage"),
    [
        (0, LoanClass.NORMAL, False, 1),
        (30, LoanClass.SPECIAL_MENTION, False, 2),
        (0, LoanClass.NORMAL, True, 2),
        (31, LoanClass.NORMAL, False, 2),
        (90, LoanClass.SPECIAL_MENTION, False, 2),
        (91, LoanClass.SPECIAL_MENTION, False, 3),
        (0, LoanClass.SUBSTANDARD, False, 3),
    ],
)
def test_ifrs9_stage(dpd, loan_class, sicr, stage):
    assert ifrs9_stage(dpd, loan_class, sicr) == stage


@given(dpds, dpds, st.booleans())
def test_ifrs9_stage_is_monotone_in_dpd_with_the_dpd_class(a, b, sicr):
    low, high = sorted((a, b))
    assert ifrs9_stage(low, class_for_dpd(low), sicr) <= ifrs9_stage(
        high, class_for_dpd(high), sicr
    )
