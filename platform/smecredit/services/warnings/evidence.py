"""The evidence a warning cites: the rows its rule read when the warning was raised.

A rule declares the input columns it reads (``inputs``) and how far back it looks
(``window_days``); the core fills each input column from one evidence table
(:mod:`smecredit.services.warnings.inputs`). The same mapping, run backwards, gives
the rows behind a warning: as of the day the warning was opened, within the rule's window,
the rows the input query aggregated (every tax month of the year-on-year comparison, the
latest statement and bureau report, the cases, registry events and late instalments that
counted). A rule reading only platform facts (a grade, the exposure, the industry list)
cites none: its warning links to its loan and firm instead.

:func:`cited_evidence` answers for many warnings in one query per evidence table.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.models import Model
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.sdk import WarningRule, declared
from smecredit.services.warnings.inputs import InputWindows

__all__ = ["EVIDENCE_OF_INPUT", "Citation", "cited_evidence", "evidence_kinds"]

#: Input column -> the kind of evidence it is computed from.
EVIDENCE_OF_INPUT: Mapping[str, str] = {
    "tax_sales_recent": "tax",
    "tax_sales_year_ago": "tax",
    "total_assets": "statement",
    "total_liabilities": "statement",
    "bureau_overdue_count": "bureau",
    "bureau_overdue_amount": "bureau",
    "legal_points": "legal",
    "rep_changes": "rep_change",
    "abnormal_listed": "abnormal",
    "max_dpd": "late_instalment",
    "max_dpd_loan_id": "late_instalment",
}

_DEFAULTS = InputWindows()
#: kind -> (model, date column, default window in days).
_KINDS: Mapping[str, tuple[type[Model], str, int]] = {
    "tax": (models.TaxRecord, "month", 455),
    "statement": (models.FinancialStatement, "period_end", _DEFAULTS.statements),
    "bureau": (models.BureauSummary, "report_date", _DEFAULTS.bureau),
    "legal": (models.LegalCase, "case_date", _DEFAULTS.legal),
    "rep_change": (models.RegistryEvent, "event_date", _DEFAULTS.registry),
    "abnormal": (models.RegistryEvent, "event_date", _DEFAULTS.abnormal),
    "late_instalment": (models.RepaymentHistory, "due_date", 3650),
}
#: Kinds of which only the newest row in the window is read (the "latest" report).
_LATEST_ONLY = frozenset({"statement", "bureau"})
#: Row conditions of each kind, as the input queries have them.
_LEGAL_KINDS = ("lawsuit_defendant", "enforcement", "administrative_penalty")
_CONDITIONS: Mapping[str, Callable[[Any], bool]] = {
    "legal": lambda r: r.kind in _LEGAL_KINDS,
    "rep_change": lambda r: r.kind == "legal_rep_change",
    "abnormal": lambda r: r.kind in ("abnormal_listing", "abnormal_removal"),
    "late_instalment": lambda r: (r.days_past_due or 0) > 0,
}

QueryFor = Callable[[type[Model]], QuerySet[Any]]


@dataclass(frozen=True, slots=True)
class Citation:
    """One warning to find the evidence of.

    Attributes:
        warning_id: the warning.
        firm_id: its firm.
        rule_code: the rule that raised it.
        as_of: the business day it was raised on (its evidence windows end there).
        loan_ref: the reference of its loan, for rules about one loan's instalments.
    """

    warning_id: int
    firm_id: int
    rule_code: str
    as_of: dt.date
    loan_ref: str | None = None


def evidence_kinds(rule: Any) -> list[str]:
    """The kinds of evidence ``rule`` reads, in the order of its inputs."""
    kinds: list[str] = []
    for column in rule.inputs if rule is not None else ():  # None: the rule is gone
        kind = EVIDENCE_OF_INPUT.get(str(column))
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    return kinds


def _month(d: dt.date, back: int) -> str:
    total = d.year * 12 + d.month - 1 - back
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _bounds(kind: str, window: int, as_of: dt.date) -> tuple[Any, Any]:
    if kind == "tax":
        # the three recent months and the same three a year earlier, as TAX_SALES_DROP
        return _month(as_of, 15), _month(as_of, 1)
    return as_of - dt.timedelta(days=window), as_of


def _window(rule: Any, kind: str) -> int:
    default = _KINDS[kind][2]
    days = declared(rule, WarningRule, "window_days") if rule is not None else None
    return int(days) if days else default


async def cited_evidence(
    citations: Sequence[Citation],
    rules: Mapping[str, Any],
    *,
    query_for: QueryFor | None = None,
) -> list[list[Model]]:
    """For each citation, the evidence rows its rule read, newest first.

    Args:
        citations: the warnings.
        rules: rule code -> rule (its ``inputs`` and ``window_days``); a warning of a rule
            no longer installed cites nothing.
        query_for: the rows of a model the caller may see (row scope); default all.
    """
    base = query_for or (lambda model: model.all())
    wanted: dict[str, list[tuple[int, Citation, Any, Any]]] = defaultdict(list)
    for position, citation in enumerate(citations):
        rule = rules.get(citation.rule_code)
        for kind in evidence_kinds(rule):
            if kind == "late_instalment" and citation.loan_ref is None:
                continue
            low, high = _bounds(kind, _window(rule, kind), citation.as_of)
            wanted[kind].append((position, citation, low, high))
    found: list[list[tuple[Any, int, Model]]] = [[] for _ in citations]
    # One query per table: the rows of every cited firm over the union of the windows.
    tables: dict[tuple[type[Model], str], list[str]] = defaultdict(list)
    for kind in wanted:
        model, column, _ = _KINDS[kind]
        tables[(model, column)].append(kind)
    for (model, column), kinds in tables.items():
        asks = [ask for kind in kinds for ask in wanted[kind]]
        firms = sorted({c.firm_id for _, c, _, _ in asks})
        low = min(a[2] for a in asks)
        high = max(a[3] for a in asks)
        rows: list[Any] = await base(model).filter(
            firm_id__in=firms, **{f"{column}__gte": low, f"{column}__lte": high}
        )
        by_firm: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            by_firm[row.firm_id].append(row)
        for kind in kinds:
            keep = _CONDITIONS.get(kind, lambda r: True)
            for position, citation, lo, hi in wanted[kind]:
                hits = [
                    r
                    for r in by_firm.get(citation.firm_id, [])
                    if lo <= getattr(r, column) <= hi
                    and keep(r)
                    and (kind != "late_instalment" or r.loan_ref == citation.loan_ref)
                ]
                hits.sort(key=lambda r: (getattr(r, column), r.pk), reverse=True)
                if kind in _LATEST_ONLY:
                    hits = hits[:1]
                found[position].extend((getattr(r, column), r.pk, r) for r in hits)
    out: list[list[Model]] = []
    for rows_of in found:
        seen: set[tuple[str, int]] = set()
        ordered: list[Model] = []
        for _, _, row in sorted(rows_of, key=lambda t: (str(t[0]), t[1]), reverse=True):
            key = (type(row).__name__, int(row.pk))
            if key not in seen:
                seen.add(key)
                ordered.append(row)
        out.append(ordered)
    return out
