"""The in-memory report context and the report-type contract check of smecredit.testing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.sdk import (
    WITHHELD,
    ReportCancelled,
    ReportColumn,
    ReportContext,
    ReportDocument,
    ReportParam,
    Table,
)
from smecredit.testing import InMemoryReportContext, check_report_type
from smecredit.testing.reports import DATASET_COLUMNS, default_params

pytestmark = pytest.mark.anyio

LOANS = [
    {"loan_id": 1, "branch_code": "B1", "product": "P1", "balance": Decimal("100.50")},
    {"loan_id": 2, "branch_code": "B1", "product": "P2", "balance": Decimal("200")},
    {"loan_id": 3, "branch_code": "B2", "product": "P1", "balance": None},
    {"loan_id": 4, "branch_code": "B2", "product": None, "balance": Decimal("50")},
]


async def _rows(context: InMemoryReportContext, *args: Any, **kwargs: Any) -> list[dict]:
    return [row async for row in context.rows(*args, **kwargs)]


def test_implements_the_protocol_and_lists_every_dataset() -> None:
    context = InMemoryReportContext()
    assert isinstance(context, ReportContext)
    assert set(context.datasets()) == set(DATASET_COLUMNS)
    kinds = {c.name: c.kind for c in context.datasets()["loans"].columns}
    assert kinds["balance"] == "money" and kinds["disbursed_on"] == "date"


def test_refuses_unknown_datasets_and_columns() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        InMemoryReportContext({"lonas": []})
    with pytest.raises(ValueError, match="no column"):
        InMemoryReportContext({"loans": [{"balnce": 1}]})


async def test_rows_filter_with_sql_null_semantics() -> None:
    context = InMemoryReportContext({"loans": LOANS})
    ids = [
        r["loan_id"]
        for r in await _rows(context, "loans", ["loan_id"], where={"branch_code": "B1"})
    ]
    assert ids == [1, 2]
    ids = [
        r["loan_id"]
        for r in await _rows(context, "loans", ["loan_id"], where={"product": ["P1", "P3"]})
    ]
    assert ids == [1, 3]
    ids = [
        r["loan_id"]
        for r in await _rows(context, "loans", ["loan_id"], where={"balance": (">=", Decimal(100))})
    ]
    assert ids == [1, 2]
    # != never matches a NULL, as in SQL; an equality to None does.
    ids = [
        r["loan_id"]
        for r in await _rows(context, "loans", ["loan_id"], where={"product": ("!=", "P1")})
    ]
    assert ids == [2]
    ids = [
        r["loan_id"] for r in await _rows(context, "loans", ["loan_id"], where={"product": None})
    ]
    assert ids == [4]
    with pytest.raises(ValueError, match="no column"):
        await _rows(context, "loans", ["nope"])


async def test_rows_order_by_ascending_descending_with_nulls_last() -> None:
    context = InMemoryReportContext({"loans": LOANS})
    rows = await _rows(context, "loans", ["loan_id"], order_by=["-balance"])
    assert [r["loan_id"] for r in rows] == [2, 1, 4, 3]
    rows = await _rows(context, "loans", ["loan_id"], order_by=["branch_code", "-loan_id"])
    assert [r["loan_id"] for r in rows] == [2, 1, 4, 3]
    rows = await _rows(context, "loans", ["loan_id", "balance"], order_by=["balance"])
    assert [r["loan_id"] for r in rows] == [4, 1, 2, 3]
    assert rows[0] == {"loan_id": 4, "balance": Decimal("50")}


async def test_aggregate_groups_like_the_database() -> None:
    context = InMemoryReportContext({"loans": LOANS})
    measures: Mapping[str, tuple[Any, str]] = {
        "n": ("count", "*"),
        "with_balance": ("count", "balance"),
        "balance": ("sum", "balance"),
        "products": ("count_distinct", "product"),
        "largest": ("max", "balance"),
    }
    rows = await context.aggregate("loans", group_by=("branch_code",), measures=measures)
    by_branch = {r["branch_code"]: r for r in rows}
    assert by_branch["B1"] == {
        "branch_code": "B1", "n": 2, "with_balance": 2, "balance": Decimal("300.50"),
        "products": 2, "largest": Decimal("200"),
    }  # fmt: skip
    assert by_branch["B2"]["balance"] == Decimal("50") and by_branch["B2"]["products"] == 1
    (whole,) = await context.aggregate("loans", measures={"avg": ("avg", "balance")})
    assert whole["avg"] == Decimal("350.50") / 3


async def test_aggregate_of_an_empty_dataset() -> None:
    context = InMemoryReportContext()
    assert (
        await context.aggregate("loans", group_by=("product",), measures={"n": ("count", "*")})
        == []
    )
    (row,) = await context.aggregate(
        "loans", measures={"n": ("count", "*"), "s": ("sum", "balance")}
    )
    assert row == {"n": 0, "s": None}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 10**6)), max_size=30))
def test_grouped_sums_add_up_to_the_total(pairs: list[tuple[str, int]]) -> None:
    import asyncio

    data = [
        {"loan_id": i, "branch_code": b, "balance": Decimal(v)} for i, (b, v) in enumerate(pairs)
    ]
    context = InMemoryReportContext({"loans": data})
    groups = asyncio.run(
        context.aggregate("loans", group_by=("branch_code",), measures={"s": ("sum", "balance")})
    )
    assert sum((g["s"] for g in groups), Decimal(0)) == sum(Decimal(v) for _, v in pairs)


async def test_withheld_columns_arrive_withheld_and_refuse_aggregates() -> None:
    context = InMemoryReportContext(
        {"loans": [{"loan_id": 1, "firm_name": "甲公司"}]}, withheld={"loans.firm_name"}
    )
    (row,) = await _rows(context, "loans", ["loan_id", "firm_name"])
    assert row["firm_name"] is WITHHELD
    with pytest.raises(PermissionError):
        await context.aggregate("loans", group_by=("firm_name",), measures={"n": ("count", "*")})


async def test_checkpoint_cancels_and_progress_is_recorded() -> None:
    context = InMemoryReportContext(cancel_after=2)
    context.progress(1, 3)
    await context.checkpoint()
    with pytest.raises(ReportCancelled):
        await context.checkpoint()
    assert context.progress_calls == [(1, 3)]


class _Report:
    name = "demo_report"
    title_zh, title_en = "演示", "Demo"
    formats: tuple[str, ...] = ("csv", "xlsx", "pdf")
    roles: tuple[str, ...] = ("risk_manager",)
    params: tuple[ReportParam, ...] = (
        ReportParam("as_of", "date", "统计日", "As of", default="today"),
    )
    description_zh = description_en = ""
    category = "portfolio"

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows
        self.seen: Mapping[str, Any] = {}

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        self.seen = params
        columns = (ReportColumn("n", "数", "N", "int"), ReportColumn("d", "日", "Day", "date"))
        return ReportDocument(sections=(Table("t", "表", "Table", columns, self._rows),))


async def test_check_report_type_passes_a_good_document_with_defaults() -> None:
    report = _Report([(1, dt.date(2026, 1, 1)), (None, None)])
    context = InMemoryReportContext(today=dt.date(2026, 5, 31))
    document = await check_report_type(report, context)
    assert report.seen == {"as_of": dt.date(2026, 5, 31)}
    assert document.sections[0].rows == [(1, dt.date(2026, 1, 1)), (None, None)]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1,)], "1 cells for 2 columns"),
        ([("1", dt.date(2026, 1, 1))], "is not a int"),
        ([(1, dt.datetime(2026, 1, 1))], "is not a date"),
        ([(True, None)], "is not a int"),
    ],
)
async def test_check_report_type_fails_bad_rows(rows: list[tuple[Any, ...]], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        await check_report_type(_Report(rows), InMemoryReportContext())


def test_default_params_refuse_a_required_parameter_without_default() -> None:
    report = _Report([])
    report.params = (ReportParam("model", "model", "模型", "Model", required=True),)
    with pytest.raises(AssertionError, match="required parameter model"):
        default_params(report, dt.date(2026, 1, 1))


async def test_sums_of_int_columns_are_decimal_as_in_postgresql() -> None:
    context = InMemoryReportContext({"source_runs": [{"records": 3}, {"records": 4}]})
    (row,) = await context.aggregate("source_runs", measures={"n": ("sum", "records")})
    assert row["n"] == Decimal(7) and isinstance(row["n"], Decimal)


async def test_omitted_datasets_and_columns_are_not_served() -> None:
    context = InMemoryReportContext(omit={"compliance_results", "model_monitoring.csi"})
    assert "compliance_results" not in context.datasets()
    columns = {c.name for c in context.datasets()["model_monitoring"].columns}
    assert "csi" not in columns and "psi" in columns
    with pytest.raises(ValueError, match="unknown dataset"):
        await _rows(context, "compliance_results", ["run_id"])
    with pytest.raises(ValueError, match="no column"):
        await _rows(context, "model_monitoring", ["csi"])


async def test_datasets_are_the_engines_and_computed_ones_refuse_aggregates() -> None:
    from smecredit.services.reports.catalogue import CATALOGUE

    context = InMemoryReportContext()
    for name, dataset in CATALOGUE.items():
        assert context.datasets()[name] == dataset.info()
    with pytest.raises(ValueError, match="cannot be aggregated"):
        await context.aggregate("model_monitoring", measures={"n": ("count", "*")})
