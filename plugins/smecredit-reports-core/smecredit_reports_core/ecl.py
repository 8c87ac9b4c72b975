"""Expected credit loss under IFRS 9: PD by stage, ECL = PD x LGD x EAD."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["DEFAULT_LGD", "GRADE_PD_12M", "UNGRADED_PD_12M", "ecl", "lifetime_pd", "stage_pd"]

#: The loss given default when neither the run nor the plugin option sets one.
DEFAULT_LGD = Decimal("0.45")

#: 12-month PD per risk grade, used when a borrower has no scored PD.
GRADE_PD_12M: Mapping[str, Decimal] = {
    "A": Decimal("0.003"),
    "B": Decimal("0.007"),
    "C": Decimal("0.015"),
    "D": Decimal("0.03"),
    "E": Decimal("0.06"),
    "F": Decimal("0.12"),
    "G": Decimal("0.25"),
}
#: 12-month PD of a loan with neither a score nor a grade (a cautious middle grade).
UNGRADED_PD_12M = Decimal("0.03")


def lifetime_pd(pd_12m: Decimal, remaining_months: int) -> Decimal:
    """Lifetime PD from a 12-month PD, constant hazard: ``1 - (1 - PD)^(months / 12)``.

    At least one year counts, so a lifetime PD is never below the 12-month PD.
    """
    survival = float(1 - pd_12m) ** (max(remaining_months, 12) / 12)
    # Rounded: the float power carries noise past the tenth decimal (0.02 -> 0.0200...018).
    lifetime = Decimal(str(1 - survival)).quantize(Decimal("1e-10"))
    return min(max(lifetime, pd_12m), Decimal(1))


def stage_pd(stage: int, pd_12m: Decimal, remaining_months: int) -> Decimal:
    """Stage 1: the 12-month PD; stage 2: the lifetime PD; stage 3: 1 (defaulted)."""
    if stage >= 3:
        return Decimal(1)
    if stage == 2:
        return lifetime_pd(pd_12m, remaining_months)
    return pd_12m


def ecl(pd: Decimal, lgd: Decimal, ead: Decimal) -> Decimal:
    """Expected credit loss ``PD x LGD x EAD``, to the cent (half up, as money rounds)."""
    return (pd * lgd * ead).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
