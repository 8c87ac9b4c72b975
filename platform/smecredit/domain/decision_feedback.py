"""Feedback on credit decisions: which approvers, grades and appeals drift beyond bounds.

Given the decisions of a window (:class:`Decision`, one per decided application) and the
bounds (:class:`FeedbackBounds`), :func:`findings` answers what should raise an alert
(:class:`Finding`), each naming the applications behind it:

* ``override_rate`` - an approver's share of decisions that departed from the system's
  recommendation (a :class:`~smecredit.models.DecisionOverride`) above
  ``override_rate_max``;
* ``approval_rate_grade`` - an approver's approval rate for a risky grade (``E``-``G`` by
  default) above ``approval_rate_max``;
* ``early_default`` - an approver's share of approved and disbursed loans that reached
  90+ DPD within ``early_default_months`` of disbursement, above ``early_default_rate_max``;
* ``appeal_upheld`` - the share of appeals followed by an approval, above
  ``appeal_upheld_rate_max`` (subject ``book``: the whole book).

A rate is only judged on at least ``min_sample`` decisions: a single override is not a
drift. Pure: no I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

__all__ = [
    "ALERT_KINDS",
    "BOOK",
    "Decision",
    "FeedbackBounds",
    "Finding",
    "findings",
    "months_after",
    "parse_bounds",
]

#: The kinds of alert, in the order a scan reports them.
ALERT_KINDS = ("override_rate", "approval_rate_grade", "early_default", "appeal_upheld")
#: The subject of an alert about the whole book rather than one approver.
BOOK = "book"


@dataclass(frozen=True, slots=True)
class FeedbackBounds:
    """The bounds a scan compares to (``SMECREDIT_DECISION_FEEDBACK_BOUNDS``).

    Attributes:
        override_rate_max: largest acceptable share of an approver's decisions overridden.
        approval_rate_max: largest acceptable approval rate of a risky grade.
        risky_grades: the grades whose approval rate is watched.
        early_default_rate_max: largest acceptable share of approvals defaulting early.
        early_default_months: how soon after disbursement a 90+ DPD counts as early.
        appeal_upheld_rate_max: largest acceptable share of appeals ending approved.
        min_sample: fewest decisions a rate is judged on.
        window_days: how far back the decisions are read.
    """

    override_rate_max: float = 0.20
    approval_rate_max: float = 0.50
    risky_grades: tuple[str, ...] = ("E", "F", "G")
    early_default_rate_max: float = 0.05
    early_default_months: int = 6
    appeal_upheld_rate_max: float = 0.50
    min_sample: int = 20
    window_days: int = 365

    def __post_init__(self) -> None:
        for name in (
            "override_rate_max",
            "approval_rate_max",
            "early_default_rate_max",
            "appeal_upheld_rate_max",
        ):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {value}")
        for name in ("early_default_months", "min_sample", "window_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


def parse_bounds(raw: str) -> FeedbackBounds:
    """``override_rate_max=0.25,min_sample=10,risky_grades=F|G`` over the defaults.

    Raises:
        ValueError: naming the unknown key or the malformed value.
    """
    known = {f.name: f for f in fields(FeedbackBounds)}
    bounds = FeedbackBounds()
    changes: dict[str, object] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        key, sep, text = (s.strip() for s in part.partition("="))
        if not sep or key not in known:
            raise ValueError(f"{part!r}: use one of {', '.join(known)} as key=value")
        default = getattr(bounds, key)
        try:
            if isinstance(default, tuple):
                changes[key] = tuple(g.strip().upper() for g in text.split("|") if g.strip())
            elif isinstance(default, int):
                changes[key] = int(text)
            else:
                changes[key] = float(text)
        except ValueError:
            raise ValueError(f"{part!r}: {text!r} is not a {type(default).__name__}") from None
    return replace(bounds, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Decision:
    """One decided application.

    Attributes:
        application_id: the application.
        approver: who took the decision (the actor of the approval or rejection).
        grade: the decided grade (None: ungraded).
        approved: approved (True) or rejected (False).
        overridden: the decision departed from the system's recommendation.
        appealed: the application was appealed before this decision.
        disbursed_on: when its loan was disbursed (None: not disbursed).
        first_default_on: the first day its loan was at 90+ DPD (None: never).
    """

    application_id: int
    approver: str
    grade: str | None
    approved: bool
    overridden: bool = False
    appealed: bool = False
    disbursed_on: dt.date | None = None
    first_default_on: dt.date | None = None

    def defaulted_early(self, months: int) -> bool:
        """Whether its loan reached 90+ DPD within ``months`` of disbursement."""
        if self.disbursed_on is None or self.first_default_on is None:
            return False
        return self.first_default_on <= months_after(self.disbursed_on, months)


@dataclass(frozen=True, slots=True)
class Finding:
    """A rate beyond its bound: what an alert says.

    Attributes:
        kind: one of :data:`ALERT_KINDS`.
        subject: the approver (``approver`` or ``approver/grade``) or :data:`BOOK`.
        value: the observed rate.
        bound: the bound it exceeded.
        sample: how many decisions the rate was computed on.
        application_ids: the applications behind it (the overridden, approved, defaulted
            or upheld ones), ascending.
    """

    kind: str
    subject: str
    value: float
    bound: float
    sample: int
    application_ids: tuple[int, ...] = field(default=())


def months_after(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _rate(
    kind: str,
    subject: str,
    sample: list[Decision],
    hits: list[Decision],
    bound: float,
    min_sample: int,
) -> Finding | None:
    if len(sample) < min_sample:
        return None
    value = len(hits) / len(sample)
    if value <= bound:
        return None
    ids = tuple(sorted(d.application_id for d in hits))
    return Finding(kind, subject, round(value, 6), bound, len(sample), ids)


def _by(decisions: Iterable[Decision], key: str) -> Mapping[str, list[Decision]]:
    groups: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        groups[getattr(d, key)].append(d)
    return groups


def findings(decisions: Iterable[Decision], bounds: FeedbackBounds) -> list[Finding]:
    """Every rate of ``decisions`` beyond ``bounds``, ordered by kind then subject."""
    rows = list(decisions)
    out: list[Finding] = []
    n = bounds.min_sample
    by_approver = _by(rows, "approver")
    for approver, mine in sorted(by_approver.items()):
        hits = [d for d in mine if d.overridden]
        if found := _rate("override_rate", approver, mine, hits, bounds.override_rate_max, n):
            out.append(found)
    for approver, mine in sorted(by_approver.items()):
        for grade in bounds.risky_grades:
            graded = [d for d in mine if d.grade == grade]
            hits = [d for d in graded if d.approved]
            subject = f"{approver}/{grade}"
            limit = bounds.approval_rate_max
            if found := _rate("approval_rate_grade", subject, graded, hits, limit, n):
                out.append(found)
    for approver, mine in sorted(by_approver.items()):
        disbursed = [d for d in mine if d.approved and d.disbursed_on is not None]
        hits = [d for d in disbursed if d.defaulted_early(bounds.early_default_months)]
        limit = bounds.early_default_rate_max
        if found := _rate("early_default", approver, disbursed, hits, limit, n):
            out.append(found)
    appealed = [d for d in rows if d.appealed]
    upheld = [d for d in appealed if d.approved]
    limit = bounds.appeal_upheld_rate_max
    if found := _rate("appeal_upheld", BOOK, appealed, upheld, limit, n):
        out.append(found)
    return out
