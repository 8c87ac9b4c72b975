"""The coded errors of the report writers."""

from __future__ import annotations

from smecredit.domain.errors import CodedError

__all__ = ["ReportFontMissing", "UnknownReportFormat"]


class UnknownReportFormat(CodedError, ValueError):
    """A report was asked for in a format the core cannot write."""

    code = "REPORT_FORMAT_UNKNOWN"


class ReportFontMissing(CodedError):
    """No font with Chinese characters for a PDF: never write boxes in their place."""

    code = "REPORT_FONT_MISSING"
