from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.security.crypto import (
    ENV_ACTIVE_KEY,
    ENV_BLIND_INDEX_KEY,
    ENV_KEYS,
    DecryptionError,
    Keyring,
    KeyringError,
    associated_data,
    generate_key_file,
)

AAD = associated_data("person", "id_number", 42)
RING = Keyring.generate()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_roundtrip(plaintext: str) -> None:
    blob = RING.encrypt(plaintext, AAD)
    assert blob.startswith(f"v1:{RING.active_key_id}:")
    assert RING.decrypt(blob, AAD) == plaintext


def test_nonce_is_fresh_each_time() -> None:
    assert RING.encrypt("same", AAD) != RING.encrypt("same", AAD)


def test_blob_moved_to_another_row_or_column_fails() -> None:
    blob = RING.encrypt("11010519900307002X", AAD)
    for other in (
        associated_data("person", "id_number", 43),
        associated_data("person", "phone", 42),
        associated_data("firm", "id_number", 42),
    ):
        with pytest.raises(DecryptionError) as err:
            RING.decrypt(blob, other)
        assert err.value.code == "DECRYPTION_FAILED"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_tampered_byte_fails(data: st.DataObject) -> None:
    blob = RING.encrypt("secret value", AAD)
    prefix, payload = blob.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    tampered = prefix + ":" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(DecryptionError):
        RING.decrypt(tampered, AAD)


@pytest.mark.parametrize("blob", ["", "plain text", "v2:k1:AAAA", "v1:k1:!!!", "v1:k1:AAAA"])
def test_malformed_blobs_fail_cleanly(blob: str) -> None:
    with pytest.raises(DecryptionError):
        RING.decrypt(blob, AAD)


def test_unknown_key_id_fails() -> None:
    other = Keyring.generate("zz")
    with pytest.raises(DecryptionError, match="'zz'"):
        RING.decrypt(other.encrypt("x", AAD), AAD)


def test_rotation_reencrypts_with_new_key_and_old_blobs_still_decrypt() -> None:
    old_blob = RING.encrypt("13812345678", AAD)
    rotated = RING.with_new_active_key("k2")
    assert rotated.active_key_id == "k2"
    assert rotated.key_ids == ["k1", "k2"]
    assert rotated.needs_rotation(old_blob)
    assert rotated.decrypt(old_blob, AAD) == "13812345678"
    new_blob = rotated.reencrypt(old_blob, AAD)
    assert new_blob.startswith("v1:k2:")
    assert not rotated.needs_rotation(new_blob)
    assert rotated.decrypt(new_blob, AAD) == "13812345678"
    # The old ring does not know k2; a ring without k1 cannot read old blobs.
    with pytest.raises(DecryptionError):
        RING.decrypt(new_blob, AAD)
    # The blind index key is unchanged by rotation, so search keeps working.
    assert rotated.blind_index("x", purpose="p") == RING.blind_index("x", purpose="p")


def test_blind_index_is_deterministic_normalised_and_key_dependent() -> None:
    idx = RING.blind_index("11010519900307002X", purpose="person.id_number")
    assert idx == RING.blind_index(" 110105 19900307 002x ", purpose="person.id_number")
    assert len(idx) == 64
    assert idx != RING.blind_index("11010519900307002X", purpose="person.phone")
    assert idx != Keyring.generate().blind_index("11010519900307002X", purpose="person.id_number")
    assert idx != RING.blind_index("11010519900307003X", purpose="person.id_number")


def env_for(**keys: bytes) -> dict[str, str]:
    return {ENV_KEYS: ",".join(f"{k}:{b64(v)}" for k, v in keys.items())}


def test_from_env() -> None:
    k1, k2, blind = (secrets.token_bytes(32) for _ in range(3))
    env = env_for(k1=k1, k2=k2) | {ENV_ACTIVE_KEY: "k2", ENV_BLIND_INDEX_KEY: b64(blind)}
    ring = Keyring.from_env(env)
    assert ring.active_key_id == "k2"
    assert ring.key_ids == ["k1", "k2"]
    assert ring.decrypt(ring.encrypt("hello", AAD), AAD) == "hello"
    assert "k1" in repr(ring) and b64(k1) not in repr(ring)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, ENV_KEYS),
        ({ENV_KEYS: "k1"}, ENV_KEYS),
        ({ENV_KEYS: "k1:" + b64(b"short")}, ENV_KEYS),
        ({ENV_KEYS: "k1:%%%notbase64"}, ENV_KEYS),
        ({ENV_KEYS: f"k1:{b64(bytes(32))},k2:{b64(bytes(range(32)))}"}, ENV_ACTIVE_KEY),
        ({ENV_KEYS: f"k1:{b64(bytes(32))}"}, ENV_BLIND_INDEX_KEY),
        ({ENV_KEYS: f"k1:{b64(bytes(32))}", ENV_BLIND_INDEX_KEY: "abc"}, ENV_BLIND_INDEX_KEY),
        (
            {ENV_KEYS: f"k1:{b64(bytes(32))}", ENV_BLIND_INDEX_KEY: b64(bytes(32))},
            "differ",
        ),
        (
            {
                ENV_KEYS: f"k1:{b64(bytes(32))}",
                ENV_ACTIVE_KEY: "k9",
                ENV_BLIND_INDEX_KEY: b64(bytes(range(32))),
            },
            "'k9'",
        ),
    ],
)
def test_from_env_errors_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(KeyringError) as err:
        Keyring.from_env(env)
    assert named in str(err.value)
    assert err.value.code == "KEYRING_INVALID"


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_generate_and_load_key_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"keys{suffix}"
    ring = generate_key_file(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    loaded = Keyring.from_file(path)
    blob = ring.encrypt("value", AAD)
    assert loaded.decrypt(blob, AAD) == "value"
    assert loaded.blind_index("v", purpose="p") == ring.blind_index("v", purpose="p")
    with pytest.raises(KeyringError, match="already exists"):
        generate_key_file(path)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    path.chmod(mode)
    with pytest.raises(KeyringError) as err:
        Keyring.from_file(path)
    assert str(path) in str(err.value) and "chmod 600" in str(err.value)


def test_key_file_content_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"keys": {"k1": b64(bytes(32))}}, fh)
    with pytest.raises(KeyringError, match="blind_index_key") as err:
        Keyring.from_file(path)
    assert str(path) in str(err.value)
    with pytest.raises(KeyringError, match="cannot be read"):
        Keyring.from_file(tmp_path / "missing.json")
