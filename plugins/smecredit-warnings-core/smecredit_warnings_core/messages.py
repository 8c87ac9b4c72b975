"""The rule messages in English and Simplified Chinese (one catalogue, the same keys).

A message is a ``str.format`` template with ``{value}``, ``{level}`` and ``{threshold}``;
``{level}`` is the level's name in the message's language. The language is an argument of
:func:`render` (and of ``Indicator.explain``); without one, the setting
``SMECREDIT_WARNING_LANGUAGE`` (``en`` or ``zh-CN``, default ``en``) chooses it, so a
bank can store its warnings in Chinese. Per-request languages are a later concern of the
API; a warning's message is written once, when a scan raises it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_SETTING",
    "LEVEL_NAMES",
    "MESSAGES",
    "NOT_AVAILABLE",
    "message_language",
    "normalize_language",
    "render",
]

#: The languages of the catalogue.
LANGUAGES: tuple[str, ...] = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
#: The environment setting that picks the language when no argument does.
LANGUAGE_SETTING = "SMECREDIT_WARNING_LANGUAGE"

#: Level names by language ("none" when below every threshold).
LEVEL_NAMES: Mapping[str, Mapping[str, str]] = {
    "en": {"none": "none", "blue": "blue", "yellow": "yellow", "orange": "orange", "red": "red"},
    "zh-CN": {"none": "无", "blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"},
}
#: What an unknown value reads as.
NOT_AVAILABLE: Mapping[str, str] = {"en": "n/a", "zh-CN": "暂无"}

#: language -> rule code -> template.
MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "TAX_SALES_DROP": "Taxable sales of the last 3 months are down {value}% on a year "
        "earlier ({level}: {threshold}% or more).",
        "DEBT_TO_ASSET": "Debt-to-asset ratio of the latest statement is {value} "
        "({level}: {threshold} or more).",
        "LOAN_DPD": "A loan is {value} days past due ({level}: {threshold} days or more).",
        "SCORE_DOWNGRADE": "The risk grade fell by {value} grades within the window "
        "({level}: {threshold} or more).",
        "BUREAU_OVERDUE": "The latest bureau report shows {value} overdue accounts at other "
        "lenders ({level}: {threshold} or more).",
        "EXPOSURE_CONCENTRATION": "The firm holds {value}% of the book's outstanding principal "
        "({level}: {threshold}% or more).",
        "LEGAL_ACTION": "New lawsuits as defendant, enforcements or penalties weigh {value} "
        "points (low 1, medium 2, high 3) within the window ({level}: {threshold} or more).",
        "ABNORMAL_OPERATION": "The firm is on the abnormal-operation list of the business "
        "registry ({level}).",
        "LEGAL_REP_CHANGE": "The legal representative changed {value} times within the window "
        "({level}: {threshold} or more).",
        "INDUSTRY_ALERT": "The firm's industry is on the industry alert list ({level}).",
    },
    "zh-CN": {
        "TAX_SALES_DROP": "近3个月纳税销售额较上年同期下降{value}%"
        "（{level}预警：下降{threshold}%及以上）。",
        "DEBT_TO_ASSET": "最近一期财务报表资产负债率为{value}（{level}预警：{threshold}及以上）。",
        "LOAN_DPD": "本行贷款已逾期{value}天（{level}预警：逾期{threshold}天及以上）。",
        "SCORE_DOWNGRADE": "观察期内风险等级下调{value}级（{level}预警：{threshold}级及以上）。",
        "BUREAU_OVERDUE": "最新征信报告显示他行逾期账户{value}个"
        "（{level}预警：{threshold}个及以上）。",
        "EXPOSURE_CONCENTRATION": "该企业贷款余额占全行贷款余额的{value}%（{level}预警："
        "{threshold}%及以上）。",
        "LEGAL_ACTION": "观察期内新增被诉、被执行或行政处罚共计{value}分（低1分、中2分、高3分；"
        "{level}预警：{threshold}分及以上）。",
        "ABNORMAL_OPERATION": "企业已被市场监管部门列入经营异常名录（{level}预警）。",
        "LEGAL_REP_CHANGE": "观察期内法定代表人变更{value}次（{level}预警：{threshold}次及以上）。",
        "INDUSTRY_ALERT": "企业所属行业在行业预警名单内（{level}预警）。",
    },
}


def normalize_language(language: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-cn`` ... -> ``zh-CN``; ``en*`` -> ``en``; otherwise the default."""
    text = (language or "").strip().replace("_", "-").lower()
    if text.startswith("zh"):
        return "zh-CN"
    if text.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def message_language(environ: Mapping[str, str] | None = None) -> str:
    """The language chosen by ``SMECREDIT_WARNING_LANGUAGE`` (default English)."""
    env = os.environ if environ is None else environ
    return normalize_language(env.get(LANGUAGE_SETTING))


def render(
    code: str,
    *,
    value: float | None,
    level: str,
    threshold: float | None,
    language: str | None = None,
) -> str:
    """The message of rule ``code`` at ``level`` (``none``, ``blue`` ... ``red``).

    Raises:
        KeyError: no message for ``code``.
    """
    lang = normalize_language(language) if language else message_language()
    shown = NOT_AVAILABLE[lang] if value is None else f"{value:.4g}"
    limit = "" if threshold is None else f"{threshold:g}"
    return MESSAGES[lang][code].format(
        value=shown, level=LEVEL_NAMES[lang].get(level, level), threshold=limit
    )
