"""Model quality on the synthetic portfolio (fixed seed, in memory, no database).

Features come from the pure point-in-time functions, labels from the instalments after the
observation date; CatBoost must beat the scorecard, both must clear realistic AUC floors,
and shuffled labels must not be learnable.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import numpy as np
import pytest
from scoring_seed import group_portfolio
from smecredit_model_catboost.model import CatBoostModel
from smecredit_model_scorecard.model import ScorecardModel
from smecredit_source_synthetic.generator import latent_labels, observation_date

from smecredit.domain.features import (
    CATEGORICAL_FEATURES,
    compute_features,
    default_label,
    in_population,
)
from smecredit.services.scoring.training import (
    TrainingData,
    TrainingError,
    cross_validate,
    fingerprint,
    read_labelled_csv,
    train_and_validate,
)

N_FIRMS = 2000
SEED = 11
OBS = observation_date()
FAST_CATBOOST = {"iterations": 250, "learning_rate": 0.08, "depth": 4}


@pytest.fixture(scope="module")
def synthetic() -> TrainingData:
    rows, y, usccs = [], [], []
    for f in group_portfolio(N_FIRMS, SEED):
        if not in_population(f.records.get("loan", []), OBS):
            continue
        rows.append(compute_features(f.firm, f.records, OBS))
        y.append(int(default_label(f.records.get("repayment_history", []), f.records["loan"], OBS)))
        usccs.append(f.firm["uscc"])
    truth = latent_labels(N_FIRMS, seed=SEED)
    assert [int(truth[u]) for u in usccs] == y  # labels from records match the hidden draw
    return TrainingData(rows, y, CATEGORICAL_FEATURES, source="synthetic", ids=usccs)


@pytest.fixture(scope="module")
def aucs(synthetic: TrainingData) -> dict[str, float]:
    out = {}
    for model, options in ((ScorecardModel(), {}), (CatBoostModel(), FAST_CATBOOST)):
        cv = cross_validate(model, synthetic, folds=5, options=options, seed=1)
        from smecredit.domain.model_metrics import auc

        out[model.name] = auc(synthetic.y, cv.oof)
    print(f"5-fold AUC: {out}")
    return out


def test_scorecard_reaches_a_realistic_auc(aucs: dict[str, float]) -> None:
    assert aucs["scorecard"] >= 0.70


def test_catboost_reaches_075_and_beats_the_scorecard(aucs: dict[str, float]) -> None:
    assert aucs["catboost"] >= 0.75
    assert aucs["catboost"] >= aucs["scorecard"]


def test_shuffled_labels_are_not_learnable(synthetic: TrainingData) -> None:
    shuffled = list(synthetic.y)
    random.Random(5).shuffle(shuffled)
    data = TrainingData(synthetic.rows, shuffled, synthetic.categorical)
    cv = cross_validate(ScorecardModel(), data, folds=5, options={"iv_cutoff": 0.0}, seed=2)
    from smecredit.domain.model_metrics import auc

    assert 0.45 <= auc(shuffled, cv.oof) <= 0.55


def test_training_report_card_and_calibration(synthetic: TrainingData) -> None:
    result = train_and_validate(ScorecardModel(), synthetic, folds=3, seed=3)
    metrics = result.metrics
    assert len(metrics["folds"]) == 3 and metrics["scheme"] == "stratified"
    for block in [*metrics["folds"], metrics["overall"]]:
        assert 0.5 < block["auc"] <= 1 and block["gini"] == pytest.approx(
            2 * block["auc"] - 1, abs=1e-5
        )
        assert 0 < block["ks"] < 1 and 0 < block["brier"] < 0.25
    assert metrics["iv"]["bureau_inquiries_6m"] > metrics["iv"]["employees"]
    assert len(metrics["lift"]) == 10
    # calibrated mean PD matches the default rate on the training rows
    assert np.mean(result.training_scores) == pytest.approx(np.mean(synthetic.y), abs=0.02)
    card = result.card
    assert card["data"]["rows"] == len(synthetic.y) and card["limitations"]
    names = {f["code"]: f["name_zh"] for f in card["features"]}
    assert names["debt_to_asset"] == "资产负债率"
    assert result.fingerprint == fingerprint(synthetic)
    flipped = TrainingData(synthetic.rows, [1 - v for v in synthetic.y], synthetic.categorical)
    assert fingerprint(flipped) != result.fingerprint


def test_time_based_split_and_out_of_time_check(synthetic: TrainingData) -> None:
    rng = random.Random(9)
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(365)) for _ in synthetic.y]
    data = TrainingData(synthetic.rows, synthetic.y, synthetic.categorical, dates)
    result = train_and_validate(ScorecardModel(), data, folds=3)
    assert result.metrics["scheme"] == "time"
    oot = result.metrics["out_of_time"]
    assert oot["train_until"] <= oot["test_from"] and oot["auc"] > 0.6
    assert result.card["data"]["window"]["from"] == min(dates).isoformat()


def _write_bank_csv(path: Path, data: TrainingData) -> None:
    """The synthetic rows under a bank's own column names, with gaps and text labels."""
    renames = {
        "debt_to_asset": "LEV_RATIO",
        "bureau_inquiries_6m": "查询次数",
        "max_dpd": "worst_dpd",
        "late_instalments": "n_late",
        "tax_arrears_months_12m": "tax_arrear_m",
        "bureau_overdues": "bureau_od",
        "industry_section": "sector",
    }
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["loan_no", *renames.values(), "bad_flag"])
        for i, (row, label) in enumerate(zip(data.rows, data.y, strict=True)):
            cells = []
            for code in renames:
                value = row.get(code)
                cells.append("" if value is None or (i % 17 == 0 and code == "max_dpd") else value)
            writer.writerow([f"L{i:05d}", *cells, "yes" if label else "no"])


def test_training_on_an_arbitrary_labelled_csv(tmp_path: Path, synthetic: TrainingData) -> None:
    path = tmp_path / "bank_book.csv"
    _write_bank_csv(path, synthetic)
    data = read_labelled_csv(path, "bad_flag", id_column="loan_no")
    assert data.categorical == ("sector",)
    assert "loan_no" not in data.features and "bad_flag" not in data.features
    assert data.y == synthetic.y
    assert sum(r["worst_dpd"] is None for r in data.rows) > 0
    for model, options in ((CatBoostModel(), FAST_CATBOOST), (ScorecardModel(), {})):
        result = train_and_validate(model, data, folds=3, options=options)
        assert result.metrics["overall"]["auc"] >= 0.7
        p = model.predict_proba(result.artefact, data.rows[:5])
        assert all(0 < v < 1 for v in p)


def test_csv_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,maybe\n", encoding="utf-8")
    with pytest.raises(TrainingError) as missing:
        read_labelled_csv(path, "target")
    assert missing.value.code == "NO_TARGET_COLUMN"
    with pytest.raises(TrainingError) as bad:
        read_labelled_csv(path, "b")
    assert bad.value.code == "BAD_LABEL" and "line 2" in bad.value.message
