"""Every strategy of the plugin honours the masking-strategy contract of smecredit.testing."""

from __future__ import annotations

from typing import Any

from smecredit_masking_cn.plugin import STRATEGIES

from smecredit.sdk import MaskingStrategy
from smecredit.testing import MaskingStrategyContract

#: Values of the kind each strategy is for (each must come out changed).
SAMPLES: dict[str, tuple[str, ...]] = {
    "id_number": ("110101199003077578", "11010119900307757X"),
    "mobile": ("13812345678", "+86 138 1234 5678"),
    "bank_card": ("6222021234567890", "6222 0212 3456 7890 123"),
    "uscc": ("91110000600037341L",),
    "person_name": ("张三", "欧阳娜娜", "John Smith"),
    "address": ("北京市朝阳区建国路88号", "广东省深圳市南山区科技园"),
    "amount": ("12345.67", "1000000"),
    "keep_first_last": ("abcdef", "张三丰"),
    "hash": ("13812345678", "x"),
    "redact": ("secret", "张三"),
}
OPTIONS: dict[str, dict[str, Any]] = {"hash": {"key": "test-key"}}


def _suite(strategy: MaskingStrategy) -> type[MaskingStrategyContract]:
    attributes = {
        "strategy": strategy,
        "samples": SAMPLES[strategy.name],
        "options": OPTIONS.get(strategy.name, {}),
    }
    return type(
        f"Test{strategy.name.title().replace('_', '')}Contract",
        (MaskingStrategyContract,),
        attributes,
    )


for _strategy in STRATEGIES:
    _cls = _suite(_strategy)
    globals()[_cls.__name__] = _cls


def test_every_strategy_has_samples() -> None:
    assert {s.name for s in STRATEGIES} == set(SAMPLES)
