"""Checks of the credit book: pricing within product limits, concentration, maker-checker."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from smecredit import models
from smecredit.domain.compliance import CheckOutcome, ComplianceCheck
from smecredit.domain.compliance import CheckStatus as S
from smecredit.domain.loan_states import Action
from smecredit.services.compliance.base import CheckContext, Entry

__all__ = ["CHECKS", "SINGLE_BORROWER_LIMIT"]

#: Largest share of capital one borrower may owe (the regulator's single-borrower limit).
SINGLE_BORROWER_LIMIT = Decimal("0.10")
#: Above this share of the limit the concentration check warns.
_NEAR = Decimal("0.8")
_BOOKED = ("active", "written_off")

PRICING = ComplianceCheck(
    "pricing_within_product",
    "贷款利率在产品定价区间内",
    "Loan rates within their product's band",
    10,
    "Every loan's annual rate lies within rate_min..rate_max of its product: any loan "
    "outside fails; a loan whose product code is unknown is a warning.",
    "lending",
)
CONCENTRATION = ComplianceCheck(
    "concentration_limit",
    "单一客户集中度",
    "Single-borrower concentration",
    10,
    "The largest borrower's outstanding principal (active and written-off loans) against "
    "SMECREDIT_BANK_CAPITAL: above 10% fails, above 8% warns; not applicable while "
    "the capital is not set.",
    "lending",
)
MAKER_CHECKER = ComplianceCheck(
    "maker_checker",
    "审贷分离与双人复核",
    "Maker-checker and four eyes in every decision",
    15,
    "No application approved by its maker (approval rows and approving transitions), no "
    "disbursement confirmed by whoever disbursed it, no four-eyes request decided by "
    "whoever requested it: any such decision fails.",
    "lending",
)


async def pricing(ctx: CheckContext) -> CheckOutcome:
    """Every loan's rate inside its product's band."""
    bands = {
        code: (low, high)
        for code, low, high in await models.Product.all().values_list(
            "code", "rate_min", "rate_max"
        )
    }
    loans = await models.Loan.all().order_by("id").values_list("id", "product", "annual_rate")
    if not loans:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no loans on the book")
    outside: list[str] = []
    unknown: list[str] = []
    for loan_id, product, rate in loans:
        band = bands.get(product)
        if band is None:
            unknown.append(f"Loan:{loan_id}")
        elif not band[0] <= rate <= band[1]:
            outside.append(f"Loan:{loan_id}")
    if outside:
        return CheckOutcome.of(
            S.FAIL, f"{len(outside)} of {len(loans)} loans priced outside their product", outside
        )
    if unknown:
        return CheckOutcome.of(S.WARNING, f"{len(unknown)} loans of an unknown product", unknown)
    return CheckOutcome.of(S.PASS, f"{len(loans)} loans priced within their product")


async def concentration(ctx: CheckContext) -> CheckOutcome:
    """The largest borrower against the capital."""
    capital: Decimal | None = getattr(ctx.settings, "bank_capital", None)
    if capital is None:
        return CheckOutcome.of(S.NOT_APPLICABLE, "SMECREDIT_BANK_CAPITAL is not set")
    owed: dict[int, Decimal] = defaultdict(Decimal)
    rows = await models.Loan.filter(status__in=_BOOKED).values_list(
        "firm_id", "outstanding_principal"
    )
    for firm_id, amount in rows:
        owed[firm_id] += amount
    if not owed:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no loans on the book")
    limit = capital * SINGLE_BORROWER_LIMIT
    over = sorted((f for f, a in owed.items() if a > limit), key=lambda f: -owed[f])
    near = sorted(
        (f for f, a in owed.items() if limit * _NEAR < a <= limit), key=lambda f: -owed[f]
    )
    largest = max(owed.values())
    share = f"largest borrower owes {largest / capital:.2%} of capital (limit 10%)"
    if over:
        return CheckOutcome.of(S.FAIL, share, (f"Firm:{f}" for f in over))
    if near:
        return CheckOutcome.of(S.WARNING, share, (f"Firm:{f}" for f in near))
    return CheckOutcome.of(S.PASS, share)


async def _self_approved() -> set[int]:
    makers = dict(
        await models.LoanApplication.exclude(maker_username="").values_list("id", "maker_username")
    )
    found = {
        app_id
        for app_id, approver in await models.Approval.all().values_list(
            "application_id", "approver"
        )
        if makers.get(app_id) == approver
    }
    approving = await models.ApplicationTransition.filter(action=Action.APPROVE.value).values_list(
        "application_id", "actor"
    )
    found.update(app_id for app_id, actor in approving if makers.get(app_id) == actor)
    return found


async def _self_confirmed() -> set[int]:
    steps = await models.ApplicationTransition.filter(
        action__in=(Action.DISBURSE.value, Action.CONFIRM_DISBURSEMENT.value)
    ).values_list("application_id", "action", "actor")
    by_app: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for app_id, action, actor in steps:
        by_app[app_id][action].add(actor)
    disburse, confirm = Action.DISBURSE.value, Action.CONFIRM_DISBURSEMENT.value
    return {a for a, acts in by_app.items() if acts[disburse] & acts[confirm]}


async def maker_checker(ctx: CheckContext) -> CheckOutcome:
    """No decision taken by the person it had to be checked against."""
    decided = await models.ApplicationTransition.filter(
        action__in=(Action.APPROVE.value, Action.REJECT.value, Action.CONFIRM_DISBURSEMENT.value)
    ).count()
    requests = await models.FourEyesRequest.exclude(status="pending").values_list(
        "id", "requested_by", "decided_by"
    )
    if not decided and not requests:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no decisions taken yet")
    apps = sorted(await _self_approved() | await _self_confirmed())
    same = sorted(r for r, by, decider in requests if decider is not None and decider == by)
    offending = [*(f"LoanApplication:{a}" for a in apps), *(f"FourEyesRequest:{r}" for r in same)]
    if offending:
        message = (
            f"{len(apps)} applications decided or confirmed by their maker, "
            f"{len(same)} four-eyes requests decided by their requester"
        )
        return CheckOutcome.of(S.FAIL, message, offending)
    return CheckOutcome.of(
        S.PASS, f"{decided} decisions and {len(requests)} four-eyes requests by a second person"
    )


CHECKS: tuple[Entry, ...] = (
    (PRICING, pricing),
    (CONCENTRATION, concentration),
    (MAKER_CHECKER, maker_checker),
)
