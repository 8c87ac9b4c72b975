"""The synthetic default is learnable from pre-observation records, but not trivially.

Features are computed only from records dated on or before the observation date; the label
only from repayment histories after it. A plain logistic regression (numpy IRLS) must land
in the AUC band of a realistic SME scorecard.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from smecredit_source_synthetic.generator import (
    DEFAULT_AS_OF,
    DEFAULT_DPD,
    generate_portfolio,
    latent_labels,
    observation_date,
)

N_FIRMS = 2000
OBS = observation_date(DEFAULT_AS_OF)
OBS_MONTH = f"{OBS:%Y-%m}"


def _d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _month_offset(month: str) -> int:
    """Months from ``month`` (YYYY-MM) back to the observation month (0 = same month)."""
    year, mon = (int(p) for p in month.split("-"))
    return (OBS.year * 12 + OBS.month) - (year * 12 + mon)


def _firm_features(records: dict[str, list[dict[str, Any]]]) -> tuple[list[float], bool] | None:
    """Features known at the observation date and the label after it; None for non-borrowers."""
    loans = records.get("loan", [])
    if not any(_d(x["disbursed_on"]) <= OBS < _d(x["maturity_on"]) for x in loans):
        return None
    statements = sorted(
        (s for s in records["financial_statement"] if _d(s["period_end"]) <= OBS),
        key=lambda s: s["period_end"],
    )
    latest = statements[-1]
    leverage = float(latest["total_liabilities"]) / max(float(latest["total_assets"]), 1.0)
    window = statements[-4:] if latest["period_type"] == "quarterly" else statements[-1:]
    revenue = sum(float(s["revenue"]) for s in window)
    margin = sum(float(s["net_profit"]) for s in window) / max(revenue, 1.0)

    recent = older = 0.0
    arrears_months = 0
    for tax in records["tax_record"]:
        offset = _month_offset(tax["month"])
        if 0 <= offset <= 5:
            recent += float(tax["taxable_sales"])
        elif 12 <= offset <= 17:
            older += float(tax["taxable_sales"])
        if 0 <= offset <= 11 and float(tax["arrears"]) > 0:
            arrears_months += 1
    sales_trend = math.log((recent + 1.0) / (older + 1.0))

    suits = sum(
        1
        for c in records.get("legal_case", [])
        if _d(c["case_date"]) <= OBS and c["kind"] in ("lawsuit_defendant", "enforcement")
    )
    abnormal = sum(
        1
        for e in records.get("registry_event", [])
        if _d(e["event_date"]) <= OBS and e["kind"] == "abnormal_listing"
    )
    bureau = [b for b in records["bureau_summary"] if _d(b["report_date"]) <= OBS]
    overdues = sum(b["overdue_count"] for b in bureau)
    inquiries = max(b["inquiries_6m"] for b in bureau)

    max_dpd_known = 0
    label = False
    for inst in records.get("repayment_history", []):
        due = _d(inst["due_date"])
        if due <= OBS:
            paid = _d(inst["paid_date"]) if inst["paid_date"] else None
            known = (min(paid, OBS) if paid else OBS) - due
            max_dpd_known = max(max_dpd_known, known.days)
        elif inst["days_past_due"] >= DEFAULT_DPD:
            label = True
    features = [
        leverage,
        margin,
        sales_trend,
        float(arrears_months),
        math.log1p(suits),
        float(abnormal),
        math.log1p(overdues),
        float(inquiries),
        math.log1p(max_dpd_known),
    ]
    return features, label


def _dataset(n_firms: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows: list[list[float]] = []
    labels: list[bool] = []
    usccs: list[str] = []
    current: dict[str, list[dict[str, Any]]] = defaultdict(list)
    current_uscc = ""

    def flush() -> None:
        if current_uscc:
            result = _firm_features(current)
            if result is not None:
                rows.append(result[0])
                labels.append(result[1])
                usccs.append(current_uscc)
        current.clear()

    for kind, record in generate_portfolio(n_firms, seed=seed):
        if kind == "firm":
            flush()
            current_uscc = record["uscc"]
        current[kind].append(record)
    flush()
    return np.array(rows), np.array(labels, dtype=float), usccs


def _fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 12) -> np.ndarray:
    """Newton/IRLS with a small ridge term; x already has an intercept column."""
    w = np.zeros(x.shape[1])
    ridge = 1e-3 * np.eye(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
        w -= np.linalg.solve(hessian, x.T @ (p - y) + ridge @ w)
    return w


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    i = 0
    while i < len(score):
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = y == 1
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _train_test_auc(x: np.ndarray, y: np.ndarray) -> float:
    half = len(y) // 2
    mean, std = x[:half].mean(axis=0), x[:half].std(axis=0) + 1e-9
    design = np.column_stack([np.ones(len(y)), (x - mean) / std])
    w = _fit_logistic(design[:half], y[:half])
    return _auc(design[half:] @ w, y[half:])


@pytest.fixture(scope="module")
def dataset() -> tuple[np.ndarray, np.ndarray, list[str]]:
    return _dataset(N_FIRMS, seed=7)


def test_default_rate_is_realistic(dataset: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    _, y, _ = dataset
    assert 0.05 <= y.mean() <= 0.12


def test_labels_from_records_match_the_hidden_draw(
    dataset: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    _, y, usccs = dataset
    truth = latent_labels(N_FIRMS, seed=7)
    assert [truth[u] for u in usccs] == [bool(v) for v in y]


def test_logistic_regression_reaches_a_realistic_auc(
    dataset: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    x, y, _ = dataset
    auc = _train_test_auc(x, y)
    print(f"held-out AUC = {auc:.3f}")
    assert 0.72 <= auc <= 0.93


def test_shuffled_labels_are_not_learnable(
    dataset: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    x, y, _ = dataset
    shuffled = np.random.default_rng(3).permutation(y)
    assert 0.4 <= _train_test_auc(x, shuffled) <= 0.6


def test_auc_helper_matches_definition() -> None:
    score = np.array([0.1, 0.4, 0.35, 0.8, 0.4])
    y = np.array([0, 0, 1, 1, 1], dtype=float)
    pairs = [(p, n) for p in score[y == 1] for n in score[y == 0]]
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert _auc(score, y) == pytest.approx(expected)
