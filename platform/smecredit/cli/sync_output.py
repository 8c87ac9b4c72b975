"""What the sync and import commands print: a progress line and the final summary."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from smecredit.services.ingestion.results import SyncProgress, SyncRunResult

__all__ = ["ProgressLine", "echo_summary", "exit_status", "parse_settings"]


class ProgressLine:
    """A stderr line rewritten after every committed batch: done/total, rate."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, progress: SyncProgress) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        done = f"{progress.done:,}"
        if progress.total:
            share = min(progress.done / progress.total, 1.0)
            done += f"/{progress.total:,} ({share:.0%})"
        line = (
            f"{self.label}: {done} records, {progress.accepted:,} accepted, "
            f"{progress.quarantined:,} quarantined, {progress.done / elapsed:,.0f}/s"
        )
        # On a terminal one line is redrawn; in a log every batch gets its own line.
        click.echo(f"\r{line}" if self.tty else line, err=True, nl=not self.tty)
        self.shown = True

    def close(self) -> None:
        """End the redrawn line."""
        if self.shown and self.tty:
            click.echo("", err=True)


def exit_status(result: SyncRunResult) -> int:
    """0 when every record was taken in, 2 when some were quarantined, 1 otherwise."""
    if result.ok:
        return 0
    return 2 if result.finished else 1


def echo_summary(result: SyncRunResult, *, source: str) -> None:
    """Print the run's counts, notes, flags, consent skips and where to see the quarantine."""
    click.echo(
        f"{source}: run {result.run_id} {result.status} - read {result.read:,}, "
        f"accepted {result.accepted:,}, quarantined {result.quarantined:,}, "
        f"merged {result.merged:,}, duplicates {result.duplicates:,}, "
        f"outliers flagged {result.outliers:,}"
    )
    if result.status == "partial":
        click.echo("  partial: the file was read to the end, but not every record was taken in")
    for code, fields in sorted(result.flagged_by_code.items()):
        listed = ", ".join(f"{name} {count:,}" for name, count in sorted(fields.items()))
        click.echo(f"  flagged {code} (taken in, worth a look): {listed}")
    for note in result.notes[:10]:
        click.echo(f"  {note['severity']} {note['code']} ({note['locator']}): {note['message']}")
    if len(result.notes) > 10:
        click.echo(f"  ... {len(result.notes) - 10} more messages")
    if result.skipped_firms:
        sample = ", ".join(result.skipped_firms[:5])
        more = "..." if len(result.skipped_firms) > 5 else ""
        click.echo(
            f"  {len(result.skipped_firms):,} firm(s) skipped for lack of consent: {sample}{more}"
        )
    if result.error:
        click.echo(f"  error: {result.error}", err=True)
        if result.checkpoint:
            click.echo("  committed batches are kept; run the same command again to resume")
    if result.quarantined:
        click.echo(
            f"  {result.quarantined:,} record(s) quarantined: see them with "
            f"`smecredit sources quality {source} --run {result.run_id}` "
            "or the GraphQL query syncRun(id) { quarantinedRecords }"
        )


def parse_settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` options as settings; values are JSON when they parse (numbers, true)."""
    import json

    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--set")
        try:
            settings[key.strip()] = json.loads(value)
        except ValueError:
            settings[key.strip()] = value
    return settings
