"""The language of a request: saved preference, then ``Accept-Language``, then the default."""

from __future__ import annotations

import pytest

from smecredit.i18n import (
    DEFAULT_LANGUAGE,
    label,
    labels_of,
    language_of,
    negotiate,
    normalise_language,
    translate,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en", "en"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-TW", "zh-CN"),  # the one Chinese we have
        ("zh-Hant-HK", "zh-CN"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("en_US", "en"),
        # q-values rank, then order
        ("fr;q=1, en;q=0.5, zh;q=0.8", "zh-CN"),
        ("en;q=0.9, zh-CN", "zh-CN"),
        ("zh-CN;q=0.4, en-GB;q=0.6", "en"),
        ("en, zh", "en"),
        ("zh, en", "zh-CN"),
        ("zh;q=0.5, en;q=0.5", "zh-CN"),  # a tie keeps the header's order
        (" en-GB ; q=0.7 ,de;q=0.9", "en"),
        ("en;q=0, zh;q=0.1", "zh-CN"),  # q=0 means "not this one"
        ("*", DEFAULT_LANGUAGE),
        ("fr, de;q=0.5", DEFAULT_LANGUAGE),
    ],
)
def test_accept_language_picks_the_best_supported_language(header: str, expected: str) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    "garbage",
    [None, "", "   ", ",,,", ";q=1", "en;q=abc", "en;q=", "\x00\x01", "q=0.5", "x" * 5000, "-"],
)
def test_garbage_answers_the_default_and_never_fails(garbage: str | None) -> None:
    chosen = negotiate(garbage, default="en")
    # a broken q-value counts as 0 ("not this one"), so the default answers
    assert chosen == "en"
    assert negotiate(garbage, default="zh-CN") == "zh-CN"


def test_the_saved_preference_wins_over_the_header() -> None:
    assert negotiate("en", preference="zh-CN") == "zh-CN"
    assert negotiate("zh-CN", preference="en-GB") == "en"
    # a preference the platform does not speak is ignored, not obeyed
    assert negotiate("en", preference="fr") == "en"
    assert negotiate(None, preference=None, default="en") == "en"


def test_normalise_language() -> None:
    assert normalise_language("zh_cn") == "zh-CN"
    assert normalise_language("en-AU") == "en"
    assert normalise_language("ja") is None
    assert normalise_language(None) is None


def test_translate_fills_params_and_keeps_missing_ones() -> None:
    assert translate("errors.INVALID_INPUT", "zh-CN", {"detail": "first must be >= 0"}) == (
        "参数不合法：first must be >= 0"
    )
    assert translate("errors.INVALID_INPUT", "en", {"detail": "first must be >= 0"}) == (
        "first must be >= 0"
    )
    # a parameter not given stays as written: a translation never crashes a refusal
    assert translate("errors.INVALID_INPUT", "en") == "{detail}"
    assert translate("errors.NO_SUCH_CODE", "en", default="fallback") == "fallback"
    assert translate("errors.NO_SUCH_CODE", "en") == "errors.NO_SUCH_CODE"
    # an unsupported language reads the default language
    assert translate("errors.CONFLICT", "fr") == translate("errors.CONFLICT", DEFAULT_LANGUAGE)


def test_labels_of_a_kind_in_both_languages() -> None:
    zh = dict(labels_of("language", "zh-CN"))
    en = dict(labels_of("language", "en"))
    assert zh == {"zh-CN": "简体中文", "en": "英语"}
    assert en == {"zh-CN": "Chinese (Simplified)", "en": "English"}
    assert labels_of("noSuchKind", "en") == []
    assert label("common", "YES", "zh-CN") == "是"
    assert label("common", "NOT_CATALOGUED", "en") == "NOT_CATALOGUED"


def test_language_of_a_context() -> None:
    class Settings:
        default_language = "en"

    class Context:
        language: str | None = None
        settings = Settings()

    context = Context()
    assert language_of(context) == "en"
    context.language = "zh-CN"
    assert language_of(context) == "zh-CN"
    assert language_of(object()) == DEFAULT_LANGUAGE
