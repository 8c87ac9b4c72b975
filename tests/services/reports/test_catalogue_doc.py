"""The Datasets section of ``docs/reports.md`` is generated from the catalogue."""

from __future__ import annotations

from pathlib import Path

from smecredit.services.reports.catalogue import CATALOGUE
from smecredit.services.reports.catalogue_doc import render_datasets, rewrite

PAGE = Path(__file__).resolve().parents[3] / "docs" / "reports.md"


def test_the_datasets_section_is_current() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert rewrite(text) == text, (
        "docs/reports.md is stale: run "
        "`python -m smecredit.services.reports.catalogue_doc docs/reports.md`"
    )


def test_every_dataset_and_column_is_documented_once() -> None:
    section = render_datasets()
    for data in CATALOGUE.values():
        assert section.count(f"### `{data.name}`") == 1
        for column in data.columns:
            assert f"| `{column.name}` |" in section, (data.name, column.name)
    assert rewrite("# X\n\n## Datasets\nold\n## Next\nkept\n").endswith("## Next\nkept\n")
