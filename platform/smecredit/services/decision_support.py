"""The decision-support view of a credit application: what an approver weighs, in one place.

* **Score**: the score made on submission (grade, PD, points, reasons), from the
  :class:`~smecredit.models.ApplicationScoreRecord` scoring stored, never re-scored here.
* **Policy checks**: every enabled policy rule (the core's and the plugins', at the version
  in force, :mod:`smecredit.services.policy_rules`) on the :class:`~smecredit.sdk.PolicyFacts`
  gathered below; a failed rule whose exception an approver granted shows ``exception``.
* **Exposure** before and after approval: direct (the firm's outstanding principal) and
  group (the firm and the firms sharing its legal representative).
* **Repayment capacity**: the monthly instalment of the loan asked for against average
  monthly operating cash flow (DSCR) and taxed sales.
* **Suggested limit and price** with the terms of the credit policy version that produced
  them (:mod:`smecredit.services.scoring.credit_policy`).
* **Peers**: the firm's key ratios as percentiles of the latest annual statements (of the
  last two years) of the other firms of its industry and of its region.
* **Series** for charts: monthly taxed sales (24 months) and cash flow by statement.

Facts are read as of today. Enforcement cases count when filed in the last 24 months
(the records carry no closing date); tax arrears are the largest of the last 12 months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit import models
from smecredit.domain.decision_support import (
    KeyRatios,
    dscr,
    firm_age_months,
    key_ratios,
    month_back,
    monthly_instalment,
    percentile_rank,
    taxed_sales_growth,
    to_cent,
)
from smecredit.domain.errors import PreconditionFailed
from smecredit.domain.four_eyes import enforce as enforce_four_eyes
from smecredit.domain.policy_rules import CheckOutcome, evaluate_rule, with_exception
from smecredit.domain.schedules import add_months
from smecredit.errors import InvalidInput, NotFound
from smecredit.sdk import PolicyFacts, RelatedParty
from smecredit.security.operations import authorize, in_scope
from smecredit.security.principal import Principal
from smecredit.services import audit, policy_rules
from smecredit.services.lending.support import lock
from smecredit.services.scoring import credit_policy
from smecredit.services.transactions import atomic

__all__ = [
    "CapacityView",
    "DecisionSupport",
    "ExposureView",
    "LimitView",
    "PeerRatio",
    "PolicyCheck",
    "SeriesPoint",
    "decision_support",
    "exception_marker",
    "gather_facts",
    "grant_exception",
    "policy_checks",
]

#: Loans that owe nothing to the book any more.
_FINISHED = ("closed", "written_off")
#: How far back an enforcement case counts as open (the records have no closing date).
ENFORCEMENT_WINDOW_MONTHS = 24
_ZERO = Decimal("0")
#: Months a statement of each period type covers (the cleaning maps every label to these).
_MONTHS = {"annual": 12, "quarterly": 3}


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """One rule's check of the application."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    source: str
    outcome: CheckOutcome
    message_zh: str
    message_en: str
    evidence: Mapping[str, Any]
    exception_reason: str | None = None
    exception_by: str | None = None


@dataclass(frozen=True, slots=True)
class ExposureView:
    """Outstanding principal before and after approval in full, yuan."""

    direct_before: Decimal
    direct_after: Decimal
    group_before: Decimal
    group_after: Decimal
    bank_capital: Decimal | None
    related: tuple[RelatedParty, ...]
    #: related firm id -> the id of the person it shares with the applicant
    shared_person: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CapacityView:
    """The instalment against the evidence of cash."""

    monthly_instalment: Decimal
    avg_monthly_cash_flow: Decimal | None
    avg_monthly_taxed_sales: Decimal | None
    dscr: float | None
    sales_cover: float | None


@dataclass(frozen=True, slots=True)
class LimitView:
    """The credit policy's suggestion and the terms that produced it."""

    suggested_limit: Decimal
    rate_low: Decimal
    rate_high: Decimal
    risk_rate: Decimal | None
    policy_version: int
    grade: str
    limit_factor: Decimal | None
    revenue_cap_share: Decimal
    grade_rate_min: Decimal | None
    grade_rate_max: Decimal | None
    rule_en: str
    rule_zh: str


