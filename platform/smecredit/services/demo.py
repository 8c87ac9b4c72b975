"""Seed the demo portfolio through the real ingestion pipeline (what ``make demo`` serves)."""

from __future__ import annotations

from typing import Any

from smecredit.security.operations import SYSTEM
from smecredit.services.ingestion import IngestionError, SyncRunResult, run_sync
from smecredit.services.lending.cob import business_today, run_cob

__all__ = ["DEMO_DIRT_RATE", "seed_demo"]

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
) -> SyncRunResult:
    """Pull ``n_firms`` synthetic firms (with all their evidence and loans) into the database.

    The database must be open. The synthetic source goes through cleaning, validation,
    quarantine and integration exactly like any partner source; then close of business
    classifies the whole book for today.

    Args:
        n_firms: firms to generate.
        seed: same seed, same portfolio.
        dirt_rate: share of records given one data-quality fault.
        registry: the plugin registry (default: ``load_plugins(load_settings())``).
        batch_size: records per transaction.

    Raises:
        IngestionError: ``UNKNOWN_SOURCE`` when the synthetic source plugin is not installed.
    """
    if registry is None:
        from smecredit.plugins import load_plugins
        from smecredit.settings import load_settings

        registry = load_plugins(load_settings())
    if "synthetic" not in getattr(registry, "data_sources", {}):
        raise IngestionError(
            "UNKNOWN_SOURCE",
            "the synthetic data source is not installed: "
            "pip install -e plugins/smecredit-source-synthetic",
        )
    result = await run_sync(
        registry,
        "synthetic",
        settings={"n_firms": n_firms, "seed": seed, "dirt_rate": dirt_rate},
        batch_size=batch_size,
        # The demo always seeds the whole portfolio; upserts make a rerun harmless.
        resume=False,
    )
    # Close the book for today, imported loans included (forced: a re-seed brings the
    # source's DPD back, which today's close must replace).
    await run_cob(business_today(), SYSTEM, force=True)
    return result
