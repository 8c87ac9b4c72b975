"""Five-category loan classification (五级分类) and IFRS 9 / CAS 22 staging.

Steps for one loan (:func:`classify`):

1. **DPD bands** (:data:`DEFAULT_DPD_BANDS`, configurable): DPD 0 -> 正常 normal,
   1-90 -> 关注 special_mention, 91-270 -> 次级 substandard, 271-360 -> 可疑 doubtful,
   more than 360 -> 损失 loss.
2. **Evidence floors**: other evidence (restructuring, legal action, fraud, ...) can only
   worsen the class, to the floor it names.
3. **Upgrade rule**: a loan that was non-performing (substandard or worse) may move to a
   better class only after it has been current (DPD 0) for an observation period, default
   :data:`DEFAULT_OBSERVATION_DAYS` = 90 days (about three monthly instalments). This follows
   the regulator's practice that an upgrade needs sustained repayment, not one payment;
   until then the previous class stands. Moving to a worse class is never delayed.
4. **Manual override** by a role in :data:`OVERRIDE_ROLES` with a reason: final, marked
   ``overridden=True``.

For a non-retail debtor, :func:`apply_debtor_contagion` then applies the debtor rule: when
non-performing claims exceed :data:`DEFAULT_CONTAGION_THRESHOLD` (10 %) of the debtor's total
outstanding, every claim of that debtor becomes at least substandard (overridden claims
keep their override).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from smecredit.domain.errors import DomainError, Forbidden, ReasonRequired

__all__ = [
    "DEFAULT_CONTAGION_THRESHOLD",
    "DEFAULT_DPD_BANDS",
    "DEFAULT_OBSERVATION_DAYS",
    "NON_PERFORMING",
    "OVERRIDE_ROLES",
    "WRITTEN_OFF",
    "Classification",
    "ContagionResult",
    "DebtorClaim",
    "DpdBand",
    "Evidence",
    "LoanClass",
    "Override",
    "apply_debtor_contagion",
    "apply_upgrade_rule",
    "class_for_dpd",
    "classify",
    "ifrs9_stage",
]


class LoanClass(StrEnum):
    """The five categories, best first."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def label_zh(self) -> str:
        """The Chinese regulatory label (正常 / 关注 / 次级 / 可疑 / 损失)."""
        return _LABELS_ZH[self]

    @property
    def rank(self) -> int:
        """0 for normal up to 4 for loss: a higher rank is a worse class."""
        return _ORDER.index(self)

    @property
    def is_non_performing(self) -> bool:
        """Substandard, doubtful and loss are non-performing (不良)."""
        return self in NON_PERFORMING


_ORDER: tuple[LoanClass, ...] = tuple(LoanClass)
_LABELS_ZH = {
    LoanClass.NORMAL: "正常",
    LoanClass.SPECIAL_MENTION: "关注",
    LoanClass.SUBSTANDARD: "次级",
    LoanClass.DOUBTFUL: "可疑",
    LoanClass.LOSS: "损失",
}
NON_PERFORMING: frozenset[LoanClass] = frozenset(
    {LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS}
)


def _worst(*classes: LoanClass) -> LoanClass:
    return max(classes, key=lambda c: c.rank)


@dataclass(frozen=True, slots=True)
class DpdBand:
    """Loans with at least ``min_dpd`` days past due are at least ``loan_class``."""

    min_dpd: int
    loan_class: LoanClass


#: Defaults: 0 normal, 1+ special mention, >90 substandard, >270 doubtful, >360 loss.
DEFAULT_DPD_BANDS: tuple[DpdBand, ...] = (
    DpdBand(0, LoanClass.NORMAL),
    DpdBand(1, LoanClass.SPECIAL_MENTION),
    DpdBand(91, LoanClass.SUBSTANDARD),
    DpdBand(271, LoanClass.DOUBTFUL),
    DpdBand(361, LoanClass.LOSS),
)
#: Days a non-performing loan must stay current before it may be upgraded.
DEFAULT_OBSERVATION_DAYS = 90
#: Share of non-performing claims above which all a debtor's claims become non-performing.
DEFAULT_CONTAGION_THRESHOLD = Decimal("0.10")
#: Roles that may override a classification (the risk function, not operations or admin).
OVERRIDE_ROLES: frozenset[str] = frozenset({"risk_analyst", "credit_committee"})


