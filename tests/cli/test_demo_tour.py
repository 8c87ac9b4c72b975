"""The printed demo tour names real demo users and covers every role they hold."""

from __future__ import annotations

import json

from smecredit.cli.demo_tour import TOUR, format_tour
from smecredit.services.accounts import DEMO_USERS_FIXTURE


def test_every_demo_user_has_a_stop_and_every_stop_names_demo_users() -> None:
    users = {u["username"] for u in json.loads(DEMO_USERS_FIXTURE.read_text(encoding="utf-8"))}
    named = {name.strip() for stop in TOUR for name in stop.username.split("/")}
    assert named == users
    assert all(stop.tries for stop in TOUR)


def test_the_tour_prints_one_block_per_role() -> None:
    text = format_tour()
    for stop in TOUR:
        assert f"sign in as {stop.username}:" in text
    assert "TAX-EASY" in text and "关注" in text
