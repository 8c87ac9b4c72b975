"""The SDK's helpers for scoring-model plugins: missing values, numbers, the input error."""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit import sdk
from smecredit.errors import error_code
from smecredit.sdk import ModelInputError, as_float, is_missing


@pytest.mark.parametrize(
    "value", [None, "", math.nan, float("nan"), np.float32("nan"), np.nan, Decimal("NaN")]
)
def test_missing_values(value: Any) -> None:
    assert is_missing(value)
    assert math.isnan(as_float(value))


@pytest.mark.parametrize(
    "value", [0, 0.0, -1.5, " ", "x", "nan-ish", True, False, Decimal("2.5"), [1], {"a": 1}]
)
def test_present_values(value: Any) -> None:
    assert not is_missing(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), ("2.5", 2.5), (" 7 ", 7.0), (Decimal("1.25"), 1.25), (True, 1.0)],
)
def test_numbers_convert(value: Any, expected: float) -> None:
    assert as_float(value) == expected


@pytest.mark.parametrize("value", ["n/a", "abc", [1], {"a": 1}, object(), 10**400])
def test_what_is_not_a_number_becomes_nan(value: Any) -> None:
    assert math.isnan(as_float(value))


@given(st.floats(allow_nan=False))
def test_any_float_survives_as_itself(x: float) -> None:
    assert not is_missing(x)
    assert as_float(x) == x
    assert as_float(repr(x)) == x  # and its text form too


@given(st.text())
def test_text_is_missing_only_when_empty(text: str) -> None:
    assert is_missing(text) == (text == "")


def test_model_input_error_carries_a_code_the_core_reports() -> None:
    error = ModelInputError("BAD_TRAINING_DATA", "y needs both classes")
    assert (error.code, error.message, str(error)) == (
        "BAD_TRAINING_DATA",
        "y needs both classes",
        "y needs both classes",
    )
    assert error_code(error) == "BAD_TRAINING_DATA"  # shown to people, not masked


def test_helpers_are_public_sdk_names() -> None:
    for name in ("is_missing", "as_float", "ModelInputError"):
        assert name in sdk.__all__
        assert getattr(sdk, name).__doc__


# ------------------------------------------------------------- the package and its protocols

#: Every name smecredit.sdk exported while it was one module (SDK 1.2): plugins import them.
SDK_1_2_NAMES = {
    "RECORD_KINDS", "SDK_VERSION", "WARNING_INPUT_COLUMNS", "BinningResult",
    "ColumnarWarningRule", "DataSource", "FetchRequest", "GraphQLContribution",
    "IdentityError", "MaskingStrategy", "ModelInputError", "Operation", "OperationScope",
    "Reason", "RecordError", "ReportType", "RuleColumns", "RuleResult", "ScoreScaling",
    "ScoringModel", "SourceRecord", "WarningRule", "as_float", "auc", "authorize",
    "fit_categorical_bins", "fit_numeric_bins", "hookimpl", "id_number_check_char",
    "is_formula_like", "is_missing", "is_valid_id_number", "is_valid_uscc", "neutralise_cell",
    "neutralise_row", "require_in_scope", "select_features", "threshold_levels",
    "uscc_check_char", "validate_id_number", "validate_phone", "validate_uscc",
    "woe_transform", "yield_to_event_loop",
}  # fmt: skip


def test_the_package_still_exports_every_name_of_the_module() -> None:
    assert set(sdk.__all__) >= SDK_1_2_NAMES
    assert all(hasattr(sdk, name) for name in sdk.__all__)


@pytest.mark.parametrize(
    "topic", ["sources", "scoring", "masking", "warnings", "reports", "graphql", "plugin"]
)
def test_every_public_name_of_a_topic_module_is_exported_by_the_package(topic: str) -> None:
    module = importlib.import_module(f"smecredit.sdk.{topic}")
    assert module.__doc__
    public = getattr(module, "__all__", None) or [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]
    missing = [name for name in public if name not in sdk.__all__]
    assert not missing, f"smecredit.sdk does not export {missing} of {module.__name__}"


def test_sdk_version_is_1_4() -> None:
    assert sdk.SDK_VERSION == "1.4"


