"""What the cover of a report names: the engine fills it, the XLSX and PDF writers show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["Cover"]


@dataclass(frozen=True, slots=True)
class Cover:
    """What the cover of a report names (the XLSX cover sheet, the PDF's first page).

    Attributes:
        title: the report's title in the run's language.
        report_name: the report type's name (``portfolio_overview``).
        parameters: ``(label, value)`` of each parameter, as shown.
        generated_at: when the run wrote the report.
        generated_by: who ran it (``system`` for a scheduled run).
    """

    title: str
    report_name: str
    parameters: tuple[tuple[str, str], ...]
    generated_at: dt.datetime
    generated_by: str
