"""Report types (SDK 1.4): what a report plugin declares, the data it reads, what it builds.

A report plugin never writes a file. Its :class:`ReportType` declares a name, zh/en
titles, a parameter schema (:class:`ReportParam`), the formats it offers and the roles
that may run it; its ``build`` reads the platform's data through a :class:`ReportContext`
and returns a :class:`ReportDocument` - key figures, tables and charts. The core's report
engine validates the parameters, runs ``build`` as a job, writes the document in the
requested format (CSV, XLSX, PDF) and stores the artefact::

    class PortfolioOverview:
        name = "portfolio_overview"
        title_zh, title_en = "贷款组合概览", "Portfolio overview"
        formats = ("csv", "xlsx", "pdf")
        roles = ("risk_analyst", "credit_committee")
        params = (ReportParam("as_of", "date", "统计日", "As of"),)

        async def build(self, context, params):
            rows = await context.aggregate(
                "loans", group_by=("product",), measures={"balance": ("sum", "balance")}
            )
            return ReportDocument(sections=(Table("by_product", ..., rows=...),))

The data comes only from the context's *datasets* (``loans``, ``classification_history``,
...; :meth:`ReportContext.datasets` lists them with their columns). Every value a dataset
hands over is already decided by the field policy for the user who runs the report,
exactly as the same field read through GraphQL: masked values arrive masked, a denied
value arrives as :data:`WITHHELD`, and rows outside the user's branches never arrive.
Aggregates run in the database; an aggregate over a column the user may not see is
refused. Cells that a spreadsheet would run as a formula are neutralised by the writers
(:func:`neutralise_cell`), so a plugin need not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal, Protocol, runtime_checkable

# Every spreadsheet a plugin writes (reports, exports) neutralises formula-like text.
from smecredit.domain.spreadsheet import is_formula_like, neutralise_cell, neutralise_row

__all__ = [
    "REPORT_FORMATS",
    "WITHHELD",
    "AggregateFunction",
    "Chart",
    "ChartKind",
    "ColumnKind",
    "DatasetColumn",
    "DatasetInfo",
    "Figure",
    "KeyFigures",
    "ParamKind",
    "ReportCancelled",
    "ReportColumn",
    "ReportContext",
    "ReportDocument",
    "ReportFormat",
    "ReportParam",
    "ReportType",
    "Section",
    "Series",
    "Table",
    "Withheld",
    "is_formula_like",
    "neutralise_cell",
    "neutralise_row",
]

ReportFormat = Literal["csv", "xlsx", "pdf"]
#: Every format the core can write.
REPORT_FORMATS: Final[tuple[str, ...]] = ("csv", "xlsx", "pdf")

#: Parameter kinds: ``date`` (ISO date), ``branch`` (a branch code), ``product`` (a product
#: code), ``model`` (a model name, optionally ``name@version``), ``text``, ``int``,
#: ``decimal``, ``bool``, ``choice`` (one of ``choices``).
ParamKind = Literal[
    "date", "branch", "product", "model", "text", "int", "decimal", "bool", "choice"
]

#: Cell kinds, which decide the spreadsheet type and number format of a column:
#: ``money`` (yuan, 2 decimals), ``percent`` (a ratio: 0.05 is 5%), ``decimal``, ``int``,
#: ``text``, ``date``, ``datetime``.
ColumnKind = Literal["text", "int", "decimal", "money", "percent", "date", "datetime"]

ChartKind = Literal["bar", "stacked_bar", "line", "pie"]

#: Aggregate functions :meth:`ReportContext.aggregate` runs in the database.
AggregateFunction = Literal["sum", "count", "count_distinct", "avg", "min", "max"]


class Withheld:
    """The value of a cell the field policy denies to the user running the report."""

    _instance: Withheld | None = None

    def __new__(cls) -> Withheld:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "WITHHELD"

    def __bool__(self) -> bool:
        return False


#: The one :class:`Withheld` value (compare with ``is``).
WITHHELD: Final = Withheld()


class ReportCancelled(Exception):
    """Raised by :meth:`ReportContext.checkpoint` when the run was cancelled.

    A plugin lets it propagate: the engine discards whatever was written, so a cancelled
    run leaves no artefact.
    """


@dataclass(frozen=True, slots=True)
class ReportParam:
    """One parameter of a report type (the web client builds its form from these).

    Attributes:
        name: the key in ``params``, snake_case (``as_of``, ``branch``, ``from_date``).
        kind: see :data:`ParamKind`; the engine parses and validates the value to it
            (``date`` -> :class:`datetime.date`, ``int`` -> int, ``decimal`` -> Decimal,
            ``bool`` -> bool, the rest -> str) and refuses a bad one with an error that
            names the parameter.
        title_zh: the label in Chinese.
        title_en: the label in English.
        required: a run without it is refused (unless ``default`` is set).
        default: the value when it is left out (None: absent from ``params``). For a
            ``date`` the text ``"today"`` means the business date.
        choices: the allowed values of a ``choice`` parameter.
        minimum: the smallest allowed value of an ``int`` or ``decimal`` parameter.
        maximum: the largest allowed value of an ``int`` or ``decimal`` parameter.
    """

    name: str
    kind: ParamKind
    title_zh: str
    title_en: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None


@dataclass(frozen=True, slots=True)
class ReportColumn:
    """One column of a :class:`Table`.

    Attributes:
        key: stable machine name (headers show the title in the run's language).
        title_zh: header in Chinese.
        title_en: header in English.
        kind: see :data:`ColumnKind` (typed cells and number formats in XLSX).
    """

    key: str
    title_zh: str
    title_en: str
    kind: ColumnKind = "text"


@dataclass(frozen=True, slots=True)
class Table:
    """A table: rows of cells in the order of ``columns``.

    ``rows`` may be a list or an async iterable (a dataset streamed through
    :meth:`ReportContext.rows`): CSV and XLSX write it as it comes, in constant memory.
    A cell is None (empty), :data:`WITHHELD`, or a value of its column's kind (str, int,
    Decimal or float, date, datetime).
    """

    key: str
    title_zh: str
    title_en: str
    columns: tuple[ReportColumn, ...]
    rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a :class:`Chart`: one value per category (None: no point)."""

    name_zh: str
    name_en: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart: native in XLSX, SVG in PDF, its data as a table in CSV.

    Attributes:
        kind: see :data:`ChartKind`.
        categories: the x axis (or the slices of a pie).
        series: one or more series, each as long as ``categories``.
        value_kind: how the values read (``percent``, ``money``, ``int``, ``decimal``).
    """

    key: str
    title_zh: str
    title_en: str
    kind: ChartKind
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_kind: ColumnKind = "decimal"


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline figure (a balance, a ratio, a count)."""

    key: str
    title_zh: str
    title_en: str
    value: Any
    kind: ColumnKind = "decimal"


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """A block of headline figures, shown first."""

    key: str
    title_zh: str
    title_en: str
    figures: tuple[Figure, ...]


