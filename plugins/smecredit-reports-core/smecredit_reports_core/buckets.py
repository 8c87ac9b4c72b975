"""Days-past-due buckets and portfolio at risk (PAR)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from smecredit_reports_core.figures import ZERO, as_decimal, ratio

__all__ = ["AGING_BUCKETS", "PAR_THRESHOLDS", "AgingBucket", "bucket_for", "par_ratios"]


@dataclass(frozen=True, slots=True)
class AgingBucket:
    """A DPD range ``low..high`` (``high`` None: open ended)."""

    key: str
    title_zh: str
    title_en: str
    low: int
    high: int | None

    def holds(self, dpd: int) -> bool:
        """Whether ``dpd`` falls in this bucket."""
        return dpd >= self.low and (self.high is None or dpd <= self.high)


#: The aging buckets, current first; they cover every DPD >= 0 exactly once.
AGING_BUCKETS: tuple[AgingBucket, ...] = (
    AgingBucket("current", "未逾期", "Current", 0, 0),
    AgingBucket("dpd_1_30", "逾期1-30天", "1-30 days", 1, 30),
    AgingBucket("dpd_31_60", "逾期31-60天", "31-60 days", 31, 60),
    AgingBucket("dpd_61_90", "逾期61-90天", "61-90 days", 61, 90),
    AgingBucket("dpd_91_180", "逾期91-180天", "91-180 days", 91, 180),
    AgingBucket("dpd_180_plus", "逾期180天以上", "180+ days", 181, None),
)

#: PAR n: the balance of loans more than n days past due over the whole balance.
PAR_THRESHOLDS: tuple[int, ...] = (30, 60, 90)


def bucket_for(dpd: int | None) -> AgingBucket:
    """The bucket of ``dpd`` (None or negative count as current)."""
    days = max(dpd or 0, 0)
    return next(bucket for bucket in AGING_BUCKETS if bucket.holds(days))


def par_ratios(
    balance_by_dpd: Iterable[tuple[int | None, Decimal | None]],
    thresholds: Iterable[int] = PAR_THRESHOLDS,
) -> Mapping[int, Decimal]:
    """PAR per threshold from ``(dpd, balance)`` pairs (grouped sums or single loans).

    Returns:
        threshold -> balance with DPD > threshold / total balance (0 for no balance).
    """
    pairs = [(max(dpd or 0, 0), as_decimal(balance)) for dpd, balance in balance_by_dpd]
    total = sum((balance for _, balance in pairs), ZERO)
    return {n: ratio(sum((b for dpd, b in pairs if dpd > n), ZERO), total) for n in thresholds}
