"""The scoring and ingestion catalogues: both languages, every label and reason code."""

from __future__ import annotations

import enum
import json
from importlib import resources

import pytest

from smecredit.domain.features import FEATURES
from smecredit.graphql import evidence, ingestion, scoring
from smecredit.i18n import has_key, translate

NAMESPACES = ("scoring", "ingestion")

#: enum -> the catalogue kind of its labels
LABELLED: dict[type[enum.Enum], str] = {
    scoring.ModelStatus: "modelStatus",
    scoring.ModelUse: "modelUse",
    scoring.ModelAction: "modelAction",
    scoring.ScoringJobState: "scoringJobState",
    scoring.DriftBand: "driftBand",
    scoring.LeakageKind: "leakageKind",
    scoring.BacktestBasis: "backtestBasis",
    ingestion.SyncRunStatus: "syncRunStatus",
    ingestion.SyncOperation: "syncOperation",
    ingestion.RefreshJobStatus: "refreshJobStatus",
    evidence.EvidenceKind: "evidenceKind",
}


def _file(namespace: str) -> dict[str, dict[str, str]]:
    folder = resources.files("smecredit.i18n").joinpath("catalogues")
    data: dict[str, dict[str, str]] = json.loads(
        folder.joinpath(f"{namespace}.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_both_languages_hold_the_same_keys(namespace: str) -> None:
    data = _file(namespace)
    assert set(data) == {"zh-CN", "en"}
    assert set(data["zh-CN"]) == set(data["en"])
    for key, text in data["zh-CN"].items():
        assert text.strip(), key
        # a Chinese text is Chinese, unless it is a bare template such as "{value}"
        if text.replace("{", "").replace("}", "").strip(" _abcdefghijklmnopqrstuvwxyz"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), key


@pytest.mark.parametrize("kind", sorted(LABELLED.items(), key=lambda kv: kv[1]), ids=str)
def test_every_enum_value_has_a_label_in_both_languages(
    kind: tuple[type[enum.Enum], str],
) -> None:
    cls, name = kind
    for member in cls:
        key = f"{name}.{member.name}"
        assert has_key(key), key
        assert translate(key, "zh-CN") != translate(key, "en"), key


def test_every_core_feature_has_a_name_in_both_languages() -> None:
    for feature in FEATURES:
        key = f"scoringFeature.{feature.code}"
        assert translate(key, "zh-CN") == feature.name_zh
        assert translate(key, "en") == feature.name_en


@pytest.mark.parametrize(
    "code",
    [
        "UNKNOWN_MODEL",
        "NO_CHAMPION",
        "NO_PREVIOUS_CHAMPION",
        "LEAKAGE_UNACKNOWLEDGED",
        "MODEL_NOT_INSTALLED",
        "INVALID_CREDIT_POLICY",
        "GRADE_NOT_COVERED",
        "TRAINING_FAILED",
        "WINDOW_NOT_OBSERVED",
        "TOO_FEW_DEFAULTS",
        "UNKNOWN_SOURCE",
        "INVALID_SETTINGS",
        "SYNC_RUNNING",
        "FIRM_NOT_FOUND",
        "INVALID_SCOPE",
    ],
)
def test_the_areas_error_codes_are_catalogued(code: str) -> None:
    assert has_key(f"errors.{code}"), code
