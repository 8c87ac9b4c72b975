"""Entry point of the ``smecredit-masking-cn`` plugin.

``STRATEGIES`` lists the masking strategies this plugin contributes; the pluggy hook
implementation :func:`register_masking_strategies` returns them.
"""

from __future__ import annotations

from smecredit.sdk import MaskingStrategy, hookimpl
from smecredit_masking_cn.strategies import ALL_STRATEGIES

__all__ = ["SMECREDIT_SDK", "STRATEGIES", "register_masking_strategies"]

#: The smecredit SDK version this plugin is written against.
SMECREDIT_SDK = "1.0"

STRATEGIES: list[MaskingStrategy] = list(ALL_STRATEGIES)


@hookimpl
def register_masking_strategies() -> list[MaskingStrategy]:
    """The Chinese masking strategies (phone, ID number, bank card, name, ...)."""
    return list(STRATEGIES)
