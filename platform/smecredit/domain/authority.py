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

A missing risk grade (not scored, and no analyst graded it) is a refusal to route:
:func:`required_approvals` raises :class:`GradeMissing` (code ``GRADE_MISSING``). It is
never taken for some grade: who must approve depends on the grade, so an ungraded
application waits for its grade rather than for a guessed set of approvers.

:func:`still_needed` says in words which approvals an application still lacks ("1 more
approval by an approver or credit committee member").

An approval counts only if the approver is not the maker (maker-checker) and holds one of
the rule's allowed roles; the same approver counts once however often they approve.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from smecredit.domain.errors import DomainError, LimitExceeded, PreconditionFailed

__all__ = [
    "DEFAULT_MATRIX",
    "RISK_GRADES",
    "ApprovalRecord",
    "ApprovalRequirement",
    "AuthorityRule",
    "GradeMissing",
    "approvals_missing",
    "counted_approvers",
    "highest_authority",
    "is_approval_complete",
    "normalize_grade",
    "required_approvals",
    "roles_text",
    "still_needed",
]

#: Risk grades from best to worst.
RISK_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F", "G")


class GradeMissing(PreconditionFailed):
    """The application has no risk grade, so the authority matrix cannot route it."""

    code = "GRADE_MISSING"


def roles_text(roles: Iterable[str]) -> str:
    """Role names as a person reads them: ``approver or credit committee``."""
    names = sorted(str(r).replace("_", " ") for r in roles)
    if not names:
        return "nobody"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} or {names[-1]}"


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
    """Return the upper-case grade.

    Raises:
        GradeMissing: no grade (None or blank).
        DomainError: code ``INVALID_RISK_GRADE`` for a grade outside A-G.
    """
    if grade is None or not grade.strip():
        raise GradeMissing(
            "the application has no risk grade yet, so it cannot be routed for approval: "
            "it is graded by the champion model on submission, or by a risk analyst "
            "(overrideApplicationGrade) when no model could score it"
        )
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
        grade: risk grade A-G (``None`` or blank: not graded, refused).
        matrix: ordered rules; the first that covers amount and grade applies.

    Returns:
        The requirement of the first matching rule.

    Raises:
        LimitExceeded: when no rule covers the amount (above every authority ceiling).
        GradeMissing: no grade (code ``GRADE_MISSING``).
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


def highest_authority(matrix: Iterable[AuthorityRule] = DEFAULT_MATRIX) -> Decimal | None:
    """The largest amount any rule covers (None: some rule is unbounded)."""
    ceilings = [r.max_amount for r in matrix]
    if not ceilings or any(c is None for c in ceilings):
        return None
    return max(c for c in ceilings if c is not None)


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


def still_needed(
    requirement: ApprovalRequirement,
    approvals: Iterable[ApprovalRecord],
    maker_id: str | None,
) -> list[str]:
    """What approvals are still missing, one sentence each (empty when complete).

    Example: ``["1 more approval by an approver or credit committee member (rule dual)",
    "of them, 1 by a credit committee member"]``.
    """
    total, senior = approvals_missing(requirement, approvals, maker_id)
    out: list[str] = []
    if total:
        noun = "approval" if total == 1 else "approvals"
        out.append(
            f"{total} more {noun} by {_members(requirement.allowed_roles)} "
            f"(authority rule {requirement.rule})"
        )
    if senior:
        out.append(f"of them, {senior} by {_members(requirement.senior_roles)}")
    return out


def _members(roles: frozenset[str]) -> str:
    text = roles_text(roles)
    return f"an {text} member" if text[:1] in "aeiou" else f"a {text} member"
