"""Core commands: serve, db migrate, demo seed, schema export."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from smecredit.cli.acting import as_platform
from smecredit.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from smecredit.plugins import PluginRegistry

__all__ = ["db_group", "demo_group", "run_with_db", "schema_group", "serve", "uvicorn_options"]

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[3]
#: The current contract, written by ``schema export``.
COMMITTED_SCHEMA = REPO_ROOT / "schema" / "schema.graphql"
#: The contract of the last release: only ``schema release`` writes it.
RELEASED_SCHEMA = REPO_ROOT / "schema" / "schema.released.graphql"
CHANGELOG = REPO_ROOT / "CHANGELOG.md"


def settings_or_exit() -> Settings:
    """Load settings or stop with one line naming the bad variable."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


def command_registry(settings: Settings) -> PluginRegistry:
    """The command's plugin registry: built once per command, installed as the application's.

    Built as the server builds its own (honouring ``SMECREDIT_PLUGINS_ENABLED`` /
    ``_DISABLED``); the command hands its objects to the services it calls, and services
    called without them use it too (:mod:`smecredit.plugin_host`).
    """
    from smecredit import plugin_host
    from smecredit.plugins import load_plugins

    return plugin_host.install(load_plugins(settings))


def run_with_db(
    settings: Settings, work: Callable[[], Awaitable[T]], *, check_keys: bool = True
) -> T:
    """Run ``work`` with the database open, closing it afterwards.

    First the keys are checked against the database (``KEY_MISMATCH``, ``KEY_MISSING``:
    see :mod:`smecredit.services.key_check`): no command reads or writes encrypted data
    with keys that do not belong to it.

    Args:
        settings: the platform settings.
        work: the command's work.
        check_keys: False only for commands that manage the keys themselves.

    Raises:
        click.ClickException: the keys do not belong to the database.
    """
    from smecredit import db
    from smecredit.security.crypto import KeyringError
    from smecredit.services.key_check import check_database_keys

    async def runner() -> T:
        await db.init_db(settings)
        try:
            if check_keys:
                await check_database_keys()
            return await work()
        finally:
            await db.close_db()

    try:
        return asyncio.run(runner())
    except KeyringError as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Options of uvicorn that must follow the platform's settings, not uvicorn's defaults.

    uvicorn believes ``X-Forwarded-For`` from ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1):
    any client on the host, or behind a local proxy that passes the header through, could
    then choose its own address. It gets exactly ``SMECREDIT_TRUSTED_PROXIES`` instead, and
    no proxy handling at all without one.
    """
    from smecredit.security.http import trusted_proxies

    proxies = list(trusted_proxies(settings))
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies}


@click.command(help="Serve the platform (GraphQL at /graphql, health at /healthz).")
@click.option(
    "--host", default=None, help="Interface to bind (default SMECREDIT_HOST or 127.0.0.1)."
)
@click.option("--port", default=None, type=int, help="Port (default SMECREDIT_PORT or 8000).")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str | None, port: int | None, reload: bool) -> None:
    import uvicorn

    settings = settings_or_exit()
    host = host or settings.host
    port = port or settings.port
    metrics = settings.metrics_address
    if metrics is not None and metrics == (host, port):
        raise click.ClickException(
            "configuration error: SMECREDIT_METRICS_ADDRESS must differ from the serving "
            f"address {host}:{port}"
        )
    click.echo(
        f"smecredit serving on http://{host}:{port}  (GraphQL: http://{host}:{port}/graphql)"
    )
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "info",
        "ws": "websockets-sansio",
        **uvicorn_options(settings),
    }
    if reload:
        if metrics is not None:
            click.echo("note: --reload serves no separate metrics listener")
        uvicorn.run("smecredit.app:create_app", reload=True, **options)
        return
    config = uvicorn.Config("smecredit.app:create_app", **options)
    sockets = [config.bind_socket()]
    if metrics is not None:
        # A second listening socket of the same server and app: /metrics answers only
        # there (security.http.metrics_refusal), and nothing else does.
        mhost, mport = metrics
        sockets.append(
            uvicorn.Config("smecredit.app:create_app", host=mhost, port=mport).bind_socket()
        )
        click.echo(f"metrics on the internal listener http://{mhost}:{mport}/metrics")
    uvicorn.Server(config).run(sockets=sockets)


@click.group(name="db", help="Database administration.")
def db_group() -> None:
    """Database commands."""


async def apply_migrations(settings: Settings) -> None:
    """Apply Tortoise's committed migrations to the configured database."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    from smecredit.db import tortoise_config

    await migrate(config=tortoise_config(settings))
    await Tortoise.close_connections()


@db_group.command(
    name="migrate", help="Apply the committed migrations (creates the SQLite file if needed)."
)
def db_migrate() -> None:
    as_platform("database.migrate")
    settings = settings_or_exit()
    asyncio.run(apply_migrations(settings))
    click.echo(f"database migrated: {settings.database_url}")


