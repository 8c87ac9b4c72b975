"""Create and update firms with their legal representative."""

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


async def _upsert_person(data: Mapping[str, Any], using: Any) -> models.Person:
    # Encryption and the blind index live in services.persons, the one Person writer.
    return await upsert_person(_validate_person(data), using=using)


async def create_firm(
    data: Mapping[str, Any], *, representative: Mapping[str, Any] | None = None, actor: Any = None
) -> models.Firm:
    """Create a firm (and its representative) in one transaction."""
    fields = validate_firm_fields(data)
    for required in ("uscc", "name", "industry_code", "region_code", "branch_code"):
        if not fields.get(required):
            raise InvalidInput(f"{required} is required", code="INVALID_INPUT", field=required)
    async with in_transaction() as conn:
        if await models.Firm.filter(uscc=fields["uscc"]).using_db(conn).exists():
            raise Conflict(
                f"a firm with USCC {fields['uscc']} already exists", code="DUPLICATE_USCC"
            )
        if representative is not None:
            fields["representative"] = await _upsert_person(representative, conn)
        try:
            return await models.Firm.create(**fields, using_db=conn)
        except IntegrityError:
            raise Conflict(
                f"a firm with USCC {fields['uscc']} already exists", code="DUPLICATE_USCC"
            ) from None


async def update_firm(
    firm_id: int,
    changes: Mapping[str, Any],
    *,
    representative: Mapping[str, Any] | Literal[Unchanged.UNCHANGED] | None = UNCHANGED,
    expected_version: int | None = None,
    actor: Any = None,
) -> models.Firm:
    """Apply ``changes`` with optimistic locking on ``version``.

    Args:
        firm_id: the firm.
        changes: the fields to set; a field left out keeps its value, ``None`` clears an
            optional field (``established_on``, ``registered_capital``, ``employees``).
        representative: the new legal representative, None to remove it, or
            :data:`UNCHANGED`.
        expected_version: the version the caller read (None: the current one).
        actor: who changes the firm.

    Raises:
        InvalidInput: a bad value, or None for a field of :data:`REQUIRED_FIELDS`.
        NotFound, Conflict.
    """
    fields = validate_firm_fields(changes)
    fields.pop("uscc", None)  # identity never changes; a new code is a new firm
    async with in_transaction() as conn:
        firm = await models.Firm.filter(id=firm_id).using_db(conn).first()
        if firm is None:
            raise NotFound(f"Firm {firm_id} not found")
        version = firm.version if expected_version is None else expected_version
        if representative is None:
            fields["representative_id"] = None
        elif representative is not UNCHANGED:
            fields["representative_id"] = (await _upsert_person(representative, conn)).id
        updated = (
            await models.Firm.filter(id=firm_id, version=version)
            .using_db(conn)
            .update(**fields, version=version + 1, updated_at=dt.datetime.now(dt.UTC))
        )
        if updated == 0:
            raise Conflict(
                f"Firm {firm_id} was changed by someone else: it is at version "
                f"{firm.version}, you expected {version}. Reload it and try again."
            )
        refreshed = await models.Firm.filter(id=firm_id).using_db(conn).first()
        assert refreshed is not None
        return refreshed
