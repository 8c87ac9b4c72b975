"""The quarantine at rest and on the way out: personal data never stored or shown in clear.

Writing (:func:`store_quarantine`, inside the batch's transaction):

* the raw record is stored as JSON **encrypted** as a whole (``encrypt_field`` with the
  associated data ``quarantined_record:raw_record:<key_ref>``, a random per-row reference
  chosen before the bulk insert, like persons'): personal data may sit in any column of a
  bad row, not only where it belongs;
* the reason and the locator are stored with personal data masked
  (:func:`smecredit.domain.redaction.redact_values`: the record's own personal values,
  then anything shaped like an ID number or a mobile number);
* the row gets the branch of the record's firm (stored firm first, else the record's own
  valid branch code), so row scope applies to it.

Reading (:func:`open_raw`, :func:`masked_view`): the raw record is decrypted for a reader
the field policy lets see it, and its personal values are shown as that reader sees a
person's (the ``Person.name``, ``Person.idNumber`` and ``Person.phone`` decisions); any
other text shaped like an ID number or a mobile number is masked too unless the reader
sees both in clear.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.identity import is_valid_id_number, normalize_uscc
from smecredit.domain.redaction import redact_personal, redact_values
from smecredit.security.keys import decrypt_field, encrypt_field, is_encrypted
from smecredit.services.ingestion.bulk import SqlRunner

__all__ = [
    "MAX_LOCATOR",
    "PERSONAL_FIELDS",
    "QUARANTINE_TABLE",
    "QuarantineItem",
    "masked_view",
    "open_raw",
    "personal_values",
    "seal_clear_quarantine",
    "store_quarantine",
]

QUARANTINE_TABLE = "quarantined_record"
_RAW_COLUMN = "raw_record"
#: Longest locator stored (the column's length).
MAX_LOCATOR = 255
_BRANCH = re.compile(r"[A-Z]{2}\d{2}", re.ASCII)
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)

#: Where a record of each kind holds personal data -> the ``Person`` field it is.
PERSONAL_FIELDS: Mapping[str, Mapping[str, str]] = {
    "firm": {
        "representative.name": "name",
        "representative.id_number": "idNumber",
        "representative.phone": "phone",
    },
    "person": {"name": "name", "id_number": "idNumber", "phone": "phone"},
}


@dataclass(slots=True)
class QuarantineItem:
    """A record to quarantine.

    Attributes:
        kind / locator / code / field / reason: what and where, and why.
        raw: the record as the source gave it (stored encrypted).
        uscc: the firm the record is about, when known (for the row's branch).
        branch: the record's own branch code, when it has a valid one.
    """

    kind: str | None
    locator: str
    code: str
    field: str | None
    reason: str
    raw: Any
    uscc: str | None = None
    branch: str | None = None


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _leaves(child, f"{prefix}{key}.")
    else:
        yield prefix[:-1], value


def personal_values(kind: str | None, raw: Any) -> list[str]:
    """The personal values of a raw record (by where its kind keeps them)."""
    paths = PERSONAL_FIELDS.get(kind or "", {})
    if not paths or not isinstance(raw, Mapping):
        return []
    return [str(v) for path, v in _leaves(raw) if path in paths and v not in (None, "")]


def _seal(raw: Any, key_ref: str | None = None) -> tuple[str, str | None]:
    """(key_ref, the column's JSON text: the encrypted blob as a JSON string)."""
    key_ref = key_ref or secrets.token_hex(16)
    if raw is None:
        return key_ref, None
    text = json.dumps(raw, ensure_ascii=False, default=str)
    blob = encrypt_field(QUARANTINE_TABLE, _RAW_COLUMN, key_ref, text)
    return key_ref, json.dumps(blob)


def open_raw(row: models.QuarantinedRecord) -> Any:
    """The raw record of a quarantined row, decrypted (rows written in clear read as is).

    Raises:
        DecryptionError: the value was tampered with, moved, or its key is gone.
    """
    value = row.raw_record
    if not is_encrypted(value):
        return value  # written before encryption
    text = decrypt_field(QUARANTINE_TABLE, _RAW_COLUMN, row.key_ref, value)
    return None if text is None else json.loads(text)


async def seal_clear_quarantine(batch_size: int = 500) -> int:
    """Encrypt the raw records stored in clear before this version; returns how many.

    Idempotent and in short batches (each its own transaction); a row is rewritten only if
    it is still the clear one that was read.
    """
    sealed = 0
    last_id = 0
    while True:
        rows = (
            await models.QuarantinedRecord.filter(id__gt=last_id, key_ref="")
            .order_by("id")
            .limit(batch_size)
        )
        if not rows:
            return sealed
        last_id = rows[-1].id
        async with in_transaction() as conn:
            for row in rows:
                if is_encrypted(row.raw_record):
                    continue
                # Tortoise takes a str for a JSON column as JSON text: the sealed JSON string.
                key_ref, text = _seal(row.raw_record)
                personal = personal_values(row.kind, row.raw_record)
                sealed += await (
                    models.QuarantinedRecord.filter(id=row.id, key_ref="")
                    .using_db(conn)
                    .update(
                        raw_record=text,
                        key_ref=key_ref,
                        reason=redact_values(row.reason, personal),
                        locator=redact_values(row.locator, personal)[:MAX_LOCATOR],
                    )
                )


def _own_branch(item: QuarantineItem) -> str | None:
    return item.branch if item.branch and _BRANCH.fullmatch(item.branch) else None


async def _firm_branches(conn: BaseDBAsyncClient, usccs: set[str]) -> dict[str, str]:
    if not usccs:
        return {}
    rows = await SqlRunner(conn).select_in("firm", ["uscc", "branch_code"], "uscc", usccs)
    return {row["uscc"]: row["branch_code"] for row in rows}


async def store_quarantine(
    conn: BaseDBAsyncClient, run_id: int, source: str, items: Sequence[QuarantineItem]
) -> None:
    """Insert ``items`` for run ``run_id`` through ``conn`` (see the module docstring)."""
    if not items:
        return
    usccs = {normalize_uscc(item.uscc) for item in items if isinstance(item.uscc, str)}
    branches = await _firm_branches(conn, usccs)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for item in items:
        personal = personal_values(item.kind, item.raw)
        key_ref, sealed = _seal(item.raw)
        uscc = normalize_uscc(item.uscc) if isinstance(item.uscc, str) else None
        rows.append(
            (
                run_id,
                source,
                redact_values(item.locator, personal)[:MAX_LOCATOR],
                item.kind[:32] if item.kind else None,
                item.field[:128] if item.field else None,
                item.code[:64],
                redact_values(item.reason, personal),
                sealed,
                key_ref,
                branches.get(uscc or "") or _own_branch(item),
                now,
            )
        )
    await SqlRunner(conn).insert_many(
        QUARANTINE_TABLE,
        [
            "run_id",
            "source",
            "locator",
            "kind",
            "field",
            "code",
            "reason",
            _RAW_COLUMN,
            "key_ref",
            "branch_code",
            "created_at",
        ],
        rows,
    )


Mask = Callable[[str, str], Any]


def _looks_personal(text: str) -> str | None:
    """The ``Person`` field a whole value looks like, if any."""
    compact = re.sub(r"[\s-]", "", text)
    if is_valid_id_number(compact):
        return "idNumber"
    if _MOBILE.fullmatch(compact.removeprefix("+86")):
        return "phone"
    return None


def masked_view(
    raw: Any, kind: str | None, mask: Mask, *, clear_text: bool, _prefix: str = ""
) -> Any:
    """The raw record as a reader may see it.

    Args:
        raw: the decrypted raw record.
        kind: its record kind (which paths hold personal data).
        mask: ``mask(person_field, value)`` -> what the reader sees of a person's
            ``name`` / ``idNumber`` / ``phone`` (the value, a masked one, or None).
        clear_text: the reader sees ID numbers and phones in clear; otherwise any other
            text shaped like one is masked.
    """
    paths = PERSONAL_FIELDS.get(kind or "", {})
    if isinstance(raw, Mapping):
        return {
            key: masked_view(value, kind, mask, clear_text=clear_text, _prefix=f"{_prefix}{key}.")
            for key, value in raw.items()
        }
    if isinstance(raw, list):
        return [masked_view(v, kind, mask, clear_text=clear_text, _prefix=_prefix) for v in raw]
    if raw is None:
        return None
    path = _prefix[:-1]
    text = raw if isinstance(raw, str) else str(raw)
    if path in paths:
        return mask(paths[path], text)
    if clear_text:
        return raw
    looks = _looks_personal(text)
    if looks is not None:
        return mask(looks, text)
    redacted = redact_personal(text)
    return raw if redacted == text else redacted
