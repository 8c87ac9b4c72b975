"""Fresh data flows on: a sync's new evidence rescored and re-evaluated, since remembered."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest
from ingestion_support import ListSource
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models
from smecredit.sdk import FetchRequest, SourceRecord
from smecredit.services.ingestion import refresh as ingest_refresh
from smecredit.services.ingestion.sync import IngestionError, run_sync
from smecredit.services.scoring import scoring

pytestmark = pytest.mark.anyio


class FixedPd:
    """A scoring model whose artefact is the PD it predicts for every firm."""

    name = "fixed"
    description = "fixed PD (tests)"
    version = "1"

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        return [float(artefact.decode())] * len(X)

    def explain(self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int) -> list[Any]:
        return [[] for _ in X]


class IncrementalSource(ListSource):
    """A list source that honours ``since`` (records it, yields everything)."""

    incremental = True


class FailingSource(IncrementalSource):
    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        self.requests.append(request)
        raise RuntimeError("the registry is down")
        yield  # pragma: no cover - makes this an async generator


def _firms(n: int, seed: int = 40) -> list[dict[str, Any]]:
    return [r for k, r in generate_portfolio(n, seed=seed) if k == "firm"]


def _tax(uscc: str, month: str, arrears: str = "0.00") -> dict[str, Any]:
    return {
        "firm_uscc": uscc,
        "month": month,
        "taxable_sales": "1000.00",
        "tax_paid": "30.00",
        "arrears": arrears,
        "source": "listed",
        "fetched_at": "2026-02-01T00:00:00+08:00",
    }


async def _champion() -> models.ModelVersion:
    scoring.clear_version_cache()
    return await models.ModelVersion.create(
        name="fixed",
        version="v1",
        use="application",
        status="champion",
        artefact=b"0.05",
        calibration={"a": 1.0, "b": 0.0},
        master_scale=[],
        training_fingerprint="0" * 64,
        created_by="test",
    )


async def test_sync_queues_and_runs_the_refresh_of_the_firms_it_touched(db: Any) -> None:
    firms = _firms(4)
    first = await run_sync(ListSource([("firm", f) for f in firms]), batch_size=2)
    assert first.refresh_job_id is not None and first.refresh_status == "succeeded"
    job = await models.RefreshJob.get(id=first.refresh_job_id)
    all_ids = sorted(await models.Firm.all().values_list("id", flat=True))
    assert job.firm_ids == all_ids and job.firms == 4  # new firms are touched firms
    # no champion installed: scoring says why it was skipped, warnings are still evaluated
    assert job.scored == 0 and "champion" in (job.score_skipped or "")
    scan = await models.WarningScanRun.get(id=job.scan_run_id)
    assert scan.firms_scanned == 4 and scan.author == f"sync-run:{first.run_id}"

    # The same data again changes nothing, so nothing is rescored.
    again = await run_sync(ListSource([("firm", f) for f in firms]), batch_size=2)
    assert again.refresh_job_id is None and again.accepted == 4

    # New evidence about two firms: only they are rescored (with the champion) and scanned.
    await _champion()
    touched = [firms[1]["uscc"], firms[3]["uscc"]]
    source = ListSource([("tax_record", _tax(u, "2026-01", "500.00")) for u in touched])
    third = await run_sync(source, refresh=False)
    assert third.refresh_status == "pending"
    pending = await models.RefreshJob.get(id=third.refresh_job_id)
    ids = dict(await models.Firm.all().values_list("uscc", "id"))
    assert pending.status == "pending" and pending.firm_ids == sorted(ids[u] for u in touched)

    before = await models.Score.all().count()
    done = await ingest_refresh.run_refresh(pending.id, available={"fixed": FixedPd()})
    assert done.status == "succeeded" and done.scored == 2 and done.score_skipped is None
    scored = await models.Score.filter(id__gt=before).values_list("firm_id", flat=True)
    assert sorted(scored) == pending.firm_ids
    assert (await models.WarningScanRun.get(id=done.scan_run_id)).firms_scanned == 2
    # a finished job is not run twice
    again_done = await ingest_refresh.run_refresh(pending.id, available={"fixed": FixedPd()})
    assert again_done.finished_at == done.finished_at
    actions = await models.AuditLog.filter(resource=f"RefreshJob:{done.id}").values_list(
        "action", flat=True
    )
    assert actions == ["source.refresh"]


async def test_pending_refreshes_left_behind_are_picked_up(db: Any) -> None:
    result = await run_sync(ListSource([("firm", f) for f in _firms(2, seed=41)]), refresh=False)
    assert (await models.RefreshJob.get(id=result.refresh_job_id)).status == "pending"
    done = await ingest_refresh.run_pending_refreshes()
    assert [j.id for j in done] == [result.refresh_job_id] and done[0].status == "succeeded"
    assert await ingest_refresh.run_pending_refreshes() == []


async def test_incremental_source_starts_from_its_last_complete_run(db: Any) -> None:
    firms = _firms(2, seed=42)
    source = IncrementalSource([("firm", f) for f in firms])
    first = await run_sync(source, refresh=False)
    run = await models.SyncRun.get(id=first.run_id)
    remembered = await ingest_refresh.remembered_since("listed")
    assert source.requests[-1].since is None  # never synced: everything
    assert remembered == run.started_at.astimezone(dt.UTC).isoformat()

    second = await run_sync(source, refresh=False)
    assert source.requests[-1].since == remembered  # starts from the remembered since
    second_run = await models.SyncRun.get(id=second.run_id)
    assert second_run.since == remembered
    moved = await ingest_refresh.remembered_since("listed")
    assert moved == second_run.started_at.astimezone(dt.UTC).isoformat() and moved > remembered

    # A failed run does not move it; an explicit since and full=True override it.
    failing = FailingSource([], name="listed")
    failed = await run_sync(failing, refresh=False)
    assert failed.status == "failed" and failing.requests[-1].since == moved
    assert await ingest_refresh.remembered_since("listed") == moved
    await run_sync(source, since="2020-01-01T00:00:00+00:00", refresh=False)
    assert source.requests[-1].since == "2020-01-01T00:00:00+00:00"
    await run_sync(source, full=True, refresh=False)
    assert source.requests[-1].since is None


async def test_non_incremental_sources_remember_nothing(db: Any) -> None:
    await run_sync(ListSource([("firm", f) for f in _firms(1, seed=43)]), refresh=False)
    assert await models.SourceState.all().count() == 0


async def test_settings_are_validated_with_the_bad_setting_named(db: Any) -> None:
    from smecredit_source_synthetic.plugin import SyntheticSource

    with pytest.raises(IngestionError) as caught:
        await run_sync({"synthetic": SyntheticSource()}, "synthetic", settings={"n_firms": "x"})
    assert caught.value.code == "INVALID_SETTINGS"
    assert "n_firms" in str(caught.value)
    assert await models.SyncRun.all().count() == 0
