"""Personal data is encrypted at rest: no seeded ID number or phone in the raw database."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from permissions_support import isolated_security, seed_two_branches
from tortoise import Tortoise

from smecredit import models
from smecredit.db import tortoise_config
from smecredit.security.crypto import DecryptionError, Keyring, generate_key_file
from smecredit.security.keys import add_key_to_file, set_keyring
from smecredit.services.persons import (
    decrypt_person,
    find_person_by_id_number,
    firms_by_representative_id_number,
    reencrypt_persons,
)

pytestmark = pytest.mark.anyio

__all__ = ["isolated_security"]


def _raw_sqlite(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite://"))
    data = path.read_bytes()
    wal = Path(f"{path}-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _pg_dump(url: str) -> bytes:
    parts = urlparse(url)
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    cmd = [
        "pg_dump",
        "-h",
        parts.hostname or "localhost",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        "--data-only",
        parts.path.lstrip("/"),
    ]
    return subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=60).stdout


async def test_no_clear_personal_data_in_the_database_files(
    db: Any, backend: str, isolated_security: Any
) -> None:
    seeded = await seed_two_branches()
    secrets = [s for f in seeded.firms for s in (f.id_number, f.phone, f.name)]
    if backend == "sqlite":
        await Tortoise.close_connections()  # flush everything to the file
        raw = _raw_sqlite(db.database_url)
        await Tortoise.init(config=tortoise_config(db))
    else:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        raw = _pg_dump(db.database_url)
    assert b"person" in raw  # the dump is real: the table is there
    for secret in secrets:
        assert secret.encode("utf-8") not in raw, secret
    # The digits of an ID number in any common shape are absent too.
    assert seeded.firms[0].id_number[:14].encode() not in raw


async def test_exact_match_search_by_id_number_still_works(db: Any, isolated_security: Any) -> None:
    seeded = await seed_two_branches()
    target = seeded.firms[2]
    person = await find_person_by_id_number(target.id_number.lower())  # normalised
    assert person is not None and person.id == target.person_id
    assert decrypt_person(person).phone == target.phone
    firms = await firms_by_representative_id_number(target.id_number)
    assert [f.id for f in firms] == [target.firm_id]
    assert await find_person_by_id_number("110101199003074578") is None


async def test_a_ciphertext_moved_to_another_row_does_not_decrypt(
    db: Any, isolated_security: Any
) -> None:
    seeded = await seed_two_branches()
    a_row = await models.Person.get(id=seeded.firms[0].person_id)
    b_row = await models.Person.get(id=seeded.firms[1].person_id)
    b_row.id_number = a_row.id_number
    with pytest.raises(DecryptionError):
        decrypt_person(b_row)


async def test_rotation_reencrypts_in_batches_idempotently(
    db: Any, isolated_security: Keyring
) -> None:
    seeded = await seed_two_branches()
    # A row written before encryption existed (clear text, no key_ref) is picked up too.
    legacy = await models.Person.create(
        name="钱七", id_number="310105198506120999", id_number_index="legacy", phone=None
    )
    rotated = isolated_security.with_new_active_key("k2")
    set_keyring(rotated)
    seen: list[int] = []
    progress = await reencrypt_persons(batch_size=2, on_batch=lambda p: seen.append(p.scanned))
    assert progress.rewritten == len(seeded.firms) + 1
    assert seen == [2, 4, 5]  # batches of two
    for row in await models.Person.all():
        assert rotated.key_id_of(row.id_number) == "k2" and row.key_ref
    assert decrypt_person(await models.Person.get(id=legacy.id)).name == "钱七"
    by_id = {f.person_id: f for f in seeded.firms}
    for row in await models.Person.filter(id__in=list(by_id)):
        assert decrypt_person(row).id_number == by_id[row.id].id_number
    again = await reencrypt_persons(batch_size=2)
    assert again.rewritten == 0  # idempotent
    # Search by ID number is unaffected: the blind index key does not rotate with the data key.
    assert await find_person_by_id_number(seeded.firms[0].id_number) is not None


def test_key_file_rotation_adds_an_active_key_and_keeps_the_old(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = generate_key_file(path)
    blob = ring.encrypt("secret", "person:name:x")
    new_id = add_key_to_file(path)
    assert new_id == "k2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reloaded = Keyring.from_file(path)
    assert reloaded.active_key_id == "k2" and reloaded.decrypt(blob, "person:name:x") == "secret"
