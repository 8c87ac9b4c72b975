"""``smecredit users``: create, list, re-role, deactivate and reactivate accounts, reset
passwords and list the roles, from the shell.

The shell is the operator's: these commands act as the platform itself
(:data:`~smecredit.security.operations.SYSTEM`, audit actor ``system``), which is how the
first administrator is made.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import run_with_db, settings_or_exit
from smecredit.errors import ApiError
from smecredit.security.errors import SecurityError
from smecredit.security.operations import SYSTEM

if TYPE_CHECKING:
    from smecredit.services.accounts import DemoLogin
    from smecredit.settings import Settings

__all__ = ["format_demo_logins", "users"]


def format_demo_logins(logins: Sequence[DemoLogin]) -> str:
    """The demo logins as a table for ``smecredit demo seed`` (passwords are demo-only)."""
    rows = [(x.username, x.password, ",".join(x.roles), x.branch_code) for x in logins]
    header = ("USERNAME", "PASSWORD", "ROLE", "BRANCH")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = ["demo logins (published demo-only passwords: never use them in production):"]
    for row in (header, *rows):
        lines.append(
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
        )
    return "\n".join(lines)


@click.group(help="Manage user accounts (the operator acts as administrator).")
def users() -> None:
    """The ``users`` command group."""


def _fail(exc: SecurityError | ApiError) -> click.ClickException:
    return click.ClickException(f"{exc.code}: {exc}")


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
        return password
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


@users.command("create", help="Create a user: smecredit users create NAME --role R --branch B.")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeatable).")
@click.option("--branch", required=True, help="Branch code, HQ for head office.")
@click.option("--display-name", default="", help="Name shown in the interface.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def create_command(
    username: str, roles: Sequence[str], branch: str, display_name: str, password_stdin: bool
) -> None:
    from smecredit.services import accounts, audit

    as_platform("user.create")
    settings = settings_or_exit()
    password = _read_password(password_stdin)

    async def work() -> str:
        audit.configure(settings)
        user = await accounts.create_user(
            username,
            password,
            roles=roles,
            branch_code=branch,
            display_name=display_name,
            settings=settings,
            actor=SYSTEM,
        )
        roles_text = ",".join(user.roles)
        return (
            f"created user {user.username} (id {user.id}) "
            f"roles={roles_text} branch={user.branch_code}"
        )

    try:
        click.echo(run_with_db(settings, work))
    except (SecurityError, ApiError) as exc:
        raise _fail(exc) from None


@users.command("list", help="List users.")
def list_command() -> None:
    from smecredit.services import accounts

    settings = settings_or_exit()

    async def work() -> list[tuple[str, ...]]:
        rows = await accounts.list_users()
        return [
            (
                u.username,
                ",".join(u.roles),
                u.branch_code,
                "active" if u.active else "inactive",
                "totp" if u.totp_enrolled else "-",
                u.display_name,
            )
            for u in rows
        ]

    rows = run_with_db(settings, work)
    if not rows:
        click.echo(
            "no users (create one with: smecredit users create NAME --role admin --branch HQ)"
        )
        return
    header = ("USERNAME", "ROLES", "BRANCH", "STATUS", "MFA", "NAME")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


def _account_step(operation: str, step: Callable[[Settings], Awaitable[str]]) -> None:
    """Run one audited change to an account as the platform and print what it says.

    Every account command does the same around its own step: it acts as ``operation``,
    configures the audit trail, runs in the database and turns a refusal into its message.
    """
    from smecredit.services import audit

    as_platform(operation)
    settings = settings_or_exit()

    async def work() -> str:
        audit.configure(settings)
        return await step(settings)

    try:
        click.echo(run_with_db(settings, work))
    except (SecurityError, ApiError) as exc:
        raise _fail(exc) from None


@users.command("set-roles", help="Replace a user's roles (and optionally branch).")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeatable).")
@click.option("--branch", default=None, help="Move the user to this branch.")
def set_roles_command(username: str, roles: Sequence[str], branch: str | None) -> None:
    from smecredit.services import accounts

    async def step(settings: Settings) -> str:
        user = await accounts.find_user(username)
        user = await accounts.set_roles(user, roles, branch_code=branch, actor=SYSTEM)
        return f"user {user.username}: roles={','.join(user.roles)} branch={user.branch_code}"

    _account_step("user.set_roles", step)


@users.command("deactivate", help="Deactivate a user and end all their sessions.")
@click.argument("username")
def deactivate_command(username: str) -> None:
    from smecredit.services import accounts

    async def step(settings: Settings) -> str:
        user = await accounts.find_user(username)
        await accounts.deactivate_user(user, actor=SYSTEM)
        return f"user {user.username} deactivated"

    _account_step("user.deactivate", step)


@users.command(
    "reset-password",
    help=(
        "Give a user a one-time temporary password (printed once unless read from standard "
        "input), end all their sessions, and force a password change at the next sign-in."
    ),
)
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the temporary password from standard input instead of generating one.",
)
def reset_password_command(username: str, password_stdin: bool) -> None:
    from smecredit.services import accounts
    from smecredit.services.sessions import AuthRuntime

    chosen = _read_password(True) if password_stdin else None

    async def step(settings: Settings) -> str:
        user = await accounts.find_user(username)
        reset = await accounts.reset_password(
            user,
            settings=settings,
            actor=SYSTEM,
            temporary_password=chosen,
            # The servers' throttle is shared through Redis when SMECREDIT_REDIS_URL is set.
            throttle=AuthRuntime.from_settings(settings).throttle,
        )
        lines = [
            f"user {user.username}: password reset, {reset.revoked_sessions} session(s) ended; "
            "a password change is required at the next sign-in"
        ]
        if reset.temporary_password is not None:
            lines.append(f"temporary password (shown once): {reset.temporary_password}")
        return "\n".join(lines)

    _account_step("user.reset_password", step)


@users.command("reactivate", help="Let a deactivated user sign in again.")
@click.argument("username")
def reactivate_command(username: str) -> None:
    from smecredit.services import accounts

    async def step(settings: Settings) -> str:
        user = await accounts.find_user(username)
        await accounts.reactivate_user(user, actor=SYSTEM)
        return f"user {user.username} reactivated"

    _account_step("user.reactivate", step)


@users.command("roles", help="List the roles, in English and Chinese, with what each may do.")
def roles_command() -> None:
    from smecredit.services.roles import list_roles

    settings = settings_or_exit()

    async def work() -> list[str]:
        lines: list[str] = []
        for role in await list_roles(SYSTEM):
            lines.append(f"{role.name}  {role.label} / {role.label_zh}")
            lines.append(f"  {role.description}")
            lines.append(f"  {role.description_zh}")
            names = ", ".join(op.name for op in role.operations) or "-"
            lines.append(f"  may: {names}")
        return lines

    for line in run_with_db(settings, work):
        click.echo(line)
