"""Import runs across processes: a killed import is detected, marked and resumed; a second
live run of the same request is refused; a run declared dead writes nothing more."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingestion_support import clear_tables, snapshot
from smecredit_source_files.plugin import FileSource
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models
from smecredit.sdk import FetchRequest, SourceRecord
from smecredit.security.crypto import generate_key_file
from smecredit.security.keys import set_keyring
from smecredit.services.ingestion.runs import IngestionError, is_alive, reap_dead_runs
from smecredit.services.ingestion.sync import run_sync

pytestmark = pytest.mark.anyio

HEADER = ["uscc", "name", "industry_code", "region_code", "established_on",
          "registered_capital", "employees", "status", "branch_code",
          "representative.name", "representative.id_number", "representative.phone"]  # fmt: skip
N_FIRMS = 120
BATCH = 10
PAUSE_AFTER = 57  # five batches committed, the sixth half read when the process is killed

# Run in a child process: import the file, and after PAUSE_AFTER records wait to be killed.
CHILD = """
import asyncio, sys
from pathlib import Path
from smecredit.db import init_db
from smecredit.settings import load_settings
from smecredit.services.ingestion.sync import run_sync
from smecredit_source_files.plugin import FileSource

class Pausing:
    def __init__(self, inner, after, marker):
        self.inner, self.after, self.marker = inner, after, Path(marker)
        for name in ("name", "description", "record_kinds", "incremental", "needs_consent",
                     "settings_schema", "raw_values"):
            setattr(self, name, getattr(inner, name))

    async def fetch(self, request):
        count = 0
        async for item in self.inner.fetch(request):
            if count == self.after:
                self.marker.write_text("paused")
                await asyncio.sleep(3600)
            count += 1
            yield item

async def main(path, marker, after, batch):
    await init_db(load_settings())
    source = Pausing(FileSource(), int(after), marker)
    await run_sync(source, path=Path(path), kind="firm", batch_size=int(batch))

