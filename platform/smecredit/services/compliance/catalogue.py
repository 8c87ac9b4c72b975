"""The catalogue of compliance checks: every group's checks, in report order."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from smecredit.domain.compliance import ComplianceCheck
from smecredit.services.compliance import data, lending, monitoring, platform_ops
from smecredit.services.compliance.base import Entry

__all__ = ["CATALOGUE", "CHECKS", "markdown_table", "rewrite"]

#: Every check with the function that runs it, in report order.
CATALOGUE: tuple[Entry, ...] = (
    *lending.CHECKS,
    *data.CHECKS,
    *platform_ops.CHECKS,
    *monitoring.CHECKS,
)
#: Code -> check.
CHECKS: Mapping[str, ComplianceCheck] = MappingProxyType({c.code: c for c, _ in CATALOGUE})
assert len(CHECKS) == len(CATALOGUE), "two compliance checks share a code"


def markdown_table() -> str:
    """The catalogue as the Markdown table of ``docs/compliance.md``."""
    lines = ["| code | title | 标题 | weight | method |", "|---|---|---|---|---|"]
    for c, _ in CATALOGUE:
        lines.append(f"| `{c.code}` | {c.title_en} | {c.title_zh} | {c.weight:g} | {c.method} |")
    return "\n".join(lines) + "\n"


def rewrite(page: str) -> str:
    """``page`` with its catalogue table (between the catalogue markers) regenerated."""
    start, end = "<!-- catalogue:start -->\n", "<!-- catalogue:end -->"
    head, _, rest = page.partition(start)
    _, _, tail = rest.partition(end)
    return head + start + markdown_table() + end + tail


if __name__ == "__main__":  # python -m smecredit.services.compliance.catalogue docs/compliance.md
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(rewrite(target.read_text(encoding="utf-8")), encoding="utf-8")
