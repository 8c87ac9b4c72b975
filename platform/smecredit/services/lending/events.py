"""In-memory broadcast of application status changes (for GraphQL subscriptions).

One process only: a multi-process deployment would put a broker (Redis pub/sub) behind the
same two functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

__all__ = ["StatusChange", "publish", "subscribe", "subscriber_count"]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One committed transition.

    Attributes:
        application_id: the application.
        loan_id: its loan, once disbursed.
        action: the action applied.
        from_state: state before.
        to_state: state after.
        actor: who acted.
        at: when.
        branch_code: the application's branch (subscribers filter on it).
    """

    application_id: int
    loan_id: int | None
    action: str
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    branch_code: str


_queues: set[asyncio.Queue[StatusChange]] = set()


def publish(change: StatusChange) -> None:
    """Deliver ``change`` to every subscriber (never blocks: a full queue drops the oldest)."""
    for queue in list(_queues):
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait(change)


def subscriber_count() -> int:
    """How many subscriptions are listening."""
    return len(_queues)


async def subscribe(maxsize: int = 1000) -> AsyncIterator[StatusChange]:
    """Yield every change published from now on, until the consumer stops."""
    queue: asyncio.Queue[StatusChange] = asyncio.Queue(maxsize=maxsize)
    _queues.add(queue)
    try:
        while True:
            yield await queue.get()
    finally:
        _queues.discard(queue)
