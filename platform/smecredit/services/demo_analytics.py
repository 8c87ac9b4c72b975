"""Make the demo portfolio look like a running book: a champion model, scores, warnings.

Runs after the synthetic portfolio is seeded: trains a CatBoost model on the book
as of the synthetic observation date, promotes it to champion, scores every firm
and runs a portfolio warning scan. Each step is skipped, with a note, when its
plugin is not installed, so the demo still starts with a partial install.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smecredit.security.principal import HEAD_OFFICE, Principal

__all__ = ["DEMO_OBSERVATION_DATE", "seed_demo_analytics"]

#: The synthetic portfolio's observation date (its as-of date minus 12 months).
DEMO_OBSERVATION_DATE = dt.date(2025, 6, 30)

_SEEDER = Principal(user_id=0, username="demo-seed", roles=("admin",), branch_code=HEAD_OFFICE)


async def seed_demo_analytics(model_name: str = "catboost") -> dict[str, Any]:
    """Train and promote a champion, score the book, scan for warnings; return a summary."""
    from smecredit.services.early_warning.scan import scan_portfolio
    from smecredit.services.scoring import registry
    from smecredit.services.scoring.features import book_training_data
    from smecredit.services.scoring.scoring import available_models, score_all
    from smecredit.services.scoring.training import train_and_validate

    summary: dict[str, Any] = {}
    families = available_models()
    if model_name in families and await registry.champion("application") is None:
        data = await book_training_data([DEMO_OBSERVATION_DATE], horizon_months=12)
        result = train_and_validate(families[model_name], data, folds=5, use="application")
        version = await registry.register_version(
            model_name, result, use="application", created_by="demo-seed"
        )
        # The synthetic book makes honest features strong on purpose (financial ratios reach
        # an IV near 1), so the leakage guard flags them; the demo says so when it promotes.
        flagged = bool(version.leakage_flags)
        reason = "demo champion"
        if flagged:
            reason += (
                ": synthetic portfolio built to be learnable; the flagged features are known "
                "before the observation date"
            )
        await registry.promote(
            version.id, to="champion", actor=_SEEDER, reason=reason, acknowledge_leakage=flagged
        )
        auc = result.metrics["overall"]["auc"]
        summary["model"] = f"{model_name} {version.version} champion (5-fold AUC {auc:.3f})"
    if await registry.champion("application") is not None:
        summary["scored firms"] = await score_all(shadow=False)
    elif model_name not in families:
        summary["model"] = f"skipped: no {model_name!r} scoring plugin installed"
    scan = await scan_portfolio(author="demo-seed")
    summary["warning scan"] = (
        f"{scan.firms} firms: {scan.opened} warnings opened, {scan.reviews} classification reviews"
    )
    return summary
