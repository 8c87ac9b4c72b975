"""A database seeded by an earlier version gets this version's policy defaults on migrate.

The earlier seed is rebuilt from today's CSV: take away the rules migrations 0005 to 0007
and 0011 add, put back the ones they remove. An administrator's own rule and a default the
administrator removed stay as the administrator left them.
"""

from __future__ import annotations

import importlib
import json

import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from smecredit.db import tortoise_config
from smecredit.security.policy import DEFAULT_POLICY_PATH, Rule, parse_policy_text
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio

#: The migrations that bring seeded policy rules up to date, oldest first.
UPGRADES = [
    importlib.import_module("smecredit.migrations.0005_policy_defaults"),
    importlib.import_module("smecredit.migrations.0006_password_reset"),
    importlib.import_module("smecredit.migrations.0007_dataflow"),
    importlib.import_module("smecredit.migrations.0011_permissions_query"),
    importlib.import_module("smecredit.migrations.0014_api_dialect"),
    importlib.import_module("smecredit.migrations.0015_reports"),
    importlib.import_module("smecredit.migrations.0016_policy_rules"),
    importlib.import_module("smecredit.migrations.0017_decision_feedback_compliance"),
]

#: A rule an administrator added.
ADMIN_RULE = ("p", "viewer", "*", "Firm.uscc", "mask", "allow", "uscc")


def _key(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(values) + ("",) * (7 - len(values))


async def _rows() -> set[tuple[str, ...]]:
    conn = connections.get("default")
    rows = await conn.execute_query_dict("SELECT ptype, v0, v1, v2, v3, v4, v5 FROM policy_rule")
    return {tuple(r[c] for c in ("ptype", "v0", "v1", "v2", "v3", "v4", "v5")) for r in rows}


async def test_a_seeded_policy_is_brought_up_to_the_new_defaults(tmp_path: object) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path}/old.sqlite3")
    config = tortoise_config(settings)
    EXECUTOR_CACHE.clear()
    await migrate(config=config, target="smecredit.0004_accounts_keys")
    today = {_key((r.ptype, *r.values)) for r in _current()}
    added = {_key(r) for upgrade in UPGRADES for r in upgrade.ADDED}
    removed = {_key(r) for upgrade in UPGRADES for r in upgrade.REMOVED}
    old_seed = (today - added) | removed
    await Tortoise.init(config=config)
    try:
        conn = connections.get("default")
        for rule in sorted(old_seed):
            await conn.execute_query(
                "INSERT INTO policy_rule (ptype, v0, v1, v2, v3, v4, v5, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'seed', CURRENT_TIMESTAMP)",
                list(rule),
            )
        await conn.execute_query(
            "INSERT INTO policy_rule (ptype, v0, v1, v2, v3, v4, v5, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'admin', CURRENT_TIMESTAMP)",
            list(ADMIN_RULE),
        )
    finally:
        await Tortoise.close_connections()
    # a default of the old seed that the administrator removed on purpose stays removed
    kept_out = next(r for r in sorted(old_seed) if r[4] == "read" and r[5] == "allow")
    await Tortoise.init(config=config)
    try:
        await connections.get("default").execute_query(
            "DELETE FROM policy_rule WHERE ptype = ? AND v0 = ? AND v1 = ? AND v2 = ? "
            "AND v3 = ? AND v4 = ? AND v5 = ?",
            list(kept_out),
        )
    finally:
        await Tortoise.close_connections()

    EXECUTOR_CACHE.clear()
    await migrate(config=config)
    await Tortoise.init(config=config)
    try:
        assert await _rows() == (today - {kept_out}) | {ADMIN_RULE}
    finally:
        await Tortoise.close_connections()


async def test_roles_seeded_before_labels_existed_get_theirs(tmp_path: object) -> None:
    from smecredit.services.accounts import ROLES_FIXTURE

    settings = Settings(database_url=f"sqlite://{tmp_path}/roles.sqlite3")
    config = tortoise_config(settings)
    EXECUTOR_CACHE.clear()
    await migrate(config=config, target="smecredit.0005_policy_defaults")
    fixture = json.loads(ROLES_FIXTURE.read_text(encoding="utf-8"))
    await Tortoise.init(config=config)
    try:
        conn = connections.get("default")
        for item in [*fixture, {"name": "own_role"}]:
            await conn.execute_query(
                "INSERT INTO role (name, description, description_zh) VALUES (?, '', '')",
                [item["name"]],
            )
    finally:
        await Tortoise.close_connections()
    EXECUTOR_CACHE.clear()
    await migrate(config=config)
    await Tortoise.init(config=config)
    try:
        rows = await connections.get("default").execute_query_dict(
            "SELECT name, label, label_zh FROM role"
        )
    finally:
        await Tortoise.close_connections()
    labels = {r["name"]: (r["label"], r["label_zh"]) for r in rows}
    assert labels == {
        **{item["name"]: (item["label"], item["label_zh"]) for item in fixture},
        "own_role": ("", ""),  # a role of the bank's own keeps what it had
    }


async def test_a_new_database_is_left_for_the_first_start_to_seed(tmp_path: object) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path}/new.sqlite3")
    config = tortoise_config(settings)
    EXECUTOR_CACHE.clear()
    await migrate(config=config)
    await Tortoise.init(config=config)
    try:
        assert await _rows() == set()
    finally:
        await Tortoise.close_connections()


def _current() -> list[Rule]:
    return parse_policy_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