@pytest.mark.parametrize(
    ("protocol", "optional"),
    [
        (sdk.DataSource, {"raw_values": False, "consent_scope": None}),
        (sdk.ScoringModel, {"predict_and_explain": None}),
        (
            sdk.WarningRule,
            {
                "name_zh": None,
                "window_days": None,
                "default_weight": 1.0,
                "explanation": None,
                "default_params": {},
                "explain": None,
            },
        ),
        (sdk.MaskingStrategy, {}),
        (
            sdk.ReportType,
            {"description_zh": "", "description_en": "", "category": "portfolio"},
        ),
    ],
)
def test_protocols_declare_their_optional_attributes_with_defaults(
    protocol: type, optional: dict[str, Any]
) -> None:
    assert sdk.optional_members(protocol) == optional
    assert not set(optional) & set(sdk.required_members(protocol))
    for name in optional:  # documented in the protocol's docstring
        assert f"{name}: optional" in (protocol.__doc__ or ""), name


def test_columnar_rules_inherit_the_optional_attributes() -> None:
    assert sdk.optional_members(sdk.ColumnarWarningRule) == sdk.optional_members(sdk.WarningRule)
    assert "evaluate_columns" in sdk.required_members(sdk.ColumnarWarningRule)


def test_declared_answers_the_attribute_or_the_documented_default() -> None:
    class Bare:
        code = "X"

    class Full:
        window_days = 30

    assert sdk.declared(Bare(), sdk.WarningRule, "window_days") is None
    assert sdk.declared(Bare(), sdk.WarningRule, "default_weight") == 1.0
    assert sdk.declared(Full(), sdk.WarningRule, "window_days") == 30
    with pytest.raises(AttributeError, match="no optional attribute 'code'"):
        sdk.declared(Bare(), sdk.WarningRule, "code")  # required: read directly
    with pytest.raises(AttributeError):
        sdk.declared(Bare(), sdk.WarningRule, "windowdays")  # a typo is caught


def test_implements_checks_only_required_members() -> None:
    class Strategy:
        name = "x"
        description = "y"

        def mask(self, value: str | None, **options: Any) -> str | None:
            return value

    class Source:
        name = "s"
        description = "d"
        record_kinds = ("firm",)
        incremental = False
        needs_consent = False
        settings_schema: dict[str, Any] = {}  # noqa: RUF012

        def fetch(self, request: Any) -> Any:
            return None

    assert sdk.implements(Strategy(), sdk.MaskingStrategy)
    assert sdk.implements(Source(), sdk.DataSource)  # no raw_values, no consent_scope
    assert not isinstance(Source(), sdk.DataSource)  # why implements exists
    assert not sdk.implements(Strategy(), sdk.DataSource)


def test_plugin_settings_hold_only_the_plugins_own_options() -> None:
    view = sdk.plugin_settings(
        "my-bank.core",
        "test",
        {
            "SMECREDIT_PLUGIN_MY_BANK_CORE_URL": "https://x",
            "SMECREDIT_PLUGIN_MY_BANK_CORE_API_KEY": "k",
            "SMECREDIT_PLUGIN_OTHER_URL": "https://y",
            "SMECREDIT_DATABASE_URL": "postgres://secret",
        },
    )
    assert view == sdk.PluginSettings(
        plugin="my-bank.core", environment="test", options={"url": "https://x", "api_key": "k"}
    )
    assert view.data_dir is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.environment = "prod"  # type: ignore[misc]
    root = sdk.plugin_settings("p", "dev", {"SMECREDIT_DATA_DIR": "/srv/smecredit"})
    assert root.data_dir == Path("/srv/smecredit/plugins/p")


def test_the_core_reads_optional_plugin_members_only_through_declared() -> None:
    """No getattr/hasattr of an optional protocol member outside the SDK itself."""
    core = Path(sdk.__file__).parents[1]
    names = {
        name
        for protocol in (sdk.DataSource, sdk.ScoringModel, sdk.WarningRule, sdk.MaskingStrategy)
        for name in sdk.optional_members(protocol)
    }
    pattern = re.compile(r"\b(?:getattr|hasattr)\([^()]*[\"'](" + "|".join(names) + r")[\"']")
    found = [
        f"{path.relative_to(core)}:{number}: {line.strip()}"
        for path in sorted(core.rglob("*.py"))
        if path.parent.name not in ("sdk", "testing")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not found, "read these with smecredit.sdk.declared:\n" + "\n".join(found)
