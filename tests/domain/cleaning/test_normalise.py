"""normalise_record: conversions on whole records, idempotence, agreement with the schemas."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smecredit.domain.cleaning import (
    CONVERTED_UNIT,
    FIELDS,
    KINDS,
    UnknownKindError,
    normalise_record,
)
from smecredit.domain.identity import USCC_ALPHABET, id_number_check_char, uscc_check_char

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schema" / "records"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FULL_WIDTH = {ch: chr(ord(ch) + 0xFEE0) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

usccs = st.text(USCC_ALPHABET, min_size=17, max_size=17).map(
    lambda body: body + uscc_check_char(body)
)
id_numbers = st.builds(
    lambda born, seq: (body := f"110105{born:%Y%m%d}{seq:03d}") + id_number_check_char(body),
    st.dates(dt.date(1950, 1, 1), dt.date(2005, 12, 31)),
    st.integers(0, 999),
)
phones = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(0, 10**9 - 1),
)
dates = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
cents = st.integers(0, 10**13).map(lambda c: Decimal(c) / 100)
names = st.text("北京上海测试科技贸易有限公司(集团)ABC", min_size=2, max_size=20).map(
    lambda s: " ".join(s.split())
)
names = names.filter(lambda s: s.strip() != "" and s.casefold() not in {"na", "nan"})


def _full_width(text: str) -> str:
    return "".join(FULL_WIDTH.get(ch, ch) for ch in text)


@st.composite
def messy_dates(draw: st.DrawFn, day: dt.date) -> object:
    style = draw(st.integers(0, 7))
    return [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}-{day.month}-{day.day}",
        day,
        dt.datetime(day.year, day.month, day.day, 9, 30),
        (day - dt.date(1899, 12, 30)).days,  # Excel serial
    ][style]


@st.composite
def messy_amounts(draw: st.DrawFn, amount: Decimal) -> object:
    style = draw(st.integers(0, 4))
    if style == 0:
        return f"{amount:,.2f}"
    if style == 1:
        return f"{amount / 10000:f}万元"
    if style == 2:
        return f" ¥{amount:f} "
    if style == 3 and Decimal(str(float(amount))) == amount:
        return float(amount)
    return f"{amount:f}"


@st.composite
def clean_and_messy_firm(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    uscc, name = draw(usccs), draw(names)
    founded, capital = draw(dates), draw(cents)
    employees = draw(st.integers(0, 5000))
    status, status_raw = draw(
        st.sampled_from(
            [
                ("active", "存续"),
                ("abnormal", "经营异常"),
                ("revoked", "吊销"),
                ("deregistered", "DeRegistered"),
            ]
        )
    )
    rep_id, rep_phone = draw(id_numbers), draw(phones)
    clean = {
        "uscc": uscc,
        "name": name,
        "industry_code": "C13",
        "region_code": "110105",
        "established_on": founded.isoformat(),
        "registered_capital": f"{capital:.2f}",
        "employees": employees,
        "status": status,
        "branch_code": "BJ01",
        "representative": {"name": "张三", "id_number": rep_id, "phone": rep_phone},
        "source": "files",
        "fetched_at": "2024-05-01T10:00:00+08:00",
    }
    messy = {
        "uscc": draw(
            st.sampled_from([uscc.lower(), f" {uscc[:6]}-{uscc[6:]} ", _full_width(uscc)])
        ),
        "name": draw(st.sampled_from([f"  {name} ", name.replace("(", "（").replace(")", "）")])),
        "industry_code": draw(st.sampled_from(["c13", "C1310", "13", "Ｃ１３"])),
        "region_code": draw(st.sampled_from([110105, " 110105", "１１０１０５"])),
        "established_on": draw(messy_dates(founded)),
        "registered_capital": draw(messy_amounts(capital)),
        "employees": draw(
            st.sampled_from([employees, f"{employees}人", f"{employees:,}", float(employees)])
        ),
        "status": status_raw,
        "branch_code": "bj01",
        "representative": {
            "name": " 张三 ",
            "id_number": draw(st.sampled_from([rep_id.lower(), f" {rep_id} "])),
            "phone": draw(
                st.sampled_from(
                    [rep_phone, f"+86 {rep_phone[:3]}-{rep_phone[3:7]}-{rep_phone[7:]}"]
                )
            ),
        },
        "source": " files",
        "fetched_at": "2024-05-01 10:00:00+08:00",
    }
    return clean, messy


@SETTINGS
@given(clean_and_messy_firm())
def test_messy_firm_cleans_to_the_canonical_record(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    clean, messy = pair
    result = normalise_record("firm", messy)
    assert result.record == clean
    assert result.ok, result.issues


@SETTINGS
@given(clean_and_messy_firm())
def test_cleaning_twice_changes_nothing(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, messy = pair
    first = normalise_record("firm", messy)
    second = normalise_record("firm", first.record)
    assert second.record == first.record
    assert [i for i in first.issues if i.code != CONVERTED_UNIT] == second.issues
    assert all(issue.code != CONVERTED_UNIT for issue in second.issues)


junk_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        ["NULL", "-", "N/A", "12.5万", "(1,234)", "2024年3月5日", "存续", "4.35%", "c13", "2024/3"]
    ),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.booleans(),
)


@st.composite
def junk_records(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(KINDS))
    fields = [
        name for name, spec in FIELDS[kind].items() if spec.type not in {"object", "extensions"}
    ]
    chosen = draw(st.lists(st.sampled_from(fields), unique=True))
    return kind, {name: draw(junk_values) for name in chosen}


@settings(max_examples=300, deadline=None)
@given(junk_records())
def test_cleaning_arbitrary_junk_is_idempotent(kind_and_record: tuple[str, dict[str, Any]]) -> None:
    kind, record = kind_and_record
    first = normalise_record(kind, record)
    second = normalise_record(kind, first.record)
    assert second.record == first.record
    assert all(issue.code != CONVERTED_UNIT for issue in second.issues)
    assert {i.code for i in second.issues} <= {i.code for i in first.issues}


def test_input_is_not_mutated() -> None:
    record = {"uscc": " 91110105ma01abcdeb ", "representative": {"name": " 张三 "}}
    snapshot = json.dumps(record)
    normalise_record("firm", record)
    assert json.dumps(record) == snapshot


def test_invalid_uscc_is_kept_with_bad_code() -> None:
    result = normalise_record("firm", {"uscc": " 91110105MA01ABCDE0 "})
    assert result.record["uscc"] == "91110105MA01ABCDE0"
    (issue,) = [i for i in result.issues if i.field == "uscc"]
    assert issue.code == "BAD_CODE"
    assert "check character" in issue.message


def test_missing_and_null_required_values() -> None:
    result = normalise_record("tax_record", {"firm_uscc": "N/A", "month": "2024/3", "arrears": ""})
    missing = {i.field for i in result.issues if i.code == "MISSING_VALUE"}
    # keys and provenance quarantine; the tax figures are kept missing (no issue at all)
    assert missing == {"firm_uscc", "source", "fetched_at"}
    assert result.record["arrears"] is None
    assert not {"arrears", "taxable_sales", "tax_paid"} & {i.field for i in result.issues}
    assert result.record["firm_uscc"] is None
    assert result.record["month"] == "2024-03"
    assert not result.ok


def test_nullable_paid_date_is_not_missing() -> None:
    result = normalise_record("repayment_history", {"paid_date": "-", "due_date": "2024/3/5"})
    assert result.record["paid_date"] is None
    assert "paid_date" not in {i.field for i in result.issues}


@pytest.mark.parametrize(
    ("kind", "field", "raw", "expected"),
    [
        ("firm", "status", "在业", "active"),
        ("firm", "status", "注销", "deregistered"),
        ("firm", "status", "吊销，未注销", "revoked"),
        ("firm", "status", " ACTIVE ", "active"),
        ("financial_statement", "period_type", "年报", "annual"),
        ("loan", "repayment_method", "Equal Installment", "equal_instalment"),
        ("loan", "guarantee_type", "抵押", "mortgage"),
        ("loan", "status", "已结清", "closed"),
        ("legal_case", "kind", "被执行人", "enforcement"),
        ("person", "role", "法定代表人", "legal_representative"),
        ("registry_event", "kind", "列入经营异常名录", "abnormal_listing"),
    ],
)
def test_enum_synonyms(kind: str, field: str, raw: str, expected: str) -> None:
    assert normalise_record(kind, {field: raw}).record[field] == expected


def test_unknown_enum_value_is_kept_and_reported() -> None:
    result = normalise_record("firm", {"status": "歇业"})
    assert result.record["status"] == "歇业"
    assert [i.code for i in result.issues if i.field == "status"] == ["BAD_CODE"]


def test_term_months_bounds() -> None:
    result = normalise_record("loan", {"term_months": "400"})
    assert result.record["term_months"] == 400
    assert [i.code for i in result.issues if i.field == "term_months"] == ["OUT_OF_RANGE"]


def test_unknown_kind() -> None:
    with pytest.raises(UnknownKindError) as caught:
        normalise_record("spaceship", {})
    assert caught.value.code == "UNKNOWN_KIND"


@pytest.mark.skipif(not SCHEMA_DIR.is_dir(), reason="record schemas not present")
@pytest.mark.parametrize("kind", KINDS)
def test_field_specs_match_the_record_schemas(kind: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    specs = FIELDS[kind]
    assert set(specs) == set(schema["properties"])
    assert {name for name, spec in specs.items() if spec.required} == set(schema["required"])
    for name, prop in schema["properties"].items():
        if "enum" in prop:
            assert set(specs[name].choices) == set(prop["enum"]), name


@pytest.mark.skipif(not SCHEMA_DIR.is_dir(), reason="record schemas not present")
@SETTINGS
@given(clean_and_messy_firm())
def test_cleaned_firm_satisfies_the_schema(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    schema = json.loads((SCHEMA_DIR / "firm.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(normalise_record("firm", pair[1]).record, schema)
