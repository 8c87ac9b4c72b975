"""What plugin authors import: the only smecredit module a plugin may depend on.

A plugin is a module (named by an entry point in the ``smecredit`` group) holding functions
decorated with :data:`hookimpl` whose names are hooks of :mod:`smecredit.hookspecs`, and a
declaration of the SDK version it was written against::

    from smecredit.sdk import FetchRequest, SourceRecord, hookimpl

    SMECREDIT_SDK = "1.0"  # the loader refuses the plugin when the core cannot honour it

    class MySource:
        name = "my_bank_core"
        ...
        async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]: ...

    @hookimpl
    def register_data_sources() -> list[DataSource]:
        return [MySource()]

This module defines the shapes of what plugins register (:class:`DataSource`,
:class:`ScoringModel`, :class:`MaskingStrategy`, :class:`ReportType`, :class:`WarningRule`,
:class:`GraphQLContribution`), the records sources yield (:class:`FetchRequest`,
:class:`SourceRecord`, :class:`RecordError`) and re-exports the identity validators.
Scoring-model plugins also find here the model-building maths (WoE binning, scaling, AUC)
and, since SDK 1.1, the input helpers :func:`is_missing` and :func:`as_float` and the
error :class:`ModelInputError`. Whatever writes a spreadsheet (CSV, xlsx) passes every
cell through :func:`neutralise_cell` (:mod:`smecredit.domain.spreadsheet`). Contract tests
for plugin authors live in :mod:`smecredit.testing`.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import anyio.lowlevel
import pluggy

from smecredit.domain.identity import (
    IdentityError,
    id_number_check_char,
    is_valid_id_number,
    is_valid_uscc,
    uscc_check_char,
    validate_id_number,
    validate_phone,
    validate_uscc,
)

# Model-building maths for scoring-model plugins (which may import only this module).
from smecredit.domain.model_metrics import auc
from smecredit.domain.scorecard_scaling import ScoreScaling

# Every spreadsheet a plugin writes (reports, exports) neutralises formula-like text.
from smecredit.domain.spreadsheet import is_formula_like, neutralise_cell, neutralise_row
from smecredit.domain.woe_binning import (
    BinningResult,
    fit_categorical_bins,
    fit_numeric_bins,
    select_features,
)
from smecredit.domain.woe_binning import transform as woe_transform
from smecredit.hookspecs import PROJECT_NAME, SDK_VERSION
from smecredit.security.operations import Operation, authorize, require_in_scope
from smecredit.security.operations import Scope as OperationScope

__all__ = [
    "RECORD_KINDS",
    "SDK_VERSION",
    "WARNING_INPUT_COLUMNS",
    "BinningResult",
    "ColumnarWarningRule",
    "DataSource",
    "FetchRequest",
    "GraphQLContribution",
    "IdentityError",
    "MaskingStrategy",
    "ModelInputError",
    "Operation",
    "OperationScope",
    "Reason",
    "RecordError",
    "ReportType",
    "RuleColumns",
    "RuleResult",
    "ScoreScaling",
    "ScoringModel",
    "SourceRecord",
    "WarningRule",
    "as_float",
    "auc",
    "authorize",
    "fit_categorical_bins",
    "fit_numeric_bins",
    "hookimpl",
    "id_number_check_char",
    "is_formula_like",
    "is_missing",
    "is_valid_id_number",
    "is_valid_uscc",
    "neutralise_cell",
    "neutralise_row",
    "require_in_scope",
    "select_features",
    "threshold_levels",
    "uscc_check_char",
    "validate_id_number",
    "validate_phone",
    "validate_uscc",
    "woe_transform",
    "yield_to_event_loop",
]

#: Marker for hook implementations: ``@hookimpl def register_data_sources(): ...``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: The record kinds a data source may yield; each has ``schema/records/<kind>.schema.json``.
RECORD_KINDS: tuple[str, ...] = (
    "firm",
    "person",
    "financial_statement",
    "tax_record",
    "registry_event",
    "legal_case",
    "bureau_summary",
    "loan",
    "repayment_history",
)


async def yield_to_event_loop() -> None:
    """Let other tasks run; call it every few hundred records in a CPU-bound ``fetch``.

    The platform serves requests on the same event loop that consumes a source, so a
    source that computes its records (rather than awaiting I/O) should yield now and then.
    """
    await anyio.lowlevel.checkpoint()


# --------------------------------------------------------------------------- data sources


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What the core asks a data source for.

    Attributes:
        since: for incremental sources, the checkpoint of the last successful pull (an
            ISO date-time or the source's own token); ``None`` pulls everything.
        settings: the source's settings, valid against its ``settings_schema``.
        path: the file to read, for file sources (batch import); else ``None``.
        kind: the record kind to read when the source cannot tell by itself (a CSV file
            holds one kind), else ``None`` for "every kind the source has".
        firm_usccs: the firms to pull for; for a source with ``needs_consent`` the core
            only ever passes firms with a recorded consent. ``None`` means all firms.
        resume_from: a :attr:`SourceRecord.position` yielded by an earlier, interrupted
            run with the same request: the source yields exactly the records after it.
    """

    since: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None
    kind: str | None = None
    firm_usccs: Sequence[str] | None = None
    resume_from: str | None = None


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why a source could not even parse a row (a bad CSV line, an undecodable cell).

    Attributes:
        code: stable UPPER_SNAKE code, e.g. ``BAD_ROW``.
        message: for a person; names the column or line where it helps.
        field: the field or column concerned, if any.
        severity: ``error`` (the row is lost) or ``warning`` (a file-level note, such as
            an ignored unknown column, that loses no row).
    """

    code: str
    message: str
    field: str | None = None
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record yielded by :meth:`DataSource.fetch`.

    Attributes:
        kind: one of :data:`RECORD_KINDS` and of the source's ``record_kinds``.
        data: the record; valid against ``schema/records/<kind>.schema.json`` unless the
            source declares ``raw_values = True`` (then the core's cleaning step converts
            it first). ``{}`` when ``error`` is set.
        position: opaque checkpoint token of this record: unique and strictly increasing
            (as a string, so zero-pad numbers) within a run. Passing it back as
            :attr:`FetchRequest.resume_from` resumes right after this record.
        locator: where the record came from, for people: ``"line 17"``,
            ``"sheet 1 row 4"``, ``"firm 12 record 3"``.
        error: set for a row the source could not parse; the core reports it and goes on.
    """

    kind: str
    data: dict[str, Any]
    position: str
    locator: str
    error: RecordError | None = None


