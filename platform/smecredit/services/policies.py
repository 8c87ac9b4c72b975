"""Change the Casbin policy at run time: stored in ``policy_rule``, audited, applied at once.

Every change is written to the database, recorded in the audit log, and reloaded into the
process's :class:`~smecredit.security.policy.PolicyStore` (its version bump invalidates
every cached decision). Other processes (more workers, the CLI) notice a change through
:func:`watch_policies`, which compares a fingerprint of the table every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.errors import Conflict, InvalidInput, NotFound
from smecredit.security.operations import authorize
from smecredit.security.policy import Rule, get_policy_store, parse_strategy, validate_rule
from smecredit.security.principal import Principal

__all__ = [
    "add_rule",
    "check_strategy",
    "list_rules",
    "policy_fingerprint",
    "reload_policies",
    "remove_rule",
    "watch_policies",
]

log = logging.getLogger("smecredit.services.policies")


async def _audit(actor: Any, action: str, resource: str, **changes: Any) -> None:
    from smecredit.services import audit

    await audit.record(actor, action, resource, **changes)


def check_strategy(rule: Rule, strategies: Mapping[str, Any] | None) -> None:
    """Refuse a mask rule whose strategy is not installed or whose options are wrong.

    Args:
        rule: the rule.
        strategies: name -> masking strategy (None: not checked, e.g. no plugins loaded).

    Raises:
        InvalidInput: ``UNKNOWN_MASKING_STRATEGY`` or the strategy's option error code.
    """
    if strategies is None or rule.ptype != "p" or rule.values[3] != "mask" or not rule.values[5]:
        return
    name, options = parse_strategy(rule.values[5])
    strategy = strategies.get(name)
    if strategy is None:
        raise InvalidInput(
            f"masking strategy {name!r} is not installed (known: {', '.join(sorted(strategies))})",
            code="UNKNOWN_MASKING_STRATEGY",
        )
    try:
        strategy.mask("0", **options)
    except Exception as exc:
        code = getattr(exc, "code", "MASKING_OPTION_INVALID")
        raise InvalidInput(
            str(exc), code=code if isinstance(code, str) else "POLICY_INVALID"
        ) from None


async def list_rules() -> list[models.PolicyRule]:
    """Every stored rule, oldest first."""
    return await models.PolicyRule.all().order_by("id")


def _filter(rule: Rule) -> dict[str, Any]:
    padded = list(rule.values) + [""] * (6 - len(rule.values))
    return {"ptype": rule.ptype, **{f"v{i}": v for i, v in enumerate(padded)}}


async def reload_policies(*, actor: Any = None, audit: bool = True) -> int:
    """Reload the process's enforcer from the table (seeding it when empty).

    Returns:
        The number of rules now in force.
    """
    count = await get_policy_store().load_from_db()
    if audit:
        await _audit(actor, "policy.reload", "policy", after={"rules": count})
    return count


async def add_rule(
    ptype: str,
    values: Sequence[str],
    *,
    actor: Principal,
    strategies: Mapping[str, Any] | None = None,
    source_address: str | None = None,
) -> models.PolicyRule:
    """Add one rule and apply it (``policy.add``); the rule and its audit row commit together.

    Args:
        ptype: ``p`` (permission) or ``g`` (role link).
        values: the rule's values.
        actor: who adds it (recorded in the rule and the audit row).
        strategies: the installed masking strategies, to check a mask rule against.
        source_address: the client's address, for the audit row.

    Raises:
        PermissionDenied: the actor may not change the policy.
        InvalidInput: ``POLICY_INVALID`` / ``UNKNOWN_MASKING_STRATEGY``.
        Conflict: ``POLICY_EXISTS`` when the same rule is already stored.
    """
    authorize(actor, "policy.add")
    rule = validate_rule(ptype, values)
    check_strategy(rule, strategies)
    store = get_policy_store()
    if store.loaded_from != "database":
        await store.load_from_db()  # seed first, so the new rule joins the defaults
    async with in_transaction() as conn:
        if await models.PolicyRule.filter(**_filter(rule)).using_db(conn).exists():
            raise Conflict(f"policy rule '{rule.as_line()}' already exists", code="POLICY_EXISTS")
        row = await models.PolicyRule.create(
            **_filter(rule), created_by=actor.username, using_db=conn
        )
        await _audit(
            actor,
            "policy.add",
            f"policy:{row.id}",
            after={"rule": rule.as_line()},
            source_address=source_address,
            connection=conn,
        )
    await store.load_from_db()
    return row


async def remove_rule(
    ptype: str, values: Sequence[str], *, actor: Principal, source_address: str | None = None
) -> int:
    """Remove one rule and apply the change (``policy.remove``), audited in its transaction.

    Args:
        ptype: ``p`` or ``g``.
        values: the rule's values.
        actor: who removes it.
        source_address: the client's address, for the audit row.

    Returns:
        The number of rows removed (1).

    Raises:
        PermissionDenied: the actor may not change the policy.
        NotFound: ``POLICY_NOT_FOUND`` when no such rule is stored.
    """
    authorize(actor, "policy.remove")
    rule = validate_rule(ptype, values)
    store = get_policy_store()
    if store.loaded_from != "database":
        await store.load_from_db()
    async with in_transaction() as conn:
        rows = await models.PolicyRule.filter(**_filter(rule)).using_db(conn)
        if not rows:
            raise NotFound(f"policy rule '{rule.as_line()}' not found", code="POLICY_NOT_FOUND")
        await models.PolicyRule.filter(id__in=[r.id for r in rows]).using_db(conn).delete()
        await _audit(
            actor,
            "policy.remove",
            f"policy:{rows[0].id}",
            before={"rule": rule.as_line()},
            source_address=source_address,
            connection=conn,
        )
    await store.load_from_db()
    return len(rows)


async def policy_fingerprint() -> str:
    """A digest of the stored rule ids: changes whenever a rule is added or removed."""
    ids = await models.PolicyRule.all().order_by("id").values_list("id", flat=True)
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


async def watch_policies(interval: float = 5.0) -> None:
    """Reload the enforcer whenever another process changed the table (runs until cancelled)."""
    last = await policy_fingerprint()
    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):  # a database hiccup must not kill the watcher
            current = await policy_fingerprint()
            if current != last:
                await get_policy_store().load_from_db()
                log.info("policy changed in the database: reloaded")
                last = current
