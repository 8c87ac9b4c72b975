"""The report-type contract: :class:`InMemoryReportContext` and :func:`check_report_type`.

A report plugin tests its types without a database: build an :class:`InMemoryReportContext`
from lists of dicts per dataset, then check each type against the SDK contract::

    from smecredit.testing import InMemoryReportContext, check_report_type

    @pytest.mark.anyio
    async def test_overview_on_a_small_book() -> None:
        context = InMemoryReportContext({"loans": [{"loan_id": 1, "balance": Decimal(5)}]})
        document = await check_report_type(PortfolioOverview(), context)
        ...

The context implements ``rows``, ``aggregate``, ``where``, ``order_by``, ``progress`` and
``checkpoint`` in plain Python exactly as :class:`smecredit.sdk.ReportContext` documents
them (SQL semantics for NULL: a None cell matches no comparison and is left out of sums,
averages and counts of a column; sums and averages are Decimal even over an int column, as
PostgreSQL answers them). Its datasets and columns are those of
:data:`DATASET_COLUMNS`, the names the core's report engine serves; a column a row leaves
out reads as None. A column named in ``withheld`` arrives as :data:`~smecredit.sdk.WITHHELD`
and refuses aggregates, as a column the field policy denies does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import operator
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from smecredit.sdk import (
    REPORT_FORMATS,
    WITHHELD,
    Chart,
    ColumnKind,
    DatasetColumn,
    DatasetInfo,
    KeyFigures,
    ReportCancelled,
    ReportDocument,
    ReportType,
    Table,
)
from smecredit.services.reports.catalogue import CATALOGUE
from smecredit.testing.kit import NAME_RE, assert_implements

__all__ = [
    "DATASET_COLUMNS",
    "InMemoryReportContext",
    "check_document",
    "check_report_type",
    "default_params",
]


def _parse(spec: str) -> tuple[tuple[str, ColumnKind], ...]:
    """``"loan_id:int firm_name"`` -> ``(("loan_id", "int"), ("firm_name", "text"))``."""
    columns = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        columns.append((name, cast(ColumnKind, kind or "text")))
    return tuple(columns)


#: Datasets other parts of the platform add (compliance checks, decision alerts) that a
#: report may read where they are served; the catalogue's own definition wins once it has one.
_OPTIONAL_DATASETS: Mapping[str, str] = {
    "compliance_results": "run_id:int run_at:datetime check_code title_zh title_en"
    " status weight:decimal score:decimal evidence overall_score:decimal",
    "decision_alerts": "alert_id:int kind subject value:decimal bound:decimal status"
    " raised_at:datetime",
}

#: Every dataset: the report engine's catalogue (the names and kinds it serves) and the
#: optional ones above; name -> ((column, kind), ...).
DATASET_COLUMNS: Mapping[str, tuple[tuple[str, ColumnKind], ...]] = {
    **{name: _parse(spec) for name, spec in _OPTIONAL_DATASETS.items()},
    **{
        name: tuple((column.name, column.kind) for column in dataset.columns)
        for name, dataset in CATALOGUE.items()
    },
}

_COMPARISONS: Mapping[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "!=": operator.ne,
}


def _matches(value: Any, condition: Any) -> bool:
    """One ``where`` entry, with SQL's NULL semantics (None matches only ``= None``)."""
    if isinstance(condition, tuple) and len(condition) == 2 and condition[0] in _COMPARISONS:
        op, bound = condition
        if value is None or bound is None:
            return False
        return bool(_COMPARISONS[op](value, bound))
    if isinstance(condition, list | set | frozenset):
        return value is not None and value in condition
    if condition is None:
        return value is None
    return value is not None and bool(value == condition)


def _ordered(rows: list[dict[str, Any]], order_by: Sequence[str]) -> list[dict[str, Any]]:
    """Sort by ``order_by`` (``-col`` descending); None sorts last either way.

    PostgreSQL and SQLite disagree on where NULLs go, so a plugin must not rely on it.
    """
    for key in reversed(order_by):  # stable sorts, last key first
        column = key.removeprefix("-")
        present = [row for row in rows if row.get(column) is not None]
        present.sort(key=lambda row: row[column], reverse=key.startswith("-"))
        rows = present + [row for row in rows if row.get(column) is None]
    return rows


