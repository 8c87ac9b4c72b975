"""``/metrics`` is not public: a bearer token and/or a separate internal listener."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_settings

from smecredit.app import create_app
from smecredit.settings import SettingsError, load_settings

pytestmark = pytest.mark.anyio

TOKEN = "metrics-token-0123456789abcdef"


def _app(tmp_path: Path, **env: str) -> Any:
    return create_app(make_settings(f"sqlite://{tmp_path}/m.sqlite3", **env), manage_db=False)


async def _get(app: Any, path: str, base: str = "http://testserver", **headers: str) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base) as c:
        return await c.get(path, headers=headers)


async def test_metrics_answer_404_when_neither_token_nor_address_is_configured(
    tmp_path: Path,
) -> None:
    for mode in ("dev", "prod"):
        app = _app(tmp_path, SMECREDIT_ENV=mode, SMECREDIT_ARGON2_PROFILE="")
        response = await _get(app, "/metrics")
        assert response.status_code == 404, mode
        assert "smecredit_" not in response.text


async def test_metrics_need_the_bearer_token(tmp_path: Path) -> None:
    app = _app(tmp_path, SMECREDIT_METRICS_TOKEN=TOKEN)
    anonymous = await _get(app, "/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert "smecredit_" not in anonymous.text
    wrong = await _get(app, "/metrics", authorization=f"Bearer {TOKEN[:-1]}x")
    assert wrong.status_code == 401
    basic = await _get(app, "/metrics", authorization=f"Basic {TOKEN}")
    assert basic.status_code == 401
    ok = await _get(app, "/metrics", authorization=f"Bearer {TOKEN}")
    assert ok.status_code == 200
    assert "smecredit_http_requests_total" in ok.text


async def test_metrics_only_on_the_internal_listener(tmp_path: Path) -> None:
    app = _app(tmp_path, SMECREDIT_METRICS_ADDRESS="127.0.0.1:9109")
    # The public listener (any other local address) does not serve them, whatever the Host.
    public = await _get(app, "/metrics")
    assert public.status_code == 404
    forged_host = await _get(app, "/metrics", host="127.0.0.1:9109")
    assert forged_host.status_code == 404
    internal = await _get(app, "/metrics", "http://127.0.0.1:9109")
    assert internal.status_code == 200 and "smecredit_uptime_seconds" in internal.text
    # ... and the internal listener serves nothing but metrics and health.
    graphql = await _get(app, "/graphql", "http://127.0.0.1:9109")
    assert graphql.status_code == 404
    health = await _get(app, "/healthz", "http://127.0.0.1:9109")
    assert health.status_code in (200, 503)


async def test_token_and_internal_listener_together(tmp_path: Path) -> None:
    app = _app(tmp_path, SMECREDIT_METRICS_ADDRESS="127.0.0.1:9109", SMECREDIT_METRICS_TOKEN=TOKEN)
    internal = "http://127.0.0.1:9109"
    assert (await _get(app, "/metrics", internal)).status_code == 401
    bearer = f"Bearer {TOKEN}"
    assert (await _get(app, "/metrics", internal, authorization=bearer)).status_code == 200
    public = await _get(app, "/metrics", authorization=f"Bearer {TOKEN}")
    assert public.status_code == 404


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SMECREDIT_METRICS_TOKEN": "short"}, "SMECREDIT_METRICS_TOKEN"),
        ({"SMECREDIT_METRICS_ADDRESS": "9100"}, "SMECREDIT_METRICS_ADDRESS"),
        ({"SMECREDIT_METRICS_ADDRESS": "127.0.0.1:http"}, "SMECREDIT_METRICS_ADDRESS"),
    ],
)
def test_bad_metrics_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable)