@db_group.command(
    name="check",
    help="List the committed migrations the database has not applied (exit 1 when any is "
    "pending, 0 when it is up to date).",
)
def db_check() -> None:
    from smecredit.services.migration_state import migration_head, pending_migrations

    settings = settings_or_exit()

    async def work() -> tuple[str | None, list[str]]:
        return await migration_head(), await pending_migrations()

    # The keys are not checked: an unmigrated database has no fingerprints to check yet.
    head, pending = run_with_db(settings, work, check_keys=False)
    if pending:
        click.echo(f"{len(pending)} migration(s) pending (applied up to {head or 'none'}):")
        for name in pending:
            click.echo(f"  {name}")
        click.echo("run 'smecredit db migrate' (after a backup: see docs/operations.md)", err=True)
        raise SystemExit(1)
    click.echo(f"database up to date: {head}")


@click.group(name="demo", help="Demo data.")
def demo_group() -> None:
    """Demo commands."""


@demo_group.command(name="seed", help="Seed the demo portfolio (what `make demo` serves).")
@click.option(
    "--firms", "n_firms", default=2000, show_default=True, help="Synthetic firms to generate."
)
@click.option("--seed", default=42, show_default=True, help="Random seed (same seed, same data).")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The portfolio's data date (default: the last day of last month).",
)
@click.option("--fixtures-only", is_flag=True, help="Load only the small sample in fixtures/demo.")
def demo_seed(n_firms: int, seed: int, as_of: Any, fixtures_only: bool) -> None:
    import time

    from smecredit.cli.demo_tour import format_tour
    from smecredit.services import demo_fixtures

    as_platform("demo.seed")
    settings = settings_or_exit()
    logins: list[Any] = []
    started = time.perf_counter()

    async def work() -> dict[str, Any]:
        from smecredit.services.accounts import seed_demo_users

        logins.extend(await seed_demo_users(settings))  # one demo user per role
        summary: dict[str, Any] = {}
        if not fixtures_only:
            from smecredit.services.demo import seed_demo_book

            summary.update(
                await seed_demo_book(
                    n_firms=n_firms,
                    seed=seed,
                    as_of=as_of.date() if as_of else None,
                    registry=command_registry(settings),
                )
            )
        summary.update(await demo_fixtures.load_fixtures())
        if not fixtures_only:
            from smecredit.services.demo import close_today

            summary["close of business"] = await close_today()
        return summary

    summary = run_with_db(settings, work)
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")
    click.echo(f"demo data seeded in {time.perf_counter() - started:.0f} s")
    from smecredit.cli.users import format_demo_logins

    click.echo(format_demo_logins(logins))
    click.echo(format_tour())


@click.group(name="schema", help="The GraphQL contract.")
def schema_group() -> None:
    """Schema commands."""


@schema_group.command(name="export", help="Write the GraphQL SDL (default schema/schema.graphql).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def schema_export(output: Path | None) -> None:
    from smecredit.graphql.schema import schema_sdl

    settings = settings_or_exit()
    sdl = schema_sdl(settings)
    target = output or COMMITTED_SCHEMA
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(sdl, encoding="utf-8")
    click.echo(f"wrote {target}")


def _changes_since_release() -> tuple[str, list[Any], set[str]]:
    """(built SDL, its changes since the released schema, the changelog's Unreleased entries)."""
    from smecredit.graphql.schema import schema_sdl
    from smecredit.graphql.schema_changes import changelog_entries, schema_changes

    sdl = schema_sdl(settings_or_exit())
    changes = schema_changes(RELEASED_SCHEMA.read_text(encoding="utf-8"), sdl)
    return sdl, changes, changelog_entries(CHANGELOG.read_text(encoding="utf-8"))


@schema_group.command(
    name="changes",
    help="List the schema's changes since the last release and the CHANGELOG.md lines "
    "they need (exit 1 when a breaking change is not announced).",
)
def schema_changes_command() -> None:
    from smecredit.graphql.schema_changes import missing_entries

    _, changes, entries = _changes_since_release()
    if not changes:
        click.echo("no change since the released schema")
    for change in changes:
        state = "announced" if change.entry in entries else "not in CHANGELOG.md"
        click.echo(f"- {change.entry}  [{state}]")
    missing = missing_entries(changes, entries)
    if missing:
        raise click.ClickException(
            f"{len(missing)} breaking change(s) not in CHANGELOG.md; add under '## Unreleased':\n"
            + "\n".join(f"- {line}" for line in missing)
        )


@schema_group.command(
    name="release",
    help="Make the committed schema the released contract: copy schema/schema.graphql to "
    "schema/schema.released.graphql and turn CHANGELOG.md's Unreleased section into VERSION.",
)
@click.argument("version")
def schema_release(version: str) -> None:
    import datetime as dt

    from smecredit.graphql.schema_changes import missing_entries, release_changelog

    sdl, changes, entries = _changes_since_release()
    if COMMITTED_SCHEMA.read_text(encoding="utf-8") != sdl:
        raise click.ClickException("schema/schema.graphql is stale: run `smecredit schema export`")
    missing = missing_entries(changes, entries)
    if missing:
        raise click.ClickException(
            "announce these in CHANGELOG.md first:\n" + "\n".join(f"- {m}" for m in missing)
        )
    try:
        text = release_changelog(
            CHANGELOG.read_text(encoding="utf-8"), version, dt.date.today().isoformat()
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    RELEASED_SCHEMA.write_text(sdl, encoding="utf-8")
    CHANGELOG.write_text(text, encoding="utf-8")
    click.echo(f"released schema {version}: wrote {RELEASED_SCHEMA.name} and CHANGELOG.md")
