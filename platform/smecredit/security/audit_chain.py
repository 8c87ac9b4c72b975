"""Hash chain of the append-only audit log (pure logic, no storage).

Each entry's hash covers its own fields *and* the previous entry's hash, so altering,
deleting, inserting or reordering rows breaks the chain from that row on. With a chain key
(HMAC), an attacker who can write the table cannot recompute valid hashes either; without
one, the chain still detects accidental or naive edits.

Deleting the *last* rows leaves a valid shorter chain: to catch truncation, keep the latest
``(seq, entry_hash)`` somewhere else (a checkpoint, a log shipped off the host) and pass it to
:func:`verify_chain` as ``expected_last_seq`` / ``expected_last_hash``.

Canonical serialisation: JSON with sorted keys, no whitespace, UTF-8 (``ensure_ascii=False``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "VerifyResult",
    "canonical_json",
    "compute_entry_hash",
    "digest_change",
    "entry_fields",
    "format_timestamp",
    "make_entry",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""

_HASHED_FIELDS = ("seq", "actor", "action", "resource", "at", "source_address", "change_digest")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log.

    Attributes:
        seq: position in the chain, 1, 2, 3, ... without gaps.
        actor: who acted (user id or name, or ``"system"``).
        action: what was done, e.g. ``"loan.approve"``.
        resource: what it was done to, e.g. ``"Loan:42"``.
        at: when, UTC ISO 8601 (see :func:`format_timestamp`).
        source_address: the client's IP address, if known.
        change_digest: :func:`digest_change` of the change (no PII stored in the log).
        prev_hash: ``entry_hash`` of the previous entry (:data:`GENESIS_HASH` for the first).
        entry_hash: :func:`compute_entry_hash` of this entry.
    """

    seq: int
    actor: str
    action: str
    resource: str
    at: str
    source_address: str | None
    change_digest: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :func:`verify_chain`.

    Attributes:
        ok: True when the whole chain is intact.
        first_broken_seq: the seq of the first row found broken (for a deleted row, the
            missing seq), or None when ok.
        reason: a sentence saying what is wrong, or ``""`` when ok.
        problem: short code: ``hash_mismatch``, ``prev_link_broken``, ``seq_gap``,
            ``reordered``, ``truncated``, or None when ok.
        checked: how many entries were verified intact before the break.
    """

    ok: bool
    first_broken_seq: int | None
    reason: str
    problem: str | None = None
    checked: int = 0


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__} in an audit record")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8.

    Decimals, UUIDs and dates become strings; bytes become hex.

    Args:
        value: JSON-like data.

    Returns:
        The UTF-8 bytes.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode("utf-8")


def format_timestamp(moment: datetime | None = None) -> str:
    """UTC ISO 8601 timestamp with microseconds, e.g. ``2024-05-01T08:00:00.000000+00:00``.

    Args:
        moment: a timezone-aware datetime; now when None.

    Returns:
        The formatted timestamp.

    Raises:
        ValueError: for a naive datetime (its time zone would be a guess).
    """
    moment = moment if moment is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _digest(payload: bytes, key: bytes | None) -> str:
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def compute_entry_hash(
    prev_hash: str, fields: Mapping[str, Any], *, chain_key: bytes | None = None
) -> str:
    """Hash of one entry: SHA-256 (or HMAC-SHA256 with ``chain_key``) of canonical JSON.

    Args:
        prev_hash: the previous entry's hash.
        fields: the entry's hashed fields (see :func:`entry_fields`).
        chain_key: optional secret key; makes the chain unforgeable without it.

    Returns:
        64 hex characters.
    """
    return _digest(canonical_json({**fields, "prev_hash": prev_hash}), chain_key)


def digest_change(before: Any, after: Any, *, key: bytes | None = None) -> str:
    """Digest of a change, recorded instead of the changed values.

    The log proves *that* and *when* something changed; whoever holds the before/after
    values (e.g. in a history table) can prove *what*. Without ``key``, a low-entropy value
    (a phone number) could be guessed from the digest: pass the chain key for PII.

    Args:
        before: the old values (JSON-like), or None for a creation.
        after: the new values (JSON-like), or None for a deletion.
        key: optional HMAC key.

    Returns:
        64 hex characters.
    """
    return _digest(canonical_json({"after": after, "before": before}), key)


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """The fields of an entry its hash covers (everything except the two hashes).

    Args:
        entry: the entry.

    Returns:
        A dict of the hashed fields.
    """
    return {name: getattr(entry, name) for name in _HASHED_FIELDS}


def make_entry(
    previous: AuditEntry | None,
    *,
    actor: str,
    action: str,
    resource: str,
    change_digest: str,
    at: str | None = None,
    source_address: str | None = None,
    chain_key: bytes | None = None,
    genesis: str = GENESIS_HASH,
) -> AuditEntry:
    """Build the next entry of a chain.

    Args:
        previous: the current last entry, or None for the first.
        actor: who acted.
        action: what was done.
        resource: what it was done to.
        change_digest: :func:`digest_change` of the change.
        at: UTC ISO timestamp; now when None.
        source_address: the client's address.
        chain_key: optional HMAC key.
        genesis: ``prev_hash`` of the first entry.

    Returns:
        The new entry with ``seq``, ``prev_hash`` and ``entry_hash`` filled in.
    """
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = genesis if previous is None else previous.entry_hash
    fields: dict[str, Any] = {
        "seq": seq,
        "actor": actor,
        "action": action,
        "resource": resource,
        "at": at if at is not None else format_timestamp(),
        "source_address": source_address,
        "change_digest": change_digest,
    }
    entry_hash = compute_entry_hash(prev_hash, fields, chain_key=chain_key)
    return AuditEntry(**fields, prev_hash=prev_hash, entry_hash=entry_hash)


def _broken(seq: int, problem: str, reason: str, checked: int) -> VerifyResult:
    return VerifyResult(
        ok=False, first_broken_seq=seq, reason=reason, problem=problem, checked=checked
    )


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    genesis: str = GENESIS_HASH,
    chain_key: bytes | None = None,
    first_seq: int = 1,
    expected_last_seq: int | None = None,
    expected_last_hash: str | None = None,
) -> VerifyResult:
    """Walk a chain in storage order and report the first broken row.

    Checks per row, in this order: the seq is the next one (otherwise ``seq_gap`` when the
    expected row is missing, ``reordered`` when it appears later or a seq repeats); the row's
    hash matches its fields (``hash_mismatch``: a field was altered); its ``prev_hash`` is
    the previous row's hash (``prev_link_broken``). Streams: only on a seq anomaly is the
    rest of the input read, to tell a deletion from a reordering.

    Args:
        entries: the rows, in the order they are stored/read (normally by seq).
        genesis: ``prev_hash`` of the first row (or of the checkpoint verified from).
        chain_key: the HMAC key, if the chain uses one.
        first_seq: seq of the first row (1, or a checkpoint's seq + 1).
        expected_last_seq: seq the chain must end at (catches truncation), if known.
        expected_last_hash: hash the chain must end with, if known.

    Returns:
        The :class:`VerifyResult`.
    """
    iterator: Iterator[AuditEntry] = iter(entries)
    expected_seq = first_seq
    expected_prev = genesis
    checked = 0
    for entry in iterator:
        if entry.seq != expected_seq:
            later = {e.seq for e in iterator}
            if entry.seq > expected_seq and expected_seq not in later:
                return _broken(
                    expected_seq,
                    "seq_gap",
                    f"row {expected_seq} is missing (next row found is {entry.seq}): deleted rows",
                    checked,
                )
            return _broken(
                expected_seq,
                "reordered",
                f"row {expected_seq} expected but row {entry.seq} found in its place: "
                "rows reordered, duplicated or renumbered",
                checked,
            )
        recomputed = compute_entry_hash(entry.prev_hash, entry_fields(entry), chain_key=chain_key)
        if not hmac.compare_digest(recomputed, entry.entry_hash):
            return _broken(
                entry.seq,
                "hash_mismatch",
                f"row {entry.seq}: stored hash does not match its contents (row altered)",
                checked,
            )
        if not hmac.compare_digest(entry.prev_hash, expected_prev):
            return _broken(
                entry.seq,
                "prev_link_broken",
                f"row {entry.seq}: prev_hash does not match row {entry.seq - 1}'s hash "
                "(a row before it was altered, removed or inserted)",
                checked,
            )
        expected_prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if expected_last_seq is not None and last_seq < expected_last_seq:
        return _broken(
            last_seq + 1,
            "truncated",
            f"chain ends at row {last_seq} but the checkpoint says {expected_last_seq}: "
            "rows deleted from the end",
            checked,
        )
    if expected_last_hash is not None and not hmac.compare_digest(
        expected_last_hash, expected_prev
    ):
        return _broken(
            last_seq,
            "hash_mismatch",
            f"row {last_seq}: hash differs from the checkpoint's",
            checked,
        )
    return VerifyResult(ok=True, first_broken_seq=None, reason="", problem=None, checked=checked)
