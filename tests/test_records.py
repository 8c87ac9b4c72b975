"""The record schemas' fast validator agrees with jsonschema; the cached cleaner with the domain."""

from __future__ import annotations

import copy
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit.domain.cleaning import KINDS, normalise_record
from smecredit.records import SchemaError, load_schema, record_kinds, validator_for
from smecredit.services.ingestion.clean import clean_record

_RECORDS = list(generate_portfolio(6, seed=5, dirt_rate=0.3))
_BY_KIND: dict[str, list[dict[str, Any]]] = {}
for _kind, _record in _RECORDS:
    _BY_KIND.setdefault(_kind, []).append(_record)


def _exact(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        load_schema(kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_every_kind_has_a_schema_with_a_fast_path() -> None:
    assert set(KINDS) <= set(record_kinds())
    for kind in KINDS:
        assert validator_for(kind).has_fast_path, kind
        assert validator_for(kind) is validator_for(kind)  # cached
    with pytest.raises(SchemaError):
        load_schema("../etc/passwd")


_MUTATIONS: list[Any] = [
    None, "", " ", "x", 0, -1, 1.5, True, [], {}, "2024-02-30", "2024-03-05T10:00:00",
    "12.3", "1.00", "C13", "abc\n", "9" * 300,
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(_RECORDS) - 1),
    cleaned=st.booleans(),
    field_pick=st.integers(min_value=0, max_value=50),
    value=st.sampled_from(_MUTATIONS),
    drop=st.booleans(),
)
def test_fast_validator_never_disagrees_with_jsonschema(
    index: int, cleaned: bool, field_pick: int, value: Any, drop: bool
) -> None:
    kind, record = _RECORDS[index]
    record = copy.deepcopy(normalise_record(kind, record).record if cleaned else record)
    names = sorted(record)
    name = names[field_pick % len(names)]
    if drop:
        record.pop(name)
    else:
        record[name] = value
    fast = validator_for(kind)
    assert fast.is_valid(record) == _exact(kind).is_valid(record)
    assert (fast.violations(record) == []) == fast.is_valid(record)


def test_clean_synthetic_records_pass_and_violations_name_the_field() -> None:
    clean = [(k, r) for k, r in generate_portfolio(3, seed=9)]
    for kind, record in clean:
        assert validator_for(kind).violations(record) == [], kind
    kind, record = clean[0]
    broken = {**record, "uscc": "nope", "colour": "red"}
    fields = {v.field for v in validator_for(kind).violations(broken)}
    assert {"uscc", "colour"} <= fields


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_cached_cleaner_equals_the_domain_normaliser(seed: int) -> None:
    rng = random.Random(seed)
    kind, record = _RECORDS[rng.randrange(len(_RECORDS))]
    record = copy.deepcopy(record)
    for name in rng.sample(sorted(record), k=min(2, len(record))):
        record[name] = rng.choice([*_MUTATIONS, str(record[name]).upper(), f" {record[name]} "])
    for _ in range(2):  # the second call is served from the cache
        assert clean_record(kind, record) == normalise_record(kind, record)
