"""Point-in-time feature engineering: catalogue, values, no look-ahead, labels."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.features import (
    CATEGORICAL_FEATURES,
    FEATURE_CODES,
    FEATURES,
    add_months,
    compute_features,
    default_events,
    default_label,
    feature,
    features_markdown,
    in_default,
    in_population,
)

AS_OF = dt.date(2025, 6, 30)

FIRM = {
    "industry_code": "C13",
    "region_code": "320102",
    "established_on": "2015-06-30",
    "registered_capital": "1000000.00",
    "employees": 12,
}


def _evidence() -> dict[str, list[dict[str, Any]]]:
    return {
        "financial_statement": [
            {
                "period_end": "2023-12-31",
                "period_type": "annual",
                "revenue": "1000000.00",
                "net_profit": "50000.00",
                "total_assets": "800000.00",
                "total_liabilities": "400000.00",
                "current_assets": "300000.00",
                "current_liabilities": "200000.00",
            },
            {
                "period_end": "2024-12-31",
                "period_type": "annual",
                "revenue": "1200000.00",
                "net_profit": "60000.00",
                "total_assets": "1000000.00",
                "total_liabilities": "600000.00",
                "current_assets": "500000.00",
                "current_liabilities": "250000.00",
            },
        ],
        "tax_record": [
            {
                "month": f"{2024 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}",
                "taxable_sales": str(1000 * m),
                "arrears": "0",
            }
            for m in range(1, 19)
        ],
        "registry_event": [
            {"event_date": "2024-01-05", "kind": "legal_rep_change"},
            {"event_date": "2025-03-01", "kind": "abnormal_listing"},
        ],
        "legal_case": [
            {"case_date": "2024-08-01", "kind": "lawsuit_defendant", "amount": "9999.00"},
            {"case_date": "2022-01-01", "kind": "administrative_penalty", "amount": "500.00"},
        ],
        "bureau_summary": [
            {
                "report_date": "2024-12-31",
                "debt_other_lenders": "100.00",
                "overdue_count": 1,
                "overdue_amount": "0",
                "inquiries_6m": 3,
                "open_credit_lines": 2,
            },
            {
                "report_date": "2025-03-31",
                "debt_other_lenders": "200.00",
                "overdue_count": 2,
                "overdue_amount": "50",
                "inquiries_6m": 1,
                "open_credit_lines": 4,
            },
        ],
        "repayment_history": [
            {"due_date": "2025-01-10", "paid_date": "2025-01-10", "days_past_due": 0},
            {"due_date": "2025-02-10", "paid_date": "2025-02-25", "days_past_due": 15},
            # paid after the as-of date: counted as open on it, 20 days late on 2025-06-30
            {"due_date": "2025-06-10", "paid_date": "2025-08-01", "days_past_due": 52},
        ],
    }


def test_catalogue_is_complete_and_unique() -> None:
    assert len(FEATURE_CODES) == len(set(FEATURE_CODES)) == len(FEATURES)
    for f in FEATURES:
        assert f.name_en and f.name_zh and f.description
        assert feature(f.code) is f
    assert set(CATEGORICAL_FEATURES) == {"industry_section", "province"}
    table = features_markdown()
    assert all(f"`{code}`" in table for code in FEATURE_CODES)


def test_values_of_a_known_profile() -> None:
    row = compute_features(FIRM, _evidence(), AS_OF)
    assert set(row) == set(FEATURE_CODES)
    assert row["industry_section"] == "C" and row["province"] == "32"
    assert row["firm_age_years"] == pytest.approx(10.0, abs=0.01)
    assert row["debt_to_asset"] == pytest.approx(0.6)
    assert row["current_ratio"] == pytest.approx(2.0)
    assert row["net_margin"] == pytest.approx(0.05)
    assert row["roa"] == pytest.approx(0.06)
    assert row["revenue_growth"] == pytest.approx(0.2)
    assert row["log_revenue"] == pytest.approx(math.log1p(1_200_000))
    # tax: June 2025 (month 18) is complete on 30 June; last 6 = months 13..18
    recent, older = sum(range(13, 19)) * 1000, sum(range(1, 7)) * 1000
    assert row["tax_sales_yoy"] == pytest.approx(math.log((recent + 1) / (older + 1)))
    assert row["tax_sales_trend"] is not None and row["tax_sales_trend"] > 0
    assert row["abnormal_listings"] == 1.0
    assert row["legal_rep_changes_24m"] == 1.0
    assert row["lawsuits"] == 1.0 and row["penalties"] == 1.0
    assert row["days_since_lawsuit"] == float((AS_OF - dt.date(2024, 8, 1)).days)
    assert row["bureau_overdues"] == 3.0 and row["bureau_inquiries_6m"] == 3.0
    assert row["open_credit_lines"] == 4.0
    assert row["max_dpd"] == 20.0
    assert row["late_instalments"] == 2.0
    assert row["instalments_due"] == 3.0


def test_tax_month_is_unknown_until_it_ends() -> None:
    evidence = {"tax_record": [{"month": "2025-06", "taxable_sales": "10", "arrears": "5"}]}
    mid_month = compute_features(FIRM, evidence, dt.date(2025, 6, 15))
    end_month = compute_features(FIRM, evidence, dt.date(2025, 6, 30))
    assert mid_month["tax_arrears_months_12m"] is None
    assert end_month["tax_arrears_months_12m"] == 1.0


def test_no_evidence_gives_missing_not_errors() -> None:
    row = compute_features({}, {}, AS_OF)
    assert row["debt_to_asset"] is None and row["industry_section"] is None
    assert row["lawsuits"] == 0.0 and row["max_dpd"] == 0.0


_after = st.dates(min_value=AS_OF + dt.timedelta(days=1), max_value=dt.date(2030, 12, 31))
_amount = st.decimals(min_value=0, max_value=10**8, places=2).map(str)


@st.composite
def _future_record(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(
        st.sampled_from(
            [
                "financial_statement",
                "tax_record",
                "registry_event",
                "legal_case",
                "bureau_summary",
                "repayment_history",
            ]
        )
    )
    day = draw(_after)
    if kind == "financial_statement":
        return kind, {
            "period_end": day,
            "period_type": draw(st.sampled_from(["annual", "quarterly"])),
            "revenue": draw(_amount),
            "net_profit": draw(_amount),
            "total_assets": draw(_amount),
            "total_liabilities": draw(_amount),
            "current_assets": draw(_amount),
            "current_liabilities": draw(_amount),
        }
    if kind == "tax_record":
        month = add_months(AS_OF, draw(st.integers(1, 60)))
        return kind, {
            "month": f"{month:%Y-%m}",
            "taxable_sales": draw(_amount),
            "arrears": draw(_amount),
        }
    if kind == "registry_event":
        return kind, {
            "event_date": day,
            "kind": draw(st.sampled_from(["abnormal_listing", "legal_rep_change", "change"])),
        }
    if kind == "legal_case":
        return kind, {
            "case_date": day,
            "kind": draw(
                st.sampled_from(["lawsuit_defendant", "enforcement", "administrative_penalty"])
            ),
            "amount": draw(_amount),
        }
    if kind == "bureau_summary":
        return kind, {
            "report_date": day,
            "debt_other_lenders": draw(_amount),
            "overdue_count": draw(st.integers(0, 50)),
            "overdue_amount": draw(_amount),
            "inquiries_6m": draw(st.integers(0, 50)),
            "open_credit_lines": draw(st.integers(0, 9)),
        }
    paid = draw(st.one_of(st.none(), st.dates(min_value=day, max_value=dt.date(2031, 12, 31))))
    return kind, {"due_date": day, "paid_date": paid, "days_past_due": draw(st.integers(0, 400))}


@settings(max_examples=150, deadline=None)
@given(st.lists(_future_record(), min_size=1, max_size=12))
def test_future_evidence_never_changes_a_feature(extra: list[tuple[str, dict[str, Any]]]) -> None:
    base = _evidence()
    before = compute_features(FIRM, base, AS_OF)
    augmented = {k: list(v) for k, v in base.items()}
    for kind, record in extra:
        augmented.setdefault(kind, []).append(record)
    assert compute_features(FIRM, augmented, AS_OF) == before


def test_population_and_default_label() -> None:
    loans = [{"disbursed_on": "2025-01-01", "maturity_on": "2026-01-01", "status": "active"}]
    assert in_population(loans, AS_OF)
    assert not in_population(loans, dt.date(2026, 1, 1))
    late = [{"due_date": "2025-09-10", "paid_date": None, "days_past_due": 95}]
    assert default_label(late, loans, AS_OF)
    # it reaches 90 days past due on 2025-12-09: outside the window of 2024-06-30
    assert not default_label(late, loans, dt.date(2024, 6, 30))
    # 20 days late on 2025-09-30, 90 on 2025-12-09: a default of that window
    assert default_label(late, loans, dt.date(2025, 9, 30))
    # on 2025-12-31 it is already in default: not this window's, and out of the population
    assert not default_label(late, loans, dt.date(2025, 12, 31))
    assert not in_population(loans, dt.date(2025, 12, 31), late)
    assert in_population(loans, dt.date(2025, 12, 31))  # loans only: still holds one
    paid_late = [{"due_date": "2025-09-10", "paid_date": "2025-12-20", "days_past_due": 0}]
    assert default_label(paid_late, loans, AS_OF)
    assert not default_label(paid_late, loans, AS_OF, dpd_threshold=120)
    open_now = [{"due_date": "2025-09-10", "paid_date": None, "days_past_due": 10}]
    assert not default_label(open_now, loans, AS_OF)
    assert default_label(open_now, loans, AS_OF, observed_on=dt.date(2026, 1, 1))
    written_off = [{"status": "written_off", "closed_on": "2026-02-01"}]
    assert default_label([], written_off, AS_OF)
    assert not default_label([], written_off, AS_OF, horizon_months=6)


def test_in_default_knows_only_what_was_known_on_the_day() -> None:
    loans = [{"disbursed_on": "2025-01-01", "maturity_on": "2027-01-01", "status": "active"}]
    paid_later = [{"due_date": "2025-03-01", "paid_date": "2025-08-01", "days_past_due": 0}]
    # 92 days late on 2025-06-01 and unpaid then: in default, whatever was paid afterwards
    assert in_default(paid_later, loans, dt.date(2025, 6, 1))
    assert not in_default(paid_later, loans, dt.date(2025, 5, 29))  # 89 days
    assert not in_default(paid_later, loans, dt.date(2025, 8, 1))  # cured on the day
    written_off = [{**loans[0], "status": "written_off", "closed_on": "2025-07-01"}]
    assert in_default([], written_off, dt.date(2025, 7, 1))
    assert not in_default([], written_off, dt.date(2025, 6, 30))


def test_default_events_date_the_day_the_threshold_is_reached() -> None:
    records = [
        {"due_date": "2025-01-10", "paid_date": "2025-05-01", "days_past_due": 0},  # 111 days
        {"due_date": "2025-02-10", "paid_date": "2025-03-01", "days_past_due": 0},  # 19 days
        {"due_date": "2025-03-10", "paid_date": None, "days_past_due": 100},  # recorded
        {"due_date": "2025-04-10", "paid_date": None, "days_past_due": 5},
    ]
    assert default_events(records, []) == [dt.date(2025, 4, 10), dt.date(2025, 6, 8)]
    # read on 2025-09-01, the last one is 144 days late too
    assert default_events(records, [], observed_on=dt.date(2025, 9, 1))[-1] == dt.date(2025, 7, 9)
    assert default_events([], [{"status": "written_off", "closed_on": None}]) == [None]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31)),
            st.one_of(st.none(), st.integers(0, 400)),
        ),
        max_size=12,
    ),
    st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
)
def test_a_firm_in_the_population_defaults_only_after_the_observation_date(
    instalments: list[tuple[dt.date, int | None]], as_of: dt.date
) -> None:
    """Point in time: a firm in the population had no default on or before ``as_of``
    that was still open then, and its label never depends on evidence due after the window."""
    loans = [{"disbursed_on": "2022-12-01", "maturity_on": "2029-01-01", "status": "active"}]
    records = [
        {
            "due_date": due,
            "paid_date": None if late is None else due + dt.timedelta(days=late),
            "days_past_due": 0,
        }
        for due, late in instalments
    ]
    if in_population(loans, as_of, records):
        for r in records:
            unpaid_then = r["paid_date"] is None or r["paid_date"] > as_of
            assert not (unpaid_then and (as_of - r["due_date"]).days >= 90)
    end = add_months(as_of, 12)
    within = [r for r in records if r["due_date"] + dt.timedelta(days=90) <= end]
    assert default_label(records, loans, as_of) == default_label(within, loans, as_of)


def test_docs_features_md_is_generated_from_the_catalogue() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    assert doc.read_text(encoding="utf-8") == features_markdown(), (
        "docs/features.md is stale: run `smecredit model features-doc --output docs/features.md`"
    )
