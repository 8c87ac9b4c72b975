"""Point-in-time features of a firm for probability-of-default models (R4).

Every feature is computed from a firm's profile and the evidence gathered about it **as of a
date**: only evidence dated on or before ``as_of`` is looked at, so a model trained on past
as-of dates never sees the future (no look-ahead). What "dated" means per evidence kind:

* financial statements: ``period_end``
* tax records: the last day of ``month`` (a month is known once it has ended)
* registry events: ``event_date``; legal cases: ``case_date``
* bureau summaries: ``report_date``
* repayment history: ``due_date``; a payment made after ``as_of`` counts as unpaid on
  ``as_of`` (its lateness is measured up to ``as_of`` only). The stored
  ``days_past_due`` column is never used: it reflects the day the data was loaded.

Inputs are plain records (mappings with the field names of ``schema/records/``); values may
be strings, ``Decimal``, numbers or dates. Money becomes float here because features feed
statistical models, not accounts.

:data:`FEATURES` is the catalogue: a stable code, plain-word English and Chinese names (used
in reason codes shown to people) and a description for each feature.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "CATEGORICAL_FEATURES",
    "DEFAULT_DPD_THRESHOLD",
    "DEFAULT_HORIZON_MONTHS",
    "EVIDENCE_KINDS",
    "FEATURES",
    "FEATURE_CODES",
    "Feature",
    "FeatureRow",
    "add_months",
    "compute_features",
    "default_events",
    "default_label",
    "feature",
    "features_markdown",
    "in_default",
    "in_population",
]

#: A firm's features: code -> number, category string, or None when unknown.
FeatureRow = dict[str, float | str | None]

#: Evidence kinds read by :func:`compute_features` (keys of its ``evidence`` argument).
EVIDENCE_KINDS: tuple[str, ...] = (
    "financial_statement",
    "tax_record",
    "registry_event",
    "legal_case",
    "bureau_summary",
    "repayment_history",
)

#: Days past due from which an instalment counts as a default (Basel 90 days).
DEFAULT_DPD_THRESHOLD = 90
#: Months after the as-of date in which a default is looked for.
DEFAULT_HORIZON_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature of the catalogue.

    Attributes:
        code: stable snake_case code, the key in feature rows and model artefacts.
        name_en: plain English words for reason codes ("Debt to assets").
        name_zh: plain Chinese words for reason codes ("资产负债率").
        description: how it is computed, for model cards and ``docs/features.md``.
        kind: ``numeric`` or ``categorical``.
    """

    code: str
    name_en: str
    name_zh: str
    description: str
    kind: Literal["numeric", "categorical"] = "numeric"