asyncio.run(main(*sys.argv[1:]))
"""


def _firm_file(path: Path) -> Path:
    firms = [r for k, r in generate_portfolio(N_FIRMS, seed=11) if k == "firm"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for firm in firms:
            rep = firm.get("representative") or {}
            writer.writerow(
                [*(firm[h] for h in HEADER[:9]), rep.get("name"), rep.get("id_number"),
                 rep.get("phone")]
            )  # fmt: skip
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Iterator[Path]:
    """One key file shared by this process and the child (same encryption, same index)."""
    path = tmp_path / "keys.json"
    set_keyring(generate_key_file(path))
    try:
        yield path
    finally:
        set_keyring(None)


async def _wait_for(marker: Path, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a bound on waiting, not an assertion on speed
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(f"the child import ended first: {child.stderr.read()!r}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            raise AssertionError("the child import never reached its pause")
        await asyncio.sleep(0.05)


async def test_killed_import_is_detected_and_resumed_to_the_same_end_state(
    db: Any, tmp_path: Path, key_file: Path
) -> None:
    path = _firm_file(tmp_path / "firms.csv")
    reference = await run_sync(FileSource(), path=path, kind="firm", batch_size=BATCH)
    assert reference.ok and reference.accepted == N_FIRMS
    expected = await snapshot()
    await clear_tables()

    marker = tmp_path / "paused"
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {
        **os.environ,
        "SMECREDIT_DATABASE_URL": db.database_url,
        "SMECREDIT_KEY_FILE": str(key_file),
        "SMECREDIT_ENV": "dev",
    }
    child = subprocess.Popen(
        [sys.executable, str(script), str(path), str(marker), str(PAUSE_AFTER), str(BATCH)],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    try:
        await _wait_for(marker, child)
    finally:
        child.kill()  # SIGKILL: no finally block, no "interrupted" written by the child
        child.wait()

    left = await models.SyncRun.get()
    assert left.status == "running" and left.owner and f":{child.pid}:" in left.owner
    assert left.done == (PAUSE_AFTER // BATCH) * BATCH  # committed batches only
    assert await models.Firm.all().count() == left.done

    resumed = await run_sync(FileSource(), path=path, kind="firm", batch_size=BATCH)

    killed = await models.SyncRun.get(id=left.id)
    assert killed.status == "interrupted" and killed.lock_key is None
    assert f"{child.pid}" in (killed.error or "")
    assert resumed.ok and resumed.resumed_from is not None
    assert killed.accepted + resumed.accepted == reference.accepted
    assert await snapshot() == expected
    actions = [e.action for e in await models.AuditLog.all().order_by("seq")]
    imports = [a for a in actions if a.startswith("data.import")]
    assert imports[-2:] == ["data.import.interrupted", "data.import"]


class _Gate:
    """A source over a list that stops after ``hold`` records until ``go`` is set."""

    name = "gated"
    description = "records from a list, with a pause"
    record_kinds = ("firm",)
    incremental = False
    needs_consent = False
    settings_schema: dict[str, Any] = {}  # noqa: RUF012

    def __init__(self, records: list[dict[str, Any]], hold: int) -> None:
        self.records, self.hold = records, hold
        self.reached, self.go = asyncio.Event(), asyncio.Event()

    async def fetch(self, request: FetchRequest) -> Any:
        start = int(request.resume_from) + 1 if request.resume_from else 0
        for ordinal, record in enumerate(self.records):
            if ordinal < start:
                continue
            if ordinal == self.hold:
                self.reached.set()
                await self.go.wait()
            yield SourceRecord("firm", dict(record), f"{ordinal:06d}", f"item {ordinal}")


def _firms(n: int) -> list[dict[str, Any]]:
    return [r for k, r in generate_portfolio(n, seed=5) if k == "firm"]


async def test_second_live_run_of_the_same_request_is_refused(db: Any) -> None:
    gate = _Gate(_firms(6), hold=3)
    first = asyncio.create_task(run_sync(gate, batch_size=2))
    await gate.reached.wait()
    with pytest.raises(IngestionError) as refused:
        await run_sync(gate, batch_size=2)
    assert refused.value.code == "SYNC_RUNNING"
    gate.go.set()
    assert (await first).ok
    assert (await run_sync(gate, batch_size=2)).ok  # the lock went with the first run


async def test_run_declared_dead_writes_nothing_more(db: Any) -> None:
    # A stalled process another one took for dead must not write on: every write is fenced.
    gate = _Gate(_firms(6), hold=3)
    task = asyncio.create_task(run_sync(gate, batch_size=2))
    await gate.reached.wait()
    run = await models.SyncRun.get()
    await models.SyncRun.filter(id=run.id).update(status="interrupted", lock_key=None)
    gate.go.set()
    result = await task
    assert result.status == "interrupted"
    assert await models.Firm.all().count() == 2  # the batch committed before, nothing after
    assert (await models.SyncRun.get(id=run.id)).status == "interrupted"


async def test_a_run_whose_heartbeat_stopped_is_taken_for_dead(db: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    common = {"source": "files", "status": "running", "operation": "data.import"}
    stale = await models.SyncRun.create(
        **common, scope="a", owner="elsewhere:4242:aa", heartbeat_at=now - dt.timedelta(minutes=5)
    )
    fresh = await models.SyncRun.create(
        **common, scope="b", owner="elsewhere:4243:bb", heartbeat_at=now - dt.timedelta(seconds=5)
    )
    assert not is_alive(stale, now=now) and is_alive(fresh, now=now)
    assert await reap_dead_runs(now=now) == [stale.id]
    marked = await models.SyncRun.get(id=stale.id)
    assert marked.status == "interrupted" and "elsewhere:4242" in (marked.error or "")
    assert (await models.SyncRun.get(id=fresh.id)).status == "running"
    entry = await models.AuditLog.filter(resource=f"SyncRun:{stale.id}").get()
    assert (entry.actor, entry.action) == ("system", "data.import.interrupted")


def test_stale_limit_is_a_setting() -> None:
    from smecredit.settings import SettingsError, load_settings

    assert load_settings({}).sync_stale_after == dt.timedelta(minutes=2)
    assert load_settings({"SMECREDIT_SYNC_STALE_AFTER": "5m"}).sync_stale_after.seconds == 300
    with pytest.raises(SettingsError) as short:
        load_settings({"SMECREDIT_SYNC_STALE_AFTER": "10s"})
    assert "SMECREDIT_SYNC_STALE_AFTER" in str(short.value)
