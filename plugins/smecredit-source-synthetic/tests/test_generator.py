"""Shape, validity, determinism and streaming of the synthetic portfolio."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from smecredit_source_synthetic import catalog
from smecredit_source_synthetic.generator import (
    DEFAULT_AS_OF,
    generate_annotated,
    generate_portfolio,
    observation_date,
)
from smecredit_source_synthetic.identities import org_code_check_char

from smecredit.sdk import validate_id_number, validate_phone, validate_uscc

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMA_DIR = REPO_ROOT / "schema" / "records"
KINDS = (
    "firm",
    "person",
    "financial_statement",
    "tax_record",
    "registry_event",
    "legal_case",
    "bureau_summary",
    "loan",
    "repayment_history",
)


@cache
def _validator(kind: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _clean(n_firms: int, seed: int) -> tuple[tuple[str, dict[str, Any]], ...]:
    return tuple(generate_portfolio(n_firms, seed=seed))


def _dump(records: Any) -> str:
    return json.dumps(list(records), ensure_ascii=False, sort_keys=True)


def test_same_seed_gives_identical_records() -> None:
    first = _dump(_clean(40, 11))
    second = _dump(generate_portfolio(40, seed=11))
    assert first == second


def test_different_seed_gives_different_records() -> None:
    assert _dump(_clean(40, 11)) != _dump(generate_portfolio(40, seed=12))


def test_firm_does_not_depend_on_portfolio_size() -> None:
    small = list(generate_portfolio(3, seed=11))
    assert _dump(small) == _dump(_clean(40, 11)[: len(small)])


def test_every_kind_is_produced_and_validates_against_its_schema() -> None:
    seen: Counter[str] = Counter()
    for kind, record in _clean(150, 5):
        errors = sorted(_validator(kind).iter_errors(record), key=str)
        assert not errors, f"{kind} {record} -> {errors[0].message}"
        seen[kind] += 1
    assert set(seen) == set(KINDS)
    assert seen["firm"] == 150


def test_identities_are_valid_and_unique() -> None:
    usccs = []
    for kind, record in _clean(150, 5):
        if kind == "firm":
            usccs.append(validate_uscc(record["uscc"]))
            assert record["uscc"][0] == "9" and record["uscc"][1] in "12"
            org = record["uscc"][8:17]
            assert org_code_check_char(org[:8]) == org[8]
            assert record["uscc"][2:8] == record["region_code"]
            rep = record["representative"]
            validate_id_number(rep["id_number"])
            validate_phone(rep["phone"])
        elif kind == "person":
            validate_id_number(record["id_number"])
            validate_phone(record["phone"])
    assert len(set(usccs)) == len(usccs)


@pytest.mark.parametrize("uscc", ["91330100716105852F", "9144030071526726XG"])
def test_org_code_check_char_agrees_with_real_codes(uscc: str) -> None:
    validate_uscc(uscc)
    assert org_code_check_char(uscc[8:16]) == uscc[16]


def test_codes_come_from_the_catalog_and_dates_are_not_after_as_of() -> None:
    regions = {r.code for r in catalog.REGIONS}
    industries = {i.code for i in catalog.INDUSTRIES}
    date_fields = ("established_on", "period_end", "event_date", "case_date", "report_date",
                   "disbursed_on", "due_date", "paid_date")  # fmt: skip
    for kind, record in _clean(150, 5):
        if kind == "firm":
            assert record["region_code"] in regions
            assert record["industry_code"] in industries
        for name in date_fields:
            if record.get(name):
                assert dt.date.fromisoformat(record[name]) <= DEFAULT_AS_OF


def test_firm_records_have_the_promised_history() -> None:
    per_firm: dict[str, Counter[str]] = {}
    founded: dict[str, str] = {}
    for kind, record in _clean(150, 5):
        uscc: str = record["uscc"] if kind == "firm" else record.get("firm_uscc", "")
        if uscc:
            per_firm.setdefault(uscc, Counter())[kind] += 1
        if kind == "firm":
            founded[uscc] = record["established_on"]
        elif kind == "loan":
            assert founded[record["firm_uscc"]] < record["disbursed_on"] < record["maturity_on"]
    for counts in per_firm.values():
        assert counts["tax_record"] in range(30, 37)
        assert counts["financial_statement"] in (3, 12)
        assert counts["loan"] <= 3
    borrowers = sum(1 for c in per_firm.values() if c["loan"])
    assert 0.8 <= borrowers / len(per_firm) <= 0.97


def test_repayment_amounts_sum_to_principal_on_closed_loans() -> None:
    loans: dict[str, dict[str, Any]] = {}
    principal_paid: Counter[str] = Counter()
    for kind, record in _clean(150, 5):
        if kind == "loan":
            loans[record["loan_ref"]] = record
    closed = [ref for ref, loan in loans.items() if loan["status"] == "closed"]
    assert closed
    for kind, record in _clean(150, 5):
        if kind == "repayment_history":
            principal_paid[record["loan_ref"]] += round(float(record["amount_paid"]) * 100)
    for ref in closed:
        principal = round(float(loans[ref]["principal"]) * 100)
        assert principal_paid[ref] >= principal  # principal plus interest
        assert loans[ref]["outstanding_principal"] == "0.00"


def test_generation_streams() -> None:
    start = time.perf_counter()
    head = list(islice(generate_portfolio(100_000, seed=1), 5))
    assert time.perf_counter() - start < 2.0
    assert head[0][0] == "firm"
    assert _dump(head) == _dump(islice(generate_portfolio(1, seed=1), 5))


def test_observation_date_is_twelve_months_before_as_of() -> None:
    assert observation_date(dt.date(2026, 6, 30)) == dt.date(2025, 6, 30)


@pytest.mark.parametrize("bad", [{"n_firms": -1}, {"n_firms": 1, "dirt_rate": 1.5}])
def test_bad_arguments_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        list(generate_portfolio(**bad))


def test_dirt_rate_gives_the_requested_share_and_dirty_records_are_flagged() -> None:
    rate = 0.1
    items = list(generate_annotated(100, seed=5, dirt_rate=rate))
    dirty = [item for item in items if item.dirt is not None]
    share = len(dirty) / len(items)
    assert 0.08 <= share <= 0.12
    heavy = [i.dirt.kind for i in generate_annotated(30, seed=5, dirt_rate=0.5) if i.dirt]
    assert set(heavy) == {"duplicate", "missing", "outlier", "format"}
    for item in items:
        valid = _validator(item.kind).is_valid(item.record)
        if item.dirt is None:
            assert valid, item
        elif item.dirt.kind == "format" or (
            item.dirt.kind == "missing" and item.record.get(item.dirt.field, "") is None
        ):
            assert not valid, item


def test_dirt_keeps_the_clean_content() -> None:
    clean = {_dump([r]) for _, r in _clean(40, 11)}
    untouched = [i.record for i in generate_annotated(40, seed=11, dirt_rate=0.3) if i.dirt is None]
    assert untouched and all(_dump([r]) in clean for r in untouched)
    duplicates = [
        i.record
        for i in generate_annotated(40, seed=11, dirt_rate=0.3)
        if i.dirt is not None and i.dirt.kind == "duplicate"
    ]
    firm_usccs = {r["uscc"] for k, r in _clean(40, 11) if k == "firm"}
    assert duplicates and all(d["uscc"] in firm_usccs for d in duplicates)
