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

__all__ = ["DomainAwareMaskErrors", "is_unexpected"]

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


def _input_error_code(original: BaseException | None) -> str | None:
    """Codes for strawberry's own input errors (they echo the client's input)."""
    if isinstance(original, GlobalIDValueError):
        return "INVALID_ID"
    if isinstance(original, StrawberryInputCoercionError):
        return "BAD_USER_INPUT"
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
        masked.extensions = {"code": "INTERNAL_ERROR"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        language = language_of(self.execution_context.context)
        for error in processed:
            if self.hide_suggestions and "Did you mean" in error.message:
                error.message = strip_suggestions(error.message)
            code = error_code(error.original_error) or _input_error_code(error.original_error)
            if code is not None:
                # One catalogue for every code: the person reads the catalogued text in
                # the request's language, ``extensions.detail`` keeps the technical one.
                detail = error.message
                params = getattr(error.original_error, "params", None) or {}
                error.message = translate(
                    f"errors.{code}", language, {**params, "detail": detail}, default=detail
                )
                error.extensions = {**(error.extensions or {}), "code": code}
                if error.message != detail:
                    error.extensions["detail"] = detail
            elif error.original_error is None and not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
        return processed
