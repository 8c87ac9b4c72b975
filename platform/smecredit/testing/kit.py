"""Helpers shared by the contract suites: loading plugins, checking protocol members."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from smecredit.plugins import PluginRegistry, load_plugins
from smecredit.sdk import required_members

__all__ = [
    "CODE_RE",
    "NAME_RE",
    "assert_coded",
    "assert_implements",
    "close",
    "plugin_manager_for",
    "raised",
    "skip",
]

#: Names of registered objects (sources, models, strategies): lower_snake_case.
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: Error and rule codes: UPPER_SNAKE_CASE.
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def plugin_manager_for(*plugins: object, settings: Any = None) -> PluginRegistry:
    """Load ``plugins`` (modules or objects with hookimpls) like the platform does.

    Installed entry points are ignored, so the result depends only on ``plugins``.

    Returns:
        The :class:`~smecredit.plugins.PluginRegistry`; ``registry.plugins`` shows each
        plugin's status and error, ``registry.manager`` is the pluggy manager.
    """
    return load_plugins(settings, extra_plugins=plugins, entry_points=False)


def assert_implements(obj: object, protocol: type) -> None:
    """Fail unless ``obj`` has every required member of ``protocol`` (as the loader checks)."""
    missing = [name for name in required_members(protocol) if not hasattr(obj, name)]
    assert not missing, (
        f"{obj!r} lacks {', '.join(missing)} required by smecredit.sdk.{protocol.__name__}"
    )


def assert_coded(error: BaseException) -> None:
    """Fail unless ``error`` carries an UPPER_SNAKE ``code`` the core can report."""
    code = getattr(error, "code", None)
    assert isinstance(code, str) and CODE_RE.match(code), (
        f"{type(error).__name__} needs an UPPER_SNAKE code attribute, has {code!r}"
    )


def raised(call: Callable[[], object]) -> BaseException:
    """The exception ``call`` raises; fails when it returns normally.

    (The suites avoid importing pytest at module level: installing the platform does not
    install pytest.)
    """
    try:
        call()
    except Exception as error:  # any exception: the caller checks what it carries
        return error
    raise AssertionError(f"{call!r} did not raise")


def close(a: Sequence[float], b: Sequence[float], tolerance: float = 1e-6) -> bool:
    """Whether two sequences of numbers are equal up to ``tolerance`` (relative or absolute)."""
    return len(a) == len(b) and all(
        math.isclose(float(x), float(y), rel_tol=tolerance, abs_tol=tolerance)
        for x, y in zip(a, b, strict=True)
    )


def skip(reason: str) -> NoReturn:
    """Skip the running test (pytest is imported only when a suite skips)."""
    import pytest

    pytest.skip(reason)
