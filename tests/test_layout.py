"""Guards for the repository layout (DESIGN.md)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_stdlib_platform_module_still_works_from_repo_root() -> None:
    # A repo-root platform/__init__.py would shadow the standard library module.
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert platform.system()
    out = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == platform.system()


def test_core_never_imports_a_plugin() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "platform" / "smecredit").rglob("*.py")
        if "smecredit_" in path.read_text(encoding="utf-8").replace("smecredit_test", "")
        and any(
            line.lstrip().startswith(("import smecredit_", "from smecredit_"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []


def test_plugins_import_only_the_sdk() -> None:
    bad: list[str] = []
    for path in (ROOT / "plugins").rglob("*.py"):
        if "/tests/" in str(path):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(
                ("from smecredit.", "import smecredit.")
            ) and not stripped.startswith(("from smecredit.sdk", "import smecredit.sdk")):
                bad.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert bad == []
