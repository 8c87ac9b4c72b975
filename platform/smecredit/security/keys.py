"""Where the process gets its :class:`~smecredit.security.crypto.Keyring`, and field helpers.

Order: ``SMECREDIT_ENCRYPTION_KEYS`` (+ ``SMECREDIT_ENCRYPTION_ACTIVE_KEY``,
``SMECREDIT_BLIND_INDEX_KEY``) when set; else the key file ``SMECREDIT_KEY_FILE`` (default
``var/keys.json``, relative to the working directory). In development a missing key file is
generated (mode 0600); in production it is an error. Keys never come from the database.

The keyring is one per process and loaded lazily at the first encryption, also by tools
and tests that hold no :class:`~smecredit.settings.Settings`: so this module, alone in the
core, reads its variables (those above and ``SMECREDIT_ENV``) from the environment itself,
and reloads when they change. ``Settings`` carries them too (``encryption_keys``,
``key_file``...) for everything else, with the same defaults.

The key file is re-read when it changes (checked at most once a second), so a running
server picks up the new key that ``smecredit keys rotate`` adds, without a restart.

The database records a fingerprint of every key its data depends on
(:mod:`smecredit.services.key_check`): start-up with keys that do not match is refused
(:class:`KeyMismatch`, :class:`KeyMissing`), and no key is ever made under a recorded id.

Other areas encrypt their own columns with :func:`encrypt_field` / :func:`decrypt_field`
(e.g. ``encrypt_field("app_user", "totp_secret", user.id, secret)``).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from smecredit.security.crypto import (
    BLOB_VERSION,
    ENV_KEYS,
    KEY_BYTES,
    Keyring,
    KeyringError,
    associated_data,
    generate_key_file,
)
from smecredit.settings import DEFAULT_KEY_FILE

__all__ = [
    "DEFAULT_KEY_FILE",
    "ENV_KEY_FILE",
    "KeyMismatch",
    "KeyMissing",
    "add_key_to_file",
    "decrypt_field",
    "encrypt_field",
    "get_keyring",
    "is_encrypted",
    "key_file_path",
    "keys_would_be_generated",
    "reload_keyring",
    "set_keyring",
]

ENV_KEY_FILE = "SMECREDIT_KEY_FILE"
_RECHECK_SECONDS = 1.0

_keyring: Keyring | None = None
_fixed = False  # set_keyring() pins the ring (tests): no reloading
_file_stamp: tuple[str, float] | None = None
_loaded_from: tuple[str, str] | None = None  # (SMECREDIT_ENCRYPTION_KEYS, key file) loaded
_checked_at = 0.0


def key_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """The key file in use (``SMECREDIT_KEY_FILE`` or ``var/keys.json``)."""
    env = os.environ if environ is None else environ
    return Path(env.get(ENV_KEY_FILE) or DEFAULT_KEY_FILE)


class KeyMismatch(KeyringError):
    """A key differs from the one the database's data was encrypted with (same id)."""

    code = "KEY_MISMATCH"


class KeyMissing(KeyringError):
    """The database's data depends on a key the configured keys do not hold."""

    code = "KEY_MISSING"


def keys_would_be_generated(environ: Mapping[str, str] | None = None) -> bool:
    """True when loading the keyring would create a new key file (development, none yet).

    Start-up asks first: a database that already depends on keys must get its own key file
    back, never a fresh one under the same ids.
    """
    env = os.environ if environ is None else environ
    if _fixed or env.get(ENV_KEYS, "").strip():
        return False
    return not key_file_path(env).exists()


def _is_dev(env: Mapping[str, str]) -> bool:
    return env.get("SMECREDIT_ENV", "dev").strip().lower() in ("dev", "development", "test")


def _source(env: Mapping[str, str]) -> tuple[str, str]:
    return env.get(ENV_KEYS, "").strip(), str(key_file_path(env))


