"""No personal data in clear anywhere: a demo seed, then the raw database is scanned.

On SQLite the scan reads the database file's bytes (and its WAL); on PostgreSQL it reads
every text, varchar and JSON column of every table. It looks for valid resident ID numbers
(GB 11643 check character) and mainland mobile numbers, and for the exact ID numbers and
phones of the seeded persons. Reproduces: a seeded demo database held 52 valid ID numbers
in plain text, in the quarantine's raw records.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from smecredit_source_synthetic.generator import generate_portfolio
from tortoise import connections

from smecredit import models
from smecredit.domain.identity import is_valid_id_number, is_valid_uscc
from smecredit.security.crypto import Keyring
from smecredit.security.keys import set_keyring
from smecredit.services.ingestion.quarantine import open_raw

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

N_FIRMS = 120
SEED = 42
# Standalone tokens only: digits inside hex or base64 (blind indexes, ciphertexts) are not
# numbers, and a run followed by ".dd" is an amount (SQLite stores decimals as text).
_ID_NUMBER = re.compile(rb"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(rb"(?<![0-9A-Za-z+])1[3-9][0-9]{9}(?![0-9A-Za-z]|\.[0-9])")


def _findings(data: bytes, known: set[bytes]) -> dict[str, set[str]]:
    ids = {
        m.group().decode()
        for m in _ID_NUMBER.finditer(data)
        # A unified social credit code can be all digits and pass the ID check too.
        if is_valid_id_number(m.group().decode()) and not is_valid_uscc(m.group().decode())
    }
    mobiles = {m.group().decode() for m in _MOBILE.finditer(data)}
    exact = {value.decode() for value in known if value in data}
    return {"id_numbers": ids, "mobiles": mobiles, "seeded_values": exact}


def _seeded_personal_values() -> set[bytes]:
    values: set[bytes] = set()
    for kind, record in generate_portfolio(N_FIRMS, seed=SEED):
        people = [record] if kind == "person" else [record.get("representative") or {}]
        for person in people:
            for key in ("id_number", "phone"):
                if person.get(key):
                    values.add(str(person[key]).encode())
    return values


async def _postgres_text(db: Any) -> bytes:
    conn = connections.get("default")
    columns = await conn.execute_query_dict(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type IN "
        "('text', 'character varying', 'character', 'json', 'jsonb')"
    )
    chunks: list[bytes] = []
    for column in columns:
        rows = await conn.execute_query_dict(
            f'SELECT "{column["column_name"]}"::text AS v FROM "{column["table_name"]}"'
        )
        chunks.extend(str(row["v"]).encode() for row in rows if row["v"] is not None)
    return b"\n".join(chunks)


async def test_demo_database_holds_no_personal_data_in_clear(
    db: Any, backend: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys.json"
    env = {
        **os.environ,
        "SMECREDIT_DATABASE_URL": db.database_url,
        "SMECREDIT_KEY_FILE": str(key_file),
        "SMECREDIT_ENV": "dev",
        "SMECREDIT_ARGON2_PROFILE": "test",
    }
    smecredit = str(Path(sys.executable).parent / "smecredit")
    seeded = subprocess.run(
        [smecredit, "demo", "seed", "--firms", str(N_FIRMS), "--seed", str(SEED)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert seeded.returncode == 0, seeded.stderr

    set_keyring(Keyring.from_file(key_file))
    try:
        # The seed did put personal data into the quarantine (so the scan can fail).
        raws = [open_raw(row) for row in await models.QuarantinedRecord.all()]
        assert any(re.search(r"'id_number': '\d{17}", repr(raw)) for raw in raws)
    finally:
        set_keyring(None)

    if backend == "sqlite":
        path = Path(db.sqlite_path())
        await connections.get("default").execute_query("PRAGMA wal_checkpoint(FULL)")
        data = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    else:
        data = await _postgres_text(db)
    assert len(data) > 100_000  # the seed is in there
    findings = _findings(data, _seeded_personal_values())
    assert findings == {"id_numbers": set(), "mobiles": set(), "seeded_values": set()}
