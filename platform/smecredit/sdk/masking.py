"""Masking (脱敏) strategies."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class MaskingStrategy(Protocol):
    """A way to hide (脱敏) a value where the reader may not see it in full.

    Plugins return instances from ``register_masking_strategies()``; the permission layer
    applies one by ``name`` when a policy decides "mask" for a field.

    Contract for implementations:

    * ``mask(None)`` returns None.
    * Idempotent: ``mask(mask(v, **o), **o) == mask(v, **o)``, so a value masked upstream
      (an export, a cache) is not mangled further.
    * Every hidden character is replaced: the output never reveals what was hidden.
    * Unknown or invalid options raise an exception with a ``code`` attribute.

    Attributes:
        name: unique strategy name, e.g. ``"mobile"``.
        description: one line for administrators choosing a strategy.
    """

    name: str
    description: str

    def mask(self, value: str | None, **options: Any) -> str | None:
        """Mask ``value`` according to ``options`` (strategy-specific, all optional)."""
        ...
