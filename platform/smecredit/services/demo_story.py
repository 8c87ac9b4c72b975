"""The demo's credit story: applications in every state, loans in every class, warnings worked.

Everything goes through the real lifecycle services, each step by the demo user whose role
takes it (the Hangzhou loan officer drafts and submits, the risk analyst reviews, the
approver and the committee member approve or reject, the administrator issues payment
orders ...), so the journal, the approvals, the audit trail and the four-eyes checks are
exactly those of a real book. Nothing is written to the tables directly.

* **Applications** (:data:`SCENARIOS`): one per lifecycle state, draft to written off, on
  healthy firms of branch HZ01 whose consent the officer records first.
* **Loans by class**: booked loans whose borrowers stopped paying 1.5, 4, 10 and 14 months
  ago. Close of business, run for today at the end of the seed, gives them 关注, 次级,
  可疑 and 损失 from their days past due; a fresh loan stays 正常.
* **Warnings**: of the open warnings of branch HZ01 the officer acknowledges one, works on
  one, resolves one; the analyst dismisses a false alarm and assigns one to the officer.

Where a step is refused by a rule the demo does not know (a stricter four-eyes setting,
say), the next demo user who may take it is asked; a step nobody may take is reported in
the summary and the story goes on without it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from smecredit import models
from smecredit.domain.errors import DomainError
from smecredit.errors import ApiError
from smecredit.security.principal import Principal
from smecredit.services.demo_products import DEMO_PRODUCTS, DemoProduct

__all__ = ["DEMO_ACTORS", "SCENARIOS", "DemoCast", "seed_demo_story"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The demo users the story needs, by part (see ``fixtures/demo_users.json``).
DEMO_ACTORS: dict[str, str] = {
    "officer": "officer.hz",
    "analyst": "analyst",
    "approver": "approver.hz",
    "committee": "committee",
    "admin": "admin",
    # Four eyes needs second people: one confirms what another paid out, one approves
    # the write-off another committee member asked for.
    "checker": "checker.hz",
    "committee2": "committee.b",
}
#: The branch whose firms the story uses (the officer's and the approver's).
STORY_BRANCH = "HZ01"

#: (state an application is driven to, product code), one per lifecycle state.
SCENARIOS: tuple[tuple[str, str], ...] = (
    ("draft", "WC-EI"),
    ("submitted", "TAX-EASY"),
    ("under_review", "WC-EP"),
    ("returned", "WC-IO"),
    ("approved", "WC-EI"),
    ("rejected", "TAX-EASY"),
    ("appealed", "WC-EP"),
    ("withdrawn", "WC-IO"),
    ("cancelled", "TAX-EASY"),
    ("disbursed", "WC-EI"),
    ("active", "WC-EP"),
    ("closed", "TAX-EASY"),
    ("written_off", "WC-EI"),
)
#: Months since disbursement (no repayment since) -> the class close of business gives.
ARREARS: tuple[tuple[int, str], ...] = (
    (3, "special_mention"),
    (5, "substandard"),
    (11, "doubtful"),
    (15, "loss"),
)
#: Months since the written-off loan was disbursed (never repaid).
WRITTEN_OFF_MONTHS = 20


@dataclass
class DemoCast:
    """The demo users' principals by part."""

    officer: Principal
    analyst: Principal
    approver: Principal
    committee: Principal
    admin: Principal
    checker: Principal
    committee2: Principal

    def everyone(self) -> list[Principal]:
        """Every member, in the order they are asked to take a step nobody else may."""
        return [
            self.officer,
            self.admin,
            self.approver,
            self.committee,
            self.analyst,
            self.checker,
            self.committee2,
        ]


async def _cast() -> DemoCast | None:
    from smecredit.services.actors import acting_user

    try:
        return DemoCast(**{part: await acting_user(name) for part, name in DEMO_ACTORS.items()})
    except ApiError as error:
        log.warning("demo story skipped: %s", error)
        return None


async def _by_first(
    step: str,
    candidates: Sequence[Principal],
    work: Callable[[Principal], Awaitable[T]],
    notes: list[str],
) -> T | None:
    """Run ``work`` as the first candidate the rules allow; None (noted) when nobody may."""
    refusals: list[str] = []
    for actor in candidates:
        try:
            return await work(actor)
        except (DomainError, ApiError) as error:
            code = getattr(error, "code", "")
            if code not in ("FORBIDDEN", "FOUR_EYES"):
                raise
            refusals.append(f"{actor.username}: {error}")
    notes.append(f"{step}: no demo user may take it ({'; '.join(refusals)})")
    return None