FEATURES: tuple[Feature, ...] = (
    Feature("employees", "Number of employees", "员工人数", "Employees on the firm profile."),
    Feature(
        "log_registered_capital",
        "Registered capital",
        "注册资本",
        "Natural log of 1 + registered capital in yuan.",
    ),
    Feature(
        "firm_age_years",
        "Years in business",
        "经营年限",
        "Years from the establishment date to the as-of date.",
    ),
    Feature(
        "industry_section",
        "Industry",
        "所属行业",
        "Section letter of the national industry code (GB/T 4754), e.g. C manufacturing.",
        "categorical",
    ),
    Feature(
        "province",
        "Province",
        "所在省份",
        "First two digits of the administrative region code.",
        "categorical",
    ),
    Feature(
        "log_revenue",
        "Annual revenue",
        "年营业收入",
        "Natural log of 1 + revenue of the latest annual statement, or of the latest four "
        "quarters when quarterly statements are newer.",
    ),
    Feature(
        "debt_to_asset",
        "Debt to assets",
        "资产负债率",
        "Total liabilities / total assets of the latest statement.",
    ),
    Feature(
        "current_ratio",
        "Current ratio",
        "流动比率",
        "Current assets / current liabilities of the latest statement.",
    ),
    Feature(
        "net_margin",
        "Net profit margin",
        "销售净利率",
        "Net profit / revenue over the same window as annual revenue.",
    ),
    Feature(
        "roa",
        "Return on assets",
        "总资产收益率",
        "Net profit over the revenue window / total assets of the latest statement.",
    ),
    Feature(
        "revenue_growth",
        "Revenue growth",
        "营业收入增长率",
        "Latest annual revenue / the annual revenue a year earlier, minus 1.",
    ),
    Feature(
        "tax_sales_trend",
        "Trend of taxed sales",
        "纳税销售额趋势",
        "Slope of monthly taxable sales over the last 12 months, per month, relative to "
        "their mean.",
    ),
    Feature(
        "tax_sales_yoy",
        "Taxed sales versus a year ago",
        "纳税销售额同比变化",
        "ln((sales of the last 6 months + 1) / (sales of the same 6 months a year earlier + 1)).",
    ),
    Feature(
        "tax_sales_volatility",
        "Volatility of taxed sales",
        "纳税销售额波动",
        "Coefficient of variation of monthly taxable sales over the last 12 months.",
    ),
    Feature(
        "tax_arrears_months_12m",
        "Months with tax arrears",
        "近12个月欠税月数",
        "Months of the last 12 with tax arrears above zero.",
    ),
    Feature(
        "abnormal_listings",
        "Abnormal operation listings",
        "经营异常名录次数",
        "Registry listings in the abnormal-operation list up to the as-of date.",
    ),
    Feature(
        "legal_rep_changes_24m",
        "Changes of legal representative",
        "近24个月法定代表人变更次数",
        "Changes of the legal representative in the last 24 months.",
    ),
    Feature(
        "registry_changes_12m",
        "Registration changes",
        "近12个月工商变更次数",
        "Registry change events of any kind in the last 12 months.",
    ),
    Feature(
        "lawsuits",
        "Lawsuits and enforcements",
        "涉诉及被执行次数",
        "Court cases as defendant and enforcement cases up to the as-of date.",
    ),
    Feature(
        "lawsuits_12m",
        "Recent lawsuits",
        "近12个月涉诉次数",
        "Court cases as defendant and enforcement cases in the last 12 months.",
    ),
    Feature(
        "log_lawsuit_amount",
        "Amount in lawsuits",
        "涉诉金额",
        "Natural log of 1 + the amounts of lawsuits and enforcements up to the as-of date.",
    ),
    Feature(
        "days_since_lawsuit",
        "Days since the last lawsuit",
        "距最近涉诉天数",
        "Days from the latest lawsuit or enforcement to the as-of date; missing when none.",
    ),
    Feature(
        "penalties",
        "Administrative penalties",
        "行政处罚次数",
        "Administrative penalties up to the as-of date.",
    ),
    Feature(
        "log_bureau_debt",
        "Debt at other lenders",
        "他行负债",
        "Natural log of 1 + debt at other lenders on the latest bureau report.",
    ),
    Feature(
        "bureau_overdues",
        "Overdues at other lenders",
        "他行逾期次数",
        "Overdue counts summed over the bureau reports up to the as-of date.",
    ),
    Feature(
        "log_bureau_overdue_amount",
        "Overdue amount at other lenders",
        "他行逾期金额",
        "Natural log of 1 + the overdue amount on the latest bureau report.",
    ),
    Feature(
        "bureau_inquiries_6m",
        "Credit inquiries",
        "近6个月征信查询次数",
        "Highest six-month inquiry count over the bureau reports up to the as-of date.",
    ),
    Feature(
        "open_credit_lines",
        "Open credit lines",
        "未结清授信笔数",
        "Open credit lines on the latest bureau report.",
    ),
    Feature(
        "max_dpd",
        "Worst days past due",
        "历史最长逾期天数",
        "Most days past due of any instalment due up to the as-of date, counted up to it.",
    ),
    Feature(
        "late_instalments",
        "Late instalments",
        "历史逾期期数",
        "Instalments due up to the as-of date that were paid late or are still unpaid.",
    ),
    Feature(
        "instalments_due",
        "Instalments due so far",
        "历史应还期数",
        "Instalments of earlier loans due up to the as-of date (depth of the history).",
    ),
)

#: Codes of :data:`FEATURES`, in catalogue order (the column order of feature matrices).
FEATURE_CODES: tuple[str, ...] = tuple(f.code for f in FEATURES)
#: Codes of the categorical features.
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.code for f in FEATURES if f.kind == "categorical")
_BY_CODE = {f.code: f for f in FEATURES}

_LAWSUIT_KINDS = frozenset({"lawsuit_defendant", "enforcement"})


def feature(code: str) -> Feature | None:
    """The catalogue entry of ``code``, or None for a feature not in the catalogue."""
    return _BY_CODE.get(code)


# ------------------------------------------------------------------------------ coercion


def _num(value: Any) -> float | None:
    # Exact-type checks first: the database hands most cells over as text or float, and
    # this runs for every cell of every firm scored in a batch.
    kind = type(value)
    if kind is str:
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            return None
    if kind is float:
        return None if value != value else value  # NaN is missing
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int | Decimal):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _date(value: Any) -> dt.date | None:
    if type(value) is str and value:  # the common case first (ISO text from the database)
        return dt.date.fromisoformat(value[:10])
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _month_index(month: Any) -> int | None:
    text = month if type(month) is str else str(month)
    if len(text) < 7:
        return None
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return num / den


