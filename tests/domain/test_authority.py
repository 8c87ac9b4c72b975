from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.authority import (
    DEFAULT_MATRIX,
    RISK_GRADES,
    ApprovalRecord,
    AuthorityRule,
    GradeMissing,
    approvals_missing,
    is_approval_complete,
    required_approvals,
    roles_text,
    still_needed,
)
from smecredit.domain.errors import DomainError, LimitExceeded

APPROVER = frozenset({"approver"})
COMMITTEE = frozenset({"approver", "credit_committee"})


@pytest.mark.parametrize(
    ("amount", "grade", "rule", "needed", "senior"),
    [
        ("500000.00", "A", "single", 1, 0),
        ("500000.00", "c", "single", 1, 0),
        ("500000.01", "A", "dual", 2, 0),
        ("100.00", "D", "dual", 2, 0),
        ("3000000.00", "E", "dual", 2, 0),
        ("3000000.01", "A", "committee", 2, 1),
        ("100.00", "F", "committee", 2, 1),
        ("100.00", "G", "committee", 2, 1),
        ("50000000.00", "B", "committee", 2, 1),
    ],
)
def test_default_matrix(amount, grade, rule, needed, senior):
    requirement = required_approvals(Decimal(amount), grade, DEFAULT_MATRIX)
    assert (requirement.rule, requirement.approvers_required, requirement.senior_required) == (
        rule,
        needed,
        senior,
    )


def test_amount_above_every_authority():
    with pytest.raises(LimitExceeded) as info:
        required_approvals(Decimal("50000000.01"), "A")
    assert info.value.code == "LIMIT_EXCEEDED"
    assert "50000000.01" in str(info.value)


@pytest.mark.parametrize("grade", [None, "", "  "])
def test_a_missing_grade_is_a_refusal_to_route_never_g(grade):
    with pytest.raises(GradeMissing) as info:
        required_approvals(Decimal("100.00"), grade)
    assert info.value.code == "GRADE_MISSING"
    assert "no risk grade" in str(info.value)


def test_still_needed_says_in_words_what_is_missing():
    committee = required_approvals(Decimal("100.00"), "G")
    assert still_needed(committee, [], "maker") == [
        "2 more approvals by an approver or credit committee member (authority rule committee)",
        "of them, 1 by a credit committee member",
    ]
    one = [ApprovalRecord("a1", APPROVER)]
    assert still_needed(committee, one, "maker") == [
        "1 more approval by an approver or credit committee member (authority rule committee)",
        "of them, 1 by a credit committee member",
    ]
    done = [*one, ApprovalRecord("c1", COMMITTEE)]
    assert still_needed(committee, done, "maker") == []
    # the maker's own approval never counts
    single = required_approvals(Decimal("100.00"), "A")
    assert still_needed(single, [ApprovalRecord("maker", APPROVER)], "maker") == [
        "1 more approval by an approver or credit committee member (authority rule single)"
    ]


def test_roles_read_as_words():
    assert roles_text(["credit_committee", "approver"]) == "approver or credit committee"
    assert roles_text(["a", "b", "c"]) == "a, b or c"
    assert roles_text([]) == "nobody"


def test_unknown_grade():
    with pytest.raises(DomainError) as info:
        required_approvals(Decimal("1.00"), "Z")
    assert info.value.code == "INVALID_RISK_GRADE"


@given(st.integers(1, 5_000_000_000).map(lambda n: Decimal(n) / 100), st.sampled_from(RISK_GRADES))
def test_requirements_grow_with_amount_and_grade(amount, grade):
    requirement = required_approvals(amount, grade)
    worse_grade = RISK_GRADES[min(RISK_GRADES.index(grade) + 1, len(RISK_GRADES) - 1)]
    bigger = min(amount * 2, Decimal("50000000.00"))
    for other in (required_approvals(amount, worse_grade), required_approvals(bigger, grade)):
        assert other.approvers_required >= requirement.approvers_required
        assert other.senior_required >= requirement.senior_required


people = st.sampled_from(["maker", "a1", "a2", "a3", "c1", "c2", "clerk"])
ROLES = {
    "maker": APPROVER,
    "a1": APPROVER,
    "a2": APPROVER,
    "a3": APPROVER,
    "c1": COMMITTEE,
    "c2": frozenset({"credit_committee"}),
    "clerk": frozenset({"loan_officer"}),
}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(people, max_size=8),
    st.sampled_from([("100.00", "A"), ("100.00", "D"), ("100.00", "G")]),
)
def test_completion_needs_distinct_allowed_non_maker_approvers(approvers, case):
    requirement = required_approvals(Decimal(case[0]), case[1])
    records = [ApprovalRecord(p, ROLES[p]) for p in approvers]
    counted = {p for p in approvers if p != "maker" and ROLES[p] & requirement.allowed_roles}
    senior = {p for p in counted if ROLES[p] & requirement.senior_roles}
    expected = (
        len(counted) >= requirement.approvers_required
        and len(senior) >= requirement.senior_required
    )
    assert is_approval_complete(requirement, records, "maker") == expected
    missing_total, missing_senior = approvals_missing(requirement, records, "maker")
    assert missing_total >= missing_senior >= 0
    assert (missing_total == 0) == expected


@given(st.integers(1, 10))
def test_the_same_approver_repeated_never_completes_a_dual_requirement(times):
    requirement = required_approvals(Decimal("100.00"), "D")
    records = [ApprovalRecord("a1", APPROVER)] * times
    assert not is_approval_complete(requirement, records, "maker")
    assert approvals_missing(requirement, records, "maker") == (1, 0)


def test_the_maker_never_counts():
    requirement = required_approvals(Decimal("100.00"), "A")
    assert not is_approval_complete(requirement, [ApprovalRecord("m", APPROVER)], "m")
    assert is_approval_complete(requirement, [ApprovalRecord("m", APPROVER)], "x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"approvers_required": 0},
        {"approvers_required": 1, "senior_required": 2, "senior_roles": APPROVER},
        {"approvers_required": 1, "senior_roles": frozenset({"credit_committee"})},
        {"approvers_required": 1, "grades": frozenset({"H"})},
    ],
)
def test_rule_validation(kwargs):
    base = {
        "name": "r",
        "max_amount": None,
        "grades": frozenset(RISK_GRADES),
        "allowed_roles": APPROVER,
    }
    with pytest.raises(DomainError):
        AuthorityRule(**{**base, **kwargs})


def test_custom_matrix_as_data():
    matrix = (AuthorityRule("any", None, frozenset(RISK_GRADES), 3, frozenset({"approver"})),)
    requirement = required_approvals(Decimal("10.00"), "A", matrix)
    assert requirement.approvers_required == 3