def _months_ago(today: dt.date, months: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - months
    year, month0 = divmod(index, 12)
    return dt.date(year, month0 + 1, min(today.day, 28))


async def _healthy_firms(count: int, today: dt.date) -> list[models.Firm]:
    """Active firms of the story's branch with recent evidence and no arrears, oldest first."""
    since = today - dt.timedelta(days=330)
    late = await models.Loan.filter(days_past_due__gt=0).values_list("firm_id", flat=True)
    used = await models.LoanApplication.all().values_list("firm_id", flat=True)
    skip = {int(f) for f in (*late, *used)}  # type: ignore[call-overload]
    out: list[models.Firm] = []
    for firm in await models.Firm.filter(branch_code=STORY_BRANCH, status="active").order_by("id"):
        if firm.id in skip:
            continue
        if not await models.FinancialStatement.filter(
            firm_id=firm.id, period_end__gte=since
        ).exists():
            continue
        if not await models.BureauSummary.filter(firm_id=firm.id, report_date__gte=since).exists():
            continue
        out.append(firm)
        if len(out) == count:
            break
    return out


class _Story:
    """One seeding of the story (its notes are the summary's)."""

    def __init__(self, cast: DemoCast, today: dt.date) -> None:
        self.cast = cast
        self.today = today
        self.notes: list[str] = []
        self.states: dict[str, int] = {}

    async def consent(self, firm: models.Firm) -> None:
        from smecredit.services.consent import grant_consent

        signed = dt.datetime.combine(self.today, dt.time(9), dt.UTC) - dt.timedelta(days=720)
        await grant_consent(
            firm.uscc,
            "bureau",
            actor=self.cast.officer,
            granted_at=signed,
            evidence_ref=f"DEMO-AUTH-{firm.id}",
        )

    async def draft(
        self, firm: models.Firm, product: DemoProduct, amount: Decimal | None = None
    ) -> models.LoanApplication:
        from smecredit.services.lending.applications import create_application

        return await create_application(
            self.cast.officer,
            firm_id=firm.id,
            product_code=product.code,
            amount=amount or product.typical_amount,
            term_months=product.typical_term,
            annual_rate=product.typical_rate,
            repayment_method=product.method,
            purpose="补充流动资金",
            guarantee_type=product.guarantee_type,
        )

    async def approve(self, app_id: int, at: dt.datetime | None) -> models.LoanApplication | None:
        """The approver approves; the committee member too when the matrix asks for two."""
        from smecredit.services.lending.applications import approve
        from smecredit.services.lending.decisions import OverrideReasonRequired

        result: models.LoanApplication | None = None
        for actor in (self.cast.approver, self.cast.committee):
            try:
                result = await approve(app_id, actor, "经营稳定，还款来源充足，同意", at=at)
            except OverrideReasonRequired:
                # Above the model's suggestion: the approver decides so on the record
                # (system value against decided value), as a bank's approver would.
                result = await approve(
                    app_id,
                    actor,
                    "经营稳定，还款来源充足，同意",
                    override_reason="我行十年结算客户，在手订单覆盖本金两倍以上，同意超建议额度",
                    at=at,
                )
            if result.state != "under_review":
                return result
        return result

    async def walk(
        self, state: str, firm: models.Firm, product: DemoProduct, *, at: dt.datetime | None = None
    ) -> models.LoanApplication | None:
        """Drive a fresh application on ``firm`` to ``state``; the application, or None."""
        from smecredit.services.lending import applications as apps

        c = self.cast
        app = await self.draft(firm, product)
        if state == "draft":
            return app
        if state == "withdrawn":
            await apps.submit(app.id, c.officer, at=at)
            return await apps.withdraw(app.id, c.officer, "客户暂无资金需求", at=at)
        app = await apps.submit(app.id, c.officer, at=at)
        if state == "submitted":
            return app
        app = await apps.start_review(app.id, c.analyst, at=at)
        if state == "under_review":
            return app
        if state == "returned":
            return await apps.return_for_changes(
                app.id, c.analyst, "请补充近三个月银行流水及主要购销合同", at=at
            )
        if state in ("rejected", "appealed"):
            app = await apps.reject(
                app.id, c.approver, "近一年纳税销售额持续下滑，第一还款来源不足", at=at
            )
            if state == "appealed":
                app = await apps.appeal(
                    app.id, c.officer, "客户补充了新签订单及应收账款明细，申请复议", at=at
                )
            return app
        approved = await self.approve(app.id, at)
        if approved is None or approved.state != "approved" or state == "approved":
            return approved
        if state == "cancelled":
            return await apps.cancel(app.id, c.officer, "客户已从他行获得融资，取消用款", at=at)
        return await self.disburse(app.id, state, at)

    async def disburse(
        self, app_id: int, state: str, at: dt.datetime | None, disbursed_on: dt.date | None = None
    ) -> models.LoanApplication | None:
        """Payment order, then (unless ``state`` is ``disbursed``) the confirmation."""
        from smecredit.services.lending import disbursement as pay

        c = self.cast
        # The administrator issues payment orders first: under four eyes the maker may not.
        ordered = await _by_first(
            f"disburse application {app_id}",
            [c.admin, c.officer],
            lambda actor: pay.disburse(app_id, actor, at=at),
            self.notes,
        )
        if ordered is None or state == "disbursed":
            return ordered
        return await _by_first(
            f"confirm the disbursement of application {app_id}",
            [c.checker, c.officer, c.admin],
            lambda actor: pay.confirm_disbursement(app_id, actor, disbursed_on=disbursed_on, at=at),
            self.notes,
        )

    async def close(self, app: models.LoanApplication) -> models.LoanApplication | None:
        """The borrower repays everything early; the officer closes the loan."""
        from smecredit.services.lending.disbursement import close_loan
        from smecredit.services.lending.repayments import post_repayment

        loan = await models.Loan.get(id=app.loan_id)  # type: ignore[attr-defined]
        # An early payoff settles the current instalment (its interest included) and
        # prepays the principal of the later ones.
        current = (
            await models.ScheduledInstalment.filter(loan_id=loan.id, active=True)
            .order_by("due_date", "number")
            .first()
        )
        interest = current.interest if current is not None else Decimal("0.00")
        await post_repayment(
            loan.id,
            self.cast.officer,
            idempotency_key=f"demo-payoff-{loan.loan_ref}",
            amount=loan.outstanding_principal + interest,
            received_on=self.today,
        )
        return await _by_first(
            f"close loan {loan.id}",
            [self.cast.officer, self.cast.admin],
            lambda actor: close_loan(loan.id, actor),
            self.notes,
        )

    async def write_off(self, app: models.LoanApplication) -> models.LoanApplication | None:
        from smecredit.services.lending.four_eyes_requests import (
            approve_request,
            request_write_off,
        )

        # Four eyes: one committee member asks, another approves (and so writes it off).
        loan_id = app.loan_id  # type: ignore[attr-defined]
        request = await request_write_off(
            loan_id, self.cast.committee, "借款人已停止经营，经催收及诉讼仍无法收回，核销"
        )
        await approve_request(request.id, self.cast.committee2)
        return await models.LoanApplication.get(id=app.id)

    def reached(self, state: str, app: models.LoanApplication | None, wanted: str) -> None:
        if app is None or app.state != wanted:
            got = "nothing" if app is None else app.state
            self.notes.append(f"the {state} application ended {got}")
            return
        self.states[wanted] = self.states.get(wanted, 0) + 1


async def _step(story: _Story, what: str, work: Awaitable[T]) -> T | None:
    """Run one scenario; a failure is noted, not fatal: the rest of the demo still seeds."""
    try:
        return await work
    except (DomainError, ApiError) as error:
        story.notes.append(f"{what}: {getattr(error, 'code', '')} {error}")
        return None


async def _applications(story: _Story, firms: list[models.Firm]) -> None:
    products = {p.code: p for p in DEMO_PRODUCTS}
    pool = iter(firms)
    for state, code in SCENARIOS:
        firm = next(pool)
        if state == "written_off":
            # Booked long ago and never repaid: the committee writes it off.
            app = await _step(
                story, state, _booked(story, firm, products[code], WRITTEN_OFF_MONTHS)
            )
            if app is not None and app.state == "active":
                app = await _step(story, state, story.write_off(app))
        else:
            app = await _step(story, state, story.walk(state, firm, products[code]))
        if state == "closed" and app is not None and app.state == "active":
            app = await _step(story, "closed", story.close(app))
        story.reached(state, app, state)
    # Borrowers in arrears: booked months ago, never paid since.
    for months, loan_class in ARREARS:
        app = await _step(
            story, f"{loan_class} loan", _booked(story, next(pool), products["WC-EI"], months)
        )
        story.reached(f"{loan_class} loan", app, "active")


async def _booked(
    story: _Story, firm: models.Firm, product: DemoProduct, months: int
) -> models.LoanApplication | None:
    """An application approved and disbursed ``months`` ago.

    The whole journey is dated at the time, so the score (features as of then), the
    approvals and the repayment schedule agree with the disbursement date.
    """
    on = _months_ago(story.today, months)
    at = dt.datetime.combine(on, dt.time(10), dt.UTC) - dt.timedelta(days=5)
    approved = await story.walk("approved", firm, product, at=at)
    if approved is None or approved.state != "approved":
        return approved
    return await story.disburse(approved.id, "active", at, disbursed_on=on)


async def _warnings(story: _Story) -> dict[str, int]:
    """Work some open warnings of the story's branch through their lifecycle."""
    from smecredit.services.warnings import lifecycle

    c = story.cast
    rows = (
        await models.Warning.filter(status="open", firm__branch_code=STORY_BRANCH)
        .order_by("id")
        .limit(8)
    )
    if len(rows) < 5:
        story.notes.append(f"warnings: only {len(rows)} open in {STORY_BRANCH}, fewer steps")
    steps: list[Callable[[int], Awaitable[Any]]] = [
        lambda wid: lifecycle.acknowledge(wid, actor=c.officer),
        lambda wid: _progress(wid, c.officer),
        lambda wid: _resolved(wid, c.officer),
        lambda wid: lifecycle.dismiss(
            wid, reason="核实为季节性波动，非经营恶化，误报", actor=c.analyst
        ),
        lambda wid: lifecycle.assign(wid, assignee=c.officer.username, actor=c.analyst),
    ]
    for warning, step in zip(rows, steps, strict=False):
        await _step(story, f"warning {warning.id}", step(warning.id))
    counts: dict[str, int] = {}
    for status in await models.Warning.all().values_list("status", flat=True):
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


async def _progress(warning_id: int, officer: Principal) -> None:
    from smecredit.services.warnings import lifecycle

    await lifecycle.start_progress(warning_id, actor=officer)
    await lifecycle.comment(
        warning_id, body="已约企业负责人下周面谈，核实纳税及诉讼情况", actor=officer
    )


async def _resolved(warning_id: int, officer: Principal) -> None:
    from smecredit.services.warnings import lifecycle

    await lifecycle.acknowledge(warning_id, actor=officer)
    await lifecycle.resolve(
        warning_id, note="企业已补充担保并结清他行逾期，风险缓释", actor=officer
    )


async def seed_demo_story(today: dt.date | None = None) -> dict[str, Any]:
    """Seed applications, booked loans and worked warnings; return a summary.

    Run it after the portfolio, the champion model and the warning scan, and before the
    close of business of ``today`` (which classifies the booked loans). Seeding twice
    adds a second set of applications on other firms.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    cast = await _cast()
    if cast is None:
        return {"story": "skipped: the demo users are missing (seed them first)"}
    story = _Story(cast, today)
    firms = await _healthy_firms(len(SCENARIOS) + len(ARREARS), today)
    for firm in firms:
        await story.consent(firm)
    if len(firms) < len(SCENARIOS) + len(ARREARS):
        return {"story": f"skipped: only {len(firms)} healthy firms in {STORY_BRANCH}"}
    await _applications(story, firms)
    warnings = await _warnings(story)
    summary: dict[str, Any] = {
        "applications": ", ".join(f"{s} {n}" for s, n in story.states.items()),
        "warnings by status": ", ".join(f"{s} {n}" for s, n in sorted(warnings.items())),
    }
    if story.notes:
        summary["story notes"] = "; ".join(story.notes)
    return summary
