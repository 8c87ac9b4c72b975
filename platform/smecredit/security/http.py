"""HTTP hardening: security headers, the GraphQL request guard, CORS, client addresses and
who may read ``/metrics``.

The guard in front of ``/graphql`` refuses, before any GraphQL work is done:

* bodies over the size limit (413),
* POSTs whose content type is not ``application/json`` (415): HTML forms can only send
  ``application/x-www-form-urlencoded``, ``multipart/form-data`` or ``text/plain`` without a
  CORS preflight, so this alone stops cross-site request forgery through forms,
* POSTs from a foreign ``Origin`` that is not in the CORS allow-list (403),
* GET requests in production (405): GET may never run mutations (strawberry refuses them),
  and production serves no GraphiQL and no queries through links either.

Client addresses (sign-in throttling, audit rows) come from the TCP peer. Only when that
peer is one of ``SMECREDIT_TRUSTED_PROXIES`` is its ``X-Forwarded-For`` believed, and
then only the right-most hop that is not itself a trusted proxy (the one the last proxy
saw). ``X-Real-IP`` and ``Forwarded`` are never believed: a proxy that manages one
header passes the others through as the client wrote them, so honouring several would let
a client pick its own address. :class:`TrustedProxyMiddleware` writes the result into the
ASGI scope, so every reader of ``request.client`` agrees; ``smecredit serve`` gives
uvicorn's own proxy handling the same list (uvicorn would otherwise trust 127.0.0.1).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smecredit.settings import Settings

__all__ = [
    "CSP",
    "MAX_BODY_BYTES",
    "GraphQLRequestGuard",
    "MetricsListenerGuard",
    "SecurityHeadersMiddleware",
    "TrustedProxyMiddleware",
    "client_address",
    "forwarded_client",
    "metrics_refusal",
    "on_metrics_listener",
    "security_middleware",
    "trusted_proxies",
]

MAX_BODY_BYTES = 1024 * 1024
"""Largest accepted request body (1 MiB): GraphQL documents are small."""

CSP = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
"""Content-Security-Policy of every response, the web client and the development GraphiQL
included: both are built from local packages (:mod:`smecredit.web`), nothing is inline and
nothing comes from another origin."""

_HSTS = "max-age=63072000; includeSubDomains"


def trusted_proxies(settings: Settings) -> tuple[str, ...]:
    """Addresses or networks of reverse proxies whose ``X-Forwarded-For`` is believed.

    From ``SMECREDIT_TRUSTED_PROXIES`` (comma-separated, e.g. ``10.0.0.5,10.1.0.0/16``;
    validated by :func:`~smecredit.settings.load_settings`). Empty: no proxy is trusted.

    Args:
        settings: the platform settings.

    Returns:
        The entries.
    """
    return tuple(settings.trusted_proxies)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address: str | None, proxies: Sequence[str]) -> bool:
    if not address or not proxies:
        return False
    ip = _ip(address)
    if ip is None:
        return False
    for entry in proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def forwarded_client(peer: str | None, forwarded_for: str, proxies: Sequence[str]) -> str | None:
    """The client behind trusted proxies, or None when the headers are not to be believed.

    Args:
        peer: the TCP peer's address.
        forwarded_for: the ``X-Forwarded-For`` value(s), comma-joined.
        proxies: trusted proxies (see :func:`trusted_proxies`).

    Returns:
        The right-most hop that is not a trusted proxy, when ``peer`` is trusted and that
        hop is an IP address; None otherwise (the peer itself is then the client).
    """
    if not _is_trusted(peer, proxies):
        return None
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if _is_trusted(hop, proxies):
            continue
        # A trusted proxy appended this hop; anything but an address is a broken chain.
        ip = _ip(hop)
        return str(ip) if ip is not None else None
    return None


def client_address(conn: HTTPConnection, proxies: Sequence[str] = ()) -> str:
    """The client's address, looking through trusted proxies only.

    Behind :class:`TrustedProxyMiddleware` the scope already holds the client; looking
    again changes nothing (the client is not a trusted proxy, or has no more hops).

    Args:
        conn: the request or websocket.
        proxies: trusted proxies (see :func:`trusted_proxies`).

    Returns:
        The address, or ``"unknown"``.
    """
    peer = conn.client.host if conn.client else None
    behind = forwarded_client(peer, conn.headers.get("x-forwarded-for", ""), proxies)
    return behind or peer or "unknown"


class TrustedProxyMiddleware:
    """Puts the client behind trusted proxies into ``scope["client"]`` (HTTP and websockets).

    Without trusted proxies it does nothing: forwarded headers then change no address.
    """

    def __init__(self, app: ASGIApp, *, proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.proxies = tuple(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxies and scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = client[0] if client else None
            forwarded = ",".join(
                v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"
            )
            behind = forwarded_client(peer, forwarded, self.proxies)
            if behind is not None:
                scope = {**scope, "client": (behind, 0)}
        await self.app(scope, receive, send)


def on_metrics_listener(scope: Scope, settings: Settings) -> bool:
    """Whether a connection came in on the internal ``SMECREDIT_METRICS_ADDRESS`` listener.

    Judged by the local socket the connection arrived on (``scope["server"]``), never by a
    header the client writes.
    """
    address = settings.metrics_address
    server = scope.get("server")
    if address is None or not server:
        return False
    host, port = address
    if server[1] != port:
        return False
    return host in ("0.0.0.0", "::", "") or str(server[0]) == host


def metrics_refusal(conn: HTTPConnection, settings: Settings) -> Response | None:
    """None when ``/metrics`` may answer this request, else the answer to send instead.

    * ``SMECREDIT_METRICS_ADDRESS`` set: only connections to that listener are served (404
      on the public one);
    * ``SMECREDIT_METRICS_TOKEN`` set: ``Authorization: Bearer <token>`` is required
      (compared in constant time; 401 otherwise), on whichever listener serves it;
    * neither: 404 - operational data is not public.
    """
    token = settings.metrics_token
    if settings.metrics_address is not None:
        if not on_metrics_listener(conn.scope, settings):
            return PlainTextResponse("Not Found", status_code=404)
    elif token is None:
        return PlainTextResponse("Not Found", status_code=404)
    if token is not None:
        scheme, _, given = conn.headers.get("authorization", "").partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8"), token.encode("utf-8")
        )
        if not ok:
            return PlainTextResponse(
                "metrics need a bearer token",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    return None


#: What the internal metrics listener answers: the metrics and the health probes.
_LISTENER_PATHS = frozenset({"/metrics", "/healthz", "/livez", "/readyz"})


class MetricsListenerGuard:
    """The internal metrics listener serves ``/metrics`` and the probes only: 404 else."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and on_metrics_listener(scope, self.settings):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            if scope.get("path") not in _LISTENER_PATHS:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _behind_tls(scope: Scope, tls: bool, proxies: Sequence[str]) -> bool:
    if tls or scope.get("scheme") in ("https", "wss"):
        return True
    client = scope.get("client")
    peer = client[0] if client else None
    if _is_trusted(peer, proxies):
        proto = Headers(scope=scope).get("x-forwarded-proto", "")
        return proto.split(",")[0].strip().lower() == "https"
    return False


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer, framing and (behind TLS) HSTS headers to every response."""

    def __init__(self, app: ASGIApp, *, tls: bool = False, proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.tls = tls
        self.proxies = tuple(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = _behind_tls(scope, self.tls, self.proxies)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if hsts:
                    extra.append((b"strict-transport-security", _HSTS.encode()))
                if scope.get("path", "").startswith("/graphql"):
                    extra.append((b"cache-control", b"no-store"))
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class GraphQLRequestGuard:
    """Refuses oversized, non-JSON, cross-origin and (in production) GET requests to GraphQL."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str = "/graphql",
        max_body_bytes: int = MAX_BODY_BYTES,
        allow_get: bool = True,
        allowed_origins: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes
        self.allow_get = allow_get
        self.allowed_origins = frozenset(o.rstrip("/") for o in allowed_origins)

    def _origin_allowed(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True  # non-browser clients send no Origin
        if origin.rstrip("/") in self.allowed_origins:
            return True
        return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = Headers(scope=scope)
        if method == "GET" and not self.allow_get:
            await _refuse(send, 405, "METHOD_NOT_ALLOWED", "GraphQL accepts only POST here")
            return
        if method != "POST":
            await self.app(scope, receive, send)
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            await _refuse(
                send, 415, "UNSUPPORTED_MEDIA_TYPE", "GraphQL requests must be application/json"
            )
            return
        if not self._origin_allowed(headers):
            await _refuse(send, 403, "ORIGIN_NOT_ALLOWED", "requests from this origin are refused")
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(send, 413, "PAYLOAD_TOO_LARGE", "request body is too large")
            return
        # Read the body here (bounded) so a missing or lying Content-Length cannot
        # stream more than the limit into the GraphQL parser.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _refuse(send, 413, "PAYLOAD_TOO_LARGE", "request body is too large")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def security_middleware(settings: Settings) -> list[Middleware]:
    """The hardening middleware stack for the app, outermost first.

    Args:
        settings: the platform settings (``SMECREDIT_TLS``, ``SMECREDIT_TRUSTED_PROXIES``,
            ``SMECREDIT_CORS_ORIGINS``, ``SMECREDIT_MAX_BODY_BYTES``,
            ``SMECREDIT_METRICS_ADDRESS``).

    Returns:
        Starlette middleware definitions.
    """
    proxies = trusted_proxies(settings)
    limit = settings.max_body_bytes or MAX_BODY_BYTES
    stack = [
        Middleware(TrustedProxyMiddleware, proxies=proxies),
        Middleware(MetricsListenerGuard, settings=settings),
        Middleware(SecurityHeadersMiddleware, tls=settings.tls, proxies=proxies),
    ]
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["POST", "GET", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
                allow_credentials=True,
                max_age=600,
            )
        )
    stack.append(
        Middleware(
            GraphQLRequestGuard,
            max_body_bytes=limit,
            allow_get=settings.is_dev,
            allowed_origins=settings.cors_origins,
        )
    )
    return stack
