"""The demo seed tells the whole story: products, every state, every class, warnings worked.

Seeded once for the module (it is slow: a synthetic book, two models, a year of replayed
scans, the story, close of business); every test only reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from tortoise import Tortoise

from smecredit import models
from smecredit.db import tortoise_config
from smecredit.domain.loan_states import LoanState
from smecredit.services.demo_products import DEMO_PRODUCTS
from smecredit.services.demo_story import DEMO_ACTORS

pytestmark = pytest.mark.anyio

#: Enough firms for the story's healthy HZ01 borrowers, few enough to seed in seconds.
N_FIRMS = 500
CLASSES = {"normal", "special_mention", "substandard", "doubtful", "loss"}
WARNING_STATES = {"open", "acknowledged", "in_progress", "resolved", "dismissed"}


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from smecredit.plugins import load_plugins
    from smecredit.services.accounts import seed_demo_users
    from smecredit.services.demo import close_today, seed_demo_book

    path: Path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    settings = make_settings(f"sqlite://{path}")
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas(safe=True)
    try:
        await seed_demo_users(settings)
        summary = await seed_demo_book(n_firms=N_FIRMS, registry=load_plugins(settings))
        summary["close of business"] = await close_today()
        yield summary
    finally:
        await Tortoise.close_connections()


async def test_the_product_catalogue_is_seeded_through_the_product_service(
    seeded: dict[str, Any],
) -> None:
    products = {p.code: p for p in await models.Product.all()}
    assert set(products) == {p.code for p in DEMO_PRODUCTS}
    assert products["WC-EI"].methods == ["equal_instalment"]
    assert products["WC-EP"].methods == ["equal_principal"]
    assert products["WC-IO"].methods == ["interest_only"]
    tax = products["TAX-EASY"]
    assert tax.amount_max <= 500_000 and tax.term_months_max <= 12
    created = await models.AuditLog.filter(action="product.create").values_list("actor", flat=True)
    assert sorted(created) == ["admin"] * len(DEMO_PRODUCTS)
    unsecured = await models.LoanApplication.filter(product_id=tax.id)
    assert unsecured and all(a.guarantee_type == "credit" for a in unsecured)


async def test_applications_exist_in_every_state(seeded: dict[str, Any]) -> None:
    states = set(await models.LoanApplication.all().values_list("state", flat=True))
    assert states >= {s.value for s in LoanState}, seeded.get("story notes")


async def test_every_application_was_moved_by_the_demo_users_through_the_lifecycle(
    seeded: dict[str, Any],
) -> None:
    people = set(DEMO_ACTORS.values())
    for app in await models.LoanApplication.all():
        assert app.maker_id == DEMO_ACTORS["officer"]
        steps = await models.ApplicationTransition.filter(application_id=app.id).order_by("id")
        if app.state == "draft":
            assert steps == []
            continue
        assert steps and steps[-1].to_state == app.state  # never written directly
        assert {s.actor for s in steps} <= people
        for step in steps:
            if step.action == "approve":
                assert step.actor != app.maker_id
    reviewers = await models.ApplicationTransition.filter(action="start_review").values_list(
        "actor", flat=True
    )
    assert set(reviewers) == {DEMO_ACTORS["analyst"]}


async def test_submitted_applications_are_scored_by_the_champion(seeded: dict[str, Any]) -> None:
    champion = await models.ModelVersion.get(status="champion", use="application")
    submitted = await models.LoanApplication.exclude(state="draft")
    scored = set(
        await models.ApplicationScoreRecord.filter(
            application_id__in=[a.id for a in submitted]
        ).values_list("application_id", flat=True)
    )
    assert scored == {a.id for a in submitted}
    score_ids = await models.ApplicationScoreRecord.all().values_list("score_id", flat=True)
    names = set(await models.Score.filter(id__in=score_ids).values_list("model_name", flat=True))
    assert names == {champion.name}


async def test_a_champion_and_a_challenger_promoted_by_someone_else(
    seeded: dict[str, Any],
) -> None:
    for status in ("champion", "challenger"):
        version = await models.ModelVersion.get(status=status, use="application")
        promotion = await models.ModelPromotion.get(model_version_id=version.id, to_status=status)
        assert version.created_by == DEMO_ACTORS["analyst"]
        assert promotion.actor != version.created_by and promotion.reason


async def test_loans_exist_in_every_classification(seeded: dict[str, Any]) -> None:
    classes = set(await models.Loan.all().values_list("classification", flat=True))
    assert classes >= CLASSES


async def test_warnings_exist_in_every_state_and_were_dated_by_the_replay(
    seeded: dict[str, Any],
) -> None:
    states = set(await models.Warning.all().values_list("status", flat=True))
    assert states >= WARNING_STATES
    today = dt.datetime.now(dt.UTC).date()
    opened = await models.Warning.all().values_list("opened_at", flat=True)
    assert min(opened).date() <= today - dt.timedelta(days=300)  # type: ignore[union-attr]
    worked = await models.WarningEvent.filter(kind__in=["acknowledged", "dismissed"])
    assert worked and {e.actor for e in worked} <= set(DEMO_ACTORS.values())


async def test_no_loan_90_days_past_due_is_normal(seeded: dict[str, Any]) -> None:
    late = await models.Loan.filter(
        days_past_due__gt=90, classification="normal", status__in=["active", "written_off"]
    ).count()
    assert late == 0


async def test_open_loan_warnings_say_the_days_past_due_of_the_classification(
    seeded: dict[str, Any],
) -> None:
    warnings = await models.Warning.filter(rule_code="LOAN_DPD", status="open").prefetch_related(
        "loan"
    )
    assert warnings
    wrong = [
        (w.id, w.observed_value, w.loan.days_past_due)
        for w in warnings
        if int(w.observed_value) != w.loan.days_past_due
    ]
    assert wrong == []
