"""Who is calling: the authenticated principal carried in every request context."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HEAD_OFFICE", "ROLES", "Principal"]

#: Branch code of head office: its users see every branch.
HEAD_OFFICE = "HQ"

#: The platform's roles (fixtures seed them; admins may add more).
ROLES = (
    "admin",
    "loan_officer",
    "risk_analyst",
    "approver",
    "credit_committee",
    "compliance_auditor",
    "partner",
    "viewer",
)


@dataclass(frozen=True)
class Principal:
    """An authenticated user as seen by resolvers and services.

    Attributes:
        user_id: database id of the user.
        username: login name (unique).
        roles: role names (Casbin subjects).
        branch_code: the user's branch; ``HQ`` sees all branches.
        mfa_verified: the session passed a second factor.
        session_id: database id of the session (None for internal/system calls).
        language: the user's saved language preference (``zh-CN``, ``en``), None when the
            request's ``Accept-Language`` decides.
    """

    user_id: int
    username: str
    roles: tuple[str, ...]
    branch_code: str
    mfa_verified: bool = False
    session_id: int | None = None
    language: str | None = None

    @property
    def is_head_office(self) -> bool:
        """True when the user may see every branch."""
        return self.branch_code == HEAD_OFFICE

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of ``roles``."""
        return any(role in self.roles for role in roles)
