"""The built-in warning rules, back-tested on a generated book, foretell defaults.

A synthetic portfolio (whose defaulters show dated distress 1-6 months before they
default, with silent defaults and false alarms among healthy firms) is imported through
the real pipeline; the scans are replayed month end by month end over the outcome window,
and the back-test judges every warning against the defaults that followed. Seeded once for
the module; every test reads the same report.

Floors (chosen against a default rate of about 8%): at the 12-month horizon (the
back-test's default) the strongest rules are right at least 30% of the time and
orange-or-worse warnings 35%, every rule twice as often as chance; at 6 months
orange-or-worse and the strong rules still have a lift of 1.5 over the base rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from tortoise import Tortoise

from smecredit.db import tortoise_config

pytestmark = pytest.mark.anyio

N_FIRMS = 800
AS_OF = dt.date(2026, 6, 30)
OBSERVATION = dt.date(2025, 6, 30)
FLOOR = 0.3
#: orange-or-worse, higher: untimed signals alone (no distress before defaults) reach 0.30
ORANGE_FLOOR = 0.35
STRONG_RULES = ("DEBT_TO_ASSET", "LEGAL_ACTION", "ABNORMAL_OPERATION")


@pytest.fixture(scope="module")
async def reports(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[int, Any]]:
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from smecredit.plugins import load_plugins
    from smecredit.services.demo import seed_demo
    from smecredit.services.warnings.backtest import run_backtest
    from smecredit.services.warnings.replay import replay_scans

    path: Path = tmp_path_factory.mktemp("backtest") / "book.sqlite3"
    settings = make_settings(f"sqlite://{path}")
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas(safe=True)
    try:
        await seed_demo(n_firms=N_FIRMS, as_of=AS_OF, registry=load_plugins(settings))
        await replay_scans(OBSERVATION, AS_OF)
        out = {h: await run_backtest(horizon_days=h, observation_end=AS_OF) for h in (180, 365)}
        for horizon, report in out.items():
            print(f"horizon {horizon}")
            for code, r in {**report.by_rule, **report.by_severity}.items():
                print(f"  {code:20s} P {r.precision} R {r.recall} lead {r.median_lead_days}")
        yield out
    finally:
        await Tortoise.close_connections()


def _base_rate(report: Any) -> float:
    any_rule = next(iter(report.by_severity.values()))
    return float(any_rule.defaults / any_rule.firms)


async def test_orange_or_worse_and_the_strong_rules_beat_the_floor(
    reports: dict[int, Any],
) -> None:
    year = reports[365]
    assert year.by_severity["orange+"].precision >= ORANGE_FLOOR
    for code in STRONG_RULES:
        assert year.by_rule[code].precision >= FLOOR, code
    # every replayed rule is right at least twice as often as chance over 12 months
    base = _base_rate(year)
    for code, result in year.by_rule.items():
        assert result.precision is not None and result.precision >= 2 * base, code


async def test_six_months_ahead_warnings_still_lift_over_the_base_rate(
    reports: dict[int, Any],
) -> None:
    half = reports[180]
    base = _base_rate(half)
    assert 0.04 < base < 0.15
    assert half.by_severity["orange+"].precision >= 1.5 * base
    for code in STRONG_RULES:
        assert half.by_rule[code].precision >= 1.5 * base, code
    assert half.by_rule["BUREAU_OVERDUE"].precision > base


async def test_warnings_come_months_before_the_default_and_some_defaults_are_silent(
    reports: dict[int, Any],
) -> None:
    half = reports[180]
    for code in ("TAX_SALES_DROP", "LEGAL_ACTION", "BUREAU_OVERDUE"):
        lead = half.by_rule[code].median_lead_days
        assert lead is not None and 30 <= lead <= 180, code
    # every signal shows, but not for every default: recall stays well below one
    assert 0.3 <= half.by_severity["blue+"].recall <= 0.9


async def test_rules_on_current_balances_are_not_judged_on_replayed_dates(
    reports: dict[int, Any],
) -> None:
    assert "LOAN_DPD" not in reports[365].by_rule
