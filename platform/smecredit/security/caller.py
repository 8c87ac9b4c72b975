"""Who is calling: the one place that answers it, with the authorisation table.

Every resolver (through :func:`smecredit.graphql.auth.require_user` and
:func:`~smecredit.graphql.auth.require_operation`) asks :func:`caller`; nothing else reads
``context.user`` to decide whether somebody may act. The operation check is the table's
(:func:`smecredit.security.operations.authorize`), so the web layer, the services and the
command line refuse with the same words.
"""

from __future__ import annotations

from typing import Any

from smecredit.security.operations import Unauthenticated, authorize
from smecredit.security.principal import Principal

__all__ = ["caller", "signed_in"]


def caller(context: Any, operation: str | None = None) -> Principal:
    """The signed-in principal of ``context``, allowed ``operation`` when one is named.

    Args:
        context: anything with a ``user`` attribute (the GraphQL context).
        operation: an operation of :mod:`smecredit.security.operations`, or None to ask
            only that somebody is signed in.

    Raises:
        Unauthenticated: ``UNAUTHENTICATED``, nobody is signed in.
        PermissionDenied: ``FORBIDDEN``, naming the operation and the roles it needs.
    """
    user = getattr(context, "user", None)
    if not isinstance(user, Principal):
        raise Unauthenticated("sign in first")
    return user if operation is None else authorize(user, operation)


def signed_in(context: Any) -> Principal | None:
    """The signed-in principal of ``context``, or None.

    For reads that answer an anonymous caller with nothing rather than an error (e.g. the
    caller's own queues); anything that acts uses :func:`caller`.
    """
    user = getattr(context, "user", None)
    return user if isinstance(user, Principal) else None
