"""Credit applications: creation, completeness, and every lifecycle transition.

Every transition runs :func:`run_transition`: one database transaction that locks the
application (``SELECT ... FOR UPDATE`` on PostgreSQL), asks the domain state machine
(:func:`smecredit.domain.loan_states.apply`) whether the actor may act, applies the side
effects (a loan booked, a schedule built ...), bumps ``version`` with an optimistic-lock
``UPDATE ... WHERE version = ?`` and journals an :class:`ApplicationTransition` and its
audit row. The subscription event follows the commit. The transaction runs through
:func:`smecredit.services.transactions.atomic` (again after a deadlock on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.authority import ApprovalRecord
from smecredit.domain.decision_overrides import Finding, findings
from smecredit.domain.four_eyes import violations
from smecredit.domain.identity import IdentityError, validate_uscc
from smecredit.domain.loan_states import (
    FOUR_EYES_STEPS,
    Action,
    LoanState,
    TransitionContext,
    TransitionResult,
    apply,
)
from smecredit.domain.products import validate_application_terms
from smecredit.errors import Conflict, InvalidInput, NotFound
from smecredit.models import (
    ApplicationTransition,
    Approval,
    BureauSummary,
    Consent,
    FinancialStatement,
    Firm,
    LoanApplication,
    Product,
)
from smecredit.security.operations import LIFECYCLE_OPERATIONS, authorize, can, in_scope
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services.lending.decisions import (
    recommendation_of,
    record_approval_overrides,
    record_system_grade,
)
from smecredit.services.lending.errors import IncompleteApplication
from smecredit.services.lending.events import StatusChange, publish
from smecredit.services.lending.products import product_terms
from smecredit.services.lending.support import (
    actor_id,
    audit,
    check_version,
    dec,
    lock,
    now,
    update_versioned,
)
from smecredit.services.transactions import atomic

__all__ = [
    "EVIDENCE_MAX_AGE_DAYS",
    "REQUIRED_CONSENT_SCOPE",
    "SUBMISSION_CHECKS",
    "Effect",
    "SubmissionCheck",
    "appeal",
    "approval_findings",
    "approval_queue",
    "approve",
    "cancel",
    "create_application",
    "disburser_of",
    "missing_for_submission",
    "reject",
    "return_for_changes",
    "run_transition",
    "start_review",
    "submission_checks",
    "submit",
    "undo_approval",
    "withdraw",
]

#: Evidence older than this does not count towards completeness.
EVIDENCE_MAX_AGE_DAYS = 365
#: The consent a firm must have given before its application is submitted.
REQUIRED_CONSENT_SCOPE = "bureau"

#: (application, transition result, connection) -> extra application field changes
Effect = Callable[[LoanApplication, TransitionResult, BaseDBAsyncClient], Awaitable[dict[str, Any]]]
#: (application, connection) -> extra TransitionContext fields
ContextFacts = Callable[[LoanApplication, BaseDBAsyncClient], Awaitable[dict[str, Any]]]


async def create_application(
    principal: Principal,
    *,
    firm_id: int,
    product_code: str,
    amount: Decimal,
    term_months: int,
    annual_rate: Decimal,
    repayment_method: str,
    purpose: str = "",
    guarantee_type: str = "credit",
    collateral_description: str = "",
) -> LoanApplication:
    """Draft a new application (``application.create``) for a firm of the maker's branches.

    The maker does not grade it: the champion model does on submission (a risk analyst
    may override that grade with a reason).

    Raises:
        PermissionDenied: the caller may not draft applications.
        NotFound: unknown product, or a firm unknown or outside the caller's branches (the
            same answer either way).
        InvalidInput: the terms break the product's rules (code ``TERMS_VIOLATED``).
    """
    authorize(principal, "application.create")
    firm = await scoped_rows(principal, Firm).filter(id=firm_id).first()
    if firm is None:
        raise NotFound(f"firm {firm_id} not found")
    product = await Product.get_or_none(code=product_code)
    if product is None or not product.active:
        raise NotFound(f"product {product_code!r} not found or not active")
    violations = validate_application_terms(
        product_terms(product), amount, term_months, annual_rate, repayment_method
    )
    if violations:
        raise InvalidInput(
            "; ".join(v.message for v in violations),
            code="TERMS_VIOLATED",
            violations=[v.code for v in violations],
        )
    application = await LoanApplication.create(
        firm_id=firm.id,
        product_id=product.id,
        amount=amount,
        term_months=term_months,
        annual_rate=annual_rate,
        repayment_method=repayment_method,
        purpose=purpose,
        guarantee_type=guarantee_type,
        collateral_description=collateral_description,
        state=LoanState.DRAFT.value,
        maker_id=actor_id(principal),
        maker_username=principal.username,
        branch_code=firm.branch_code,
    )
    await audit(
        principal,
        "application.create",
        f"LoanApplication:{application.id}",
        after={"amount": str(amount), "product": product_code, "firm_id": firm_id},
    )
    return application


#: The checks of :func:`submission_checks`, in the order they are shown.
SUBMISSION_CHECKS: tuple[str, ...] = (
    "FIRM_IDENTITY",
    "FINANCIAL_STATEMENT",
    "BUREAU_SUMMARY",
    "CONSENT",
    "TERMS",
)


@dataclass(frozen=True, slots=True)
class SubmissionCheck:
    """One check an application must pass before it is submitted (and at approval).

    Attributes:
        code: one of :data:`SUBMISSION_CHECKS`.
        missing: what is missing, one sentence each (English); empty when it passes.
    """

    code: str
    missing: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Nothing is missing."""
        return not self.missing


