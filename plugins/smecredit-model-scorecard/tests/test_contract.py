"""The scorecard honours the scoring-model contract of smecredit.testing."""

from __future__ import annotations

from smecredit_model_scorecard.model import ScorecardModel

from smecredit.testing import ScoringModelContract


class TestScorecardContract(ScoringModelContract):
    model = ScorecardModel()
