"""``smecredit plugins``: what is installed, what loaded, and why not."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from smecredit.plugins import PluginInfo, load_plugins

__all__ = ["format_table", "plugins"]

_COLUMNS = ("name", "version", "distribution", "hooks", "status", "error")


@click.group(help="Inspect installed plugins (entry point group 'smecredit').")
def plugins() -> None:
    """The ``plugins`` command group."""


@plugins.command("list", help="List plugins with their hooks, status and error.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def list_command(as_json: bool) -> None:
    """Discover plugins as the server would and print what came of each."""
    from smecredit.cli.core import settings_or_exit

    settings = settings_or_exit()
    try:
        registry = load_plugins(settings)
    except Exception as error:  # a conflict stops start-up: say so, as the server would
        code = getattr(error, "code", type(error).__name__)
        raise click.ClickException(f"{code}: {error}") from None
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in registry.plugins], ensure_ascii=False))
    else:
        click.echo(format_table(registry.plugins))


def format_table(infos: Sequence[PluginInfo]) -> str:
    """Plugins as an aligned text table (errors in the last column, never truncated)."""
    rows = [
        (
            p.name,
            p.version or "-",
            p.distribution or "-",
            ",".join(p.hooks) or "-",
            p.status,
            p.error or "",
        )
        for p in infos
    ]
    if not rows:
        return "no plugins installed (entry point group 'smecredit')"
    header = tuple(c.upper() for c in _COLUMNS)
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(_COLUMNS) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