async def submission_checks(
    application: LoanApplication, *, at: dt.datetime | None = None
) -> list[SubmissionCheck]:
    """Every check of :data:`SUBMISSION_CHECKS` for the application, passed or with what is
    missing: the firm's USCC is valid, a financial statement and a bureau summary no older
    than :data:`EVIDENCE_MAX_AGE_DAYS`, a valid consent of scope
    :data:`REQUIRED_CONSENT_SCOPE`, and the product's terms."""
    at = at or now()
    since = at.date() - dt.timedelta(days=EVIDENCE_MAX_AGE_DAYS)
    firm = await Firm.get(id=application.firm_id)  # type: ignore[attr-defined]
    identity: tuple[str, ...] = ()
    try:
        validate_uscc(firm.uscc)
    except IdentityError as error:
        identity = (f"firm identity: {error}",)
    statement: tuple[str, ...] = ()
    if not await FinancialStatement.filter(firm_id=firm.id, period_end__gte=since).exists():
        statement = (f"a financial statement for a period ending on or after {since}",)
    bureau: tuple[str, ...] = ()
    if not await BureauSummary.filter(firm_id=firm.id, report_date__gte=since).exists():
        bureau = (f"a credit bureau summary dated on or after {since}",)
    consents = await Consent.filter(
        firm_id=firm.id, scope=REQUIRED_CONSENT_SCOPE, granted_at__lte=at
    )
    consent: tuple[str, ...] = ()
    if not any(
        (c.expires_at is None or c.expires_at > at) and (c.revoked_at is None or c.revoked_at > at)
        for c in consents
    ):
        consent = (f"the firm's valid consent to {REQUIRED_CONSENT_SCOPE} queries",)
    product = await Product.get(id=application.product_id)  # type: ignore[attr-defined]
    terms = tuple(
        f"terms: {v.message}"
        for v in validate_application_terms(
            product_terms(product),
            application.amount,
            application.term_months,
            application.annual_rate,
            application.repayment_method,
        )
    )
    return [
        SubmissionCheck("FIRM_IDENTITY", identity),
        SubmissionCheck("FINANCIAL_STATEMENT", statement),
        SubmissionCheck("BUREAU_SUMMARY", bureau),
        SubmissionCheck("CONSENT", consent),
        SubmissionCheck("TERMS", terms),
    ]


async def missing_for_submission(
    application: LoanApplication, *, at: dt.datetime | None = None
) -> list[str]:
    """What the application still lacks before it can be submitted (empty when complete):
    the missing items of every :func:`submission_checks` check, in order."""
    return [m for check in await submission_checks(application, at=at) for m in check.missing]


