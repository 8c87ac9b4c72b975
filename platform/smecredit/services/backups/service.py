"""The backup use cases: create, verify, restore (into a fresh database), prune.

A backup is the database's snapshot (:mod:`.engines`), encrypted (:mod:`.archive`) under a
key derived from the key file's active key, with a manifest beside it
(:mod:`.manifest`: engine, time, migration head, row counts, SHA-256 of the ciphertext,
size, platform version). The key file itself is never part of a backup: it is not in the
database, and the backup needs it to be opened, so it is kept apart (docs/operations.md).

The plain snapshot exists only in a private temporary directory while it is encrypted,
verified or restored, and is removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from smecredit import __version__
from smecredit.security.keys import get_keyring
from smecredit.security.operations import SYSTEM
from smecredit.services import audit
from smecredit.services.backups import engines
from smecredit.services.backups.archive import ArchiveError, decrypt_file, encrypt_file
from smecredit.services.backups.manifest import Manifest, list_backups, sha256_of
from smecredit.services.migration_state import committed_migrations
from smecredit.settings import Settings

__all__ = [
    "BackupError",
    "CheckResult",
    "Report",
    "create_backup",
    "find_backup",
    "prune_backups",
    "restore_backup",
    "verify_backup",
]


class BackupError(Exception):
    """A backup cannot be made, found, read or restored (the message says why)."""


@dataclass(frozen=True)
class CheckResult:
    """One check of a verification or restore: ``ok`` and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """The checks of ``verify`` or ``restore``, in order; ok when every one passed."""

    backup: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        """Record a check; return whether it passed."""
        self.checks.append(CheckResult(name, ok, detail))
        return ok


@contextmanager
def _private_dir(near: Path) -> Iterator[Path]:
    """A temporary directory (mode 0700) on the backup directory's file system."""
    near.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".smecredit-backup-", dir=near) as name:
        yield Path(name)


def _head(applied: set[str]) -> str | None:
    done = [name for name in committed_migrations() if name in applied]
    return done[-1] if done else None


