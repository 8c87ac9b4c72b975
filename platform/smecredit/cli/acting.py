"""Who a command acts as: the platform itself, or a named account (``--as USER``).

Every state-changing command takes an operation of the authorisation table
(:data:`smecredit.security.operations.COMMAND_OPERATIONS`). Unattended commands act as the
platform's own principal, four-eyes steps as a named, active account; both meet the same
check as the GraphQL mutations.
"""

from __future__ import annotations

import click

from smecredit.security.operations import SYSTEM, authorize
from smecredit.security.principal import Principal

__all__ = ["AS_OPTION", "as_platform"]


def as_platform(operation: str) -> Principal:
    """The platform's principal, once the table lets the platform take ``operation``.

    Raises:
        click.ClickException: the operation is not one the platform runs by itself (it
            needs a person: use ``--as USER``).
    """
    try:
        return authorize(SYSTEM, operation)
    except Exception as error:  # PermissionDenied: the table names who may
        raise click.ClickException(f"{getattr(error, 'code', 'FORBIDDEN')}: {error}") from None


#: ``--as USER``: the account a four-eyes command acts as (resolved by
#: :func:`smecredit.services.actors.acting_user`).
AS_OPTION = click.option(
    "--as",
    "acting_as",
    required=True,
    metavar="USER",
    help="The user account acting (must be active and allowed to take this step).",
)
