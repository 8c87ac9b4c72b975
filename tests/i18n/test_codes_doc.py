"""``docs/error-codes.md`` is generated from the catalogue and cannot drift."""

from __future__ import annotations

from pathlib import Path

from smecredit.i18n import catalogue
from smecredit.i18n.codes_doc import MEANINGS, TOP_LEVEL_ONLY, render_codes_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "error-codes.md"


def test_the_error_codes_page_is_generated_from_the_catalogue() -> None:
    assert PAGE.read_text(encoding="utf-8") == render_codes_markdown(), (
        "docs/error-codes.md is stale: run `python -m smecredit.i18n.codes_doc docs/error-codes.md`"
    )


def test_every_catalogued_code_has_a_row_and_the_lists_name_only_catalogued_codes() -> None:
    page = render_codes_markdown()
    codes = {key.partition(".")[2] for key in catalogue()["en"] if key.startswith("errors.")}
    for code in codes:
        assert f"| `{code}` |" in page, code
    assert set(MEANINGS) <= codes, sorted(set(MEANINGS) - codes)
    assert codes >= TOP_LEVEL_ONLY, sorted(TOP_LEVEL_ONLY - codes)
