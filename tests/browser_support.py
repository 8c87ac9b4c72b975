"""Support of the browser tests (tests/browser): Debian's Chromium, driven by Playwright,
against a real platform.

A session fixture migrates a temporary SQLite database, seeds the demo sample (the demo
users of ``fixtures/demo_users.json`` and a few loans), starts ``smecredit serve`` on a
free port serving the built client (``frontend/dist``: ``make web``), and enrols the risk
analyst's authenticator app through the API so a TOTP sign-in can be tested. Approvers and
risk analysts must use a second factor (``SMECREDIT_MFA_REQUIRED_ROLES``).

They skip only outside CI (``CI`` unset) when Chromium, the ``playwright`` package or the
build is missing; in CI they fail instead. Screenshots of every screen, at phone
(390x844) and desktop (1440x900) size, go to ``$WEB_SCREENSHOTS`` (default
``frontend/screenshots``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "frontend" / "dist"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("WEB_SCREENSHOTS") or ROOT / "frontend" / "screenshots")
BIN = Path(sys.executable).parent
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
USERS = {u["username"]: u for u in json.loads((ROOT / "fixtures" / "demo_users.json").read_text())}


def _chromium() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


def _unavailable() -> str | None:
    if _chromium() is None:
        return "Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (DIST / "index.html").is_file():
        return "the web client is not built (make web)"
    if not AXE.is_file():
        return "frontend/node_modules is missing (npm ci in frontend/)"
    return None


def _require_browser() -> None:
    """Skip when the browser tests cannot run here; in CI (``CI`` set) fail instead."""
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(f"{reason} (in CI this fails)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Platform:
    url: str
    analyst_secret: str
    analyst_recovery_codes: list[str]
    #: The environment the server runs with (for ``smecredit`` commands on its database).
    env: dict[str, str]
    cwd: Path

    def smecredit(self, *args: str, stdin: str | None = None) -> str:
        """Run a ``smecredit`` command against the served database; its output."""
        done = subprocess.run(
            [str(BIN / "smecredit"), *args],
            env=self.env,
            cwd=self.cwd,
            input=stdin,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout


def _enrol(url: str, username: str, password: str) -> tuple[str, list[str]]:
    """Enrol ``username``'s authenticator through the API; its secret and recovery codes."""
    import pyotp

    with httpx.Client(base_url=url, timeout=30) as c:

        def call(query: str, **variables: Any) -> dict[str, Any]:
            answer = c.post("/graphql", json={"query": query, "variables": variables}).json()
            assert "errors" not in answer, answer
            return answer["data"]  # type: ignore[no-any-return]

        call(
            "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
            "{ ... on SignInPayload { mfaEnrollmentRequired } } }",
            u=username,
            p=password,
        )
        secret = call("mutation { enrollTotp { ... on TotpEnrollment { secret } } }")["enrollTotp"][
            "secret"
        ]
        # The previous step's code: the browser's later code is always newer (no replay).
        code = pyotp.TOTP(secret).at(time.time() - 30)
        codes = call(
            "mutation($c: String!) { confirmTotp(code: $c) { ... on RecoveryCodes { codes } } }",
            c=code,
        )
        call("mutation { signOut { __typename } }")
    return str(secret), list(codes["confirmTotp"]["codes"])


@contextlib.contextmanager
def serve_platform(
    tmp: Path, *, seed: tuple[str, ...] = ("--fixtures-only",)
) -> Iterator[Platform]:
    """Migrate and seed a SQLite database in ``tmp``, serve the platform and the built
    client on a free port, enrol the analyst's authenticator; stop the server after."""
    port = _free_port()
    env = {
        **os.environ,
        "SMECREDIT_DATABASE_URL": f"sqlite://{tmp}/web.sqlite3",
        "SMECREDIT_KEY_FILE": str(tmp / "keys.json"),
        "SMECREDIT_ENV": "dev",
        "SMECREDIT_ARGON2_PROFILE": "test",
        "SMECREDIT_WEB_DIST": str(DIST),
        "SMECREDIT_MFA_REQUIRED_ROLES": "approver,risk_analyst",
        "SMECREDIT_DEFAULT_LANGUAGE": "zh-CN",
        "SMECREDIT_SIGNIN_PER_ADDRESS": "1000/minute",
        "SMECREDIT_SIGNIN_PER_USER": "100/minute",
        "SMECREDIT_TRUSTED_PROXIES": "",
    }
    smecredit = str(BIN / "smecredit")
    for command in (["db", "migrate"], ["demo", "seed", *seed]):
        subprocess.run(
            [smecredit, *command], env=env, check=True, cwd=tmp, timeout=900, capture_output=True
        )
    log = (tmp / "serve.log").open("w")
    server = subprocess.Popen(
        [smecredit, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "serve.log").read_text())
            time.sleep(0.2)
        analyst = USERS["analyst"]
        secret, codes = _enrol(url, "analyst", analyst["password"])
        yield Platform(
            url=url, analyst_secret=secret, analyst_recovery_codes=codes, env=env, cwd=tmp
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


#: The book every browser test shares: the demo fixtures and a small synthetic portfolio
#: (firms with evidence, scores, loans through a close of business, warnings).
BOOK_FIRMS = "60"


# One platform for the whole browser suite (seeding and serving cost seconds; tests that
# change data make their own objects). A subprocess, so no event loop is involved.
@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    _require_browser()
    with serve_platform(
        tmp_path_factory.mktemp("browser-platform"), seed=("--firms", BOOK_FIRMS)
    ) as served:
        yield served


# Module scope, not session: Playwright's sync API runs an event loop of its own while it is
# open, and the suite's async (anyio) tests that come after could not run theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


class Page:
    """A Playwright page with what the tests share: sign-in, screenshots, axe, CSP watch."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "error" and "Failed to load resource" not in text:
            self.problems.append(text)

    def goto(self, path: str) -> None:
        self.page.goto(self.url + path)

    def sign_in(self, username: str, password: str | None = None) -> None:
        page = self.page
        if "/signin" not in page.url:
            self.goto("/signin")
        page.locator("#signin_username").fill(username)
        page.locator("#signin_password").fill(password or USERS[username]["password"])
        page.locator("form#signin button[type=submit]").click()

    def wait_for_dashboard(self) -> None:
        self.page.locator("[data-testid=class-chart] canvas").wait_for(timeout=15_000)

    def nav_keys(self) -> set[str]:
        self.page.locator("[data-testid=nav] [data-nav]").first.wait_for()
        return set(
            self.page.locator("[data-testid=nav] [data-nav]").evaluate_all(
                "els => els.map(e => e.dataset.nav)"
            )
        )

    def shoot(self, name: str) -> None:
        """Screenshots of the current screen at phone and desktop size."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page = self.page
        before = page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.wait_for_timeout(500)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"] + 1, (
                f"{name} scrolls sideways at {label} size ({width}px)"
            )
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        if before:
            page.set_viewport_size(before)

    def axe(self) -> None:
        """No serious or critical axe-core violation on the current screen."""
        # evaluate() runs through the DevTools protocol: the page's CSP does not apply.
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, bad

    def assert_clean(self) -> None:
        assert not self.problems, self.problems


@pytest.fixture
def web(platform: Platform, browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = Page(context.new_page(), platform.url)
    try:
        yield page
        page.assert_clean()  # no CSP violation, no script error
    finally:
        context.close()
