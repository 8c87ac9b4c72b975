"""Every built-in indicator honours the warning-rule contract of smecredit.testing."""

from __future__ import annotations

from smecredit_warnings_core.rules import RULES

from smecredit.sdk import WarningRule
from smecredit.testing import WarningRuleContract


def _suite(rule: WarningRule) -> type[WarningRuleContract]:
    name = "Test" + rule.code.title().replace("_", "") + "Contract"
    return type(name, (WarningRuleContract,), {"rule": rule})


for _rule in RULES:
    _cls = _suite(_rule)
    globals()[_cls.__name__] = _cls
