"""The encrypted backup file: round trip, and every kind of damage is refused."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.security.crypto import Keyring
from smecredit.services.backups import archive
from smecredit.services.backups.archive import ArchiveError, decrypt_file, encrypt_file

RING = Keyring.generate()


def _sealed(tmp: Path, payload: bytes, ring: Keyring = RING) -> Path:
    plain, sealed = tmp / "plain", tmp / "sealed"
    plain.write_bytes(payload)
    sealed.unlink(missing_ok=True)
    encrypt_file(plain, sealed, ring)
    return sealed


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=700))
def test_any_content_comes_back_whole(payload: bytes, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        old, archive._CHUNK = archive._CHUNK, chunk  # many chunks from small inputs
        try:
            sealed = _sealed(tmp, payload)
        finally:
            archive._CHUNK = old
        decrypt_file(sealed, tmp / "out", RING)
        assert (tmp / "out").read_bytes() == payload


def test_damage_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "_CHUNK", 100)
    sealed = _sealed(tmp_path, os.urandom(350))  # four chunks
    data = sealed.read_bytes()
    header = len(archive.MAGIC) + 1 + len(RING.active_key_id)
    frame = 4 + 12 + 100 + 16
    first, second = data[header : header + frame], data[header + frame : header + 2 * frame]
    damaged = {
        "a flipped bit": data[:-5] + bytes([data[-5] ^ 1]) + data[-4:],
        "cut at a chunk boundary": data[: header + 2 * frame],
        "cut inside a chunk": data[:-3],
        "reordered chunks": data[:header] + second + first + data[header + 2 * frame :],
        "not a backup": b"PK\x03\x04" + data[4:],
    }
    refused = []
    for what, content in damaged.items():
        sealed.write_bytes(content)
        try:
            decrypt_file(sealed, tmp_path / "out", RING)
        except ArchiveError:
            refused.append(what)
    assert refused == list(damaged)


def test_another_key_file_cannot_open_it_and_the_header_names_the_key(tmp_path: Path) -> None:
    sealed = _sealed(tmp_path, b"rows")
    assert archive.key_id_of(sealed) == RING.active_key_id
    with pytest.raises(ArchiveError):
        decrypt_file(sealed, tmp_path / "out", Keyring.generate())
    # The backup key is derived per label: neither the field key nor another label's.
    _, backup_key = RING.derived_key("backup")
    assert backup_key != RING.derived_key("other")[1]
    assert backup_key == RING.derived_key("backup", RING.active_key_id)[1]
