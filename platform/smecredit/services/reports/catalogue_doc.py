"""The "Datasets" section of ``docs/reports.md``, generated from the catalogue.

``python -m smecredit.services.reports.catalogue_doc docs/reports.md`` rewrites the section
in place (between ``## Datasets`` and the next ``## `` heading); a test keeps it current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from smecredit.services.reports.catalogue import CATALOGUE

__all__ = ["render_datasets", "rewrite"]

HEADING = "## Datasets"

_INTRO = """\
What a report type reads (`ReportContext.rows` and `aggregate`), written by the report
engine (`platform/smecredit/services/reports/`). Every value passes the field policy of the
user running the report as the GraphQL field in the *field* column: a masked field arrives
masked, a denied one as `WITHHELD`, and a column the user may not see in clear cannot be
filtered, sorted, grouped or aggregated (`REPORT_COLUMN_FORBIDDEN`; a masked one may be
counted). Rows outside the user's branches never arrive (row scope as in GraphQL; *branch*
below names the column that decides it, "-" for data not bound to a branch). Rows are read
in batches of 1000 by key, aggregates run in the database (SQLite and PostgreSQL alike:
money sums are exact). Personal data of persons (names, ID numbers, phones) is encrypted at
rest and in no dataset. Kinds: `money` (yuan, 2 decimals, Decimal), `percent` (a ratio:
0.05 is 5%), `decimal`, `int`, `text`, `date`, `datetime`.
"""


def render_datasets() -> str:
    """The section's Markdown (heading included)."""
    parts = [f"{HEADING}\n\n", _INTRO]
    for data in CATALOGUE.values():
        branch = next(
            (c.name for c in data.columns if c.name == "branch_code" and data.branch), "-"
        )
        how = "computed when read (rows only)" if data.computed else f"branch: `{branch}`"
        parts.append(f"\n### `{data.name}`\n\n{data.description} ({how})\n\n")
        parts.append("| column | kind | field | meaning |\n| --- | --- | --- | --- |\n")
        for column in data.columns:
            field = f"`{column.field}`" if column.field else "-"
            parts.append(f"| `{column.name}` | {column.kind} | {field} | {column.description} |\n")
    return "".join(parts) + "\n"


def rewrite(text: str) -> str:
    """``text`` (the page) with its Datasets section replaced by :func:`render_datasets`."""
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    tail = text[end + 1 :] if end != -1 else ""
    return text[:start] + render_datasets() + tail


def main(argv: list[str]) -> None:
    """Rewrite the Datasets section of the page named by ``argv[0]``."""
    page = Path(argv[0])
    page.write_text(rewrite(page.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
