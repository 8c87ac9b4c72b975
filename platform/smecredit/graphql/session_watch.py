"""A websocket connection lives only as long as its session.

A GraphQL websocket authenticates once, when it opens (:func:`authenticate_context`), and
then carries every subscription (``warningChanged``, ``applicationStatusChanged``, a
plugin's) and any operation sent over it. One mechanism ends them all, whatever the
subscription: each connection with a session gets a :class:`SessionWatch`, which is told
of revocations (sign-out, ``signOutEverywhere``, ``revokeUserSessions``, deactivation, a
password change) through :mod:`smecredit.services.session_events`, and re-checks the
session in the database every :data:`RECHECK_SECONDS` (expiry, a revocation by a process
that could not tell this one). When the session ends, the connection's handler
(:class:`SessionBoundTransportWSHandler`, :class:`SessionBoundWSHandler`) stops every
running operation at once and closes the socket with code :data:`CLOSE_CODE`; until the
socket is gone, :class:`~smecredit.graphql.auth.AuthenticationGuard` refuses anything new
(:func:`session_ended`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from smecredit.services.session_events import Watch, get_session_events

__all__ = [
    "CLOSE_CODE",
    "RECHECK_SECONDS",
    "SessionBoundTransportWSHandler",
    "SessionBoundWSHandler",
    "SessionWatch",
    "session_ended",
]

log = logging.getLogger(__name__)

#: How often a live connection re-checks its session in the database.
RECHECK_SECONDS = 30.0
#: Websocket close code when the session ended (graphql-transport-ws: 4401 Unauthorized).
CLOSE_CODE = 4401
_REASON = "session ended: sign in again"


class SessionWatch:
    """Watches one connection's session; :meth:`end` runs the connection's closer once.

    Args:
        session_id: the session.
        user_id: its user.
        is_live: re-checks the session in the database (False: it has ended).
        recheck_seconds: how often to re-check (default :data:`RECHECK_SECONDS`).
    """

    def __init__(
        self,
        session_id: int,
        user_id: int,
        is_live: Callable[[], Awaitable[bool]],
        *,
        recheck_seconds: float | None = None,
    ) -> None:
        self.session_id = session_id
        self.user_id = user_id
        self.ended = False
        self._is_live = is_live
        self._recheck_seconds = RECHECK_SECONDS if recheck_seconds is None else recheck_seconds
        self._closer: Callable[[], Awaitable[None]] | None = None
        self._watch: Watch | None = None
        self._rechecking: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[None] | None = None

    def start(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Begin watching; ``closer`` ends the connection when the session ends."""
        self._closer = closer
        self._watch = get_session_events().watch(self.session_id, self.user_id, self.end)
        self._rechecking = asyncio.ensure_future(self._recheck())

    def end(self) -> None:
        """The session has ended: close the connection (once)."""
        if self.ended:
            return
        self.ended = True
        if self._closer is not None:
            self._closing = asyncio.ensure_future(self._closer())

    async def _recheck(self) -> None:
        while not self.ended:
            await asyncio.sleep(self._recheck_seconds)
            try:
                live = await self._is_live()
            except Exception:  # a database hiccup is not a revocation; try again later
                log.warning("could not re-check a websocket's session", exc_info=True)
                continue
            if not live:
                self.end()

    async def stop(self) -> None:
        """Stop watching (the connection closed)."""
        if self._watch is not None:
            get_session_events().unwatch(self._watch)
            self._watch = None
        if self._rechecking is not None and self._rechecking is not asyncio.current_task():
            self._rechecking.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._rechecking
        if self._closing is not None:  # let a close in progress finish
            with contextlib.suppress(Exception):
                await self._closing


def session_ended(context: Any) -> bool:
    """Whether the request's websocket session has ended (False for HTTP requests)."""
    watch = getattr(context, "extra", {}).get("session_watch")
    return bool(watch is not None and watch.ended)


def _watch_of(context: Any) -> SessionWatch | None:
    watch = getattr(context, "extra", {}).get("session_watch")
    return watch if isinstance(watch, SessionWatch) else None


class SessionBoundTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws, ending every operation when the connection's session ends."""

    async def handle(self) -> None:
        """Serve the connection, watched."""
        watch = _watch_of(self.context)
        if watch is not None:
            watch.start(self._session_ended)
        try:
            await super().handle()
        finally:
            if watch is not None:
                await watch.stop()

    async def _session_ended(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.websocket.close(CLOSE_CODE, _REASON)


class SessionBoundWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy graphql-ws protocol, ending every operation when the session ends."""

    async def handle(self) -> None:
        """Serve the connection, watched."""
        watch = _watch_of(self.context)
        if watch is not None:
            watch.start(self._session_ended)
        try:
            await super().handle()
        finally:
            if watch is not None:
                await watch.stop()

    async def _session_ended(self) -> None:
        for operation_id in list({*self.subscriptions, *self.tasks}):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):
            await self.websocket.close(CLOSE_CODE, _REASON)
