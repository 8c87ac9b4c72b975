"""Officer lifecycle steps: history, audit, optimistic locking, live publication."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import principal
from warnings_support import AS_OF, NOW, MakeFirm

from smecredit import models
from smecredit.errors import ApiError
from smecredit.services.warnings import lifecycle
from smecredit.services.warnings.broadcast import InMemoryBroadcaster
from smecredit.services.warnings.scan import scan_firms

pytestmark = pytest.mark.anyio


async def test_acknowledge_progress_resolve_with_history_and_push(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    firm = await make_firm(dpd=10)
    bus = InMemoryBroadcaster()
    await scan_firms(
        [firm.id], as_of=AS_OF, now=NOW, rules={"LOAN_DPD": rules["LOAN_DPD"]}, broadcaster=bus
    )
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    received: list[dict[str, Any]] = []
    async with bus.subscribe() as messages:
        acked = await lifecycle.acknowledge(
            warning.id, actor=principal("li.wei", "loan_officer"), broadcaster=bus
        )
        assert acked.status == "acknowledged"
        with pytest.raises(ApiError) as stale:
            await lifecycle.start_progress(
                warning.id,
                actor=principal("li.wei", "loan_officer"),
                expected_version=1,
                broadcaster=bus,
            )
        assert stale.value.code == "CONFLICT"
        await lifecycle.start_progress(
            warning.id, actor=principal("li.wei", "loan_officer"), broadcaster=bus
        )
        resolved = await lifecycle.resolve(
            warning.id, note="repaid", actor=principal("li.wei", "loan_officer"), broadcaster=bus
        )
        assert (resolved.status, resolved.resolution_note) == ("resolved", "repaid")
        with pytest.raises(ApiError) as late:
            await lifecycle.start_progress(
                warning.id, actor=principal("li.wei", "loan_officer"), broadcaster=bus
            )
        assert late.value.code == "INVALID_TRANSITION"
        for _ in range(3):
            received.append(await asyncio.wait_for(anext(messages), 1))
    assert [m["changes"] for m in received] == [
        [[warning.id, "acknowledged"]],
        [[warning.id, "in_progress"]],
        [[warning.id, "resolved"]],
    ]
    events = await models.WarningEvent.filter(warning_id=warning.id).order_by("id")
    assert [(e.kind, e.from_status, e.to_status, e.actor) for e in events][1:] == [
        ("acknowledged", "open", "acknowledged", "li.wei"),
        ("in_progress", "acknowledged", "in_progress", "li.wei"),
        ("resolved", "in_progress", "resolved", "li.wei"),
    ]
    assert await models.AuditLog.filter(resource=f"Warning:{warning.id}").count() == 3
    # a resolved warning may still be discussed
    note = await lifecycle.comment(
        warning.id,
        body="customer paid in cash",
        actor=principal("li.wei", "loan_officer"),
        broadcaster=bus,
    )
    assert note.author == "li.wei"


async def test_a_failing_audit_write_undoes_the_step(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Audit fails closed: the status change, its event and its audit row commit together.
    from smecredit.services.warnings import config

    firm = await make_firm(dpd=10)
    bus = InMemoryBroadcaster()
    await scan_firms(
        [firm.id], as_of=AS_OF, now=NOW, rules={"LOAN_DPD": rules["LOAN_DPD"]}, broadcaster=bus
    )
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    events = await models.WarningEvent.filter(warning_id=warning.id).count()

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(config, "record", broken)
    with pytest.raises(RuntimeError, match="audit store down"):
        await lifecycle.acknowledge(
            warning.id, actor=principal("li.wei", "loan_officer"), broadcaster=bus
        )
    after = await models.Warning.get(id=warning.id)
    assert (after.status, after.version) == (warning.status, warning.version)
    assert await models.WarningEvent.filter(warning_id=warning.id).count() == events


@pytest.mark.parametrize("step", ["acknowledge", "dismiss", "assign", "comment"])
async def test_a_failing_audit_write_rolls_the_step_back(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any], monkeypatch: Any, step: str
) -> None:
    """The status change, its history row and its audit row commit together or not at all:
    a step whose audit row cannot be written leaves the warning as it was, and nobody is
    told of a change that did not happen."""
    firm = await make_firm(dpd=10)
    bus = InMemoryBroadcaster()
    await scan_firms(
        [firm.id], as_of=AS_OF, now=NOW, rules={"LOAN_DPD": rules["LOAN_DPD"]}, broadcaster=bus
    )
    before = await models.Warning.get(rule_code="LOAN_DPD")
    events = await models.WarningEvent.filter(warning_id=before.id).count()

    async def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit store is down")

    monkeypatch.setattr(lifecycle, "audit", broken_audit)
    actor = principal("li.wei", "loan_officer")
    calls = {
        "acknowledge": lambda: lifecycle.acknowledge(before.id, actor=actor, broadcaster=bus),
        "dismiss": lambda: lifecycle.dismiss(
            before.id, reason="noise", actor=actor, broadcaster=bus
        ),
        "assign": lambda: lifecycle.assign(
            before.id, assignee="wang.fang", actor=actor, broadcaster=bus
        ),
        "comment": lambda: lifecycle.comment(before.id, body="hi", actor=actor, broadcaster=bus),
    }
    async with bus.subscribe() as messages:
        with pytest.raises(RuntimeError, match="audit store"):
            await calls[step]()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(anext(messages), 0.2)
    after = await models.Warning.get(id=before.id)
    assert (after.status, after.assignee, after.version, after.resolution_note) == (
        before.status,
        before.assignee,
        before.version,
        before.resolution_note,
    )
    assert await models.WarningEvent.filter(warning_id=before.id).count() == events
    assert await models.WarningComment.filter(warning_id=before.id).count() == 0
    assert await models.AuditLog.filter(resource=f"Warning:{before.id}").count() == 0
