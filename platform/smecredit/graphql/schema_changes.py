"""Schema changes against the released contract, and the changelog entries they need.

``schema/schema.released.graphql`` is the GraphQL contract of the last release, updated
only by ``smecredit schema release VERSION``. Every change that would break a client
written against it (graphql-core's :func:`~graphql.utilities.find_breaking_changes`) must
be announced in ``CHANGELOG.md``, under ``## Unreleased``, by one line::

    - BREAKING: Field Query.models changed type from [ModelInfo!]! to ModelConnection!.

optionally followed by `` — `` and what a client should do instead. The text after
``BREAKING:`` is graphql-core's description of the change, verbatim, so that a test can
match it (``smecredit schema changes`` prints the lines to paste). Dangerous changes
(:func:`~graphql.utilities.find_dangerous_changes`: an enum value or an optional argument
added, a default changed) may be listed the same way with ``DANGEROUS:``; they are not
required.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from graphql import build_schema
from graphql.utilities import find_breaking_changes, find_dangerous_changes

__all__ = [
    "UNRELEASED",
    "SchemaChange",
    "changelog_entries",
    "missing_entries",
    "release_changelog",
    "schema_changes",
    "stale_entries",
]

#: The changelog section that collects changes since the last release.
UNRELEASED = "Unreleased"
ChangeKind = Literal["BREAKING", "DANGEROUS"]
_ENTRY = re.compile(r"^[-*]\s+(BREAKING|DANGEROUS):\s*(.+?)\s*$")
_SECTION = re.compile(r"^##\s+(.+?)\s*$")
#: Separates the change from the advice that may follow it on the same line.
_NOTE = " — "


@dataclass(frozen=True, order=True)
class SchemaChange:
    """One difference between two schemas that a client may notice."""

    kind: ChangeKind
    #: graphql-core's description, e.g. ``Field Query.models was removed.``
    description: str

    @property
    def entry(self) -> str:
        """The changelog line that announces it (without the leading ``- ``)."""
        return f"{self.kind}: {self.description}"


def schema_changes(old_sdl: str, new_sdl: str) -> list[SchemaChange]:
    """The breaking and dangerous changes from ``old_sdl`` to ``new_sdl``, sorted."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    changes = [SchemaChange("BREAKING", c.description) for c in find_breaking_changes(old, new)]
    changes += [SchemaChange("DANGEROUS", c.description) for c in find_dangerous_changes(old, new)]
    return sorted(set(changes))


def _section_lines(changelog: str, section: str) -> list[str]:
    lines: list[str] = []
    inside = False
    for line in changelog.splitlines():
        heading = _SECTION.match(line)
        if heading:
            inside = heading[1] == section
            continue
        if inside:
            lines.append(line)
    return lines


def changelog_entries(changelog: str, section: str = UNRELEASED) -> set[str]:
    """The ``BREAKING:`` / ``DANGEROUS:`` entries of one section, as :attr:`SchemaChange.entry`.

    Backticks around the description and a trailing `` — note`` are ignored.
    """
    entries: set[str] = set()
    for line in _section_lines(changelog, section):
        match = _ENTRY.match(line)
        if match:
            description = match[2].split(_NOTE, 1)[0].strip().strip("`")
            entries.add(f"{match[1]}: {description}")
    return entries


def missing_entries(changes: Iterable[SchemaChange], entries: set[str]) -> list[str]:
    """Entries that breaking ``changes`` need and the changelog lacks."""
    return sorted(c.entry for c in changes if c.kind == "BREAKING" and c.entry not in entries)


def stale_entries(changes: Iterable[SchemaChange], entries: set[str]) -> list[str]:
    """Entries that announce a change the schema does not (or no longer) make."""
    made = {c.entry for c in changes}
    return sorted(e for e in entries if e not in made)


def release_changelog(changelog: str, version: str, date: str) -> str:
    """``changelog`` with ``## Unreleased`` renamed ``## VERSION (DATE)`` and a new empty one.

    Raises:
        ValueError: the changelog has no ``## Unreleased`` section, or already has ``version``.
    """
    lines = changelog.splitlines()
    headings = [i for i, line in enumerate(lines) if _SECTION.match(line)]
    if any(_SECTION.match(lines[i])[1].split(" ", 1)[0] == version for i in headings):  # type: ignore[index]
        raise ValueError(f"CHANGELOG.md already has a section for {version}")
    for i in headings:
        if _SECTION.match(lines[i])[1] == UNRELEASED:  # type: ignore[index]
            lines[i : i + 1] = [f"## {UNRELEASED}", "", f"## {version} ({date})"]
            return "\n".join(lines) + "\n"
    raise ValueError(f"CHANGELOG.md has no '## {UNRELEASED}' section")
