"""Create and update firms with their legal representative.

Both use cases are authorised by the operations table (``firm.create`` / ``firm.update``)
and stay within the caller's branches: a branch-bound caller creates firms only in its own
branch and changes only firms it can see (a firm outside answers exactly as a missing one);
moving a firm to another branch is ``firm.transfer`` (administrators), audited with both
branches. Each runs in one transaction with its audit row.

A representative is linked by ID number. An existing person the caller may see (one who
represents a firm in the caller's branches) is updated with the name and phone given; a
person known only outside the caller's branches is never changed or revealed: the caller
gets a person record of its own, exactly as if none existed.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.identity import validate_id_number, validate_phone, validate_uscc
from smecredit.errors import Conflict, InvalidInput, NotFound
from smecredit.security.operations import authorize, authorize_in_branch
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services import audit
from smecredit.services.persons import upsert_person

__all__ = [
    "FIRM_STATUSES",
    "REQUIRED_FIELDS",
    "UNCHANGED",
    "Unchanged",
    "create_firm",
    "update_firm",
    "validate_firm_fields",
]

FIRM_STATUSES = ("active", "abnormal", "deregistered", "revoked")
#: Fields every firm has: they can be changed but never cleared.
REQUIRED_FIELDS = ("uscc", "name", "industry_code", "region_code", "branch_code", "status")


class Unchanged(enum.Enum):
    """The type of :data:`UNCHANGED`: a sentinel distinct from None ("remove it")."""

    UNCHANGED = "unchanged"


#: ``update_firm(representative=UNCHANGED)``: keep the representative (None removes it).
UNCHANGED = Unchanged.UNCHANGED
# [0-9], not \d: \d also matches full-width and Arabic-Indic digits.
_INDUSTRY_RE = re.compile(r"^[A-T][0-9]{2}$")
_REGION_RE = re.compile(r"^[0-9]{6}$")


def validate_firm_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise firm fields; raise an error naming the bad field.

    A field absent from ``data`` is not checked; ``None`` clears an optional field and is
    refused for the fields of :data:`REQUIRED_FIELDS`.
    """
    out = dict(data)
    for required in REQUIRED_FIELDS:
        if required in out and out[required] is None:
            raise InvalidInput(
                f"{required} cannot be null: every firm has one "
                "(leave it out to keep the current value)",
                code="INVALID_INPUT",
                field=required,
            )
    if "uscc" in out:
        out["uscc"] = validate_uscc(out["uscc"])
    if "name" in out:
        name = (out["name"] or "").strip()
        if not name:
            raise InvalidInput("name must not be empty", code="INVALID_INPUT", field="name")
        out["name"] = name
    if "industry_code" in out:
        code = out["industry_code"].strip().upper()
        if not _INDUSTRY_RE.match(code):
            raise InvalidInput(
                f"industry_code {out['industry_code']!r} is not a GB/T 4754 division such as C13",
                code="INVALID_INDUSTRY_CODE",
            )
        out["industry_code"] = code
    if "region_code" in out and not _REGION_RE.match(out["region_code"].strip()):
        raise InvalidInput(
            f"region_code {out['region_code']!r} must be a 6-digit GB/T 2260 code",
            code="INVALID_REGION_CODE",
        )
    if "branch_code" in out and not (out["branch_code"] or "").strip():
        raise InvalidInput(
            "branch_code must not be empty", code="INVALID_INPUT", field="branch_code"
        )
    if out.get("status") is not None and out["status"] not in FIRM_STATUSES:
        raise InvalidInput(
            f"status {out['status']!r} is not one of {', '.join(FIRM_STATUSES)}",
            code="INVALID_INPUT",
        )
    if out.get("employees") is not None and out["employees"] < 0:
        raise InvalidInput("employees must not be negative", code="INVALID_INPUT")
    capital = out.get("registered_capital")
    if capital is not None and Decimal(capital) < 0:
        raise InvalidInput("registered_capital must not be negative", code="INVALID_INPUT")
    return out


