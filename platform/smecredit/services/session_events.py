"""Tells live connections that their session ended: in this process, and across processes
through Redis when ``SMECREDIT_REDIS_URL`` is set.

A websocket connection (a GraphQL subscription) authenticates once, when it opens; an HTTP
request checks its session every time. So that signing out, revoking sessions or
deactivating a user also ends the subscriptions those sessions hold, every revocation is
announced here (:func:`announce_ended`) and each live connection registers a callback
(:meth:`SessionEvents.watch`). A message names session ids, or a user (every session of
it, possibly but one); it carries no secret and no personal data.

Delivery is best effort: a connection also re-checks its session in the database every
:data:`~smecredit.graphql.session_watch.RECHECK_SECONDS`, which catches what a message
cannot (a revocation by a process without Redis, an expiry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from smecredit.services.warnings.broadcast import RedisBroadcaster

__all__ = [
    "CHANNEL",
    "SessionEvents",
    "Watch",
    "announce_ended",
    "configure",
    "get_session_events",
]

log = logging.getLogger(__name__)

#: Redis pub/sub channel of ended sessions.
CHANNEL = "smecredit:sessions"


@dataclass(eq=False)
class Watch:
    """One live connection's interest in its session.

    Attributes:
        session_id: the connection's session.
        user_id: its user.
        on_end: called once (on the connection's event loop) when the session ends.
    """

    session_id: int
    user_id: int
    on_end: Callable[[], None]
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)

    def concerned(self, message: dict[str, Any]) -> bool:
        """Whether ``message`` ends this watch's session."""
        if self.session_id in message.get("sessions", ()):
            return True
        return message.get("user") == self.user_id and message.get("except") != self.session_id


class SessionEvents:
    """The process's registry of watched sessions, fed locally and (optionally) by Redis.

    Args:
        redis_url: Redis to share revocations with other processes (None: this one only).
    """

    def __init__(self, redis_url: str | None = None) -> None:
        self.redis_url = redis_url
        self._watches: set[Watch] = set()
        self._origin = secrets.token_hex(8)
        self._redis = RedisBroadcaster(redis_url, channel=CHANNEL) if redis_url else None
        self._listener: asyncio.Task[None] | None = None

    @property
    def watching(self) -> int:
        """How many connections are watched (tests, metrics)."""
        return len(self._watches)

    def watch(self, session_id: int, user_id: int, on_end: Callable[[], None]) -> Watch:
        """Call ``on_end`` when the session ends; :meth:`unwatch` when the connection closes."""
        handle = Watch(session_id, user_id, on_end)
        self._watches.add(handle)
        self._ensure_listener()
        return handle

    def unwatch(self, handle: Watch) -> None:
        """Forget a watch (its connection closed)."""
        self._watches.discard(handle)

    async def ended(
        self,
        *,
        session_ids: Iterable[int] = (),
        user_id: int | None = None,
        except_session_id: int | None = None,
    ) -> None:
        """Announce ended sessions: by id, or every session of a user (but one).

        Never raises: the revocation itself is already committed, and connections
        re-check their session anyway.
        """
        message: dict[str, Any] = {"sessions": sorted(set(session_ids)), "origin": self._origin}
        if user_id is not None:
            message["user"] = user_id
            message["except"] = except_session_id
        self._dispatch(message)
        if self._redis is not None:
            try:
                await self._redis.publish(message)
            except Exception:  # Redis down: other processes notice at their next re-check
                log.warning("could not announce ended sessions through Redis", exc_info=True)

    def _dispatch(self, message: dict[str, Any]) -> None:
        for handle in [w for w in self._watches if w.concerned(message)]:
            self._watches.discard(handle)
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if handle.loop is running:
                handle.on_end()
            elif not handle.loop.is_closed():
                handle.loop.call_soon_threadsafe(handle.on_end)

    def _ensure_listener(self) -> None:
        if self._redis is None:
            return
        loop = asyncio.get_running_loop()
        listener = self._listener
        if listener is not None and not listener.done() and listener.get_loop() is loop:
            return
        self._listener = loop.create_task(self._listen())

    async def _listen(self) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.subscribe() as messages:
                    async for message in messages:
                        if message.get("origin") != self._origin:
                            self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("session events: Redis subscription lost; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        """Stop listening (the application's shutdown; tests)."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.close()


_events: SessionEvents | None = None


def configure(settings: Any) -> SessionEvents:
    """Use Redis from ``settings`` (``SMECREDIT_REDIS_URL``) for the process's events."""
    global _events
    url = getattr(settings, "redis_url", None)
    if _events is None or _events.redis_url != url:
        _events = SessionEvents(url)
    return _events


def get_session_events() -> SessionEvents:
    """The process's :class:`SessionEvents` (in-process only until :func:`configure`)."""
    global _events
    if _events is None:
        _events = SessionEvents()
    return _events


async def announce_ended(
    *,
    session_ids: Iterable[int] = (),
    user_id: int | None = None,
    except_session_id: int | None = None,
) -> None:
    """:meth:`SessionEvents.ended` on the process's events."""
    await get_session_events().ended(
        session_ids=session_ids, user_id=user_id, except_session_id=except_session_id
    )
