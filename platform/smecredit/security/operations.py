"""The authorisation table of operations: who may change what, and where.

Field permissions (:mod:`smecredit.security.policy`, Casbin) decide what a caller may
*see*; this table decides what a caller may *do*. Every GraphQL mutation and every
state-changing ``smecredit`` command maps to one :class:`Operation`, and each operation
names the roles allowed to take it and its :class:`Scope`:

* ``public`` - anyone, signed in or not (signing in);
* ``self`` - any signed-in user, on their own account or session;
* ``global`` - the roles, with no branch attached (products, models, users, policies);
* ``branch`` - the roles, on an object of a branch: a branch-bound caller acts only on
  objects of its own branch (head office and roles granted ``rows, all_branches`` act on
  every branch). An object outside the caller's branches answers exactly as a missing one
  (:func:`require_in_scope`): no answer reveals what exists elsewhere.

A few reads are gated by role too (``*.view``: the audit log, the access policy, users,
roles, the credit policy, warning weights and back-tests); everything else a signed-in user
reads is decided field by field by the Casbin policy and row by row by the branch scope.

Services check the table (:func:`authorize`), so GraphQL and the CLI share one rule; the
GraphQL layer also refuses, before the resolver runs, a mutation whose caller holds none of
its roles or which has no rule at all (fail closed: a plugin's mutation needs a rule too).

The lifecycle steps of applications and loans take their roles from the lifecycle's own
permission table (:data:`smecredit.domain.loan_states.DEFAULT_PERMISSIONS`), which also
holds maker-checker; manual classification overrides from
:data:`smecredit.domain.classification.OVERRIDE_ROLES`.

The ``system`` role is the platform's own principal (:data:`SYSTEM`): unattended jobs and
operator commands run as it. No user can hold it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from smecredit.domain.classification import OVERRIDE_ROLES
from smecredit.domain.loan_states import DEFAULT_PERMISSIONS
from smecredit.domain.loan_states import Action as LifecycleAction
from smecredit.errors import ApiError, NotFound, PermissionDenied
from smecredit.security.principal import HEAD_OFFICE, ROLES, Principal
from smecredit.security.row_scope import visible_branches

__all__ = [
    "COMMAND_OPERATIONS",
    "CORE_MUTATION_OPERATIONS",
    "CORE_OPERATIONS",
    "LIFECYCLE_OPERATIONS",
    "MUTATION_OPERATIONS",
    "OPERATIONS",
    "READ_ONLY_COMMANDS",
    "SYSTEM",
    "SYSTEM_ROLE",
    "Operation",
    "OperationError",
    "Scope",
    "Unauthenticated",
    "authorize",
    "authorize_in_branch",
    "can",
    "describe",
    "in_scope",
    "not_found",
    "operation",
    "operation_for_mutation",
    "operations_of_role",
    "register_operations",
    "require_in_scope",
]

#: The role of the platform's own principal (jobs, operator commands).
SYSTEM_ROLE = "system"
#: The platform's own principal: close of business, schedules, operator commands.
SYSTEM = Principal(user_id=0, username="system", roles=(SYSTEM_ROLE,), branch_code=HEAD_OFFICE)


class Unauthenticated(ApiError):
    """The caller is not signed in (or still owes the second factor)."""

    code = "UNAUTHENTICATED"


class OperationError(ValueError):
    """The table itself is wrong (an unknown role, a duplicate or unknown operation)."""


class Scope(StrEnum):
    """Where an operation applies (see the module docstring)."""

    PUBLIC = "public"
    SELF = "self"
    GLOBAL = "global"
    BRANCH = "branch"


@dataclass(frozen=True, slots=True)
class Operation:
    """One row of the table.

    Attributes:
        name: dotted name, ``<object>.<verb>`` (``firm.create``).
        roles: the roles that may take it (empty for ``public`` and ``self``: everyone).
        scope: where it applies.
        description: what it does, as a refusal names it ("create firms").
    """

    name: str
    roles: frozenset[str]
    scope: Scope
    description: str

    def allows(self, principal: Principal | None) -> bool:
        """Whether ``principal`` holds a role of the operation (scope not considered)."""
        if self.scope is Scope.PUBLIC:
            return True
        if principal is None:
            return False
        if self.scope is Scope.SELF:
            return True
        return bool(self.roles & set(principal.roles))


_KNOWN_ROLES = frozenset((*ROLES, SYSTEM_ROLE))
_ADMIN = "admin"


def _op(name: str, scope: Scope, description: str, *roles: str | Iterable[str]) -> Operation:
    flat: set[str] = set()
    for role in roles:
        flat.update([role] if isinstance(role, str) else role)
    unknown = flat - _KNOWN_ROLES
    if unknown:
        raise OperationError(f"operation {name}: unknown roles {sorted(unknown)}")
    return Operation(name, frozenset(flat), scope, description)


def _lifecycle(action: LifecycleAction, name: str, description: str) -> Operation:
    return _op(name, Scope.BRANCH, description, DEFAULT_PERMISSIONS[action])


_A = LifecycleAction
#: Lifecycle action -> the operation that takes it.
LIFECYCLE_OPERATIONS: Mapping[LifecycleAction, str] = MappingProxyType(
    {
        _A.SUBMIT: "application.submit",
        _A.START_REVIEW: "application.start_review",
        _A.RETURN_FOR_CHANGES: "application.return",
        _A.APPROVE: "application.approve",
        _A.REJECT: "application.reject",
        _A.APPEAL: "application.appeal",
        _A.WITHDRAW: "application.withdraw",
        _A.CANCEL: "application.cancel",
        _A.UNDO_APPROVAL: "application.undo_approval",
        _A.DISBURSE: "loan.disburse",
        _A.CONFIRM_DISBURSEMENT: "loan.confirm_disbursement",
        _A.UNDO_DISBURSEMENT: "loan.undo_disbursement",
        _A.CLOSE: "loan.close",
        _A.WRITE_OFF: "loan.write_off",
        _A.UNDO_WRITE_OFF: "loan.undo_write_off",
    }
)
_LIFECYCLE_DESCRIPTIONS: Mapping[LifecycleAction, str] = {
    _A.SUBMIT: "submit applications",
    _A.START_REVIEW: "start reviewing applications",
    _A.RETURN_FOR_CHANGES: "return applications for changes",
    _A.APPROVE: "approve applications",
    _A.REJECT: "reject applications",
    _A.APPEAL: "appeal rejections",
    _A.WITHDRAW: "withdraw applications",
    _A.CANCEL: "cancel approved applications",
    _A.UNDO_APPROVAL: "undo approvals",
    _A.DISBURSE: "disburse loans",
    _A.CONFIRM_DISBURSEMENT: "confirm disbursements",
    _A.UNDO_DISBURSEMENT: "undo disbursements",
    _A.CLOSE: "close loans",
    _A.WRITE_OFF: "write loans off",
    _A.UNDO_WRITE_OFF: "undo write-offs",
}
del _A

_OFFICERS = ("loan_officer", _ADMIN)
_ANALYSTS = ("risk_analyst", _ADMIN)
_WARNING_HANDLERS = ("loan_officer", "risk_analyst", _ADMIN)
_SCORERS = ("loan_officer", "approver", "credit_committee", "risk_analyst", _ADMIN)
_CONSENT_RECORDERS = ("loan_officer", "approver", _ADMIN)
_POLICY_READERS = (*_SCORERS, "compliance_auditor")

S = Scope
_ROWS: tuple[Operation, ...] = (
    # --- accounts and sessions ---
    _op("session.sign_in", S.PUBLIC, "sign in"),
    # Steps a session takes before it is a signed-in principal (the second factor owed,
    # or one to enrol first) are public here: AuthenticationGuard admits exactly the
    # sessions that owe them, and their resolvers act only on the caller's own session.
    _op("session.verify_totp", S.PUBLIC, "complete the second sign-in step"),
    _op("session.use_recovery_code", S.PUBLIC, "sign in with a recovery code"),
    _op("session.sign_out", S.PUBLIC, "sign out"),
    _op("session.sign_out_everywhere", S.SELF, "sign out of every session"),
    _op("account.enroll_totp", S.PUBLIC, "enrol a second factor"),
    _op("account.confirm_totp", S.PUBLIC, "confirm a second factor"),
    # Public for the same reason: a session whose password an administrator reset may
    # only change it; the resolver acts on the caller's own account (signed in or owing it).
    _op("account.change_password", S.PUBLIC, "change your password"),
    _op("account.set_language", S.SELF, "choose your language"),
    _op("user.create", S.GLOBAL, "create users", _ADMIN, SYSTEM_ROLE),
    _op("user.set_roles", S.GLOBAL, "change users' roles", _ADMIN, SYSTEM_ROLE),
    _op("user.deactivate", S.GLOBAL, "deactivate users", _ADMIN, SYSTEM_ROLE),
    _op("user.revoke_sessions", S.GLOBAL, "revoke users' sessions", _ADMIN, SYSTEM_ROLE),
    _op("user.reset_password", S.GLOBAL, "reset users' passwords", _ADMIN, SYSTEM_ROLE),
    _op("user.reactivate", S.GLOBAL, "reactivate users", _ADMIN, SYSTEM_ROLE),
    # --- field permissions (the Casbin policy) and keys ---
    _op("policy.add", S.GLOBAL, "add policy rules", _ADMIN, SYSTEM_ROLE),
    _op("policy.remove", S.GLOBAL, "remove policy rules", _ADMIN, SYSTEM_ROLE),
    _op("policy.reload", S.GLOBAL, "reload the policy", _ADMIN, SYSTEM_ROLE),
    _op("keys.init", S.GLOBAL, "create the key file", SYSTEM_ROLE),
    _op("keys.rotate", S.GLOBAL, "rotate encryption keys", SYSTEM_ROLE),
    _op("database.migrate", S.GLOBAL, "migrate the database", SYSTEM_ROLE),
    _op("demo.seed", S.GLOBAL, "seed demo data", SYSTEM_ROLE),
    _op("backup.create", S.GLOBAL, "back up the database", SYSTEM_ROLE),
    _op("backup.restore", S.GLOBAL, "restore a backup into a fresh database", SYSTEM_ROLE),
    # --- firms and their data ---
    _op("firm.create", S.BRANCH, "create firms", "loan_officer", "partner", _ADMIN),
    _op("firm.update", S.BRANCH, "change firms", "loan_officer", "partner", _ADMIN),
    _op("firm.transfer", S.GLOBAL, "move firms between branches", _ADMIN),
    _op("consent.grant", S.BRANCH, "record consents", _CONSENT_RECORDERS),
    _op("consent.revoke", S.BRANCH, "revoke consents", _CONSENT_RECORDERS),
    _op("source.sync", S.GLOBAL, "sync data sources", _ANALYSTS, SYSTEM_ROLE),
    _op("data.import", S.GLOBAL, "import files", _ANALYSTS, SYSTEM_ROLE),
    # --- credit: products, applications, loans, repayments, close of business ---
    _op("product.create", S.GLOBAL, "create products", _ADMIN, SYSTEM_ROLE),
    _op("product.update", S.GLOBAL, "change products", _ADMIN),
    _op("application.create", S.BRANCH, "draft applications", "loan_officer", "partner"),
    *(
        _lifecycle(action, name, _LIFECYCLE_DESCRIPTIONS[action])
        for action, name in LIFECYCLE_OPERATIONS.items()
    ),
    _op("application.override_grade", S.BRANCH, "change applications' risk grades", "risk_analyst"),
    _op("loan.reschedule", S.BRANCH, "reschedule loans", "approver", "credit_committee"),
    _op("loan.override_classification", S.BRANCH, "override classifications", OVERRIDE_ROLES),
    # Approving or rejecting a pending four-eyes request (a write-off, an upgrading
    # classification override): the service also asks for the roles of the change itself.
    _op(
        "four_eyes.decide",
        S.BRANCH,
        "approve or reject requests awaiting a second approver",
        OVERRIDE_ROLES,
        DEFAULT_PERMISSIONS[LifecycleAction.WRITE_OFF],
    ),
    _op("repayment.post", S.BRANCH, "post repayments", _OFFICERS),
    _op("repayment.reverse", S.BRANCH, "reverse repayments", _ADMIN),
    _op("cob.run", S.GLOBAL, "run close of business", _ANALYSTS, SYSTEM_ROLE),
    # --- compliance of the platform and feedback on decisions (issue 15) ---
    _op(
        "compliance.run",
        S.GLOBAL,
        "run the compliance checks",
        "compliance_auditor",
        _ANALYSTS,
        SYSTEM_ROLE,
    ),
    _op("decision_feedback.run", S.GLOBAL, "scan decisions for drift", _ANALYSTS, SYSTEM_ROLE),
    _op("decision_alert.respond", S.GLOBAL, "answer decision alerts", _ANALYSTS),
    # --- scoring and the credit policy ---
    _op("model.train", S.GLOBAL, "train models", _ANALYSTS, SYSTEM_ROLE),
    _op("model.promote", S.GLOBAL, "promote models", _ANALYSTS),
    _op("model.rollback", S.GLOBAL, "roll models back", _ANALYSTS),
    _op("firm.score", S.BRANCH, "score firms", _SCORERS),
    _op("application.score", S.BRANCH, "score applications", _SCORERS),
    _op("portfolio.score", S.GLOBAL, "score the whole book", _ANALYSTS, SYSTEM_ROLE),
    _op("credit_policy.set", S.GLOBAL, "change the credit policy", _ANALYSTS),
    _op("policy_rule.set", S.GLOBAL, "change the policy rules of credit decisions", _ANALYSTS),
    # An exception to a failed policy rule is a decision: those who approve grant it.
    _op(
        "policy_exception.grant",
        S.BRANCH,
        "grant exceptions to failed policy rules",
        "approver",
        "credit_committee",
    ),
    # --- early warning ---
    _op("warning.acknowledge", S.BRANCH, "acknowledge warnings", _WARNING_HANDLERS),
    _op("warning.start_progress", S.BRANCH, "work on warnings", _WARNING_HANDLERS),
    _op("warning.assign", S.BRANCH, "assign warnings", _WARNING_HANDLERS),
    _op("warning.comment", S.BRANCH, "comment on warnings", _WARNING_HANDLERS),
    _op("warning.resolve", S.BRANCH, "resolve warnings", _WARNING_HANDLERS),
    _op("warning.dismiss", S.BRANCH, "dismiss warnings", _WARNING_HANDLERS),
    _op("warning.scan", S.GLOBAL, "run warning scans", _ANALYSTS, SYSTEM_ROLE),
    _op("warning_rule.configure", S.GLOBAL, "configure warning rules", _ANALYSTS),
    _op("warning_weights.set", S.GLOBAL, "set warning weights", _ANALYSTS),
    _op("warning_weights.propose", S.GLOBAL, "re-estimate warning weights", _ANALYSTS, SYSTEM_ROLE),
    _op("warning_weights.decide", S.GLOBAL, "accept or reject weight proposals", _ANALYSTS),
    _op("warning.escalate", S.GLOBAL, "escalate overdue warnings", _ANALYSTS, SYSTEM_ROLE),
    # --- reads gated by role (beyond field permissions and row scope) ---
    _op("user.view", S.GLOBAL, "list users", _ADMIN),
    _op(
        "role.view",
        S.GLOBAL,
        "list roles and what they may do",
        _ADMIN,
        "compliance_auditor",
        SYSTEM_ROLE,
    ),
    _op("audit.view", S.GLOBAL, "read the audit log", _ADMIN, "compliance_auditor"),
    _op("policy.view", S.GLOBAL, "read the access policy", _ADMIN, "compliance_auditor"),
    _op("credit_policy.view", S.GLOBAL, "read the credit policy", _POLICY_READERS),
    _op(
        "policy_rule.view",
        S.GLOBAL,
        "read the policy rules of credit decisions",
        _ANALYSTS,
        "approver",
        "credit_committee",
        "compliance_auditor",
    ),
    _op("warning_weights.view", S.GLOBAL, "read warning weights", _ANALYSTS, "compliance_auditor"),
    _op("warning_backtest.view", S.GLOBAL, "read warning back-tests and scan runs", _ANALYSTS),
    _op(
        "decision_override.view",
        S.GLOBAL,
        "read override rates",
        "risk_analyst",
        "approver",
        "credit_committee",
        "compliance_auditor",
        _ADMIN,
    ),
    _op("cob.view", S.GLOBAL, "read close-of-business runs", _ANALYSTS, "compliance_auditor"),
    _op("compliance.view", S.GLOBAL, "read compliance runs", _ANALYSTS, "compliance_auditor"),
    _op(
        "decision_alert.view",
        S.GLOBAL,
        "read decision alerts",
        _ANALYSTS,
        "credit_committee",
        "compliance_auditor",
    ),
    # --- background jobs (row scope: services.jobs.queries) ---
    _op("job.view", S.GLOBAL, "read background jobs", _ANALYSTS, "compliance_auditor"),
    _op("job.cancel", S.GLOBAL, "cancel background jobs", _ANALYSTS),
    # --- reports (the type's own roles decide too: services.reports.runs) ---
    _op(
        "report.run",
        S.GLOBAL,
        "run reports",
        "risk_analyst",
        "credit_committee",
        "compliance_auditor",
        "approver",
        "loan_officer",
        _ADMIN,
        SYSTEM_ROLE,
    ),
    _op("report.view_all", S.GLOBAL, "see the reports everyone ran", _ADMIN, "compliance_auditor"),
)
del S

_operations: dict[str, Operation] = {}
for _row in _ROWS:
    if _row.name in _operations:
        raise OperationError(f"operation {_row.name} is defined twice")
    _operations[_row.name] = _row
#: The core's own operations (what ``docs/authorisation.md`` lists).
CORE_OPERATIONS: Mapping[str, Operation] = MappingProxyType(dict(_operations))
#: Every operation by name (plugins add theirs through :func:`register_operations`).
OPERATIONS: Mapping[str, Operation] = MappingProxyType(_operations)

#: GraphQL mutation field -> operation. A mutation missing here is refused.
_mutations: dict[str, str] = {
    "signIn": "session.sign_in",
    "verifyTotp": "session.verify_totp",
    "useRecoveryCode": "session.use_recovery_code",
    "signOut": "session.sign_out",
    "signOutEverywhere": "session.sign_out_everywhere",
    "enrollTotp": "account.enroll_totp",
    "confirmTotp": "account.confirm_totp",
    "changePassword": "account.change_password",
    "setMyLanguage": "account.set_language",
    "createUser": "user.create",
    "setUserRoles": "user.set_roles",
    "deactivateUser": "user.deactivate",
    "revokeUserSessions": "user.revoke_sessions",
    "resetUserPassword": "user.reset_password",
    "reactivateUser": "user.reactivate",
    "addPolicy": "policy.add",
    "removePolicy": "policy.remove",
    "createFirm": "firm.create",
    "updateFirm": "firm.update",
    "grantConsent": "consent.grant",
    "revokeConsent": "consent.revoke",
    "startSync": "source.sync",
    "createProduct": "product.create",
    "updateProduct": "product.update",
    "createApplication": "application.create",
    "submitApplication": "application.submit",
    "startReview": "application.start_review",
    "returnApplication": "application.return",
    "approveApplication": "application.approve",
    "rejectApplication": "application.reject",
    "appealApplication": "application.appeal",
    "withdrawApplication": "application.withdraw",
    "cancelApplication": "application.cancel",
    "undoApproval": "application.undo_approval",
    "disburseLoan": "loan.disburse",
    "confirmDisbursement": "loan.confirm_disbursement",
    "undoDisbursement": "loan.undo_disbursement",
    "closeLoan": "loan.close",
    "overrideApplicationGrade": "application.override_grade",
    "requestWriteOff": "loan.write_off",
    "requestClassificationOverride": "loan.override_classification",
    "approveFourEyesRequest": "four_eyes.decide",
    "rejectFourEyesRequest": "four_eyes.decide",
    "undoWriteOff": "loan.undo_write_off",
    "rescheduleLoan": "loan.reschedule",
    "overrideClassification": "loan.override_classification",
    "postRepayment": "repayment.post",
    "reverseRepayment": "repayment.reverse",
    "trainModel": "model.train",
    "promoteModel": "model.promote",
    "rollbackModel": "model.rollback",
    "scoreFirm": "firm.score",
    "scoreApplication": "application.score",
    "setCreditPolicy": "credit_policy.set",
    "setPolicyRule": "policy_rule.set",
    "grantPolicyException": "policy_exception.grant",
    "acknowledgeWarning": "warning.acknowledge",
    "startWarningProgress": "warning.start_progress",
    "assignWarning": "warning.assign",
    "commentWarning": "warning.comment",
    "resolveWarning": "warning.resolve",
    "dismissWarning": "warning.dismiss",
    "runWarningScan": "warning.scan",
    "runCob": "cob.run",
    "configureWarningRule": "warning_rule.configure",
    "setWarningWeightsAhp": "warning_weights.set",
    "setWarningWeightsExpert": "warning_weights.set",
    "proposeWarningWeights": "warning_weights.propose",
    "acceptWeightProposal": "warning_weights.decide",
    "rejectWeightProposal": "warning_weights.decide",
    "cancelJob": "job.cancel",
    "runComplianceChecks": "compliance.run",
    "runDecisionFeedback": "decision_feedback.run",
    "respondToDecisionAlert": "decision_alert.respond",
    "runReport": "report.run",
    "cancelReport": "report.run",
}
#: The core's own mutations and the operations they take.
CORE_MUTATION_OPERATIONS: Mapping[str, str] = MappingProxyType(dict(_mutations))
#: GraphQL mutation field -> the operation it takes (plugins' mutations included).
MUTATION_OPERATIONS: Mapping[str, str] = MappingProxyType(_mutations)

#: ``smecredit`` command (its words after ``smecredit``) -> the operation it takes.
COMMAND_OPERATIONS: Mapping[str, str] = MappingProxyType(
    {
        "db migrate": "database.migrate",
        "backup create": "backup.create",
        "backup restore": "backup.restore",
        "demo seed": "demo.seed",
        "sources sync": "source.sync",
        "import": "data.import",
        "users create": "user.create",
        "users set-roles": "user.set_roles",
        "users deactivate": "user.deactivate",
        "users reset-password": "user.reset_password",
        "users reactivate": "user.reactivate",
        "policies add": "policy.add",
        "policies remove": "policy.remove",
        "policies reload": "policy.reload",
        "keys init": "keys.init",
        "keys rotate": "keys.rotate",
        "cob run": "cob.run",
        "compliance run": "compliance.run",
        "model train": "model.train",
        "model promote": "model.promote",
        "model rollback": "model.rollback",
        "score": "portfolio.score",
        "warnings scan": "warning.scan",
        "warnings reweight": "warning_weights.propose",
        "warnings schedule": "warning.scan",
        "warnings escalate": "warning.escalate",
        "warnings proposal accept": "warning_weights.decide",
        "warnings proposal reject": "warning_weights.decide",
        "report run": "report.run",
    }
)
#: Commands that change nothing (or only write files outside the database).
READ_ONLY_COMMANDS: frozenset[str] = frozenset(
    {
        "serve",
        "schema export",
        "db check",
        "backup list",
        "backup verify",
        "schema changes",
        "schema release",
        "plugins list",
        "sources list",
        "users list",
        "users roles",
        "policies list",
        "audit verify",
        "ledger verify",
        "model list",
        "model backtest",
        "model features-doc",
        "sources quality",
        "keys status",
        "warnings backtest",
        "report list",
    }
)


def _check_roles(roles: Iterable[str], what: str) -> None:
    unknown = set(roles) - _KNOWN_ROLES
    if unknown:
        raise OperationError(f"{what}: unknown roles {sorted(unknown)}")


def register_operations(
    operations: Iterable[Operation], mutations: Mapping[str, str] | None = None
) -> None:
    """Add a plugin's operations (and the mutations that take them) to the table.

    Raises:
        OperationError: a name that exists already, an unknown role, or a mutation mapped
            to an operation that does not exist.
    """
    for op in operations:
        if op.name in _operations and _operations[op.name] != op:
            raise OperationError(f"operation {op.name} is defined twice")
        _check_roles(op.roles, f"operation {op.name}")
        _operations[op.name] = op
    for field_name, op_name in (mutations or {}).items():
        if op_name not in _operations:
            raise OperationError(f"mutation {field_name}: no operation {op_name!r}")
        if _mutations.get(field_name, op_name) != op_name:
            raise OperationError(f"mutation {field_name} already takes {_mutations[field_name]}")
        _mutations[field_name] = op_name


def operation(name: str) -> Operation:
    """The operation called ``name``.

    Raises:
        OperationError: there is none (a bug: every caller names a row of the table).
    """
    try:
        return OPERATIONS[name]
    except KeyError:
        raise OperationError(f"no operation {name!r} in the authorisation table") from None


def operations_of_role(role: str) -> list[Operation]:
    """The operations ``role`` grants, by name (what every signed-in user may do aside).

    Derived from the table itself (plugins' rows included), so a role's description of
    what it may do can never drift from what is enforced.
    """
    return sorted((op for op in OPERATIONS.values() if role in op.roles), key=lambda op: op.name)


def operation_for_mutation(field_name: str) -> Operation | None:
    """The operation a mutation field takes, or None when it has no rule."""
    name = MUTATION_OPERATIONS.get(field_name)
    return None if name is None else OPERATIONS.get(name)


def _refusal(op: Operation, principal: Principal) -> PermissionDenied:
    names = [r.replace("_", " ") for r in sorted(op.roles - {SYSTEM_ROLE})]
    if not names:
        who = "only the platform itself (an operator command) does that"
    elif len(names) == 1:
        who = f"that needs the role {names[0]}"
    else:
        who = f"that needs the role {', '.join(names[:-1])} or {names[-1]}"
    return PermissionDenied(f"you may not {op.description}: {who}", operation=op.name)


def can(principal: Principal | None, name: str) -> bool:
    """Whether ``principal`` holds a role of operation ``name`` (scope not considered)."""
    return operation(name).allows(principal)


def authorize(principal: Principal | None, name: str) -> Principal:
    """The caller, if it may take operation ``name`` at all; otherwise refuse.

    For ``branch`` operations this checks the role only: the object's branch is checked
    with :func:`require_in_scope` (existing objects) or :func:`authorize_in_branch`
    (objects created in a branch).

    Raises:
        Unauthenticated: no caller, for an operation that is not public.
        PermissionDenied: ``FORBIDDEN``, naming the operation and the roles it needs.
    """
    op = operation(name)
    if principal is None:
        if op.scope is Scope.PUBLIC:
            raise OperationError(f"{name} is public: it needs no principal to authorise")
        raise Unauthenticated("sign in first")
    if not op.allows(principal):
        raise _refusal(op, principal)
    return principal


def in_scope(principal: Principal | None, branch_code: str | None) -> bool:
    """Whether an object of ``branch_code`` is within the caller's branches."""
    branches = visible_branches(principal)
    return branches is None or (branch_code is not None and branch_code in branches)


def require_in_scope(
    principal: Principal, branch_code: str | None, missing: Callable[[], ApiError]
) -> None:
    """Refuse an object outside the caller's branches exactly as a missing one.

    Args:
        principal: the caller.
        branch_code: the object's branch (None: an object with no branch, never in a
            branch-bound caller's scope).
        missing: builds the error the caller gets for an object that does not exist.

    Raises:
        ApiError: ``missing()``.
    """
    if not in_scope(principal, branch_code):
        raise missing()


def authorize_in_branch(principal: Principal | None, name: str, branch_code: str) -> Principal:
    """:func:`authorize`, and the branch a new object is created in must be the caller's.

    Raises:
        Unauthenticated, PermissionDenied: as :func:`authorize`; ``FORBIDDEN`` also for a
            branch outside the caller's (naming the caller's own branch only).
    """
    caller = authorize(principal, name)
    if not in_scope(caller, branch_code):
        raise PermissionDenied(
            f"you may {operation(name).description} only in your own branch {caller.branch_code}",
            field="branchCode",
        )
    return caller


def not_found(what: str) -> Callable[[], NotFound]:
    """A ``missing`` builder for :func:`require_in_scope`: ``NotFound(f"{what} not found")``."""
    return lambda: NotFound(f"{what} not found")


def describe(principal: Any) -> str:
    """The caller as a refusal or an audit row names it."""
    return str(getattr(principal, "username", None) or "anonymous")