@runtime_checkable
class DataSource(Protocol):
    """A source of records about firms (R2): a registry, a bureau, the lender's own books.

    Plugins return instances from ``register_data_sources()``. Optional attribute (not part
    of the protocol check): ``raw_values: bool = False``; set it when ``data`` holds raw
    values (strings from a spreadsheet) that the platform's cleaning step converts before
    schema validation.

    Attributes:
        name: unique source name, also written to every record's ``source`` field.
        description: one line for administrators.
        record_kinds: the kinds ``fetch`` may yield, a subset of :data:`RECORD_KINDS`.
        incremental: True when ``fetch`` honours :attr:`FetchRequest.since`.
        needs_consent: True when the source pulls personal or bureau data: the core then
            calls it only for firms with a recorded consent (``firm_usccs``).
        settings_schema: JSON Schema (draft 2020-12) of :attr:`FetchRequest.settings`.
    """

    name: str
    description: str
    record_kinds: tuple[str, ...]
    incremental: bool
    needs_consent: bool
    settings_schema: dict[str, Any]

    def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        """Stream records (an ``async def`` generator: ``async for record in ...``).

        Must yield only after ``request.resume_from`` when it is set, never hold the whole
        data set in memory, and turn unparseable rows into records with ``error`` rather
        than raising. Raise (with a ``code`` attribute) only when nothing can be read.
        """
        ...


