"""The committed schema matches the code, and its changes since the release are announced.

``schema/schema.graphql`` is the current contract (``smecredit schema export``);
``schema/schema.released.graphql`` that of the last release (``smecredit schema release``).
Every breaking change between them needs its ``BREAKING:`` line in ``CHANGELOG.md``.
"""

from __future__ import annotations

from pathlib import Path

from smecredit.graphql.schema import schema_sdl
from smecredit.graphql.schema_changes import (
    changelog_entries,
    missing_entries,
    schema_changes,
    stale_entries,
)
from smecredit.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "schema" / "schema.graphql"
RELEASED = ROOT / "schema" / "schema.released.graphql"
CHANGELOG = ROOT / "CHANGELOG.md"


def _built() -> str:
    return schema_sdl(load_settings({}))


def test_committed_schema_matches_code() -> None:
    committed = COMMITTED.read_text(encoding="utf-8")
    built = _built()
    if committed != built:
        breaking = [c.entry for c in schema_changes(committed, built) if c.kind == "BREAKING"]
        listed = "".join(f"\n  {line}" for line in breaking) or " none"
        raise AssertionError(
            "schema/schema.graphql is stale: run `smecredit schema export` and commit the "
            f"result. Breaking changes against the committed schema:{listed}"
        )


def test_breaking_changes_since_the_release_are_in_the_changelog() -> None:
    changes = schema_changes(RELEASED.read_text(encoding="utf-8"), _built())
    missing = missing_entries(changes, changelog_entries(CHANGELOG.read_text(encoding="utf-8")))
    assert not missing, (
        "breaking changes since the released schema need a line under '## Unreleased' in "
        "CHANGELOG.md (see docs/graphql.md, 'Schema changes'):\n"
        + "\n".join(f"- {line}" for line in missing)
    )


def test_the_changelog_announces_no_change_the_schema_does_not_make() -> None:
    changes = schema_changes(RELEASED.read_text(encoding="utf-8"), _built())
    stale = stale_entries(changes, changelog_entries(CHANGELOG.read_text(encoding="utf-8")))
    assert not stale, (
        f"CHANGELOG.md '## Unreleased' lists changes the schema does not make: {stale}"
    )
