"""Persons: the one place personal data is written, indexed, encrypted and decrypted.

``name``, ``id_number`` and ``phone`` are stored AES-256-GCM encrypted
(:mod:`smecredit.security.keys`), each bound by its associated data to
``person:<column>:<key_ref>``. ``key_ref`` is a random per-row reference chosen before the
insert (so raw bulk inserts can encrypt too) and never changes; a ciphertext copied to
another row or column fails to decrypt. ``id_number_index`` is a keyed blind index (HMAC
under a separate key) so exact-match search by ID number works without decrypting.

Rows written before encryption (clear text, no ``key_ref``) stay readable and are
encrypted by :func:`reencrypt_persons` (``smecredit keys rotate``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit import models
from smecredit.domain.identity import normalize_id_number
from smecredit.security.keys import decrypt_field, encrypt_field, get_keyring, is_encrypted
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows

__all__ = [
    "ENCRYPTED_COLUMNS",
    "PERSON_TABLE",
    "PersonData",
    "RotationProgress",
    "decrypt_person",
    "encrypt_person_fields",
    "find_person_by_id_number",
    "firms_by_representative_id_number",
    "new_key_ref",
    "person_index",
    "reencrypt_persons",
    "upsert_person",
]

PERSON_TABLE = "person"
#: Person columns stored encrypted.
ENCRYPTED_COLUMNS = ("name", "id_number", "phone")


@dataclass(frozen=True, slots=True)
class PersonData:
    """A person's personal data in clear (never stored like this)."""

    id: int | None
    name: str
    id_number: str
    phone: str | None


def new_key_ref() -> str:
    """A fresh random row reference for the associated data of a new person."""
    return secrets.token_hex(16)


def person_index(id_number: str) -> str:
    """Keyed blind index of a resident ID number for exact-match lookups."""
    return get_keyring().blind_index(normalize_id_number(id_number), purpose="id_number")


def encrypt_person_fields(
    values: Mapping[str, Any], key_ref: str, *, index: str | None = None
) -> dict[str, Any]:
    """Column values to store for ``values`` (clear ``name``/``id_number``/``phone``).

    The only place a person's personal fields are encrypted: the ORM paths here and bulk
    ingestion's raw SQL (:mod:`smecredit.services.ingestion.writer`) both call it.

    Args:
        values: any of the clear columns; other keys are ignored.
        key_ref: the row's reference (:func:`new_key_ref` for a new row).
        index: the ID number's blind index when the caller already computed it (a bulk
            import looks persons up by it first; computing it twice per person was a
            fifth of the cost of an import).

    Returns:
        The encrypted columns present in ``values``, ``id_number_index`` when the ID number
        is given, and ``key_ref``.
    """
    out: dict[str, Any] = {"key_ref": key_ref}
    for column in ENCRYPTED_COLUMNS:
        if column in values:
            out[column] = encrypt_field(PERSON_TABLE, column, key_ref, values[column])
    if index is not None:
        out["id_number_index"] = index
    elif values.get("id_number"):
        out["id_number_index"] = person_index(values["id_number"])
    return out


def decrypt_person(row: models.Person | Mapping[str, Any]) -> PersonData:
    """The clear personal data of a stored row (a model or a mapping of its columns).

    Raises:
        DecryptionError: a value was tampered with, moved, or its key is gone.
    """
    get = row.get if isinstance(row, Mapping) else lambda k: getattr(row, k, None)
    key_ref = get("key_ref")
    clear = {
        column: decrypt_field(PERSON_TABLE, column, key_ref, get(column))
        if key_ref
        else get(column)
        for column in ENCRYPTED_COLUMNS
    }
    return PersonData(
        id=get("id"),
        name=clear["name"] or "",
        id_number=clear["id_number"] or "",
        phone=clear["phone"],
    )


async def find_person_by_id_number(
    id_number: str, *, using: BaseDBAsyncClient | None = None
) -> models.Person | None:
    """The person with this ID number (exact match through the blind index)."""
    query = models.Person.filter(id_number_index=person_index(id_number))
    if using is not None:
        query = query.using_db(using)
    return await query.first()


