"""Backups: a restore drill on each engine while writes go on, tampering, the key file
staying out, retention, and the command's exit codes."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.cli import cli
from smecredit.models.security import AuditLog
from smecredit.security.keys import get_keyring, set_keyring
from smecredit.services import audit
from smecredit.services.backups.archive import decrypt_file
from smecredit.services.backups.manifest import Manifest, list_backups
from smecredit.services.backups.service import (
    BackupError,
    create_backup,
    prune_backups,
    restore_backup,
    verify_backup,
)
from smecredit.services.key_check import check_database_keys
from smecredit.settings import Settings
from tests.backup_support import drop_database, fresh_database, open_with_tables, use_key_file
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = use_key_file(tmp_path, monkeypatch)
    yield path
    set_keyring(None)


@pytest.fixture
async def source(
    backend: str, postgres_database_url: str | None, tmp_path: Path, key_file: Path
) -> AsyncIterator[Settings]:
    """A fresh database with every table and some audit rows, open as the default."""
    url = await fresh_database(backend, postgres_database_url, tmp_path, "source")
    settings = replace(make_settings(url), backup_dir=tmp_path / "backups")
    await open_with_tables(settings)
    audit.configure(settings)
    await check_database_keys()  # records the key fingerprints, as serving would
    for n in range(5):
        await audit.record("tester", "test.write", f"Row:{n}")
    try:
        yield settings
    finally:
        await Tortoise.close_connections()
        await drop_database(url)


async def _backup_while_writing(settings: Settings) -> tuple[Manifest, int]:
    """A backup taken while a task appends audit rows; (manifest, rows written meanwhile)."""
    written = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            await audit.record("tester", "test.write", f"Row:w{written}")
            written += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(writer())
    while written < 3:  # the writer is under way before the backup starts
        await asyncio.sleep(0.005)
    before = written
    manifest = await create_backup(settings)
    during = written - before
    stop.set()
    await task
    return manifest, during


async def test_restore_drill_while_writes_go_on(
    source: Settings, backend: str, postgres_database_url: str | None, tmp_path: Path
) -> None:
    manifest, during = await _backup_while_writing(source)
    assert during > 0, "no row was written while the backup ran: not a drill under load"
    total = await AuditLog.all().count()
    await Tortoise.close_connections()
    # The snapshot holds a consistent prefix of the writes: fewer rows than now.
    assert 5 <= manifest.row_counts["audit_log"] < total
    assert manifest.engine == backend
    assert manifest.checksum and manifest.size == manifest.file(source.backup_dir).stat().st_size

    report = await verify_backup(source, manifest)
    assert report.ok, report.checks

    target = await fresh_database(backend, postgres_database_url, tmp_path, "restored")
    try:
        restored = await restore_backup(source, manifest, target)
        assert restored.ok, restored.checks
        names = [c.name for c in restored.checks]
        assert {"row counts", "keys", "ledger", "audit chain"} <= set(names)
        # A second restore into the same (no longer fresh) database is refused.
        with pytest.raises(BackupError, match="not empty"):
            await restore_backup(source, manifest, target)
    finally:
        EXECUTOR_CACHE.clear()
        await drop_database(target)


async def test_a_tampered_backup_fails_verify(source: Settings) -> None:
    manifest = await create_backup(source)
    path = manifest.file(source.backup_dir)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = await verify_backup(source, manifest)
    assert not report.ok
    assert [c.name for c in report.checks if not c.ok] == ["checksum"]
    # A manifest rewritten to the tampered file's checksum does not help: decryption fails.
    from smecredit.services.backups.manifest import sha256_of

    forged = replace(manifest, checksum=sha256_of(path))
    report = await verify_backup(source, forged)
    assert [c.name for c in report.checks if not c.ok] == ["decrypt"]


async def test_the_key_file_is_never_inside_a_backup(source: Settings, key_file: Path) -> None:
    manifest = await create_backup(source)
    plain = source.backup_dir / "plain-for-test"
    decrypt_file(manifest.file(source.backup_dir), plain, get_keyring())
    archive = plain.read_bytes()
    plain.unlink()
    assert archive, "nothing decrypted"
    raw = key_file.read_bytes()
    secrets_in_file = json.loads(raw)
    texts = [*secrets_in_file["keys"].values(), secrets_in_file["blind_index_key"]]
    for text in texts:
        padded = text + "=" * (-len(text) % 4)
        for needle in (text.encode(), base64.urlsafe_b64decode(padded)):
            assert needle not in archive
    assert raw not in archive
    assert raw not in manifest.file(source.backup_dir).read_bytes()


def _fake_backup(directory: Path, name: str, created: dt.datetime) -> Manifest:
    manifest = Manifest(
        name=name,
        engine="sqlite",
        created_at=created.isoformat(),
        migration_head=None,
        row_counts={},
        checksum="0" * 64,
        size=0,
        platform_version="test",
        key_id="k1",
    )
    directory.mkdir(parents=True, exist_ok=True)
    manifest.file(directory).write_bytes(b"")
    manifest.write(directory)
    return manifest


def test_retention_prunes_only_older_backups(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    directory = tmp_path / "backups"
    old = _fake_backup(directory, "old", now - dt.timedelta(days=15))
    recent = _fake_backup(directory, "recent", now - dt.timedelta(days=13))
    kept_anyway = _fake_backup(directory, "just-made", now - dt.timedelta(days=30))
    settings = make_settings(
        f"sqlite://{tmp_path}/x.sqlite3",
        SMECREDIT_BACKUP_DIR=str(directory),
        SMECREDIT_BACKUP_RETENTION="14d",
    )
    assert prune_backups(settings, keep=kept_anyway.name, now=now) == ["old"]
    assert [m.name for m in list_backups(directory)] == ["just-made", "recent"]
    assert not old.file(directory).exists() and recent.file(directory).exists()
    # Without a retention nothing is ever pruned.
    assert prune_backups(replace(settings, backup_retention=None), keep="x", now=now) == []


def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    set_keyring(None)  # a command loads the keys afresh, like a new process
    EXECUTOR_CACHE.clear()
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_the_backup_commands_exit_codes(tmp_path: Path, key_file: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    env = {
        "SMECREDIT_DATABASE_URL": url,
        "SMECREDIT_KEY_FILE": str(key_file),
        "SMECREDIT_BACKUP_DIR": str(tmp_path / "backups"),
        "SMECREDIT_ARGON2_PROFILE": "test",
        "SMECREDIT_ENV": "dev",
    }

    async def create() -> None:
        await open_with_tables(make_settings(url))
        await Tortoise.close_connections()

    asyncio.run(create())
    assert _cli(env, "backup", "list")[0] == 0
    assert _cli(env, "backup", "verify")[0] == 1  # no backup yet
    code, out = _cli(env, "backup", "create")
    assert code == 0, out
    code, out = _cli(env, "backup", "list")
    assert code == 0 and "sqlite" in out
    code, out = _cli(env, "backup", "verify")
    assert code == 0 and "verified" in out, out
    # Not into the database it came from, nor into one of the other engine.
    assert _cli(env, "backup", "restore", "--into", url)[0] == 1
    code, out = _cli(env, "backup", "restore", "--into", f"sqlite://{tmp_path}/fresh.sqlite3")
    assert code == 0 and "restored and verified" in out, out
    (name,) = [m.name for m in list_backups(tmp_path / "backups")]
    bak = tmp_path / "backups" / f"{name}.bak"
    bak.write_bytes(bak.read_bytes()[:-1])
    code, out = _cli(env, "backup", "verify", name)
    assert code == 1 and "FAILED" in out
    code, out = _cli(env, "backup", "restore", name, "--into", f"sqlite://{tmp_path}/f2.sqlite3")
    assert code == 1, out
    # An unmigrated database has every migration pending.
    code, out = _cli(env, "db", "check")
    assert code == 1 and "0001_initial" in out