Section = Table | Chart | KeyFigures


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """What ``build`` returns: its sections in reading order, and notes for the reader.

    Attributes:
        sections: key figures, tables and charts, in order.
        notes_zh: definitions and sources, printed after the sections (Chinese).
        notes_en: the same in English.
        as_of: the day the figures describe, when the report is about one day.
    """

    sections: tuple[Section, ...]
    notes_zh: tuple[str, ...] = ()
    notes_en: tuple[str, ...] = ()
    as_of: dt.date | None = None


@dataclass(frozen=True, slots=True)
class DatasetColumn:
    """One column of a dataset.

    Attributes:
        name: the column's name in rows, ``where`` and aggregates.
        kind: see :data:`ColumnKind`.
        field: the GraphQL field whose policy decides the column (``"Firm.name"``), or None
            for a column no rule guards.
        description: what the column holds.
    """

    name: str
    kind: ColumnKind
    field: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A dataset a report may read (``loans``, ``classification_history``, ...)."""

    name: str
    description: str
    columns: tuple[DatasetColumn, ...] = field(default_factory=tuple)


@runtime_checkable
class ReportContext(Protocol):
    """Read-only, permission-checked access to platform data for one report run.

    Attributes:
        username: who runs the report (``"system"`` for a scheduled run).
        roles: their roles.
        branch_code: their branch.
        language: ``"zh"`` or ``"en"``, the run's language.
        today: the business date.
        options: the plugin's own settings (``SMECREDIT_PLUGIN_<NAME>_<OPTION>``), e.g.
            an LGD; text values, parsed by the plugin.
    """

    username: str
    roles: tuple[str, ...]
    branch_code: str
    language: str
    today: dt.date
    options: Mapping[str, str]

    def datasets(self) -> Mapping[str, DatasetInfo]:
        """Every dataset with its columns."""
        ...

    def rows(
        self,
        dataset: str,
        columns: Sequence[str],
        *,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] = (),
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream the rows of ``dataset`` the user may see, as ``{column: value}``.

        Args:
            dataset: a name from :meth:`datasets`.
            columns: the columns wanted.
            where: ``column -> value`` (equality), ``column -> [values]`` (one of), or
                ``column -> (op, value)`` with op one of ``< <= > >= !=``; all must hold.
            order_by: columns to sort by, ascending (``"-col"`` descending).
        """
        ...

    async def aggregate(
        self,
        dataset: str,
        *,
        group_by: Sequence[str] = (),
        measures: Mapping[str, tuple[AggregateFunction, str]],
        where: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Group the user's rows of ``dataset`` in the database.

        Args:
            group_by: the columns to group by (none: one row for the whole dataset).
            measures: output name -> (function, column); ``("count", "*")`` counts rows.
            where: as in :meth:`rows`.

        Returns:
            One dict per group with the ``group_by`` columns and the measures (sums of
            money as Decimal; an empty dataset gives no row when grouped, else one row).
        """
        ...

    def progress(self, done: int, total: int | None = None) -> None:
        """Report progress of the run (shown on its job)."""
        ...

    async def checkpoint(self) -> None:
        """Yield to the event loop; raise :class:`ReportCancelled` if the run was cancelled."""
        ...


@runtime_checkable
class ReportType(Protocol):
    """A report users can run: a portfolio overview, a regulatory return, ... (R1, R6, R10).

    Attributes:
        name: unique, snake_case, e.g. ``"five_category"``.
        title_zh: for menus, in Chinese.
        title_en: for menus, in English.
        formats: what it may be written as, a subset of :data:`REPORT_FORMATS`.
        roles: the roles that may run it (the engine also requires the ``report.run``
            operation; an administrator cannot run a report its type does not name).
        params: its parameters, in form order.
        description_zh: optional (default ""). What it shows, for the catalogue.
        description_en: optional (default "").
        category: optional (default ``"portfolio"``). Groups the catalogue: ``portfolio``,
            ``risk``, ``models``, ``data``, ``decisions``, ``compliance``, ``regulatory``.
    """

    name: str
    title_zh: str
    title_en: str
    formats: tuple[str, ...]
    roles: tuple[str, ...]
    params: tuple[ReportParam, ...]
    description_zh: str = ""
    description_en: str = ""
    category: str = "portfolio"

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Read the data and lay out the report.

        Args:
            context: the run's data access (already scoped and masked for its user).
            params: the validated parameters (every declared one with a value or default).

        Returns:
            The document the engine writes in the requested format.
        """
        ...
