"""Row scope: which branches' rows a caller sees and acts on, as a filter in the SQL itself.

* Anonymous callers see no rows.
* Head office (branch ``HQ``, which includes the platform's own ``system`` principal) and
  roles granted ``p, <role>, *, rows, all_branches, allow`` see every branch.
* Everyone else sees the rows of their own branch: ``branch_code`` on the row, on its firm
  (warnings, scores, evidence, consents) or on its loan; persons through the firms they
  represent.
* Partners are institutions whose users carry the institution's code as their branch: they
  see the firms (and loans) booked under that code, i.e. the firms they supplied. This is a
  simplification of "firms the partner has a consent or data relationship with".

Models with no path to a branch (products, policy rules, ...) are not filtered here.
GraphQL reads go through :func:`scoped` (the caller of a request's context), services
through :func:`scoped_rows`: the same filter.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from smecredit.security.policy import get_policy_store

__all__ = ["branch_filter", "scoped", "scoped_rows", "visible_branches"]

M = TypeVar("M", bound=Model)


def visible_branches(principal: Any) -> list[str] | None:
    """Branch codes the caller sees: None for all, [] for none."""
    if principal is None:
        return []
    if get_policy_store().sees_all_branches(principal):
        return None
    return [principal.branch_code]


def branch_filter(model: type[Model]) -> str | None:
    """The lookup that leads from ``model`` to a branch code (None: not branch-bound)."""
    meta = model._meta
    if "branch_code" in meta.fields_map:
        return "branch_code"
    if model._meta.db_table == "person":
        return "represented_firms__branch_code"
    for relation in ("firm", "loan"):
        if relation in meta.fk_fields:
            return f"{relation}__branch_code"
    return None


def scoped_rows(principal: Any, model: type[M], queryset: QuerySet[M] | None = None) -> QuerySet[M]:
    """The rows of ``model`` (or of ``queryset``) that ``principal`` may see.

    Args:
        principal: the caller (None: anonymous, sees nothing branch-bound).
        model: the model.
        queryset: a queryset of ``model`` to narrow (default ``model.all()``).
    """
    queryset = model.all() if queryset is None else queryset
    lookup = branch_filter(model)
    if lookup is None:
        return queryset
    branches = visible_branches(principal)
    if branches is None:
        return queryset
    if not branches:
        return queryset.filter(pk__in=[])
    filtered = queryset.filter(**{f"{lookup}__in": branches})
    # A person may represent several firms of the branch: one row each without DISTINCT.
    return filtered.distinct() if lookup.startswith("represented") else filtered


def scoped(context: Any, model: type[M]) -> QuerySet[M]:
    """All rows of ``model`` the caller of ``context`` (a request's context) may see.

    Every resolver's list and lookup starts here, so row-level security is a filter in the
    SQL itself, never a post-filter of a page.
    """
    return scoped_rows(getattr(context, "user", None), model)