async def firms_by_representative_id_number(id_number: str) -> list[models.Firm]:
    """Firms whose legal representative has this ID number (not row-scoped: callers scope)."""
    person = await find_person_by_id_number(id_number)
    if person is None:
        return []
    return await models.Firm.filter(representative_id=person.id).order_by("id")


async def upsert_person(
    data: Mapping[str, Any],
    *,
    using: BaseDBAsyncClient | None = None,
    scope: Principal | None = None,
) -> models.Person:
    """Insert a person, or update the name and phone of the one with the same ID number.

    Args:
        data: validated clear ``name``, ``id_number`` and optional ``phone``.
        using: the transaction to write in.
        scope: the caller on whose behalf the person is linked. Only a person within the
            caller's branches (one who represents a firm there) is matched and updated; a
            person known only elsewhere is left untouched and a new record is made for the
            caller, so the answer never reveals that the person exists. None: the
            platform itself (imports), which matches any person.
    """
    if scope is None:
        existing = await find_person_by_id_number(data["id_number"], using=using)
    else:
        query = scoped_rows(scope, models.Person).filter(
            id_number_index=person_index(data["id_number"])
        )
        existing = await (query if using is None else query.using_db(using)).order_by("id").first()
    if existing is None:
        values = encrypt_person_fields(
            {"name": data["name"], "id_number": data["id_number"], "phone": data.get("phone")},
            new_key_ref(),
        )
        return await models.Person.create(**values, using_db=using)
    key_ref = existing.key_ref or new_key_ref()
    values = encrypt_person_fields(
        {"name": data["name"], "id_number": data["id_number"], "phone": data.get("phone")}, key_ref
    )
    for column, value in values.items():
        setattr(existing, column, value)
    existing.version += 1
    await existing.save(using_db=using)
    return existing


@dataclass
class RotationProgress:
    """Where a re-encryption run stands."""

    scanned: int = 0
    rewritten: int = 0
    skipped_concurrent: int = 0
    remaining_before: int = 0


def _needs_work(row: models.Person, active: str) -> bool:
    if not row.key_ref:
        return True
    keyring = get_keyring()
    for column in ENCRYPTED_COLUMNS:
        value = getattr(row, column)
        if value is None:
            continue
        if not is_encrypted(value) or keyring.key_id_of(value) != active:
            return True
    return False


async def reencrypt_persons(
    *, batch_size: int = 500, on_batch: Callable[[RotationProgress], None] | None = None
) -> RotationProgress:
    """Bring every person row under the active key (and encrypt legacy clear rows).

    Works in batches by id, each batch in its own short transaction, so the platform keeps
    serving; idempotent (rows already under the active key are skipped) and resumable.
    A row changed concurrently (its ``version`` moved) is left alone: its writer
    encrypted it with the active key already.

    Args:
        batch_size: rows per batch.
        on_batch: called after each batch with the running totals.

    Returns:
        The totals.
    """
    from tortoise.transactions import in_transaction

    keyring = get_keyring()
    active = keyring.active_key_id
    progress = RotationProgress()
    last_id = 0
    while True:
        rows = await models.Person.filter(id__gt=last_id).order_by("id").limit(batch_size)
        if not rows:
            break
        last_id = rows[-1].id
        progress.scanned += len(rows)
        async with in_transaction() as conn:
            for row in rows:
                if not _needs_work(row, active):
                    continue
                clear = decrypt_person(row)
                key_ref = row.key_ref or new_key_ref()
                values = encrypt_person_fields(
                    {"name": clear.name, "id_number": clear.id_number, "phone": clear.phone},
                    key_ref,
                )
                updated = (
                    await models.Person.filter(id=row.id, version=row.version)
                    .using_db(conn)
                    .update(**values)
                )
                if updated:
                    progress.rewritten += 1
                else:
                    progress.skipped_concurrent += 1
        if on_batch is not None:
            on_batch(progress)
    return progress
