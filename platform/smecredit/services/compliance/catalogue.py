"""The catalogue of compliance checks: every group's checks, in report order."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from smecredit.domain.compliance import ComplianceCheck
from smecredit.services.compliance import data, lending, monitoring, platform_ops
from smecredit.services.compliance.base import CheckFn, Entry

__all__ = ["CATALOGUE", "CHECKS", "check", "markdown_table"]

#: Every check with the function that runs it, in report order.
CATALOGUE: tuple[Entry, ...] = (
    *lending.CHECKS,
    *data.CHECKS,
    *platform_ops.CHECKS,
    *monitoring.CHECKS,
)
#: Code -> check.
CHECKS: Mapping[str, ComplianceCheck] = MappingProxyType({c.code: c for c, _ in CATALOGUE})
_FUNCTIONS: Mapping[str, CheckFn] = MappingProxyType({c.code: fn for c, fn in CATALOGUE})
assert len(CHECKS) == len(CATALOGUE), "two compliance checks share a code"


def check(code: str) -> tuple[ComplianceCheck, CheckFn]:
    """The check of ``code`` and its function (KeyError: no such check)."""
    return CHECKS[code], _FUNCTIONS[code]


def markdown_table() -> str:
    """The catalogue as the Markdown table of ``docs/compliance.md``."""
    lines = ["| code | title | 标题 | weight | method |", "|---|---|---|---|---|"]
    for c, _ in CATALOGUE:
        lines.append(f"| `{c.code}` | {c.title_en} | {c.title_zh} | {c.weight:g} | {c.method} |")
    return "\n".join(lines) + "\n"