def _log1p(value: float | None) -> float | None:
    return None if value is None else math.log1p(max(value, 0.0))


# --------------------------------------------------------------------------- the features


def compute_features(
    firm: Mapping[str, Any],
    evidence: Mapping[str, Iterable[Mapping[str, Any]]],
    as_of: dt.date,
) -> FeatureRow:
    """All catalogue features of one firm as of ``as_of``.

    Args:
        firm: the firm profile (``industry_code``, ``region_code``, ``established_on``,
            ``registered_capital``, ``employees``).
        evidence: evidence kind (see :data:`EVIDENCE_KINDS`) -> that kind's records of this
            firm, in any order; missing kinds mean no evidence.
        as_of: the date the features describe; evidence dated after it is ignored.

    Returns:
        code -> value for every code of :data:`FEATURE_CODES` (None when unknown).
    """
    row: FeatureRow = dict.fromkeys(FEATURE_CODES)
    _profile(row, firm, as_of)
    _financials(row, evidence.get("financial_statement", ()), as_of)
    _tax(row, evidence.get("tax_record", ()), as_of)
    _registry(row, evidence.get("registry_event", ()), as_of)
    _legal(row, evidence.get("legal_case", ()), as_of)
    _bureau(row, evidence.get("bureau_summary", ()), as_of)
    _repayments(row, evidence.get("repayment_history", ()), as_of)
    return row


def _profile(row: FeatureRow, firm: Mapping[str, Any], as_of: dt.date) -> None:
    row["employees"] = _num(firm.get("employees"))
    row["log_registered_capital"] = _log1p(_num(firm.get("registered_capital")))
    established = _date(firm.get("established_on"))
    if established is not None:
        row["firm_age_years"] = max((as_of - established).days, 0) / 365.25
    industry = str(firm.get("industry_code") or "")
    row["industry_section"] = industry[:1].upper() or None
    region = str(firm.get("region_code") or "")
    row["province"] = region[:2] or None


def _financials(row: FeatureRow, records: Iterable[Mapping[str, Any]], as_of: dt.date) -> None:
    known = []
    for s in records:
        end = _date(s.get("period_end"))
        if end is not None and end <= as_of:
            known.append((end, str(s.get("period_type", "annual")), s))
    if not known:
        return
    known.sort(key=lambda t: t[0])
    _, latest_type, latest = known[-1]
    annual = [t for t in known if t[1] == "annual"]
    if latest_type != "annual":
        quarters = [t for t in known if t[1] != "annual"][-4:]
        window = (
            [t[2] for t in quarters] if len(quarters) == 4 else [annual[-1][2]] if annual else []
        )
    else:
        window = [latest]
    revenues = [_num(s.get("revenue")) for s in window]
    profits = [_num(s.get("net_profit")) for s in window]
    revenue = sum(r for r in revenues if r is not None) if window and None not in revenues else None
    profit = sum(p for p in profits if p is not None) if window and None not in profits else None
    assets = _num(latest.get("total_assets"))
    row["log_revenue"] = _log1p(revenue)
    row["debt_to_asset"] = _ratio(_num(latest.get("total_liabilities")), assets)
    row["current_ratio"] = _ratio(
        _num(latest.get("current_assets")), _num(latest.get("current_liabilities"))
    )
    row["net_margin"] = _ratio(profit, revenue)
    row["roa"] = _ratio(profit, assets)
    if len(annual) >= 2:
        (end_now, _, now), (end_before, _, before) = annual[-1], annual[-2]
        if 300 <= (end_now - end_before).days <= 430:
            ratio = _ratio(_num(now.get("revenue")), _num(before.get("revenue")))
            row["revenue_growth"] = None if ratio is None else ratio - 1.0


