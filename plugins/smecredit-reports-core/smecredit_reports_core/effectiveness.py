"""Warning effectiveness: precision, recall, lead time and false alarms of signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from smecredit_reports_core.figures import ratio

__all__ = ["Default", "Effectiveness", "Signal", "effectiveness", "first_defaults"]


@dataclass(frozen=True, slots=True)
class Signal:
    """A warning raised on a firm on a day, with the groups it reports under."""

    firm_id: int
    on: dt.date
    rule_code: str
    level: str
    branch_code: str


@dataclass(frozen=True, slots=True)
class Default:
    """The first day a loan of a firm reached 90+ DPD."""

    firm_id: int
    on: dt.date
    branch_code: str


@dataclass(frozen=True, slots=True)
class Effectiveness:
    """The figures of one group of signals."""

    signals: int
    hits: int
    defaults: int
    caught: int
    mean_lead_days: float | None

    @property
    def precision(self) -> float:
        """Signals followed by a default within the horizon, over all signals."""
        return float(ratio(self.hits, self.signals))

    @property
    def recall(self) -> float:
        """Defaults preceded by a signal of the group within the horizon, over defaults."""
        return float(ratio(self.caught, self.defaults))

    @property
    def false_alarm_rate(self) -> float:
        """Signals not followed by a default, over all signals (0 without signals)."""
        return float(ratio(self.signals - self.hits, self.signals))


def _follows(signal: Signal, default: Default, horizon: int) -> bool:
    return signal.firm_id == default.firm_id and 0 <= (default.on - signal.on).days <= horizon


def effectiveness(
    signals: Sequence[Signal],
    defaults: Sequence[Default],
    group: Callable[[Signal], Hashable],
    horizon: int,
    default_in_group: Callable[[Default, Hashable], bool] | None = None,
) -> Mapping[Hashable, Effectiveness]:
    """The figures per group of signals (``group`` maps a signal to its group).

    A signal *hits* when a default of its firm follows it within ``horizon`` days; its
    lead time is the days to the first such default. A default is *caught* by a group
    when a signal of that group on its firm precedes it within the horizon; the defaults
    a group answers for are all of them, or those ``default_in_group`` admits (a branch
    answers for its own loans).
    """
    by_firm: dict[int, list[Default]] = {}
    for default in defaults:
        by_firm.setdefault(default.firm_id, []).append(default)
    grouped: dict[Hashable, list[Signal]] = {}
    for signal in signals:
        grouped.setdefault(group(signal), []).append(signal)
    result: dict[Hashable, Effectiveness] = {}
    for key, members in grouped.items():
        leads: list[int] = []
        for signal in members:
            following = [d for d in by_firm.get(signal.firm_id, ()) if _follows(signal, d, horizon)]
            if following:
                leads.append(min((d.on - signal.on).days for d in following))
        own = [d for d in defaults if default_in_group is None or default_in_group(d, key)]
        on_firm: dict[int, list[Signal]] = {}
        for signal in members:
            on_firm.setdefault(signal.firm_id, []).append(signal)
        caught = sum(
            1 for d in own if any(_follows(s, d, horizon) for s in on_firm.get(d.firm_id, ()))
        )
        result[key] = Effectiveness(
            signals=len(members),
            hits=len(leads),
            defaults=len(own),
            caught=caught,
            mean_lead_days=sum(leads) / len(leads) if leads else None,
        )
    return result


def first_defaults(
    history: Iterable[tuple[int, dt.date, int | None]],
) -> dict[int, dt.date]:
    """Loan id -> the first ``as_of`` with DPD >= 90, from history rows in any order."""
    first: dict[int, dt.date] = {}
    for loan_id, as_of, dpd in history:
        if (dpd or 0) >= 90 and (loan_id not in first or as_of < first[loan_id]):
            first[loan_id] = as_of
    return first
