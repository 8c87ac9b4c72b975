"""Field encryption at rest (AES-256-GCM) with key rotation, and keyed blind indexes.

Blob format (ASCII, safe in a TEXT column)::

    v1:<key_id>:<base64url(nonce || ciphertext || tag)>

* ``v1`` - format version: AES-256-GCM, 12-byte random nonce, 16-byte tag, no padding in
  the base64url text.
* ``key_id`` - names the key in the :class:`Keyring` that encrypted the value, so old blobs
  stay readable after the active key changes, and :func:`Keyring.needs_rotation` can find
  them.
* The associated data is ``"{table}:{column}:{row_key}"`` (see :func:`associated_data`): it
  is authenticated but not stored, so a ciphertext copied to another row or column fails
  to decrypt.

Blind index: HMAC-SHA256 under a *separate* key (derived per purpose) over a normalised
value, so equality search (e.g. by ID number) works without decrypting, and indexes of
different purposes cannot be joined with each other.

Keys come from the environment or a key file, never from the database: a database dump
alone must not be enough to read the data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smecredit.security.errors import SecurityError

__all__ = [
    "BLIND_INDEX_KEY_ID",
    "BLOB_VERSION",
    "ENV_ACTIVE_KEY",
    "ENV_BLIND_INDEX_KEY",
    "ENV_KEYS",
    "FINGERPRINT_LABEL",
    "KEY_BYTES",
    "DecryptionError",
    "Keyring",
    "KeyringError",
    "associated_data",
    "generate_key_file",
    "normalise_for_index",
]

BLOB_VERSION = "v1"
KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

ENV_KEYS = "SMECREDIT_ENCRYPTION_KEYS"
#: Fixed label of key fingerprints: HMAC-SHA256(key, label:purpose:key_id).
FINGERPRINT_LABEL = b"smecredit key fingerprint v1"
#: The id the blind-index key is fingerprinted under (it has none of its own).
BLIND_INDEX_KEY_ID = "blind-index"
ENV_ACTIVE_KEY = "SMECREDIT_ENCRYPTION_ACTIVE_KEY"
ENV_BLIND_INDEX_KEY = "SMECREDIT_BLIND_INDEX_KEY"


class KeyringError(SecurityError):
    """The key material is missing or malformed; the message names the variable or file."""

    code = "KEYRING_INVALID"


class DecryptionError(SecurityError):
    """A blob could not be decrypted: malformed, unknown key, tampered, or wrong row/column."""

    code = "DECRYPTION_FAILED"


def associated_data(table: str, column: str, row_key: object) -> str:
    """Associated data binding a ciphertext to its place.

    Args:
        table: table name.
        column: column name.
        row_key: a stable row identifier (primary key or natural key).

    Returns:
        ``"{table}:{column}:{row_key}"``.
    """
    return f"{table}:{column}:{row_key}"


def normalise_for_index(value: str) -> str:
    """Normal form used by blind indexes: NFKC, no whitespace or hyphens, case-folded.

    So ``"11010519900307002x"`` and ``" 110105 19900307 002X "`` index the same.

    Args:
        value: the clear value.

    Returns:
        The normalised string.
    """
    text = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s\-]", "", text).casefold()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    # Accept both alphabets: operators paste keys from `openssl rand -base64 32`.
    return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise KeyringError(f"{where}: not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyringError(f"{where}: must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


class Keyring:
    """Named AES-256 keys with one active key, plus the blind-index key.

    Args:
        keys: key id -> 32-byte key. Ids match ``[A-Za-z0-9_-]{1,32}``.
        active_key_id: id of the key new values are encrypted with.
        blind_index_key: 32-byte HMAC key for :meth:`blind_index`; must differ from every
            encryption key.
        source: where the keys came from, used in error messages.

    Raises:
        KeyringError: when a key id or key is malformed or the active key is not in ``keys``.
    """

    def __init__(
        self,
        keys: Mapping[str, bytes],
        active_key_id: str,
        blind_index_key: bytes,
        *,
        source: str = "keyring",
    ) -> None:
        if not keys:
            raise KeyringError(f"{source}: no encryption keys")
        for key_id, key in keys.items():
            if not _KEY_ID_RE.fullmatch(key_id):
                raise KeyringError(f"{source}: key id {key_id!r} must match [A-Za-z0-9_-]{{1,32}}")
            if len(key) != KEY_BYTES:
                raise KeyringError(f"{source}: key {key_id!r} must be {KEY_BYTES} bytes")
        if active_key_id not in keys:
            raise KeyringError(
                f"{source}: active key {active_key_id!r} is not among the keys "
                f"({', '.join(sorted(keys))})"
            )
        if len(blind_index_key) != KEY_BYTES:
            raise KeyringError(f"{source}: blind index key must be {KEY_BYTES} bytes")
        if any(hmac.compare_digest(blind_index_key, k) for k in keys.values()):
            raise KeyringError(f"{source}: blind index key must differ from the encryption keys")
        self._keys = dict(keys)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id
        self._blind_key = blind_index_key

    def __repr__(self) -> str:
        return f"Keyring(key_ids={sorted(self._keys)!r}, active={self._active!r})"

    @property
    def active_key_id(self) -> str:
        """Id of the key used for new encryptions."""
        return self._active

    @property
    def key_ids(self) -> list[str]:
        """Ids of every key in the ring, sorted."""
        return sorted(self._keys)

    # --- construction -------------------------------------------------------------------

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        """A keyring with fresh random keys (tests, first installation).

        Args:
            key_id: id of the single encryption key.

        Returns:
            The new keyring.
        """
        return cls({key_id: secrets.token_bytes(KEY_BYTES)}, key_id, secrets.token_bytes(KEY_BYTES))

    def with_new_active_key(self, key_id: str, key: bytes | None = None) -> Keyring:
        """A copy of this ring with one more key, made active (the first step of rotation).

        Args:
            key_id: id of the new key; must not exist yet.
            key: the key; random when None.

        Returns:
            The new keyring; old keys stay so old blobs still decrypt.

        Raises:
            KeyringError: when ``key_id`` is already in use.
        """
        if key_id in self._keys:
            raise KeyringError(f"keyring: key id {key_id!r} already exists")
        keys = {**self._keys, key_id: key if key is not None else secrets.token_bytes(KEY_BYTES)}
        return Keyring(keys, key_id, self._blind_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Keyring:
        """Load keys from environment variables.

        * ``SMECREDIT_ENCRYPTION_KEYS``: ``k1:<base64 32 bytes>,k2:<base64 32 bytes>``.
        * ``SMECREDIT_ENCRYPTION_ACTIVE_KEY``: id of the active key (optional when there is
          exactly one key).
        * ``SMECREDIT_BLIND_INDEX_KEY``: base64 of 32 bytes.

        Args:
            environ: the environment; ``os.environ`` when None.

        Returns:
            The keyring.

        Raises:
            KeyringError: naming the variable that is missing or wrong.
        """
        env = os.environ if environ is None else environ
        raw_keys = env.get(ENV_KEYS, "").strip()
        if not raw_keys:
            raise KeyringError(f"{ENV_KEYS} is not set (expected 'k1:<base64 32 bytes>,...')")
        keys: dict[str, bytes] = {}
        for item in raw_keys.split(","):
            item = item.strip()
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            key_id = key_id.strip()
            if not sep or not key_id:
                raise KeyringError(f"{ENV_KEYS}: entry {key_id!r} must look like 'id:<base64>'")
            if key_id in keys:
                raise KeyringError(f"{ENV_KEYS}: key id {key_id!r} appears twice")
            keys[key_id] = _decode_key(encoded, f"{ENV_KEYS} key {key_id!r}")
        active = env.get(ENV_ACTIVE_KEY, "").strip()
        if not active:
            if len(keys) != 1:
                raise KeyringError(
                    f"{ENV_ACTIVE_KEY} is not set and {ENV_KEYS} holds {len(keys)} keys"
                )
            active = next(iter(keys))
        blind = env.get(ENV_BLIND_INDEX_KEY, "").strip()
        if not blind:
            raise KeyringError(f"{ENV_BLIND_INDEX_KEY} is not set (expected base64 of 32 bytes)")
        blind_key = _decode_key(blind, ENV_BLIND_INDEX_KEY)
        source = f"{ENV_KEYS}/{ENV_ACTIVE_KEY}/{ENV_BLIND_INDEX_KEY}"
        return cls(keys, active, blind_key, source=source)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Keyring:
        """Load keys from a JSON or TOML key file readable by its owner only.

        Format (JSON shown; TOML has the same keys, with a ``[keys]`` table)::

            {"active_key": "k2",
             "keys": {"k1": "<base64 32 bytes>", "k2": "<base64 32 bytes>"},
             "blind_index_key": "<base64 32 bytes>"}

        Args:
            path: the file; ``.toml`` is parsed as TOML, anything else as JSON.

        Returns:
            The keyring.

        Raises:
            KeyringError: naming the file when it is missing, group/world accessible,
                unparsable or incomplete.
        """
        file = Path(path)
        try:
            st = file.stat()
        except OSError as exc:
            raise KeyringError(f"key file {file}: cannot be read ({exc.strerror})") from exc
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyringError(
                f"key file {file}: permissions {stat.S_IMODE(st.st_mode):04o} let other users "
                f"read it; run 'chmod 600 {file}'"
            )
        try:
            text = file.read_text(encoding="utf-8")
            data: Any = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise KeyringError(f"key file {file}: cannot be parsed ({exc})") from exc
        if not isinstance(data, dict):
            raise KeyringError(f"key file {file}: must hold an object/table at the top level")
        raw_keys = data.get("keys")
        if not isinstance(raw_keys, dict) or not raw_keys:
            raise KeyringError(f"key file {file}: 'keys' must map key ids to base64 keys")
        keys = {
            str(key_id): _decode_key(str(value), f"key file {file}: key {key_id!r}")
            for key_id, value in raw_keys.items()
        }
        active = data.get("active_key")
        if active is None and len(keys) == 1:
            active = next(iter(keys))
        if not isinstance(active, str):
            raise KeyringError(f"key file {file}: 'active_key' must name one of the keys")
        blind = data.get("blind_index_key")
        if not isinstance(blind, str):
            raise KeyringError(f"key file {file}: 'blind_index_key' is missing")
        blind_key = _decode_key(blind, f"key file {file}: blind_index_key")
        return cls(keys, active, blind_key, source=f"key file {file}")

    # --- fingerprints -------------------------------------------------------------------

    def fingerprints(self) -> dict[tuple[str, str], str]:
        """A fingerprint of every key, keyed ``(purpose, key_id)``.

        The fingerprint is HMAC-SHA256 under the key itself of :data:`FINGERPRINT_LABEL`,
        the purpose and the key id: it tells whether two key files hold the same key
        under an id, and reveals nothing of the key. Purposes: ``"encryption"`` for every
        encryption key, ``"blind_index"`` for the blind-index key (id
        :data:`BLIND_INDEX_KEY_ID`).

        Returns:
            64 hex characters per key.
        """
        keys = [("encryption", key_id, key) for key_id, key in self._keys.items()]
        keys.append(("blind_index", BLIND_INDEX_KEY_ID, self._blind_key))
        return {
            (purpose, key_id): hmac.new(
                key,
                b":".join((FINGERPRINT_LABEL, purpose.encode(), key_id.encode())),
                hashlib.sha256,
            ).hexdigest()
            for purpose, key_id, key in keys
        }

    def derived_key(self, label: str, key_id: str | None = None) -> tuple[str, bytes]:
        """A 32-byte key for ``label`` (e.g. ``"backup"``) derived from an encryption key.

        HMAC-SHA256 under the encryption key of ``label`` and the key id: whoever holds the
        key file can derive it again, and nothing derived for one label opens another's
        data, nor the fields encrypted with the key itself.

        Args:
            label: what the key is for.
            key_id: the encryption key to derive from (default: the active key).

        Returns:
            ``(key_id, key)``.

        Raises:
            KeyringError: ``key_id`` is not in the ring.
        """
        key_id = key_id or self._active
        if key_id not in self._keys:
            raise KeyringError(f"key {key_id!r} is not in the keyring")
        derived = hmac.new(
            self._keys[key_id],
            b"derived:" + label.encode("utf-8") + b":" + key_id.encode(),
            hashlib.sha256,
        ).digest()
        return key_id, derived

    # --- encryption ---------------------------------------------------------------------

    def encrypt(self, plaintext: str, aad: str) -> str:
        """Encrypt a value with the active key.

        Args:
            plaintext: the clear text.
            aad: associated data, normally :func:`associated_data` of the cell.

        Returns:
            The blob ``v1:<key_id>:<base64url(nonce|ciphertext|tag)>``.
        """
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._ciphers[self._active].encrypt(
            nonce, plaintext.encode("utf-8"), aad.encode("utf-8")
        )
        return f"{BLOB_VERSION}:{self._active}:{_b64encode(nonce + sealed)}"

    def _parse(self, blob: str) -> tuple[str, bytes]:
        parts = blob.split(":")
        if len(parts) != 3 or parts[0] != BLOB_VERSION:
            raise DecryptionError(f"not a {BLOB_VERSION} encrypted blob")
        key_id, payload = parts[1], parts[2]
        if key_id not in self._keys:
            raise DecryptionError(f"blob was encrypted with key {key_id!r}, not in the keyring")
        try:
            raw = _b64decode(payload)
        except (binascii.Error, ValueError) as exc:
            raise DecryptionError("blob payload is not valid base64url") from exc
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("blob payload is too short")
        return key_id, raw

    def decrypt(self, blob: str, aad: str) -> str:
        """Decrypt a blob made by :meth:`encrypt`, with any key still in the ring.

        Args:
            blob: the stored blob.
            aad: the same associated data used at encryption.

        Returns:
            The clear text.

        Raises:
            DecryptionError: when the blob is malformed, its key is unknown, it was tampered
                with, or ``aad`` differs (moved to another row/column).
        """
        key_id, raw = self._parse(blob)
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        try:
            clear = self._ciphers[key_id].decrypt(nonce, sealed, aad.encode("utf-8"))
        except InvalidTag as exc:
            raise DecryptionError(
                "blob failed authentication (tampered, or belongs to another row/column)"
            ) from exc
        return clear.decode("utf-8")

    def key_id_of(self, blob: str) -> str:
        """The key id a blob names (without decrypting).

        Args:
            blob: the stored blob.

        Returns:
            The key id.

        Raises:
            DecryptionError: when the blob is not a ``v1`` blob.
        """
        parts = blob.split(":")
        if len(parts) != 3 or parts[0] != BLOB_VERSION:
            raise DecryptionError(f"not a {BLOB_VERSION} encrypted blob")
        return parts[1]

    def needs_rotation(self, blob: str) -> bool:
        """Whether a blob was encrypted with another key than the active one.

        Args:
            blob: the stored blob.

        Returns:
            True when :meth:`reencrypt` should be applied.
        """
        return self.key_id_of(blob) != self._active

    def reencrypt(self, blob: str, aad: str) -> str:
        """Decrypt with the blob's key and encrypt again with the active key.

        Args:
            blob: the stored blob.
            aad: its associated data.

        Returns:
            A new blob under the active key (a fresh nonce even if already active).

        Raises:
            DecryptionError: when the blob cannot be decrypted.
        """
        return self.encrypt(self.decrypt(blob, aad), aad)

    # --- blind index --------------------------------------------------------------------

    def blind_index(self, value: str, *, purpose: str) -> str:
        """Keyed, deterministic digest of a normalised value for exact-match search.

        The HMAC key is derived per ``purpose`` from the blind-index key, so the index of an
        ID number cannot be matched against the index of a phone number.

        Args:
            value: the clear value.
            purpose: what the index is for, e.g. ``"person.id_number"``.

        Returns:
            64 hex characters.
        """
        purpose_key = hmac.new(
            self._blind_key, b"blind-index:" + purpose.encode("utf-8"), hashlib.sha256
        ).digest()
        normalised = normalise_for_index(value).encode("utf-8")
        return hmac.new(purpose_key, normalised, hashlib.sha256).hexdigest()


def generate_key_file(path: str | os.PathLike[str], *, key_id: str = "k1") -> Keyring:
    """Write a new key file with fresh random keys, readable by its owner only (0600).

    Args:
        path: where to write; ``.toml`` writes TOML, anything else JSON. Must not exist.
        key_id: id of the single encryption key.

    Returns:
        The keyring the file holds.

    Raises:
        KeyringError: when the file exists or cannot be created.
    """
    file = Path(path)
    key = secrets.token_bytes(KEY_BYTES)
    blind = secrets.token_bytes(KEY_BYTES)
    if not _KEY_ID_RE.fullmatch(key_id):
        raise KeyringError(f"key file {file}: key id {key_id!r} must match [A-Za-z0-9_-]{{1,32}}")
    if file.suffix == ".toml":
        text = (
            f'active_key = "{key_id}"\n'
            f'blind_index_key = "{_b64encode(blind)}"\n\n'
            f'[keys]\n{key_id} = "{_b64encode(key)}"\n'
        )
    else:
        text = (
            json.dumps(
                {
                    "active_key": key_id,
                    "keys": {key_id: _b64encode(key)},
                    "blind_index_key": _b64encode(blind),
                },
                indent=2,
            )
            + "\n"
        )
    try:
        # O_EXCL: never overwrite existing keys (that would make every blob unreadable).
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyringError(f"key file {file}: already exists, refusing to overwrite") from exc
    except OSError as exc:
        raise KeyringError(f"key file {file}: cannot be created ({exc.strerror})") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(file, 0o600)  # the umask cannot widen 0600, but be explicit
    return Keyring({key_id: key}, key_id, blind, source=f"key file {file}")
