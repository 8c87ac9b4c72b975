"""The application/loan lifecycle as an explicit, guarded state machine.

Pure: :func:`apply` takes the current state, an action and a :class:`TransitionContext`
(who acts, the approvals recorded so far, amount, grade, reason, clock) and returns a
:class:`TransitionResult` or raises a typed error from :mod:`smecredit.domain.errors`.
Persisting the result (and the audit trail) is the service layer's job.

States and transitions (:data:`TRANSITIONS`)::

    draft|returned      --submit-------------->  submitted
    submitted|appealed  --start_review-------->  under_review
    under_review        --return_for_changes-->  returned
    under_review        --approve*------------>  approved (or stays under_review)
    under_review        --reject-------------->  rejected
    rejected            --appeal-------------->  appealed
    draft|submitted|returned --withdraw------->  withdrawn
    approved            --cancel-------------->  cancelled
    approved            --undo_approval------->  under_review
    approved            --disburse------------>  disbursed
    disbursed           --confirm_disbursement->  active
    disbursed|active    --undo_disbursement--->  approved (active: only without repayments)
    active              --close--------------->  closed (outstanding must be 0)
    active              --write_off----------->  written_off
    written_off         --undo_write_off------>  active

``approve*``: each approval is recorded; the state becomes ``approved`` only when the
authority matrix's requirement is met (see :mod:`smecredit.domain.authority`), otherwise it
stays ``under_review`` with the approval added.

Disbursement is two steps by design: ``disburse`` issues the payment order
(``approved -> disbursed``), ``confirm_disbursement`` books the loan once the funds are
confirmed on the borrower's account (``disbursed -> active``; the repayment schedule and
interest start here). A payment order that bounces is undone (``disbursed -> approved``);
an active loan can also be undone while no repayment has been recorded.

Terminal states: ``withdrawn``, ``cancelled``, ``closed`` (nothing leaves them);
``rejected`` leaves only by ``appeal`` (once, within the appeal window by default);
``written_off`` leaves only by the documented ``undo_write_off``.

Default permissions (:data:`DEFAULT_PERMISSIONS`; ``compliance_auditor`` and ``viewer`` are
read-only and may perform no action):

=======================  ==========================================================
action                   roles
=======================  ==========================================================
submit                   loan_officer, partner
withdraw                 loan_officer, partner (and only the maker)
start_review             risk_analyst, approver
return_for_changes       risk_analyst, approver (reason)
approve                  approver, credit_committee (never the maker, once each)
reject                   approver, credit_committee (reason)
appeal                   loan_officer, partner (reason: the grounds of appeal)
cancel                   loan_officer, approver, admin (reason)
undo_approval            approver, credit_committee, admin (reason)
disburse                 loan_officer, admin (never the maker)
confirm_disbursement     loan_officer, admin (neither the maker nor the disburser)
undo_disbursement        admin (reason)
close                    loan_officer, admin
write_off                credit_committee (reason)
undo_write_off           credit_committee, admin (reason)
=======================  ==========================================================

``credit_committee`` is a role held in addition to ``approver`` by committee members; the
authority matrix asks for it on large or high-risk loans. Approving needs a risk grade
(``GRADE_MISSING`` without one: it is never guessed).

Who may not act after whom is the four-eyes table (:mod:`smecredit.domain.four_eyes`,
``docs/four-eyes.md``): the maker never approves, disburses nor confirms, and the disburser
never confirms; a breach is ``FOUR_EYES``. The write-off's second approver is checked by
the service (a pending request approved by another person).

Check order (so a caller sees the most fundamental problem first): the action exists from
the state (``INVALID_TRANSITION``) -> role and maker-checker (``FORBIDDEN``, four eyes
``FOUR_EYES``) -> amount limits and the grade to route on (``LIMIT_EXCEEDED``,
``GRADE_MISSING``) -> business preconditions (``PRECONDITION_FAILED``) -> reason
(``REASON_REQUIRED``, last: it is raised only when the action would otherwise succeed).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from smecredit.domain.authority import (
    DEFAULT_MATRIX,
    ApprovalRecord,
    ApprovalRequirement,
    AuthorityRule,
    approvals_missing,
    highest_authority,
    required_approvals,
    roles_text,
)
from smecredit.domain.errors import (
    DomainError,
    Forbidden,
    InvalidTransition,
    LimitExceeded,
    PreconditionFailed,
    ReasonRequired,
)
from smecredit.domain.four_eyes import DEFAULT_RULES as FOUR_EYES_RULES
from smecredit.domain.four_eyes import FourEyesRule
from smecredit.domain.four_eyes import enforce as enforce_four_eyes

__all__ = [
    "DEFAULT_PERMISSIONS",
    "DEFAULT_POLICY",
    "FOUR_EYES_STEPS",
    "REASON_REQUIRED_ACTIONS",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "Action",
    "LifecyclePolicy",
    "LoanState",
    "Role",
    "Transition",
    "TransitionContext",
    "TransitionResult",
    "actions_from",
    "allowed_actions",
    "apply",
]


class LoanState(StrEnum):
    """Where an application or loan is in its life."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPEALED = "appealed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    DISBURSED = "disbursed"
    ACTIVE = "active"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


