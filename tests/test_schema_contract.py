"""The committed schema/schema.graphql must match the code (no drift)."""

from __future__ import annotations

from pathlib import Path

from smecredit.graphql.schema import schema_sdl
from smecredit.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_matches_code() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema_sdl(load_settings({})), (
        "schema/schema.graphql is stale: run `smecredit schema export` and commit the result"
    )
