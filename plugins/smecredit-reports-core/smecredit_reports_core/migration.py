"""States at dates from a dated history, and the migration matrix between two dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

__all__ = ["StateTracker", "migration_matrix", "states_at"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class StateTracker(Generic[K, V]):
    """Keeps, for each of some dates, each key's state in its latest row on or before it.

    Rows are added one at a time in any order, so a streamed history needs no list.
    """

    def __init__(self, dates: Sequence[dt.date]) -> None:
        self._latest: dict[dt.date, dict[K, tuple[dt.date, V]]] = {day: {} for day in dates}

    def add(self, key: K, as_of: dt.date, state: V) -> None:
        """Take one history row into account."""
        for day, seen in self._latest.items():
            if as_of <= day and (key not in seen or seen[key][0] <= as_of):
                seen[key] = (as_of, state)

    def states(self) -> dict[dt.date, dict[K, V]]:
        """date -> key -> state (a key with no row on or before the date is absent)."""
        return {
            day: {key: state for key, (_, state) in seen.items()}
            for day, seen in self._latest.items()
        }


def states_at(
    history: Iterable[tuple[K, dt.date, V]], dates: Sequence[dt.date]
) -> dict[dt.date, dict[K, V]]:
    """For each date, each key's state in its latest history row on or before that date.

    Args:
        history: ``(key, as_of, state)`` rows in any order.
        dates: the dates wanted.
    """
    tracker: StateTracker[K, V] = StateTracker(dates)
    for key, as_of, state in history:
        tracker.add(key, as_of, state)
    return tracker.states()


def migration_matrix(
    start: Mapping[K, str], end: Mapping[K, str], states: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Counts of keys moving from each state at the start to each state at the end.

    A key in ``start`` without an end state counts under ``"none"``; states outside
    ``states`` count under their own name too, so every row sums to the number of keys
    that held its state at the start.
    """
    matrix: dict[str, dict[str, int]] = {s: dict.fromkeys([*states, "none"], 0) for s in states}
    for key, state in start.items():
        row = matrix.setdefault(state, dict.fromkeys([*states, "none"], 0))
        to = end.get(key, "none")
        row[to] = row.get(to, 0) + 1
    return matrix
