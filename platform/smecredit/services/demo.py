"""Seed the demo portfolio through the real ingestion pipeline (what ``make demo`` serves)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from smecredit import plugin_host
from smecredit.services.ingestion.results import SyncRunResult
from smecredit.services.ingestion.sync import IngestionError, run_sync

__all__ = ["DEMO_DIRT_RATE", "close_today", "demo_as_of", "seed_demo", "seed_demo_book"]

#: Share of synthetic records given a data-quality fault, so the quarantine has something
#: to show in the demo.
DEMO_DIRT_RATE = 0.02


async def seed_demo(
    n_firms: int = 2000,
    seed: int = 42,
    *,
    dirt_rate: float = DEMO_DIRT_RATE,
    registry: Any = None,
    batch_size: int = 2000,
    as_of: dt.date | None = None,
) -> SyncRunResult:
    """Pull ``n_firms`` synthetic firms (with all their evidence and loans) into the database.

    The database must be open. The synthetic source goes through cleaning, validation,
    quarantine and integration exactly like any partner source; then close of business
    classifies the whole book for today.

    Args:
        n_firms: firms to generate.
        seed: same seed, same portfolio.
        dirt_rate: share of records given one data-quality fault.
        registry: the plugin registry (default: the application's, see
            :mod:`smecredit.plugin_host`).
        batch_size: records per transaction.
        as_of: the portfolio's data date (default: the synthetic source's own).

    Raises:
        IngestionError: ``UNKNOWN_SOURCE`` when the synthetic source plugin is not installed.
    """
    if registry is None:
        registry = plugin_host.application_registry()
    if "synthetic" not in getattr(registry, "data_sources", {}):
        raise IngestionError(
            "UNKNOWN_SOURCE",
            "the synthetic data source is not installed: "
            "pip install -e plugins/smecredit-source-synthetic",
        )
    return await run_sync(
        registry,
        "synthetic",
        settings={
            "n_firms": n_firms,
            "seed": seed,
            "dirt_rate": dirt_rate,
            **({"as_of": as_of.isoformat()} if as_of is not None else {}),
        },
        batch_size=batch_size,
        # The demo always seeds the whole portfolio; upserts make a rerun harmless.
        resume=False,
        # The seed scores and scans the whole book itself, after the models are trained.
        refresh=False,
    )


def demo_as_of(today: dt.date) -> dt.date:
    """The demo portfolio's data date: the last day of the month before ``today``."""
    return today.replace(day=1) - dt.timedelta(days=1)


async def seed_demo_book(
    n_firms: int = 2000,
    seed: int = 42,
    *,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    registry: Any = None,
) -> dict[str, Any]:
    """The whole demo book but close of business: portfolio, models, products, the story.

    In order: the synthetic portfolio as of ``as_of`` (default: the end of last month);
    the champion and challenger models, the scores and the warning scans
    (:mod:`smecredit.services.demo_analytics`); the loan products
    (:mod:`smecredit.services.demo_products`); applications in every state, booked loans
    in arrears and warnings worked by the demo users (:mod:`smecredit.services.demo_story`).
    The demo users must exist. Close of business for ``today`` comes after (it classifies
    the loans); returns a summary, line name -> text.
    """
    from smecredit.errors import ApiError
    from smecredit.security.operations import SYSTEM
    from smecredit.services.actors import acting_user
    from smecredit.services.demo_analytics import seed_demo_analytics
    from smecredit.services.demo_products import seed_demo_products
    from smecredit.services.demo_story import seed_demo_story

    today = today or dt.datetime.now(dt.UTC).date()
    as_of = as_of or demo_as_of(today)
    result = await seed_demo(n_firms=n_firms, seed=seed, as_of=as_of, registry=registry)
    summary: dict[str, Any] = {"synthetic": f"{result} (data as of {as_of})"}
    summary.update(await seed_demo_analytics(as_of=as_of))
    try:
        admin = await acting_user("admin")
    except ApiError:
        admin = SYSTEM
    products = await seed_demo_products(admin)
    summary["products"] = ", ".join(p.code for p in products)
    summary.update(await seed_demo_story(today))
    return summary


async def close_today() -> str:
    """Close of business for today over the whole book, then the warning scan after it.

    The close classifies the demo's loans and writes their days past due as of today; the
    scan that follows, as a bank's end-of-day runs it, brings the loan warnings
    (``LOAN_DPD``) to the same days past due as the classification.
    """
    from smecredit.security.operations import SYSTEM
    from smecredit.services.lending.cob import business_today, run_cob
    from smecredit.services.warnings.scan import scan_portfolio

    # Forced: a re-seed brings the source's DPD back onto imported loans, which today's
    # close must replace even when today was closed already.
    result = await run_cob(business_today(), SYSTEM, force=True)
    scan = await scan_portfolio(as_of=result.business_date, author="demo-seed")
    return (
        f"{result.business_date}: {result.loans} loans, {result.changed} changed; "
        f"warning scan after it: {scan.opened} opened, {scan.updated} updated"
    )
