from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.security.audit_chain import (
    GENESIS_HASH,
    AuditEntry,
    canonical_json,
    compute_entry_hash,
    digest_change,
    entry_fields,
    format_timestamp,
    make_entry,
    verify_chain,
)

START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
KEY = b"k" * 32


def build_chain(n: int, chain_key: bytes | None = None) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        entries.append(
            make_entry(
                entries[-1] if entries else None,
                actor=f"user{i % 3}",
                action="loan.approve" if i % 2 else "firm.update",
                resource=f"Loan:{i}",
                at=format_timestamp(START + timedelta(seconds=i)),
                source_address="10.0.0.1" if i % 2 else None,
                change_digest=digest_change({"amount": Decimal(i)}, {"amount": Decimal(i + 1)}),
                chain_key=chain_key,
            )
        )
    return entries


def test_intact_chain_verifies() -> None:
    chain = build_chain(6)
    assert chain[0].prev_hash == GENESIS_HASH
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5, 6]
    result = verify_chain(chain)
    assert result.ok and result.first_broken_seq is None and result.checked == 6
    assert verify_chain([]).ok


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": "张三"}) == '{"a":"张三","b":1}'.encode()
    assert canonical_json({"x": Decimal("1.50")}) == b'{"x":"1.50"}'


def test_digest_change_hides_values_and_depends_on_them() -> None:
    digest = digest_change({"phone": "13812345678"}, {"phone": "13912345678"})
    assert "138" not in digest and len(digest) == 64
    assert digest != digest_change({"phone": "13812345678"}, {"phone": "13912345679"})
    assert digest == digest_change({"phone": "13812345678"}, {"phone": "13912345678"})
    assert digest != digest_change({"phone": "13812345678"}, {"phone": "13912345678"}, key=KEY)


def test_entry_hash_covers_prev_hash() -> None:
    entry = build_chain(1)[0]
    fields = entry_fields(entry)
    assert compute_entry_hash(GENESIS_HASH, fields) == entry.entry_hash
    assert compute_entry_hash("1" * 64, fields) != entry.entry_hash


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 1, 1))


def _altered(value: Any) -> Any:
    if isinstance(value, int):
        return value + 7
    if value is None:
        return "203.0.113.9"
    assert isinstance(value, str)
    return value + "x"


FIELDS = [f.name for f in dataclasses.fields(AuditEntry)]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(2, 12),
    row=st.integers(0, 11),
    field=st.sampled_from(FIELDS),
    keyed=st.booleans(),
)
def test_tampering_any_field_of_any_row_is_detected_at_that_row(
    n: int, row: int, field: str, keyed: bool
) -> None:
    key = KEY if keyed else None
    chain = build_chain(n, key)
    row %= n
    target = chain[row]
    chain[row] = dataclasses.replace(target, **{field: _altered(getattr(target, field))})
    result = verify_chain(chain, chain_key=key)
    assert not result.ok
    assert result.first_broken_seq == row + 1, result
    assert result.checked == row
    expected_problem = {
        "seq": {"seq_gap", "reordered"},
        "prev_hash": {"prev_link_broken", "hash_mismatch"},
    }.get(field, {"hash_mismatch"})
    assert result.problem in expected_problem


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 12), row=st.integers(0, 11))
def test_deleting_a_row_is_detected(n: int, row: int) -> None:
    chain = build_chain(n)
    row %= n
    last = chain[-1]
    del chain[row]
    result = verify_chain(chain, expected_last_seq=last.seq, expected_last_hash=last.entry_hash)
    assert not result.ok
    assert result.first_broken_seq == row + 1
    assert result.problem == ("truncated" if row == n - 1 else "seq_gap")
    assert str(row + 1) in result.reason


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 12), i=st.integers(0, 11), j=st.integers(0, 11))
def test_swapping_two_rows_is_detected(n: int, i: int, j: int) -> None:
    i, j = sorted((i % n, j % n))
    if i == j:
        j = (i + 1) % n
        i, j = sorted((i, j))
    chain = build_chain(n)
    chain[i], chain[j] = chain[j], chain[i]
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_broken_seq == i + 1
    assert result.problem == "reordered"


def test_rewritten_row_with_recomputed_hash_breaks_next_link() -> None:
    chain = build_chain(5)
    forged_fields = entry_fields(chain[2]) | {"actor": "mallory"}
    forged_hash = compute_entry_hash(chain[2].prev_hash, forged_fields)
    chain[2] = dataclasses.replace(chain[2], actor="mallory", entry_hash=forged_hash)
    result = verify_chain(chain)
    assert (result.first_broken_seq, result.problem) == (4, "prev_link_broken")


def test_keyed_chain_cannot_be_verified_or_forged_without_the_key() -> None:
    chain = build_chain(3, KEY)
    assert verify_chain(chain, chain_key=KEY).ok
    assert verify_chain(chain).problem == "hash_mismatch"


def test_verify_from_checkpoint() -> None:
    chain = build_chain(6)
    result = verify_chain(chain[3:], genesis=chain[2].entry_hash, first_seq=4)
    assert result.ok and result.checked == 3
