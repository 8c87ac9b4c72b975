"""Report types, and the spreadsheet-safety helpers every written sheet uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

# Every spreadsheet a plugin writes (reports, exports) neutralises formula-like text.
from smecredit.domain.spreadsheet import is_formula_like, neutralise_cell, neutralise_row

__all__ = ["ReportType", "is_formula_like", "neutralise_cell", "neutralise_row"]


@runtime_checkable
class ReportType(Protocol):
    """A report users can request: a portfolio summary, a regulatory return, ...

    Attributes:
        name: unique report name, e.g. ``"five_category_summary"``.
        title: for menus.
        formats: the formats ``render`` produces, e.g. ``("pdf", "xlsx", "csv")``.
    """

    name: str
    title: str
    formats: tuple[str, ...]

    async def render(self, context: Any, params: Mapping[str, Any]) -> bytes:
        """Produce the report.

        Args:
            context: read-only, permission-checked access to platform data, provided by
                the reports service (masking already applied for the requesting user).
            params: the user's parameters; ``params["format"]`` is one of ``formats``.

        Returns:
            The file's bytes.
        """
        ...
