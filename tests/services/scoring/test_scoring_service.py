"""Scoring end to end on the database: book training data, registry, scoring, monitoring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from scoring_seed import seed_synthetic
from smecredit_model_catboost.model import CatBoostModel
from smecredit_model_scorecard.model import ScorecardModel
from smecredit_source_synthetic.generator import DEFAULT_AS_OF, observation_date
from tortoise import connections

from smecredit import models
from smecredit.domain.errors import ReasonRequired
from smecredit.domain.features import compute_features
from smecredit.domain.four_eyes import FourEyesViolation
from smecredit.errors import NotFound, PermissionDenied
from smecredit.security.principal import Principal
from smecredit.services.scoring import monitoring, registry, scoring
from smecredit.services.scoring.features import book_training_data, feature_rows
from smecredit.services.scoring.training import train_and_validate

pytestmark = pytest.mark.anyio

N_FIRMS = 400
OBS = observation_date()
AVAILABLE = {"scorecard": ScorecardModel(), "catboost": CatBoostModel()}
FAST = {"iterations": 80, "learning_rate": 0.1, "depth": 3}
ANALYST = Principal(1, "ana", ("risk_analyst",), "HQ")
OFFICER = Principal(2, "oli", ("loan_officer",), "HQ")
TRAINER = Principal(3, "tom", ("risk_analyst",), "HQ")


async def _trained(name: str, options: dict[str, Any] | None = None) -> models.ModelVersion:
    data = await book_training_data([OBS])
    result = train_and_validate(AVAILABLE[name], data, folds=3, options=options)
    return await registry.register_version(name, result, created_by=TRAINER.username)


async def test_book_features_match_the_pure_functions_with_few_queries(db: Any) -> None:
    ids, firms = await seed_synthetic(60, seed=3)
    conn = connections.get("default")
    calls = 0
    original = conn.execute_query

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)

    conn.execute_query = counting  # type: ignore[method-assign]
    try:
        rows = await feature_rows(list(ids.values()), OBS)
    finally:
        conn.execute_query = original  # type: ignore[method-assign]
    assert calls <= 7  # the firm table and six evidence tables, once each
    for f in firms:
        assert rows[ids[f.firm["uscc"]]] == compute_features(f.firm, f.records, OBS)


async def test_train_register_promote_score_and_monitor(db: Any) -> None:
    ids, _ = await seed_synthetic(N_FIRMS, seed=5)
    data = await book_training_data([OBS])
    assert data.source == "book" and 0 < sum(data.y) < len(data.y)

    with pytest.raises(scoring.ScoringUnavailable):
        await scoring.score_firm(next(iter(ids.values())), DEFAULT_AS_OF, available=AVAILABLE)

    card_version = await _trained("scorecard")
    boost_version = await _trained("catboost", FAST)
    assert (card_version.version, card_version.status) == ("v1", "candidate")
    assert len(card_version.training_fingerprint) == 64
    assert card_version.metrics["overall"]["auc"] > 0.6

    with pytest.raises(PermissionDenied):
        await registry.promote(card_version.id, actor=OFFICER)
    # four eyes: a reason, and someone other than the trainer
    with pytest.raises(ReasonRequired):
        await registry.promote(card_version.id, actor=ANALYST, reason="  ")
    with pytest.raises(FourEyesViolation) as own:
        await registry.promote(card_version.id, actor=TRAINER, reason="my model")
    assert own.value.code == "FOUR_EYES" and "trainer-promotes" in str(own.value)
    assert (await models.ModelVersion.get(id=card_version.id)).status == "candidate"
    # the synthetic book's features are strong by design: the leakage guard flags them
    assert card_version.leakage_flags and boost_version.leakage_flags
    await registry.promote(
        card_version.id, actor=ANALYST, reason="first model", acknowledge_leakage=True
    )
    await registry.promote(
        boost_version.id, to="challenger", actor=ANALYST, reason="shadow", acknowledge_leakage=True
    )
    assert (await registry.champion("application")).id == card_version.id  # type: ignore[union-attr]

    firm_id = next(iter(ids.values()))
    score = await scoring.score_firm(firm_id, DEFAULT_AS_OF, available=AVAILABLE)
    assert 0 < score.probability_of_default < 1 and score.grade in "ABCDEFG"
    assert score.points == round(scoring.SCALING.pd_to_score(score.probability_of_default))
    stored = await models.Score.filter(firm_id=firm_id).first()
    assert stored is not None and stored.model_name == "scorecard"
    for reason in score.reasons:
        assert reason["contribution"] > 0 and reason["name_zh"] and reason["text_en"]
    with pytest.raises(NotFound):
        await scoring.score_firm(10**9, DEFAULT_AS_OF, available=AVAILABLE)

    application = await scoring.score_application(
        firm_id, Decimal("500000.00"), as_of=DEFAULT_AS_OF, available=AVAILABLE
    )
    assert Decimal("0") <= application.suggested_limit <= Decimal("500000.00")
    low, high = application.price_band
    assert low <= high  # equal when the firm's cost of risk reaches the grade's ceiling
    assert application.policy_version == 0 and application.record_id is not None

    seen: list[tuple[int, int]] = []
    done = await scoring.score_all(
        DEFAULT_AS_OF,
        batch_size=150,
        available=AVAILABLE,
        progress=lambda a, b: seen.append((a, b)),
    )
    assert done == N_FIRMS and seen[-1] == (N_FIRMS, N_FIRMS) and len(seen) == 3
    shadow = await models.Score.filter(model_name="catboost").count()
    assert shadow == N_FIRMS  # the challenger is scored in shadow

    drift = await monitoring.model_drift(card_version.id, as_of=DEFAULT_AS_OF)
    assert drift["scored"] == N_FIRMS and drift["psi"] is not None and drift["psi"] >= 0
    assert drift["band"] in ("stable", "investigate", "shifted")
    assert "debt_to_asset" in drift["csi"]
    scored_early, basis = await monitoring.backtest(card_version.id, dt.date.today())
    in_default_today = N_FIRMS - sum(row["count"] for row in scored_early)
    assert basis == "stored" and 0 < in_default_today < N_FIRMS // 4  # the book's defaulters

    # a new champion retires the old one; rollback restores it
    await registry.promote(boost_version.id, actor=ANALYST, reason="better")
    await card_version.refresh_from_db()
    assert card_version.status == "retired"
    restored = await registry.rollback("application", actor=ANALYST, reason="drift")
    assert restored.id == card_version.id
    await boost_version.refresh_from_db()
    assert boost_version.status == "retired"
    history = await models.ModelPromotion.filter(model_version_id=card_version.id).order_by("id")
    assert [h.to_status for h in history] == ["champion", "retired", "champion"]
    changes = await models.AuditLog.filter(action__startswith="model.").exclude(
        action="model.acknowledge_leakage"
    )
    assert len(changes) == len(await models.ModelPromotion.all())
    assert await models.AuditLog.filter(action="model.acknowledge_leakage").count() == 2


def test_a_plugin_features_reason_keeps_the_sentence_the_model_gave() -> None:
    from smecredit.sdk import Reason
    from smecredit.services.scoring.scoring import reason_dicts

    own, core = reason_dicts(
        [
            Reason("plugin_signal", 3, 0.4, "supplier churn is high"),
            Reason("employees", 3, 0.2, "ignored: the core names its features"),
        ]
    )
    assert own["description"] == "supplier churn is high"
    assert "description" not in core and core["name_en"] == "Number of employees"
