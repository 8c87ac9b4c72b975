"""inclusive_smb_lending: the inclusive small and micro firm lending return (普惠型小微企业贷款)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smecredit.sdk import KeyFigures, ReportContext, ReportDocument, ReportParam, Table
from smecredit_reports_core.figures import ZERO, as_decimal, ratio
from smecredit_reports_core.layout import (
    AS_OF,
    BRANCH,
    NON_PERFORMING,
    BaseReport,
    col,
    drain,
    fig,
    scoped,
)
from smecredit_reports_core.migration import StateTracker

__all__ = ["CREDIT_LINE_LIMIT", "InclusiveSmbLending", "segment_firms"]

#: The single-borrower credit line of inclusive small and micro lending: 10 million yuan.
CREDIT_LINE_LIMIT = Decimal(10_000_000)


@dataclass(frozen=True, slots=True)
class _Loan:
    firm_id: Any
    branch_code: Any
    balance: Decimal
    credit_line: Decimal
    rate: Decimal
    classification: str
    disbursed_on: dt.date | None
    closed_on: dt.date | None

    def open_on(self, day: dt.date) -> bool:
        return (self.disbursed_on or dt.date.min) <= day and (self.closed_on or dt.date.max) > day


def segment_firms(lines: Iterable[tuple[Any, Decimal]], limit: Decimal) -> set[Any]:
    """Firms whose summed credit lines (``(firm, line)`` pairs) are at most ``limit``."""
    total: dict[Any, Decimal] = {}
    for firm, line in lines:
        total[firm] = total.get(firm, ZERO) + line
    return {firm for firm, line in total.items() if line <= limit}


class InclusiveSmbLending(BaseReport):
    """Balance, borrowers, growth, NPL ratio and rate of loans to firms within the limit."""

    name = "inclusive_smb_lending"
    title_zh = "普惠型小微企业贷款"
    title_en = "Inclusive small and micro firm lending"
    description_zh = (
        "单户授信总额1000万元（含）以下小微企业贷款：余额、有贷款余额户数、较年初增长、"
        "不良率（与全部贷款对比）、加权平均利率。"
    )
    description_en = (
        "Loans to firms with a total credit line of 10 million yuan or less: balance, "
        "borrowers with a balance, growth since the start of the year, NPL ratio against "
        "the whole book, balance-weighted average rate."
    )
    category = "regulatory"
    params: tuple[ReportParam, ...] = (
        AS_OF,
        ReportParam(
            "credit_line_limit",
            "decimal",
            "单户授信上限（元）",
            "Credit line limit (yuan)",
            default=CREDIT_LINE_LIMIT,
            minimum=Decimal(0),
        ),
        BRANCH,
    )

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Loans streamed once (the segment is decided per firm), the history up to Jan 1."""
        as_of: dt.date = params.get("as_of") or context.today
        limit = as_decimal(params.get("credit_line_limit") or CREDIT_LINE_LIMIT)
        jan1 = dt.date(as_of.year, 1, 1)
        loans: dict[Any, _Loan] = {}
        rows = context.rows(
            "loans",
            (
                "loan_id",
                "firm_id",
                "branch_code",
                "balance",
                "credit_line",
                "principal",
                "annual_rate",
                "classification",
                "disbursed_on",
                "closed_on",
            ),
            # Not filtered on disbursed_on: a loan without the date is open (see _Loan).
            where=scoped(params),
        )
        async for r in drain(context, rows):
            line = r["credit_line"] if r["credit_line"] is not None else r["principal"]
            loans[r["loan_id"]] = _Loan(
                r["firm_id"],
                r["branch_code"],
                as_decimal(r["balance"]),
                as_decimal(line),
                as_decimal(r["annual_rate"]),
                str(r["classification"]),
                r["disbursed_on"],
                r["closed_on"],
            )
        now = {k: v for k, v in loans.items() if v.balance > 0 and v.open_on(as_of)}
        segment_now = segment_firms(((v.firm_id, v.credit_line) for v in now.values()), limit)
        seg = [v for v in now.values() if v.firm_id in segment_now]
        # The balance at Jan 1 is the principal of the history (it holds no balance).
        tracker: StateTracker[Any, Decimal] = StateTracker((jan1,))
        history = context.rows(
            "classification_history",
            ("loan_id", "as_of", "principal"),
            where=scoped(params, as_of=("<=", jan1)),
        )
        async for r in drain(context, history):
            tracker.add(r["loan_id"], r["as_of"], as_decimal(r["principal"]))
        start = {
            loan: principal
            for loan, principal in tracker.states()[jan1].items()
            if loan in loans and loans[loan].open_on(jan1)
        }
        segment_start = segment_firms(
            ((loans[k].firm_id, loans[k].credit_line) for k in start), limit
        )
        start_balance = sum(
            (p for k, p in start.items() if loans[k].firm_id in segment_start), ZERO
        )
        balance = sum((v.balance for v in seg), ZERO)
        npl = sum((v.balance for v in seg if v.classification in NON_PERFORMING), ZERO)
        book = sum((v.balance for v in now.values()), ZERO)
        book_npl = sum(
            (v.balance for v in now.values() if v.classification in NON_PERFORMING), ZERO
        )
        rate = ratio(sum((v.rate * v.balance for v in seg), ZERO), balance)
        figures = (
            fig("balance", "普惠型小微企业贷款余额", "Balance", balance, "money"),
            fig(
                "borrowers",
                "有贷款余额户数",
                "Borrowers with a balance",
                len({v.firm_id for v in seg}),
                "int",
            ),
            fig("loans", "贷款笔数", "Loans", len(seg), "int"),
            fig(
                "start_balance",
                "年初余额",
                "Balance at the start of the year",
                start_balance,
                "money",
            ),
            fig(
                "growth",
                "较年初增加额",
                "Growth since the start of the year",
                balance - start_balance,
                "money",
            ),
            fig(
                "growth_rate",
                "较年初增速",
                "Growth rate",
                ratio(balance - start_balance, start_balance),
                "percent",
            ),
            fig(
                "npl_ratio",
                "普惠不良贷款率",
                "NPL ratio of the segment",
                ratio(npl, balance),
                "percent",
            ),
            fig(
                "book_npl_ratio",
                "全部贷款不良率",
                "NPL ratio of the whole book",
                ratio(book_npl, book),
                "percent",
            ),
            fig(
                "npl_gap",
                "不良率差（普惠-全部）",
                "NPL ratio gap (segment - book)",
                ratio(npl, balance) - ratio(book_npl, book),
                "percent",
            ),
            fig("average_rate", "加权平均利率", "Average rate (balance-weighted)", rate, "percent"),
        )
        by_branch: dict[Any, list[_Loan]] = {}
        for v in seg:
            by_branch.setdefault(v.branch_code, []).append(v)
        branch_rows = []
        for branch in sorted(by_branch, key=str):
            members = by_branch[branch]
            b = sum((v.balance for v in members), ZERO)
            b_npl = sum((v.balance for v in members if v.classification in NON_PERFORMING), ZERO)
            branch_rows.append(
                (
                    branch,
                    len({v.firm_id for v in members}),
                    b,
                    ratio(b_npl, b),
                    ratio(sum((v.rate * v.balance for v in members), ZERO), b),
                )
            )
        return ReportDocument(
            sections=(
                KeyFigures("indicators", "普惠型小微企业贷款指标", "Indicators", figures),
                Table(
                    "by_branch",
                    "按机构",
                    "By branch",
                    (
                        col("branch_code", "机构", "Branch"),
                        col("borrowers", "户数", "Borrowers", "int"),
                        col("balance", "余额", "Balance", "money"),
                        col("npl_ratio", "不良率", "NPL ratio", "percent"),
                        col("average_rate", "加权平均利率", "Average rate", "percent"),
                    ),
                    branch_rows,
                ),
            ),
            notes_zh=(
                "口径：借款人在该日未结清贷款的授信额度（credit_line，缺失时取本金）合计不超过"
                "单户授信上限（默认1000万元）的贷款。各指标定义见 docs/reports.md。",
                "年初余额取分类历史中1月1日或之前最近一条记录的本金（分类历史不含余额）。",
                "平均利率按余额加权；不良 = 次级 + 可疑 + 损失。",
            ),
            notes_en=(
                "Segment: loans of borrowers whose credit lines (credit_line, else principal) "
                "over their loans open on the day sum to at most the limit (default 10 "
                "million yuan). docs/reports.md defines each indicator.",
                "The balance at the start of the year is the principal of each loan's latest "
                "classification history row on or before January 1 (the history holds no "
                "balance).",
                "The average rate is weighted by balance; non-performing = substandard + "
                "doubtful + loss.",
            ),
            as_of=as_of,
        )