# ------------------------------------------------------------------------- scoring models


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a score, for adverse-action notices and reviewers.

    Attributes:
        feature: feature name.
        value: the firm's value of the feature.
        contribution: the feature's push on the score (log-odds or SHAP units; positive
            means riskier).
        description: a sentence for people, optional.
    """

    feature: str
    value: Any
    contribution: float
    description: str = ""


class ModelInputError(Exception):
    """A scoring model cannot be trained on, or applied to, what it was given.

    Scoring-model plugins raise it (or a subclass of their own) for bad training data, an
    unusable artefact or unusable rows. ``code`` is a stable, upper-case identifier such as
    ``"BAD_TRAINING_DATA"`` or ``"BAD_ARTEFACT"``, which the core reports with the message
    (it treats any exception carrying such a ``code`` as an error meant for people).

    Attributes:
        code: the stable error code.
        message: what is wrong, for people.

    Added in SDK 1.1.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def is_missing(value: Any) -> bool:
    """Whether a feature value counts as missing: None, NaN or the empty string.

    Rows handed to :class:`ScoringModel` methods mark an unknown value with None; NaN (of
    any float type) and ``""`` (an empty categorical cell) mean the same.

    Added in SDK 1.1.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return math.isnan(value)
    except (TypeError, ValueError, OverflowError):  # not a float-like number: not NaN
        return False


def as_float(value: Any) -> float:
    """A feature value as a float: NaN when it is missing or not a number.

    ``as_float(3)`` is ``3.0``, ``as_float("2.5")`` is ``2.5``; ``None``, ``""``, NaN and
    ``"n/a"`` all give NaN, which tree models treat as missing.

    Added in SDK 1.1.
    """
    if is_missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


@runtime_checkable
class ScoringModel(Protocol):
    """A probability-of-default model family (R4), e.g. logistic regression or CatBoost.

    Rows ``X`` are mappings of feature name to value (numbers, strings for categorical
    features, None for missing), so plugins need no particular data-frame library.

    Attributes:
        name: unique model name, e.g. ``"catboost"``.
        description: one line for administrators.
        version: the implementation's version, stored with every artefact and score.
    """

    name: str
    description: str
    version: str

    def fit(
        self,
        X: Sequence[Mapping[str, Any]],
        y: Sequence[int],
        *,
        categorical: Sequence[str],
        options: Mapping[str, Any],
    ) -> bytes:
        """Train on rows ``X`` with labels ``y`` (1 = default) and return the artefact.

        The artefact is opaque bytes that the core stores and hands back to
        :meth:`predict_proba` and :meth:`explain`; bytes rather than objects so that
        nothing is unpickled from the database.
        """
        ...

    def predict_proba(
        self,
        artefact: bytes,
        X: Sequence[Mapping[str, Any]],
    ) -> list[float]:
        """Probability of default for each row of ``X``, in order."""
        ...

    def explain(
        self,
        artefact: bytes,
        X: Sequence[Mapping[str, Any]],
        top_n: int,
    ) -> list[list[Reason]]:
        """The ``top_n`` strongest reasons for each row's score, strongest first."""
        ...


# --------------------------------------------------------------------------- report types


@runtime_checkable
class ReportType(Protocol):
    """A report users can request: a portfolio summary, a regulatory return, ...

    Attributes:
        name: unique report name, e.g. ``"five_category_summary"``.
        title: for menus.
        formats: the formats ``render`` produces, e.g. ``("pdf", "xlsx", "csv")``.
    """

    name: str
    title: str
    formats: tuple[str, ...]

    async def render(self, context: Any, params: Mapping[str, Any]) -> bytes:
        """Produce the report.

        Args:
            context: read-only, permission-checked access to platform data, provided by
                the reports service (masking already applied for the requesting user).
            params: the user's parameters; ``params["format"]`` is one of ``formats``.

        Returns:
            The file's bytes.
        """
        ...


