"""Entry-point module of the scorecard model (entry point group ``smecredit``)."""

from __future__ import annotations

from smecredit.sdk import ScoringModel, hookimpl
from smecredit_model_scorecard.model import ScorecardModel

__all__ = ["SMECREDIT_SDK", "register_scoring_models"]

#: The smecredit SDK version this plugin is written against.
SMECREDIT_SDK = "1.1"  # uses the SDK's model-input helpers (1.1)


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    """The logistic-regression scorecard."""
    return [ScorecardModel()]