def _tax(row: FeatureRow, records: Iterable[Mapping[str, Any]], as_of: dt.date) -> None:
    # A month is known once its last day has passed (or is the as-of date).
    next_month = add_months(as_of.replace(day=1), 1)
    last_known = (
        as_of.year * 12 + as_of.month - 1 - (0 if as_of == next_month - dt.timedelta(1) else 1)
    )
    sales: dict[int, float] = {}
    arrears_months = 0
    any_record = False
    num, month_index = _num, _month_index  # locals: this loop runs for every tax month
    for t in records:
        index = month_index(t.get("month"))
        if index is None or index > last_known:
            continue
        any_record = True
        offset = last_known - index
        value = num(t.get("taxable_sales"))
        if value is not None:
            sales[offset] = value
        if offset < 12:
            arrears = num(t.get("arrears"))
            if arrears is not None and arrears > 0:
                arrears_months += 1
    if not any_record:
        return
    row["tax_arrears_months_12m"] = float(arrears_months)
    last12 = [(11 - k, sales[k]) for k in range(12) if k in sales]
    if len(last12) >= 3:
        xs = [float(x) for x, _ in last12]
        ys = [y for _, y in last12]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
        if mean_y > 0:
            row["tax_sales_trend"] = slope / mean_y
            sd = math.sqrt(sum((y - mean_y) ** 2 for y in ys) / len(ys))
            row["tax_sales_volatility"] = sd / mean_y
    recent = [sales[k] for k in range(6) if k in sales]
    older = [sales[k] for k in range(12, 18) if k in sales]
    if recent and older:
        row["tax_sales_yoy"] = math.log((sum(recent) + 1.0) / (sum(older) + 1.0))


def _registry(row: FeatureRow, records: Iterable[Mapping[str, Any]], as_of: dt.date) -> None:
    since_12 = add_months(as_of, -12)
    since_24 = add_months(as_of, -24)
    abnormal = rep_changes = changes = 0
    for e in records:
        day = _date(e.get("event_date"))
        if day is None or day > as_of:
            continue
        kind = str(e.get("kind", ""))
        if kind == "abnormal_listing":
            abnormal += 1
        if kind == "legal_rep_change" and day > since_24:
            rep_changes += 1
        if day > since_12:
            changes += 1
    row["abnormal_listings"] = float(abnormal)
    row["legal_rep_changes_24m"] = float(rep_changes)
    row["registry_changes_12m"] = float(changes)


def _legal(row: FeatureRow, records: Iterable[Mapping[str, Any]], as_of: dt.date) -> None:
    since_12 = add_months(as_of, -12)
    suits = suits_12 = penalties = 0
    amount = 0.0
    latest: dt.date | None = None
    for c in records:
        day = _date(c.get("case_date"))
        if day is None or day > as_of:
            continue
        kind = str(c.get("kind", ""))
        if kind == "administrative_penalty":
            penalties += 1
        elif kind in _LAWSUIT_KINDS:
            suits += 1
            suits_12 += day > since_12
            amount += _num(c.get("amount")) or 0.0
            latest = day if latest is None or day > latest else latest
    row["lawsuits"] = float(suits)
    row["lawsuits_12m"] = float(suits_12)
    row["log_lawsuit_amount"] = math.log1p(amount)
    row["days_since_lawsuit"] = None if latest is None else float((as_of - latest).days)
    row["penalties"] = float(penalties)


def _bureau(row: FeatureRow, records: Iterable[Mapping[str, Any]], as_of: dt.date) -> None:
    known = []
    for b in records:
        day = _date(b.get("report_date"))
        if day is not None and day <= as_of:
            known.append((day, b))
    if not known:
        return
    known.sort(key=lambda t: t[0])
    latest = known[-1][1]
    row["log_bureau_debt"] = _log1p(_num(latest.get("debt_other_lenders")))
    row["bureau_overdues"] = float(sum(_num(b.get("overdue_count")) or 0.0 for _, b in known))
    row["log_bureau_overdue_amount"] = _log1p(_num(latest.get("overdue_amount")))
    row["bureau_inquiries_6m"] = max(_num(b.get("inquiries_6m")) or 0.0 for _, b in known)
    row["open_credit_lines"] = _num(latest.get("open_credit_lines"))


def _repayments(row: FeatureRow, records: Iterable[Mapping[str, Any]], as_of: dt.date) -> None:
    worst = late = due_count = 0
    for inst in records:
        due = _date(inst.get("due_date"))
        if due is None or due > as_of:
            continue
        due_count += 1
        paid = _date(inst.get("paid_date"))
        # A payment after as_of is unknown on as_of: the instalment was still open then.
        settled = paid if paid is not None and paid <= as_of else as_of
        days = max((settled - due).days, 0)
        worst = max(worst, days)
        late += days > 0
    row["max_dpd"] = float(worst)
    row["late_instalments"] = float(late)
    row["instalments_due"] = float(due_count)


# ------------------------------------------------------------------------------- labels


