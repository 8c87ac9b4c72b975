"""Scans: open, update, escalate, auto-resolve, idempotency, overdue escalation, reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warnings_support import AS_OF, NOW, MakeFirm

from smecredit import models
from smecredit.services.warnings.scan import escalate_overdue, scan_firms, scan_portfolio

pytestmark = pytest.mark.anyio


async def _active() -> set[tuple[int, str, int | None, str, float | None]]:
    rows = await models.Warning.filter(status__in=["open", "acknowledged", "in_progress"])
    return {(w.firm_id, w.rule_code, w.loan_id, w.severity, w.observed_value) for w in rows}  # type: ignore[attr-defined]


async def test_dpd_warning_lifecycle_through_scans(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    rules = {"LOAN_DPD": rules["LOAN_DPD"], "TAX_SALES_DROP": rules["TAX_SALES_DROP"]}
    firm = await make_firm(dpd=45)
    loan = await models.Loan.get(firm=firm)
    first = await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert first.opened == 1 and first.firms == 1
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    assert (warning.severity, warning.observed_value, warning.loan_id) == ("yellow", 45.0, loan.id)  # type: ignore[attr-defined]
    assert warning.due_at == NOW + dt.timedelta(days=7)
    assert "45 days past due" in warning.message

    again = await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert (again.opened, again.updated, again.escalated, again.resolved) == (0, 0, 0, 0)

    await models.Loan.filter(id=loan.id).update(days_past_due=50)
    moved = await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert moved.updated == 1
    assert (await models.Warning.get(id=warning.id)).observed_value == 50.0

    await models.Loan.filter(id=loan.id).update(days_past_due=95)
    worse = await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert worse.escalated == 1 and worse.opened == 0
    fresh = await models.Warning.get(id=warning.id)
    assert fresh.severity == "red" and fresh.due_at == NOW + dt.timedelta(days=1)
    review = await models.ClassificationReview.get(loan_id=loan.id)
    assert (review.status, review.warning_id) == ("pending", warning.id)  # type: ignore[attr-defined]

    await models.Loan.filter(id=loan.id).update(days_past_due=0)
    cleared = await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert cleared.resolved == 1
    done = await models.Warning.get(id=warning.id)
    assert done.status == "resolved" and "cleared" in (done.resolution_note or "")
    kinds = [e.kind for e in await models.WarningEvent.filter(warning_id=warning.id).order_by("id")]
    assert kinds == ["opened", "updated", "escalated", "auto_resolved"]
    assert await models.Warning.all().count() == 1


async def test_missing_data_neither_opens_nor_resolves(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    firm = await make_firm(sales_recent="60.00", sales_year_ago="100.00")
    await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    warning = await models.Warning.get(rule_code="TAX_SALES_DROP")
    assert warning.severity == "yellow" and warning.observed_value == pytest.approx(40.0)
    await models.TaxRecord.filter(firm=firm).delete()  # the evidence is gone, not healthy
    summary = await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert summary.resolved == 0
    assert (await models.Warning.get(id=warning.id)).status == "open"


async def test_portfolio_scan_reports_progress_and_stores_index(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    firms = [await make_firm(dpd=d, overdues=o) for d, o in [(0, 0), (95, 4), (10, 1), (0, 6)]]
    seen: list[tuple[int, int]] = []
    summary = await scan_portfolio(
        as_of=AS_OF, now=NOW, rules=rules, batch_size=3, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(3, 4), (4, 4)]
    assert summary.firms == 4
    run = await models.WarningScanRun.get(id=summary.run_id)
    assert run.status == "finished" and run.opened == summary.opened
    snaps = {s.firm_id: s for s in await models.IndexSnapshot.filter(scan_run_id=summary.run_id)}
    assert set(snaps) == {f.id for f in firms}
    # the firm 95 DPD + 4 bureau overdues is the riskiest, the clean one the safest
    assert snaps[firms[1].id].index_value == max(s.index_value for s in snaps.values())
    assert snaps[firms[0].id].index_value == min(s.index_value for s in snaps.values())


async def test_overdue_warnings_escalate_one_level(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    rules = {"LOAN_DPD": rules["LOAN_DPD"]}
    firm = await make_firm(dpd=70)  # orange, due in 3 days
    await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert await escalate_overdue(now=NOW + dt.timedelta(days=1)) == 0
    assert await escalate_overdue(now=NOW + dt.timedelta(days=4)) == 1
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    assert warning.severity == "red" and warning.escalated_at is not None
    assert warning.due_at == NOW + dt.timedelta(days=5)
    assert await models.ClassificationReview.filter(loan_id=warning.loan_id).count() == 1  # type: ignore[attr-defined]
    # a later scan over the same facts does not lower the severity
    summary = await scan_firms([firm.id], as_of=AS_OF, now=NOW + dt.timedelta(days=4), rules=rules)
    assert summary.escalated == 0
    assert (await models.Warning.get(id=warning.id)).severity == "red"


_FACTS = st.lists(
    st.tuples(
        st.sampled_from([None, 0, 5, 31, 65, 120]),
        st.sampled_from([None, 0, 1, 2, 7]),
        st.sampled_from(["B01", "B02"]),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    facts=_FACTS,
    plan=st.lists(st.tuples(st.booleans(), st.integers(0, 31)), min_size=1, max_size=4),
)
async def test_any_sequence_of_scans_gives_the_same_open_warnings(
    db: Any,
    make_firm: MakeFirm,
    rules: dict[str, Any],
    facts: list[Any],
    plan: list[tuple[bool, int]],
) -> None:
    for model in (
        models.WarningEvent,
        models.ClassificationReview,
        models.Warning,
        models.IndexSnapshot,
        models.WarningScanRun,
        models.BureauSummary,
        models.Loan,
        models.Firm,
    ):
        await model.all().delete()
    firms = [await make_firm(dpd=d, overdues=o, branch=b) for d, o, b in facts]
    ids = [f.id for f in firms]
    for portfolio, mask in plan:
        if portfolio:
            await scan_portfolio(as_of=AS_OF, now=NOW, rules=rules, batch_size=2, escalate=False)
        else:
            await scan_firms(
                [i for k, i in enumerate(ids) if mask >> k & 1], as_of=AS_OF, now=NOW, rules=rules
            )
    await scan_firms(ids, as_of=AS_OF, now=NOW, rules=rules)
    after_sequence = await _active()
    await models.Warning.all().delete()
    await scan_firms(ids, as_of=AS_OF, now=NOW, rules=rules)
    assert await _active() == after_sequence
    keys = [(f, r, ln) for f, r, ln, _, _ in after_sequence]
    assert len(keys) == len(set(keys))
