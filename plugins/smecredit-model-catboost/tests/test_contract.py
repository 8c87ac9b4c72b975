"""The CatBoost model honours the scoring-model contract of smecredit.testing."""

from __future__ import annotations

from smecredit_model_catboost.model import CatBoostModel

from smecredit.testing import ScoringModelContract


class TestCatBoostContract(ScoringModelContract):
    model = CatBoostModel()
    options = {"iterations": 60, "learning_rate": 0.2, "depth": 3}