def class_for_dpd(dpd: int, bands: Sequence[DpdBand] = DEFAULT_DPD_BANDS) -> LoanClass:
    """The class the DPD bands give; the band with the highest ``min_dpd <= dpd`` wins.

    Raises:
        DomainError: ``INVALID_DPD`` for negative DPD, ``INVALID_BANDS`` when no band
            starts at 0 or the bands do not worsen as DPD grows.
    """
    if dpd < 0:
        raise DomainError(f"days past due cannot be negative, got {dpd}", code="INVALID_DPD")
    ordered = sorted(bands, key=lambda b: b.min_dpd)
    if not ordered or ordered[0].min_dpd != 0:
        raise DomainError("DPD bands must start at 0 days", code="INVALID_BANDS")
    if any(a.loan_class.rank > b.loan_class.rank for a, b in pairwise(ordered)):
        raise DomainError("DPD bands must not improve as DPD grows", code="INVALID_BANDS")
    result = ordered[0].loan_class
    for band in ordered:
        if band.min_dpd <= dpd:
            result = band.loan_class
    return result


@dataclass(frozen=True, slots=True)
class Evidence:
    """Evidence other than DPD that puts a floor under the class.

    Attributes:
        floor: the loan is at least this bad.
        description: what the evidence is (e.g. "restructured", "borrower in bankruptcy").
    """

    floor: LoanClass
    description: str


#: A written-off loan is a loss whatever its days past due.
WRITTEN_OFF = Evidence(LoanClass.LOSS, "written off")


@dataclass(frozen=True, slots=True)
class Override:
    """A manual classification decision.

    Attributes:
        loan_class: the class decided.
        actor_id: who decided.
        actor_roles: their roles (one must be in the allowed override roles).
        reason: why; required.
    """

    loan_class: LoanClass
    actor_id: str
    actor_roles: frozenset[str]
    reason: str


@dataclass(frozen=True, slots=True)
class Classification:
    """The outcome of :func:`classify`.

    Attributes:
        loan_class: the final class.
        dpd_class: what the DPD bands alone gave.
        overridden: whether a manual override decided ``loan_class``.
        upgrade_held: whether the upgrade rule kept the previous, worse class.
        reason: the override's reason, if any.
        overridden_by: the override's actor, if any.
        evidence: the evidence considered.
    """

    loan_class: LoanClass
    dpd_class: LoanClass
    overridden: bool = False
    upgrade_held: bool = False
    reason: str | None = None
    overridden_by: str | None = None
    evidence: tuple[Evidence, ...] = ()


def apply_upgrade_rule(
    previous: LoanClass | None,
    proposed: LoanClass,
    days_current: int,
    *,
    observation_days: int = DEFAULT_OBSERVATION_DAYS,
) -> LoanClass:
    """Hold a non-performing loan at its class until it was current long enough.

    Args:
        previous: the class last assigned, ``None`` for a new loan.
        proposed: the class computed now.
        days_current: consecutive days the loan has been at DPD 0, up to now.
        observation_days: days of sustained repayment needed for an upgrade.

    Returns:
        ``proposed`` unless it upgrades a non-performing ``previous`` before the
        observation period has passed, in which case ``previous``.
    """
    if previous is None or proposed.rank >= previous.rank or not previous.is_non_performing:
        return proposed
    return proposed if days_current >= observation_days else previous


