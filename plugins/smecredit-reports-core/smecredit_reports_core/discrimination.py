"""AUC and KS from (score, outcome) pairs, in plain Python (no numpy in a report)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

__all__ = ["auc_ks"]


def auc_ks(pairs: Iterable[tuple[float, bool]]) -> tuple[float | None, float | None]:
    """AUC and KS of a risk score (higher = riskier) against defaults.

    AUC is the probability that a random defaulter scores above a random non-defaulter
    (ties count one half); KS is the largest gap between the two groups' cumulative
    distributions. Both are None without at least one defaulter and one non-defaulter.
    """
    ordered = sorted(pairs, key=lambda pair: pair[0])
    bads = sum(1 for _, bad in ordered if bad)
    goods = len(ordered) - bads
    if bads == 0 or goods == 0:
        return None, None
    wins = 0.0
    goods_below = 0
    bads_below = 0
    ks = 0.0
    for _, group in groupby(ordered, key=lambda pair: pair[0]):
        members = list(group)
        bad_here = sum(1 for _, bad in members if bad)
        good_here = len(members) - bad_here
        wins += bad_here * (goods_below + good_here / 2)
        goods_below += good_here
        bads_below += bad_here
        ks = max(ks, abs(goods_below / goods - bads_below / bads))
    return wins / (bads * goods), ks
