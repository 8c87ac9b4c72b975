"""The compliance and decision-feedback settings: parsed, defaulted, refused by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smecredit.settings import DEFAULT_COMPLIANCE_KEY_MAX_AGE, SettingsError, load_settings


def test_defaults_leave_the_schedules_off() -> None:
    settings = load_settings({})
    assert settings.compliance_schedule is None and settings.decision_feedback_at is None
    assert settings.bank_capital is None
    assert settings.compliance_key_max_age == DEFAULT_COMPLIANCE_KEY_MAX_AGE
    assert settings.decision_feedback_bounds == ""


def test_values_are_parsed() -> None:
    settings = load_settings(
        {
            "SMECREDIT_COMPLIANCE_SCHEDULE": "02:30+08:00",
            "SMECREDIT_BANK_CAPITAL": "2_000_000_000",
            "SMECREDIT_COMPLIANCE_KEY_MAX_AGE": "90d",
            "SMECREDIT_DECISION_FEEDBACK_BOUNDS": "min_sample=10,override_rate_max=0.3",
        }
    )
    assert settings.compliance_schedule == dt.time(2, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert settings.bank_capital == Decimal("2000000000")
    assert settings.compliance_key_max_age == dt.timedelta(days=90)
    assert settings.decision_feedback_bounds == "min_sample=10,override_rate_max=0.3"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMECREDIT_COMPLIANCE_SCHEDULE", "25:00"),
        ("SMECREDIT_BANK_CAPITAL", "lots"),
        ("SMECREDIT_BANK_CAPITAL", "-5"),
        ("SMECREDIT_COMPLIANCE_KEY_MAX_AGE", "1h"),
        ("SMECREDIT_DECISION_FEEDBACK_AT", "noon"),
        ("SMECREDIT_DECISION_FEEDBACK_BOUNDS", "override_rate=0.2"),
        ("SMECREDIT_DECISION_FEEDBACK_BOUNDS", "min_sample=0"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
