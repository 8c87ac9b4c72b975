"""The CatBoost model honours the scoring-model contract of smecredit.testing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from smecredit_model_catboost.model import CatBoostModel

from smecredit.testing import ScoringModelContract


class TestCatBoostContract(ScoringModelContract):
    model = CatBoostModel()
    options: ClassVar[Mapping[str, Any]] = {"iterations": 60, "learning_rate": 0.2, "depth": 3}
