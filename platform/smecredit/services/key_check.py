"""The database and its keys belong together: checked whenever the platform opens it.

The database records a fingerprint of every key its encrypted data depends on
(:class:`~smecredit.models.KeyFingerprint`; :meth:`Keyring.fingerprints
<smecredit.security.crypto.Keyring.fingerprints>`, never the key). :func:`check_database_keys`
runs before the server serves (the application's lifespan) and before every command that
opens the database, and refuses:

* ``KEY_MISMATCH``: a configured key has the id of a recorded key but another fingerprint
  (a key file of another installation, or one generated afresh after a restore);
* ``KEY_MISSING``: a recorded key is not configured at all, or there is no key file while
  the database depends on keys (development would otherwise generate a new one, under the
  old id, and every lookup would then fail with ``DECRYPTION_FAILED``).

The message names the key id and what to do: restore the ``SMECREDIT_KEY_FILE`` (or
``SMECREDIT_ENCRYPTION_KEYS``) that goes with this database. Keys seen for the first time
are recorded; a database written before fingerprints existed has its keys checked
against a sample of its encrypted values first, so the first record cannot bless a wrong
key.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError, OperationalError

from smecredit import models
from smecredit.security.crypto import ENV_KEYS, DecryptionError, Keyring, KeyringError
from smecredit.security.keys import (
    ENV_KEY_FILE,
    KeyMismatch,
    KeyMissing,
    decrypt_field,
    get_keyring,
    is_encrypted,
    key_file_path,
    keys_would_be_generated,
)

__all__ = ["KeyCheck", "check_database_keys", "recorded_key_ids"]

_SAMPLE = 20
_RESTORE = (
    f"restore the {ENV_KEY_FILE} (or {ENV_KEYS}) that goes with this database; "
    "never generate a new key for it"
)


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """Outcome of :func:`check_database_keys`.

    Attributes:
        keyring: the checked keyring.
        recorded: keys recorded by this check (first seen), as ``(purpose, key_id)``.
    """

    keyring: Keyring
    recorded: tuple[tuple[str, str], ...]


async def _recorded() -> dict[tuple[str, str], str]:
    try:
        rows = await models.KeyFingerprint.all().values_list("purpose", "key_id", "fingerprint")
    except OperationalError as exc:
        raise KeyringError(
            f"the database has no key_fingerprint table ({exc}): run 'smecredit db migrate'"
        ) from None
    return {(str(p), str(k)): str(f) for p, k, f in rows}


async def recorded_key_ids() -> set[str]:
    """Ids of the encryption keys the database records (none may be reused for a new key)."""
    return {key_id for purpose, key_id in await _recorded() if purpose == "encryption"}


async def _encrypted_samples() -> list[tuple[str, str, object, str]]:
    """A few encrypted values as ``(table, column, row_key, blob)``."""
    out: list[tuple[str, str, object, str]] = []
    persons = (
        await models.Person.filter(key_ref__isnull=False)
        .order_by("id")
        .limit(_SAMPLE)
        .values("key_ref", "name", "id_number", "phone")
    )
    for row in persons:
        for column in ("name", "id_number", "phone"):
            value = row[column]
            if is_encrypted(value):
                out.append(("person", column, row["key_ref"], value))
    users = (
        await models.User.filter(totp_secret__isnull=False)
        .order_by("id")
        .limit(_SAMPLE)
        .values("id", "totp_secret")
    )
    out.extend(
        ("app_user", "totp_secret", u["id"], u["totp_secret"])
        for u in users
        if is_encrypted(u["totp_secret"])
    )
    return out


def _key_id(blob: str) -> str:
    return blob.split(":")[1]


async def _check_unrecorded(ring: Keyring, new: Iterable[tuple[str, str]]) -> None:
    """Data written before fingerprints existed must decrypt under keys about to be recorded."""
    new_ids = {key_id for purpose, key_id in new if purpose == "encryption"}
    new_blind = any(purpose == "blind_index" for purpose, _ in new)
    samples = await _encrypted_samples()
    unknown = sorted({_key_id(blob) for *_, blob in samples} - set(ring.key_ids))
    if unknown:
        raise KeyMissing(
            f"the database holds data encrypted under key {', '.join(unknown)}, which the "
            f"configured keys do not hold: {_RESTORE}"
        )
    for table, column, row_key, blob in samples:
        if _key_id(blob) not in new_ids:
            continue
        try:
            decrypt_field(table, column, row_key, blob)
        except DecryptionError:
            raise KeyMismatch(
                f"key {_key_id(blob)} does not decrypt this database's data "
                f"({table}.{column}): it is another key under the same id: {_RESTORE}"
            ) from None
    if new_blind:
        await _check_blind_index(ring)


async def _check_blind_index(ring: Keyring) -> None:
    from smecredit.services.persons import decrypt_person, person_index

    row = await models.Person.filter(key_ref__isnull=False, id_number_index__not="").first()
    if row is None or not is_encrypted(row.id_number):
        return
    if not hmac.compare_digest(person_index(decrypt_person(row).id_number), row.id_number_index):
        raise KeyMismatch(
            "the blind-index key does not match this database's indexes (searching by ID "
            f"number would find nothing): {_RESTORE}"
        )


def _encryption_first(item: tuple[tuple[str, str], str]) -> tuple[bool, str]:
    (purpose, key_id), _ = item
    return purpose != "encryption", key_id


async def check_database_keys(*, record: bool = True) -> KeyCheck:
    """Refuse keys that do not belong to the open database; record keys seen first now.

    Args:
        record: store the fingerprints of keys not recorded yet.

    Returns:
        The check's outcome.

    Raises:
        KeyMismatch: ``KEY_MISMATCH`` naming the key id.
        KeyMissing: ``KEY_MISSING`` naming the key id(s).
        KeyringError: no keys can be loaded, or the database is not migrated.
    """
    recorded = await _recorded()
    if keys_would_be_generated():
        # Development generates a missing key file: not for a database that has keys.
        depends_on = sorted(k for p, k in recorded if p == "encryption")
        if not depends_on:
            depends_on = sorted({_key_id(blob) for *_, blob in await _encrypted_samples()})
        if depends_on:
            raise KeyMissing(
                f"the key file {key_file_path()} does not exist, but this database depends "
                f"on key {', '.join(depends_on)}: {_RESTORE}"
            )
    ring = get_keyring()
    current = ring.fingerprints()
    differing = [
        "the blind-index key" if purpose == "blind_index" else f"key {key_id}"
        for (purpose, key_id), fingerprint in sorted(current.items(), key=_encryption_first)
        if (seen := recorded.get((purpose, key_id))) is not None
        and not hmac.compare_digest(seen, fingerprint)
    ]
    if differing:
        raise KeyMismatch(
            f"{' and '.join(differing)} {'is' if len(differing) == 1 else 'are'} not what this "
            f"database was encrypted with (fingerprint differs from the one recorded): {_RESTORE}"
        )
    missing = sorted(k for (p, k) in recorded if p == "encryption" and k not in ring.key_ids)
    if missing:
        raise KeyMissing(
            f"this database depends on key {', '.join(missing)}, which the configured keys "
            f"do not hold: {_RESTORE}"
        )
    new = tuple(sorted(k for k in current if k not in recorded))
    if new:
        await _check_unrecorded(ring, new)
    if record and new:
        for purpose, key_id in new:
            try:
                await models.KeyFingerprint.create(
                    purpose=purpose, key_id=key_id, fingerprint=current[(purpose, key_id)]
                )
            except IntegrityError:
                # Another process recorded it meanwhile: it must be the same key.
                again = (await _recorded()).get((purpose, key_id))
                if again is None or not hmac.compare_digest(again, current[(purpose, key_id)]):
                    raise KeyMismatch(
                        f"key {key_id} was recorded meanwhile with another fingerprint: {_RESTORE}"
                    ) from None
    return KeyCheck(keyring=ring, recorded=new if record else ())
