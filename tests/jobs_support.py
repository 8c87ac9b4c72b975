"""Waiting for the background jobs of an app under test (its job supervisor)."""

from __future__ import annotations

from typing import Any

from smecredit.services.jobs import JobSupervisor

__all__ = ["settle", "supervisor"]


def supervisor(app_or_client: Any) -> JobSupervisor:
    """The job supervisor of an app, or of the app an ASGI test client talks to."""
    app = app_or_client
    if not hasattr(app, "state"):
        app = app_or_client._transport.app  # httpx.ASGITransport keeps the app it calls
    jobs: JobSupervisor = app.state.jobs
    return jobs


async def settle(app_or_client: Any) -> None:
    """Wait until no job of that app runs."""
    await supervisor(app_or_client).idle()
