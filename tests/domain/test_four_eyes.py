"""The four-eyes table: each rule refuses the same person and lets another through."""

from __future__ import annotations

from pathlib import Path

import pytest

from smecredit.domain.four_eyes import (
    DEFAULT_RULES,
    SECOND_APPROVAL_STEPS,
    FourEyesViolation,
    enforce,
    markdown_table,
    rules_for,
    second_approval_step,
    violations,
)
from smecredit.domain.loan_states import FOUR_EYES_STEPS
from smecredit.security.operations import LIFECYCLE_OPERATIONS, OPERATIONS

DOCS = Path(__file__).parents[2] / "docs" / "four-eyes.md"


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.name)
def test_each_rule_refuses_the_same_person_and_allows_another(rule):
    parties = {rule.party: "alice"}
    with pytest.raises(FourEyesViolation) as refused:
        enforce(rule.step, "alice", parties)
    assert refused.value.code == "FOUR_EYES"
    # the message names the rule and says it in words
    assert rule.name in str(refused.value) and rule.text in str(refused.value)
    assert "alice" in str(refused.value) and "<" not in str(refused.value)
    enforce(rule.step, "bob", parties)  # someone else: allowed
    assert violations(rule.step, "bob", parties) == []


def test_a_party_not_known_yet_breaks_nothing():
    enforce("loan.confirm_disbursement", "alice", {"maker": "bob", "disburser": None})
    enforce("loan.confirm_disbursement", "alice", {})


def test_confirming_checks_both_the_maker_and_the_disburser():
    names = [r.name for r in rules_for("loan.confirm_disbursement")]
    assert names == ["maker-confirms", "disburser-confirms"]
    both = violations(
        "loan.confirm_disbursement", "alice", {"maker": "alice", "disburser": "alice"}
    )
    assert [r.name for r in both] == names


def test_every_step_is_an_operation_of_the_authorisation_table():
    for rule in DEFAULT_RULES:
        operation = rule.step.removesuffix(".second_approval")
        assert operation in OPERATIONS, rule.step
    for operation in SECOND_APPROVAL_STEPS:
        assert rules_for(second_approval_step(operation)), operation
    # the state machine's steps are the lifecycle operations' names
    for action, step in FOUR_EYES_STEPS.items():
        assert LIFECYCLE_OPERATIONS[action] == step


def test_the_docs_show_the_table():
    assert markdown_table() in DOCS.read_text(encoding="utf-8")
