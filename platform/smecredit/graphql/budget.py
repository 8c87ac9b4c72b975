"""Cheap refusals in the HTTP layer, before strawberry parses anything.

Three checks, each costing a fraction of what the work it prevents would cost:

* :class:`AnonymousBodyLimit` (ASGI middleware): a POST to ``/graphql`` that carries no
  credential (no ``Authorization`` header, no session cookie) comes from a caller who may
  only run ``ping``, ``me`` and ``signIn``, so its body may hold at most
  :data:`ANONYMOUS_BODY_BYTES`. Decided from the headers alone - no database round trip
  - and before the body is read: a declared ``Content-Length`` over the limit is refused
  at once (413), a body streamed without one is cut off at the limit.
* :func:`decode_request_json`: the request body as JSON, refused with 400 when it is
  nested more than :data:`MAX_JSON_DEPTH` levels (Python's decoder would otherwise raise
  ``RecursionError`` at about a thousand, a 500) or holds an integer too long to convert.
* :func:`document_refusal`: a caller who is not signed in (including one whose token
  turned out to be invalid) sends documents of at most
  :data:`~smecredit.graphql.documents.RESTRICTED_BUDGET`, counted with graphql-core's
  lexer, which stops at the budget: a 20 KB document of 4,000 fields is refused after
  reading its first few hundred tokens, never parsed whole nor validated.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, Lexer, Source, TokenKind
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionResult

from smecredit.graphql.documents import FULL_BUDGET, DocumentBudget, budget_for

__all__ = [
    "ANONYMOUS_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "AnonymousBodyLimit",
    "count_tokens",
    "decode_request_json",
    "document_refusal",
    "json_depth_exceeds",
]

#: Largest body of a request without credentials (a sign-in is well under 1 KB).
ANONYMOUS_BODY_BYTES = 16 * 1024
#: Deepest nesting of a request's JSON (variables included).
MAX_JSON_DEPTH = 64


def _refusal_body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()


class AnonymousBodyLimit:
    """Caps the body of credential-less POSTs to ``/graphql`` (413 beyond the cap).

    Args:
        app: the ASGI app.
        cookie_name: the session cookie's name (a request carrying it has a credential).
        path: the GraphQL path.
        max_bytes: the cap.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        cookie_name: str,
        path: str = "/graphql",
        max_bytes: int = ANONYMOUS_BODY_BYTES,
    ) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.path = path
        self.max_bytes = max_bytes

    def _has_credential(self, headers: Headers) -> bool:
        if headers.get("authorization"):
            return True
        return any(
            part.strip().startswith(f"{self.cookie_name}=")
            for part in headers.get("cookie", "").split(";")
        )

    async def _refuse(self, send: Send) -> None:
        body = _refusal_body(
            "PAYLOAD_TOO_LARGE",
            f"a request without credentials may be at most {self.max_bytes:,} bytes: sign in first",
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self._has_credential(headers):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # The app sees the client go away; the refusal is sent below.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)
        if exceeded and not started:
            await self._refuse(send)


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` (decoded JSON) nests more than ``limit`` levels (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def decode_request_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> object:
    """Decode a request body, refusing what would otherwise end in a server error.

    Raises:
        HTTPException: 400 for invalid JSON, nesting deeper than ``max_depth`` levels, or
            an integer longer than Python converts.
    """
    try:
        value = json.loads(data)
    except RecursionError:
        value = None
        deep = True
    except json.JSONDecodeError:
        raise HTTPException(400, "Unable to parse request body as JSON") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise HTTPException(400, f"Unable to parse request body as JSON: {error}") from None
    else:
        deep = json_depth_exceeds(value, max_depth)
    if deep:
        raise HTTPException(400, f"The request's JSON is nested more than {max_depth} levels deep")
    return value


def count_tokens(query: str, limit: int) -> int:
    """Lexical tokens of ``query`` (comments included), counting no further than ``limit + 1``.

    A document that does not lex counts the tokens before the fault: the parser will
    report the syntax error itself.
    """
    lexer = Lexer(Source(query))
    count = 0
    try:
        while count <= limit:
            token = lexer.advance()
            if token.kind is TokenKind.EOF:
                break
            count += 1
    except GraphQLSyntaxError:
        pass
    return count


def _too_large(message: str) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(message, extensions={"code": "DOCUMENT_TOO_LARGE"})]
    )


def document_refusal(query: Any, context: Any) -> ExecutionResult | None:
    """A refusal when ``query`` exceeds the document budget of the caller, else None.

    Only callers held to the restricted budget are counted here (their budget is small,
    so counting is cheap); the parser enforces every budget again (websockets too).
    """
    budget: DocumentBudget = budget_for(context)
    if not isinstance(query, str) or budget is FULL_BUDGET:
        return None
    if len(query) > budget.max_chars:
        return _too_large(
            f"the document has {len(query):,} characters; sign in to send more than "
            f"{budget.max_chars:,}"
        )
    if count_tokens(query, budget.max_tokens) > budget.max_tokens:
        return _too_large(
            f"the document has more than {budget.max_tokens} tokens; sign in to send more"
        )
    return None
