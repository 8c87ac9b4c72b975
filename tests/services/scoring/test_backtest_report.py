"""The PD back-test report: grades in scale order, realised defaults, window, checks."""

from __future__ import annotations

import datetime as dt

import pytest
from backtest_seed import AS_OF, seed_backtest

from smecredit.errors import InvalidInput, NotFound
from smecredit.services.scoring import monitoring

pytestmark = pytest.mark.anyio


async def test_predicted_against_realised_by_grade(db: object) -> None:
    version = await seed_backtest()
    report = await monitoring.backtest_report(version.id, AS_OF, today=dt.date(2026, 6, 1))
    assert [g.grade for g in report.grades] == ["LOW", "HIGH"]  # scale order, not A-Z
    low, high = report.grades
    assert (low.count, low.defaults, high.count, high.defaults) == (10, 1, 10, 4)
    assert low.predicted_pd == pytest.approx(0.01) and low.observed_rate == pytest.approx(0.1)
    assert high.predicted_pd == pytest.approx(0.2) and high.observed_rate == pytest.approx(0.4)
    # one default in ten at a 1% PD: P(X >= 1) = 1 - 0.99^10
    assert low.p_value_underestimated == pytest.approx(1 - 0.99**10)
    assert (report.count, report.defaults) == (20, 5)
    assert report.expected_defaults == pytest.approx(10 * 0.01 + 10 * 0.2)
    assert report.window_end == dt.date(2026, 1, 31) and report.complete

    early = await monitoring.backtest_report(version.id, AS_OF, today=dt.date(2025, 12, 1))
    assert not early.complete
    # a four-month window ends before the late instalments fall due (2025-06-30)
    short = await monitoring.backtest_report(version.id, AS_OF, horizon_months=4)
    assert short.defaults == 0 and short.window_end == dt.date(2025, 5, 31)
    # a 180-day threshold: none of the 120-DPD instalments counts
    strict = await monitoring.backtest_report(version.id, AS_OF, dpd_threshold=180)
    assert strict.defaults == 0


async def test_bad_arguments_are_named(db: object) -> None:
    version = await seed_backtest()
    with pytest.raises(InvalidInput, match="horizon_months must lie between 1 and 60"):
        await monitoring.backtest_report(version.id, AS_OF, horizon_months=0)
    with pytest.raises(InvalidInput, match="dpd_threshold must be at least 1"):
        await monitoring.backtest_report(version.id, AS_OF, dpd_threshold=0)
    with pytest.raises(InvalidInput, match="scored no firm on or before 2024-12-31"):
        await monitoring.backtest_report(version.id, dt.date(2024, 12, 31))
    with pytest.raises(NotFound):
        await monitoring.backtest_report(version.id + 1, AS_OF)