def _load(env: Mapping[str, str]) -> Keyring:
    global _file_stamp, _loaded_from
    _loaded_from = _source(env)
    if env.get(ENV_KEYS, "").strip():
        _file_stamp = None
        return Keyring.from_env(env)
    path = key_file_path(env)
    if not path.exists():
        if not _is_dev(env):
            raise KeyringError(
                f"no encryption keys: set {ENV_KEYS} or create the key file {path} "
                "(smecredit keys init)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        generate_key_file(path)
    ring = Keyring.from_file(path)
    _file_stamp = (str(path), path.stat().st_mtime)
    return ring


def get_keyring() -> Keyring:
    """The process keyring (loaded on first use, reloaded when the key file changes).

    Raises:
        KeyringError: no keys configured in production, or malformed keys.
    """
    global _keyring, _checked_at
    if _keyring is not None and not _fixed and _loaded_from != _source(os.environ):
        # The configuration names other keys now (a command's environment, tests).
        _keyring = None
    if _keyring is not None and (_fixed or _file_stamp is None):
        return _keyring
    now = time.monotonic()
    if _keyring is not None and now - _checked_at < _RECHECK_SECONDS:
        return _keyring
    _checked_at = now
    if _keyring is not None and _file_stamp is not None:
        path = Path(_file_stamp[0])
        try:
            if path.stat().st_mtime == _file_stamp[1]:
                return _keyring
        except OSError:
            return _keyring
    _keyring = _load(os.environ)
    return _keyring


def set_keyring(keyring: Keyring | None) -> None:
    """Pin the process keyring (tests, tools); None: load from the environment again."""
    global _keyring, _fixed, _file_stamp
    _keyring = keyring
    _fixed = keyring is not None
    _file_stamp = None


def is_encrypted(value: object) -> bool:
    """Whether a stored value is an encrypted blob (not legacy clear text)."""
    return isinstance(value, str) and value.startswith(BLOB_VERSION + ":")


def encrypt_field(table: str, column: str, row_key: object, value: str | None) -> str | None:
    """Encrypt one cell (None stays None), bound to ``table:column:row_key``."""
    if value is None:
        return None
    return get_keyring().encrypt(value, associated_data(table, column, row_key))


def decrypt_field(table: str, column: str, row_key: object, value: str | None) -> str | None:
    """Decrypt one cell; clear text written before encryption is returned as is.

    Raises:
        DecryptionError: a blob that is tampered with, moved, or under an unknown key.
    """
    if value is None or not is_encrypted(value):
        return value
    return get_keyring().decrypt(value, associated_data(table, column, row_key))


def reload_keyring() -> Keyring:
    """Load the keyring again now (after the key file changed)."""
    global _keyring, _fixed
    _keyring, _fixed = None, False
    return get_keyring()


def add_key_to_file(path: Path, key_id: str | None = None, *, taken: Iterable[str] = ()) -> str:
    """Add a fresh random key to a JSON key file and make it the active key.

    The file is replaced atomically and stays readable by its owner only (0600). Old keys
    stay in the file so existing blobs remain readable until re-encrypted.

    Args:
        path: the JSON key file.
        key_id: the new key's id (default: ``k<n>`` after the highest ``k<n>`` in the file
            or in ``taken``).
        taken: ids the database already records (a key under one of them would be taken
            for the recorded key).

    Returns:
        The new key id.

    Raises:
        KeyringError: the file is TOML, unreadable, or the id exists already (in the file
            or in ``taken``).
    """
    if path.suffix == ".toml":
        raise KeyringError(f"key file {path}: rotation writes JSON key files only")
    Keyring.from_file(path)  # validates permissions and content first
    data = json.loads(path.read_text(encoding="utf-8"))
    keys: dict[str, str] = data["keys"]
    used = {*keys, *taken}
    if key_id is None:
        numbers = [int(k[1:]) for k in used if k[:1] == "k" and k[1:].isdigit()]
        key_id = f"k{max(numbers, default=0) + 1}"
    if key_id in keys:
        raise KeyringError(f"key file {path}: key id {key_id!r} already exists")
    if key_id in used:
        raise KeyringError(
            f"key id {key_id!r} is already recorded by the database for another key: "
            "choose another id"
        )
    raw = secrets.token_bytes(KEY_BYTES)
    keys[key_id] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    data["active_key"] = key_id
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
    Keyring.from_file(path)  # the new file must load before anyone relies on it
    return key_id
