"""The SDK's error class is the core's one coded-error base, reachable from ``smecredit.sdk``."""

from __future__ import annotations

from smecredit import errors, sdk
from smecredit.domain.errors import CodedError


def test_model_input_error_is_a_coded_error_plugins_can_catch() -> None:
    error = sdk.ModelInputError("BAD_ARTEFACT", "the artefact is unreadable")
    assert isinstance(error, CodedError)
    assert sdk.CodedError is CodedError is errors.CodedError
    assert (error.code, error.message) == ("BAD_ARTEFACT", "the artefact is unreadable")
    assert "CodedError" in sdk.__all__
