"""Dated distress before defaults, silent defaults, false alarms; the past left alone."""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

from smecredit_source_synthetic.distress import (
    FALSE_ALARM_SHARE,
    LEAD_DAYS,
    SILENT_DEFAULT_SHARE,
    add_distress_signals,
)
from smecredit_source_synthetic.generator import DEFAULT_DPD, generate_portfolio

OBS = dt.date(2025, 6, 30)
AS_OF = dt.date(2026, 6, 30)
DEFAULT_FROM = dt.date(2026, 1, 15)  # first unpaid instalment: default on 2026-04-15
DEFAULT_DAY = DEFAULT_FROM + dt.timedelta(days=DEFAULT_DPD)


def _firm() -> list[tuple[str, dict[str, Any]]]:
    stamp = {"source": "synthetic", "fetched_at": "2026-07-01T01:00:00+08:00"}
    records: list[tuple[str, dict[str, Any]]] = [
        ("firm", {"uscc": "91330106MA2XXXXXXX", "region_code": "330106", **stamp})
    ]
    for k in range(24):
        month = (2024 * 12 + 6 + k) % 12 + 1, (2024 * 12 + 6 + k) // 12
        records.append(
            (
                "tax_record",
                {
                    "firm_uscc": "x",
                    "month": f"{month[1]:04d}-{month[0]:02d}",
                    "taxable_sales": "100000.00",
                    "tax_paid": "3000.00",
                    "arrears": "0.00",
                    **stamp,
                },
            )
        )
    for report in ("2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31", "2026-06-30"):
        records.append(
            (
                "bureau_summary",
                {
                    "firm_uscc": "x",
                    "report_date": report,
                    "overdue_count": 0,
                    "overdue_amount": "0.00",
                    "debt_other_lenders": "500000.00",
                    **stamp,
                },
            )
        )
    return records


def _signals(snapshot: list[Any], records: list[Any]) -> list[tuple[str, dt.date]]:
    """(kind, date) of every record the signals changed or added (this firm has no suits
    or overdues to thin, so the original records keep their places)."""
    touched = [new for old, new in zip(snapshot, records, strict=False) if old != new]
    out = []
    for kind, record in [*touched, *records[len(snapshot) :]]:
        date = record.get("case_date") or record.get("event_date") or record.get("report_date")
        if kind == "tax_record":
            date = record["month"] + "-28"
        out.append((kind, dt.date.fromisoformat(date)))
    return out


def test_defaulters_show_dated_signals_before_the_default_and_some_show_none() -> None:
    silent = 0
    for seed in range(400):
        records = _firm()
        snapshot = copy.deepcopy(records)
        add_distress_signals(
            records,
            random.Random(seed),
            defaulted=True,
            default_from=DEFAULT_FROM,
            observation=OBS,
            as_of=AS_OF,
            default_dpd=DEFAULT_DPD,
        )
        changed = _signals(snapshot, records)
        if not changed:
            silent += 1
            continue
        first = min(day for _, day in changed)
        lead = (DEFAULT_DAY - first).days
        assert LEAD_DAYS[0] - 31 <= lead <= LEAD_DAYS[1] + 31, (seed, changed)
        assert all(day > OBS for _, day in changed)
    assert abs(silent / 400 - SILENT_DEFAULT_SHARE) < 0.1


def test_healthy_firms_have_a_few_false_alarms_and_nothing_before_observation_moves() -> None:
    scared = 0
    for seed in range(600):
        records = _firm()
        snapshot = copy.deepcopy(records)
        add_distress_signals(
            records,
            random.Random(seed),
            defaulted=False,
            default_from=None,
            observation=OBS,
            as_of=AS_OF,
            default_dpd=DEFAULT_DPD,
        )
        if records != snapshot:
            scared += 1
        for (kind, old), (_, new) in zip(snapshot, records, strict=False):
            day = old.get("report_date") or (old.get("month", "") + "-28")
            if kind != "firm" and day[:10] <= OBS.isoformat():
                assert old == new
    assert 0.03 < scared / 600 < FALSE_ALARM_SHARE + 0.05


def test_the_portfolio_still_streams_the_same_records_for_the_same_seed() -> None:
    first = list(generate_portfolio(15, seed=3))
    assert first == list(generate_portfolio(15, seed=3))
    assert all(r["case_date"] <= "2026-06-30" for k, r in first if k == "legal_case")
