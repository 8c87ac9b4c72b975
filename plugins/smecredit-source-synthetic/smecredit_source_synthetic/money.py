"""Amount and rate formatting for records: integer fen in, contract strings out.

The generator works in integer fen so every amount it writes is exact; these helpers are
the only place amounts become strings.
"""

from __future__ import annotations

__all__ = ["fen_from_yuan", "monthly_interest_fen", "rate_str", "yuan"]


def yuan(fen: int) -> str:
    """Format integer fen as a yuan decimal string with 2 places, e.g. ``-1234.50``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def fen_from_yuan(amount: float) -> int:
    """Round a modelled (float) yuan amount to integer fen, half away from zero."""
    scaled = amount * 100.0
    return int(scaled + 0.5) if scaled >= 0 else -int(-scaled + 0.5)


def rate_str(rate_e4: int) -> str:
    """Format an annual rate given in basis points of 1/10,000 (435 -> ``"0.0435"``)."""
    whole, frac = divmod(rate_e4, 10_000)
    return f"{whole}.{frac:04d}"


def monthly_interest_fen(outstanding_fen: int, rate_e4: int) -> int:
    """One month's interest (annual rate / 12) on ``outstanding_fen``, rounded half up."""
    denominator = 10_000 * 12
    return (outstanding_fen * rate_e4 * 2 + denominator) // (2 * denominator)
