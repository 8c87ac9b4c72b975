"""The real server, as `make demo` runs it: migrate, seed, `smecredit serve`, then HTTP.

Catches what in-process ASGI tests cannot: the lifespan opening the database in
one task while requests run in others, the console script, uvicorn settings.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SIGN_IN = (
    'mutation { signIn(username: "admin", password: "Demo!Lotus-2024hq") '
    "{ ... on SignInPayload { token } } }"
)
FAILED_SIGN_IN = (
    'mutation($u: String!) { signIn(username: $u, password: "wrong-Password-1") '
    "{ ... on SignInPayload { token } ... on BusinessError { code } } }"
)
FAILED_SIGN_IN_AUDIT = (
    '{ auditLog(first: 20, filter: {action: "auth.sign_in_failed"}) '
    "{ edges { node { sourceAddress } } } }"
)
FIRMS_PAGE = (
    "{ firms(first: 5) { totalCount"
    " edges { node { uscc loans(first: 1) { edges { node { loanRef } } } } } } }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_served_platform_answers_health_sign_in_and_queries(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SMECREDIT_DATABASE_URL": f"sqlite://{tmp_path}/demo.sqlite3",
        "SMECREDIT_KEY_FILE": str(tmp_path / "keys.json"),
        "SMECREDIT_ENV": "dev",
        # No trusted proxy: forwarded headers must change no address (uvicorn alone would
        # believe X-Forwarded-For from 127.0.0.1, where this test's client is).
        "SMECREDIT_TRUSTED_PROXIES": "",
        "SMECREDIT_SIGNIN_PER_ADDRESS": "3/minute",
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    smecredit = str(BIN / "smecredit")
    subprocess.run([smecredit, "db", "migrate"], env=env, check=True, cwd=tmp_path, timeout=120)
    seeded = subprocess.run(
        [smecredit, "demo", "seed", "--fixtures-only"],
        env=env,
        check=True,
        cwd=tmp_path,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert "admin" in seeded.stdout and "officer.hz" in seeded.stdout
    port = _free_port()
    metrics_port = _free_port()
    env["SMECREDIT_METRICS_ADDRESS"] = f"127.0.0.1:{metrics_port}"
    server = subprocess.Popen(
        [smecredit, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert health.status_code == 200 and health.json()["database"] is True

        sign_in = httpx.post(
            f"{base}/graphql",
            json={"query": SIGN_IN},
            timeout=30,
        ).json()
        token = sign_in["data"]["signIn"]["token"]
        page = httpx.post(
            f"{base}/graphql",
            json={"query": FIRMS_PAGE},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        assert "errors" not in page, page
        assert page["data"]["firms"]["totalCount"] == 12
        anonymous = httpx.post(
            f"{base}/graphql", json={"query": "{ firms(first: 1) { totalCount } }"}, timeout=30
        )
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        # /metrics only on the internal listener, which serves nothing else.
        assert httpx.get(f"{base}/metrics", timeout=5).status_code == 404
        internal = f"http://127.0.0.1:{metrics_port}"
        metrics = httpx.get(f"{internal}/metrics", timeout=5)
        assert metrics.status_code == 200 and "smecredit_http_requests_total" in metrics.text
        assert httpx.post(f"{internal}/graphql", json={"query": "{ ping }"}).status_code == 404

        # Forged forwarded headers neither buy a fresh per-address budget nor an address
        # in the audit trail: 3 failures from 127.0.0.1, whatever they claim, exhaust it.
        def failed_sign_in(n: int) -> dict[str, object]:
            forged = {
                "X-Forwarded-For": f"203.0.113.{n}",
                "X-Real-IP": f"198.51.100.{n}",
                "Forwarded": f"for=192.0.2.{n}",
            }
            response = httpx.post(
                f"{base}/graphql",
                json={"query": FAILED_SIGN_IN, "variables": {"u": f"ghost{n}"}},
                headers=forged,
                timeout=30,
            )
            return response.json()  # type: ignore[no-any-return]

        codes = [failed_sign_in(n)["data"]["signIn"]["code"] for n in range(1, 5)]  # type: ignore[index]
        assert codes == ["INVALID_CREDENTIALS"] * 3 + ["TOO_MANY_ATTEMPTS"], codes
        audit = httpx.post(
            f"{base}/graphql",
            json={"query": FAILED_SIGN_IN_AUDIT},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        addresses = {e["node"]["sourceAddress"] for e in audit["data"]["auditLog"]["edges"]}
        assert addresses == {"127.0.0.1"}, audit
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