def in_population(
    loans: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    repayments: Iterable[Mapping[str, Any]] | None = None,
    *,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
) -> bool:
    """Whether the firm is in the population of ``as_of``: it held a loan on that day
    (disbursed on or before, maturing after) and was not already in default.

    A firm already in default on the observation date (see :func:`in_default`) is left out:
    its arrears would be both a feature and the label, which is leakage, not prediction.
    ``repayments`` None skips that check (loans only).
    """
    holds = False
    loans = list(loans)
    for loan in loans:
        start, end = _date(loan.get("disbursed_on")), _date(loan.get("maturity_on"))
        if start is not None and start <= as_of and (end is None or as_of < end):
            holds = True
            break
    if not holds:
        return False
    if repayments is None:
        return True
    return not in_default(repayments, loans, as_of, dpd_threshold=dpd_threshold)


def in_default(
    repayments: Iterable[Mapping[str, Any]],
    loans: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    *,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
) -> bool:
    """Whether the firm was in default on ``as_of``, knowing only what was known then.

    In default: an instalment due on or before ``as_of - dpd_threshold`` days still unpaid
    on ``as_of`` (a later payment was not known yet), or a loan written off on or before
    ``as_of``. A default cured before ``as_of`` (the instalment paid) no longer counts.
    """
    for inst in repayments:
        due = _date(inst.get("due_date"))
        if due is None or (as_of - due).days < dpd_threshold:
            continue
        paid = _date(inst.get("paid_date"))
        if paid is None or paid > as_of:
            return True
    for loan in loans:
        if str(loan.get("status", "")) == "written_off":
            closed = _date(loan.get("closed_on"))
            if closed is not None and closed <= as_of:
                return True
    return False


def default_events(
    repayments: Iterable[Mapping[str, Any]],
    loans: Iterable[Mapping[str, Any]],
    *,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    observed_on: dt.date | None = None,
) -> list[dt.date | None]:
    """The days on which the firm entered default, as far as the records tell.

    An instalment enters default on ``due + dpd_threshold`` days when it reached that
    lateness: paid that late, or unpaid with a recorded ``days_past_due`` at or over the
    threshold, or unpaid on ``observed_on`` that late. A written-off loan enters default on
    its ``closed_on`` (None when the day is not recorded).
    """
    events: list[dt.date | None] = []
    step = dt.timedelta(days=dpd_threshold)
    for inst in repayments:
        due = _date(inst.get("due_date"))
        if due is None:
            continue
        paid = _date(inst.get("paid_date"))
        settled = paid if paid is not None else observed_on
        recorded = _num(inst.get("days_past_due")) or 0.0
        if (paid is None and recorded >= dpd_threshold) or (
            settled is not None and (settled - due).days >= dpd_threshold
        ):
            events.append(due + step)
    for loan in loans:
        if str(loan.get("status", "")) == "written_off":
            events.append(_date(loan.get("closed_on")))
    return events


def default_label(
    repayments: Iterable[Mapping[str, Any]],
    loans: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    observed_on: dt.date | None = None,
) -> bool:
    """Whether the firm defaulted within the performance window ``(as_of, as_of + horizon]``.

    A default is a default event (:func:`default_events`: an instalment reaching
    ``dpd_threshold`` days past due, or a write-off) dated inside the window; a write-off
    with no recorded day counts as inside. Events on or before ``as_of`` are not this
    window's: such a firm is out of the population (:func:`in_population`).

    Args:
        repayments: the firm's instalments (``due_date``, ``paid_date``, ``days_past_due``).
        loans: the firm's loans (``status``, ``closed_on``).
        as_of: the observation date.
        horizon_months: length of the performance window.
        dpd_threshold: days past due that make a default.
        observed_on: the day the outcome is read: an unpaid instalment counts as late up
            to that day. None trusts the recorded ``days_past_due`` of unpaid instalments.
    """
    end = add_months(as_of, horizon_months)
    for day in default_events(
        repayments, loans, dpd_threshold=dpd_threshold, observed_on=observed_on
    ):
        if day is None or as_of < day <= end:
            return True
    return False


def features_markdown(features: Sequence[Feature] = FEATURES) -> str:
    """The catalogue as a Markdown table (the content of ``docs/features.md``)."""
    lines = [
        "# Scoring features",
        "",
        "Computed by `smecredit.domain.features.compute_features` from evidence dated on or",
        "before the as-of date only. Generated from `FEATURES`; do not edit by hand.",
        "",
        "| Code | Kind | English | 中文 | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in features:
        lines.append(f"| `{f.code}` | {f.kind} | {f.name_en} | {f.name_zh} | {f.description} |")
    return "\n".join(lines) + "\n"
