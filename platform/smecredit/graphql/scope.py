"""Row scope: the querysets a caller may see.

Every list and lookup starts from :func:`scoped`, so row-level security is a
filter in the SQL itself, never a post-filter of a page. The security layer
installs the real policy through :func:`set_row_scope_policy`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

__all__ = ["RowScopePolicy", "scoped", "set_row_scope_policy"]

M = TypeVar("M", bound=Model)

#: (context, model class, queryset) -> filtered queryset
RowScopePolicy = Callable[[Any, type[Model], QuerySet[Any]], QuerySet[Any]]


def _allow_all(context: Any, model: type[Model], queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


_policy: RowScopePolicy = _allow_all


def set_row_scope_policy(policy: RowScopePolicy | None) -> None:
    """Install the row-scope policy (None restores allow-all, for tests)."""
    global _policy
    _policy = policy or _allow_all


def scoped(context: Any, model: type[M]) -> QuerySet[M]:
    """All rows of ``model`` the caller in ``context`` may see."""
    return _policy(context, model, model.all())