def _as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class InMemoryReportContext:
    """A :class:`smecredit.sdk.ReportContext` over lists of dicts, for plugin tests.

    Args:
        data: dataset name -> rows (dicts keyed by column); a dataset left out is empty.
        username, roles, branch_code, language, today, options: as in the SDK protocol.
        withheld: ``"dataset.column"`` names the user may not see: their cells arrive as
            :data:`~smecredit.sdk.WITHHELD` and an aggregate over them is refused.
        cancel_after: raise :class:`~smecredit.sdk.ReportCancelled` at this many
            checkpoints (None: never), to test that a type lets it propagate.
        omit: ``"dataset"`` or ``"dataset.column"`` names the platform does not serve, to
            test a type against a platform without an optional part.

    Attributes:
        progress_calls: every ``(done, total)`` the report passed to :meth:`progress`.
        checkpoints: how many times :meth:`checkpoint` was awaited.
        queries: every ``("rows" | "aggregate", dataset)`` call, in order.
    """

    def __init__(
        self,
        data: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        *,
        username: str = "tester",
        roles: Sequence[str] = ("risk_manager",),
        branch_code: str = "HQ",
        language: str = "en",
        today: dt.date | None = None,
        options: Mapping[str, str] | None = None,
        withheld: Collection[str] = (),
        cancel_after: int | None = None,
        omit: Collection[str] = (),
    ) -> None:
        unknown = sorted(set(data or {}) - set(DATASET_COLUMNS))
        if unknown:
            raise ValueError(f"unknown dataset(s): {', '.join(unknown)}")
        self._data = {name: [dict(row) for row in rows] for name, rows in (data or {}).items()}
        for name, rows in self._data.items():
            columns = {column for column, _ in DATASET_COLUMNS[name]}
            for row in rows:
                extra = sorted(set(row) - columns)
                if extra:
                    raise ValueError(f"dataset {name} has no column(s) {', '.join(extra)}")
        self.username = username
        self.roles = tuple(roles)
        self.branch_code = branch_code
        self.language = language
        self.today = today or dt.date.today()
        self.options: Mapping[str, str] = dict(options or {})
        self._withheld = frozenset(withheld)
        self._omit = frozenset(omit)
        self._cancel_after = cancel_after
        self.progress_calls: list[tuple[int, int | None]] = []
        self.checkpoints = 0
        self.queries: list[tuple[str, str]] = []

    def datasets(self) -> Mapping[str, DatasetInfo]:
        """Every dataset of :data:`DATASET_COLUMNS` with its columns, less ``omit``."""
        served = {}
        for name, columns in DATASET_COLUMNS.items():
            if name in self._omit:
                continue
            dataset = CATALOGUE.get(name)
            info = (
                dataset.info()
                if dataset is not None
                else DatasetInfo(
                    name, name.replace("_", " "), tuple(DatasetColumn(c, k) for c, k in columns)
                )
            )
            kept = tuple(c for c in info.columns if f"{name}.{c.name}" not in self._omit)
            served[name] = DatasetInfo(info.name, info.description, kept)
        return served

    def _check_columns(self, dataset: str, columns: Iterable[str]) -> None:
        info = self.datasets().get(dataset)
        if info is None:
            raise ValueError(f"unknown dataset {dataset!r}")
        known = {column.name for column in info.columns}
        missing = sorted(set(columns) - known)
        if missing:
            raise ValueError(f"dataset {dataset} has no column(s) {', '.join(missing)}")

    def _selected(self, dataset: str, where: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        self._check_columns(dataset, where or ())
        for column in where or ():
            if f"{dataset}.{column}" in self._withheld:
                raise PermissionError(f"{dataset}.{column} is withheld: cannot filter on it")
        return [
            row
            for row in self._data.get(dataset, [])
            if all(_matches(row.get(c), cond) for c, cond in (where or {}).items())
        ]

    def _cell(self, dataset: str, row: Mapping[str, Any], column: str) -> Any:
        return WITHHELD if f"{dataset}.{column}" in self._withheld else row.get(column)

    async def rows(
        self,
        dataset: str,
        columns: Sequence[str],
        *,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] = (),
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream the rows of ``dataset`` matching ``where``, sorted by ``order_by``."""
        sort_columns = [key.removeprefix("-") for key in order_by]
        self._check_columns(dataset, [*columns, *sort_columns])
        self.queries.append(("rows", dataset))
        selected = self._selected(dataset, where)
        selected = _ordered(selected, order_by)
        for row in selected:
            yield {column: self._cell(dataset, row, column) for column in columns}

    async def aggregate(
        self,
        dataset: str,
        *,
        group_by: Sequence[str] = (),
        measures: Mapping[str, tuple[str, str]],
        where: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Group the rows of ``dataset`` in Python as the database would."""
        measured = [column for _, column in measures.values() if column != "*"]
        self._check_columns(dataset, [*group_by, *measured])
        for column in [*group_by, *measured]:
            if f"{dataset}.{column}" in self._withheld:
                raise PermissionError(f"{dataset}.{column} is withheld: cannot aggregate it")
        if dataset in CATALOGUE and CATALOGUE[dataset].computed:
            raise ValueError(f"dataset {dataset} is computed when read: it cannot be aggregated")
        self.queries.append(("aggregate", dataset))
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for row in self._selected(dataset, where):
            groups.setdefault(tuple(row.get(c) for c in group_by), []).append(row)
        if not group_by and not groups:
            groups[()] = []
        result = []
        for key, rows in groups.items():
            out: dict[str, Any] = dict(zip(group_by, key, strict=True))
            for name, (function, column) in measures.items():
                out[name] = _measure(function, column, rows)
            result.append(out)
        return result

    def progress(self, done: int, total: int | None = None) -> None:
        """Record the progress (see :attr:`progress_calls`)."""
        self.progress_calls.append((done, total))

    async def checkpoint(self) -> None:
        """Yield to the loop; raise ReportCancelled once ``cancel_after`` is reached."""
        self.checkpoints += 1
        await asyncio.sleep(0)
        if self._cancel_after is not None and self.checkpoints >= self._cancel_after:
            raise ReportCancelled(f"cancelled at checkpoint {self.checkpoints}")


def _measure(function: str, column: str, rows: list[dict[str, Any]]) -> Any:
    """One aggregate over ``rows`` with SQL semantics (NULLs ignored; empty sum is None)."""
    if function == "count" and column == "*":
        return len(rows)
    values: list[Any] = [row[column] for row in rows if row.get(column) is not None]
    if function == "count":
        return len(values)
    if function == "count_distinct":
        return len(set(values))
    if not values:
        return None
    if function == "min":
        return min(values)
    if function == "max":
        return max(values)
    if function in ("sum", "avg"):
        # Decimal even over an int column, as PostgreSQL answers (numeric): a plugin that
        # puts a sum in an int cell converts it, or check_report_type fails it.
        total = sum((_as_decimal(v) for v in values), Decimal(0))
        return total if function == "sum" else total / len(values)
    raise ValueError(f"unknown aggregate function {function!r}")


def default_params(report: ReportType, today: dt.date) -> dict[str, Any]:
    """The parameters a run without any gets: each default, ``"today"`` as ``today``.

    Raises:
        AssertionError: a required parameter has no default (the contract check cannot
            build the report on its own then).
    """
    params: dict[str, Any] = {}
    for param in report.params:
        if param.default is None:
            assert not param.required, f"required parameter {param.name} has no default"
            continue
        value = param.default
        if param.kind == "date" and value == "today":
            value = today
        params[param.name] = value
    return params


_KIND_TYPES: Mapping[str, tuple[type, ...]] = {
    "text": (str,),
    "int": (int,),
    "decimal": (int, float, Decimal),
    "money": (int, float, Decimal),
    "percent": (int, float, Decimal),
    "date": (dt.date,),
    "datetime": (dt.datetime,),
}


def _check_cell(where: str, kind: str, value: Any) -> None:
    if value is None or value is WITHHELD:
        return
    # bool is an int to Python but never a number in a report; a datetime is never a date.
    ok = isinstance(value, _KIND_TYPES[kind]) and not isinstance(value, bool)
    if kind == "date":
        ok = ok and not isinstance(value, dt.datetime)
    assert ok, f"{where}: {value!r} ({type(value).__name__}) is not a {kind} cell"


async def check_document(document: ReportDocument) -> None:
    """Fail unless ``document`` is well-formed: see :func:`check_report_type`."""
    assert isinstance(document, ReportDocument), f"build returned {type(document).__name__}"
    assert document.sections, "the document has no section"
    keys = [section.key for section in document.sections]
    assert len(keys) == len(set(keys)), f"section keys repeat: {keys}"
    assert len(document.notes_zh) == len(document.notes_en), "notes_zh and notes_en differ"
    for section in document.sections:
        assert NAME_RE.match(section.key), f"section key {section.key!r} is not snake_case"
        assert section.title_zh and section.title_en, f"{section.key}: a title is empty"
        if isinstance(section, Table):
            await _check_table(section)
        elif isinstance(section, Chart):
            assert section.categories is not None
            for series in section.series:
                assert len(series.values) == len(section.categories), (
                    f"chart {section.key}: series {series.name_en} has {len(series.values)} "
                    f"values for {len(section.categories)} categories"
                )
                for value in series.values:
                    assert value is None or isinstance(value, int | float), (
                        f"chart {section.key}: {value!r} is not a number"
                    )
        else:
            assert isinstance(section, KeyFigures), f"unknown section {section!r}"
            for figure in section.figures:
                assert figure.title_zh and figure.title_en, f"{figure.key}: a title is empty"
                _check_cell(f"{section.key}.{figure.key}", figure.kind, figure.value)


async def _check_table(table: Table) -> None:
    columns = table.columns
    assert columns, f"table {table.key} has no column"
    assert len({c.key for c in columns}) == len(columns), f"table {table.key}: keys repeat"
    rows: list[Any] = []
    if hasattr(table.rows, "__aiter__"):
        rows = [row async for row in table.rows]  # type: ignore[union-attr]
    else:
        rows = list(table.rows)  # type: ignore[arg-type]
    # A streamed table is consumed here: hand the rows back so the caller can read them.
    object.__setattr__(table, "rows", rows)
    for number, row in enumerate(rows, 1):
        assert len(row) == len(columns), (
            f"table {table.key} row {number} has {len(row)} cells for {len(columns)} columns"
        )
        for column, cell in zip(columns, row, strict=True):
            _check_cell(f"table {table.key} row {number} {column.key}", column.kind, cell)


async def check_report_type(report: ReportType, context: Any) -> ReportDocument:
    """Build ``report`` with its default parameters on ``context`` and check the result.

    Checks the declaration (name, titles, formats within :data:`REPORT_FORMATS`, roles,
    parameters) and the document: at least one section, unique snake_case keys, titles in
    both languages, every table row as long as its columns and every cell of its column's
    kind (None and WITHHELD always allowed), every chart series as long as its categories.

    Returns:
        The document, with streamed tables turned into lists so a test can read them.
    """
    assert_implements(report, ReportType)
    assert NAME_RE.match(report.name), f"report name {report.name!r} is not snake_case"
    assert report.title_zh and report.title_en, "a report needs zh and en titles"
    assert report.formats and set(report.formats) <= set(REPORT_FORMATS), report.formats
    assert report.roles, "a report names the roles that may run it"
    names = [param.name for param in report.params]
    assert len(names) == len(set(names)), f"parameter names repeat: {names}"
    for param in report.params:
        assert NAME_RE.match(param.name), f"parameter {param.name!r} is not snake_case"
        assert param.kind != "choice" or param.choices, f"choice {param.name} has no choices"
    document = await report.build(context, default_params(report, context.today))
    await check_document(document)
    return document
