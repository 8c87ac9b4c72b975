"""The message catalogue: both languages cover every rule with the same placeholders."""

from __future__ import annotations

import string

import pytest
from smecredit_warnings_core.messages import (
    LANGUAGE_SETTING,
    LANGUAGES,
    LEVEL_NAMES,
    MESSAGES,
    message_language,
    normalize_language,
    render,
)
from smecredit_warnings_core.rules import RULES, rule_by_code


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_every_rule_has_one() -> None:
    assert set(MESSAGES) == set(LANGUAGES) == set(LEVEL_NAMES)
    keys = {lang: set(MESSAGES[lang]) for lang in LANGUAGES}
    assert keys["en"] == keys["zh-CN"] == {r.code for r in RULES}
    assert set(LEVEL_NAMES["en"]) == set(LEVEL_NAMES["zh-CN"])


def test_both_languages_use_the_same_placeholders() -> None:
    for code, template in MESSAGES["en"].items():
        assert _fields(template) == _fields(MESSAGES["zh-CN"][code]), code
        assert _fields(template) <= {"value", "level", "threshold"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rule_explains_itself_at_every_level(language: str) -> None:
    for rule in RULES:
        for level in range(5):
            text = rule.explain(12.5, level, language=language)
            assert text and "{" not in text
        assert rule.explain(None, 2, language=language)


def test_the_chinese_message_reads_in_chinese() -> None:
    rule = rule_by_code("LOAN_DPD")
    assert rule.explain(284.0, 4, language="zh-CN") == (
        "本行贷款已逾期284天（红色预警：逾期90天及以上）。"
    )
    assert rule.explain(284.0, 4, language="en") == (
        "A loan is 284 days past due (red: 90 days or more)."
    )
    assert render(
        "ABNORMAL_OPERATION", value=None, level="orange", threshold=1.0, language="zh"
    ) == ("企业已被市场监管部门列入经营异常名录（橙色预警）。")


def test_the_setting_chooses_the_language_when_no_argument_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert message_language({}) == "en"
    assert message_language({LANGUAGE_SETTING: "zh_CN"}) == "zh-CN"
    assert normalize_language("fr") == "en"
    monkeypatch.setenv(LANGUAGE_SETTING, "zh-CN")
    assert rule_by_code("LOAN_DPD").explain(45.0, 2).startswith("本行贷款已逾期45天")
    assert rule_by_code("LOAN_DPD").explain(45.0, 2, language="en").startswith("A loan is 45")
