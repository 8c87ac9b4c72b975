"""Helpers shared by the domain types: global IDs and id parsing."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from smecredit.errors import InvalidInput, NotFound

__all__ = ["parse_global_id"]


def parse_global_id(value: GlobalID | str, expected_type: str) -> int:
    """Return the database id inside a global ID of ``expected_type``.

    Raises:
        InvalidInput: the id is malformed.
        NotFound: the id names another type (so it cannot exist here).
    """
    try:
        gid = value if isinstance(value, GlobalID) else GlobalID.from_id(value)
        node_id = int(gid.node_id)
    except Exception:
        raise InvalidInput(
            f"{str(value)[:200]!r} is not a valid {expected_type} id", code="INVALID_ID"
        ) from None
    if gid.type_name != expected_type:
        raise NotFound(f"{expected_type} {value} not found")
    return node_id


def info_context(info: Any) -> Any:
    """The request context (typed loosely so domain modules avoid an import cycle)."""
    return info.context
