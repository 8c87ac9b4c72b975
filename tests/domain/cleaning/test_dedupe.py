"""De-duplication: the merge rule, order independence, no firm lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.cleaning import dedupe_firms, dedupe_persons, merge_firm
from smecredit.domain.identity import USCC_ALPHABET, is_valid_uscc, uscc_check_char

U1 = "91110105MA01ABCDEB"
U2 = "91310000MA1FL4XK35"
assert is_valid_uscc(U1) and is_valid_uscc(U2)

usccs = st.text(USCC_ALPHABET, min_size=17, max_size=17).map(
    lambda body: body + uscc_check_char(body)
)
maybe = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))


@st.composite
def firm_batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    pool = draw(st.lists(usccs, min_size=1, max_size=5, unique=True))
    records = []
    for _ in range(draw(st.integers(1, 12))):
        uscc = draw(st.sampled_from(pool))
        record: dict[str, Any] = {
            "uscc": draw(st.sampled_from([uscc, uscc.lower(), f"{uscc[:6]} {uscc[6:]}"])),
            "name": draw(st.sampled_from(["甲公司", "甲有限公司", None])),
            "employees": draw(st.one_of(st.none(), st.integers(0, 50))),
            "status": draw(st.sampled_from(["active", "abnormal", None])),
            "branch_code": draw(maybe),
            "source": draw(st.sampled_from(["files", "registry"])),
            "fetched_at": draw(
                st.sampled_from(
                    [
                        None,
                        "2024-01-01T00:00:00Z",
                        "2024-06-01T00:00:00Z",
                        "2024-06-01T08:00:00+08:00",
                    ]
                )
            ),
        }
        if draw(st.booleans()):
            record["representative"] = {
                "name": draw(maybe),
                "id_number": draw(maybe),
                "phone": draw(maybe),
            }
        records.append(record)
    if draw(st.booleans()):
        records.append({"uscc": "not-a-code", "name": "乙"})
    return records


@settings(max_examples=200, deadline=None)
@given(firm_batches(), st.randoms(use_true_random=False))
def test_dedupe_keeps_every_firm_and_ignores_order(records: list[dict[str, Any]], rng: Any) -> None:
    result = dedupe_firms(records)
    distinct_in = {r["uscc"].replace(" ", "").upper() for r in records if is_valid_uscc(r["uscc"])}
    merged = [r for r in result.records if is_valid_uscc(r["uscc"])]
    assert {r["uscc"] for r in merged} == distinct_in
    assert len(merged) == len(distinct_in)
    assert len(result.records) - len(merged) == sum(not is_valid_uscc(r["uscc"]) for r in records)

    shuffled = list(records)
    rng.shuffle(shuffled)
    again = dedupe_firms(shuffled)
    assert merged == [r for r in again.records if is_valid_uscc(r["uscc"])]
    conflicts = sorted(repr(i) for i in result.issues if i.code == "CONFLICT")
    assert conflicts == sorted(repr(i) for i in again.issues if i.code == "CONFLICT")


def _instant(record: dict[str, Any]) -> dt.datetime:
    stamp = record["fetched_at"]
    return dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.min.replace(tzinfo=dt.UTC)


@settings(max_examples=200, deadline=None)
@given(firm_batches())
def test_merged_value_is_the_newest_non_null(records: list[dict[str, Any]]) -> None:
    for profile in dedupe_firms(records).records:
        if not is_valid_uscc(profile["uscc"]):
            continue
        group = [r for r in records if r["uscc"].replace(" ", "").upper() == profile["uscc"]]
        for field in ("employees", "status", "branch_code", "name"):
            having = [r for r in group if r[field] is not None]
            if not having:
                assert profile.get(field) is None  # nothing invented
                continue
            newest = max(_instant(r) for r in having)
            # never null when some record knows it, and always from the newest that knows it
            assert profile[field] in {r[field] for r in having if _instant(r) == newest}


def test_newest_wins_but_null_never_overwrites() -> None:
    old = {
        "uscc": U1,
        "name": "甲公司",
        "employees": 10,
        "status": "active",
        "source": "a",
        "fetched_at": "2024-01-01T00:00:00Z",
    }
    new = {
        "uscc": U1,
        "name": "甲有限公司",
        "employees": None,
        "status": "abnormal",
        "source": "b",
        "fetched_at": "2024-06-01T00:00:00Z",
    }
    result = dedupe_firms([new, old])
    (profile,) = result.records
    assert profile["status"] == "abnormal"
    assert profile["employees"] == 10
    assert profile["name"] == "甲有限公司"
    assert profile["extensions"]["aliases"] == ["甲公司"]
    assert profile["fetched_at"] == "2024-06-01T00:00:00Z"
    (merge,) = result.merges
    assert (merge.key, merge.count, merge.sources) == (U1, 2, ("a", "b"))


def test_conflicting_representative_is_reported_and_taken_whole() -> None:
    old = {
        "uscc": U1,
        "fetched_at": "2024-01-01T00:00:00Z",
        "representative": {
            "name": "张三",
            "id_number": "110105199001011232",
            "phone": "13800138000",
        },
    }
    new = {
        "uscc": U1,
        "fetched_at": "2024-06-01T00:00:00Z",
        "representative": {"name": "李四", "id_number": "110105198001015677", "phone": None},
    }
    result = dedupe_firms([old, new])
    (profile,) = result.records
    assert profile["representative"] == new["representative"]  # no phone borrowed from 张三
    (issue,) = result.issues
    assert issue.code == "CONFLICT" and issue.field == "representative.id_number"
    assert "110105198001015677" not in issue.message  # ID numbers are masked
    assert "110***********5677" in issue.message


def test_same_representative_merges_field_by_field() -> None:
    old = {
        "uscc": U1,
        "fetched_at": "2024-01-01T00:00:00Z",
        "representative": {
            "name": "张三",
            "id_number": "110105199001011232",
            "phone": "13800138000",
        },
    }
    new = {
        "uscc": U1,
        "fetched_at": "2024-06-01T00:00:00Z",
        "representative": {"name": "张三", "id_number": "110105199001011232", "phone": None},
    }
    (profile,) = dedupe_firms([new, old]).records
    assert profile["representative"]["phone"] == "13800138000"


def test_merge_firm_streams_in_time_order() -> None:
    batch: list[dict[str, Any]] = [
        {"uscc": U2, "name": "乙", "employees": 5, "fetched_at": "2024-01-01T00:00:00Z"},
        {"uscc": U2, "name": "乙公司", "employees": None, "fetched_at": "2024-02-01T00:00:00Z"},
        {"uscc": U2, "name": None, "employees": 9, "fetched_at": "2024-03-01T00:00:00Z"},
    ]
    profile = None
    for record in batch:
        profile, issues = merge_firm(profile, record)
        assert issues == []
    assert profile is not None
    expected = dedupe_firms(batch).records[0]
    assert profile == expected
    assert profile["name"] == "乙公司" and profile["employees"] == 9
    assert profile["extensions"]["aliases"] == ["乙"]


def test_merge_firm_does_not_mutate() -> None:
    existing = {"uscc": U1, "name": "甲", "fetched_at": "2024-01-01T00:00:00Z"}
    incoming = {"uscc": U1, "name": "甲公司", "fetched_at": "2024-02-01T00:00:00Z"}
    merge_firm(existing, incoming)
    assert existing == {"uscc": U1, "name": "甲", "fetched_at": "2024-01-01T00:00:00Z"}
    assert "extensions" not in incoming


def test_unmatchable_records_pass_through() -> None:
    result = dedupe_firms([{"uscc": U1}, {"uscc": "bogus"}, {"name": "no code"}])
    assert len(result.records) == 3
    assert [(i.code, i.index) for i in result.issues] == [("BAD_CODE", 1), ("BAD_CODE", 2)]


def test_persons_keyed_by_id_number_and_name_conflict_reported() -> None:
    a = {
        "id_number": "11010519900101007x",
        "name": "张三",
        "phone": None,
        "fetched_at": "2024-01-01T00:00:00Z",
    }
    b = {
        "id_number": "11010519900101007X",
        "name": "张叁",
        "phone": "13800138000",
        "fetched_at": "2024-05-01T00:00:00Z",
    }
    c = {"id_number": "110105198001015677", "name": "李四"}
    result = dedupe_persons([a, b, c])
    by_id = {r["id_number"]: r for r in result.records}
    assert set(by_id) == {"11010519900101007X", "110105198001015677"}
    assert by_id["11010519900101007X"]["name"] == "张叁"
    assert [i.code for i in result.issues] == ["CONFLICT"]
