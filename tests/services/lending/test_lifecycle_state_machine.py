"""Random walks through the whole credit lifecycle, checking the ledger after every step.

A synchronous hypothesis state machine drives the async services through one
``asyncio.Runner`` per example, on its own in-memory SQLite database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from lending_support import principal, seed_firm, seed_product
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.domain.errors import DomainError
from smecredit.domain.loan_states import Action
from smecredit.errors import ApiError
from smecredit.security.operations import SYSTEM
from smecredit.security.principal import ROLES
from smecredit.services.lending import (
    applications,
    cob,
    decisions,
    disbursement,
    four_eyes_requests,
    repayments,
)
from smecredit.services.lending.ledger import verify_ledger

CONFIG = {
    "connections": {"default": "sqlite://:memory:"},
    "apps": {"smecredit": {"models": ["smecredit.models"], "default_connection": "default"}},
    "use_tz": True,
    "timezone": "UTC",
}
NAMES = ("ann", "bob", "cat")
AMOUNTS = (Decimal("50000.00"), Decimal("800000.00"), Decimal("4000000.00"))
LOAN_ACTIONS = {Action.CLOSE, Action.WRITE_OFF, Action.UNDO_WRITE_OFF}


class Lifecycle(RuleBasedStateMachine):
    """Random actors try random actions; expected refusals are typed domain errors."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.today = dt.date(2026, 1, 15)
        self.apps: list[int] = []
        self.repayments: list[int] = []
        self.keys = 0
        self.refused = 0
        self.advanced = 0

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.today, dt.time(10), tzinfo=dt.UTC)

    @initialize()
    def open_database(self) -> None:
        async def setup() -> None:
            EXECUTOR_CACHE.clear()
            await Tortoise.init(config=CONFIG)
            await Tortoise.generate_schemas()
            await seed_product()
            await seed_firm(1, branch="HQ")
            await seed_firm(2, branch="HQ")

        self.run(setup())

    def teardown(self) -> None:
        try:
            self.run(Tortoise.close_connections())
        finally:
            self.runner.close()

    def attempt(self, coro: Any) -> Any:
        try:
            return self.run(coro)
        except (DomainError, ApiError):
            self.refused += 1
            return None

    @precondition(lambda self: len(self.apps) < 2)
    @rule(firm=st.sampled_from([1, 2]), amount=st.sampled_from(AMOUNTS))
    def create(self, firm: int, amount: Decimal) -> None:
        async def go() -> int:
            row = await models.Firm.get(name=f"Firm {firm}")
            app = await applications.create_application(
                principal("loan_officer", name="ann", branch="HQ"),
                firm_id=row.id,
                product_code="SME-WC",
                amount=amount,
                term_months=6,
                annual_rate=Decimal("0.12"),
                repayment_method="equal_instalment",
            )
            return app.id

        self.apps.append(self.run(go()))

    @precondition(lambda self: bool(self.apps))
    @rule(
        index=st.integers(0, 50),
        action=st.sampled_from(list(Action)),
        role=st.sampled_from(ROLES),
        name=st.sampled_from(NAMES),
        reason=st.booleans(),
        grade=st.sampled_from([None, "A", "E", "G"]),
    )
    def act(
        self, index: int, action: Action, role: str, name: str, reason: bool, grade: str | None
    ) -> None:
        app_id = self.apps[index % len(self.apps)]
        who = principal(role, name=name, branch="HQ")
        why = "because" if reason else None
        at = self.now

        async def go() -> Any:
            app = await models.LoanApplication.get(id=app_id)
            loan_id = app.loan_id  # type: ignore[attr-defined]
            if action in LOAN_ACTIONS and loan_id is None:
                return None
            match action:
                case Action.SUBMIT:
                    return await applications.submit(app_id, who, at=at)
                case Action.START_REVIEW:
                    if grade is not None:  # an analyst's grade first (may be refused)
                        await decisions.override_grade(app_id, who, grade, why, at=at)
                    return await applications.start_review(app_id, who, at=at)
                case Action.DISBURSE:
                    return await disbursement.disburse(app_id, who, at=at)
                case Action.CONFIRM_DISBURSEMENT:
                    return await disbursement.confirm_disbursement(
                        app_id, who, disbursed_on=self.today, at=at
                    )
                case Action.UNDO_DISBURSEMENT:
                    return await disbursement.undo_disbursement(app_id, who, why, at=at)
                case Action.CLOSE:
                    return await disbursement.close_loan(loan_id, who, at=at)
                case Action.WRITE_OFF:  # four eyes: a request that another approves
                    return await four_eyes_requests.request_write_off(loan_id, who, why)
                case Action.UNDO_WRITE_OFF:
                    return await disbursement.undo_write_off(loan_id, who, why, at=at)
                case Action.APPROVE:
                    return await applications.approve(app_id, who, why, override_reason=why, at=at)
                case Action.WITHDRAW:
                    return await applications.withdraw(app_id, who, why, at=at)
                case _:
                    fn = getattr(applications, action.value)
                    return await fn(app_id, who, why, at=at)

        self.attempt(go())

    @precondition(lambda self: bool(self.apps))
    @rule(
        index=st.integers(0, 50),
        approver=st.sampled_from(["bob", "cat"]),
        steps=st.integers(1, 6),
    )
    def advance(self, index: int, approver: str, steps: int) -> None:
        """The next happy-path step by the right role, so walks reach booked loans."""
        app_id = self.apps[index % len(self.apps)]
        at = self.now
        officer = principal("loan_officer", name="ann", branch="HQ")

        async def go() -> Any:
            app = await models.LoanApplication.get(id=app_id)
            match app.state:
                case "draft" | "returned":
                    return await applications.submit(app_id, officer, at=at)
                case "submitted" | "appealed":
                    analyst = principal("risk_analyst", name="ra", branch="HQ")
                    if app.risk_grade is None:  # no model here: the analyst grades it
                        return await decisions.override_grade(app_id, analyst, "B", "hand", at=at)
                    return await applications.start_review(app_id, analyst, at=at)
                case "under_review":
                    who = principal("approver", "credit_committee", name=approver, branch="HQ")
                    return await applications.approve(app_id, who, at=at, override_reason="walk")
                case "approved":  # four eyes: neither the maker nor the disburser confirms
                    ops = principal("loan_officer", name="dan", branch="HQ")
                    return await disbursement.disburse(app_id, ops, at=at)
                case "disbursed":
                    ops = principal("loan_officer", name="eve", branch="HQ")
                    return await disbursement.confirm_disbursement(
                        app_id, ops, disbursed_on=self.today, at=at
                    )
            return None

        for _ in range(steps):
            if self.attempt(go()) is None:
                break
            self.advanced += 1

    @rule(role=st.sampled_from(ROLES), name=st.sampled_from(NAMES))
    def decide_requests(self, role: str, name: str) -> None:
        """Someone approves the pending four-eyes requests (refused for the requester)."""

        async def go() -> None:
            who = principal(role, name=name, branch="HQ")
            for request in await models.FourEyesRequest.filter(status="pending"):
                try:
                    await four_eyes_requests.approve_request(request.id, who, at=self.now)
                except (DomainError, ApiError):
                    self.refused += 1

        self.run(go())

    @invariant()
    def four_eyes_hold(self) -> None:
        async def check() -> None:
            for request in await models.FourEyesRequest.filter(status="approved"):
                assert request.decided_by != request.requested_by
            for app in await models.LoanApplication.filter(loan_id__isnull=False):
                journal = {
                    t.action: t.actor
                    for t in await models.ApplicationTransition.filter(
                        application_id=app.id
                    ).order_by("id")
                }
                for step in ("approve", "disburse", "confirm_disbursement"):
                    assert journal.get(step) != app.maker_id, (step, journal)
                if "confirm_disbursement" in journal:
                    assert journal["confirm_disbursement"] != journal.get("disburse")

        self.run(check())

    @precondition(lambda self: bool(self.apps))
    @rule(
        index=st.integers(0, 50),
        amount=st.decimals(Decimal("1"), Decimal("60000"), places=2),
        reuse_key=st.booleans(),
    )
    def repay(self, index: int, amount: Decimal, reuse_key: bool) -> None:
        app_id = self.apps[index % len(self.apps)]
        if not reuse_key:
            self.keys += 1
        key = f"key-{self.keys}"

        async def go() -> Any:
            app = await models.LoanApplication.get(id=app_id)
            if app.loan_id is None:  # type: ignore[attr-defined]
                return None
            return await repayments.post_repayment(
                app.loan_id,  # type: ignore[attr-defined]
                principal("loan_officer", name="ann", branch="HQ"),
                idempotency_key=key,
                amount=amount,
                received_on=self.today,
            )

        result = self.attempt(go())
        if result is not None and result.id not in self.repayments:
            self.repayments.append(result.id)

    @precondition(lambda self: bool(self.repayments))
    @rule(index=st.integers(0, 50))
    def reverse(self, index: int) -> None:
        rep_id = self.repayments[index % len(self.repayments)]
        self.attempt(
            repayments.reverse_repayment(rep_id, principal("admin", branch="HQ"), "returned")
        )

    @rule(days=st.integers(1, 45))
    def close_business_days(self, days: int) -> None:
        self.today += dt.timedelta(days=days)
        self.run(cob.run_cob(self.today, SYSTEM))

    @invariant()
    def ledger_holds(self) -> None:
        if not self.apps and not self.repayments:
            return
        violations = self.run(verify_ledger())
        assert violations == [], violations


Lifecycle.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycle = Lifecycle.TestCase
