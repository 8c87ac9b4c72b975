"""Entry-point module of the CatBoost model (entry point group ``smecredit``)."""

from __future__ import annotations

from smecredit.sdk import ScoringModel, hookimpl
from smecredit_model_catboost.model import CatBoostModel

__all__ = ["SMECREDIT_SDK", "register_scoring_models"]

#: The smecredit SDK version this plugin is written against.
SMECREDIT_SDK = "1.1"  # uses the SDK's model-input helpers (1.1)


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    """Gradient-boosted trees with native categorical features."""
    return [CatBoostModel()]
