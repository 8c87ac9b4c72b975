"""Error presentation: domain errors explained with a code, the rest masked."""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import MaskErrors
from strawberry.relay.types import GlobalIDValueError

from smecredit.errors import error_code
from smecredit.graphql.documents import strip_suggestions
from smecredit.i18n import language_of, translate

__all__ = ["LAYER_CODES", "DomainAwareMaskErrors", "is_unexpected"]

log = logging.getLogger("smecredit.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors that must not be shown: anything without a stable code.

    Validation and parse errors have no ``original_error`` and are shown
    (they only echo the client's own query).
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return error_code(original) is None


#: Codes of strawberry's own input errors (they echo the client's input).
_INPUT_ERROR_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (GlobalIDValueError, "INVALID_ID"),
    (StrawberryInputCoercionError, "BAD_USER_INPUT"),
)
_INTERNAL_ERROR = "INTERNAL_ERROR"
_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"

#: The codes this layer answers itself, besides those of coded exceptions (the catalogue
#: test makes sure each has its ``errors.<CODE>`` text).
LAYER_CODES: frozenset[str] = frozenset(
    {code for _, code in _INPUT_ERROR_CODES} | {_INTERNAL_ERROR, _VALIDATION_FAILED}
)


def _input_error_code(original: BaseException | None) -> str | None:
    """Codes for strawberry's own input errors (they echo the client's input)."""
    for kind, code in _INPUT_ERROR_CODES:
        if isinstance(original, kind):
            return code
    return None


class DomainAwareMaskErrors(MaskErrors):
    """Masks unexpected errors, and gives every domain error ``extensions.code``.

    Args:
        hide_suggestions: remove "Did you mean ...?" from every message (production).
    """

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")
        self.hide_suggestions = hide_suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error in GraphQL execution", exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": _INTERNAL_ERROR}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        language = language_of(self.execution_context.context)
        for error in processed:
            if self.hide_suggestions and "Did you mean" in error.message:
                error.message = strip_suggestions(error.message)
            original = error.original_error
            code = error_code(original) or _input_error_code(original)
            if code is None and original is None:
                # Validation and parse errors, and the masked unexpected ones, carry their
                # code in extensions (or none yet: a validation error).
                code = (error.extensions or {}).get("code") or _VALIDATION_FAILED
            if code is None:
                continue
            # One catalogue for every code: the person reads the catalogued text in the
            # request's language, ``extensions.detail`` keeps the technical one (when it
            # differs from the message).
            detail = error.message
            params = getattr(original, "params", None) or {}
            error.message = translate(
                f"errors.{code}", language, {**params, "detail": detail}, default=detail
            )
            error.extensions = {**(error.extensions or {}), "code": code}
            if error.message != detail:
                error.extensions["detail"] = detail
        return processed
