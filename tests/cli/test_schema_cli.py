"""``smecredit schema changes`` and ``smecredit schema release``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smecredit.cli import core
from smecredit.graphql.schema import schema_sdl
from smecredit.settings import load_settings

UNRELEASED = "# Changelog\n\n## Unreleased\n\n## 0.1.0 (2026-01-01)\n\n- first\n"


@pytest.fixture
def contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed schema that is current, a released one with one more field, a changelog."""
    sdl = schema_sdl(load_settings({}))
    (tmp_path / "schema.graphql").write_text(sdl, encoding="utf-8")
    released = sdl.replace("type Query {\n", "type Query {\n  retiredField: Int\n", 1)
    (tmp_path / "schema.released.graphql").write_text(released, encoding="utf-8")
    (tmp_path / "CHANGELOG.md").write_text(UNRELEASED, encoding="utf-8")
    monkeypatch.setattr(core, "COMMITTED_SCHEMA", tmp_path / "schema.graphql")
    monkeypatch.setattr(core, "RELEASED_SCHEMA", tmp_path / "schema.released.graphql")
    monkeypatch.setattr(core, "CHANGELOG", tmp_path / "CHANGELOG.md")
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(core.schema_group, list(args), env={"SMECREDIT_ENV": "dev"})
    return result.exit_code, result.output


def test_an_unannounced_breaking_change_fails_with_the_line_to_paste(contract: Path) -> None:
    code, out = _run("changes")
    assert code == 1
    assert "- BREAKING: Field Query.retiredField was removed." in out
    code, out = _run("release", "0.2.0")
    assert code == 1 and "announce these in CHANGELOG.md first" in out
    assert "retiredField" in (contract / "schema.released.graphql").read_text(encoding="utf-8")


def test_release_moves_the_baseline_and_the_changelog(contract: Path) -> None:
    changelog = contract / "CHANGELOG.md"
    changelog.write_text(
        UNRELEASED.replace(
            "## Unreleased\n",
            "## Unreleased\n\n- BREAKING: Field Query.retiredField was removed. — gone\n",
        ),
        encoding="utf-8",
    )
    assert _run("changes")[0] == 0
    code, out = _run("release", "0.2.0")
    assert code == 0, out
    committed = (contract / "schema.graphql").read_text(encoding="utf-8")
    assert (contract / "schema.released.graphql").read_text(encoding="utf-8") == committed
    text = changelog.read_text(encoding="utf-8")
    assert text.index("## Unreleased") < text.index("## 0.2.0 (") < text.index("retiredField")
    code, out = _run("changes")
    assert code == 0 and "no change since the released schema" in out
