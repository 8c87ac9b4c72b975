"""The ``smecredit`` command: serve, migrate, seed, export, and each area's commands."""

from __future__ import annotations

import importlib
import sys

import click

from smecredit import __version__
from smecredit.cli.core import db_group, demo_group, schema_group, serve
from smecredit.settings import SettingsError

__all__ = ["main"]


@click.group(help="smecredit — credit-risk management for lenders to small and micro enterprises.")
@click.version_option(__version__, prog_name="smecredit")
def cli() -> None:
    """Root command group."""


cli.add_command(serve)
cli.add_command(db_group)
cli.add_command(demo_group)
cli.add_command(schema_group)

#: (module, attribute) of each area's command. Every area is part of the platform: one that
#: does not import stops the command line, it is never silently left out.
AREA_COMMANDS: list[tuple[str, str]] = [
    ("smecredit.cli.scoring", "model"),
    ("smecredit.cli.scoring", "score"),
    ("smecredit.cli.plugins", "plugins"),
    ("smecredit.cli.sources", "sources"),
    ("smecredit.cli.imports", "import_command"),
    ("smecredit.cli.users", "users"),
    ("smecredit.cli.policies", "policies"),
    ("smecredit.cli.audit", "audit"),
    ("smecredit.cli.keys", "keys"),
    ("smecredit.cli.backups", "backup"),
    ("smecredit.cli.lending", "cob"),
    ("smecredit.cli.lending", "ledger"),
    ("smecredit.cli.warnings", "warnings_group"),
    ("smecredit.cli.compliance", "compliance"),
    ("smecredit.cli.reports", "report_group"),
]

for _module, _attr in AREA_COMMANDS:
    cli.add_command(getattr(importlib.import_module(_module), _attr))


def main() -> None:
    """Entry point: turn configuration errors into one clear line and exit 2."""
    from smecredit.logs import install_log_caps

    install_log_caps()  # no log line carries a long value whole
    try:
        cli(standalone_mode=True)
    except SettingsError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)
