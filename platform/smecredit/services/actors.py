"""Who acts when nobody is signed in: a named user account for ``--as USER`` commands.

The command line has no session. Commands that need a person's authority (four-eyes steps
such as promoting a model or deciding a weight proposal) take ``--as USERNAME`` and act as
that account, after the same check of the authorisation table as the GraphQL mutations;
unattended commands act as the platform itself (:data:`smecredit.security.operations.SYSTEM`).
"""

from __future__ import annotations

from smecredit import models
from smecredit.errors import PermissionDenied
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal

__all__ = ["acting_user"]


async def acting_user(username: str, operation: str | None = None) -> Principal:
    """The principal of the active user account ``username``.

    Args:
        username: the account (case and surrounding blanks ignored).
        operation: when given, the account must be allowed to take it.

    Raises:
        PermissionDenied: ``USER_NOT_FOUND`` for an unknown account, ``USER_DISABLED`` for
            a deactivated one, ``FORBIDDEN`` when its roles may not take ``operation``.
    """
    # Imported here: sessions pulls in the password hasher, which most commands never need.
    from smecredit.services.sessions import principal_for

    name = username.strip().lower()
    user = await models.User.get_or_none(username=name) if name else None
    if user is None:
        raise PermissionDenied(f"there is no user account {username!r}", code="USER_NOT_FOUND")
    if not user.active:
        raise PermissionDenied(f"user account {name!r} is deactivated", code="USER_DISABLED")
    actor = principal_for(user)
    if operation is not None:
        authorize(actor, operation)
    return actor
