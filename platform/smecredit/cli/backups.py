"""``smecredit backup``: create, list, verify and restore encrypted database backups."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import run_with_db, settings_or_exit

if TYPE_CHECKING:
    from smecredit.services.backups.service import Report

__all__ = ["backup"]


@click.group(help="Encrypted, checksummed backups of the database (see docs/operations.md).")
def backup() -> None:
    """The ``backup`` command group."""


def _finish(title: str, report: Report, *, failed: str, passed: str) -> None:
    """Print each check of ``report``; exit 1 with ``failed`` unless all passed."""
    click.echo(title)
    for check in report.checks:
        click.echo(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    if not report.ok:
        click.echo(failed, err=True)
        raise SystemExit(1)
    click.echo(passed)


@backup.command("create", help="Back up the database into SMECREDIT_BACKUP_DIR, then prune.")
def create_command() -> None:
    from smecredit.services.backups.manifest import Manifest
    from smecredit.services.backups.service import BackupError, create_backup, prune_backups

    as_platform("backup.create")
    settings = settings_or_exit()

    async def work() -> Manifest:
        from smecredit.services import audit

        audit.configure(settings)
        return await create_backup(settings)

    try:
        manifest = run_with_db(settings, work)
    except BackupError as exc:
        raise click.ClickException(f"backup failed: {exc}") from None
    click.echo(
        f"backup {manifest.name}: {manifest.engine}, {sum(manifest.row_counts.values())} rows "
        f"in {len(manifest.row_counts)} tables, {manifest.size} bytes, "
        f"sha256 {manifest.checksum[:16]}..."
    )
    click.echo(f"  in {settings.backup_dir}")
    if settings.key_file.resolve().is_relative_to(settings.backup_dir.resolve()):
        # Whoever copies the backups away would carry the key that opens them along.
        click.echo(
            "warning: the key file is inside SMECREDIT_BACKUP_DIR; keep it apart from the "
            "backups (docs/operations.md)",
            err=True,
        )
    for name in prune_backups(settings, keep=manifest.name):
        click.echo(f"  pruned {name} (older than SMECREDIT_BACKUP_RETENTION)")


@backup.command("list", help="List the backups in SMECREDIT_BACKUP_DIR, oldest first.")
def list_command() -> None:
    from smecredit.services.backups.manifest import list_backups

    settings = settings_or_exit()
    backups = list_backups(settings.backup_dir)
    if not backups:
        click.echo(f"no backup in {settings.backup_dir}")
        return
    for m in backups:
        click.echo(
            f"{m.name}  {m.engine}  {m.created_at}  head {m.migration_head or '-'}  "
            f"{sum(m.row_counts.values())} rows  {m.size} bytes  v{m.platform_version}"
        )


@backup.command(
    "verify", help="Check a backup's checksum, decryption and archive (exit 1 on any failure)."
)
@click.argument("name", required=False)
def verify_command(name: str | None) -> None:
    from smecredit.services.backups.service import BackupError, find_backup, verify_backup

    settings = settings_or_exit()
    try:
        manifest = find_backup(settings, name)
    except (BackupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    report = asyncio.run(verify_backup(settings, manifest))
    _finish(f"backup {manifest.name}:", report, failed="verification FAILED", passed="verified")


@backup.command(
    "restore",
    help="Restore a backup (default: the newest) into a fresh database, then check its "
    "row counts, keys, ledger and audit chain (exit 1 on any failure).",
)
@click.argument("name", required=False)
@click.option(
    "--into", "into", required=True, metavar="URL", help="The fresh (empty) target database."
)
def restore_command(name: str | None, into: str) -> None:
    from smecredit.services.backups.service import BackupError, find_backup, restore_backup
    from smecredit.settings import SettingsError

    as_platform("backup.restore")
    settings = settings_or_exit()
    try:
        manifest = find_backup(settings, name)
        report = asyncio.run(restore_backup(settings, manifest, into))
    except (BackupError, SettingsError, ValueError) as exc:
        raise click.ClickException(f"restore refused: {exc}") from None
    _finish(
        f"restore of backup {manifest.name}:",
        report,
        failed="restore FAILED: do not use the target database",
        passed="restored and verified",
    )
