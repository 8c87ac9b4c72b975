"""Batch scoring in worker processes gives exactly the scores of scoring in one process."""

from __future__ import annotations

from typing import Any

import pytest
from scoring_seed import seed_synthetic
from smecredit_model_catboost.model import CatBoostModel
from smecredit_source_synthetic.generator import DEFAULT_AS_OF, observation_date

from smecredit import models
from smecredit.security.principal import Principal
from smecredit.services.scoring import registry, scoring
from smecredit.services.scoring.features import book_training_data
from smecredit.services.scoring.training import train_and_validate
from smecredit.services.scoring.workers import WorkerFailed

pytestmark = pytest.mark.anyio

ANALYST = Principal(1, "ana", ("risk_analyst",), "HQ")
FAST = {"iterations": 60, "learning_rate": 0.1, "depth": 3}


async def _champion() -> models.ModelVersion:
    data = await book_training_data([observation_date()])
    result = train_and_validate(CatBoostModel(), data, folds=2, options=FAST)
    version = await registry.register_version("catboost", result, created_by="tom")
    # The synthetic book's honest features are strong (IV near 1): the guard flags them.
    await registry.promote(version.id, actor=ANALYST, reason="test", acknowledge_leakage=True)
    return version


async def _scores() -> dict[int, tuple[float, int, str, list[Any]]]:
    rows = await models.Score.all().values(
        "firm_id", "probability_of_default", "points", "grade", "reasons"
    )
    return {
        r["firm_id"]: (
            round(r["probability_of_default"], 12),
            r["points"],
            r["grade"],
            r["reasons"],
        )
        for r in rows
    }


async def test_workers_score_like_one_process(db: Any) -> None:
    await seed_synthetic(260, seed=11)
    await _champion()
    scoring.clear_version_cache()

    here = await scoring.score_all(DEFAULT_AS_OF, batch_size=50, workers=0, shadow=False)
    expected = await _scores()
    await models.Score.all().delete()

    seen: list[tuple[int, int]] = []
    spread = await scoring.score_all(
        DEFAULT_AS_OF,
        batch_size=50,
        workers=2,
        shadow=False,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert here == spread == 260
    assert await _scores() == expected
    assert await models.Score.all().count() == 260  # one score per firm, none twice
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (260, 260) and len(seen) == 6  # one report per batch


async def test_a_failing_worker_is_reported_with_its_cause(db: Any) -> None:
    await seed_synthetic(120, seed=12)
    version = await _champion()
    # The champion's model family is not installed: every worker fails its first batch.
    await models.ModelVersion.filter(id=version.id).update(name="ghost-family")
    scoring.clear_version_cache()
    with pytest.raises(WorkerFailed, match="ghost-family"):
        await scoring.score_all(DEFAULT_AS_OF, batch_size=50, workers=2, shadow=False)
    with pytest.raises(scoring.ScoringUnavailable, match="ghost-family"):
        await scoring.score_all(DEFAULT_AS_OF, batch_size=50, workers=0, shadow=False)


def test_small_books_stay_in_one_process() -> None:
    assert scoring.default_workers(firms=1000, batch_size=2000) == 0
    assert 1 <= scoring.default_workers(firms=100_000, batch_size=2000) <= scoring.MAX_WORKERS
