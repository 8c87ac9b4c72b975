"""Decisions against the recommendation: what makes an approval an override.

On submission the champion model scores an application and the credit policy suggests a
limit and a price band (:mod:`smecredit.domain.credit_policy`). An approval departs from
that recommendation when:

==================  ============================================  ===================
kind                when                                          system -> decided
==================  ============================================  ===================
``zero_limit``      the grade's suggested limit is 0              0.00 -> amount
``above_limit``     the amount is above the suggested limit       limit -> amount
``rate_outside``    the rate is outside the suggested price band  band -> rate
``policy_check``    a policy check fails at approval (evidence    what failed ->
                    expired, consent withdrawn, no model score)   ``approved``
==================  ============================================  ===================

(``zero_limit`` replaces ``above_limit``: a limit of zero says the grade gets no credit.)
Each such approval needs an override reason, and every finding is recorded with both
values (``DecisionOverride``) so override rates can be reported. An analyst's change of
the model's grade is the override kind ``grade``.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "OVERRIDE_KINDS",
    "Finding",
    "Recommendation",
    "findings",
    "summary",
]

#: Every kind of override, with its meaning in words.
OVERRIDE_KINDS: dict[str, str] = {
    "grade": "the risk grade differs from the model's",
    "zero_limit": "approved although the grade's suggested limit is zero",
    "above_limit": "approved above the suggested limit",
    "rate_outside": "approved at a rate outside the suggested price band",
    "policy_check": "approved although a policy check failed",
}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What the system recommended for an application (None: it was not scored).

    Attributes:
        suggested_limit: the most the policy suggests lending.
        rate_low: the lowest annual rate of the price band.
        rate_high: the highest annual rate of the price band.
    """

    suggested_limit: Decimal
    rate_low: Decimal
    rate_high: Decimal


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a decision departs from the recommendation.

    Attributes:
        kind: a key of :data:`OVERRIDE_KINDS`.
        system_value: what the system said (None: it said nothing).
        decided_value: what is being decided.
        text: the finding in one sentence.
    """

    kind: str
    system_value: str | None
    decided_value: str
    text: str


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def findings(
    amount: Decimal,
    annual_rate: Decimal,
    recommendation: Recommendation | None,
    failed_checks: Sequence[str] = (),
) -> list[Finding]:
    """How approving ``amount`` at ``annual_rate`` departs from the recommendation.

    Args:
        amount: the amount approved.
        annual_rate: the annual rate approved.
        recommendation: the recommendation (None: the application was not scored, itself
            a failed policy check).
        failed_checks: policy checks that fail now, one sentence each.
    """
    out: list[Finding] = []
    checks = list(failed_checks)
    if recommendation is None:
        checks.insert(0, "no score from the champion model, so no suggested limit or price")
    else:
        limit = recommendation.suggested_limit
        if limit <= 0:
            out.append(
                Finding(
                    "zero_limit",
                    f"{limit:.2f}",
                    f"{amount:.2f}",
                    f"the suggested limit for this grade is {limit:.2f}: the policy offers "
                    "it no credit",
                )
            )
        elif amount > limit:
            out.append(
                Finding(
                    "above_limit",
                    f"{limit:.2f}",
                    f"{amount:.2f}",
                    f"the amount {amount:.2f} is above the suggested limit {limit:.2f}",
                )
            )
        low, high = recommendation.rate_low, recommendation.rate_high
        if not low <= annual_rate <= high:
            out.append(
                Finding(
                    "rate_outside",
                    f"{_pct(low)}-{_pct(high)}",
                    _pct(annual_rate),
                    f"the rate {_pct(annual_rate)} is outside the price band "
                    f"{_pct(low)}-{_pct(high)}",
                )
            )
    if checks:
        out.append(
            Finding(
                "policy_check",
                "; ".join(checks),
                "approved",
                f"a policy check fails: {'; '.join(checks)}",
            )
        )
    return out


def summary(found: Sequence[Finding]) -> str:
    """Why an override reason is needed, in one sentence (empty when nothing was found)."""
    if not found:
        return ""
    return (
        "this approval goes against the recommendation ("
        + "; ".join(f.text for f in found)
        + "): give an override reason"
    )
