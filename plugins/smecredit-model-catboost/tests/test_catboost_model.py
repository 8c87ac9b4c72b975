"""The CatBoost plugin: categoricals, missing values, early stopping, SHAP, monotonicity."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from smecredit_model_catboost import plugin
from smecredit_model_catboost.model import CatBoostModel, CatBoostModelError, decode_artefact

from smecredit.plugins import load_plugins
from smecredit.sdk import ModelInputError, ScoringModel, auc

FAST = {"iterations": 150, "learning_rate": 0.1, "depth": 3, "early_stopping_rounds": 20}


def _data(n: int = 1500, seed: int = 2) -> tuple[list[dict[str, object]], list[int]]:
    rng = random.Random(seed)
    rows, y = [], []
    for _ in range(n):
        risk = rng.gauss(0, 1)
        sector = rng.choice(["risky", "safe", "safe"])
        rows.append(
            {
                "leverage": risk + rng.gauss(0, 0.7) if rng.random() > 0.15 else None,
                "noise": rng.gauss(0, 1),
                "sector": sector if rng.random() > 0.05 else None,
            }
        )
        z = -2.5 + 1.4 * risk + (1.0 if sector == "risky" else 0.0)
        y.append(int(rng.random() < 1 / (1 + math.exp(-z))))
    return rows, y


@pytest.fixture(scope="module")
def trained() -> tuple[CatBoostModel, bytes, list[dict[str, object]], list[int]]:
    rows, y = _data()
    model = CatBoostModel()
    artefact = model.fit(rows[:1000], y[:1000], categorical=["sector"], options=FAST)
    return model, artefact, rows, y


def test_learns_with_categoricals_and_missing_values(trained) -> None:  # type: ignore[no-untyped-def]
    model, artefact, rows, y = trained
    p = model.predict_proba(artefact, rows[1000:])
    assert auc(y[1000:], p) > 0.7
    header, body = decode_artefact(artefact)
    assert header["categorical"] == ["sector"] and body
    # early stopping kept at most the requested number of trees
    assert header["tree_count"] <= FAST["iterations"]
    assert model.predict_proba(artefact, []) == []


def test_shap_reasons_name_the_drivers(trained) -> None:  # type: ignore[no-untyped-def]
    model, artefact, rows, _ = trained
    risky = [r for r in rows if r["sector"] == "risky" and (r["leverage"] or 0) > 1.5][:10]
    reasons = model.explain(artefact, risky, top_n=2)
    assert all(len(r) == 2 and r[0].contribution >= r[1].contribution for r in reasons)
    drivers = {r[0].feature for r in reasons}
    assert drivers <= {"leverage", "sector"}


def test_monotone_constraint_is_respected() -> None:
    rows, y = _data(seed=3)
    numeric = [{"leverage": r["leverage"], "noise": r["noise"]} for r in rows]
    model = CatBoostModel()
    artefact = model.fit(numeric, y, categorical=[], options={**FAST, "monotone": {"leverage": 1}})
    grid = [{"leverage": x / 4, "noise": 0.0} for x in range(-12, 13)]
    p = model.predict_proba(artefact, grid)
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(p))
    with pytest.raises(CatBoostModelError) as bad:
        model.fit(numeric, y, categorical=[], options={"monotone": {"nope": 1}})
    assert bad.value.code == "BAD_OPTION"


def test_bad_input_is_refused() -> None:
    model = CatBoostModel()
    with pytest.raises(CatBoostModelError) as one_class:
        model.fit([{"a": 1.0}] * 5, [0] * 5, categorical=[], options={})
    assert one_class.value.code == "BAD_TRAINING_DATA"
    with pytest.raises(CatBoostModelError) as bad:
        model.predict_proba(b"nope", [{}])
    assert bad.value.code == "BAD_ARTEFACT"
    assert isinstance(bad.value, ModelInputError)  # the SDK's error, catchable as such


def test_plugin_registers_a_scoring_model() -> None:
    registry = load_plugins(None, extra_plugins=[plugin], entry_points=False)
    assert isinstance(registry.scoring_models["catboost"], ScoringModel)


@pytest.mark.parametrize("n", [1, 5, 300])
def test_predict_and_explain_matches_the_separate_calls(
    trained: tuple[CatBoostModel, bytes, list[dict[str, object]], list[int]], n: int
) -> None:
    model, artefact, rows, _ = trained
    sample = rows[:n]
    proba, reasons = model.predict_and_explain(artefact, sample, 2)
    assert proba == pytest.approx(model.predict_proba(artefact, sample), abs=1e-9)
    assert reasons == model.explain(artefact, sample, 2)
    for row_reasons in reasons:
        contributions = [r.contribution for r in row_reasons]
        assert contributions == sorted(contributions, reverse=True) and len(contributions) == 2
    # Every column asked for: all features, strongest push first.
    full = model.explain(artefact, sample, 10)
    assert all(len(r) == 3 for r in full)
    assert [[x.feature for x in r[:2]] for r in full] == [[x.feature for x in r] for r in reasons]


def test_small_and_large_batches_see_the_same_inputs(
    trained: tuple[CatBoostModel, bytes, list[dict[str, object]], list[int]],
) -> None:
    model, artefact, rows, _ = trained
    # Rows with missing values and a numeric given as text take both Pool builders.
    odd = [{**rows[0], "leverage": None}, {**rows[1], "sector": None}, {**rows[2], "noise": "0.5"}]
    large = model.predict_proba(artefact, odd + rows[:200])[:3]
    small = model.predict_proba(artefact, odd)
    assert small == pytest.approx(large, abs=1e-12)
