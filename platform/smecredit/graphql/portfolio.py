"""GraphQL of the portfolio: the dashboard's book, quality, warnings and trend.

``portfolio(asOf, months)`` answers the figures of :mod:`smecredit.services.portfolio`
over the loans the caller may see (branch scope, as the loans list). Money is a
``Decimal`` (a string on the wire), ratios a ``Decimal`` fraction (0.05 = 5 %).
Field access is the Casbin policy's as for every type (a partner, which reads only what
it is granted, reads none of it).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import strawberry

from smecredit.domain import portfolio as figures
from smecredit.graphql.lending.enums import LoanClassification
from smecredit.graphql.warnings.types import Severity
from smecredit.security.caller import signed_in
from smecredit.services.lending.cob import business_today
from smecredit.services.portfolio import DEFAULT_TREND_MONTHS, PortfolioView
from smecredit.services.portfolio import portfolio as portfolio_of

__all__ = ["PortfolioQueries", "PortfolioType"]


@strawberry.enum(name="DpdBucket", description="A days-past-due bucket.")
class DpdBucket(enum.Enum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"


@strawberry.type(name="PortfolioClass", description="One class of the five-category split.")
class PortfolioClassType:
    classification: LoanClassification
    count: int
    balance: Decimal


@strawberry.type(name="PortfolioDpdBucket", description="Loans in one days-past-due bucket.")
class PortfolioDpdBucketType:
    bucket: DpdBucket
    min_days: int = strawberry.field(description="The bucket's lowest days past due.")
    max_days: int | None = strawberry.field(
        description="The bucket's highest days past due (null: open-ended)."
    )
    count: int
    balance: Decimal


@strawberry.type(name="PortfolioWarningLevel", description="Open warnings of one severity.")
class PortfolioWarningLevelType:
    severity: Severity
    count: int


@strawberry.type(
    name="PortfolioTrendPoint",
    description="The book at one month end (from the classification history: class and "
    "days past due then, the loans on the book then, their outstanding principal today).",
)
class PortfolioTrendPointType:
    month_end: dt.date
    balance: Decimal
    count: int
    npl_ratio: Decimal


@strawberry.type(
    name="Portfolio",
    description="The caller's book (the loans it may see) on one day: balance, NPL ratio, "
    "five-category split, DPD buckets, open warnings by level and a month-end trend.",
)
class PortfolioType:
    as_of: dt.date = strawberry.field(description="The day the figures describe.")
    live: bool = strawberry.field(
        description="True: the book as it stands; false: rebuilt for a past asOf from the "
        "classification history."
    )
    balance: Decimal = strawberry.field(description="Outstanding principal on the book.")
    count: int = strawberry.field(description="Loans on the book.")
    npl_balance: Decimal = strawberry.field(
        description="Outstanding principal of substandard, doubtful and loss loans."
    )
    npl_ratio: Decimal = strawberry.field(
        description="nplBalance / balance, a fraction with 6 places (0 for an empty book)."
    )
    classes: list[PortfolioClassType] = strawberry.field(
        description="The five categories, best first (every class, zeros included)."
    )
    dpd_buckets: list[PortfolioDpdBucketType] = strawberry.field(
        description="Days-past-due buckets: current, 1-30, 31-60, 61-90, 90+."
    )
    warnings_by_level: list[PortfolioWarningLevelType] = strawberry.field(
        description="Open warnings (open, acknowledged, in progress) per severity, most "
        "severe first."
    )
    trend: list[PortfolioTrendPointType] = strawberry.field(
        description="Month-end balance, count and NPL ratio, oldest first."
    )

    @classmethod
    def from_view(cls, view: PortfolioView) -> PortfolioType:
        """The answer of a service view."""
        bounds = {code: (low, high) for code, low, high in figures.DPD_BUCKETS}
        book = view.book
        return cls(
            as_of=view.as_of,
            live=view.live,
            balance=book.balance,
            count=book.count,
            npl_balance=book.npl_balance,
            npl_ratio=book.npl_ratio,
            classes=[
                PortfolioClassType(
                    classification=LoanClassification(c.loan_class),
                    count=c.count,
                    balance=c.balance,
                )
                for c in book.classes
            ],
            dpd_buckets=[
                PortfolioDpdBucketType(
                    bucket=DpdBucket(b.code),
                    min_days=bounds[b.code][0],
                    max_days=bounds[b.code][1],
                    count=b.count,
                    balance=b.balance,
                )
                for b in book.dpd_buckets
            ],
            warnings_by_level=[
                PortfolioWarningLevelType(severity=Severity(w.code), count=w.count)
                for w in view.warnings
            ],
            trend=[
                PortfolioTrendPointType(
                    month_end=p.month_end, balance=p.balance, count=p.count, npl_ratio=p.npl_ratio
                )
                for p in view.trend
            ],
        )


@strawberry.type
class PortfolioQueries:
    @strawberry.field(
        description="The caller's portfolio (the loans it may see): today's book, or the "
        "book rebuilt for a past asOf; the trend shows the last `months` month ends."
    )
    async def portfolio(
        self,
        info: strawberry.Info,
        as_of: dt.date | None = None,
        months: int = DEFAULT_TREND_MONTHS,
    ) -> PortfolioType:
        view = await portfolio_of(
            signed_in(info.context),
            as_of=as_of,
            today=business_today(info.context.settings),
            months=months,
        )
        return PortfolioType.from_view(view)
