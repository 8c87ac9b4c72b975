"""Report parameters: parsing to the declared kind, defaults, refusals naming the parameter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.report_params import (
    ReportParamInvalid,
    ReportParamRequired,
    ReportParamUnknown,
    check_param_schema,
    parse_params,
)
from smecredit.sdk.reports import ReportParam

TODAY = dt.date(2026, 6, 30)


def p(name: str, kind: str, **kw: object) -> ReportParam:
    return ReportParam(name, kind, name, name, **kw)  # type: ignore[arg-type]


@given(st.dates())
def test_a_date_round_trips_through_iso_text(day: dt.date) -> None:
    assert parse_params([p("as_of", "date")], {"as_of": day.isoformat()}, today=TODAY) == {
        "as_of": day
    }


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(0, 100), st.integers(0, 100))
def test_an_int_is_accepted_exactly_within_its_bounds(value: int, low: int, span: int) -> None:
    param = p("n", "int", minimum=low, maximum=low + span)
    if low <= value <= low + span:
        assert parse_params([param], {"n": str(value)}, today=TODAY) == {"n": value}
    else:
        with pytest.raises(ReportParamInvalid) as caught:
            parse_params([param], {"n": str(value)}, today=TODAY)
        assert caught.value.params["param"] == "n"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_a_decimal_parses_to_the_same_decimal(value: Decimal) -> None:
    assert parse_params([p("lgd", "decimal")], {"lgd": str(value)}, today=TODAY)["lgd"] == value


@given(st.text(min_size=1, max_size=20).filter(lambda t: t.strip() not in {"a", "b"}))
def test_a_choice_outside_its_choices_is_refused(text: str) -> None:
    param = p("mode", "choice", choices=("a", "b"))
    if not text.strip():
        assert parse_params([param], {"mode": text}, today=TODAY) == {}
        return
    with pytest.raises(ReportParamInvalid, match="'mode'"):
        parse_params([param], {"mode": text}, today=TODAY)


def test_defaults_fill_in_and_today_is_the_business_date() -> None:
    schema = [
        p("as_of", "date", default="today"),
        p("top", "int", default=10),
        p("note", "text"),
        p("flag", "bool", default="false"),
    ]
    assert parse_params(schema, {}, today=TODAY) == {"as_of": TODAY, "top": 10, "flag": False}


def test_required_unknown_and_bad_values_are_coded_and_named() -> None:
    with pytest.raises(ReportParamRequired) as required:
        parse_params([p("branch", "branch", required=True)], {}, today=TODAY)
    assert required.value.code == "REPORT_PARAM_REQUIRED"
    with pytest.raises(ReportParamUnknown) as unknown:
        parse_params([], {"x": "1"}, today=TODAY)
    assert unknown.value.params == {"param": "x"}
    for kind, value in [("date", "30/06/2026"), ("bool", "perhaps"), ("branch", "a b")]:
        with pytest.raises(ReportParamInvalid, match="'v'"):
            parse_params([p("v", kind)], {"v": value}, today=TODAY)


def test_a_malformed_schema_is_described_parameter_by_parameter() -> None:
    problems = check_param_schema(
        (
            p("Bad Name", "text"),
            p("kind", "colour"),
            p("mode", "choice"),
            p("n", "int", minimum=5, maximum=1),
            p("d", "date", default="yesterday"),
            p("t", "text", minimum=1),
            p("t", "text"),
        )
    )
    assert len(problems) == 7, problems
    assert check_param_schema((p("as_of", "date", default="today"),)) == []
