"""Helpers for tests of mutations, which answer Result unions (docs/graphql.md#errors).

A refusal of a business rule (wrong password, a spent code, a taken user name) is a member
of the mutation's ``<Name>Result`` union carrying ``code``; a caller who is not signed in,
or an argument refused at the boundary, still meets a top-level error. :func:`error_code`
reads either; :func:`answer` and :func:`refusal` insist on one of the two outcomes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ERRORS",
    "answer",
    "error_code",
    "error_detail",
    "error_message",
    "on",
    "on_typed",
    "refusal",
]

#: The selection of a business error inside a result union.
ERRORS = "... on BusinessError { __typename code message detail }"


def on(type_name: str, fields: str) -> str:
    """The selection of a result union: ``fields`` on the payload, the error's code else."""
    return f"{{ ... on {type_name} {{ {fields} }} {ERRORS} }}"


def on_typed(type_name: str, fields: str) -> str:
    """:func:`on` with the answer's ``__typename`` (to tell a payload from a refusal)."""
    return f"{{ __typename ... on {type_name} {{ {fields} }} {ERRORS} }}"


def _refusal(body: dict[str, Any]) -> dict[str, Any] | None:
    errors = body.get("errors") or []
    if errors:
        error = errors[0]
        return {
            "code": (error.get("extensions") or {}).get("code"),
            "message": error.get("message", ""),
            "detail": (error.get("extensions") or {}).get("detail", error.get("message", "")),
        }
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict) and "code" in value:
            return value
    return None


def error_code(body: dict[str, Any]) -> str | None:
    """The code of the refusal in ``body``: a top-level error's, or a union member's."""
    refusal = _refusal(body)
    return None if refusal is None else refusal["code"]


def error_message(body: dict[str, Any]) -> str:
    """The message (in the request's language) of the refusal in ``body``."""
    refusal = _refusal(body)
    assert refusal is not None, body
    return str(refusal["message"])


def error_detail(body: dict[str, Any]) -> str:
    """The technical (English) text of the refusal in ``body``."""
    refusal = _refusal(body)
    assert refusal is not None, body
    return str(refusal["detail"])


def answer(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The payload of mutation ``field``: no GraphQL error, and not a typed refusal."""
    assert "errors" not in body, body
    data = body["data"][field]
    assert "detail" not in data, data
    return dict(data)


def refusal(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The typed error a mutation answered (its ``__typename``, ``code`` and ``message``)."""
    assert "errors" not in body, body
    data = body["data"][field]
    assert "detail" in data, data
    return dict(data)
