"""The roles users may hold, in two languages, with what each may do.

Names, labels and descriptions come from the ``role`` table (seeded from
``fixtures/roles.json``); what a role may do comes from the authorisation table
(:func:`smecredit.security.operations.operations_of_role`), never from a second list.
Reading them is operation ``role.view`` (administrators, compliance auditors); the
operator's shell reads them as the platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from smecredit.i18n import translate
from smecredit.models.security import Role
from smecredit.security.operations import Operation, authorize, operations_of_role
from smecredit.security.principal import Principal
from smecredit.services.accounts import role_names

__all__ = ["RoleDescription", "list_roles", "operation_text"]


def operation_text(name: str, description: str, language: str | None) -> str:
    """What operation ``name`` does, in ``language`` (key ``operation.<name>``).

    An operation without a catalogued text (one a plugin registered) answers its own
    ``description``, which the table requires in English.
    """
    return translate(f"operation.{name}", language, default=description)


@dataclass(frozen=True)
class RoleDescription:
    """One role as the ``roles`` query and ``smecredit users roles`` show it.

    Attributes:
        name: the role's name (what ``createUser`` and ``setUserRoles`` take).
        label: short English name.
        label_zh: short Chinese name.
        description: what the role is for, in English.
        description_zh: the same in Chinese.
        operations: the operations of the authorisation table the role may take.
    """

    name: str
    label: str
    label_zh: str
    description: str
    description_zh: str
    operations: tuple[Operation, ...]


async def list_roles(actor: Principal) -> list[RoleDescription]:
    """Every role, by name, with its labels, descriptions and operations.

    Args:
        actor: who asks (``SYSTEM`` for the operator's CLI).

    Returns:
        The roles (the fixture roles are seeded on first use).

    Raises:
        PermissionDenied: ``FORBIDDEN`` unless the actor may take ``role.view``.
    """
    authorize(actor, "role.view")
    await role_names()  # seeds the fixture roles into an empty table
    rows = await Role.all().order_by("name")
    return [
        RoleDescription(
            name=row.name,
            label=row.label or row.name,
            label_zh=row.label_zh or row.name,
            description=row.description,
            description_zh=row.description_zh,
            operations=tuple(operations_of_role(row.name)),
        )
        for row in rows
    ]
