"""The warnings catalogue: every label and message a person reads, in both languages."""

from __future__ import annotations

import json
from importlib import resources
from string import Formatter

import pytest
from smecredit_warnings_core.messages import MESSAGES
from smecredit_warnings_core.rules import RULES

from smecredit.graphql.warnings.config_types import WarningWeightMethod, WeightProposalStatus
from smecredit.graphql.warnings.types import (
    Severity,
    WarningEventKind,
    WarningScanRunStatus,
    WarningScanScope,
    WarningStatus,
    warning_message,
)
from smecredit.i18n import LANGUAGES, catalogue, has_key, label

ENUMS = {
    "warningSeverity": Severity,
    "warningStatus": WarningStatus,
    "warningEventKind": WarningEventKind,
    "warningScanRunStatus": WarningScanRunStatus,
    "warningScanScope": WarningScanScope,
    "weightProposalStatus": WeightProposalStatus,
    "warningWeightMethod": WarningWeightMethod,
}


def _file() -> dict[str, dict[str, str]]:
    path = resources.files("smecredit.i18n").joinpath("catalogues/warnings.json")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_both_languages_hold_the_same_keys_and_placeholders() -> None:
    data = _file()
    assert set(data) == set(LANGUAGES)
    assert set(data["zh-CN"]) == set(data["en"])
    for key in data["en"]:
        names = {
            lang: {f for _, f, _, _ in Formatter().parse(data[lang][key]) if f}
            for lang in LANGUAGES
        }
        if data["en"][key] != "{detail}":  # the English error text is the technical detail
            assert names["zh-CN"] == names["en"], key


@pytest.mark.parametrize("kind", sorted(ENUMS))
def test_every_enumerated_value_has_a_label_in_both_languages(kind: str) -> None:
    for member in ENUMS[kind]:
        assert has_key(f"{kind}.{member.name}"), (kind, member)
        texts = {lang: label(kind, member, lang) for lang in LANGUAGES}
        assert texts["zh-CN"] != texts["en"], (kind, member, texts)


def test_every_built_in_rule_has_its_message_in_both_languages() -> None:
    merged = catalogue()
    for rule in RULES:
        for lang in LANGUAGES:
            assert f"warningMessage.{rule.code}" in merged[lang], (rule.code, lang)
        # the same sentences as the plugin writes when it stores a warning
        assert merged["en"][f"warningMessage.{rule.code}"] == MESSAGES["en"][rule.code]
        assert merged["zh-CN"][f"warningMessage.{rule.code}"] == MESSAGES["zh-CN"][rule.code]


def test_a_warning_message_is_filled_in_the_readers_language() -> None:
    def read(language: str, value: float | None = 284.0) -> str:
        return warning_message(
            "LOAN_DPD",
            "stored",
            value=value,
            threshold=90.0,
            severity="red",
            language=language,
        )

    assert read("zh-CN") == "本行贷款已逾期284天（红色预警：逾期90天及以上）。"
    assert read("en") == "A loan is 284 days past due (Red: 90 days or more)."
    assert "暂无" in read("zh-CN", None)
    unknown = warning_message(
        "PARTNER_RULE", "as stored", value=1.0, threshold=1.0, severity="blue", language="zh-CN"
    )
    assert unknown == "as stored"  # a plugin's own rule: the scan's text


def test_the_warnings_error_codes_are_catalogued() -> None:
    for code in (
        "INCONSISTENT_JUDGEMENTS",
        "INVALID_PAIRWISE_MATRIX",
        "INVALID_WEIGHTS",
        "INVALID_THRESHOLDS",
        "UNKNOWN_RULE",
        "WRONG_GROUP",
        "SCAN_RUNNING",
        "INVALID_BACKTEST_INPUT",
        "ASSIGNEE_REQUIRED",
        "COMMENT_REQUIRED",
    ):
        assert has_key(f"errors.{code}"), code
