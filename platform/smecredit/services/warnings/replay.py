"""Replay warning scans over past month ends, so the back-test has dated warnings to judge.

A back-test (:mod:`smecredit.services.warnings.backtest`) compares the
date a firm was first warned with the date it defaulted. A book imported today has every
warning opened today, after every default it could have foretold, so all rules score zero.
Replaying the scans month end by month end, each as of that date (evidence windows ending
on it, changes stamped with it), gives every warning the date its evidence would have
raised it on.

Only rules whose inputs are dated evidence are replayed: taxable sales by month, financial
statements by period end, bureau reports, legal cases and registry events by their dates,
scores by the time they were made. A loan's days past due and outstanding balance are
stored as of the last close of business only, so rules reading them (loan DPD, exposure
concentration) would see today's arrears on every past date: they are left out (see
:data:`CURRENT_ONLY_INPUTS`) and judged from live scans instead.

Replayed scans do not escalate overdue warnings (nobody was there to work on them).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smecredit.services.warnings.config import default_rules
from smecredit.services.warnings.scan import ScanSummary, scan_portfolio

__all__ = ["CURRENT_ONLY_INPUTS", "ReplaySummary", "month_ends", "replay_scans", "replayable_rules"]

#: Input columns known only as of now (the last close of business), not at a past date.
CURRENT_ONLY_INPUTS: frozenset[str] = frozenset(
    {"max_dpd", "max_dpd_loan_id", "outstanding", "book_outstanding"}
)


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay did.

    Attributes:
        dates: the scan dates, oldest first.
        rules: the rule codes replayed.
        skipped: rule codes left out (they read current-only inputs).
        scans: one summary per date.
    """

    dates: tuple[dt.date, ...]
    rules: tuple[str, ...]
    skipped: tuple[str, ...]
    scans: tuple[ScanSummary, ...]

    @property
    def opened(self) -> int:
        """Warnings opened over the whole replay."""
        return sum(s.opened for s in self.scans)


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every month end from ``start``'s month to ``end`` (inclusive, none after ``end``)."""
    out: list[dt.date] = []
    year, month = start.year, start.month
    while True:
        day = dt.date(year, month, calendar.monthrange(year, month)[1])
        if day > end:
            return out
        if day >= start:
            out.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def replayable_rules(rules: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """(rules whose inputs are all dated evidence, codes of the others)."""
    rules = dict(rules if rules is not None else default_rules())
    kept: dict[str, Any] = {}
    skipped: list[str] = []
    for code, rule in rules.items():
        inputs = set(rule.inputs)
        if inputs & CURRENT_ONLY_INPUTS:
            skipped.append(code)
        else:
            kept[code] = rule
    return kept, sorted(skipped)


async def replay_scans(
    start: dt.date,
    end: dt.date,
    *,
    author: str = "replay",
    rules: Mapping[str, Any] | None = None,
    settings: Any = None,
) -> ReplaySummary:
    """Scan the portfolio as of every month end from ``start`` to ``end``, oldest first.

    Each scan runs as of its month end and stamps its changes at 23:00 UTC that day; it
    stores the composite index like any scan. Run it on a book whose warnings have not
    been scanned after ``start`` yet (a fresh import): the scans reconcile against the
    warnings they find.

    Args:
        start: first date (its month end is the first scan).
        end: last date; no scan after it.
        author: who asked (for the scan runs and the audit trail).
        rules: rule code -> rule (default: the installed plugins' rules).
        settings: platform settings (chooses the broadcaster).
    """
    kept, skipped = replayable_rules(rules)
    dates = month_ends(start, end)
    scans: list[ScanSummary] = []
    for day in dates:
        stamp = dt.datetime.combine(day, dt.time(23, 0), dt.UTC)
        scans.append(
            await scan_portfolio(
                as_of=day,
                now=stamp,
                author=author,
                rules=kept,
                settings=settings,
                escalate=False,
            )
        )
    return ReplaySummary(tuple(dates), tuple(sorted(kept)), tuple(skipped), tuple(scans))