@dataclass(frozen=True, slots=True)
class PeerRatio:
    """One key ratio of the firm and where it stands among its peers."""

    ratio: str
    value: float | None
    industry_percentile: float | None
    industry_peers: int
    region_percentile: float | None
    region_peers: int
    higher_is_better: bool


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One point of a chart series (``period`` is ``YYYY-MM`` or a date)."""

    period: str
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class DecisionSupport:
    """Everything the view shows for one application."""

    application_id: int
    as_of: dt.date
    score: models.ApplicationScoreRecord | None
    rules_version: int
    checks: tuple[PolicyCheck, ...]
    exposure: ExposureView
    capacity: CapacityView
    limit: LimitView | None
    peers: tuple[PeerRatio, ...]
    taxed_sales: tuple[SeriesPoint, ...]
    cash_flow: tuple[SeriesPoint, ...]


def exception_marker(code: str) -> str:
    """How a granted exception names its rule (``DecisionOverride.system_value``)."""
    return f"policy rule {code}: "


async def _related(firm: models.Firm) -> tuple[tuple[RelatedParty, ...], dict[int, int]]:
    """Firms sharing the applicant's legal representative, with what they owe us."""
    person = firm.representative_id  # type: ignore[attr-defined]
    if person is None:
        return (), {}
    others = await models.Firm.filter(representative_id=person).exclude(id=firm.id).order_by("id")
    if not others:
        return (), {}
    owed = await _outstanding([f.id for f in others])
    parties = tuple(
        RelatedParty(f.id, f.name, "representative", owed.get(f.id, _ZERO)) for f in others
    )
    return parties, {f.id: person for f in others}


async def _outstanding(firm_ids: list[int], *, but: int | None = None) -> dict[int, Decimal]:
    """Firm -> outstanding principal of its unfinished loans (leaving loan ``but`` out)."""
    query = models.Loan.filter(firm_id__in=firm_ids).exclude(status__in=_FINISHED)
    if but is not None:
        query = query.exclude(id=but)
    rows = await query.values("firm_id", "outstanding_principal")
    out: dict[int, Decimal] = {}
    for r in rows:
        out[r["firm_id"]] = out.get(r["firm_id"], _ZERO) + Decimal(r["outstanding_principal"])
    return out


def _monthly_cash(statements: list[models.FinancialStatement]) -> Decimal | None:
    """Average monthly operating cash flow of the newest statement that states it."""
    for s in sorted(statements, key=lambda s: s.period_end, reverse=True):
        if s.operating_cash_flow is not None:
            months = _MONTHS.get(s.period_type, 12)
            return to_cent(Decimal(s.operating_cash_flow) / months)
    return None


async def gather_facts(
    application: models.LoanApplication, *, as_of: dt.date, bank_capital: Decimal | None
) -> tuple[PolicyFacts, dict[str, Any]]:
    """The facts of ``application`` for the rules, and the rows the view shows beside them."""
    firm = await models.Firm.get(id=application.firm_id)  # type: ignore[attr-defined]
    since = add_months(as_of, -ENFORCEMENT_WINDOW_MONTHS)
    enforcement = await models.LegalCase.filter(
        firm_id=firm.id, kind="enforcement", case_date__gt=since, case_date__lte=as_of
    ).count()
    taxes = await models.TaxRecord.filter(firm_id=firm.id).order_by("month")
    recent_months = {month_back(as_of, k) for k in range(1, 13)}
    recent = [t for t in taxes if t.month in recent_months]
    arrears = max((Decimal(t.arrears or 0) for t in recent), default=_ZERO) if recent else None
    sales = {t.month: Decimal(t.taxable_sales) for t in taxes if t.taxable_sales is not None}
    filed = [sales[m] for m in recent_months if m in sales]
    statements = await models.FinancialStatement.filter(
        firm_id=firm.id, period_end__lte=as_of
    ).order_by("period_end")
    bureau = (
        await models.BureauSummary.filter(firm_id=firm.id, report_date__lte=as_of)
        .order_by("-report_date")
        .first()
    )
    # once disbursed, the application's own loan is the "after", not the "before"
    own_loan = application.loan_id  # type: ignore[attr-defined]
    direct = (await _outstanding([firm.id], but=own_loan)).get(firm.id, _ZERO)
    related, shared = await _related(firm)
    amount = Decimal(application.amount)
    rate = Decimal(application.annual_rate)
    facts = PolicyFacts(
        application_id=application.id,
        firm_id=firm.id,
        as_of=as_of,
        amount=amount,
        term_months=application.term_months,
        annual_rate=rate,
        monthly_instalment=monthly_instalment(
            amount, rate, application.term_months, application.repayment_method, as_of
        ),
        firm_age_months=firm_age_months(firm.established_on, as_of),
        open_enforcement_cases=enforcement,
        tax_arrears=arrears,
        direct_exposure=direct,
        group_exposure=direct + sum((p.outstanding for p in related), _ZERO),
        bank_capital=bank_capital,
        related_parties=related,
        avg_monthly_cash_flow=_monthly_cash(list(statements)),
        avg_monthly_taxed_sales=to_cent(sum(filed, _ZERO) / len(filed)) if filed else None,
        taxed_sales_growth=taxed_sales_growth(sales, as_of),
        bureau_inquiries_6m=None if bureau is None else bureau.inquiries_6m,
        bureau_overdue_count=None if bureau is None else bureau.overdue_count,
    )
    return facts, {"firm": firm, "sales": sales, "statements": statements, "shared": shared}


