"""The database records a fingerprint of each key it depends on; start-up with keys that do
not belong to it is refused (``KEY_MISMATCH`` / ``KEY_MISSING`` naming the key id), and no
key is ever generated under an id the database records.

The finding: a database restored without its key file got, in development, a new key file
with the old key id ``k1``, silently, and every lookup then failed with
``DECRYPTION_FAILED``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.app import create_app
from smecredit.cli import cli
from smecredit.db import tortoise_config
from smecredit.security.crypto import DecryptionError, generate_key_file
from smecredit.security.keys import (
    KeyMismatch,
    KeyMissing,
    add_key_to_file,
    reload_keyring,
    set_keyring,
)
from smecredit.services.key_check import check_database_keys
from smecredit.services.persons import decrypt_person, upsert_person
from smecredit.settings import load_settings
from tests.backup_support import use_key_file

pytestmark = pytest.mark.anyio

PERSON = {"name": "张三", "id_number": "11010519491231002X", "phone": "13800138000"}


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The key file in use (development: generated when missing), no pinned keyring."""
    path = use_key_file(tmp_path, monkeypatch)
    try:
        yield path
    finally:
        set_keyring(None)


async def _serve_once(db: Any) -> None:
    """What `smecredit serve` does before it serves: the application's lifespan."""
    app = create_app(db, manage_db=False)
    async with app.router.lifespan_context(app):
        pass


def _replace_key_file(path: Path, **changes: str) -> None:
    data = json.loads(path.read_text())
    for name, value in changes.items():
        if name == "blind_index_key":
            data["blind_index_key"] = value
        else:
            data["keys"][name] = value
    path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(data))
    reload_keyring()


def _random_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


async def test_a_database_restored_without_its_key_file_is_refused(db: Any, key_file: Path) -> None:
    person = await upsert_person(PERSON)
    await _serve_once(db)  # records k1 and the blind-index key
    key_file.unlink()  # restored elsewhere, without the key file
    set_keyring(None)
    with pytest.raises(KeyMissing) as err:
        await _serve_once(db)
    assert err.value.code == "KEY_MISSING"
    assert "k1" in str(err.value) and "SMECREDIT_KEY_FILE" in str(err.value)
    assert not key_file.exists()  # no new key under the old id
    # What used to happen: a fresh k1 that reads nothing.
    reload_keyring()
    with pytest.raises(DecryptionError):
        decrypt_person(await models.Person.get(id=person.id))
    with pytest.raises(KeyMismatch) as mismatch:
        await _serve_once(db)
    assert mismatch.value.code == "KEY_MISMATCH" and "key k1" in str(mismatch.value)


async def test_fingerprints_are_recorded_once_and_reveal_no_key(db: Any, key_file: Path) -> None:
    first = await check_database_keys()
    assert first.recorded == (("blind_index", "blind-index"), ("encryption", "k1"))
    rows = await models.KeyFingerprint.all().order_by("purpose")
    assert [(r.purpose, r.key_id) for r in rows] == list(first.recorded)
    material = json.loads(key_file.read_text())
    for row in rows:
        assert len(row.fingerprint) == 64
        for key in (material["keys"]["k1"], material["blind_index_key"]):
            assert key not in row.fingerprint
    assert (await check_database_keys()).recorded == ()
    # A rotation adds k2: recorded the next time the database is opened.
    add_key_to_file(key_file)
    reload_keyring()
    assert (await check_database_keys()).recorded == (("encryption", "k2"),)


async def test_another_key_under_a_recorded_id_is_refused(db: Any, key_file: Path) -> None:
    await check_database_keys()
    _replace_key_file(key_file, k1=_random_key())
    with pytest.raises(KeyMismatch) as err:
        await check_database_keys()
    assert "key k1" in str(err.value)


async def test_another_blind_index_key_is_refused(db: Any, key_file: Path) -> None:
    await check_database_keys()
    _replace_key_file(key_file, blind_index_key=_random_key())
    with pytest.raises(KeyMismatch) as err:
        await check_database_keys()
    assert "blind-index" in str(err.value)


async def test_a_recorded_key_missing_from_the_keys_is_refused(db: Any, key_file: Path) -> None:
    add_key_to_file(key_file)  # k2
    reload_keyring()
    await check_database_keys()
    data = json.loads(key_file.read_text())
    del data["keys"]["k1"]
    key_file.unlink()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(data))
    reload_keyring()
    with pytest.raises(KeyMissing) as err:
        await check_database_keys()
    assert "k1" in str(err.value)


async def test_a_database_older_than_fingerprints_is_checked_against_its_data(
    db: Any, key_file: Path
) -> None:
    # Data encrypted before fingerprints were recorded: the first check decrypts a sample
    # before it records anything, so it cannot bless a wrong key.
    await upsert_person(PERSON)
    _replace_key_file(key_file, k1=_random_key())
    with pytest.raises(KeyMismatch) as err:
        await check_database_keys()
    assert "key k1" in str(err.value)
    assert not await models.KeyFingerprint.exists()


def test_rotation_never_takes_a_recorded_id(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    assert add_key_to_file(path, taken={"k1", "k2", "k7"}) == "k8"
    with pytest.raises(Exception, match="already recorded"):
        add_key_to_file(path, "k7", taken={"k7"})


def _cli(db_url: str, key_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "SMECREDIT_DATABASE_URL": db_url,
        "SMECREDIT_KEY_FILE": str(key_path),
        "SMECREDIT_ARGON2_PROFILE": "test",
        "SMECREDIT_ENV": "dev",
    }
    set_keyring(None)  # a command loads the keys afresh, like a new process
    EXECUTOR_CACHE.clear()
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_commands_refuse_keys_of_another_database(key_file: Path, tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"

    async def create() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()

    asyncio.run(create())
    code, out = _cli(url, key_file, "users", "list")  # opens the database: records k1
    assert code == 0, out
    _replace_key_file(key_file, k1=_random_key())
    for command in (("keys", "status"), ("users", "list"), ("keys", "rotate")):
        code, out = _cli(url, key_file, *command)
        assert code != 0 and "KEY_MISMATCH" in out and "k1" in out, (command, out)
    key_file.unlink()
    code, out = _cli(url, key_file, "keys", "init")
    assert code != 0 and "KEY_MISSING" in out and "k1" in out, out
    code, out = _cli(url, key_file, "users", "list")
    assert code != 0 and "KEY_MISSING" in out, out
    assert not key_file.exists()  # nothing generated a key under the recorded id
