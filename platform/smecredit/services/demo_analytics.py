"""Make the demo portfolio look like a running book: champion and challenger, scores, warnings.

Runs after the synthetic portfolio is seeded: the demo risk analyst trains a CatBoost
model on the book as of the observation date (the data date minus 12 months) and another
person (the demo administrator) promotes it to champion with a reason; a scorecard is
trained the same way and made the challenger, scored in shadow. Every firm is scored, the
warning scans are replayed month end by month end over the 12 months up to the data date
(so that the warning back-test has dated warnings to judge, see
:mod:`smecredit.services.warnings.replay`), and today's scan runs last. Each step is
skipped, with a note, when its plugin is not installed, so the demo still starts with a
partial install.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smecredit import models
from smecredit.security.principal import HEAD_OFFICE, Principal

__all__ = ["DEMO_OBSERVATION_DATE", "demo_observation_date", "seed_demo_analytics"]

#: The synthetic portfolio's default observation date (its default as-of minus 12 months).
DEMO_OBSERVATION_DATE = dt.date(2025, 6, 30)

_SEEDER = Principal(user_id=0, username="demo-seed", roles=("admin",), branch_code=HEAD_OFFICE)
#: Who trains the demo's models, and who (another person) promotes them.
TRAINER, PROMOTER = "analyst", "admin"


def demo_observation_date(as_of: dt.date | None) -> dt.date:
    """The month end 12 months before the data date ``as_of`` (None: the default one)."""
    if as_of is None:
        return DEMO_OBSERVATION_DATE
    import calendar

    year = as_of.year - 1
    return dt.date(year, as_of.month, calendar.monthrange(year, as_of.month)[1])


async def _person(username: str) -> Principal:
    """The demo user ``username``, or the seeding principal when it does not exist."""
    from smecredit.errors import ApiError
    from smecredit.services.actors import acting_user

    try:
        return await acting_user(username)
    except ApiError:
        return _SEEDER


async def _train(
    family: str, status: str, observation: dt.date, reason: str
) -> tuple[Any, float] | None:
    """Train ``family`` on the book, register it as the trainer's, promote it to ``status``."""
    from smecredit.services.scoring import registry
    from smecredit.services.scoring.features import book_training_data
    from smecredit.services.scoring.scoring import available_models
    from smecredit.services.scoring.training import train_and_validate

    families = available_models()
    if family not in families:
        return None
    trainer, promoter = await _person(TRAINER), await _person(PROMOTER)
    data = await book_training_data([observation], horizon_months=12)
    result = train_and_validate(families[family], data, folds=5, use="application")
    version = await registry.register_version(
        family, result, use="application", created_by=trainer.username
    )
    # The synthetic book makes honest features strong on purpose (financial ratios reach an
    # IV near 1), so the leakage guard flags them; the promoter says so on the record.
    flagged = bool(version.leakage_flags)
    if flagged:
        reason += (
            "; leakage flags acknowledged: synthetic portfolio built to be learnable, the "
            "flagged features are known before the observation date"
        )
    await registry.promote(
        version.id, to=status, actor=promoter, reason=reason, acknowledge_leakage=flagged
    )
    return version, float(result.metrics["overall"]["auc"])


async def seed_demo_analytics(
    model_name: str = "catboost",
    *,
    as_of: dt.date | None = None,
    challenger_name: str = "scorecard",
    replay: bool = True,
) -> dict[str, Any]:
    """Champion and challenger, scores, replayed and current warning scans; a summary.

    Args:
        model_name: the champion's model family.
        as_of: the portfolio's data date (None: the synthetic source's default).
        challenger_name: the challenger's model family.
        replay: replay the warning scans over the 12 months up to ``as_of``.
    """
    from smecredit.services.scoring import registry
    from smecredit.services.scoring.scoring import score_all
    from smecredit.services.warnings.replay import replay_scans
    from smecredit.services.warnings.scan import scan_portfolio

    summary: dict[str, Any] = {}
    observation = demo_observation_date(as_of)
    if await registry.champion("application") is None:
        made = await _train(
            model_name,
            "champion",
            observation,
            f"demo champion: trained on the book as of {observation}, 5-fold validated",
        )
        if made is None:
            summary["model"] = f"skipped: no {model_name!r} scoring plugin installed"
        else:
            version, auc = made
            summary["model"] = f"{model_name} {version.version} champion (5-fold AUC {auc:.3f})"
    if not await registry.challengers("application"):
        made = await _train(
            challenger_name,
            "challenger",
            observation,
            "demo challenger: scored in shadow next to the champion",
        )
        if made is not None:
            version, auc = made
            summary["challenger"] = (
                f"{challenger_name} {version.version} challenger (5-fold AUC {auc:.3f})"
            )
    if await registry.champion("application") is not None:
        summary["scored firms"] = await score_all(shadow=True)
    # Replayed once, on the fresh import: a seed run again keeps the warnings' history.
    if replay and not await models.WarningScanRun.exists():
        end = as_of or dt.date(observation.year + 1, observation.month, observation.day)
        done = await replay_scans(observation, end, author="demo-seed")
        summary["warning replay"] = (
            f"{len(done.dates)} month ends {done.dates[0]}..{done.dates[-1]}: "
            f"{done.opened} warnings opened (rules on dated evidence; "
            f"not replayed: {', '.join(done.skipped) or 'none'})"
        )
    scan = await scan_portfolio(author="demo-seed")
    summary["warning scan"] = (
        f"{scan.firms} firms: {scan.opened} warnings opened, {scan.reviews} classification reviews"
    )
    return summary
