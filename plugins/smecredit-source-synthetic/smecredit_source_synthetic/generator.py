"""A deterministic, streaming synthetic SME loan portfolio with learnable default.

Every firm gets a hidden latent risk ``z ~ N(0, 1)``. The same ``z`` (each signal through
its own noise) drives what can be seen *before* the observation date (``as_of`` minus
:data:`OBSERVATION_MONTHS` months): falling taxable sales, rising leverage, thin or negative
profit, tax arrears, lawsuits and enforcement, abnormal-operation listing, bureau overdues
and inquiries, late instalments. Default, a loan reaching :data:`DEFAULT_DPD` days past due
on an instalment falling due in the 12 months after the observation date, is drawn from
``z`` plus industry, region and size effects plus a post-observation shock that nothing
before the observation date reveals, which keeps a model honest (AUC around 0.8, not 1.0).

Records are built firm by firm from a per-firm random stream seeded with
``seed * 1_000_003 + index``, so firm ``i`` is the same whatever ``n_firms`` is, nothing
is held in memory beyond one firm, and the same seed gives identical records. Amounts are
computed in integer fen and written as yuan strings; see ``schema/records/`` for shapes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, NamedTuple

from faker import Faker

from smecredit_source_synthetic import catalog
from smecredit_source_synthetic.dates import add_months, month_end, month_key
from smecredit_source_synthetic.dirt import Dirt, DirtInjector
from smecredit_source_synthetic.distress import add_distress_signals
from smecredit_source_synthetic.identities import (
    make_id_number,
    make_org_code,
    make_phone,
    make_uscc,
)
from smecredit_source_synthetic.money import fen_from_yuan, monthly_interest_fen, rate_str, yuan

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_DPD",
    "OBSERVATION_MONTHS",
    "GeneratedRecord",
    "generate_annotated",
    "generate_portfolio",
    "latent_labels",
    "observation_date",
]

#: Data date used when none is given.
DEFAULT_AS_OF = dt.date(2026, 6, 30)
#: Months between the observation date and ``as_of`` (the outcome window).
OBSERVATION_MONTHS = 12
#: Days past due that count as default.
DEFAULT_DPD = 90

# Model of the hidden process. Tuned so the default rate is ~8% of borrowers and a logistic
# regression on a handful of pre-observation features reaches AUC ~0.8.
_ALPHA = -3.75  # base log-odds of default
_BETA = 1.6  # weight of the latent risk in default
_SHOCK_SD = 0.6  # post-observation shock, invisible before the observation date
_SIGNAL_NOISE = 0.9  # noise between the latent risk and each observable signal
_BORROWER_SHARE = 0.9

_TZ = dt.timezone(dt.timedelta(hours=8))
_REGION_CUM = tuple(accumulate(catalog.REGION_WEIGHTS))
_INDUSTRY_CUM = tuple(accumulate(catalog.INDUSTRY_WEIGHTS))
_SIZE_CUM = tuple(accumulate(s.weight for s in catalog.SIZES))
_PRODUCT_WEIGHTS = {
    "micro": (50, 30, 8, 12),
    "small": (25, 35, 25, 15),
    "medium": (10, 30, 40, 20),
}
_PURPOSES = (
    "采购原材料",
    "补充流动资金",
    "支付货款",
    "设备购置",
    "店面装修",
    "支付工资",
    "备货周转",
)
_ROUTINE_EVENTS = (
    ("change", "经营范围变更"),
    ("change", "企业名称备案信息变更"),
    ("address_change", "住所变更"),
    ("capital_change", "注册资本变更"),
    ("legal_rep_change", "法定代表人变更"),
)
_LAWSUIT_CAUSES = (
    "买卖合同纠纷",
    "借款合同纠纷",
    "租赁合同纠纷",
    "劳动争议",
    "建设工程施工合同纠纷",
)
_PENALTIES = (
    ("市监", "未按规定公示年度报告"),
    ("税", "未按期申报纳税"),
    ("环", "违反大气污染防治规定"),
    ("应急", "安全生产隐患未整改"),
    ("市监", "销售不合格产品"),
)


class GeneratedRecord(NamedTuple):
    """One generated record with the ground truth about its dirt.

    Attributes:
        kind: record kind, the stem of its JSON Schema file.
        record: the record itself.
        dirt: the fault injected into it, or None for a clean record.
    """

    kind: str
    record: dict[str, Any]
    dirt: Dirt | None


def observation_date(as_of: dt.date = DEFAULT_AS_OF) -> dt.date:
    """The date up to which features may look; default is judged in the months after it."""
    return add_months(as_of, -OBSERVATION_MONTHS)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: exact and cheap for the small rates used here.
    lam = min(lam, 30.0)
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(slots=True)
class _Instalment:
    due: dt.date
    amount_due: int
    principal_part: int
    paid_date: dt.date | None = None
    amount_paid: int = 0


@dataclass(slots=True)
class _Loan:
    ref: str
    product: catalog.Product
    method: str
    principal: int
    rate_e4: int
    term: int
    disbursed: dt.date
    purpose: str
    instalments: list[_Instalment] = field(default_factory=list)

    @property
    def maturity(self) -> dt.date:
        return add_months(self.disbursed, self.term)


class _FirmBuilder:
    """Draws one firm's hidden state and writes its records, all from one random stream."""

    def __init__(
        self,
        index: int,
        rng: random.Random,
        fake: Faker,
        as_of: dt.date,
        source: str,
    ) -> None:
        self.index = index
        self.rng = rng
        self.fake = fake
        self.as_of = as_of
        self.obs = observation_date(as_of)
        self.source = source
        stamp = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(1, 0), tzinfo=_TZ)
        self.fetched_at = (stamp + dt.timedelta(seconds=index % 10_800)).isoformat()
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.defaulted = False
        #: Due date of the first instalment never paid (defaulters only).
        self.default_from: dt.date | None = None

    # -- helpers ---------------------------------------------------------------------

    def _signal(self, z: float) -> float:
        return z + self.rng.gauss(0.0, _SIGNAL_NOISE)

    def _emit(self, kind: str, record: dict[str, Any]) -> None:
        record["source"] = self.source
        record["fetched_at"] = self.fetched_at
        self.records.append((kind, record))

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        span = (end - start).days
        return start + dt.timedelta(days=self.rng.randint(0, max(span, 0)))

    # -- the firm --------------------------------------------------------------------

    def build(self) -> None:
        """Draw the firm and append all its records to :attr:`records`."""
        rng = self.rng
        region = rng.choices(catalog.REGIONS, cum_weights=_REGION_CUM)[0]
        industry = rng.choices(catalog.INDUSTRIES, cum_weights=_INDUSTRY_CUM)[0]
        size = rng.choices(catalog.SIZES, cum_weights=_SIZE_CUM)[0]
        z = rng.gauss(0.0, 1.0)
        shock = rng.gauss(0.0, _SHOCK_SD)
        risk = (
            _ALPHA
            + _BETA * z
            + industry.risk_effect
            + region.risk_effect
            + size.risk_effect
            + shock
        )
        borrower = rng.random() < _BORROWER_SHARE
        self.defaulted = borrower and rng.random() < _sigmoid(risk)
        # What the months after the observation date look like: the shock shows up there.
        # (smecredit_source_synthetic.distress then thins these undated signals and adds
        # the dated ones, timed to the default, from a stream of its own.)
        post = z + shock + (1.5 if self.defaulted else 0.0)

        individual = industry.individual_ok and size.name == "micro" and rng.random() < 0.35
        age_years = min(30.0, 4.5 + rng.lognormvariate(math.log(5.0), 0.6))
        established = self.as_of - dt.timedelta(days=int(age_years * 365.25))
        org_code = make_org_code(rng, issued_after_2015=established.year >= 2016)
        uscc = make_uscc("9", "2" if individual else "1", region.code, org_code)
        self.uscc = uscc

        word = rng.choice(industry.name_words)
        prefix = self.fake.company_prefix()
        if individual:
            suffix = rng.choice(("店", "商行", "经营部"))
            name = f"{region.city}{region.district}{prefix}{word}{suffix}"
        else:
            suffixes = ["有限公司", "有限公司", "有限责任公司"]
            if size.name == "medium":
                suffixes.append("股份有限公司")
            name = f"{region.city.removesuffix('市')}{prefix}{word}{rng.choice(suffixes)}"

        employees = max(
            0 if individual else 1, round(size.employees_median * rng.lognormvariate(0, 0.5))
        )
        capital_wan = rng.randint(*size.capital_range_wan)
        capital_wan = max(1, round(capital_wan, -1) if capital_wan >= 100 else capital_wan)
        if individual:
            capital_wan = rng.choice((1, 3, 5, 10))
        annual_revenue = size.revenue_median_yuan * rng.lognormvariate(0.0, 0.6)

        rep = self._person(region, "legal_representative", uscc)
        firm: dict[str, Any] = {
            "uscc": uscc,
            "name": name,
            "industry_code": industry.code,
            "region_code": region.code,
            "established_on": established.isoformat(),
            "registered_capital": yuan(capital_wan * 1_000_000),
            "employees": employees,
            "status": "active",
            "branch_code": region.branch_code,
            "representative": {k: rep[k] for k in ("name", "id_number", "phone")},
        }
        self._emit("firm", firm)
        self._emit("person", rep)
        if not individual:
            for _ in range(rng.choice((0, 1, 1, 2))):
                self._emit("person", self._person(region, "shareholder", uscc))

        monthly_sales = self._monthly_sales(annual_revenue, industry, z, shock)
        deregistered_on: dt.date | None = None
        if not borrower and rng.random() < 0.03:
            deregistered_on = self.as_of - dt.timedelta(days=rng.randint(10, 120))
        self._financials(size, monthly_sales, z, shock)
        self._tax_records(monthly_sales, industry, z, post, deregistered_on)
        listed = self._registry_events(z, post, deregistered_on)
        if deregistered_on is not None:
            firm["status"] = "deregistered"
        elif self.defaulted and rng.random() < 0.08:
            firm["status"] = "revoked"
        elif listed:
            firm["status"] = "abnormal"
        self._legal_cases(region, annual_revenue, z, post, size)
        self._bureau(annual_revenue, z, post)
        if borrower:
            self._loans(region, size, annual_revenue, z, post)

    def _person(self, region: catalog.Region, role: str, uscc: str) -> dict[str, Any]:
        rng = self.rng
        male = rng.random() < (0.75 if role == "legal_representative" else 0.6)
        name = self.fake.name_male() if male else self.fake.name_female()
        age_days = rng.randint(26 * 365, 63 * 365)
        birth = self.as_of - dt.timedelta(days=age_days)
        birthplace = region.code if rng.random() < 0.6 else rng.choice(catalog.BIRTHPLACE_CODES)
        return {
            "name": name,
            "id_number": make_id_number(rng, birthplace, birth, male=male),
            "phone": make_phone(rng),
            "firm_uscc": uscc,
            "role": role,
        }

    # -- flows: sales, statements, tax -----------------------------------------------

    def _monthly_sales(
        self, annual_revenue: float, industry: catalog.Industry, z: float, shock: float
    ) -> dict[int, float]:
        """Monthly taxable sales in yuan, keyed by month_key, 48 months ending at as_of."""
        rng = self.rng
        growth_pre = 0.05 - 0.14 * self._signal(z)
        # After the observation date half the old trend persists (firms revert towards
        # the mean) and months are less noisy: a sales drop there mostly means something.
        growth_post = 0.5 * growth_pre - 0.10 * shock - (0.10 if self.defaulted else 0.0)
        level = math.log(annual_revenue / 12.0)
        phase = rng.uniform(0, 2 * math.pi)
        obs_key = month_key(self.obs)
        end_key = month_key(self.as_of)
        sales: dict[int, float] = {}
        for key in range(end_key - 47, end_key + 1):
            t = key - obs_key
            trend = growth_pre * t / 12.0 if t <= 0 else growth_post * t / 12.0
            season = industry.seasonality * math.sin(2 * math.pi * (key % 12) / 12.0 + phase)
            sales[key] = math.exp(level + trend + season + rng.gauss(0.0, 0.12 if t <= 0 else 0.07))
        return sales

    def _financials(
        self, size: catalog.SizeClass, sales: dict[int, float], z: float, shock: float
    ) -> None:
        rng = self.rng
        annual_share = {"micro": 0.7, "small": 0.4, "medium": 0.1}[size.name]
        annual = rng.random() < annual_share
        end_key = month_key(self.as_of)
        obs_key = month_key(self.obs)
        if annual:
            last_year = (
                self.as_of.year
                if self.as_of == month_end(self.as_of.year, 12)
                else self.as_of.year - 1
            )
            ends = [month_end(y, 12) for y in range(last_year - 2, last_year + 1)]
            length = 12
        else:
            last_q_key = end_key - (self.as_of.month % 3)
            if (
                self.as_of < month_end(self.as_of.year, self.as_of.month)
                and self.as_of.month % 3 == 0
            ):
                last_q_key -= 3
            keys = [last_q_key - 3 * j for j in range(11, -1, -1)]
            ends = [month_end(k // 12, k % 12 + 1) for k in keys]
            length = 3
        margin_base = 0.06 - 0.05 * self._signal(z)
        lev_base = -0.2 + 0.5 * self._signal(z)
        lev_slope = 0.2 * self._signal(z)
        asset_turnover = rng.lognormvariate(math.log(1.1), 0.3)
        current_share = rng.uniform(0.4, 0.75)
        current_liab_share = rng.uniform(0.55, 0.9)
        for end in ends:
            key = month_key(end)
            months = [sales.get(k) for k in range(key - length + 1, key + 1)]
            known = [m for m in months if m is not None]
            revenue = sum(known) * (length / len(known)) * (1 + rng.gauss(0.0, 0.04))
            annualised = revenue * 12 / length
            years = (key - obs_key) / 12.0
            after = key > obs_key
            margin = margin_base + rng.gauss(0.0, 0.02)
            leverage_x = lev_base + lev_slope * years
            if after:
                margin -= 0.03 * shock + (0.06 if self.defaulted else 0.0)
                leverage_x += 0.3 * shock + (0.6 if self.defaulted else 0.0)
            assets = annualised / asset_turnover * (1 + rng.gauss(0.0, 0.05))
            leverage = min(0.98, _sigmoid(leverage_x))
            liabilities = assets * leverage
            net_profit = revenue * margin
            cash_flow = net_profit + revenue * rng.gauss(0.02, 0.04)
            self._emit(
                "financial_statement",
                {
                    "firm_uscc": self.uscc,
                    "period_end": end.isoformat(),
                    "period_type": "annual" if annual else "quarterly",
                    "revenue": yuan(fen_from_yuan(revenue)),
                    "net_profit": yuan(fen_from_yuan(net_profit)),
                    "total_assets": yuan(fen_from_yuan(assets)),
                    "total_liabilities": yuan(fen_from_yuan(liabilities)),
                    "current_assets": yuan(fen_from_yuan(assets * current_share)),
                    "current_liabilities": yuan(fen_from_yuan(liabilities * current_liab_share)),
                    "operating_cash_flow": yuan(fen_from_yuan(cash_flow)),
                },
            )

    def _tax_records(
        self,
        sales: dict[int, float],
        industry: catalog.Industry,
        z: float,
        post: float,
        deregistered_on: dt.date | None,
    ) -> None:
        rng = self.rng
        obs_key = month_key(self.obs)
        end_key = month_key(self.as_of)
        stop_key = month_key(deregistered_on) if deregistered_on else end_key
        arrears_pre = -4.0 + 1.2 * self._signal(z)
        arrears_post = -4.0 + 1.2 * post
        in_arrears = False
        for key in range(end_key - 35, min(end_key, stop_key) + 1):
            taxable = fen_from_yuan(sales[key])
            tax = max(0, fen_from_yuan(sales[key] * industry.tax_share * (1 + rng.gauss(0, 0.1))))
            # Arrears persist: a firm behind on tax tends to stay behind.
            x = arrears_pre if key <= obs_key else arrears_post
            in_arrears = rng.random() < (0.6 if in_arrears else _sigmoid(x))
            arrears = fen_from_yuan(tax / 100 * rng.uniform(0.5, 2.5)) if in_arrears else 0
            self._emit(
                "tax_record",
                {
                    "firm_uscc": self.uscc,
                    "month": f"{key // 12:04d}-{key % 12 + 1:02d}",
                    "taxable_sales": yuan(taxable),
                    "tax_paid": yuan(tax),
                    "arrears": yuan(arrears),
                },
            )

    # -- registry, courts, bureau ----------------------------------------------------

    def _registry_events(self, z: float, post: float, deregistered_on: dt.date | None) -> bool:
        """Emit registry events; return whether the firm is still listed as abnormal."""
        rng = self.rng
        window_start = add_months(self.as_of, -36)
        events: list[tuple[dt.date, str, str]] = []
        for _ in range(_poisson(rng, 0.9)):
            kind, text = rng.choice(_ROUTINE_EVENTS)
            events.append((self._date_between(window_start, self.as_of), kind, text))
        listed_on: list[dt.date] = []
        if rng.random() < _sigmoid(-3.4 + 1.3 * self._signal(z)):
            listed_on.append(self._date_between(add_months(self.obs, -24), self.obs))
        if rng.random() < _sigmoid(-3.4 + 1.3 * post):
            listed_on.append(self._date_between(self.obs + dt.timedelta(days=1), self.as_of))
        listed = False
        for day in sorted(listed_on):
            events.append(
                (day, "abnormal_listing", "通过登记的住所或者经营场所无法联系，列入经营异常名录")
            )
            listed = True
            if rng.random() < 0.5:
                removal = day + dt.timedelta(days=rng.randint(20, 240))
                if removal <= self.as_of:
                    events.append(
                        (removal, "abnormal_removal", "补报年度报告并公示，移出经营异常名录")
                    )
                    listed = False
        if deregistered_on is not None:
            events.append((deregistered_on, "deregistration", "决议解散，注销登记"))
        for day, kind, text in sorted(events):
            self._emit(
                "registry_event",
                {
                    "firm_uscc": self.uscc,
                    "event_date": day.isoformat(),
                    "kind": kind,
                    "description": text,
                },
            )
        return listed

    def _legal_cases(
        self,
        region: catalog.Region,
        annual_revenue: float,
        z: float,
        post: float,
        size: catalog.SizeClass,
    ) -> None:
        rng = self.rng
        pre_start = add_months(self.obs, -24)
        post_start = self.obs + dt.timedelta(days=1)
        extra_suits = 1.2 if self.defaulted else 0.0
        s_law, s_enf = self._signal(z), self._signal(z)
        plans = [
            ("lawsuit_defendant", pre_start, self.obs, math.exp(-1.7 + 0.9 * s_law)),
            ("enforcement", pre_start, self.obs, math.exp(-2.8 + 1.1 * s_enf)),
            ("administrative_penalty", pre_start, self.obs, math.exp(-2.4 + 0.5 * self._signal(z))),
            ("lawsuit_plaintiff", pre_start, self.obs, 0.25),
            (
                "lawsuit_defendant",
                post_start,
                self.as_of,
                math.exp(-2.2 + 0.9 * post) + extra_suits,
            ),
            ("enforcement", post_start, self.as_of, math.exp(-3.3 + 1.1 * post) + extra_suits / 2),
            ("administrative_penalty", post_start, self.as_of, math.exp(-2.9 + 0.5 * post)),
            ("lawsuit_plaintiff", post_start, self.as_of, 0.12),
        ]
        cases: list[tuple[dt.date, str]] = []
        for kind, start, end, lam in plans:
            cases.extend((self._date_between(start, end), kind) for _ in range(_poisson(rng, lam)))
        court = f"{region.province_abbr}{region.code[2:]}"
        for day, kind in sorted(cases):
            number = rng.randint(100, 19999)
            if kind == "administrative_penalty":
                dept, text = rng.choice(_PENALTIES)
                amount: float = rng.choice((2_000, 5_000, 10_000, 20_000, 50_000)) * (
                    2 if size.name == "medium" else 1
                )
                case_no = f"{region.district[0]}{dept}罚〔{day.year}〕{number % 2000}号"
                description = f"行政处罚：{text}"
                severity = "medium" if amount >= 20_000 else "low"
            else:
                amount = annual_revenue * rng.lognormvariate(math.log(0.03), 1.0)
                share = amount / annual_revenue
                severity = "high" if share > 0.10 else "medium" if share > 0.02 else "low"
                cause = rng.choice(_LAWSUIT_CAUSES)
                if kind == "enforcement":
                    case_no = f"({day.year}){court}执{number}号"
                    description = f"被执行人，执行标的：{cause}"
                    severity = "high" if severity != "low" else "medium"
                else:
                    case_no = f"({day.year}){court}民初{number}号"
                    role = "被告" if kind == "lawsuit_defendant" else "原告"
                    description = f"{cause}（{role}）"
            self._emit(
                "legal_case",
                {
                    "firm_uscc": self.uscc,
                    "case_no": case_no,
                    "kind": kind,
                    "case_date": day.isoformat(),
                    "amount": yuan(fen_from_yuan(amount)),
                    "severity": severity,
                    "description": description,
                },
            )

    def _bureau(self, annual_revenue: float, z: float, post: float) -> None:
        rng = self.rng
        s_overdue, s_inquiry, s_debt = self._signal(z), self._signal(z), self._signal(z)
        debt_ratio = rng.lognormvariate(math.log(0.25) + 0.3 * s_debt, 0.5)
        for quarter in range(-3, OBSERVATION_MONTHS // 3 + 1):
            report = add_months(self.obs, 3 * quarter)
            report = month_end(report.year, report.month)
            if report > self.as_of:
                continue
            after = quarter > 0
            level = post if after else s_overdue
            overdue = _poisson(rng, math.exp(-2.3 + 1.0 * level))
            inquiries = _poisson(rng, math.exp(0.7 + 0.45 * (post if after else s_inquiry)))
            debt = annual_revenue * debt_ratio * (1 + rng.gauss(0.0, 0.1))
            if after and self.defaulted:
                debt *= 1.2
            overdue_amount = debt * rng.uniform(0.01, 0.1) * overdue if overdue else 0.0
            self._emit(
                "bureau_summary",
                {
                    "firm_uscc": self.uscc,
                    "report_date": report.isoformat(),
                    "debt_other_lenders": yuan(max(0, fen_from_yuan(debt))),
                    "overdue_count": overdue,
                    "overdue_amount": yuan(fen_from_yuan(overdue_amount)),
                    "inquiries_6m": inquiries,
                    "open_credit_lines": 1 + _poisson(rng, 1.2 + 0.5 * max(0.0, s_inquiry)),
                },
            )

    # -- loans and repayments --------------------------------------------------------

    def _new_loan(
        self,
        seq: int,
        region: catalog.Region,
        size: catalog.SizeClass,
        annual_revenue: float,
        z: float,
        place: str,
    ) -> _Loan:
        """Draw a loan placed relative to the observation date.

        ``place`` is ``older`` (matured before the observation date), ``primary``
        (outstanding at it, maturing at least 6 months after it) or ``renewal``
        (disbursed after it).
        """
        rng = self.rng
        product = rng.choices(catalog.PRODUCTS, weights=_PRODUCT_WEIGHTS[size.name])[0]
        term = rng.choice(product.terms)
        if place == "older":
            # Shortest term, so that even the oldest loan postdates the firm's founding.
            term = min(product.terms)
            offset = -(term + rng.randint(1, 6))
        elif place == "primary":
            offset = -rng.randint(1, term - 6)
        else:
            term, offset = 12, rng.randint(1, 6)
        disbursed = add_months(self.obs, offset).replace(day=rng.randint(1, 28))
        principal_wan = max(5, round(annual_revenue * rng.uniform(0.08, 0.3) / 10_000))
        if product.guarantee_type == "credit":
            principal_wan = min(principal_wan, 300)
        # Risk-based pricing sees a blurred view of the latent risk, as a lender would.
        rate_e4 = max(
            300, product.base_rate_e4 + rng.randint(-40, 80) + round(30 * self._signal(z))
        )
        return _Loan(
            ref=f"L{region.branch_code}-{disbursed:%Y%m%d}-{self.index:07d}-{seq}",
            product=product,
            method=rng.choice(product.methods),
            principal=principal_wan * 1_000_000,
            rate_e4=rate_e4,
            term=term,
            disbursed=disbursed,
            purpose=rng.choice(_PURPOSES),
        )

    def _loans(
        self,
        region: catalog.Region,
        size: catalog.SizeClass,
        annual_revenue: float,
        z: float,
        post: float,
    ) -> None:
        rng = self.rng
        obs = self.obs
        places = ["primary"]
        if rng.random() < 0.5:
            places.insert(0, "older")
        if not self.defaulted and rng.random() < 0.35:
            places.append("renewal")
        loans = [
            self._new_loan(seq, region, size, annual_revenue, z, place)
            for seq, place in enumerate(places, start=1)
        ]
        primary = loans[places.index("primary")]

        default_from: dt.date | None = None
        if self.defaulted:
            last_due = self.as_of - dt.timedelta(days=DEFAULT_DPD)
            candidates = [
                add_months(primary.disbursed, k)
                for k in range(1, primary.term + 1)
                if obs < add_months(primary.disbursed, k) <= last_due
            ]
            default_from = rng.choice(candidates)
        self.default_from = default_from

        late_pre = -3.3 + 1.1 * self._signal(z)
        late_post = -3.3 + 1.1 * post
        for loan in loans:
            if loan.product.guarantee_type == "guarantee":
                self._emit("person", self._person(region, "guarantor", self.uscc))
            self._schedule(loan)
            for inst in loan.instalments:
                if default_from is not None and inst.due >= default_from:
                    if rng.random() < 0.3:
                        inst.amount_paid = round(inst.amount_due * rng.uniform(0.1, 0.6))
                    continue
                before = inst.due <= obs
                if rng.random() < _sigmoid(late_pre if before else late_post):
                    days = 1 + min(int(rng.expovariate(1 / 8.0)), 58 if before else 80)
                else:
                    days = 0
                paid = inst.due + dt.timedelta(days=days)
                if paid <= self.as_of:
                    inst.paid_date = paid
                    inst.amount_paid = inst.amount_due
            self._emit_loan(loan, region, default_from)

    def _schedule(self, loan: _Loan) -> None:
        """Build the instalments falling due up to as_of."""
        n, rate, outstanding = loan.term, loan.rate_e4, loan.principal
        payment = 0
        if loan.method == "equal_instalment":
            r = rate / 120_000
            payment = round(loan.principal * r / (1 - (1 + r) ** -n))
        for k in range(1, n + 1):
            due = add_months(loan.disbursed, k)
            if due > self.as_of:
                break
            interest = monthly_interest_fen(outstanding, rate)
            if k == n:
                principal_part = outstanding
            elif loan.method == "equal_instalment":
                principal_part = min(outstanding, payment - interest)
            elif loan.method == "equal_principal":
                principal_part = loan.principal // n
            else:
                principal_part = 0
            outstanding -= principal_part
            loan.instalments.append(_Instalment(due, principal_part + interest, principal_part))

    def _emit_loan(self, loan: _Loan, region: catalog.Region, default_from: dt.date | None) -> None:
        repaid = sum(i.principal_part for i in loan.instalments if i.paid_date is not None)
        outstanding = loan.principal - repaid
        unpaid = [i for i in loan.instalments if i.paid_date is None]
        dpd = max(((self.as_of - i.due).days for i in unpaid), default=0)
        maturity = loan.maturity
        if outstanding == 0 and maturity <= self.as_of:
            status = "closed"
        elif default_from is not None and dpd > 180 and self.rng.random() < 0.4:
            status = "written_off"
        else:
            status = "active"
        self._emit(
            "loan",
            {
                "loan_ref": loan.ref,
                "firm_uscc": self.uscc,
                "product": loan.product.name,
                "principal": yuan(loan.principal),
                "annual_rate": rate_str(loan.rate_e4),
                "term_months": loan.term,
                "repayment_method": loan.method,
                "purpose": loan.purpose,
                "guarantee_type": loan.product.guarantee_type,
                "disbursed_on": loan.disbursed.isoformat(),
                "maturity_on": maturity.isoformat(),
                "status": status,
                "outstanding_principal": yuan(outstanding),
                "days_past_due": dpd,
                "branch_code": region.branch_code,
            },
        )
        for inst in loan.instalments:
            late = (inst.paid_date or self.as_of) - inst.due
            self._emit(
                "repayment_history",
                {
                    "firm_uscc": self.uscc,
                    "loan_ref": loan.ref,
                    "due_date": inst.due.isoformat(),
                    "paid_date": inst.paid_date.isoformat() if inst.paid_date else None,
                    "amount_due": yuan(inst.amount_due),
                    "amount_paid": yuan(inst.amount_paid),
                    "days_past_due": max(0, late.days),
                },
            )


def _firm_seed(seed: int, index: int) -> int:
    return seed * 1_000_003 + index


def _build_firm(index: int, seed: int, fake: Faker, as_of: dt.date, source: str) -> _FirmBuilder:
    firm_seed = _firm_seed(seed, index)
    fake.seed_instance(firm_seed)
    builder = _FirmBuilder(index, random.Random(firm_seed), fake, as_of, source)
    builder.build()
    # A stream of its own: the timed warning signals never shift the firm's other draws.
    add_distress_signals(
        builder.records,
        random.Random(f"distress:{firm_seed}"),
        defaulted=builder.defaulted,
        default_from=builder.default_from,
        observation=builder.obs,
        as_of=as_of,
        default_dpd=DEFAULT_DPD,
    )
    return builder


def _check_args(n_firms: int, dirt_rate: float) -> None:
    if n_firms < 0:
        raise ValueError(f"n_firms must be >= 0, got {n_firms}")
    if not 0.0 <= dirt_rate <= 1.0:
        raise ValueError(f"dirt_rate must be between 0 and 1, got {dirt_rate}")


def generate_annotated(
    n_firms: int,
    *,
    seed: int = 42,
    as_of: dt.date = DEFAULT_AS_OF,
    dirt_rate: float = 0.0,
    source: str = "synthetic",
) -> Iterator[GeneratedRecord]:
    """Stream the portfolio with ground truth about injected dirt.

    Same arguments as :func:`generate_portfolio`. The clean content does not depend on
    ``dirt_rate``: dirt is drawn from a separate per-firm random stream, so the records a
    cleaning step should recover are exactly those of the ``dirt_rate=0`` run.

    Yields:
        :class:`GeneratedRecord` tuples, firm by firm.
    """
    _check_args(n_firms, dirt_rate)
    fake = Faker("zh_CN")
    injector = DirtInjector(dirt_rate)
    for index in range(n_firms):
        builder = _build_firm(index, seed, fake, as_of, source)
        if dirt_rate == 0.0:
            for kind, record in builder.records:
                yield GeneratedRecord(kind, record, None)
            continue
        dirt_rng = random.Random(f"dirt:{seed}:{index}")
        for kind, record in builder.records:
            for changed, dirt in injector.process(kind, record, dirt_rng):
                yield GeneratedRecord(kind, changed, dirt)


def generate_portfolio(
    n_firms: int,
    *,
    seed: int = 42,
    as_of: dt.date = DEFAULT_AS_OF,
    dirt_rate: float = 0.0,
    source: str = "synthetic",
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Stream a synthetic SME portfolio as ``(kind, record)`` pairs, firm by firm.

    For each firm, in order: ``firm``, ``person`` (legal representative, shareholders),
    ``financial_statement`` (3 years, annual or quarterly), ``tax_record`` (36 months
    ending at ``as_of``), ``registry_event``, ``legal_case``, ``bureau_summary``
    (quarterly), then for borrowers each ``loan`` followed by its ``repayment_history``.
    With ``dirt_rate=0`` every record validates against ``schema/records/<kind>.schema.json``.

    Args:
        n_firms: number of firms; records are produced lazily, so any size streams.
        seed: the same seed gives identical records; firm ``i`` does not depend on
            ``n_firms``.
        as_of: data date; every date in the records is on or before it. Default is judged
            on instalments due in the :data:`OBSERVATION_MONTHS` months up to it.
        dirt_rate: share of records (0..1) given one data-quality fault, see
            :mod:`smecredit_source_synthetic.dirt`.
        source: value of every record's ``source`` field.

    Yields:
        ``(kind, record)`` with ``kind`` the stem of the record's JSON Schema.

    Raises:
        ValueError: ``n_firms`` is negative or ``dirt_rate`` is outside 0..1.
    """
    for item in generate_annotated(
        n_firms, seed=seed, as_of=as_of, dirt_rate=dirt_rate, source=source
    ):
        yield item.kind, item.record


def latent_labels(
    n_firms: int, seed: int = 42, *, as_of: dt.date = DEFAULT_AS_OF
) -> dict[str, bool]:
    """FOR TESTS ONLY: whether each firm was drawn to default in the outcome window.

    Real sources have no such oracle; production code must derive labels from repayment
    histories. Tests use it to check that the records tell the same story as the hidden
    process (a firm is True exactly when one of its instalments due after the observation
    date reaches :data:`DEFAULT_DPD` days past due by ``as_of``).

    Returns:
        USCC -> drawn default flag, for firms ``0..n_firms-1`` of ``seed``.
    """
    _check_args(n_firms, 0.0)
    fake = Faker("zh_CN")
    labels: dict[str, bool] = {}
    for index in range(n_firms):
        builder = _build_firm(index, seed, fake, as_of, "synthetic")
        labels[builder.uscc] = builder.defaulted
    return labels
