"""The encrypted backup file: AES-256-GCM in authenticated chunks, streamed.

Layout::

    b"SMECBAK1" | len(key_id) (1 byte) | key_id | chunk*

    chunk = length (4 bytes, big endian) | nonce (12 bytes) | ciphertext+tag (length bytes)

The key is derived from an encryption key of the key file
(:meth:`~smecredit.security.crypto.Keyring.derived_key`, label ``"backup"``); the header
names which key, so a backup stays readable after a rotation while the old key stays in
the file. Each chunk's associated data is the header, its index and whether it is the
last: chunks cannot be reordered, dropped or cut off without decryption failing.
"""

from __future__ import annotations

import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smecredit.security.crypto import Keyring

__all__ = ["BACKUP_KEY_LABEL", "ArchiveError", "decrypt_file", "encrypt_file", "key_id_of"]

MAGIC = b"SMECBAK1"
#: The label of the derived backup key.
BACKUP_KEY_LABEL = "backup"
_CHUNK = 1 << 20
_NONCE = 12
_LENGTH = struct.Struct(">I")


class ArchiveError(Exception):
    """The file is not a backup, or it was changed, cut off, or needs another key."""


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    return MAGIC + bytes([len(raw)]) + raw


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, int(last))


def _chunks(handle: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """The plaintext in chunks, each with whether it is the last (an empty file: one)."""
    current = handle.read(_CHUNK)
    while True:
        following = handle.read(_CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def encrypt_file(source: Path, target: Path, keyring: Keyring) -> str:
    """Encrypt ``source`` into ``target`` (mode 0600) under the active key's backup key.

    Returns:
        The id of the encryption key the backup key was derived from.
    """
    key_id, key = keyring.derived_key(BACKUP_KEY_LABEL)
    cipher = AESGCM(key)
    header = _header(key_id)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as plain, os.fdopen(fd, "wb") as out:
        out.write(header)
        for index, (chunk, last) in enumerate(_chunks(plain)):
            nonce = secrets.token_bytes(_NONCE)
            sealed = cipher.encrypt(nonce, chunk, _aad(header, index, last))
            out.write(_LENGTH.pack(len(sealed)) + nonce + sealed)
    return key_id


def _read_header(handle: BinaryIO) -> bytes:
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        raise ArchiveError("not a smecredit backup file")
    size = handle.read(1)
    if not size:
        raise ArchiveError("the backup file is cut off in its header")
    raw = handle.read(size[0])
    if len(raw) != size[0]:
        raise ArchiveError("the backup file is cut off in its header")
    return MAGIC + size + raw


def key_id_of(path: Path) -> str:
    """The id of the key a backup file was encrypted under (read from its header)."""
    with path.open("rb") as handle:
        return _read_header(handle)[len(MAGIC) + 1 :].decode("ascii")


def decrypt_file(source: Path, target: Path, keyring: Keyring) -> None:
    """Decrypt backup ``source`` into ``target`` (mode 0600).

    Raises:
        ArchiveError: the file was tampered with, cut off, or its key is not in the ring.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with source.open("rb") as handle, os.fdopen(fd, "wb") as out:
        header = _read_header(handle)
        key_id = header[len(MAGIC) + 1 :].decode("ascii")
        if key_id not in keyring.key_ids:
            raise ArchiveError(f"the backup was encrypted under key {key_id}, not in the key file")
        cipher = AESGCM(keyring.derived_key(BACKUP_KEY_LABEL, key_id)[1])
        index = 0
        while True:
            length = handle.read(_LENGTH.size)
            if not length:
                raise ArchiveError("the backup file is cut off (no last chunk)")
            (size,) = _LENGTH.unpack(length) if len(length) == _LENGTH.size else (-1,)
            nonce = handle.read(_NONCE)
            sealed = handle.read(size) if size >= 0 else b""
            if size < 0 or len(nonce) != _NONCE or len(sealed) != size:
                raise ArchiveError("the backup file is cut off inside a chunk")
            last = not handle.peek(1)[:1] if hasattr(handle, "peek") else False
            try:
                out.write(cipher.decrypt(nonce, sealed, _aad(header, index, last)))
            except InvalidTag:
                raise ArchiveError(
                    f"chunk {index} of the backup fails authentication (changed, reordered "
                    "or cut off)"
                ) from None
            if last:
                return
            index += 1
