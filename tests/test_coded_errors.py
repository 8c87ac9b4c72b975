"""Every coded error family shares one base, so one ``except CodedError`` catches them all."""

from __future__ import annotations

import pytest

from smecredit.domain.errors import CodedError, DomainError, InvalidTransition
from smecredit.errors import ApiError, NotFound, error_code
from smecredit.errors import CodedError as ReExported
from smecredit.plugins import PluginConflictError, PluginError
from smecredit.security.errors import SecurityError
from smecredit.services.ingestion.runs import IngestionError
from smecredit.services.lending.errors import IncompleteApplication
from smecredit.services.scoring.training import TrainingError


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