def _engine(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgres"


async def _snapshot(settings: Settings, target: Path) -> engines.Snapshot:
    if settings.is_sqlite:
        import asyncio

        source = settings.sqlite_path()
        if source is None:
            raise BackupError("an in-memory SQLite database cannot be backed up")
        timeout = settings.sqlite_busy_timeout.total_seconds()
        # A thread: the copy must not hold up the writers of this process's event loop.
        return await asyncio.to_thread(
            engines.sqlite_snapshot, source, target, busy_timeout=timeout
        )
    return await engines.pg_snapshot(settings.database_url, target)


async def create_backup(settings: Settings, *, now: dt.datetime | None = None) -> Manifest:
    """Take an encrypted backup of the open database into ``settings.backup_dir``.

    The audit row ``backup.create`` is appended after the snapshot (it is not in it).

    Raises:
        BackupError: the snapshot could not be taken.
    """
    directory = settings.backup_dir
    created = now or dt.datetime.now(dt.UTC)
    name = "smecredit-" + created.strftime("%Y%m%dT%H%M%S%fZ")
    keyring = get_keyring()
    with _private_dir(directory) as work:
        plain = work / "snapshot"
        try:
            snapshot = await _snapshot(settings, plain)
        except engines.EngineError as exc:
            raise BackupError(str(exc)) from None
        encrypted = work / "backup.bak"
        key_id = encrypt_file(plain, encrypted, keyring)
        manifest = Manifest(
            name=name,
            engine=_engine(settings),
            created_at=created.isoformat(),
            migration_head=_head(snapshot.applied_migrations),
            row_counts=dict(sorted(snapshot.row_counts.items())),
            checksum=sha256_of(encrypted),
            size=encrypted.stat().st_size,
            platform_version=__version__,
            key_id=key_id,
        )
        encrypted.replace(manifest.file(directory))
    manifest.write(directory)
    await audit.record(
        SYSTEM,
        "backup.create",
        f"Backup:{name}",
        after={"checksum": manifest.checksum, "rows": sum(manifest.row_counts.values())},
    )
    return manifest


def prune_backups(settings: Settings, *, keep: str, now: dt.datetime | None = None) -> list[str]:
    """Remove backups older than ``settings.backup_retention`` (never ``keep``).

    Returns:
        The names of the removed backups.
    """
    if settings.backup_retention is None:
        return []
    cutoff = (now or dt.datetime.now(dt.UTC)) - settings.backup_retention
    removed: list[str] = []
    for manifest in list_backups(settings.backup_dir):
        if manifest.name == keep or manifest.created >= cutoff:
            continue
        manifest.file(settings.backup_dir).unlink(missing_ok=True)
        manifest.manifest_file(settings.backup_dir).unlink(missing_ok=True)
        removed.append(manifest.name)
    return removed


def find_backup(settings: Settings, name: str | None) -> Manifest:
    """The backup called ``name`` (a name or a manifest path; None: the newest).

    Raises:
        BackupError: there is no such backup.
    """
    if name and name.endswith(".manifest.json") and Path(name).is_file():
        return Manifest.read(Path(name))
    backups = list_backups(settings.backup_dir)
    if not backups:
        raise BackupError(f"no backup in {settings.backup_dir}")
    if name is None:
        return backups[-1]
    for manifest in backups:
        if manifest.name == name:
            return manifest
    raise BackupError(f"no backup named {name!r} in {settings.backup_dir}")


async def _decrypted(
    manifest: Manifest, directory: Path, work: Path, report: Report
) -> Path | None:
    """Checksum, then decrypt into ``work``; the plain file, or None after a failed check."""
    encrypted = manifest.file(directory)
    if not encrypted.is_file():
        report.add("file", False, f"{encrypted.name} is missing")
        return None
    actual = sha256_of(encrypted)
    if not report.add(
        "checksum",
        actual == manifest.checksum and encrypted.stat().st_size == manifest.size,
        "SHA-256 and size match the manifest"
        if actual == manifest.checksum
        else "the file's SHA-256 differs from the manifest's: it was changed or damaged",
    ):
        return None
    plain = work / "snapshot"
    try:
        decrypt_file(encrypted, plain, get_keyring())
    except ArchiveError as exc:
        report.add("decrypt", False, str(exc))
        return None
    report.add("decrypt", True, f"decrypted under key {manifest.key_id}")
    return plain


async def _readable(manifest: Manifest, plain: Path, report: Report) -> bool:
    if manifest.engine == "sqlite":
        result = engines.sqlite_integrity(plain)
        return report.add("integrity", result == "ok", f"integrity_check: {result}")
    try:
        entries = await engines.pg_archive_readable(plain)
    except engines.EngineError as exc:
        return report.add("archive", False, str(exc))
    return report.add("archive", True, f"pg_restore lists {entries} entries")


async def verify_backup(settings: Settings, manifest: Manifest) -> Report:
    """Checksum, decryption and readability of one backup (nothing is restored)."""
    report = Report(manifest.name)
    with _private_dir(settings.backup_dir) as work:
        plain = await _decrypted(manifest, settings.backup_dir, work, report)
        if plain is not None:
            await _readable(manifest, plain, report)
    return report


def target_settings(settings: Settings, into: str) -> Settings:
    """The settings of the restore target ``into`` (a database URL)."""
    from smecredit.settings import load_settings

    checked = load_settings({"SMECREDIT_DATABASE_URL": into}).database_url
    return replace(settings, database_url=checked)


async def restore_files(settings: Settings, manifest: Manifest, into: Settings) -> Report:
    """Verify the backup and put its snapshot into the fresh database ``into`` (closed).

    Raises:
        BackupError: the engines differ, or the target is not a fresh database.
    """
    engine = _engine(into)
    if engine != manifest.engine:
        raise BackupError(f"a {manifest.engine} backup cannot be restored into {engine}")
    report = Report(manifest.name)
    with _private_dir(settings.backup_dir) as work:
        plain = await _decrypted(manifest, settings.backup_dir, work, report)
        if plain is None or not await _readable(manifest, plain, report):
            return report
        try:
            if engine == "sqlite":
                path = into.sqlite_path()
                if path is None:
                    raise BackupError("restore needs a SQLite file, not an in-memory database")
                engines.sqlite_restore(plain, path)
            else:
                await engines.pg_restore(plain, into.database_url)
        except engines.EngineError as exc:
            raise BackupError(str(exc)) from None
    report.add("restore", True, f"restored into a fresh {engine} database")
    return report


async def check_restored(settings: Settings, manifest: Manifest, report: Report) -> Report:
    """The checks of a restored database, opened as the default connection.

    Row counts against the manifest first (before anything is written), then the keys,
    the ledger and the audit chain; the ``backup.restore`` audit row is appended last,
    when every check passed.
    """
    from tortoise import connections

    from smecredit.security.crypto import KeyringError
    from smecredit.services.key_check import check_database_keys
    from smecredit.services.lending.ledger import verify_ledger

    conn = connections.get("default")
    counts: dict[str, int] = {}
    for table in manifest.row_counts:
        rows = await conn.execute_query_dict(
            # The manifest is not authenticated: its table names are quoted like any input.
            f"SELECT count(*) AS n FROM {engines.quote_identifier(table)}"
        )
        counts[table] = int(rows[0]["n"])
    differing = [
        f"{t}: {counts[t]} != {n}" for t, n in manifest.row_counts.items() if counts[t] != n
    ]
    report.add(
        "row counts",
        not differing,
        f"{len(counts)} tables, {sum(counts.values())} rows as in the manifest"
        if not differing
        else "differ: " + ", ".join(differing[:5]),
    )
    try:
        await check_database_keys(record=False)
        report.add("keys", True, "the configured keys fit the restored data")
    except KeyringError as exc:
        report.add("keys", False, f"{getattr(exc, 'code', 'KEY_ERROR')}: {exc}")
    violations = await verify_ledger()
    report.add(
        "ledger",
        not violations,
        "ledger ok"
        if not violations
        else f"{len(violations)} violation(s), first {violations[0].code} {violations[0].resource}",
    )
    audit.configure(settings)
    chain = await audit.verify()
    report.add(
        "audit chain",
        chain.ok,
        f"{chain.checked} audit rows verified"
        if chain.ok
        else f"broken at seq {chain.first_broken_seq}: {chain.reason}",
    )
    if report.ok:
        await audit.record(SYSTEM, "backup.restore", f"Backup:{manifest.name}")
    return report


async def restore_backup(settings: Settings, manifest: Manifest, into: str) -> Report:
    """Restore ``manifest`` into the fresh database at ``into`` and check it there.

    Opens ``into`` as the default connection for the checks and closes it afterwards.

    Raises:
        BackupError: the backup's engine differs, or the target is not a fresh database.
    """
    from smecredit import db

    target = target_settings(settings, into)
    report = await restore_files(settings, manifest, target)
    if not report.ok:
        return report
    await db.init_db(target)
    try:
        return await check_restored(settings, manifest, report)
    finally:
        await db.close_db()
