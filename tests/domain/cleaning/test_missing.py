"""Missing is not bad: the per-field policy (quarantine keys, impute, keep the rest)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.cleaning import (
    IMPUTE,
    IMPUTED,
    KEEP,
    KINDS,
    MISSING_POLICIES,
    MISSING_VALUE,
    QUARANTINE,
    FieldSpec,
    fields_of,
    missing_policies,
    missing_policy,
    normalise_record,
)
from smecredit.services.ingestion.clean import clean_record

NULLS = st.sampled_from(["", "  ", "NULL", "-", "N/A", None])

_FIRM = {
    "uscc": "91330106MA2B0UQ45T",
    "name": "杭州示例科技有限公司",
    "industry_code": "I65",
    "region_code": "330106",
    "established_on": "2019-04-01",
    "registered_capital": "1000000.00",
    "employees": 12,
    "status": "active",
    "branch_code": "HZ01",
    "source": "test",
    "fetched_at": "2024-01-01T00:00:00+00:00",
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_has_a_policy_and_keys_quarantine(kind: str) -> None:
    policies = missing_policies(kind)
    assert set(policies.values()) <= set(MISSING_POLICIES)
    for key in ("uscc", "firm_uscc", "source", "fetched_at", "loan_ref", "case_no"):
        if key in policies and fields_of(kind)[key].required:
            assert policies[key] == QUARANTINE, (kind, key)


def test_firm_defaults() -> None:
    policies = missing_policies("firm")
    assert policies["registered_capital"] == KEEP
    assert policies["established_on"] == KEEP
    assert policies["uscc"] == QUARANTINE
    assert missing_policies("repayment_history")["amount_paid"] == IMPUTE


@given(NULLS)
def test_empty_registered_capital_is_kept_missing(empty: object) -> None:
    for clean in (normalise_record, clean_record):
        result = clean("firm", {**_FIRM, "registered_capital": empty})
        assert result.ok
        assert result.record["registered_capital"] is None
        assert not [i for i in result.issues if i.field == "registered_capital"]


def test_absent_key_is_quarantined() -> None:
    record = {k: v for k, v in _FIRM.items() if k != "uscc"}
    result = normalise_record("firm", record)
    assert [i.code for i in result.issues if i.field == "uscc"] == [MISSING_VALUE]
    assert not result.ok


@given(NULLS)
def test_imputed_value_names_its_method(empty: object) -> None:
    raw = {"amount_paid": empty, "paid_date": "-"}
    for clean in (normalise_record, clean_record):
        result = clean("repayment_history", raw)
        assert result.record["amount_paid"] == "0.00"
        (issue,) = [i for i in result.issues if i.field == "amount_paid"]
        assert issue.code == IMPUTED and issue.severity == "info"
        assert "zero" in issue.message


def test_absent_imputed_field_is_filled_in() -> None:
    result = clean_record("repayment_history", {"paid_date": "-"})
    assert result.record["amount_paid"] == "0.00"
    assert normalise_record("repayment_history", {"paid_date": "-"}).record == result.record


def test_policy_derivation_and_checks() -> None:
    assert missing_policy(FieldSpec("text")) == QUARANTINE
    assert missing_policy(FieldSpec("text", required=False)) == KEEP
    assert missing_policy(FieldSpec("date", nullable=True)) == KEEP
    with pytest.raises(ValueError, match="missing must be"):
        FieldSpec("text", missing="guess")
    with pytest.raises(ValueError, match="impute names"):
        FieldSpec("amount", missing="impute")
    with pytest.raises(ValueError, match="does not apply"):
        FieldSpec("date", missing="impute", impute="zero")
