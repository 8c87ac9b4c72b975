"""The ingestion pipeline end to end: counts, resume without duplicates, merges, quarantine."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from ingestion_support import ListSource, StoppingSource, broken, clear_tables, snapshot
from smecredit_source_synthetic.generator import generate_portfolio
from smecredit_source_synthetic.plugin import SyntheticSource

from smecredit import models
from smecredit.services.ingestion.quarantine import open_raw
from smecredit.services.ingestion.results import SyncProgress
from smecredit.services.ingestion.sync import IngestionError, run_sync
from smecredit.services.persons import decrypt_person, person_index
from smecredit.services.quality import quality_report

pytestmark = pytest.mark.anyio

N_FIRMS = 12
SETTINGS = {"n_firms": N_FIRMS, "seed": 7}

_TABLE_OF = {
    "firm": models.Firm,
    "financial_statement": models.FinancialStatement,
    "tax_record": models.TaxRecord,
    "registry_event": models.RegistryEvent,
    "legal_case": models.LegalCase,
    "bureau_summary": models.BureauSummary,
    "loan": models.Loan,
    "repayment_history": models.RepaymentHistory,
}


async def test_clean_synthetic_sync_lands_every_record(db: Any) -> None:
    expected = Counter(kind for kind, _ in generate_portfolio(N_FIRMS, seed=7))
    people = {r["id_number"] for k, r in generate_portfolio(N_FIRMS, seed=7) if k == "person"}
    seen: list[SyncProgress] = []

    result = await run_sync(
        SyntheticSource(), settings=SETTINGS, batch_size=97, progress=seen.append
    )

    total = sum(expected.values())
    assert result.status == "succeeded", result.error
    assert (result.read, result.accepted, result.quarantined) == (total, total, 0)
    for kind, model in _TABLE_OF.items():
        assert await model.all().count() == expected[kind], kind
    assert await models.Person.all().count() == len(people)
    # Every firm's representative is linked, by the blind index of the ID number.
    firm = await models.Firm.all().prefetch_related("representative").first()
    assert firm is not None and firm.representative is not None
    clear = decrypt_person(firm.representative)
    assert firm.representative.id_number_index == person_index(clear.id_number)
    assert clear.id_number in people
    assert firm.representative.id_number != clear.id_number  # encrypted at rest
    # The person record of each legal representative merged into that representative.
    assert result.merged >= N_FIRMS
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == total and len(seen) == -(-total // 97)
    run = await models.SyncRun.get(id=result.run_id)
    assert (run.status, run.read, run.accepted) == ("succeeded", total, total)
    assert await models.SourceCheckpoint.all().count() == 0  # finished: nothing to resume


async def test_second_sync_of_same_data_changes_nothing(db: Any) -> None:
    await run_sync(SyntheticSource(), settings=SETTINGS, batch_size=500)
    before = await snapshot(include_quarantine=False)
    again = await run_sync(SyntheticSource(), settings=SETTINGS, batch_size=500)
    assert again.status == "succeeded"
    assert await snapshot(include_quarantine=False) == before


@pytest.mark.parametrize("stop_after", [1, 250, 777])
async def test_sync_killed_half_way_resumes_to_identical_rows(db: Any, stop_after: int) -> None:
    settings = {**SETTINGS, "dirt_rate": 0.05}
    reference = await run_sync(SyntheticSource(), settings=settings, batch_size=100)
    assert reference.quarantined > 0  # the comparison covers quarantine too
    expected = await snapshot()
    await clear_tables()

    crashed = await run_sync(
        StoppingSource(SyntheticSource(), stop_after), settings=settings, batch_size=100
    )
    assert crashed.status == "failed" and "stopped after" in (crashed.error or "")
    assert crashed.read == (stop_after // 100) * 100  # committed batches only
    committed = (stop_after // 100) * 100
    assert await models.SourceCheckpoint.all().count() == (1 if committed else 0)

    resumed = await run_sync(SyntheticSource(), settings=settings, batch_size=100)
    assert resumed.finished
    assert resumed.resumed_from == crashed.checkpoint
    assert await snapshot() == expected
    assert crashed.accepted + resumed.accepted == reference.accepted
    assert crashed.quarantined + resumed.quarantined == reference.quarantined


async def test_cancelled_sync_is_interrupted_and_resumes(db: Any) -> None:
    reference = await run_sync(SyntheticSource(), settings=SETTINGS, batch_size=50)
    expected = await snapshot()
    await clear_tables()

    reached = asyncio.Event()

    def progress(p: SyncProgress) -> None:
        if p.done >= 300:
            reached.set()

    task = asyncio.create_task(
        run_sync(SyntheticSource(), settings=SETTINGS, batch_size=50, progress=progress)
    )
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    run = await models.SyncRun.get(source="synthetic")
    assert run.status == "interrupted" and run.read >= 300
    assert await models.Firm.all().count() < N_FIRMS or run.read < reference.read

    resumed = await run_sync(SyntheticSource(), settings=SETTINGS, batch_size=50)
    assert resumed.status == "succeeded" and resumed.resumed_from is not None
    assert await snapshot() == expected
    assert run.accepted + resumed.accepted == reference.accepted


async def test_no_resume_starts_over_without_duplicating_rows(db: Any) -> None:
    await run_sync(StoppingSource(SyntheticSource(), 400), settings=SETTINGS, batch_size=100)
    result = await run_sync(SyntheticSource(), settings=SETTINGS, batch_size=100, resume=False)
    assert result.resumed_from is None and result.status == "succeeded"
    expected = Counter(kind for kind, _ in generate_portfolio(N_FIRMS, seed=7))
    for kind, model in _TABLE_OF.items():
        assert await model.all().count() == expected[kind], kind


def _firm(uscc_seed: int = 0, **overrides: Any) -> dict[str, Any]:
    record = next(r for k, r in generate_portfolio(1, seed=100 + uscc_seed) if k == "firm")
    return {**record, **overrides}


async def test_duplicate_firms_merge_by_the_documented_rule(db: Any) -> None:
    old = _firm(fetched_at="2026-01-01T00:00:00+08:00", employees=5)
    new = {
        **{k: v for k, v in old.items() if k != "representative"},
        "name": old["name"] + "分公司",
        "fetched_at": "2026-03-01T00:00:00+08:00",
        "employees": 9,
    }
    source = ListSource([("firm", old), ("firm", new), ("firm", old)])
    result = await run_sync(source, batch_size=10)

    assert (result.accepted, result.merged, result.duplicates) == (3, 2, 2)
    firm = await models.Firm.get(uscc=old["uscc"]).prefetch_related("representative")
    assert firm.name == new["name"] and firm.employees == 9  # newest non-null wins
    assert firm.representative is not None  # what the newest lacks is kept, never erased
    assert decrypt_person(firm.representative).id_number == old["representative"]["id_number"]
    assert await models.Person.all().count() == 1

    # Across runs: the stored profile ranks older, so fresh values win, nulls fill nothing.
    later = {**new, "employees": 12, "fetched_at": "2026-05-01T00:00:00+08:00"}
    second = await run_sync(ListSource([("firm", later)]), batch_size=10)
    assert second.merged == 1 and second.duplicates == 0
    firm = await models.Firm.get(uscc=old["uscc"])
    assert firm.employees == 12 and firm.version == 2


async def test_invalid_records_are_quarantined_and_valid_ones_land(db: Any) -> None:
    good = _firm(1)
    bad_code = _firm(2, uscc=_firm(2)["uscc"][:-1] + ("0" if _firm(2)["uscc"][-1] != "0" else "1"))
    missing = _firm(3, name=None)
    unknown_field = _firm(4, colour="blue")
    orphan_tax = {
        "firm_uscc": _firm(5)["uscc"],
        "month": "2026-01",
        "taxable_sales": "100.00",
        "tax_paid": "3.00",
        "arrears": "0.00",
        "source": "listed",
        "fetched_at": "2026-02-01T00:00:00+08:00",
    }
    good_tax = {**orphan_tax, "firm_uscc": good["uscc"]}
    source = ListSource(
        [
            ("firm", good),
            ("firm", bad_code),
            ("firm", missing),
            broken("line 9"),
            ("firm", unknown_field),
            ("tax_record", orphan_tax),
            ("tax_record", good_tax),
            ("no_such_kind", {"x": 1}),
        ]
    )
    result = await run_sync(source, batch_size=3)

    assert (result.read, result.accepted, result.quarantined) == (8, 2, 6)
    assert result.status == "partial"  # finished, but not everything was taken in
    assert await models.Firm.all().values_list("uscc", flat=True) == [good["uscc"]]
    assert await models.TaxRecord.all().count() == 1
    rows = await models.QuarantinedRecord.all().order_by("id")
    codes = {row.locator: (row.code, row.field) for row in rows}
    assert codes["item 1"] == ("BAD_CODE", "uscc")
    assert codes["item 2"] == ("MISSING_VALUE", "name")
    assert codes["line 9"] == ("BAD_ROW", None)
    assert codes["item 4"] == ("SCHEMA_VIOLATION", "colour")
    assert codes["item 5"] == ("UNKNOWN_FIRM", "firm_uscc")
    assert codes["item 7"][0] == "UNKNOWN_KIND"
    by_locator = {row.locator: row for row in rows}
    assert open_raw(by_locator["item 1"]) == bad_code  # kept whole, as the source gave it
    assert "check" in by_locator["item 1"].reason.lower()
    assert {(row.run_id, row.source) for row in rows} == {(result.run_id, "listed")}  # type: ignore[attr-defined]

    report = await quality_report("listed")
    assert report.totals["quarantined"] == 6
    assert report.runs[0].quarantine_by_code["UNKNOWN_FIRM"] == 1
    assert report.latest_missing_rates["firm"]["name"] > 0


async def test_outliers_are_flagged_not_dropped(db: Any) -> None:
    firms = [_firm(i) for i in range(8)]
    firms[3] = {**firms[3], "registered_capital": "9999999999999.00"}
    result = await run_sync(ListSource([("firm", f) for f in firms]), batch_size=100)
    assert result.accepted == 8 and await models.Firm.all().count() == 8
    assert result.outliers_by_field.get("firm.registered_capital", 0) >= 1
    assert result.outliers == sum(result.outliers_by_field.values())


async def test_unknown_source_and_bad_settings_fail_before_any_run(db: Any) -> None:
    with pytest.raises(IngestionError) as unknown:
        await run_sync({"synthetic": SyntheticSource()}, "nope")
    assert unknown.value.code == "UNKNOWN_SOURCE"
    with pytest.raises(IngestionError) as invalid:
        await run_sync({"synthetic": SyntheticSource()}, "synthetic", settings={"n_firms": -1})
    assert invalid.value.code == "INVALID_SETTINGS"
    assert await models.SyncRun.all().count() == 0


async def test_quarantine_rows_stored_in_clear_before_are_sealed(db: Any) -> None:
    from smecredit.security.keys import is_encrypted
    from smecredit.services.ingestion import sync as ingestion

    run = await models.SyncRun.create(source="old", status="succeeded")
    clear = {"representative": {"name": "张三丰", "id_number": "110105194912310021"}}
    legacy = await models.QuarantinedRecord.create(
        run=run,
        source="old",
        locator="line 3",
        kind="firm",
        code="BAD_FORMAT",
        reason="representative.name: '张三丰' is not valid",
        raw_record=clear,
    )
    ingestion._legacy_sealed = False  # as in a process that has not synced yet
    await run_sync(ListSource([("firm", _firm(1))]), batch_size=10)
    row = await models.QuarantinedRecord.get(id=legacy.id)
    assert is_encrypted(row.raw_record) and row.key_ref
    assert open_raw(row) == clear
    assert "张三丰" not in row.reason


async def test_empty_registered_capital_is_kept_missing_not_quarantined(db: Any) -> None:
    firms = [_firm(20, registered_capital=""), _firm(21, registered_capital=None), _firm(22)]
    bare = {k: v for k, v in _firm(23).items() if k != "registered_capital"}
    result = await run_sync(ListSource([("firm", f) for f in [*firms, bare]]), batch_size=10)

    assert (result.status, result.accepted, result.quarantined) == ("succeeded", 4, 0)
    stored = dict(await models.Firm.all().values_list("uscc", "registered_capital"))
    assert stored[firms[0]["uscc"]] is None and stored[bare["uscc"]] is None
    assert stored[firms[2]["uscc"]] is not None
    # counted in the data-quality report: 3 of the 4 firm records lack their capital
    assert result.missing_rates["firm"]["registered_capital"] == pytest.approx(0.75)
    report = await quality_report("listed")
    assert report.latest_missing_rates["firm"]["registered_capital"] == pytest.approx(0.75)


async def test_imputed_values_are_counted_by_field(db: Any) -> None:
    firm = _firm(30)
    instalment = {
        "firm_uscc": firm["uscc"],
        "loan_ref": "EXT-1",
        "due_date": "2026-01-31",
        "paid_date": None,
        "amount_due": "1000.00",
        "amount_paid": "",
        "days_past_due": 3,
        "source": "listed",
        "fetched_at": "2026-02-03T00:00:00+08:00",
    }
    result = await run_sync(ListSource([("firm", firm), ("repayment_history", instalment)]))
    assert result.quarantined == 0
    row = await models.RepaymentHistory.get(loan_ref="EXT-1")
    assert row.amount_paid == 0 and row.imputed == "amount_paid:zero"  # on the value's row
    given = {**instalment, "amount_paid": "0.00"}  # the source says so now: no longer imputed
    await run_sync(ListSource([("repayment_history", given)]), refresh=False)
    assert (await models.RepaymentHistory.get(loan_ref="EXT-1")).imputed is None
    firm_row = await models.Firm.get(uscc=firm["uscc"])
    assert firm_row.registered_capital is not None
    assert result.flagged_by_code["IMPUTED"] == {"repayment_history.amount_paid": 1}