class Action(StrEnum):
    """A named transition."""

    SUBMIT = "submit"
    START_REVIEW = "start_review"
    RETURN_FOR_CHANGES = "return_for_changes"
    APPROVE = "approve"
    REJECT = "reject"
    APPEAL = "appeal"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"
    UNDO_APPROVAL = "undo_approval"
    DISBURSE = "disburse"
    CONFIRM_DISBURSEMENT = "confirm_disbursement"
    UNDO_DISBURSEMENT = "undo_disbursement"
    CLOSE = "close"
    WRITE_OFF = "write_off"
    UNDO_WRITE_OFF = "undo_write_off"


class Role(StrEnum):
    """Platform roles that matter to the lifecycle."""

    ADMIN = "admin"
    LOAN_OFFICER = "loan_officer"
    RISK_ANALYST = "risk_analyst"
    APPROVER = "approver"
    CREDIT_COMMITTEE = "credit_committee"
    COMPLIANCE_AUDITOR = "compliance_auditor"
    PARTNER = "partner"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the transition table.

    Attributes:
        action: the action's name.
        sources: states the action may start from.
        target: the state reached (for ``approve``: once the requirement is met).
    """

    action: Action
    sources: frozenset[LoanState]
    target: LoanState


def _t(action: Action, sources: Collection[LoanState], target: LoanState) -> Transition:
    return Transition(action, frozenset(sources), target)


S = LoanState
#: The transition table; anything not in it is an ``INVALID_TRANSITION``.
TRANSITIONS: Mapping[Action, Transition] = MappingProxyType(
    {
        t.action: t
        for t in (
            _t(Action.SUBMIT, {S.DRAFT, S.RETURNED}, S.SUBMITTED),
            _t(Action.START_REVIEW, {S.SUBMITTED, S.APPEALED}, S.UNDER_REVIEW),
            _t(Action.RETURN_FOR_CHANGES, {S.UNDER_REVIEW}, S.RETURNED),
            _t(Action.APPROVE, {S.UNDER_REVIEW}, S.APPROVED),
            _t(Action.REJECT, {S.UNDER_REVIEW}, S.REJECTED),
            _t(Action.APPEAL, {S.REJECTED}, S.APPEALED),
            _t(Action.WITHDRAW, {S.DRAFT, S.SUBMITTED, S.RETURNED}, S.WITHDRAWN),
            _t(Action.CANCEL, {S.APPROVED}, S.CANCELLED),
            _t(Action.UNDO_APPROVAL, {S.APPROVED}, S.UNDER_REVIEW),
            _t(Action.DISBURSE, {S.APPROVED}, S.DISBURSED),
            _t(Action.CONFIRM_DISBURSEMENT, {S.DISBURSED}, S.ACTIVE),
            _t(Action.UNDO_DISBURSEMENT, {S.DISBURSED, S.ACTIVE}, S.APPROVED),
            _t(Action.CLOSE, {S.ACTIVE}, S.CLOSED),
            _t(Action.WRITE_OFF, {S.ACTIVE}, S.WRITTEN_OFF),
            _t(Action.UNDO_WRITE_OFF, {S.WRITTEN_OFF}, S.ACTIVE),
        )
    }
)
del S

#: States nothing leaves.
TERMINAL_STATES: frozenset[LoanState] = frozenset(
    {LoanState.WITHDRAWN, LoanState.CANCELLED, LoanState.CLOSED}
)

_R = Role
#: Which roles may perform which action (see the module docstring's table).
DEFAULT_PERMISSIONS: Mapping[Action, frozenset[str]] = MappingProxyType(
    {
        Action.SUBMIT: frozenset({_R.LOAN_OFFICER, _R.PARTNER}),
        Action.WITHDRAW: frozenset({_R.LOAN_OFFICER, _R.PARTNER}),
        Action.START_REVIEW: frozenset({_R.RISK_ANALYST, _R.APPROVER}),
        Action.RETURN_FOR_CHANGES: frozenset({_R.RISK_ANALYST, _R.APPROVER}),
        Action.APPROVE: frozenset({_R.APPROVER, _R.CREDIT_COMMITTEE}),
        Action.REJECT: frozenset({_R.APPROVER, _R.CREDIT_COMMITTEE}),
        Action.APPEAL: frozenset({_R.LOAN_OFFICER, _R.PARTNER}),
        Action.CANCEL: frozenset({_R.LOAN_OFFICER, _R.APPROVER, _R.ADMIN}),
        Action.UNDO_APPROVAL: frozenset({_R.APPROVER, _R.CREDIT_COMMITTEE, _R.ADMIN}),
        Action.DISBURSE: frozenset({_R.LOAN_OFFICER, _R.ADMIN}),
        Action.CONFIRM_DISBURSEMENT: frozenset({_R.LOAN_OFFICER, _R.ADMIN}),
        Action.UNDO_DISBURSEMENT: frozenset({_R.ADMIN}),
        Action.CLOSE: frozenset({_R.LOAN_OFFICER, _R.ADMIN}),
        Action.WRITE_OFF: frozenset({_R.CREDIT_COMMITTEE}),
        Action.UNDO_WRITE_OFF: frozenset({_R.CREDIT_COMMITTEE, _R.ADMIN}),
    }
)
del _R

#: Actions that must carry a non-blank reason.
REASON_REQUIRED_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.RETURN_FOR_CHANGES,
        Action.REJECT,
        Action.APPEAL,
        Action.CANCEL,
        Action.UNDO_APPROVAL,
        Action.UNDO_DISBURSEMENT,
        Action.WRITE_OFF,
        Action.UNDO_WRITE_OFF,
    }
)

#: Lifecycle actions and the four-eyes step each takes (the operation names of
#: :data:`smecredit.security.operations.LIFECYCLE_OPERATIONS`; see
#: :mod:`smecredit.domain.four_eyes`).
FOUR_EYES_STEPS: Mapping[Action, str] = MappingProxyType(
    {
        Action.APPROVE: "application.approve",
        Action.DISBURSE: "loan.disburse",
        Action.CONFIRM_DISBURSEMENT: "loan.confirm_disbursement",
    }
)

# Transitions into these states start a new approval round: terms may have changed, so
# approvals given before no longer stand.
_RESETS_APPROVALS = frozenset({LoanState.SUBMITTED, LoanState.RETURNED, LoanState.APPEALED})


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """The configurable rules of the lifecycle.

    Attributes:
        permissions: action -> roles allowed to perform it.
        matrix: the approval authority matrix.
        max_appeals: how many appeals a rejected application may have.
        appeal_window: how long after the rejection an appeal may be filed.
        reason_required: actions that must carry a reason.
        maker_only: actions only the maker (submitter) may perform.
        maker_excluded: further actions the maker may never perform (beyond the four-eyes
            rules).
        four_eyes: the four-eyes rules (:mod:`smecredit.domain.four_eyes`): the maker
            neither approves, disburses nor confirms; disburser and confirmer differ.
    """

    permissions: Mapping[Action, frozenset[str]] = field(
        default_factory=lambda: DEFAULT_PERMISSIONS
    )
    matrix: tuple[AuthorityRule, ...] = DEFAULT_MATRIX
    max_appeals: int = 1
    appeal_window: timedelta = timedelta(days=30)
    reason_required: frozenset[Action] = REASON_REQUIRED_ACTIONS
    maker_only: frozenset[Action] = frozenset({Action.WITHDRAW})
    maker_excluded: frozenset[Action] = frozenset()
    four_eyes: tuple[FourEyesRule, ...] = FOUR_EYES_RULES


#: The documented default policy.
DEFAULT_POLICY = LifecyclePolicy()


@dataclass(frozen=True, slots=True)
class TransitionContext:
    """Everything a guard may look at; assembled by the service layer.

    Attributes:
        actor_id: who performs the action.
        actor_roles: the actor's roles.
        now: the clock (timezone-aware or naive, but consistent with ``rejected_at``).
        maker_id: who submitted the application (the maker).
        disburser_id: who issued the payment order (``disburse``), while disbursed.
        approvals: approvals recorded in the current round.
        amount: the requested or approved amount.
        risk_grade: A-G, or ``None`` when not graded.
        reason: the actor's justification.
        rejected_at: when the application was rejected (for the appeal window).
        appeals_used: appeals already filed.
        has_repayments: whether any repayment was recorded on the loan.
        outstanding: the loan's outstanding balance (for ``close``).
        product_max_amount: the product's maximum amount, if any.
    """

    actor_id: str
    actor_roles: frozenset[str]
    now: datetime
    maker_id: str | None = None
    disburser_id: str | None = None
    approvals: tuple[ApprovalRecord, ...] = ()
    amount: Decimal | None = None
    risk_grade: str | None = None
    reason: str | None = None
    rejected_at: datetime | None = None
    appeals_used: int = 0
    has_repayments: bool = False
    outstanding: Decimal | None = None
    product_max_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """The outcome of a successful :func:`apply`.

    Attributes:
        previous: the state before.
        action: the action applied.
        state: the state after.
        actor_id: who acted.
        at: when (the context's clock).
        reason: the reason given, if any.
        approvals: approvals to store for the current round after this transition.
        requirement: the approval requirement (for ``approve`` and ``submit``).
        approvers_missing: distinct approvers still needed (``approve`` only).
        senior_missing: senior approvers still needed (``approve`` only).
        appeals_used: appeals used after this transition.
    """

    previous: LoanState
    action: Action
    state: LoanState
    actor_id: str
    at: datetime
    reason: str | None
    approvals: tuple[ApprovalRecord, ...]
    requirement: ApprovalRequirement | None = None
    approvers_missing: int = 0
    senior_missing: int = 0
    appeals_used: int = 0


def actions_from(state: LoanState) -> list[Action]:
    """Actions that exist from ``state`` regardless of who asks, in declaration order."""
    return [a for a in Action if state in TRANSITIONS[a].sources]


def _check_limits(
    ctx: TransitionContext, policy: LifecyclePolicy, *, routing: bool
) -> ApprovalRequirement | None:
    """Amount limits; with ``routing`` also the approval requirement (the grade needed).

    Without ``routing`` (on submit, before the model grades it) an amount above every
    authority is refused whatever the grade.
    """
    if ctx.amount is None:
        raise PreconditionFailed("the application has no amount")
    if ctx.amount <= 0:
        raise PreconditionFailed(f"the amount must be positive, got {ctx.amount}")
    if ctx.product_max_amount is not None and ctx.amount > ctx.product_max_amount:
        raise LimitExceeded(
            f"amount {ctx.amount} exceeds the product maximum {ctx.product_max_amount}"
        )
    if not routing and ctx.risk_grade is None:
        ceiling = highest_authority(policy.matrix)
        if ceiling is not None and ctx.amount > ceiling:
            raise LimitExceeded(
                f"amount {ctx.amount} exceeds every approval authority (highest: {ceiling})"
            )
        return None
    return required_approvals(ctx.amount, ctx.risk_grade, policy.matrix)


def _check(
    state: LoanState,
    action: Action,
    ctx: TransitionContext,
    policy: LifecyclePolicy,
    *,
    check_reason: bool,
) -> TransitionResult:
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        allowed = ", ".join(_words(a) for a in actions_from(state)) or "none (terminal state)"
        raise InvalidTransition(
            f"cannot {_words(action)} an application in state {_words_state(state)}; "
            f"allowed actions: {allowed}"
        )

    roles = frozenset(ctx.actor_roles)
    permitted = policy.permissions.get(action, frozenset())
    if not roles & permitted:
        held = roles_text(roles) if roles else "no role"
        raise Forbidden(
            f"your roles ({held}) may not {_words(action)}: that needs the role "
            f"{roles_text(permitted)}"
        )
    if action in policy.maker_only and ctx.actor_id != ctx.maker_id:
        raise Forbidden(f"only the maker of the application may {_words(action)} it")
    if (
        action in policy.maker_excluded
        and ctx.maker_id is not None
        and ctx.actor_id == ctx.maker_id
    ):
        raise Forbidden(
            f"maker-checker: {ctx.actor_id} submitted this application and may not "
            f"{_words(action)} it"
        )
    step = FOUR_EYES_STEPS.get(action)
    if step is not None:
        parties = {"maker": ctx.maker_id, "disburser": ctx.disburser_id}
        enforce_four_eyes(step, ctx.actor_id, parties, policy.four_eyes)
    if action is Action.APPROVE and any(a.approver_id == ctx.actor_id for a in ctx.approvals):
        raise Forbidden(f"{ctx.actor_id} has already approved this application")

    requirement: ApprovalRequirement | None = None
    if action in (Action.SUBMIT, Action.APPROVE):
        requirement = _check_limits(ctx, policy, routing=action is Action.APPROVE)

    target = transition.target
    approvals = (
        () if target in _RESETS_APPROVALS or action is Action.UNDO_APPROVAL else ctx.approvals
    )
    appeals_used = ctx.appeals_used
    missing = (0, 0)

    if action is Action.APPROVE:
        assert requirement is not None  # set by _check_limits above
        if not roles & requirement.allowed_roles:
            raise Forbidden(
                f"under authority rule {requirement.rule} only the role "
                f"{roles_text(requirement.allowed_roles)} may approve"
            )
        approvals = (*ctx.approvals, ApprovalRecord(ctx.actor_id, roles))
        missing = approvals_missing(requirement, approvals, ctx.maker_id)
        if missing != (0, 0):
            target = LoanState.UNDER_REVIEW
    elif action is Action.APPEAL:
        if ctx.appeals_used >= policy.max_appeals:
            raise PreconditionFailed(
                f"the application was already appealed {ctx.appeals_used} time(s); "
                f"at most {policy.max_appeals} allowed"
            )
        if ctx.rejected_at is None:
            raise PreconditionFailed(
                "the rejection date is unknown, so the appeal window cannot be checked"
            )
        if ctx.now - ctx.rejected_at > policy.appeal_window:
            raise PreconditionFailed(
                f"the appeal window of {policy.appeal_window.days} days after the rejection "
                "has passed"
            )
        appeals_used += 1
    elif action is Action.UNDO_DISBURSEMENT and state is LoanState.ACTIVE and ctx.has_repayments:
        raise PreconditionFailed("cannot undo a disbursement after repayments were recorded")
    elif action is Action.CLOSE:
        if ctx.outstanding is None:
            raise PreconditionFailed("cannot close: the outstanding balance is unknown")
        if ctx.outstanding != 0:
            raise PreconditionFailed(
                f"cannot close: outstanding balance {ctx.outstanding} is not fully repaid"
            )

    # Checked last so that ReasonRequired means "everything else is fine": allowed_actions()
    # offers exactly the actions that succeed once a reason is given.
    reason = ctx.reason.strip() if ctx.reason else None
    if check_reason and action in policy.reason_required and not reason:
        raise ReasonRequired(f"to {_words(action)} you must give a reason")

    return TransitionResult(
        previous=state,
        action=action,
        state=target,
        actor_id=ctx.actor_id,
        at=ctx.now,
        reason=reason,
        approvals=approvals,
        requirement=requirement,
        approvers_missing=missing[0],
        senior_missing=missing[1],
        appeals_used=appeals_used,
    )


def _words(action: Action) -> str:
    """An action as a person reads it: ``confirm disbursement``."""
    return str(action.value).replace("_", " ")


def _words_state(state: LoanState) -> str:
    return str(state.value).replace("_", " ")


def apply(
    state: LoanState,
    action: Action,
    ctx: TransitionContext,
    policy: LifecyclePolicy = DEFAULT_POLICY,
) -> TransitionResult:
    """Apply ``action`` to a loan in ``state``.

    Args:
        state: the current state.
        action: the action requested.
        ctx: who acts and the facts the guards need.
        policy: permissions, authority matrix and appeal rules.

    Returns:
        The new state and what to record.

    Raises:
        InvalidTransition: the action does not exist from ``state``.
        Forbidden: role missing, maker-checker violated, or a repeated approval.
        LimitExceeded: the amount is above the product maximum or every authority.
        PreconditionFailed: a business precondition is not met.
        ReasonRequired: the action needs a reason and none was given.
    """
    return _check(LoanState(state), Action(action), ctx, policy, check_reason=True)


def allowed_actions(
    state: LoanState,
    ctx: TransitionContext,
    policy: LifecyclePolicy = DEFAULT_POLICY,
) -> list[Action]:
    """Actions the actor in ``ctx`` could perform now, in declaration order.

    A missing reason does not hide an action: the client asks for the reason when the
    action is chosen.
    """
    allowed = []
    for action in actions_from(state):
        try:
            _check(state, action, ctx, policy, check_reason=False)
        except DomainError:
            continue
        allowed.append(action)
    return allowed
