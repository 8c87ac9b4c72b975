"""Row scope for resolvers: the querysets the caller of a request may see.

Every list and lookup starts from :func:`scoped`, so row-level security is a filter in the
SQL itself, never a post-filter of a page. The rule is the security layer's
(:func:`smecredit.security.row_scope.scoped_rows`), the same one services apply.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from smecredit.security.row_scope import scoped_rows

__all__ = ["scoped"]

M = TypeVar("M", bound=Model)


def scoped(context: Any, model: type[M]) -> QuerySet[M]:
    """All rows of ``model`` the caller in ``context`` may see."""
    return scoped_rows(getattr(context, "user", None), model)
