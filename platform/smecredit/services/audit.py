"""The security audit trail: append hash-chained rows, verify the chain.

Every append runs inside a transaction (the caller's when given, so the audit row commits or
rolls back with the change it describes) and is serialised: on PostgreSQL by a transaction
advisory lock, on SQLite by its single writer. The checkpoint row is updated in the same
transaction, so deleting rows from the end of the log is detected by :func:`verify`.

The chain is keyed (HMAC) when ``SMECREDIT_AUDIT_CHAIN_KEY`` holds a base64 key: then
someone able to write the table cannot forge valid hashes either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit.models.security import AuditCheckpoint, AuditLog
from smecredit.security.audit_chain import (
    GENESIS_HASH,
    AuditEntry,
    VerifyResult,
    digest_change,
    make_entry,
    verify_chain,
)
from smecredit.security.principal import Principal
from smecredit.settings import Settings

__all__ = [
    "AUDIT_LOCK_KEY",
    "ENV_CHAIN_KEY",
    "SYSTEM_ACTOR",
    "VerifyResult",
    "actor_name",
    "configure",
    "record",
    "request_address",
    "verify",
]

ENV_CHAIN_KEY = "SMECREDIT_AUDIT_CHAIN_KEY"
SYSTEM_ACTOR = "system"
#: Arbitrary constant naming the audit append lock among PostgreSQL advisory locks.
AUDIT_LOCK_KEY = 0x5_3EC_A0D17
_CHECKPOINT_ID = 1
_VERIFY_BATCH = 1000

_chain_key: bytes | None = None

#: The client address of the request being served (set by the GraphQL layer), so that the
#: rows services write inside their transactions name it without passing it down each call.
request_address: ContextVar[str | None] = ContextVar("smecredit_request_address", default=None)


def configure(settings: Settings) -> None:
    """Take the chain key from ``SMECREDIT_AUDIT_CHAIN_KEY`` (none: plain SHA-256 chain).

    Args:
        settings: the platform settings.

    Raises:
    (The key was decoded and checked, base64 of 16+ bytes, by ``load_settings``.)
    """
    global _chain_key
    _chain_key = settings.audit_chain_key


def actor_name(actor: str | Principal | None) -> str:
    """How an actor is named in the log: the user name, or ``system``.

    Args:
        actor: a principal, a name, or None for the platform itself.

    Returns:
        The actor's name.
    """
    if actor is None:
        return SYSTEM_ACTOR
    if isinstance(actor, Principal):
        return actor.username
    return str(actor)


def _to_entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        actor=row.actor,
        action=row.action,
        resource=row.resource,
        at=row.at,
        source_address=row.source_address,
        change_digest=row.change_digest,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


async def _lock(conn: BaseDBAsyncClient) -> None:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [AUDIT_LOCK_KEY])


async def _append(
    conn: BaseDBAsyncClient,
    *,
    actor: str,
    action: str,
    resource: str,
    change: str,
    source_address: str | None,
) -> AuditEntry:
    await _lock(conn)
    checkpoint = await AuditCheckpoint.filter(id=_CHECKPOINT_ID).using_db(conn).first()
    previous: AuditEntry | None = None
    if checkpoint is not None and checkpoint.last_seq > 0:
        # make_entry only reads seq and entry_hash of the previous entry.
        previous = AuditEntry(
            seq=checkpoint.last_seq,
            actor="",
            action="",
            resource="",
            at="",
            source_address=None,
            change_digest="",
            prev_hash="",
            entry_hash=checkpoint.last_hash,
        )
    entry = make_entry(
        previous,
        actor=actor[:128],
        action=action[:128],
        resource=resource[:256],
        change_digest=change,
        source_address=source_address[:64] if source_address else None,
        chain_key=_chain_key,
    )
    await AuditLog.create(
        seq=entry.seq,
        actor=entry.actor,
        action=entry.action,
        resource=entry.resource,
        at=entry.at,
        source_address=entry.source_address,
        change_digest=entry.change_digest,
        prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
        using_db=conn,
    )
    if checkpoint is None:
        await AuditCheckpoint.create(
            id=_CHECKPOINT_ID, last_seq=entry.seq, last_hash=entry.entry_hash, using_db=conn
        )
    else:
        await (
            AuditCheckpoint.filter(id=_CHECKPOINT_ID)
            .using_db(conn)
            .update(last_seq=entry.seq, last_hash=entry.entry_hash)
        )
    return entry


async def record(
    actor: str | Principal | None,
    action: str,
    resource: str,
    *,
    before: Any = None,
    after: Any = None,
    source_address: str | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> AuditEntry:
    """Append one row to the audit log.

    Only a digest of ``before``/``after`` is stored (keyed with the chain key when set), so
    the log holds no personal data while still proving what changed to whoever has it.

    Args:
        actor: who acted (a principal, a user name, or None for ``system``).
        action: what was done, dotted, e.g. ``"user.create"`` or ``"policy.change"``.
        resource: what it was done to, e.g. ``"User:7"``.
        before: the old values (JSON-like), if any.
        after: the new values (JSON-like), if any.
        source_address: the client's IP address (default: the address of the request being
            served, :data:`request_address`).
        connection: the caller's transaction; the row then commits or rolls back with it.

    Returns:
        The appended entry.
    """
    change = digest_change(before, after, key=_chain_key)
    name = actor_name(actor)
    if source_address is None:
        source_address = request_address.get()
    if connection is not None:
        return await _append(
            connection,
            actor=name,
            action=action,
            resource=resource,
            change=change,
            source_address=source_address,
        )
    async with in_transaction() as conn:
        return await _append(
            conn,
            actor=name,
            action=action,
            resource=resource,
            change=change,
            source_address=source_address,
        )


async def _batches() -> AsyncIterator[list[AuditEntry]]:
    last = 0
    while True:
        rows = await AuditLog.filter(seq__gt=last).order_by("seq").limit(_VERIFY_BATCH)
        if not rows:
            return
        yield [_to_entry(r) for r in rows]
        last = rows[-1].seq


async def verify() -> VerifyResult:
    """Check the whole chain against its hashes and the checkpoint.

    Returns:
        The :class:`VerifyResult`; ``first_broken_seq`` names the first bad row.
    """
    checkpoint = await AuditCheckpoint.filter(id=_CHECKPOINT_ID).first()
    prev_hash = GENESIS_HASH
    next_seq = 1
    checked = 0
    async for batch in _batches():
        result = verify_chain(batch, genesis=prev_hash, chain_key=_chain_key, first_seq=next_seq)
        if not result.ok:
            return VerifyResult(
                ok=False,
                first_broken_seq=result.first_broken_seq,
                reason=result.reason,
                problem=result.problem,
                checked=checked + result.checked,
            )
        checked += result.checked
        prev_hash = batch[-1].entry_hash
        next_seq = batch[-1].seq + 1
    if checked and checkpoint is None:
        return VerifyResult(
            ok=False,
            first_broken_seq=next_seq - 1,
            reason="the audit checkpoint row is missing: the end of the log cannot be vouched for",
            problem="checkpoint_missing",
            checked=checked,
        )
    # The tail check runs on an empty chain segment so both checkpoint values are compared.
    final = verify_chain(
        [],
        genesis=prev_hash,
        chain_key=_chain_key,
        first_seq=next_seq,
        expected_last_seq=checkpoint.last_seq if checkpoint else None,
        expected_last_hash=checkpoint.last_hash if checkpoint and checkpoint.last_seq else None,
    )
    return VerifyResult(
        ok=final.ok,
        first_broken_seq=final.first_broken_seq,
        reason=final.reason,
        problem=final.problem,
        checked=checked,
    )
