"""Serving the web client (``frontend/``, built by ``make web``) from the platform.

* ``/`` and every path that is not a file of the build answer the client's ``index.html``
  (the client routes in the browser: a deep link such as ``/firms/123`` reloads), except
  paths that look like files (a dot in the last segment: ``/favicon.ico``,
  ``/assets/x.js``) and ``/graphiql/``, which answer 404.
* Hashed files under ``assets/`` are cached for a year; ``index.html`` is never stored.
* The strict CSP of every response stays; ``index.html`` adds one thing, a fresh nonce per
  response for ``<style>`` elements (``style-src 'self' 'nonce-...'``): Ant Design writes
  its theme variables into ``<style>`` elements at run time. The page carries the nonce in
  ``<meta name="csp-nonce">`` (the build's placeholder, :data:`NONCE_PLACEHOLDER`, is
  replaced) and the client hands it to Ant Design. Scripts stay ``'self'`` only.
* Without a build, ``/`` answers a short page saying how to build the client.
* The development GraphiQL is the build's second entry, ``graphiql/index.html``, served by
  ``GET /graphql`` in development mode only (:func:`graphiql_page`); it loads nothing from
  outside the platform, so the platform's strict CSP applies to it as to every page.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from smecredit.security.http import CSP

__all__ = [
    "GRAPHIQL_CSP",
    "NONCE_PLACEHOLDER",
    "NO_BUILD_PAGE",
    "NO_GRAPHIQL_PAGE",
    "WebClient",
    "graphiql_page",
    "has_build",
    "page_csp",
]

#: What ``frontend/index.html`` holds where each response's style nonce goes.
NONCE_PLACEHOLDER = "__CSP_NONCE__"

NO_BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smecredit</title></head>
<body>
<h1>smecredit</h1>
<p>The web client is not built. Build it with <code>make web</code> (needs Node.js 20.19+
and npm: <code>npm ci</code> and <code>npm run build</code> in <code>frontend/</code>), then
reload this page.</p>
<p>The API answers meanwhile: GraphQL at <a href="/graphql">/graphql</a>, health at
<a href="/healthz">/healthz</a>.</p>
<p lang="zh-CN">网页客户端尚未构建：请运行 <code>make web</code>
（需要 Node.js 20.19+ 与 npm）后刷新本页。</p>
</body></html>
"""

NO_GRAPHIQL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smecredit GraphiQL</title></head>
<body>
<h1>GraphiQL</h1>
<p>The development GraphiQL is built with the web client, from local packages (nothing is
loaded from the network): run <code>make web</code> and reload this page. POST GraphQL
requests to <code>/graphql</code> meanwhile.</p>
</body></html>
"""

_INDEX = "index.html"
_GRAPHIQL = Path("graphiql") / "index.html"


def has_build(dist: Path) -> bool:
    """Whether ``dist`` holds a built client (its ``index.html``)."""
    return (dist / _INDEX).is_file()


def graphiql_page(dist: Path) -> Response:
    """The development GraphiQL page of the build, or a page saying how to build it."""
    page = dist / _GRAPHIQL
    if page.is_file():
        # GraphiQL's stylesheet embeds its fonts as data: URIs; nothing else is relaxed.
        headers = {"cache-control": "no-cache", "content-security-policy": GRAPHIQL_CSP}
        return FileResponse(page, media_type="text/html", headers=headers)
    return HTMLResponse(NO_GRAPHIQL_PAGE)


#: The development GraphiQL page's CSP: the platform's, and fonts from data: URIs.
GRAPHIQL_CSP = f"{CSP}; font-src 'self' data:"


def page_csp(nonce: str) -> str:
    """The CSP of a client page: the platform's, plus ``<style>`` elements with ``nonce``."""
    return f"{CSP}; style-src 'self' 'nonce-{nonce}'"


def _looks_like_file(path: str) -> bool:
    return "." in path.rsplit("/", 1)[-1]


class WebClient(StaticFiles):
    """The built client with a single-page-application fallback to its ``index.html``."""

    def __init__(self, dist: Path) -> None:
        super().__init__(directory=dist, html=False, check_dir=False)
        self.dist = dist

    async def check_config(self) -> None:
        # The build may be missing (``/`` then says how to make it) or appear later.
        return None

    def _index(self) -> Response:
        nonce = secrets.token_hex(16)
        page = (self.dist / _INDEX).read_text(encoding="utf-8")
        return HTMLResponse(
            page.replace(NONCE_PLACEHOLDER, nonce),
            headers={"cache-control": "no-store", "content-security-policy": page_csp(nonce)},
        )

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", status_code=405)
        clean = path.strip("/")
        if clean == ".":  # Starlette's name for the mount's root
            clean = ""
        if clean == "graphiql" or clean.startswith("graphiql/"):
            # The IDE is reached through GET /graphql in development only.
            return PlainTextResponse("Not Found", status_code=404)
        if not has_build(self.dist):
            # Checked per request: a build made while the server runs is served at once.
            if _looks_like_file(clean):
                return PlainTextResponse("Not Found", status_code=404)
            return HTMLResponse(NO_BUILD_PAGE, headers={"cache-control": "no-cache"})
        if clean in ("", _INDEX):
            return self._index()
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            if _looks_like_file(clean):
                return PlainTextResponse("Not Found", status_code=404)
            return self._index()
        if clean.startswith("assets/"):
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response
