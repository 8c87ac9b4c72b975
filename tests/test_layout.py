"""Guards for the repository layout (DESIGN.md)."""

from __future__ import annotations

import ast
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


CORE = ROOT / "platform" / "smecredit"

#: Modules allowed to catch ``ImportError``: shims for an optional dependency, by path
#: (relative to ``platform/smecredit``) -> the dependency. Audit, policy and command code
#: never guards an import: a missing module must stop the platform, not skip its audit.
OPTIONAL_DEPENDENCY_SHIMS: dict[str, str] = {}


def _modules(folder: Path) -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(CORE)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(folder.rglob("*.py"))
    ]


def _imported(tree: ast.Module) -> set[str]:
    """Every module ``tree`` imports, at the top or inside a function (dotted names)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_no_service_imports_the_plugin_loader() -> None:
    # Services are handed the application's registry (or its objects); see plugin_host.
    offenders = [
        path
        for path, tree in _modules(CORE / "services")
        if any(_within(name, "smecredit.plugins") for name in _imported(tree))
    ]
    assert offenders == []


def test_security_imports_nothing_from_graphql() -> None:
    offenders = [
        f"{path}: {name}"
        for path, tree in _modules(CORE / "security")
        for name in sorted(_imported(tree))
        if _within(name, "smecredit.graphql") or _within(name, "strawberry")
    ]
    assert offenders == []


def _catches_import_error(node: ast.AST) -> bool:
    caught = {"ImportError", "ModuleNotFoundError"}
    if isinstance(node, ast.ExceptHandler) and node.type is not None:
        types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        return any(isinstance(t, ast.Name) and t.id in caught for t in types)
    if isinstance(node, ast.Call):  # contextlib.suppress(ImportError)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return name == "suppress" and any(
            isinstance(a, ast.Name) and a.id in caught for a in node.args
        )
    return False


def test_no_import_error_guard_outside_the_listed_shims() -> None:
    offenders = [
        f"{path}:{node.lineno}"
        for path, tree in _modules(CORE)
        if path not in OPTIONAL_DEPENDENCY_SHIMS
        for node in ast.walk(tree)
        if _catches_import_error(node)
    ]
    assert offenders == []


def test_the_import_error_check_finds_a_guard() -> None:
    # The check above must be able to fail.
    guarded = ast.parse(
        "try:\n    import x\nexcept (ValueError, ImportError):\n    pass\n"
        "with contextlib.suppress(ModuleNotFoundError):\n    import y\n"
    )
    assert sum(_catches_import_error(node) for node in ast.walk(guarded)) == 2


#: The names of the private "who is calling" helpers that once sat beside each resolver
#: group; :func:`smecredit.security.caller.caller` answers for all of them.
_CALLER_HELPERS = {"require_role", "_user", "_require_role", "_actor", "_require"}


def test_one_place_asks_who_is_calling() -> None:
    offenders = [
        f"{path}:{node.lineno} {node.name}"
        for folder in ("graphql", "services")
        for path, tree in _modules(CORE / folder)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (
            node.name in _CALLER_HELPERS
            or (node.name == "require_user" and path != "graphql/auth.py")
        )
    ]
    assert offenders == []