def _validate_person(data: Mapping[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput("representative name must not be empty", code="INVALID_INPUT")
    id_number = validate_id_number(data.get("id_number") or "")
    phone = validate_phone(data["phone"]) if data.get("phone") else None
    return {"name": name, "id_number": id_number, "phone": phone}


async def _link_person(data: Mapping[str, Any], actor: Principal, using: Any) -> models.Person:
    # Encryption and the blind index live in services.persons, the one Person writer; the
    # caller's scope decides which existing person (if any) it may update.
    return await upsert_person(_validate_person(data), using=using, scope=actor)


def _duplicate(uscc: str) -> Conflict:
    # The same answer whoever holds the code and wherever: no id, branch or name of it.
    return Conflict(f"a firm with USCC {uscc} already exists", code="DUPLICATE_USCC", field="uscc")


def _audit_view(firm: models.Firm) -> dict[str, Any]:
    # What the audit digest covers: the firm's own columns, never personal data.
    capital = firm.registered_capital
    return {
        "uscc": firm.uscc,
        "name": firm.name,
        "industry_code": firm.industry_code,
        "region_code": firm.region_code,
        "branch_code": firm.branch_code,
        "status": firm.status,
        "established_on": str(firm.established_on) if firm.established_on else None,
        "registered_capital": None if capital is None else str(capital),
        "employees": firm.employees,
        "representative_id": firm.representative_id,  # type: ignore[attr-defined]
    }


async def create_firm(
    data: Mapping[str, Any],
    *,
    actor: Principal,
    representative: Mapping[str, Any] | None = None,
) -> models.Firm:
    """Create a firm (and link its representative) in one transaction, audited.

    Args:
        data: the firm's fields (``uscc``, ``name``, ``industry_code``, ``region_code``,
            ``branch_code`` required).
        actor: who creates it (``firm.create``, in one of the actor's branches).
        representative: the legal representative's ``name``, ``id_number``, ``phone``.

    Raises:
        PermissionDenied: the actor may not create firms, or not in that branch.
        InvalidInput: a bad or missing field, naming it.
        Conflict: ``DUPLICATE_USCC``.
    """
    authorize(actor, "firm.create")
    fields = validate_firm_fields(data)
    for required in ("uscc", "name", "industry_code", "region_code", "branch_code"):
        if not fields.get(required):
            raise InvalidInput(f"{required} is required", code="INVALID_INPUT", field=required)
    authorize_in_branch(actor, "firm.create", fields["branch_code"])
    async with in_transaction() as conn:
        if await models.Firm.filter(uscc=fields["uscc"]).using_db(conn).exists():
            raise _duplicate(fields["uscc"])
        if representative is not None:
            fields["representative"] = await _link_person(representative, actor, conn)
        try:
            firm = await models.Firm.create(**fields, using_db=conn)
        except IntegrityError:
            raise _duplicate(fields["uscc"]) from None
        await audit.record(
            actor, "firm.create", f"Firm:{firm.id}", after=_audit_view(firm), connection=conn
        )
        return firm


async def update_firm(
    firm_id: int,
    changes: Mapping[str, Any],
    *,
    actor: Principal,
    representative: Mapping[str, Any] | Literal[Unchanged.UNCHANGED] | None = UNCHANGED,
    expected_version: int | None = None,
    label: str | None = None,
) -> models.Firm:
    """Apply ``changes`` with optimistic locking on ``version``, audited.

    Args:
        firm_id: the firm.
        changes: the fields to set; a field left out keeps its value, ``None`` clears an
            optional field (``established_on``, ``registered_capital``, ``employees``).
            A new ``branch_code`` moves the firm: that is ``firm.transfer``.
        actor: who changes the firm (``firm.update``, on a firm of the actor's branches).
        representative: the new legal representative, None to remove it, or
            :data:`UNCHANGED`.
        expected_version: the version the caller read (None: the current one).
        label: how the firm is named when it is missing (default ``Firm <id>``).

    Raises:
        PermissionDenied: the actor may not change firms, or may not move them.
        InvalidInput: a bad value, or None for a field of :data:`REQUIRED_FIELDS`.
        NotFound: no such firm, or one outside the actor's branches (the same answer).
        Conflict: the firm changed since ``expected_version``.
    """
    authorize(actor, "firm.update")
    fields = validate_firm_fields(changes)
    fields.pop("uscc", None)  # identity never changes; a new code is a new firm
    name = label or f"Firm {firm_id}"
    async with in_transaction() as conn:
        firm = await scoped_rows(actor, models.Firm).filter(id=firm_id).using_db(conn).first()
        if firm is None:
            raise NotFound(f"{name} not found")
        moving = "branch_code" in fields and fields["branch_code"] != firm.branch_code
        if moving:
            authorize(actor, "firm.transfer")
        else:
            fields.pop("branch_code", None)
        version = firm.version if expected_version is None else expected_version
        before = _audit_view(firm)
        if representative is None:
            fields["representative_id"] = None
        elif representative is not UNCHANGED:
            fields["representative_id"] = (await _link_person(representative, actor, conn)).id
        updated = (
            await models.Firm.filter(id=firm_id, version=version)
            .using_db(conn)
            .update(**fields, version=version + 1, updated_at=dt.datetime.now(dt.UTC))
        )
        if updated == 0:
            raise Conflict(
                f"{name} was changed by someone else: it is at version "
                f"{firm.version}, you expected {version}. Reload it and try again."
            )
        refreshed = await models.Firm.filter(id=firm_id).using_db(conn).first()
        assert refreshed is not None
        await audit.record(
            actor,
            "firm.transfer" if moving else "firm.update",
            f"Firm:{firm_id}",
            before=before,
            after=_audit_view(refreshed),
            connection=conn,
        )
        return refreshed
