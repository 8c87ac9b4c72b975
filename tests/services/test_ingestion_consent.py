"""Consent gating: a consent-gated source is asked only about consented firms."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers import principal
from ingestion_support import ListSource
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models
from smecredit.domain.identity import uscc_check_char
from smecredit.errors import InvalidInput, NotFound
from smecredit.services.consent import consented_firms, grant_consent, revoke_consent
from smecredit.services.ingestion.sync import run_sync

pytestmark = pytest.mark.anyio

NOW = dt.datetime.now(dt.UTC)


def _bureau(uscc: str) -> dict[str, Any]:
    return {
        "firm_uscc": uscc,
        "report_date": "2026-06-01",
        "debt_other_lenders": "1000.00",
        "overdue_count": 0,
        "overdue_amount": "0.00",
        "inquiries_6m": 1,
        "open_credit_lines": 2,
        "source": "bureau",
        "fetched_at": "2026-06-02T00:00:00+08:00",
    }


class BureauSource(ListSource):
    """Answers for whatever firms it is asked about, plus one it was not asked about."""

    def __init__(self, intruder: str) -> None:
        super().__init__([], name="bureau", needs_consent=True, kinds=("bureau_summary",))
        self.intruder = intruder

    async def fetch(self, request: Any) -> Any:
        self.requests.append(request)
        for index, uscc in enumerate([*(request.firm_usccs or []), self.intruder]):
            yield self._record(index, uscc)

    def _record(self, index: int, uscc: str) -> Any:
        from smecredit.sdk import SourceRecord

        return SourceRecord("bureau_summary", _bureau(uscc), f"{index:04d}", f"firm {uscc}")


async def _seed_firms(n: int) -> list[str]:
    firms = [(k, r) for k, r in generate_portfolio(n, seed=11) if k == "firm"]
    await run_sync(ListSource(firms), batch_size=100)
    return sorted(r["uscc"] for _, r in firms)


async def test_only_consented_firms_are_requested_and_skips_are_reported(db: Any) -> None:
    a, b, c, d, e = await _seed_firms(5)
    await grant_consent(
        a, "bureau", actor=principal("officer1", "loan_officer"), evidence_ref="doc-1"
    )
    officer = principal("officer1", "loan_officer")
    await grant_consent(b, "bureau", actor=officer, expires_at=NOW - dt.timedelta(days=1),
                        granted_at=NOW - dt.timedelta(days=30))  # fmt: skip
    await grant_consent(c, "bureau", actor=principal("officer1", "loan_officer"))
    await revoke_consent(c, "bureau", actor=principal("officer1", "loan_officer"))
    await grant_consent(d, "tax", actor=principal("officer1", "loan_officer"))  # another scope
    await grant_consent(
        e,
        "bureau",
        actor=principal("officer1", "loan_officer"),
        granted_at=NOW + dt.timedelta(days=1),
    )

    source = BureauSource(intruder=b)
    result = await run_sync(source)

    assert source.requests[0].firm_usccs == [a]
    assert result.skipped_firms == [b, c, d, e]
    assert "skipped for lack of consent" in str(result)
    stored = await models.BureauSummary.all().values_list("firm__uscc", flat=True)
    assert stored == [a]
    intruder = await models.QuarantinedRecord.get()
    assert (intruder.code, intruder.field) == ("CONSENT_MISSING", "firm_uscc")
    run = await models.SyncRun.get(id=result.run_id)
    assert run.skipped_count == 4 and run.skipped_firms == [b, c, d, e]


async def test_consented_firms_respects_time(db: Any) -> None:
    (a,) = await _seed_firms(1)
    await grant_consent(
        a, "personal", actor=principal("x", "loan_officer"), expires_at=NOW + dt.timedelta(days=10)
    )
    assert await consented_firms("personal") == {a}
    assert await consented_firms("personal", NOW + dt.timedelta(days=11)) == set()
    assert await consented_firms("personal", NOW - dt.timedelta(days=1)) == set()
    assert (
        await revoke_consent(
            a,
            "personal",
            at=NOW + dt.timedelta(days=5),
            actor=principal("officer1", "loan_officer"),
        )
        == 1
    )
    assert await consented_firms("personal", NOW + dt.timedelta(days=1)) == {a}
    assert await consented_firms("personal", NOW + dt.timedelta(days=6)) == set()


async def test_no_consent_at_all_asks_nothing(db: Any) -> None:
    firms = await _seed_firms(2)
    source = BureauSource(intruder=firms[0])
    result = await run_sync(source)
    assert source.requests == [] and result.read == 0
    assert result.skipped_firms == firms


async def test_grant_consent_checks_its_input(db: Any) -> None:
    (a,) = await _seed_firms(1)
    with pytest.raises(InvalidInput):
        await grant_consent(a, "Bureau!", actor=principal("x", "loan_officer"))
    with pytest.raises(InvalidInput):
        await grant_consent(
            a, "bureau", actor=principal("x", "loan_officer"), expires_at=NOW - dt.timedelta(days=1)
        )
    with pytest.raises(InvalidInput):
        await grant_consent(
            "911100001000000000", "bureau", actor=principal("x", "loan_officer")
        )  # bad check char
    with pytest.raises(NotFound):
        await grant_consent("91110000100000000" + uscc_check_char("91110000100000000"), "bureau",
                            actor=principal("x", "loan_officer"))  # fmt: skip
