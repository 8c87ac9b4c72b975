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
error :class:`ModelInputError` (a :class:`CodedError`, the core's one coded-error base).
Whatever writes a spreadsheet (CSV, xlsx) passes every cell through :func:`neutralise_cell`
(:mod:`smecredit.domain.spreadsheet`). Contract tests for plugin authors live in
:mod:`smecredit.testing`.

Since SDK 1.3 the module is a package by topic (:mod:`.sources`, :mod:`.scoring`,
:mod:`.masking`, :mod:`.warnings`, :mod:`.reports`, :mod:`.graphql`, :mod:`.plugin`);
plugins keep importing every name from ``smecredit.sdk`` itself. ``startup`` receives a
:class:`PluginSettings`, and each protocol names the optional attributes the core reads
(with their defaults; :func:`declared`).

Since SDK 1.4 a report type declares its parameters, formats and roles and *builds* a
:class:`ReportDocument` from the datasets of a :class:`ReportContext`; the core writes it
as CSV, XLSX or PDF (:mod:`.reports`), and a :class:`PolicyRule` judges the
:class:`PolicyFacts` of a credit application (:mod:`.policy`).
"""

from __future__ import annotations

from smecredit.domain.errors import CodedError
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
from smecredit.hookspecs import SDK_VERSION
from smecredit.sdk.graphql import (
    GraphQLContribution,
    Operation,
    OperationScope,
    authorize,
    require_in_scope,
)
from smecredit.sdk.masking import MaskingStrategy
from smecredit.sdk.plugin import (
    PluginSettings,
    declared,
    hookimpl,
    implements,
    optional_members,
    plugin_settings,
    required_members,
)
from smecredit.sdk.policy import (
    POLICY_OUTCOMES,
    POLICY_RULE_KINDS,
    PolicyFacts,
    PolicyOutcome,
    PolicyOutcomeValue,
    PolicyRule,
    PolicyRuleKind,
    RelatedParty,
)
from smecredit.sdk.reports import (
    REPORT_FORMATS,
    WITHHELD,
    AggregateFunction,
    Chart,
    ChartKind,
    ColumnKind,
    DatasetColumn,
    DatasetInfo,
    Figure,
    KeyFigures,
    ParamKind,
    ReportCancelled,
    ReportColumn,
    ReportContext,
    ReportDocument,
    ReportFormat,
    ReportParam,
    ReportType,
    Section,
    Series,
    Table,
    Withheld,
    is_formula_like,
    neutralise_cell,
    neutralise_row,
)
from smecredit.sdk.scoring import (
    BinningResult,
    ModelInputError,
    Reason,
    ScoreScaling,
    ScoringModel,
    as_float,
    auc,
    fit_categorical_bins,
    fit_numeric_bins,
    is_missing,
    select_features,
    woe_transform,
)
from smecredit.sdk.sources import (
    RECORD_KINDS,
    DataSource,
    FetchRequest,
    RecordError,
    SourceRecord,
    yield_to_event_loop,
)
from smecredit.sdk.warnings import (
    WARNING_INPUT_COLUMNS,
    ColumnarWarningRule,
    RuleColumns,
    RuleResult,
    WarningDirection,
    WarningGroup,
    WarningKind,
    WarningLevel,
    WarningRule,
    threshold_levels,
)

__all__ = [
    "POLICY_OUTCOMES",
    "POLICY_RULE_KINDS",
    "RECORD_KINDS",
    "REPORT_FORMATS",
    "SDK_VERSION",
    "WARNING_INPUT_COLUMNS",
    "WITHHELD",
    "AggregateFunction",
    "BinningResult",
    "Chart",
    "ChartKind",
    "CodedError",
    "ColumnKind",
    "ColumnarWarningRule",
    "DataSource",
    "DatasetColumn",
    "DatasetInfo",
    "FetchRequest",
    "Figure",
    "GraphQLContribution",
    "IdentityError",
    "KeyFigures",
    "MaskingStrategy",
    "ModelInputError",
    "Operation",
    "OperationScope",
    "ParamKind",
    "PluginSettings",
    "PolicyFacts",
    "PolicyOutcome",
    "PolicyOutcomeValue",
    "PolicyRule",
    "PolicyRuleKind",
    "Reason",
    "RecordError",
    "RelatedParty",
    "ReportCancelled",
    "ReportColumn",
    "ReportContext",
    "ReportDocument",
    "ReportFormat",
    "ReportParam",
    "ReportType",
    "RuleColumns",
    "RuleResult",
    "ScoreScaling",
    "ScoringModel",
    "Section",
    "Series",
    "SourceRecord",
    "Table",
    "WarningDirection",
    "WarningGroup",
    "WarningKind",
    "WarningLevel",
    "WarningRule",
    "Withheld",
    "as_float",
    "auc",
    "authorize",
    "declared",
    "fit_categorical_bins",
    "fit_numeric_bins",
    "hookimpl",
    "id_number_check_char",
    "implements",
    "is_formula_like",
    "is_missing",
    "is_valid_id_number",
    "is_valid_uscc",
    "neutralise_cell",
    "neutralise_row",
    "optional_members",
    "plugin_settings",
    "require_in_scope",
    "required_members",
    "select_features",
    "threshold_levels",
    "uscc_check_char",
    "validate_id_number",
    "validate_phone",
    "validate_uscc",
    "woe_transform",
    "yield_to_event_loop",
]