async def _exceptions(application: models.LoanApplication) -> dict[str, models.DecisionOverride]:
    """Rule code -> the exception granted for it in the current approval round."""
    rows = await models.DecisionOverride.filter(
        application_id=application.id,
        kind="policy_check",
        decided_value="exception",
        approval_round=application.approval_round,
    ).order_by("id")
    out: dict[str, models.DecisionOverride] = {}
    for row in rows:
        text = row.system_value or ""
        if text.startswith("policy rule ") and ": " in text:
            out[text[len("policy rule ") : text.index(": ")]] = row
    return out


async def policy_checks(
    application: models.LoanApplication, facts: PolicyFacts, *, registry: Any = None
) -> tuple[int, list[PolicyCheck]]:
    """The rules version in force and each enabled rule's check of the application."""
    rule_set = await policy_rules.current_rules(registry=registry)
    granted = await _exceptions(application)
    checks: list[PolicyCheck] = []
    for active in rule_set.rules:
        setting = active.setting
        if not setting.enabled:
            continue
        outcome = evaluate_rule(active.rule, facts, setting.params)
        exception = granted.get(setting.code) if outcome.outcome == "fail" else None
        checks.append(
            PolicyCheck(
                code=setting.code,
                name_zh=str(active.rule.name_zh),
                name_en=str(active.rule.name_en),
                kind=setting.kind,
                source=active.source,
                outcome=with_exception(outcome.outcome, exception is not None),
                message_zh=outcome.message_zh,
                message_en=outcome.message_en,
                evidence=dict(outcome.evidence),
                exception_reason=None if exception is None else exception.reason,
                exception_by=None if exception is None else exception.actor,
            )
        )
    return rule_set.version, checks


async def _limit(record: models.ApplicationScoreRecord | None) -> LimitView | None:
    if record is None:
        return None
    grade = record.score.grade
    version = await credit_policy.policy_version(record.policy_version)
    terms = None
    cap_share = Decimal("0")
    if version is not None:
        terms = version.policy.grades.get(grade)
        cap_share = version.policy.revenue_cap_share
    factor = None if terms is None else terms.limit_factor
    where = f"credit policy version {record.policy_version}, grade {grade}"
    return LimitView(
        suggested_limit=record.suggested_limit,
        rate_low=record.rate_low,
        rate_high=record.rate_high,
        risk_rate=record.risk_rate,
        policy_version=record.policy_version,
        grade=grade,
        limit_factor=factor,
        revenue_cap_share=cap_share,
        grade_rate_min=None if terms is None else terms.rate_min,
        grade_rate_max=None if terms is None else terms.rate_max,
        rule_en=f"limit = min(amount, {cap_share} x annual revenue) x limit factor {factor}; "
        f"price band = [max(rate_min, funding + margin + PD x LGD), rate_max] ({where})",
        rule_zh=f"额度 = min(申请金额, {cap_share} × 年营业收入) × 额度系数 {factor}；"
        f"定价区间 = [max(等级下限, 资金成本 + 利差 + PD × LGD), 等级上限]"
        f"（授信政策第 {record.policy_version} 版，等级 {grade}）",
    )