async def approval_findings(application: LoanApplication) -> list[Finding]:
    """How approving the application now would go against the recommendation (each
    finding needs an override reason; see :mod:`smecredit.domain.decision_overrides`):
    the same findings :func:`approve` records."""
    recommendation = await recommendation_of(application.id)
    failed = await missing_for_submission(application)
    return findings(dec(application.amount), dec(application.annual_rate), recommendation, failed)


async def disburser_of(
    application: LoanApplication, conn: BaseDBAsyncClient | None = None
) -> str | None:
    """Who issued the payment order of a disbursed application (None otherwise)."""
    if application.state != LoanState.DISBURSED.value:
        return None
    query = ApplicationTransition.filter(
        application_id=application.id, action=Action.DISBURSE.value
    ).order_by("-id")
    row = await (query.using_db(conn) if conn is not None else query).first()
    return row.actor if row else None


def _approval_json(records: tuple[ApprovalRecord, ...]) -> list[dict[str, Any]]:
    return [{"approver": r.approver_id, "roles": sorted(r.roles)} for r in records]


async def run_transition(
    application_id: int,
    action: Action,
    principal: Principal,
    *,
    reason: str | None = None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
    facts: ContextFacts | None = None,
    effect: Effect | None = None,
    changes: dict[str, Any] | None = None,
) -> LoanApplication:
    """Apply ``action`` to an application atomically (see the module docstring).

    Args:
        application_id: the application.
        action: the lifecycle action.
        principal: who acts.
        reason: the actor's justification.
        at: the clock (default now, UTC).
        expected_version: fail with ``CONFLICT`` unless the application is at this version.
        facts: extra facts for the guards (repayments recorded, outstanding balance).
        effect: side effects inside the transaction, returning more field changes.
        changes: field changes to make with the transition (e.g. a risk grade).

    Raises:
        PermissionDenied: the caller's roles may not take the action (the operations table).
        NotFound: unknown application, or one outside the caller's branches.
        DomainError: from the state machine (invalid transition, maker-checker ...).
        Conflict: the application changed meanwhile.
    """
    authorize(principal, LIFECYCLE_OPERATIONS[Action(action)])
    at = at or now()

    async def work(conn: BaseDBAsyncClient) -> tuple[LoanApplication, LoanState, TransitionResult]:
        # lock order: the application, then (in facts and effects) its loan
        application = await lock(LoanApplication, application_id, conn)
        if application is None or not in_scope(principal, application.branch_code):
            # Outside the caller's branches it answers exactly as a missing one.
            raise NotFound(f"application {application_id} not found")
        if expected_version is not None and application.version != expected_version:
            raise Conflict(
                f"application {application_id} is at version {application.version}, "
                f"not {expected_version}; reload and retry",
                code="CONFLICT",
            )
        if changes:
            for name, value in changes.items():
                setattr(application, name, value)
        rows = await Approval.filter(
            application_id=application.id, round=application.approval_round
        ).using_db(conn)
        approvals = tuple(ApprovalRecord(a.approver, frozenset(a.roles)) for a in rows)
        product = (
            await Product.filter(id=application.product_id)  # type: ignore[attr-defined]
            .using_db(conn)
            .get()
        )
        extra = await facts(application, conn) if facts else {}
        ctx = TransitionContext(
            actor_id=actor_id(principal),
            actor_roles=frozenset(principal.roles),
            now=at,
            maker_id=application.maker_id,
            disburser_id=await disburser_of(application, conn),
            approvals=approvals,
            amount=application.amount,
            risk_grade=application.risk_grade,
            reason=reason,
            rejected_at=application.rejected_at,
            appeals_used=application.appeals_used,
            product_max_amount=product.amount_max,
            **extra,
        )
        previous = LoanState(application.state)
        result = apply(previous, action, ctx)
        update: dict[str, Any] = dict(changes or {})
        update["state"] = result.state.value
        update["appeals_used"] = result.appeals_used
        if approvals and not result.approvals:
            update["approval_round"] = application.approval_round + 1
        if action is Action.APPROVE:
            await Approval.create(
                application_id=application.id,
                approver=ctx.actor_id,
                roles=sorted(ctx.actor_roles),
                at=at,
                reason=result.reason,
                round=application.approval_round,
                using_db=conn,
            )
        if action is Action.SUBMIT:
            update["submitted_at"] = at
        if result.state in (LoanState.APPROVED, LoanState.REJECTED):
            update["decided_at"] = at
        if result.state is LoanState.REJECTED:
            update["rejected_at"] = at
        loan_before = application.loan_id  # type: ignore[attr-defined]
        if effect is not None:
            update.update(await effect(application, result, conn))
        await update_versioned(application, conn, **update)
        await ApplicationTransition.create(
            application_id=application.id,
            # after an undone disbursement the application lets go of the loan, the
            # journal still names it
            loan_id=update.get("loan_id") or loan_before,
            action=result.action.value,
            from_state=previous.value,
            to_state=result.state.value,
            actor=ctx.actor_id,
            at=at,
            reason=result.reason,
            approvals=_approval_json(result.approvals),
            using_db=conn,
        )
        await audit(
            principal,
            f"application.{action.value}",
            f"LoanApplication:{application.id}",
            before={"state": previous.value},
            after={"state": result.state.value, "reason": result.reason},
            connection=conn,
        )
        return application, previous, result

    application, previous, result = await atomic(
        work, what=f"{action.value} of application {application_id}"
    )
    publish(
        StatusChange(
            application_id=application.id,
            loan_id=application.loan_id,  # type: ignore[attr-defined]
            action=action.value,
            from_state=previous.value,
            to_state=result.state.value,
            actor=actor_id(principal),
            at=at,
            branch_code=application.branch_code,
        )
    )
    return application


