"""THE plugin contract: the pluggy hook specifications of smecredit (versioned by SDK_VERSION).

Hooks *register things*; the things do the work (the datasette / llm shape). Every
``register_*`` hook returns a list of objects whose methods may be ``async``; the core calls
each plugin's implementation separately, so a plugin that raises is isolated and the others
keep working (see :mod:`smecredit.plugins`).

Rules for hook authors and for anyone adding a hook here:

* pluggy is synchronous. Hook *implementations* of the ``register_*`` and
  ``graphql_types`` hooks must return their list directly, never a coroutine. Only the
  lifecycle hooks ``startup`` and ``shutdown`` may be ``async`` (the core awaits their
  result when it is awaitable).
* Never declare a hook ``firstresult=True`` if its implementations may be ``async``: a
  coroutine is never None, so the first async implementation would silently win.
* Adding a hook is a minor SDK version bump; removing or changing one is a major bump.
  Every hook must be documented in ``docs/hooks.md`` (``python -m smecredit.hookdocs``)
  and exercised by a test; ``tests/test_hookspecs.py`` enforces both.

Plugins import the matching ``hookimpl`` marker from :mod:`smecredit.sdk`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # the sdk imports this module: type-only imports avoid the cycle
    from smecredit.sdk import (
        DataSource,
        GraphQLContribution,
        MaskingStrategy,
        PluginSettings,
        PolicyRule,
        ReportType,
        ScoringModel,
        WarningRule,
    )

__all__ = [
    "PROJECT_NAME",
    "SDK_VERSION",
    "graphql_types",
    "hookspec",
    "register_data_sources",
    "register_masking_strategies",
    "register_policy_rules",
    "register_report_types",
    "register_scoring_models",
    "register_warning_rules",
    "shutdown",
    "startup",
]

#: pluggy project name and entry-point group plugins register under.
PROJECT_NAME = "smecredit"

#: Version of this contract, ``MAJOR.MINOR``. A plugin declaring ``SMECREDIT_SDK = "M.m"``
#: loads when ``M`` equals the core's major and ``m`` is at most the core's minor.
#: 1.1 added the scoring-model input helpers of :mod:`smecredit.sdk` (``is_missing``,
#: ``as_float``, ``ModelInputError``); 1.2 adds ``Operation`` / ``OperationScope`` and
#: ``GraphQLContribution.operations`` (a plugin's mutations declare who may run them).
#: 1.3 makes :mod:`smecredit.sdk` a package by topic, declares in each protocol the
#: optional attributes the core reads (``sdk.declared``), hands ``startup`` a
#: ``PluginSettings`` view (plugins declaring an older SDK still get the core settings)
#: and adds the contract suites of :mod:`smecredit.testing`.
#: 1.4 gives :class:`~smecredit.sdk.ReportType` its shape: parameters, formats, roles and
#: ``build(context, params) -> ReportDocument`` over the datasets of a ``ReportContext``
#: (the 1.3 ``render -> bytes`` had no implementation and no caller), and adds the policy
#: rules of credit decisions (:class:`~smecredit.sdk.PolicyRule` over the
#: :class:`~smecredit.sdk.PolicyFacts` of an application, hook ``register_policy_rules``).
#: Plugins written for 1.0 to 1.3 load unchanged.
SDK_VERSION = "1.4"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def register_data_sources() -> list[DataSource]:  # type: ignore[empty-body]
    """Contribute data sources: where firm, loan and registry records come from (R2).

    Called once per plugin at start-up, while :func:`smecredit.plugins.load_plugins` builds
    the registry. The sources' ``fetch`` runs later, when an import job is started.

    Returns:
        A list of :class:`smecredit.sdk.DataSource` objects. Each ``name`` must be unique
        across all plugins (a duplicate stops start-up with ``PLUGIN_CONFLICT``); ``fetch``
        is an async generator yielding :class:`smecredit.sdk.SourceRecord`.
    """


@hookspec
def register_scoring_models() -> list[ScoringModel]:  # type: ignore[empty-body]
    """Contribute scoring models (logistic regression, gradient-boosted trees, ...) (R4).

    Called once per plugin at start-up. The models are trained and applied by the scoring
    service, which stores the artefact ``fit`` returns.

    Returns:
        A list of :class:`smecredit.sdk.ScoringModel` objects with unique ``name``.
    """


@hookspec
def register_masking_strategies() -> list[MaskingStrategy]:  # type: ignore[empty-body]
    """Contribute masking (脱敏) strategies the permission layer applies by name (R7).

    Called once per plugin at start-up. A policy deciding "mask" for a field names one of
    these strategies; it is applied wherever the value leaves the platform.

    Returns:
        A list of :class:`smecredit.sdk.MaskingStrategy` objects with unique ``name``.
    """


@hookspec
def register_report_types() -> list[ReportType]:  # type: ignore[empty-body]
    """Contribute report types (portfolio summaries, regulatory returns, ...) (R1, R6, R10).

    Called once per plugin at start-up. The report engine awaits a type's ``build`` in a
    job when a user (or a schedule) runs it, then writes the document it returns in the
    requested format.

    Returns:
        A list of :class:`smecredit.sdk.ReportType` objects with unique ``name``.
    """


@hookspec
def register_warning_rules() -> list[WarningRule]:  # type: ignore[empty-body]
    """Contribute early-warning rules (indicators with thresholds) (R5).

    Called once per plugin at start-up. The warning service evaluates the rules on its
    schedule and on new data.

    Returns:
        A list of :class:`smecredit.sdk.WarningRule` objects with unique ``code``.
    """


@hookspec
def register_policy_rules() -> list[PolicyRule]:  # type: ignore[empty-body]
    """Contribute policy rules of credit decisions (hard limits, soft warnings) (R6).

    Called once per plugin at start-up. The decision-support view of an application
    evaluates every enabled rule, the core's and the plugins', on the facts the core
    gathers (:class:`smecredit.sdk.PolicyFacts`); the risk team enables a rule, sets its
    kind and parameters in a new version of the policy rules (``setPolicyRule``).

    Returns:
        A list of :class:`smecredit.sdk.PolicyRule` objects. Each ``code`` must be unique
        across all plugins (a duplicate stops start-up with ``PLUGIN_CONFLICT``) and must
        not be a code of the core's built-in rules (such a rule is ignored and logged).
    """


@hookspec
def graphql_types() -> list[GraphQLContribution]:  # type: ignore[empty-body]
    """Contribute GraphQL fields: strawberry types merged into the root types.

    Called once per plugin at start-up, before the schema is built; the core merges the
    types with ``strawberry.tools.merge_types``. A field name contributed by two plugins,
    or clashing with a core field, stops start-up with ``PLUGIN_CONFLICT``.

    Returns:
        A list of :class:`smecredit.sdk.GraphQLContribution` (or any object with
        ``query``, ``mutation`` and ``subscription`` attributes, each a strawberry type or
        None).
    """


@hookspec
def startup(settings: PluginSettings) -> Any:
    """Prepare the plugin's resources (connections, caches, model files).

    Called once when the application starts, after every plugin was loaded and before the
    first request. The implementation may be ``async``; the core awaits it. A failure is
    logged and marks the plugin ``failed`` (its registered objects are withdrawn); the
    platform keeps serving.

    Args:
        settings: the plugin's view of the configuration, a
            :class:`smecredit.sdk.PluginSettings`: the environment name, the plugin's own
            options (``SMECREDIT_PLUGIN_<NAME>_<OPTION>`` variables) and its data directory.
            Since SDK 1.3; a plugin declaring an older ``SMECREDIT_SDK`` receives the core's
            ``Settings`` as before.

    Returns:
        Nothing (or an awaitable of nothing).
    """


@hookspec
def shutdown() -> Any:
    """Release what :func:`startup` acquired.

    Called once when the application stops, for every plugin that was loaded, even one
    whose start-up failed. The implementation may be ``async``; the core awaits it. A
    failure is logged and recorded on the plugin, never fatal.

    Returns:
        Nothing (or an awaitable of nothing).
    """