#: Ratio -> whether a higher value is better (for reading the percentile).
_HIGHER_IS_BETTER = {
    "debt_ratio": False,
    "current_ratio": True,
    "net_margin": True,
    "cash_flow_margin": True,
}


def _ratios_of(s: models.FinancialStatement) -> KeyRatios:
    return key_ratios(
        revenue=s.revenue,
        net_profit=s.net_profit,
        total_assets=s.total_assets,
        total_liabilities=s.total_liabilities,
        current_assets=s.current_assets,
        current_liabilities=s.current_liabilities,
        operating_cash_flow=s.operating_cash_flow,
    )


#: How old a peer's newest annual statement may be to count (two years of filings).
PEER_WINDOW_MONTHS = 24


async def _peer_ratios(
    firm: models.Firm, as_of: dt.date, **same: str
) -> list[dict[str, float | None]]:
    """The key ratios of the newest recent annual statement of each other firm with the
    same ``industry_code`` or ``region_code`` (a join: no list of firm ids is sent)."""
    rows = (
        await models.FinancialStatement.filter(
            period_type="annual",
            period_end__lte=as_of,
            period_end__gt=add_months(as_of, -PEER_WINDOW_MONTHS),
            **{f"firm__{k}": v for k, v in same.items()},
        )
        .exclude(firm_id=firm.id)
        .order_by("firm_id", "period_end")
    )
    newest: dict[int, models.FinancialStatement] = {}
    for row in rows:
        newest[row.firm_id] = row  # type: ignore[attr-defined]
    return [_ratios_of(s).as_dict() for s in newest.values()]


async def _peers(
    firm: models.Firm, statements: list[models.FinancialStatement], as_of: dt.date
) -> tuple[PeerRatio, ...]:
    annual = [s for s in statements if s.period_type == "annual"]
    if not annual:
        return ()
    own = _ratios_of(annual[-1]).as_dict()
    industry = await _peer_ratios(firm, as_of, industry_code=firm.industry_code)
    region = await _peer_ratios(firm, as_of, region_code=firm.region_code)
    out = []
    for name, value in own.items():
        among_industry = [r[name] for r in industry if r[name] is not None]
        among_region = [r[name] for r in region if r[name] is not None]
        out.append(
            PeerRatio(
                ratio=name,
                value=value,
                industry_percentile=None
                if value is None
                else percentile_rank(value, among_industry),  # type: ignore[arg-type]
                industry_peers=len(among_industry),
                region_percentile=None if value is None else percentile_rank(value, among_region),  # type: ignore[arg-type]
                region_peers=len(among_region),
                higher_is_better=_HIGHER_IS_BETTER[name],
            )
        )
    return tuple(out)


async def decision_support(
    application: models.LoanApplication,
    *,
    bank_capital: Decimal | None,
    as_of: dt.date | None = None,
    registry: Any = None,
) -> DecisionSupport:
    """The decision-support view of ``application`` (the caller checked it may read it).

    Args:
        application: the application.
        bank_capital: the bank's net capital (``Settings.bank_capital``).
        as_of: the business date of the facts (default today).
        registry: the plugin registry whose policy rules run (default: the application's).
    """
    day = as_of or dt.date.today()
    facts, rows = await gather_facts(application, as_of=day, bank_capital=bank_capital)
    version, checks = await policy_checks(application, facts, registry=registry)
    record = (
        await models.ApplicationScoreRecord.filter(application_id=application.id)
        .order_by("-id")
        .select_related("score")
        .first()
    )
    cash = facts.avg_monthly_cash_flow
    sales = facts.avg_monthly_taxed_sales
    instalment = facts.monthly_instalment
    statements: list[models.FinancialStatement] = list(rows["statements"])
    months = [month_back(day, k) for k in range(24, 0, -1)]
    return DecisionSupport(
        application_id=application.id,
        as_of=day,
        score=record,
        rules_version=version,
        checks=tuple(checks),
        exposure=ExposureView(
            direct_before=facts.direct_exposure,
            direct_after=facts.direct_after,
            group_before=facts.group_exposure,
            group_after=facts.group_after,
            bank_capital=bank_capital,
            related=facts.related_parties,
            shared_person=rows["shared"],
        ),
        capacity=CapacityView(
            monthly_instalment=instalment,
            avg_monthly_cash_flow=cash,
            avg_monthly_taxed_sales=sales,
            dscr=dscr(cash, instalment),
            sales_cover=dscr(sales, instalment),
        ),
        limit=await _limit(record),
        peers=await _peers(rows["firm"], statements, day),
        taxed_sales=tuple(SeriesPoint(m, rows["sales"].get(m)) for m in months),
        cash_flow=tuple(
            SeriesPoint(s.period_end.isoformat(), s.operating_cash_flow) for s in statements
        ),
    )