# -------------------------------------------------------------------------- warning rules

WarningGroup = Literal["fundamentals", "financial", "market", "credit"]
WarningKind = Literal["quantitative", "qualitative"]
WarningDirection = Literal["higher_is_worse", "lower_is_worse"]
WarningLevel = Literal["blue", "yellow", "orange", "red"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one warning rule for one firm.

    Attributes:
        firm_uscc: the firm.
        value: the indicator's value (None for a qualitative rule or missing data).
        level: the warning level reached, or None when the firm is below every threshold.
        message: for the analyst, naming the evidence (``"VAT sales down 41% y/y"``).
        evidence: machine-readable details (record ids, dates, amounts as strings).
    """

    firm_uscc: str
    value: float | None
    level: WarningLevel | None
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class WarningRule(Protocol):
    """An early-warning indicator (R5): what it measures and when it fires.

    Attributes:
        code: unique stable code, e.g. ``"TAX_SALES_DROP"``.
        name: for people.
        group: ``fundamentals``, ``financial``, ``market`` or ``credit``.
        kind: ``quantitative`` or ``qualitative``.
        thresholds: value at which each level is reached: keys ``blue``, ``yellow``,
            ``orange``, ``red`` (monotonic in the rule's direction).
        direction: ``higher_is_worse`` or ``lower_is_worse``.
        inputs: the record kinds or features the rule reads, e.g. ``("tax_record",)``.
    """

    code: str
    name: str
    group: WarningGroup
    kind: WarningKind
    thresholds: Mapping[str, float]
    direction: WarningDirection
    inputs: tuple[str, ...]

    def evaluate(self, frame: Sequence[Mapping[str, Any]]) -> list[RuleResult]:
        """Evaluate on ``frame`` (one mapping per firm with ``firm_uscc`` and the inputs)."""
        ...


#: Per-firm input columns the core's warning scan hands to
#: :meth:`ColumnarWarningRule.evaluate_columns` (name -> meaning). Every column is a
#: numpy array aligned with ``firm_id``; numbers are float64 with NaN for "unknown",
#: except where noted.
WARNING_INPUT_COLUMNS: Mapping[str, str] = {
    "firm_id": "int64 firm primary key",
    "industry_code": "object array of the firm's industry code (str)",
    "tax_sales_recent": "monthly taxable sales over the last 3 complete months (the average "
    "of the months filed), yuan",
    "tax_sales_year_ago": "monthly taxable sales over the same 3 months a year earlier (the "
    "average of the months filed), yuan",
    "total_assets": "total assets of the latest financial statement, yuan",
    "total_liabilities": "total liabilities of the latest financial statement, yuan",
    "max_dpd": "largest days past due over the firm's active loans (NaN: no active loan)",
    "max_dpd_loan_id": "int64 id of the loan with the largest DPD (-1: none)",
    "grade_latest": "ordinal 1 (A best) .. 7 (G worst) of the newest score",
    "grade_oldest": "ordinal of the oldest score within the rule's window",
    "bureau_overdue_count": "overdue accounts at other lenders, latest bureau report",
    "bureau_overdue_amount": "overdue amount at other lenders, latest bureau report, yuan",
    "outstanding": "the firm's outstanding principal on our book, yuan",
    "book_outstanding": "the whole book's outstanding principal, yuan (same in every row)",
    "legal_points": "lawsuits as defendant, enforcements and penalties within the window, "
    "weighted by severity (low 1, medium 2, high 3)",
    "abnormal_listed": "1 when the firm's latest abnormal-operation event is a listing "
    "(not a removal), else 0",
    "rep_changes": "legal-representative changes within the window",
}


@dataclass(frozen=True, slots=True)
class RuleColumns:
    """Vectorised outcome of one rule over many firms (aligned with ``firm_id``).

    Attributes:
        values: float64 indicator values, NaN where the data is missing.
        levels: int8 levels, 0 = none, 1 blue, 2 yellow, 3 orange, 4 red.
        loan_ids: optional int64 loan each firm's warning concerns (-1: the firm as a
            whole); a warning's identity is firm + rule + loan.
    """

    values: Any
    levels: Any
    loan_ids: Any = None


def threshold_levels(values: Any, thresholds: Mapping[str, float], direction: str) -> Any:
    """Levels (int8, 0 none .. 4 red) of many values at once; NaN gives 0.

    A value reaches a level when ``value >= threshold`` (``<=`` for ``lower_is_worse``),
    the same rule as the core's single-value ``indicator_level``.
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    sign = 1.0 if direction == "higher_is_worse" else -1.0
    out = np.zeros(v.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for name in ("blue", "yellow", "orange", "red"):
            out += (sign * v >= sign * float(thresholds[name])).astype(np.int8)
    return out


@runtime_checkable
class ColumnarWarningRule(WarningRule, Protocol):
    """A :class:`WarningRule` that evaluates whole columns at once (fast portfolio scans).

    Optional attributes read by the core when present: ``name_zh`` (Chinese name),
    ``window_days`` (data window), ``default_weight`` (expert weight within its group),
    ``explanation`` (a ``str.format`` template with ``{value}``, ``{level}``,
    ``{threshold}``), ``default_params`` (rule parameters such as an industry list).
    """

    def evaluate_columns(
        self,
        columns: Mapping[str, Any],
        thresholds: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RuleColumns:
        """Values and levels for every row of ``columns`` (see :data:`WARNING_INPUT_COLUMNS`).

        Args:
            columns: input columns, each a numpy array of the same length.
            thresholds: level thresholds in force (the rule's own when None).
            params: rule parameters in force (the rule's ``default_params`` when None).
        """
        ...


# ------------------------------------------------------------------------------- GraphQL


@dataclass(frozen=True, slots=True)
class GraphQLContribution:
    """GraphQL fields a plugin adds, returned from the ``graphql_types()`` hook.

    Each attribute is a strawberry type (``@strawberry.type class ...``) whose fields are
    merged into the root type of the same role; field names must not clash with the core's
    or another plugin's.

    Every mutation field needs a rule in the platform's authorisation table: give it in
    ``operations`` (mutation field name, camelCase as served -> :class:`Operation`). A
    mutation without one is refused to every caller (``FORBIDDEN``). The resolver should
    check the operation again with the object's branch where it has one (SDK 1.2).

    Attributes:
        query: fields added to ``Query``.
        mutation: fields added to ``Mutation``.
        subscription: fields added to ``Subscription``.
        operations: the rule of each mutation field of ``mutation``.
    """

    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    operations: Mapping[str, Operation] = field(default_factory=dict)


# ------------------------------------------------------------------------ masking strategies


@runtime_checkable
class MaskingStrategy(Protocol):
    """A way to hide (脱敏) a value where the reader may not see it in full.

    Plugins return instances from ``register_masking_strategies()``; the permission layer
    applies one by ``name`` when a policy decides "mask" for a field.

    Contract for implementations:

    * ``mask(None)`` returns None.
    * Idempotent: ``mask(mask(v, **o), **o) == mask(v, **o)``, so a value masked upstream
      (an export, a cache) is not mangled further.
    * Every hidden character is replaced: the output never reveals what was hidden.
    * Unknown or invalid options raise an exception with a ``code`` attribute.

    Attributes:
        name: unique strategy name, e.g. ``"mobile"``.
        description: one line for administrators choosing a strategy.
    """

    name: str
    description: str

    def mask(self, value: str | None, **options: Any) -> str | None:
        """Mask ``value`` according to ``options`` (strategy-specific, all optional)."""
        ...
