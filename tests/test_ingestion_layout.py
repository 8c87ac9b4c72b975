"""Guards for issue 13 item 14: ingestion is one package with one dialect helper."""

from __future__ import annotations

import re
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "platform" / "smecredit" / "services"
#: An encryption call on the person table's columns.
_PERSON_ENCRYPT = re.compile(r"encrypt_field\(\s*(PERSON_TABLE|[\"']person[\"'])")


def test_ingestion_modules_live_in_the_package() -> None:
    stray = sorted(p.name for p in SERVICES.glob("ingest*.py"))
    assert stray == []
    assert (SERVICES / "ingestion" / "__init__.py").is_file()


def test_only_the_dialect_helper_tells_the_engines_apart() -> None:
    offenders = [
        str(path.relative_to(SERVICES))
        for folder in ("ingestion", "warnings")
        for path in sorted((SERVICES / folder).rglob("*.py"))
        if any(
            marker in path.read_text(encoding="utf-8")
            for marker in ("capabilities.dialect", '== "postgres"', "pg_advisory", "::text")
        )
    ]
    assert offenders == []


def test_person_fields_are_encrypted_in_one_module() -> None:
    offenders = [
        str(path.relative_to(SERVICES))
        for path in sorted(SERVICES.rglob("*.py"))
        if path.name != "persons.py" and _PERSON_ENCRYPT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
