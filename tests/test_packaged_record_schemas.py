"""``schema/records/`` is the source of truth; the package ships an identical copy.

The copy in ``platform/smecredit/data/records/`` lets an installed core, and plugin authors'
contract tests (smecredit.testing), validate records without the repository. After editing
a schema: ``cp schema/records/*.schema.json platform/smecredit/data/records/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from smecredit.sdk import RECORD_KINDS

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "schema" / "records"


def _schemas(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.schema.json"))}


def test_packaged_schemas_equal_the_source_of_truth() -> None:
    packaged = Path(str(resources.files("smecredit").joinpath("data", "records")))
    source, copy = _schemas(SOURCE), _schemas(packaged)
    assert sorted(copy) == sorted(source), "copy schema/records/*.schema.json into the package"
    stale = [name for name in source if copy[name] != source[name]]
    assert not stale, f"stale packaged schemas: {stale}; copy them from schema/records/"


def test_the_sdk_kinds_are_exactly_the_schemas() -> None:
    assert {n.removesuffix(".schema.json") for n in _schemas(SOURCE)} == set(RECORD_KINDS)
