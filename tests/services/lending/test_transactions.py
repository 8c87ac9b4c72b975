"""``atomic``: a deadlock or serialization failure is run again, a bounded number of times;
money moves once however often its transaction is tried; SQLite writers wait their turn."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from decimal import Decimal
from typing import Any

import pytest
from lending_support import book_loan, principal, seed_firm
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.db import tortoise_config
from smecredit.services.lending import repayments
from smecredit.services.lending.ledger import verify_ledger
from smecredit.services.lending.support import lock
from smecredit.services.transactions import TransactionAborted, atomic
from smecredit.settings import Settings, load_settings

pytestmark = pytest.mark.anyio
OFFICER = principal("loan_officer", name="officer")


class FakeDeadlock(Exception):
    """What asyncpg raises for a deadlock, as far as ``atomic`` looks."""

    sqlstate = "40P01"


async def _write_firm_note(conn: BaseDBAsyncClient, name: str) -> None:
    firm = await models.Firm.filter(id=1).using_db(conn).get()
    await models.Firm.filter(id=firm.id).using_db(conn).update(name=name)


async def test_an_aborted_transaction_is_run_again_until_it_commits(db: object) -> None:
    await seed_firm(1)
    tries = 0

    async def work(conn: BaseDBAsyncClient) -> str:
        nonlocal tries
        tries += 1
        await _write_firm_note(conn, f"try {tries}")
        if tries < 3:
            raise FakeDeadlock("deadlock detected")
        return "done"

    assert await atomic(work, what="renaming") == "done"
    assert tries == 3
    assert (await models.Firm.get(id=1)).name == "try 3"


async def test_retries_are_bounded_and_end_in_a_typed_conflict(db: object) -> None:
    await seed_firm(1)
    tries = 0

    async def work(conn: BaseDBAsyncClient) -> None:
        nonlocal tries
        tries += 1
        await _write_firm_note(conn, "never")
        raise FakeDeadlock("deadlock detected")

    with pytest.raises(TransactionAborted) as aborted:
        await atomic(work, what="renaming firm 1", attempts=3)
    assert tries == 3 and aborted.value.code == "CONFLICT"
    assert "renaming firm 1" in str(aborted.value)
    assert (await models.Firm.get(id=1)).name == "Firm 1"  # nothing written

    async def other_error(conn: BaseDBAsyncClient) -> None:
        nonlocal tries
        tries += 1
        raise ValueError("not the database's fault")

    tries = 0
    with pytest.raises(ValueError):
        await atomic(other_error, what="x")
    assert tries == 1


async def test_inside_another_transaction_only_the_outermost_is_run_again(db: object) -> None:
    await seed_firm(1)
    inner_tries = outer_tries = 0

    async def inner(conn: BaseDBAsyncClient) -> None:
        nonlocal inner_tries
        inner_tries += 1
        if outer_tries == 1:
            raise FakeDeadlock("deadlock detected")

    async def outer(conn: BaseDBAsyncClient) -> None:
        nonlocal outer_tries
        outer_tries += 1
        await atomic(inner, what="inner")

    await atomic(outer, what="outer")
    assert (outer_tries, inner_tries) == (2, 2)


async def test_a_repayment_whose_transaction_is_run_again_is_posted_once(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    loan_id = (await book_loan(await seed_firm())).loan_id
    real = repayments.audit
    aborted = 0

    async def audit_then_deadlock(*args: Any, **kwargs: Any) -> None:
        nonlocal aborted
        await real(*args, **kwargs)
        if aborted < 2:  # everything of the attempt is written, then it is aborted
            aborted += 1
            raise FakeDeadlock("deadlock detected")

    monkeypatch.setattr(repayments, "audit", audit_then_deadlock)
    posted = await repayments.post_repayment(
        loan_id, OFFICER, idempotency_key="k-1", amount=Decimal("900.00")
    )
    again = await repayments.post_repayment(
        loan_id, OFFICER, idempotency_key="k-1", amount=Decimal("900.00")
    )
    assert aborted == 2 and again.id == posted.id
    assert await models.Repayment.filter(loan_id=loan_id).count() == 1
    assert await models.AuditLog.filter(action="repayment.post").count() == 1
    assert await verify_ledger() == []


async def test_a_real_deadlock_on_postgres_is_run_again(db: object, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite transactions cannot deadlock (one writer, locked at BEGIN)")
    a = (await book_loan(await seed_firm(1))).loan_id
    b = (await book_loan(await seed_firm(2))).loan_id
    both_hold_one = asyncio.Barrier(2)
    tries: list[str] = []

    def crossing(first: int, second: int, name: str) -> Any:
        async def work(conn: BaseDBAsyncClient) -> None:
            tries.append(name)
            await lock(models.Loan, first, conn)
            if tries.count(name) == 1:  # the first attempts wait for each other
                await both_hold_one.wait()
            await lock(models.Loan, second, conn)  # the opposite order: a deadlock

        return work

    await asyncio.gather(
        atomic(crossing(a, b, "ab"), what="a then b"),
        atomic(crossing(b, a, "ba"), what="b then a"),
    )
    assert sorted(tries) in (["ab", "ab", "ba"], ["ab", "ba", "ba"])


def _hold_write_lock(path: str, held: threading.Event, release: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(30)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_a_sqlite_writer_waits_for_another_process_lock_then_gives_up_cleanly(
    tmp_path: Any,
) -> None:
    path = str(tmp_path / "busy.sqlite3")
    settings: Settings = load_settings(
        {"SMECREDIT_DATABASE_URL": f"sqlite://{path}", "SMECREDIT_SQLITE_BUSY_TIMEOUT": "1s"}
    )
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    try:
        await Tortoise.generate_schemas()
        loan_id = (await book_loan(await seed_firm())).loan_id
        for hold_until_posted, key in ((False, "waits"), (True, "gives-up")):
            held, release = threading.Event(), threading.Event()
            other = threading.Thread(target=_hold_write_lock, args=(path, held, release))
            other.start()
            held.wait(10)
            post = asyncio.ensure_future(
                repayments.post_repayment(
                    loan_id, OFFICER, idempotency_key=key, amount=Decimal("100.00")
                )
            )
            if hold_until_posted:
                with pytest.raises(TransactionAborted, match="busy timeout"):
                    await post
            else:
                await asyncio.sleep(0.2)
                assert not post.done()  # waiting for the lock, not failed
                release.set()
                assert (await post).idempotency_key == "waits"
            release.set()
            other.join()
        keys = await models.Repayment.all().values_list("idempotency_key", flat=True)
        assert keys == ["waits"]
    finally:
        await Tortoise.close_connections()
