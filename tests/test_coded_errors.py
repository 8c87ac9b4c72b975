"""Every coded error family shares one base, so one ``except CodedError`` catches them all."""

from __future__ import annotations

import pytest

from smecredit.domain.errors import CodedError, DomainError, InvalidTransition, ReasonRequired
from smecredit.domain.errors import Forbidden as DomainForbidden
from smecredit.domain.four_eyes import FourEyesViolation
from smecredit.errors import (
    ApiError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    error_code,
)
from smecredit.errors import CodedError as ReExported
from smecredit.graphql.results import IncompleteApplication as IncompleteMember
from smecredit.graphql.results import InvalidArgument, as_business_error, error_type_for
from smecredit.plugins import PluginConflictError, PluginError
from smecredit.security.errors import SecurityError
from smecredit.services.accounts import AccountError
from smecredit.services.ingestion.runs import IngestionError
from smecredit.services.lending.errors import IncompleteApplication, RepaymentNotAllowed
from smecredit.services.scoring.training import TrainingError


class CodedLower(Exception):
    """An exception whose ``code`` is not a stable UPPER_SNAKE code."""

    code = "not-a-code"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ApiError("bad"), "BAD_REQUEST"),
        (NotFound("gone"), "NOT_FOUND"),
        (DomainError("no"), "DOMAIN_ERROR"),
        (InvalidTransition("no such step"), "INVALID_TRANSITION"),
        (IncompleteApplication(["consent"]), "INCOMPLETE_APPLICATION"),
        (SecurityError("locked", code="ACCOUNT_LOCKED"), "ACCOUNT_LOCKED"),
        (PluginError("broken"), "PLUGIN_ERROR"),
        (PluginConflictError("twice"), "PLUGIN_CONFLICT"),
        (TrainingError("TOO_FEW_ROWS", "need more rows"), "TOO_FEW_ROWS"),
        (IngestionError("UNKNOWN_SOURCE", "no such source"), "UNKNOWN_SOURCE"),
    ],
)
def test_one_except_clause_catches_every_coded_error(error: Exception, code: str) -> None:
    with pytest.raises(CodedError) as caught:
        raise error
    assert caught.value.code == code
    assert error_code(caught.value) == code
    assert caught.value.message == str(error)


def test_base_is_re_exported_and_families_keep_their_bases() -> None:
    assert ReExported is CodedError
    assert issubclass(DomainError, ValueError)  # existing ``except ValueError`` still holds
    assert not issubclass(ApiError, ValueError)


def test_api_error_keeps_message_and_details() -> None:
    error = ApiError("page too big", code="PAGE_TOO_LARGE", limit=100)
    assert error.message == "page too big"
    assert error.extensions == {"code": "PAGE_TOO_LARGE", "limit": 100}


@pytest.mark.parametrize(
    ("error", "member", "code"),
    [
        (NotFound("gone"), "NotFoundError", "NOT_FOUND"),
        (NotFound("no such run", code="RUN_NOT_FOUND"), "NotFoundError", "RUN_NOT_FOUND"),
        # a code of no entry is answered as the kind of refusal its class is
        (NotFound("brand new", code="SOMETHING_NEW"), "NotFoundError", "SOMETHING_NEW"),
        (Conflict("taken", code="ALSO_NEW"), "Conflict", "ALSO_NEW"),
        (PermissionDenied("no"), "Forbidden", "FORBIDDEN"),
        (DomainForbidden("not yours"), "Forbidden", "FORBIDDEN"),
        (InvalidTransition("no such step"), "InvalidTransition", "INVALID_TRANSITION"),
        (ReasonRequired("why?", code="IDEMPOTENCY_KEY_REQUIRED"), "ReasonRequired", None),
        (RepaymentNotAllowed("not active"), "PreconditionFailed", "PRECONDITION_FAILED"),
        (AccountError("last one", code="LAST_ADMIN"), "PreconditionFailed", "LAST_ADMIN"),
        (AccountError("taken", code="USERNAME_TAKEN"), "Conflict", "USERNAME_TAKEN"),
        (TrainingError("BAD_OPTION", "folds must be >= 2"), "InvalidArgument", "BAD_OPTION"),
        (DomainError("no"), "InvalidArgument", "DOMAIN_ERROR"),
    ],
)
def test_a_coded_error_arrives_as_its_result_union_member(
    error: Exception, member: str, code: str | None
) -> None:
    typed = as_business_error(error)
    assert type(typed).__name__ == member
    assert typed.code == (code or error_code(error))
    assert typed.detail == str(error)


def test_an_argument_error_keeps_its_field_and_an_incomplete_application_its_list() -> None:
    typed = as_business_error(InvalidInput("kind must be one of a, b", field="kind"))
    assert isinstance(typed, InvalidArgument)
    assert (typed.code, typed.field(), typed.params) == ("INVALID_INPUT", "kind", {"field": "kind"})
    assert as_business_error(InvalidInput("no field")).field() is None  # type: ignore[attr-defined]
    incomplete = as_business_error(IncompleteApplication(["consent", "evidence"]))
    assert isinstance(incomplete, IncompleteMember)
    assert incomplete.missing == ["consent", "evidence"]


@pytest.mark.parametrize("error", [ValueError("boom"), CodedLower("lower-case code")])
def test_an_uncoded_error_is_not_a_business_error(error: Exception) -> None:
    with pytest.raises(type(error)):
        as_business_error(error)


def test_the_member_of_a_code_matches_the_member_of_its_class() -> None:
    # docs/error-codes.md names the member of each code from the code alone
    for error in (NotFound("x"), RepaymentNotAllowed("x"), FourEyesViolation("x")):
        assert error_type_for(error_code(error) or "") is type(as_business_error(error))