def classify(
    dpd: int,
    *,
    bands: Sequence[DpdBand] = DEFAULT_DPD_BANDS,
    override: Override | None = None,
    evidence: Iterable[Evidence] = (),
    previous: LoanClass | None = None,
    days_current: int = 0,
    observation_days: int = DEFAULT_OBSERVATION_DAYS,
    override_roles: Collection[str] = OVERRIDE_ROLES,
) -> Classification:
    """Classify one loan (see the module docstring for the steps).

    Args:
        dpd: days past due.
        bands: DPD bands.
        override: a manual decision, final when authorised and reasoned.
        evidence: other evidence; each can only worsen the class.
        previous: the class last assigned (for the upgrade rule).
        days_current: consecutive days at DPD 0 (for the upgrade rule).
        observation_days: the upgrade rule's observation period.
        override_roles: roles allowed to override.

    Raises:
        Forbidden: the override's actor holds none of ``override_roles``.
        ReasonRequired: the override has no reason.
    """
    evidence = tuple(evidence)
    dpd_class = class_for_dpd(dpd, bands)
    computed = _worst(dpd_class, *(e.floor for e in evidence))
    final = apply_upgrade_rule(previous, computed, days_current, observation_days=observation_days)
    held = final != computed
    if override is None:
        return Classification(final, dpd_class, upgrade_held=held, evidence=evidence)
    if not set(override.actor_roles) & set(override_roles):
        roles = ", ".join(sorted(str(r).replace("_", " ") for r in override.actor_roles))
        needed = " or ".join(sorted(str(r).replace("_", " ") for r in override_roles))
        raise Forbidden(
            f"your roles ({roles or 'no role'}) may not override a classification: that "
            f"needs the role {needed}"
        )
    reason = override.reason.strip() if override.reason else ""
    if not reason:
        raise ReasonRequired("a classification override needs a reason")
    return Classification(
        override.loan_class,
        dpd_class,
        overridden=True,
        upgrade_held=held,
        reason=reason,
        overridden_by=override.actor_id,
        evidence=evidence,
    )


@dataclass(frozen=True, slots=True)
class DebtorClaim:
    """One of a debtor's claims, for the contagion rule.

    Attributes:
        loan_id: the loan.
        outstanding: its outstanding amount (non-negative).
        loan_class: its class.
        overridden: whether the class is a manual override (left untouched).
    """

    loan_id: str
    outstanding: Decimal
    loan_class: LoanClass
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class ContagionResult:
    """The outcome of :func:`apply_debtor_contagion`.

    Attributes:
        claims: the claims after the rule, in input order.
        triggered: whether the non-performing share exceeded the threshold.
        npl_ratio: non-performing outstanding / total outstanding (0 when nothing is owed).
    """

    claims: tuple[DebtorClaim, ...]
    triggered: bool
    npl_ratio: Decimal


def apply_debtor_contagion(
    loans_of_debtor: Iterable[DebtorClaim],
    *,
    threshold: Decimal = DEFAULT_CONTAGION_THRESHOLD,
    retail: bool = False,
) -> ContagionResult:
    """Downgrade all claims of a non-retail debtor whose bad claims exceed the threshold.

    Args:
        loans_of_debtor: every claim on one debtor.
        threshold: share of outstanding (strictly exceeded) that triggers the rule.
        retail: retail debtors are classified loan by loan; the rule does not apply.

    Returns:
        The claims, with performing ones raised to substandard when triggered.
    """
    claims = tuple(loans_of_debtor)
    if any(c.outstanding < 0 for c in claims):
        raise DomainError("outstanding amounts cannot be negative", code="INVALID_CLAIM")
    total = sum((c.outstanding for c in claims), Decimal(0))
    bad = sum((c.outstanding for c in claims if c.loan_class.is_non_performing), Decimal(0))
    ratio = bad / total if total > 0 else Decimal(0)
    triggered = not retail and ratio > threshold
    if triggered:
        claims = tuple(
            c
            if c.overridden or c.loan_class.is_non_performing
            else replace(c, loan_class=LoanClass.SUBSTANDARD)
            for c in claims
        )
    return ContagionResult(claims, triggered, ratio)


def ifrs9_stage(
    dpd: int,
    classification: LoanClass,
    significant_increase: bool,
    *,
    stage2_dpd: int = 30,
    stage3_dpd: int = 90,
) -> int:
    """IFRS 9 / CAS 22 impairment stage.

    Stage 3 (credit-impaired): more than ``stage3_dpd`` days past due or non-performing.
    Stage 2 (significant increase in credit risk): more than ``stage2_dpd`` days past due
    (the rebuttable 30-day backstop), special mention, or an assessed SICR.
    Stage 1 otherwise.
    """
    if dpd < 0:
        raise DomainError(f"days past due cannot be negative, got {dpd}", code="INVALID_DPD")
    if dpd > stage3_dpd or classification.is_non_performing:
        return 3
    if dpd > stage2_dpd or classification is LoanClass.SPECIAL_MENTION or significant_increase:
        return 2
    return 1
