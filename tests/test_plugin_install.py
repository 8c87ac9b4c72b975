"""End to end: a plugin built as a wheel and pip-installed is discovered with no core change.

This is what an integrator does (docs/plugins.md): write a pyproject with an entry point in
the ``smecredit`` group, build, ``pip install``, run ``smecredit plugins list``. The plugin is
installed into the running virtualenv and always uninstalled afterwards.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.3.1"
description = "throwaway smecredit plugin built by the test suite"
requires-python = ">=3.11"
dependencies = ["smecredit"]

[project.entry-points.smecredit]
{entry} = "{module}"

[tool.setuptools]
py-modules = ["{module}"]
"""

MODULE = '''\
"""A data source contributed by a separately installed distribution."""

from __future__ import annotations

from smecredit.sdk import SourceRecord, hookimpl

SMECREDIT_SDK = "1.0"


class ThrowawaySource:
    name = "{entry}"
    description = "installed by the test suite"
    record_kinds = ("firm",)
    incremental = False
    needs_consent = False
    settings_schema = {{"type": "object"}}

    async def fetch(self, request):
        yield SourceRecord("firm", {{}}, "0", "nowhere")


@hookimpl
def register_data_sources():
    return [ThrowawaySource()]
'''

LIST_PLUGINS = "import sys; from smecredit.cli import main; sys.argv[0] = 'smecredit'; main()"
SHOW_SOURCES = (
    "from smecredit.plugins import load_plugins; from smecredit.settings import load_settings; "
    "print(sorted(load_plugins(load_settings()).data_sources))"
)


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_an_installed_wheel_is_discovered_through_its_entry_point(tmp_path: Path) -> None:
    suffix = secrets.token_hex(4)
    dist, entry = f"smecredit-test-throwaway-{suffix}", f"throwaway_{suffix}"
    module = f"smecredit_test_throwaway_{suffix}"
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT.format(dist=dist, entry=entry, module=module))
    (project / f"{module}.py").write_text(textwrap.dedent(MODULE.format(entry=entry)))

    built = _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(project))
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    try:
        installed = _pip("install", "--no-deps", str(wheel))
        assert installed.returncode == 0, installed.stderr

        listed = subprocess.run(
            [sys.executable, "-c", LIST_PLUGINS, "plugins", "list", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        plugins = {p["name"]: p for p in json.loads(listed.stdout)}
        assert plugins[entry] == {
            "name": entry,
            "version": "0.3.1",
            "distribution": dist,
            "hooks": ["register_data_sources"],
            "status": "active",
            "error": None,
        }
        sources = subprocess.run(
            [sys.executable, "-c", SHOW_SOURCES], capture_output=True, text=True, check=True
        )
        assert entry in sources.stdout
    finally:
        removed = _pip("uninstall", "--yes", dist)
        assert removed.returncode == 0, removed.stderr

    after = subprocess.run(
        [sys.executable, "-c", LIST_PLUGINS, "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert entry not in {p["name"] for p in json.loads(after.stdout)}
