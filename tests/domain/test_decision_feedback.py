"""Feedback on decisions: rates against bounds, minimum samples, early defaults, appeals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.decision_feedback import (
    BOOK,
    Decision,
    FeedbackBounds,
    findings,
    months_after,
    parse_bounds,
)

BOUNDS = FeedbackBounds(min_sample=4)
D0 = dt.date(2026, 1, 10)


def _decisions(approver: str, n: int, **kw: object) -> list[Decision]:
    return [Decision(application_id=1000 + i, approver=approver, **kw) for i in range(n)]  # type: ignore[arg-type]


def test_an_approver_overriding_too_often_is_found_with_the_decisions() -> None:
    rows = [
        Decision(1, "wang", "C", True, overridden=True),
        Decision(2, "wang", "C", True, overridden=True),
        Decision(3, "wang", "C", True),
        Decision(4, "wang", "C", True),
        *[Decision(10 + i, "li", "C", True) for i in range(4)],
    ]
    found = [f for f in findings(rows, BOUNDS) if f.kind == "override_rate"]
    assert [(f.subject, f.value, f.sample, f.application_ids) for f in found] == [
        ("wang", 0.5, 4, (1, 2))
    ]


def test_too_small_a_sample_is_not_judged() -> None:
    rows = [Decision(i, "wang", "C", True, overridden=True) for i in range(3)]
    assert findings(rows, BOUNDS) == []


def test_the_approval_rate_of_a_risky_grade_is_per_approver_and_grade() -> None:
    rows = [Decision(i, "zhao", "F", i < 3) for i in range(4)]  # 3 of 4 approved
    rows += [Decision(10 + i, "zhao", "B", True) for i in range(4)]  # B is not watched
    found = [f for f in findings(rows, BOUNDS) if f.kind == "approval_rate_grade"]
    assert [(f.subject, f.value, f.application_ids) for f in found] == [("zhao/F", 0.75, (0, 1, 2))]


def test_early_defaults_count_90_dpd_within_the_months_after_disbursement() -> None:
    early = D0 + dt.timedelta(days=100)
    late = months_after(D0, 7)
    rows = [
        Decision(1, "qian", "C", True, disbursed_on=D0, first_default_on=early),
        Decision(2, "qian", "C", True, disbursed_on=D0, first_default_on=late),
        Decision(3, "qian", "C", True, disbursed_on=D0),
        Decision(4, "qian", "C", True, disbursed_on=D0),
        Decision(5, "qian", "C", False),  # rejected: not an approval
    ]
    found = [f for f in findings(rows, BOUNDS) if f.kind == "early_default"]
    assert [(f.subject, f.value, f.sample, f.application_ids) for f in found] == [
        ("qian", 0.25, 4, (1,))
    ]


def test_appeals_upheld_often_are_a_finding_about_the_book() -> None:
    rows = [Decision(i, f"a{i}", "C", i % 2 == 0, appealed=True) for i in range(6)]
    rows.append(Decision(99, "a1", "C", True))  # not appealed
    found = [f for f in findings(rows, FeedbackBounds(min_sample=4, appeal_upheld_rate_max=0.4))]
    appeal = [f for f in found if f.kind == "appeal_upheld"]
    assert [(f.subject, f.value, f.application_ids) for f in appeal] == [(BOOK, 0.5, (0, 2, 4))]


def test_a_rate_at_the_bound_is_not_beyond_it() -> None:
    rows = [Decision(i, "sun", "C", True, overridden=i < 1) for i in range(5)]  # 20%
    assert [f for f in findings(rows, BOUNDS) if f.kind == "override_rate"] == []


@given(
    st.lists(
        st.builds(
            Decision,
            application_id=st.integers(1, 10_000),
            approver=st.sampled_from(["a", "b", "c"]),
            grade=st.sampled_from(["A", "C", "E", "F", "G", None]),
            approved=st.booleans(),
            overridden=st.booleans(),
            appealed=st.booleans(),
        ),
        max_size=60,
    ),
    st.integers(1, 30),
)
def test_every_finding_exceeds_its_bound_on_enough_decisions(
    rows: list[Decision], min_sample: int
) -> None:
    bounds = FeedbackBounds(min_sample=min_sample)
    ids = {d.application_id for d in rows}
    for f in findings(rows, bounds):
        assert f.value > f.bound
        assert f.sample >= min_sample
        assert 0 < f.value <= 1
        assert set(f.application_ids) <= ids
        assert len(f.application_ids) == round(f.value * f.sample)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)), st.integers(0, 36))
def test_months_after_moves_whole_months(day: dt.date, months: int) -> None:
    later = months_after(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day <= day.day


def test_bounds_parse_over_the_defaults_and_refuse_nonsense() -> None:
    bounds = parse_bounds("override_rate_max=0.3, min_sample=5, risky_grades=F|g")
    assert bounds.override_rate_max == 0.3
    assert bounds.min_sample == 5
    assert bounds.risky_grades == ("F", "G")
    assert bounds.approval_rate_max == FeedbackBounds().approval_rate_max
    assert parse_bounds("") == FeedbackBounds()
    for bad in ("nope=1", "override_rate_max", "min_sample=x", "override_rate_max=2"):
        with pytest.raises(ValueError):
            parse_bounds(bad)
