"""The README's settings tables, the ``Settings`` fields and the code agree.

Every ``SMECREDIT_*`` variable named in the core and the bundled plugins has one row in the
README: a core variable in the main table and as a typed ``Settings`` field of the same name
(lower case, without the prefix), a plugin's own variable in the plugin table. The test
harness's ``SMECREDIT_TEST_*`` variables have their own table.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from smecredit.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_VARIABLE = re.compile(r"SMECREDIT_[A-Z0-9_]*[A-Z0-9]")
#: ``SMECREDIT_SDK`` is a plugin module's declared SDK version, not an environment variable.
_NOT_VARIABLES = {"SMECREDIT_SDK"}
#: Settings fields that are not one variable each.
_NOT_VARIABLE_FIELDS = {"extra"}


def _names_in(paths: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in paths:
        for match in _VARIABLE.finditer(path.read_text(encoding="utf-8")):
            # ``SMECREDIT_SIGNIN_*`` in prose names a family, not a variable.
            if path.read_text(encoding="utf-8")[match.end() : match.end() + 2] != "_*":
                names.add(match.group())
    return names - _NOT_VARIABLES


def _sources(*roots: str, tests: bool) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        for path in (ROOT / root).rglob("*"):
            if path.suffix not in (".py", "") or not path.is_file() or ".venv" in path.parts:
                continue
            # generated copies (build metadata, bytecode) are not the source
            if any(p == "__pycache__" or p.endswith(".egg-info") for p in path.parts):
                continue
            in_tests = "tests" in path.relative_to(ROOT).parts
            if in_tests == tests:
                files.append(path)
    return files


def _table(heading: str) -> dict[str, list[str]]:
    """Rows of the first table after ``heading``: variable -> (type, default, meaning)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    rows: dict[str, list[str]] = {}
    in_table = False
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            in_table = True
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
            name = cells[0].strip("`")
            if _VARIABLE.fullmatch(name):
                assert name not in rows, f"README: {name} has two rows"
                assert len(cells) == 4 and all(cells[1:]), f"README: row {name} is incomplete"
                rows[name] = cells[1:]
        elif in_table:
            break
    assert rows, f"README: no table under {heading!r}"
    return rows


def _field_variables() -> set[str]:
    return {
        "SMECREDIT_" + f.name.upper()
        for f in dataclasses.fields(Settings)
        if f.name not in _NOT_VARIABLE_FIELDS
    }


def test_every_settings_field_has_a_readme_row_and_back() -> None:
    core = set(_table("## Configuration"))
    assert core == _field_variables(), (
        f"missing in README: {sorted(_field_variables() - core)}; "
        f"no Settings field: {sorted(core - _field_variables())}"
    )


def test_every_variable_the_code_names_is_documented() -> None:
    code = _names_in(_sources("platform", "plugins", tests=False))
    documented = set(_table("## Configuration")) | set(_table("### Plugin settings"))
    assert code == documented, (
        f"read but undocumented: {sorted(code - documented)}; "
        f"documented but never read: {sorted(documented - code)}"
    )


def test_plugin_variables_are_not_core_settings() -> None:
    plugin_owned = set(_table("### Plugin settings"))
    core_code = _names_in(_sources("platform", tests=False))
    assert not plugin_owned & _field_variables()
    assert not plugin_owned & core_code, "the core reads a plugin's variable"


def test_test_harness_variables_are_documented() -> None:
    harness = set(_table("### Test-harness settings"))
    files = [*_sources("tests", "plugins", tests=True), *_sources("benchmarks", tests=False)]
    named = _names_in([*files, ROOT / ".ci" / "run", ROOT / "Makefile"])
    # every variable the harness names is a documented setting of one table or the other
    everything = harness | set(_table("## Configuration")) | set(_table("### Plugin settings"))
    assert named <= everything, f"undocumented: {sorted(named - everything)}"
    assert harness <= named, f"documented but never read: {sorted(harness - named)}"
    assert not harness & _field_variables()


def test_each_variable_sets_its_field() -> None:
    # The field of each documented variable is what load_settings fills from it: an
    # unparsed variable would leave the default in place.
    samples = {
        "SMECREDIT_HOST": ("0.0.0.0", "0.0.0.0"),
        "SMECREDIT_PORT": ("9000", 9000),
        "SMECREDIT_MAX_PAGE_SIZE": ("50", 50),
        "SMECREDIT_TLS": ("1", True),
        "SMECREDIT_MAX_BODY_BYTES": ("10", 10),
        "SMECREDIT_SIGNIN_LOCKOUT_SECONDS": ("60", 60),
        "SMECREDIT_ENCRYPTION_ACTIVE_KEY": ("k2", "k2"),
        "SMECREDIT_BLIND_INDEX_KEY": ("abc", "abc"),
    }
    for name, (raw, value) in samples.items():
        field = name.removeprefix("SMECREDIT_").lower()
        assert getattr(load_settings({name: raw}), field) == value, name


#: The only core modules that read the environment: the settings themselves and the process
#: keyring (loaded lazily, also without Settings; see security/keys.py).
_ENVIRONMENT_READERS = {"settings.py", "security/keys.py", "security/crypto.py"}
_ENVIRONMENT_READ = re.compile(r"os\.environ|getenv\(|settings\.extra\.get|settings\.extra\[")


def test_the_core_reads_settings_not_the_environment() -> None:
    core = ROOT / "platform" / "smecredit"
    readers = {
        str(path.relative_to(core))
        for path in core.rglob("*.py")
        if _ENVIRONMENT_READ.search(path.read_text(encoding="utf-8"))
    }
    assert readers <= _ENVIRONMENT_READERS, (
        f"read a typed Settings field instead: {sorted(readers - _ENVIRONMENT_READERS)}"
    )
