"""The report writers: a :class:`~smecredit.sdk.reports.ReportDocument` as CSV, XLSX or PDF.

The engine calls :func:`write_report` with the document a report type built, the format,
a binary output, the cover (who ran what, when, with which parameters), the run's
language and its checkpoint. Each writer streams the rows of a table as they come (CSV and
XLSX in constant memory; the PDF keeps only the rows it prints) and every writer feeds the
same canonical encoding of each section and cell into one digest, so the returned data
hash is the same in every format.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import BinaryIO

from smecredit.sdk.reports import REPORT_FORMATS, ReportDocument
from smecredit.services.reports.formats.common import DataHash, Titles
from smecredit.services.reports.formats.cover import Cover
from smecredit.services.reports.formats.errors import ReportFontMissing, UnknownReportFormat
from smecredit.settings import Settings

__all__ = ["Cover", "ReportFontMissing", "UnknownReportFormat", "write_report"]


async def write_report(
    document: ReportDocument,
    fmt: str,
    out: BinaryIO,
    *,
    cover: Cover,
    language: str,
    checkpoint: Callable[[], Awaitable[None]],
    settings: Settings | None = None,
) -> str:
    """Write ``document`` to ``out`` in ``fmt`` and return the SHA-256 hex of its data.

    Args:
        document: what the report type built.
        fmt: ``csv``, ``xlsx`` or ``pdf``.
        out: a binary output (a file opened ``wb``, a BytesIO).
        cover: the title, parameters, time and user the cover shows (CSV has none).
        language: ``zh`` or ``en``: which titles the headers and texts show.
        checkpoint: awaited every few hundred rows; it raises
            :class:`~smecredit.sdk.reports.ReportCancelled` on cancel, which propagates.
        settings: the font and PDF row limit (default: read from the environment).

    Returns:
        The data hash: a digest of the sections and every cell, independent of the format.

    Raises:
        UnknownReportFormat: ``fmt`` is none of :data:`~smecredit.sdk.reports.REPORT_FORMATS`.
        ReportFontMissing: a PDF and no font with Chinese characters was found.
    """
    titles = Titles(language)
    digest = DataHash()
    if fmt == "csv":
        from smecredit.services.reports.formats.csv_writer import write_csv

        await write_csv(document, out, titles=titles, digest=digest, checkpoint=checkpoint)
    elif fmt == "xlsx":
        from smecredit.services.reports.formats.xlsx_writer import write_xlsx

        await write_xlsx(
            document, out, cover=cover, titles=titles, digest=digest, checkpoint=checkpoint
        )
    elif fmt == "pdf":
        from smecredit.services.reports.formats.pdf_writer import write_pdf
        from smecredit.settings import load_settings

        await write_pdf(
            document,
            out,
            cover=cover,
            titles=titles,
            digest=digest,
            checkpoint=checkpoint,
            settings=settings or load_settings(),
        )
    else:
        raise UnknownReportFormat(
            f"unknown report format {fmt!r}: use one of {', '.join(REPORT_FORMATS)}",
            params={"format": fmt, "formats": ", ".join(REPORT_FORMATS)},
        )
    return digest.hexdigest()
