"""Approval authority matrix: how many distinct approvers a credit decision needs.

The matrix is data: an ordered tuple of :class:`AuthorityRule`; the first rule whose amount
ceiling covers the amount *and* whose grade set contains the risk grade applies. Put the
most lenient rules first.

Default matrix (:data:`DEFAULT_MATRIX`, grades A best .. G worst):

================  ==================  =================  ====================================
rule              amount (CNY)        risk grade         requirement
================  ==================  =================  ====================================
``single``        <= 500,000          A-C                1 approver (approver or committee)
``dual``          <= 3,000,000        A-E                2 distinct approvers
``committee``     <= 50,000,000       any (A-G)          2 distinct approvers, at least 1 of
                                                         them with role ``credit_committee``
================  ==================  =================  ====================================

An amount above the last ceiling (50M) has no authority at all: :func:`required_approvals`
raises :class:`~smecredit.domain.errors.LimitExceeded`.

A missing risk grade (not yet scored) is treated as the worst grade, ``G``: an unscored
application goes to the committee rather than slipping through the lenient band.

An approval counts only if the approver is not the maker (maker-checker) and holds one of
the rule's allowed roles; the same approver counts once however often they approve.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from smecredit.domain.errors import DomainError, LimitExceeded

__all__ = [
    "DEFAULT_MATRIX",
    "RISK_GRADES",
    "UNGRADED_AS",
    "ApprovalRecord",
    "ApprovalRequirement",
    "AuthorityRule",
    "approvals_missing",
    "counted_approvers",
    "is_approval_complete",
    "normalize_grade",
    "required_approvals",
]

#: Risk grades from best to worst.
RISK_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F", "G")
#: The grade assumed when an application has not been graded yet (the prudent worst).
UNGRADED_AS = "G"


@dataclass(frozen=True, slots=True)
class AuthorityRule:
    """One row of the authority matrix.

    Attributes:
        name: stable identifier shown in the audit trail.
        max_amount: inclusive amount ceiling; ``None`` means unbounded.
        grades: risk grades the rule applies to.
        approvers_required: distinct approvers needed (none of them the maker).
        allowed_roles: roles whose approval counts.
        senior_required: how many of those approvers must hold a senior role.
        senior_roles: roles that count as senior (committee level).
    """

    name: str
    max_amount: Decimal | None
    grades: frozenset[str]
    approvers_required: int
    allowed_roles: frozenset[str]
    senior_required: int = 0
    senior_roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.approvers_required < 1:
            raise DomainError(f"rule {self.name!r} must require at least one approver")
        if self.senior_required > self.approvers_required:
            raise DomainError(
                f"rule {self.name!r} requires {self.senior_required} senior approvers "
                f"but only {self.approvers_required} approvers in total"
            )
        if not self.senior_roles <= self.allowed_roles:
            raise DomainError(f"rule {self.name!r}: senior roles must also be allowed roles")
        unknown = self.grades - set(RISK_GRADES)
        if unknown:
            raise DomainError(f"rule {self.name!r} names unknown grades {sorted(unknown)}")

    def covers(self, amount: Decimal, grade: str) -> bool:
        """Whether this rule applies to ``amount`` and ``grade``."""
        within = self.max_amount is None or amount <= self.max_amount
        return within and grade in self.grades


@dataclass(frozen=True, slots=True)
class ApprovalRequirement:
    """What a particular application needs to be approved.

    Attributes:
        rule: name of the matrix rule that applied.
        approvers_required: distinct approvers needed.
        allowed_roles: roles whose approval counts.
        senior_required: approvers who must hold a senior role.
        senior_roles: roles that count as senior.
    """

    rule: str
    approvers_required: int
    allowed_roles: frozenset[str]
    senior_required: int = 0
    senior_roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """One recorded approval.

    Attributes:
        approver_id: who approved.
        roles: the approver's roles at the time of approving.
    """

    approver_id: str
    roles: frozenset[str]


_APPROVER_ROLES = frozenset({"approver", "credit_committee"})
_COMMITTEE = frozenset({"credit_committee"})

#: The documented default matrix (see the module docstring).
DEFAULT_MATRIX: tuple[AuthorityRule, ...] = (
    AuthorityRule(
        name="single",
        max_amount=Decimal("500000.00"),
        grades=frozenset("ABC"),
        approvers_required=1,
        allowed_roles=_APPROVER_ROLES,
    ),
    AuthorityRule(
        name="dual",
        max_amount=Decimal("3000000.00"),
        grades=frozenset("ABCDE"),
        approvers_required=2,
        allowed_roles=_APPROVER_ROLES,
    ),
    AuthorityRule(
        name="committee",
        max_amount=Decimal("50000000.00"),
        grades=frozenset(RISK_GRADES),
        approvers_required=2,
        allowed_roles=_APPROVER_ROLES,
        senior_required=1,
        senior_roles=_COMMITTEE,
    ),
)


def normalize_grade(grade: str | None) -> str:
    """Return the upper-case grade, or :data:`UNGRADED_AS` when there is none.

    Raises:
        DomainError: code ``INVALID_RISK_GRADE`` for a grade outside A-G.
    """
    if grade is None or not grade.strip():
        return UNGRADED_AS
    value = grade.strip().upper()
    if value not in RISK_GRADES:
        raise DomainError(
            f"risk grade {grade!r} is not one of {', '.join(RISK_GRADES)}",
            code="INVALID_RISK_GRADE",
        )
    return value


def required_approvals(
    amount: Decimal,
    grade: str | None,
    matrix: Iterable[AuthorityRule] = DEFAULT_MATRIX,
) -> ApprovalRequirement:
    """Find the approval requirement for an application.

    Args:
        amount: the requested amount.
        grade: risk grade A-G, or ``None`` when not graded (treated as ``G``).
        matrix: ordered rules; the first that covers amount and grade applies.

    Returns:
        The requirement of the first matching rule.

    Raises:
        LimitExceeded: when no rule covers the amount (above every authority ceiling).
        DomainError: code ``INVALID_RISK_GRADE`` for an unknown grade.
    """
    normalized = normalize_grade(grade)
    rules = tuple(matrix)
    for rule in rules:
        if rule.covers(amount, normalized):
            return ApprovalRequirement(
                rule=rule.name,
                approvers_required=rule.approvers_required,
                allowed_roles=rule.allowed_roles,
                senior_required=rule.senior_required,
                senior_roles=rule.senior_roles,
            )
    ceilings = [r.max_amount for r in rules if normalized in r.grades and r.max_amount is not None]
    ceiling = f" (highest authority for grade {normalized}: {max(ceilings)})" if ceilings else ""
    raise LimitExceeded(f"amount {amount} exceeds every approval authority{ceiling}")


def counted_approvers(
    requirement: ApprovalRequirement,
    approvals: Iterable[ApprovalRecord],
    maker_id: str | None,
) -> tuple[frozenset[str], frozenset[str]]:
    """Return the approver ids that count, and those among them that count as senior.

    An approval by the maker, or by someone without an allowed role, does not count; an
    approver appearing twice counts once.
    """
    counted: set[str] = set()
    senior: set[str] = set()
    for record in approvals:
        if record.approver_id == maker_id or not record.roles & requirement.allowed_roles:
            continue
        counted.add(record.approver_id)
        if record.roles & requirement.senior_roles:
            senior.add(record.approver_id)
    return frozenset(counted), frozenset(senior)


def approvals_missing(
    requirement: ApprovalRequirement,
    approvals: Iterable[ApprovalRecord],
    maker_id: str | None,
) -> tuple[int, int]:
    """Return ``(approvers still needed, senior approvers still needed)``.

    Both numbers are zero exactly when the approval is complete. Extra approvals never
    make a number negative.
    """
    counted, senior = counted_approvers(requirement, approvals, maker_id)
    senior_missing = max(0, requirement.senior_required - len(senior))
    # A senior approval also counts towards the total, so the total still needed is at least
    # the seniors still needed.
    total_missing = max(0, requirement.approvers_required - len(counted), senior_missing)
    return total_missing, senior_missing


def is_approval_complete(
    requirement: ApprovalRequirement,
    approvals: Iterable[ApprovalRecord],
    maker_id: str | None,
) -> bool:
    """Whether distinct, non-maker, allowed approvers meet the requirement."""
    return approvals_missing(requirement, approvals, maker_id) == (0, 0)
