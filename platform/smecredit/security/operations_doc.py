"""Generate ``docs/authorisation.md`` from the authorisation table (the page cannot drift).

Usage::

    python -m smecredit.security.operations_doc                     # print the page
    python -m smecredit.security.operations_doc docs/authorisation.md  # write it

``tests/security/test_operations.py`` fails when the committed page differs.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from pathlib import Path

from smecredit.security import operations
from smecredit.security.operations import (
    COMMAND_OPERATIONS,
    CORE_MUTATION_OPERATIONS,
    CORE_OPERATIONS,
    SYSTEM_ROLE,
    Scope,
)

__all__ = ["main", "render_operations_markdown"]


def _who(roles: frozenset[str], scope: Scope) -> str:
    if scope is Scope.PUBLIC:
        return (
            "anyone at that sign-in step (the authentication guard admits only sessions owing it)"
        )
    if scope is Scope.SELF:
        return "any signed-in user (their own)"
    people = ", ".join(f"`{r}`" for r in sorted(roles - {SYSTEM_ROLE}))
    platform = "the platform" if SYSTEM_ROLE in roles else ""
    return " + ".join(p for p in (people, platform) if p)


def render_operations_markdown() -> str:
    """The page: the module's explanation, then one row per operation of the core."""
    by_mutation: dict[str, list[str]] = {}
    for field, name in CORE_MUTATION_OPERATIONS.items():
        by_mutation.setdefault(name, []).append(f"`{field}`")
    by_command: dict[str, list[str]] = {}
    for words, name in COMMAND_OPERATIONS.items():
        by_command.setdefault(name, []).append(f"`smecredit {words}`")
    parts = [
        "# Operations: who may do what\n\n",
        "Generated from `platform/smecredit/security/operations.py` by "
        "`python -m smecredit.security.operations_doc docs/authorisation.md`; do not edit.\n\n",
        inspect.cleandoc(operations.__doc__ or ""),
        "\n\n| operation | scope | who | what | mutations | commands |\n",
        "|---|---|---|---|---|---|\n",
    ]
    for name in sorted(CORE_OPERATIONS):
        op = CORE_OPERATIONS[name]
        parts.append(
            f"| `{name}` | {op.scope.value} | {_who(op.roles, op.scope)} | {op.description} | "
            f"{', '.join(sorted(by_mutation.get(name, []))) or '-'} | "
            f"{', '.join(sorted(by_command.get(name, []))) or '-'} |\n"
        )
    return "".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the page, or write it to the path given as the only argument."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = render_operations_markdown()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