async def submit(
    application_id: int,
    principal: Principal,
    *,
    at: dt.datetime | None = None,
    scoring_models: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Submit a draft or returned application once it is complete, then score it.

    The score, suggested limit and price band are stored with the application (see
    :mod:`smecredit.services.scoring.application_scoring`); without a champion model the
    application is submitted unscored.

    Args:
        scoring_models: the app's scoring-model plugins (default: the installed ones).
        expected_version: fail with ``CONFLICT`` unless the application is at this version.

    Raises:
        IncompleteApplication: with the list of what is missing.
        Conflict: the application changed since the caller read it.
    """
    application = await LoanApplication.get_or_none(id=application_id)
    if application is None:
        raise NotFound(f"application {application_id} not found")
    # A stale caller hears so first (run_transition checks again under the lock).
    check_version(application, expected_version, f"application {application_id}")
    state = LoanState(application.state)
    if state in (LoanState.DRAFT, LoanState.RETURNED):
        missing = await missing_for_submission(application, at=at)
        if missing:
            raise IncompleteApplication(missing)
    submitted = await run_transition(
        application_id, Action.SUBMIT, principal, at=at, expected_version=expected_version
    )
    # Imported here: the lifecycle must not load the scoring stack (numpy, models) to start.
    from smecredit.services.scoring.application_scoring import score_submitted

    scored = await score_submitted(
        submitted, as_of=at.date() if at else None, available=scoring_models
    )
    # The champion's grade routes the application (none: it waits for an analyst's).
    if scored is None:
        return await record_system_grade(submitted.id, None, None, None)
    return await record_system_grade(
        submitted.id, scored.score.grade, scored.score.model_name, scored.score.model_version
    )


async def start_review(
    application_id: int,
    principal: Principal,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Take a submitted or appealed application into review.

    The grade is the model's; an analyst changes it with
    :func:`smecredit.services.lending.decisions.override_grade` (a reason is kept).
    """
    return await run_transition(
        application_id,
        Action.START_REVIEW,
        principal,
        at=at,
        expected_version=expected_version,
    )


async def _simple(
    action: Action,
    application_id: int,
    principal: Principal,
    reason: str | None,
    at: dt.datetime | None,
    expected_version: int | None,
) -> LoanApplication:
    return await run_transition(
        application_id,
        action,
        principal,
        reason=reason,
        at=at,
        expected_version=expected_version,
    )


# Every step below takes ``expected_version``: the application's version as the caller
# read it; when it moved on meanwhile the step fails with CONFLICT and changes nothing.


async def return_for_changes(
    application_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Send an application under review back to the maker (reason required)."""
    return await _simple(
        Action.RETURN_FOR_CHANGES, application_id, principal, reason, at, expected_version
    )


async def approve(
    application_id: int,
    principal: Principal,
    reason: str | None = None,
    *,
    override_reason: str | None = None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Record an approval; the state becomes ``approved`` when the matrix is satisfied.

    An approval against the recommendation (above the suggested limit, a grade whose
    limit is zero, a rate outside the price band, a failed policy check: see
    :mod:`smecredit.domain.decision_overrides`) needs ``override_reason`` and records a
    DecisionOverride per finding, in the approval's transaction.

    Raises:
        OverrideReasonRequired: against the recommendation without an override reason
            (code ``OVERRIDE_REASON_REQUIRED``; nothing is recorded).
    """
    authorize(principal, LIFECYCLE_OPERATIONS[Action.APPROVE])
    at = at or now()
    current = await scoped_rows(principal, LoanApplication).filter(id=application_id).first()
    if current is None:
        raise NotFound(f"application {application_id} not found")
    # Read before the transaction: the recommendation never changes once made, and the
    # policy checks read evidence the approval does not lock.
    recommendation = await recommendation_of(application_id)
    failed = await missing_for_submission(current, at=at)

    async def effect(
        application: LoanApplication, result: TransitionResult, conn: BaseDBAsyncClient
    ) -> dict[str, Any]:
        found = findings(
            dec(application.amount), dec(application.annual_rate), recommendation, failed
        )
        await record_approval_overrides(application, principal, found, override_reason, at, conn)
        return {}

    return await run_transition(
        application_id,
        Action.APPROVE,
        principal,
        reason=reason,
        at=at,
        effect=effect,
        expected_version=expected_version,
    )


async def reject(
    application_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Reject an application under review (reason required)."""
    return await _simple(Action.REJECT, application_id, principal, reason, at, expected_version)


async def appeal(
    application_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Appeal a rejection within the appeal window (reason: the grounds)."""
    return await _simple(Action.APPEAL, application_id, principal, reason, at, expected_version)


async def withdraw(
    application_id: int,
    principal: Principal,
    reason: str | None = None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Withdraw an application that is not yet under review (the maker only)."""
    return await _simple(Action.WITHDRAW, application_id, principal, reason, at, expected_version)


async def cancel(
    application_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Cancel an approved application before disbursement (reason required)."""
    return await _simple(Action.CANCEL, application_id, principal, reason, at, expected_version)


async def undo_approval(
    application_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Take an approval back: the application returns to review with a new round."""
    return await _simple(
        Action.UNDO_APPROVAL, application_id, principal, reason, at, expected_version
    )


#: States in which an application waits for someone, and the step that moves it on (whose
#: roles, in the operations table, say who is waited for).
_QUEUE: dict[LoanState, Action] = {
    LoanState.SUBMITTED: Action.START_REVIEW,
    LoanState.APPEALED: Action.START_REVIEW,
    LoanState.UNDER_REVIEW: Action.APPROVE,
    LoanState.APPROVED: Action.DISBURSE,
    LoanState.DISBURSED: Action.CONFIRM_DISBURSEMENT,
}


async def approval_queue(principal: Principal, *, limit: int = 100) -> list[LoanApplication]:
    """Applications waiting for an action the caller's roles can take, oldest first.

    Left out: what the four-eyes rules forbid the caller (their own applications under
    review, approved or disbursed; a disbursement they issued themselves) and applications
    they already approved in the current round.
    """
    states = [s.value for s, step in _QUEUE.items() if can(principal, LIFECYCLE_OPERATIONS[step])]
    if not states:
        return []
    query = scoped_rows(principal, LoanApplication).filter(state__in=states)
    me = actor_id(principal)
    out: list[LoanApplication] = []
    for application in await query.order_by("updated_at", "id").limit(limit * 2):
        step = _QUEUE[LoanState(application.state)]
        if step in FOUR_EYES_STEPS:
            parties = {"maker": application.maker_id, "disburser": await disburser_of(application)}
            if violations(FOUR_EYES_STEPS[step], me, parties):
                continue
        if (
            application.state == LoanState.UNDER_REVIEW.value
            and await Approval.filter(
                application_id=application.id, round=application.approval_round, approver=me
            ).exists()
        ):
            continue
        out.append(application)
        if len(out) >= limit:
            break
    return out
