"""Building blocks of the report types: columns, parameters, scopes, the base class."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from smecredit.sdk import (
    REPORT_FORMATS,
    ColumnKind,
    Figure,
    ReportColumn,
    ReportContext,
    ReportParam,
)
from smecredit_reports_core.ecl import DEFAULT_LGD

__all__ = [
    "AS_OF",
    "BRANCH",
    "CLASSES",
    "NON_PERFORMING",
    "PRODUCT",
    "RISK_ROLES",
    "BaseReport",
    "col",
    "day_of",
    "drain",
    "fig",
    "lgd_of",
    "loan_defaults",
    "offered",
    "outstanding",
    "scoped",
]

#: Who may run the risk reports (an administrator only where a type names it).
RISK_ROLES: tuple[str, ...] = ("risk_analyst", "credit_committee", "admin")

AS_OF = ReportParam("as_of", "date", "统计日", "As of", default="today")
BRANCH = ReportParam("branch", "branch", "机构", "Branch")
PRODUCT = ReportParam("product", "product", "产品", "Product")

#: The five categories, best first: (code, zh, en).
CLASSES: tuple[tuple[str, str, str], ...] = (
    ("normal", "正常", "Normal"),
    ("special_mention", "关注", "Special mention"),
    ("substandard", "次级", "Substandard"),
    ("doubtful", "可疑", "Doubtful"),
    ("loss", "损失", "Loss"),
)
#: Non-performing (不良) classes.
NON_PERFORMING: tuple[str, ...] = ("substandard", "doubtful", "loss")


class BaseReport:
    """What every built-in type shares: all three formats, the risk roles, no params."""

    name: str = ""
    title_zh: str = ""
    title_en: str = ""
    formats: tuple[str, ...] = REPORT_FORMATS
    roles: tuple[str, ...] = RISK_ROLES
    params: tuple[ReportParam, ...] = ()
    description_zh: str = ""
    description_en: str = ""
    category: str = "portfolio"

    def __repr__(self) -> str:
        return f"<report type {self.name}>"


def col(key: str, zh: str, en: str, kind: ColumnKind = "text") -> ReportColumn:
    """A table column."""
    return ReportColumn(key, zh, en, kind)


def fig(key: str, zh: str, en: str, value: Any, kind: ColumnKind = "decimal") -> Figure:
    """A headline figure."""
    return Figure(key, zh, en, value, kind)


def scoped(params: Mapping[str, Any], **where: Any) -> dict[str, Any]:
    """``where`` plus the run's ``branch`` and ``product`` filters when they are set."""
    if params.get("branch"):
        where["branch_code"] = params["branch"]
    if params.get("product"):
        where["product"] = params["product"]
    return where


def outstanding(params: Mapping[str, Any], as_of: dt.date, today: dt.date) -> dict[str, Any]:
    """The loans of the book on ``as_of``: a balance, in the run's scope, and for a past
    ``as_of`` disbursed by then.

    On the business date itself no date is compared: a loan without a disbursement date
    (an imported one) is in the book when it has a balance (SQL drops NULL comparisons).
    """
    if as_of >= today:
        return scoped(params, balance=(">", 0))
    return scoped(params, balance=(">", 0), disbursed_on=("<=", as_of))


async def drain(
    context: ReportContext, rows: AsyncIterator[dict[str, Any]], every: int = 2000
) -> AsyncIterator[dict[str, Any]]:
    """Pass ``rows`` on, awaiting a checkpoint (cancel, progress) every ``every`` rows."""
    count = 0
    async for row in rows:
        count += 1
        if count % every == 0:
            context.progress(count)
            await context.checkpoint()
        yield row
    await context.checkpoint()


def lgd_of(context: ReportContext, params: Mapping[str, Any]) -> Decimal:
    """The LGD: the run's ``lgd`` parameter, else the plugin option ``lgd``, else 0.45.

    Raises:
        ValueError: the option is not a number between 0 and 1 (named in the message).
    """
    if params.get("lgd") is not None:
        return Decimal(params["lgd"])
    text = context.options.get("lgd")
    if text is None or not text.strip():
        return DEFAULT_LGD
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not 0 <= value <= 1:
        raise ValueError(
            f"plugin option lgd (SMECREDIT_PLUGIN_REPORTS_CORE_LGD) must be a number "
            f"from 0 to 1, got {text!r}"
        )
    return value


def day_of(value: Any) -> dt.date | None:
    """The date of a datetime or date cell (None for anything else, e.g. WITHHELD)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


async def loan_defaults(
    context: ReportContext, where: Mapping[str, Any] | None = None
) -> dict[Any, dt.date]:
    """Loan id -> the first day its classification history shows 90+ DPD."""
    first: dict[Any, dt.date] = {}
    history = context.rows(
        "classification_history",
        ("loan_id", "as_of"),
        where={**(where or {}), "dpd": (">=", 90)},
    )
    async for row in drain(context, history):
        day = row["as_of"]
        if row["loan_id"] not in first or day < first[row["loan_id"]]:
            first[row["loan_id"]] = day
    return first


def offered(context: ReportContext, dataset: str, wanted: Sequence[str]) -> tuple[str, ...]:
    """The columns of ``wanted`` that ``dataset`` offers (none when it is not served).

    A few datasets come from optional parts of the platform (compliance results) or hold
    optional columns (per-feature CSI); a report reads what is there and leaves the rest
    empty instead of failing.
    """
    info = context.datasets().get(dataset)
    if info is None:
        return ()
    names = {column.name for column in info.columns}
    return tuple(column for column in wanted if column in names)
