"""``smecredit users ...``, ``smecredit audit verify`` and the demo logins of ``demo seed``."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.cli import cli
from smecredit.db import tortoise_config
from smecredit.settings import load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    environ = {"SMECREDIT_DATABASE_URL": url, "SMECREDIT_ARGON2_PROFILE": "test"}

    async def create() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings(environ)))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()

    asyncio.run(create())
    EXECUTOR_CACHE.clear()
    return environ


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    EXECUTOR_CACHE.clear()
    result = CliRunner().invoke(cli, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def db_file(env: dict[str, str]) -> str:
    return env["SMECREDIT_DATABASE_URL"].removeprefix("sqlite://")


def test_users_lifecycle(env: dict[str, str]) -> None:
    code, out = run(
        env,
        "users",
        "create",
        "wang.fang",
        "--role",
        "approver",
        "--role",
        "viewer",
        "--branch",
        "hz01",
        "--password-stdin",
        stdin="Strong#Pass-1234\n",
    )
    assert code == 0, out
    assert "created user wang.fang" in out and "roles=approver,viewer branch=HZ01" in out
    code, out = run(
        env,
        "users",
        "create",
        "weak",
        "--role",
        "viewer",
        "--branch",
        "HQ",
        "--password-stdin",
        stdin="abc\n",
    )
    assert code != 0 and "WEAK_PASSWORD" in out
    code, out = run(
        env, "users", "set-roles", "wang.fang", "--role", "credit_committee", "--branch", "HQ"
    )
    assert code == 0 and "roles=credit_committee branch=HQ" in out
    code, out = run(env, "users", "deactivate", "wang.fang")
    assert code == 0, out
    code, out = run(env, "users", "list")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("wang.fang"))
    assert "credit_committee" in line and "inactive" in line
    code, out = run(env, "users", "deactivate", "nobody")
    assert code != 0 and "USER_NOT_FOUND" in out


def test_audit_verify_reports_ok_then_the_tampered_row(env: dict[str, str]) -> None:
    for name in ("a.one", "a.two", "a.three"):
        code, out = run(
            env,
            "users",
            "create",
            name,
            "--role",
            "viewer",
            "--branch",
            "HQ",
            "--password-stdin",
            stdin="Strong#Pass-1234\n",
        )
        assert code == 0, out
    code, out = run(env, "audit", "verify")
    assert code == 0 and out.startswith("OK: 3 audit rows verified"), out
    with sqlite3.connect(db_file(env)) as conn:
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    code, out = run(env, "audit", "verify")
    assert code == 1 and "BROKEN at seq 2" in out, out
    with sqlite3.connect(db_file(env)) as conn:
        conn.execute("UPDATE audit_log SET actor = 'system' WHERE seq = 2")
        conn.execute("DELETE FROM audit_log WHERE seq = 3")
    code, out = run(env, "audit", "verify")
    assert code == 1 and "BROKEN at seq 3 (truncated)" in out, out


def test_demo_seed_prints_the_demo_logins(env: dict[str, str]) -> None:
    code, out = run(env, "demo", "seed", "--fixtures-only")
    assert code == 0, out
    assert "demo logins" in out
    for username, role, branch in (
        ("admin", "admin", "HQ"),
        ("officer.hz", "loan_officer", "HZ01"),
    ):
        line = next(x for x in out.splitlines() if x.strip().startswith(username + " "))
        assert role in line and branch in line and "Demo!" in line


def test_users_create_refuses_a_demo_password_in_production(
    env: dict[str, str], tmp_path: Path
) -> None:
    from smecredit.security.crypto import generate_key_file

    generate_key_file(tmp_path / "keys.json")
    prod = {
        **{k: v for k, v in env.items() if k != "SMECREDIT_ARGON2_PROFILE"},
        "SMECREDIT_ENV": "prod",
        "SMECREDIT_KEY_FILE": str(tmp_path / "keys.json"),
    }
    args = ("users", "create", "li.na", "--role", "viewer", "--branch", "HQ", "--password-stdin")
    code, out = run(prod, *args, stdin="Demo!Lotus-2024hq\n")
    assert code != 0 and "WEAK_PASSWORD" in out and "password refused" in out, out
    assert "published" in out
    code, out = run(prod, "users", "list")
    assert "li.na" not in out


def _user_row(env: dict[str, str], username: str) -> tuple[str, int, int]:
    with sqlite3.connect(db_file(env)) as conn:
        row = conn.execute(
            "SELECT password_hash, must_change_password, active FROM app_user WHERE username = ?",
            (username,),
        ).fetchone()
    return str(row[0]), int(row[1]), int(row[2])


def _audit_rows(env: dict[str, str], action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db_file(env)) as conn:
        rows = conn.execute(
            "SELECT actor, resource FROM audit_log WHERE action = ? ORDER BY seq", (action,)
        ).fetchall()
    return [(str(a), str(r)) for a, r in rows]


def test_users_reset_password_and_reactivate(env: dict[str, str]) -> None:
    from smecredit.security.passwords import verify_password

    create = ("users", "create", "zhao.lei", "--role", "viewer", "--branch", "HQ")
    code, out = run(env, *create, "--password-stdin", stdin="Strong#Pass-1234\n")
    assert code == 0, out
    code, out = run(env, "users", "reset-password", "zhao.lei")
    assert code == 0, out
    assert "password change is required at the next sign-in" in out
    temporary = out.split("temporary password (shown once): ", 1)[1].strip()
    password_hash, must_change, _ = _user_row(env, "zhao.lei")
    assert must_change == 1 and verify_password(password_hash, temporary)
    assert not verify_password(password_hash, "Strong#Pass-1234")
    # A chosen temporary password meets the password rules and is never printed.
    code, out = run(env, "users", "reset-password", "zhao.lei", "--password-stdin", stdin="abc\n")
    assert code != 0 and "WEAK_PASSWORD" in out and "temporaryPassword" in out, out
    code, out = run(
        env, "users", "reset-password", "zhao.lei", "--password-stdin", stdin="Chosen#Temp-97531\n"
    )
    assert code == 0 and "Chosen#Temp-97531" not in out and "shown once" not in out, out
    assert verify_password(_user_row(env, "zhao.lei")[0], "Chosen#Temp-97531")
    assert len(_audit_rows(env, "user.reset_password")) == 2
    assert {a for a, _ in _audit_rows(env, "user.reset_password")} == {"system"}

    code, out = run(env, "users", "reactivate", "zhao.lei")
    assert code != 0 and "USER_ACTIVE" in out, out
    assert run(env, "users", "deactivate", "zhao.lei")[0] == 0
    assert _user_row(env, "zhao.lei")[2] == 0
    code, out = run(env, "users", "reactivate", "zhao.lei")
    assert code == 0 and "user zhao.lei reactivated" in out, out
    assert _user_row(env, "zhao.lei")[2] == 1
    resource = _audit_rows(env, "user.reactivate")
    assert len(resource) == 1 and resource[0][0] == "system"
    code, out = run(env, "audit", "verify")
    assert code == 0, out
    code, out = run(env, "users", "reset-password", "nobody")
    assert code != 0 and "USER_NOT_FOUND" in out


def test_users_roles_lists_every_role_in_both_languages(env: dict[str, str]) -> None:
    from smecredit.security.principal import ROLES

    code, out = run(env, "users", "roles")
    assert code == 0, out
    heads = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert heads == sorted(ROLES)
    assert "loan_officer  Loan officer / 客户经理" in out
    lines = out.splitlines()
    may = {
        lines[i].split()[0]: lines[i + 3].removeprefix("  may: ").split(", ")
        for i in range(len(lines))
        if not lines[i].startswith(" ")
    }
    assert {"user.reset_password", "user.reactivate", "user.create"} <= set(may["admin"])
    assert "user.reset_password" not in may["loan_officer"] and may["viewer"] == ["-"]
