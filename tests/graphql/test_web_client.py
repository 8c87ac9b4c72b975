"""The platform serves the built web client at ``/`` (SMECREDIT_WEB_DIST), with deep links
answered by its index.html, the API routes untouched and the strict CSP on every page; the
development GraphiQL comes from the build, never from a CDN."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smecredit.app import create_app
from smecredit.security.http import CSP
from smecredit.settings import DEFAULT_WEB_DIST, Settings, load_settings
from smecredit.web import GRAPHIQL_CSP, page_csp

pytestmark = pytest.mark.anyio

INDEX = (
    '<!doctype html><html><head><meta name="csp-nonce" content="__CSP_NONCE__">'
    '</head><body><div id="root"></div>'
    '<script type="module" src="/assets/main-abc.js"></script></body></html>'
)
_NONCE = re.compile(r'<meta name="csp-nonce" content="([0-9a-f]{32})">')
GRAPHIQL = '<!doctype html><html><body><div id="graphiql">GraphiQL</div></body></html>'


def _build(dist: Path) -> Path:
    (dist / "assets").mkdir(parents=True)
    (dist / "graphiql").mkdir()
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets" / "main-abc.js").write_text("console.log(1)", encoding="utf-8")
    (dist / "graphiql" / "index.html").write_text(GRAPHIQL, encoding="utf-8")
    return dist


def _settings(db: Settings, dist: Path, env: str = "dev") -> Settings:
    environ = {**db.extra, "SMECREDIT_ENV": env, "SMECREDIT_WEB_DIST": str(dist)}
    if env == "prod":
        environ.pop("SMECREDIT_ARGON2_PROFILE", None)
    return load_settings(environ)


async def _client(settings: Settings) -> httpx.AsyncClient:
    app: Any = create_app(settings, manage_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def built(db: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(_settings(db, _build(tmp_path / "dist"))) as c:
        yield c


def test_the_setting_defaults_to_the_checkouts_build() -> None:
    assert load_settings({}).web_dist == DEFAULT_WEB_DIST
    assert DEFAULT_WEB_DIST.parts[-2:] == ("frontend", "dist")
    assert load_settings({"SMECREDIT_WEB_DIST": "/srv/web"}).web_dist == Path("/srv/web")


def _is_index(response: httpx.Response) -> str:
    """The page is the client's index.html with a fresh style nonce; returns the nonce."""
    match = _NONCE.search(response.text)
    assert match, response.text[:200]
    assert _NONCE.sub('<meta name="csp-nonce" content="__CSP_NONCE__">', response.text) == INDEX
    return match.group(1)


async def test_root_and_deep_links_answer_the_index(built: httpx.AsyncClient) -> None:
    nonces = set()
    for path in ("/", "/index.html", "/firms/123", "/applications/new", "/signin"):
        response = await built.get(path)
        assert response.status_code == 200, path
        nonce = _is_index(response)
        nonces.add(nonce)
        assert response.headers["content-type"].startswith("text/html")
        # The platform's CSP, plus <style> elements carrying this response's nonce only.
        assert response.headers["content-security-policy"] == page_csp(nonce)
        assert page_csp(nonce).startswith(CSP + "; style-src 'self' 'nonce-")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
    assert len(nonces) == 5


async def test_assets_are_files_with_long_caching_and_missing_files_404(
    built: httpx.AsyncClient,
) -> None:
    asset = await built.get("/assets/main-abc.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    assert asset.headers["content-security-policy"] == CSP
    for missing in ("/assets/gone-123.js", "/favicon.ico", "/graphiql/", "/graphiql/index.html"):
        assert (await built.get(missing)).status_code == 404, missing


async def test_api_routes_keep_working_beside_the_client(built: httpx.AsyncClient) -> None:
    health = await built.get("/healthz")
    assert health.status_code == 200 and health.json()["database"] is True
    ping = await built.post("/graphql", json={"query": "{ ping }"})
    assert ping.status_code == 200 and "errors" not in ping.json(), ping.text
    assert (await built.get("/metrics")).status_code == 404  # not public, as before
    assert (await built.post("/firms/1", json={})).status_code == 405


async def test_development_graphiql_is_the_builds_local_page(built: httpx.AsyncClient) -> None:
    response = await built.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.text == GRAPHIQL
    assert "unpkg" not in response.text and "cdn" not in response.text.lower()
    assert response.headers["content-security-policy"] == GRAPHIQL_CSP
    assert GRAPHIQL_CSP == CSP + "; font-src 'self' data:"


async def test_production_serves_the_client_but_no_ide(db: Settings, tmp_path: Path) -> None:
    async with await _client(_settings(db, _build(tmp_path / "dist"), env="prod")) as c:
        _is_index(await c.get("/firms/9"))
        ide = await c.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in ide.text.lower()
        assert (await c.get("/graphiql/index.html")).status_code == 404


async def test_without_a_build_root_says_how_to_build_it(db: Settings, tmp_path: Path) -> None:
    async with await _client(_settings(db, tmp_path / "nothing")) as c:
        page = await c.get("/")
        assert page.status_code == 200 and "make web" in page.text
        assert page.headers["content-security-policy"] == CSP
        assert (await c.get("/assets/x.js")).status_code == 404
        ide = await c.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code == 200 and "make web" in ide.text and "GraphiQL" in ide.text
        assert (await c.get("/healthz")).status_code == 200