#: States in which an exception may be granted: while the application is being decided.
EXCEPTION_STATES = frozenset({"submitted", "under_review", "appealed"})


async def grant_exception(
    application_id: int,
    code: str,
    *,
    actor: Principal,
    reason: str,
    bank_capital: Decimal | None,
    registry: Any = None,
    as_of: dt.date | None = None,
) -> models.DecisionOverride:
    """Record an approved exception to a policy rule the application fails.

    The exception is a decision against the recommendation: a
    :class:`~smecredit.models.DecisionOverride` of kind ``policy_check`` (system value
    ``policy rule CODE: what failed``, decided value ``exception``) of the current approval
    round, audited in the same transaction; the rule's check then shows ``exception``.

    Raises:
        PermissionDenied: the actor may not (``policy_exception.grant``).
        NotFound: no such application within the actor's branches.
        InvalidInput: ``REASON_REQUIRED``; ``UNKNOWN_POLICY_RULE``.
        DomainError: ``FOUR_EYES`` for the maker; ``PRECONDITION_FAILED`` outside review;
            ``POLICY_RULE_NOT_FAILED`` when the rule does not fail (or is not enabled).
    """
    authorize(actor, "policy_exception.grant")
    why = reason.strip()
    if not why:
        raise InvalidInput("an exception to a policy rule needs a reason", code="REASON_REQUIRED")
    if code not in policy_rules.known_rules(registry):
        raise InvalidInput(f"no policy rule {code!r}", code="UNKNOWN_POLICY_RULE", field="code")
    me = actor.username
    # The facts are read before the transaction (they are the view's, read as anyone
    # reads them); the application itself is locked and checked again inside it.
    current = await models.LoanApplication.get_or_none(id=application_id)
    if current is None or not in_scope(actor, current.branch_code):
        raise NotFound(f"application {application_id} not found")
    facts, _ = await gather_facts(
        current, as_of=as_of or dt.date.today(), bank_capital=bank_capital
    )
    _, checks = await policy_checks(current, facts, registry=registry)
    check = next((c for c in checks if c.code == code), None)
    if check is None or check.outcome != "fail":
        raise PreconditionFailed(
            f"policy rule {code} does not fail for application {application_id} "
            f"({'not enabled' if check is None else check.outcome}): no exception needed",
            code="POLICY_RULE_NOT_FAILED",
        )

    async def work(conn: BaseDBAsyncClient) -> models.DecisionOverride:
        application = await lock(models.LoanApplication, application_id, conn)
        if application is None:
            raise NotFound(f"application {application_id} not found")
        if application.state not in EXCEPTION_STATES:
            raise PreconditionFailed(
                "an exception can be granted only while the application is submitted, under "
                f"review or appealed, not {application.state.replace('_', ' ')}"
            )
        enforce_four_eyes("policy_exception.grant", me, {"maker": application.maker_id})
        row = await models.DecisionOverride.create(
            application_id=application.id,
            kind="policy_check",
            system_value=exception_marker(code) + check.message_en,
            decided_value="exception",
            reason=why,
            actor=me,
            at=dt.datetime.now(dt.UTC),
            approval_round=application.approval_round,
            using_db=conn,
        )
        await audit.record(
            actor,
            "policy_exception.grant",
            f"LoanApplication:{application_id}",
            before={"rule": code, "outcome": "fail", "evidence": dict(check.evidence)},
            after={"rule": code, "outcome": "exception", "reason": why},
            connection=conn,
        )
        return row

    return await atomic(work, what=f"granting an exception to {code}")
