"""Finding schema changes and matching them with CHANGELOG.md entries."""

from __future__ import annotations

import pytest

from smecredit.graphql.schema_changes import (
    SchemaChange,
    changelog_entries,
    missing_entries,
    release_changelog,
    schema_changes,
    stale_entries,
)

OLD = """
type Query { loan(id: ID!): Loan, loans: [Loan!]! }
type Loan { id: ID!, amount: Int!, status: Status! }
enum Status { OPEN CLOSED }
"""
NEW = """
type Query { loan(id: ID!): Loan }
type Loan { id: ID!, amount: String!, term: Int, status: Status! }
enum Status { OPEN CLOSED WRITTEN_OFF }
"""

CHANGELOG = """# Changelog

## Unreleased

- BREAKING: Field Query.loans was removed. — use `loansConnection`
- BREAKING: `Field Loan.amount changed type from Int! to String!.`
- DANGEROUS: Enum value Status.WRITTEN_OFF was added.

## 0.1.0 (2026-01-01)

- BREAKING: Query.old was removed.
"""


def test_breaking_and_dangerous_changes_are_found() -> None:
    changes = schema_changes(OLD, NEW)
    assert SchemaChange("BREAKING", "Field Query.loans was removed.") in changes
    assert (
        SchemaChange("BREAKING", "Field Loan.amount changed type from Int! to String!.") in changes
    )
    assert [c.kind for c in changes].count("DANGEROUS") == 1
    assert schema_changes(OLD, OLD) == []


def test_entries_come_from_the_unreleased_section_only() -> None:
    entries = changelog_entries(CHANGELOG)
    assert entries == {
        "BREAKING: Field Query.loans was removed.",
        "BREAKING: Field Loan.amount changed type from Int! to String!.",
        "DANGEROUS: Enum value Status.WRITTEN_OFF was added.",
    }
    assert changelog_entries(CHANGELOG, "0.1.0 (2026-01-01)") == {
        "BREAKING: Query.old was removed."
    }


def test_an_unannounced_breaking_change_is_missing() -> None:
    changes = schema_changes(OLD, NEW)
    assert missing_entries(changes, changelog_entries(CHANGELOG)) == []
    without = CHANGELOG.replace(
        "- BREAKING: Field Query.loans was removed. — use `loansConnection`\n", ""
    )
    assert missing_entries(changes, changelog_entries(without)) == [
        "BREAKING: Field Query.loans was removed."
    ]


def test_an_entry_for_a_change_not_made_is_stale() -> None:
    changes = schema_changes(OLD, OLD)
    assert stale_entries(changes, changelog_entries(CHANGELOG)) == sorted(
        changelog_entries(CHANGELOG)
    )
    assert stale_entries(schema_changes(OLD, NEW), changelog_entries(CHANGELOG)) == []


def test_release_turns_unreleased_into_the_version() -> None:
    released = release_changelog(CHANGELOG, "0.2.0", "2026-12-03")
    assert changelog_entries(released) == set()
    assert changelog_entries(released, "0.2.0 (2026-12-03)") == changelog_entries(CHANGELOG)
    assert released.index("## Unreleased") < released.index("## 0.2.0 (2026-12-03)")
    with pytest.raises(ValueError, match=r"already has a section for 0\.1\.0"):
        release_changelog(CHANGELOG, "0.1.0", "2026-12-03")
    with pytest.raises(ValueError, match=r"no '## Unreleased'"):
        release_changelog("# Changelog\n", "0.2.0", "2026-12-03")
