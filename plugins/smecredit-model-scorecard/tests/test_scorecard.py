"""The scorecard plugin: training, points, reasons, export, registration."""

from __future__ import annotations

import csv
import io
import json
import math
import random

import pytest
from smecredit_model_scorecard import plugin
from smecredit_model_scorecard.model import (
    ScorecardError,
    ScorecardModel,
    load_card,
    scorecard_csv,
    scorecard_table,
)

from smecredit.plugins import load_plugins
from smecredit.sdk import ModelInputError, ScoreScaling, ScoringModel, auc


def _data(n: int = 1500, seed: int = 1) -> tuple[list[dict[str, object]], list[int]]:
    rng = random.Random(seed)
    rows, y = [], []
    for _ in range(n):
        risk = rng.gauss(0, 1)
        leverage = risk + rng.gauss(0, 0.5)
        rows.append(
            {
                "leverage": leverage,
                "noise": rng.gauss(0, 1),
                "leverage_copy": leverage + rng.gauss(0, 0.01),
                "sector": rng.choice("AB") if risk < 0 else rng.choice("BCC"),
            }
        )
        y.append(int(rng.random() < 1 / (1 + math.exp(-(-2.5 + 1.5 * risk)))))
    return rows, y


def test_fit_selects_informative_uncorrelated_features_and_predicts() -> None:
    rows, y = _data()
    model = ScorecardModel()
    artefact = model.fit(rows[:1000], y[:1000], categorical=["sector"], options={"iv_cutoff": 0.1})
    card = load_card(artefact)
    assert card["iv"]["noise"] < 0.1 < card["iv"]["leverage"]
    assert "noise" not in card["features"] and "IV" in card["dropped"]["noise"]
    # of the two near-copies only one survives the correlation filter
    assert len({"leverage", "leverage_copy"} & set(card["features"])) == 1
    p = model.predict_proba(artefact, rows[1000:])
    assert auc(y[1000:], p) > 0.7
    assert all(0 < v < 1 for v in p)


def test_points_add_up_to_the_scaled_log_odds() -> None:
    rows, y = _data()
    model = ScorecardModel()
    artefact = model.fit(rows, y, categorical=["sector"], options={"pdo": 40, "base_score": 500})
    card = load_card(artefact)
    scaling = ScoreScaling(base_score=500, base_odds=50, pdo=40)
    row = rows[0]
    pd = model.predict_proba(artefact, [row])[0]
    points = 0.0
    for col in card["features"]:
        spec = card["bins"][col]
        reasons = model.explain(artefact, [row], top_n=10)[0]
        woe = next(r.contribution for r in reasons if r.feature == col) / card["coefficients"][col]
        match = min(spec["bins"], key=lambda b: abs(b["woe"] - woe))
        points += match["points"]
    assert points == pytest.approx(scaling.pd_to_score(pd), abs=0.05 * len(card["features"]))


def test_explain_orders_reasons_and_export_is_a_table() -> None:
    rows, y = _data()
    model = ScorecardModel()
    artefact = model.fit(rows, y, categorical=["sector"], options={})
    reasons = model.explain(artefact, rows[:20], top_n=2)
    assert all(len(r) == 2 and r[0].contribution >= r[1].contribution for r in reasons)
    table = scorecard_table(artefact)
    assert {r["feature"] for r in table} == set(load_card(artefact)["features"])
    parsed = list(csv.DictReader(io.StringIO(scorecard_csv(artefact))))
    assert len(parsed) == len(table) and set(parsed[0]) >= {"feature", "bin", "points"}
    json.dumps(table)  # JSON-exportable


def test_errors_carry_codes() -> None:
    model = ScorecardModel()
    with pytest.raises(ScorecardError) as one_class:
        model.fit([{"a": 1.0}, {"a": 2.0}], [0, 0], categorical=[], options={})
    assert one_class.value.code == "BAD_TRAINING_DATA"
    with pytest.raises(ScorecardError) as bad:
        model.predict_proba(b"\x00garbage", [{}])
    assert bad.value.code == "BAD_ARTEFACT"
    assert isinstance(bad.value, ModelInputError)  # the SDK's error, catchable as such


def test_plugin_registers_a_scoring_model() -> None:
    registry = load_plugins(None, extra_plugins=[plugin], entry_points=False)
    model = registry.scoring_models["scorecard"]
    assert isinstance(model, ScoringModel)


def test_export_neutralises_formula_like_text_from_training_data() -> None:
    rows, y = _data()
    hostile = '=HYPERLINK("http://evil.example","x")'
    rows = [{**r, "sector": hostile if r["sector"] == "C" else r["sector"]} for r in rows]
    artefact = ScorecardModel().fit(rows, y, categorical=["sector"], options={})
    if "sector" not in load_card(artefact)["features"]:
        pytest.skip("the sector feature was not selected")
    exported = list(csv.reader(io.StringIO(scorecard_csv(artefact))))
    cells = [cell for row in exported for cell in row]
    assert "'" + hostile in cells and hostile not in cells
    assert any(row["bin"] == hostile for row in scorecard_table(artefact))  # data unchanged
