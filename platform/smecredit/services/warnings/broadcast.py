"""Fan-out of warning changes to live subscribers: in-process, or across processes by Redis.

A message is a small JSON-able dict ``{"ids": [...], "kind": "...", "branches": [...]}``;
subscribers re-read the warnings themselves (through their own row scope), so a message
never carries data a subscriber may not see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

__all__ = [
    "CHANNEL",
    "Broadcaster",
    "InMemoryBroadcaster",
    "RedisBroadcaster",
    "get_broadcaster",
    "reset_broadcasters",
]

log = logging.getLogger(__name__)

#: Redis pub/sub channel of warning changes.
CHANNEL = "smecredit:warnings"
_QUEUE_SIZE = 1000


class Broadcaster(Protocol):
    """Publish messages; subscribe to every message published after subscribing."""

    async def publish(self, message: dict[str, Any]) -> None:
        """Send ``message`` to every current subscriber (never blocks on a slow one)."""
        ...

    def subscribe(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """``async with b.subscribe() as messages: async for m in messages: ...``."""
        ...


class InMemoryBroadcaster:
    """Subscribers in this process: one bounded queue each."""

    def __init__(self) -> None:
        self._queues: dict[asyncio.Queue[dict[str, Any]], asyncio.AbstractEventLoop] = {}

    async def publish(self, message: dict[str, Any]) -> None:
        """Put ``message`` on every queue; a full queue (stalled client) drops it.

        A subscriber may live on another thread's event loop (a server thread next to a
        worker): its queue is then fed through that loop.
        """
        here = asyncio.get_running_loop()
        for queue, loop in list(self._queues.items()):
            if loop is here:
                _offer(queue, message)
            else:
                loop.call_soon_threadsafe(_offer, queue, message)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Register a queue for the duration of the block."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_SIZE)
        self._queues[queue] = asyncio.get_running_loop()

        async def messages() -> AsyncIterator[dict[str, Any]]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._queues.pop(queue, None)

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open (for tests and metrics)."""
        return len(self._queues)


def _offer(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    try:
        queue.put_nowait(message)
    except asyncio.QueueFull:
        log.warning("a warning subscriber is too slow; a change was dropped")


class RedisBroadcaster:
    """Publish on a Redis channel so that every server process hears every scan."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        import redis.asyncio as redis

        self.url = url
        self.channel = channel
        self._client = redis.from_url(url)

    async def publish(self, message: dict[str, Any]) -> None:
        """PUBLISH the message as JSON."""
        await self._client.publish(self.channel, json.dumps(message))

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """SUBSCRIBE for the duration of the block (a connection of its own)."""
        pubsub = self._client.pubsub()
        await pubsub.subscribe(self.channel)

        async def messages() -> AsyncIterator[dict[str, Any]]:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    yield json.loads(raw["data"])

        try:
            yield messages()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe(self.channel)
                await pubsub.aclose()

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()


_broadcasters: dict[str | None, Broadcaster] = {}


def get_broadcaster(settings: Any = None) -> Broadcaster:
    """The process-wide broadcaster for ``settings.redis_url`` (in-memory without one)."""
    url = getattr(settings, "redis_url", None)
    found = _broadcasters.get(url)
    if found is None:
        found = RedisBroadcaster(url) if url else InMemoryBroadcaster()
        _broadcasters[url] = found
    return found


def reset_broadcasters() -> None:
    """Forget the broadcasters (tests; a new event loop needs new Redis clients)."""
    _broadcasters.clear()
