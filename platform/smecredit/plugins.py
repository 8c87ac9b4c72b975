"""Plugin discovery, enable/disable, SDK compatibility and failure isolation.

:func:`load_plugins` turns the installed entry points of the ``smecredit`` group (plus any
in-process plugins) into a :class:`PluginRegistry`. One plugin's trouble never stops the
others:

=================  ============================================================  ==========
what happens       effect                                                        status
=================  ============================================================  ==========
not allowed        not even imported (``SMECREDIT_PLUGINS_ENABLED`` / ``_DISABLED``)  disabled
import fails       the exception is recorded                                     failed
SDK mismatch       refused with what it needs and what the core provides         incompatible
bad hookimpl       pluggy's message (names the hook) is recorded; unregistered   failed
hook raises        everything it registered is discarded, the error recorded     failed
startup raises     its objects are withdrawn from the registry                   failed
=================  ============================================================  ==========

"Bad hookimpl" covers a misspelled hook name (what ``pm.check_pending()`` catches; checked
per plugin so that the offender alone is refused) and arguments the hookspec does not have.
The exception: two plugins registering the same name for the same kind of object is a
configuration error the operator must resolve, so start-up fails with
:class:`PluginConflictError` (``PLUGIN_CONFLICT``) naming both plugins.

Plugins without an ``SMECREDIT_SDK`` declaration are loaded, with a logged warning.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from smecredit import hookspecs
from smecredit.domain.errors import CodedError
from smecredit.domain.report_params import check_report_type
from smecredit.sdk import (
    DataSource,
    GraphQLContribution,
    MaskingStrategy,
    PolicyRule,
    ReportType,
    ScoringModel,
    WarningRule,
    plugin_settings,
    required_members,
)
from smecredit.sdk.plugin import PLUGIN_OPTION_PREFIX
from smecredit.security.principal import ROLES
from smecredit.settings import Settings

__all__ = [
    "REGISTRATION_HOOKS",
    "PluginConflictError",
    "PluginError",
    "PluginInfo",
    "PluginRegistry",
    "PluginStatus",
    "await_me_maybe",
    "load_plugins",
    "sdk_incompatibility",
]

logger = logging.getLogger(__name__)

PluginStatus = Literal["active", "disabled", "failed", "incompatible"]

_SDK_RE = re.compile(r"^\s*(\d+)\.(\d+)\s*$")


class PluginError(CodedError):
    """A plugin problem that stops start-up.

    Attributes:
        code: stable UPPER_SNAKE code.
    """

    code = "PLUGIN_ERROR"


class PluginConflictError(PluginError):
    """Two plugins register the same name for the same kind of object."""

    code = "PLUGIN_CONFLICT"


@dataclass(frozen=True, slots=True)
class _Registration:
    """How one ``register_*`` hook's results are checked and keyed."""

    attribute: str  # the PluginRegistry attribute the objects go to
    protocol: type
    key: str  # the attribute that must be unique across plugins
    what: str  # for messages


#: The hooks that register objects, in the order they are collected.
REGISTRATION_HOOKS: Mapping[str, _Registration] = {
    "register_data_sources": _Registration("data_sources", DataSource, "name", "data source"),
    "register_scoring_models": _Registration(
        "scoring_models", ScoringModel, "name", "scoring model"
    ),
    "register_masking_strategies": _Registration(
        "masking_strategies", MaskingStrategy, "name", "masking strategy"
    ),
    "register_report_types": _Registration("report_types", ReportType, "name", "report type"),
    "register_warning_rules": _Registration("warning_rules", WarningRule, "code", "warning rule"),
    "register_policy_rules": _Registration("policy_rules", PolicyRule, "code", "policy rule"),
}


@dataclass(slots=True)
class PluginInfo:
    """What the platform knows about one plugin (shown by ``smecredit plugins list``).

    Attributes:
        name: the entry-point name (or the module / class name of an in-process plugin).
        version: the distribution's version, else the module's ``__version__``, else None.
        distribution: the pip distribution providing it; None for in-process plugins.
        hooks: the hooks it implements, sorted.
        status: ``active``, ``disabled``, ``failed`` or ``incompatible``.
        error: why it is not active (or what went wrong at shutdown).
        sdk: the SDK version the plugin declares (``SMECREDIT_SDK``), if any.
    """

    name: str
    version: str | None
    distribution: str | None
    hooks: list[str] = field(default_factory=list)
    status: PluginStatus = "active"
    error: str | None = None
    sdk: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "hooks": list(self.hooks),
            "status": self.status,
            "error": self.error,
        }


@dataclass(slots=True)
class PluginRegistry:
    """The loaded plugins and everything they registered, by name.

    Attributes:
        plugins: every plugin seen, whatever its status, in discovery order.
        data_sources: source name -> :class:`~smecredit.sdk.DataSource`.
        scoring_models: model name -> :class:`~smecredit.sdk.ScoringModel`.
        masking_strategies: strategy name -> :class:`~smecredit.sdk.MaskingStrategy`.
        report_types: report name -> :class:`~smecredit.sdk.ReportType`.
        warning_rules: rule code -> :class:`~smecredit.sdk.WarningRule`.
        policy_rules: rule code -> :class:`~smecredit.sdk.PolicyRule`.
        graphql_contributions: plugin name -> its :class:`~smecredit.sdk.GraphQLContribution`
            list (see :func:`smecredit.graphql.plugins.plugin_schema_types`).
        manager: the underlying pluggy manager (active plugins only).
    """

    plugins: list[PluginInfo] = field(default_factory=list)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    scoring_models: dict[str, ScoringModel] = field(default_factory=dict)
    masking_strategies: dict[str, MaskingStrategy] = field(default_factory=dict)
    report_types: dict[str, ReportType] = field(default_factory=dict)
    warning_rules: dict[str, WarningRule] = field(default_factory=dict)
    policy_rules: dict[str, PolicyRule] = field(default_factory=dict)
    graphql_contributions: dict[str, list[GraphQLContribution]] = field(default_factory=dict)
    manager: pluggy.PluginManager = field(
        default_factory=lambda: _new_manager(), repr=False, compare=False
    )
    _owners: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def plugin(self, name: str) -> PluginInfo | None:
        """The plugin called ``name``, if it was seen."""
        return next((p for p in self.plugins if p.name == name), None)

    def owner(self, attribute: str, key: str) -> str | None:
        """Which plugin registered ``key`` in ``attribute`` (e.g. ``"data_sources"``)."""
        return self._owners.get((attribute, key))

    def fail(self, name: str, error: str) -> None:
        """Mark an active plugin ``failed`` after loading and withdraw what it registered.

        For problems found later than collection, e.g. GraphQL types that do not build.
        """
        info = self.plugin(name)
        if info is None:
            raise KeyError(name)
        logger.error("plugin %s failed: %s", name, error)
        self._withdraw(info, error)

    async def startup(self, settings: Settings | None = None) -> None:
        """Run every active plugin's ``startup`` hook; a failing plugin is withdrawn.

        Each plugin receives its own :class:`smecredit.sdk.PluginSettings` built from
        ``settings`` (never the core settings themselves: secrets such as the database URL
        stay in the core).
        """
        settings = settings if settings is not None else Settings()
        for info, impl in self._impls("startup"):
            view: Any = plugin_settings(info.name, settings.env, _plugin_variables(settings))
            if _before_settings_view(info.sdk):
                view = settings  # written for SDK < 1.3: it still gets what it was written for
            try:
                await await_me_maybe(impl.function(view))
            except Exception as error:  # isolate: a plugin's bug must not stop the platform
                logger.exception("plugin %s failed in startup", info.name)
                self._withdraw(info, f"startup: {_describe(error)}")

    async def shutdown(self) -> None:
        """Run every loaded plugin's ``shutdown`` hook; failures are logged and recorded."""
        for info, impl in self._impls("shutdown", include_failed=True):
            try:
                await await_me_maybe(impl.function())
            except Exception as error:
                logger.exception("plugin %s failed in shutdown", info.name)
                note = f"shutdown: {_describe(error)}"
                info.error = f"{info.error}; {note}" if info.error else note

    def _impls(
        self, hook_name: str, *, include_failed: bool = False
    ) -> list[tuple[PluginInfo, pluggy.HookImpl]]:
        caller = getattr(self.manager.hook, hook_name)
        found = []
        # pluggy lists implementations last-registered first; run in discovery order.
        for impl in reversed(caller.get_hookimpls()):
            info = self.plugin(impl.plugin_name)
            if info is None:
                continue
            if info.status == "active" or (include_failed and info.status == "failed"):
                found.append((info, impl))
        return found

    def _withdraw(self, info: PluginInfo, error: str) -> None:
        info.status, info.error = "failed", error
        for (attribute, key), owner in list(self._owners.items()):
            if owner == info.name:
                getattr(self, attribute).pop(key, None)
                del self._owners[(attribute, key)]
        self.graphql_contributions.pop(info.name, None)


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


async def await_me_maybe(value: Any) -> Any:
    """Await ``value`` when it is awaitable, else return it (hooks may be sync or async)."""
    if inspect.isawaitable(value):
        value = await value
    return value


def sdk_incompatibility(plugin_name: str, required: object) -> str | None:
    """Why a plugin declaring ``SMECREDIT_SDK = required`` cannot load, or None if it can.

    Compatible when the majors are equal and the plugin's minor is at most the core's.
    """
    provided = hookspecs.SDK_VERSION
    have = _SDK_RE.match(provided)
    assert have is not None  # our own constant
    want = _SDK_RE.match(required) if isinstance(required, str) else None
    if want is None:
        return (
            f"plugin {plugin_name!r} declares SMECREDIT_SDK = {required!r}, which is not "
            f"MAJOR.MINOR; the core provides SDK {provided}"
        )
    major, minor = int(want[1]), int(want[2])
    core_major, core_minor = int(have[1]), int(have[2])
    if major == core_major and minor <= core_minor:
        return None
    newer = (major, minor) > (core_major, core_minor)
    return (
        f"plugin {plugin_name!r} needs smecredit SDK {major}.{minor} but the core provides "
        f"SDK {provided} (plugins for {core_major}.0 to {provided} load); upgrade the "
        f"{'core' if newer else 'plugin'}"
    )


@dataclass(slots=True)
class _Candidate:
    info: PluginInfo
    load: Callable[[], object]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


#: The SDK version from which ``startup`` receives a PluginSettings view.
_SETTINGS_VIEW_SDK = (1, 3)


def _before_settings_view(declared_sdk: str | None) -> bool:
    """Whether a plugin declaring ``declared_sdk`` expects the core Settings in ``startup``."""
    if declared_sdk is None:
        return False
    try:
        major, minor = (int(part) for part in declared_sdk.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) < _SETTINGS_VIEW_SDK


def _allowed(settings: Any, *names: str | None) -> bool:
    enabled = set(getattr(settings, "plugins_enabled", ()) or ())
    disabled = set(getattr(settings, "plugins_disabled", ()) or ())
    given = {n for n in names if n}
    if given & disabled:
        return False
    return not enabled or bool(given & enabled)


def _entry_point_candidates(
    entry_points: Iterable[importlib.metadata.EntryPoint],
) -> list[_Candidate]:
    candidates = []
    for ep in entry_points:
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            name=ep.name,
            version=dist.version if dist is not None else None,
            distribution=dist.name if dist is not None else None,
        )
        candidates.append(_Candidate(info, ep.load))
    return candidates


def _constant(obj: object) -> Callable[[], object]:
    return lambda: obj


def _object_candidates(objects: Iterable[object]) -> list[_Candidate]:
    candidates = []
    for obj in objects:
        name = getattr(obj, "__name__", None) or type(obj).__name__
        version = getattr(obj, "__version__", None)
        info = PluginInfo(name=str(name), version=version, distribution=None)
        candidates.append(_Candidate(info, _constant(obj)))
    return candidates


def _register(manager: pluggy.PluginManager, info: PluginInfo, plugin: object) -> str | None:
    """Register ``plugin``; return why it is refused (bad or unknown hooks), or None."""
    try:
        manager.register(plugin, name=info.name)
    except (pluggy.PluginValidationError, ValueError) as error:
        return _describe(error)
    callers = manager.get_hookcallers(plugin) or []
    # What pm.check_pending() checks, per plugin, so that only the offender is refused.
    unknown = sorted(
        caller.name
        for caller in callers
        if not caller.has_spec()
        and any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls())
    )
    if unknown:
        manager.unregister(plugin)
        known = ", ".join(sorted(_hook_names()))
        return (
            f"unknown hook(s) {', '.join(unknown)} in plugin {info.name!r} "
            f"(misspelled? the hooks are: {known})"
        )
    info.hooks = sorted(c.name for c in callers)
    return None


def _hook_names() -> list[str]:
    return [
        name
        for name in hookspecs.__all__
        if callable(getattr(hookspecs, name))
        and hasattr(getattr(hookspecs, name), "smecredit_spec")
    ]


def _collect(
    manager: pluggy.PluginManager, info: PluginInfo, plugin: object
) -> tuple[dict[str, list[Any]], list[GraphQLContribution]]:
    """Call the plugin's registration hooks; raise ``_HookFailure`` naming the bad one."""
    registered: dict[str, list[Any]] = {}
    contributions: list[GraphQLContribution] = []
    for caller in manager.get_hookcallers(plugin) or []:
        if caller.name not in REGISTRATION_HOOKS and caller.name != "graphql_types":
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            try:
                result: Any = impl.function()
            except Exception as error:
                raise _HookFailure(f"{caller.name}: {_describe(error)}") from error
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: close it to avoid a RuntimeWarning
                raise _HookFailure(
                    f"{caller.name}: returned an awaitable; registration hooks must be plain "
                    "functions returning a list (make the registered objects' methods async)"
                )
            items: list[Any] = list(result or [])
            if caller.name == "graphql_types":
                contributions.extend(_contribution(caller.name, item) for item in items)
            else:
                _check_items(caller.name, items)
                registered.setdefault(caller.name, []).extend(items)
    return registered, contributions


def _contribution(hook_name: str, item: object) -> GraphQLContribution:
    if isinstance(item, GraphQLContribution):
        return item
    if not any(hasattr(item, role) for role in ("query", "mutation", "subscription")):
        raise _HookFailure(
            f"{hook_name}: {item!r} is not a GraphQLContribution (no query, mutation or "
            "subscription attribute)"
        )
    return GraphQLContribution(
        query=getattr(item, "query", None),
        mutation=getattr(item, "mutation", None),
        subscription=getattr(item, "subscription", None),
    )


def _check_items(hook_name: str, items: Sequence[object]) -> None:
    spec = REGISTRATION_HOOKS[hook_name]
    for item in items:
        key = getattr(item, spec.key, None)
        if not isinstance(key, str) or not key:
            raise _HookFailure(f"{hook_name}: {item!r} has no {spec.key} (a non-empty string)")
        # Only the required members: the optional ones (with a default in the protocol)
        # are read through sdk.declared, so an object may leave them out.
        missing = [attr for attr in required_members(spec.protocol) if not hasattr(item, attr)]
        if missing:
            raise _HookFailure(
                f"{hook_name}: {spec.what} {key!r} lacks {', '.join(missing)} "
                f"required by smecredit.sdk.{spec.protocol.__name__}"
            )
        if hook_name == "register_report_types":
            problems = check_report_type(item, KNOWN_ROLES)
            if problems:
                raise _HookFailure(f"{hook_name}: report type {key!r}: {'; '.join(problems)}")


#: The roles a report type may name.
KNOWN_ROLES: frozenset[str] = frozenset(ROLES)


class _HookFailure(Exception):
    """A registration hook raised or returned something unusable."""


def _merge(
    registry: PluginRegistry,
    info: PluginInfo,
    registered: Mapping[str, list[Any]],
    contributions: list[GraphQLContribution],
) -> None:
    for hook_name, items in registered.items():
        spec = REGISTRATION_HOOKS[hook_name]
        target: dict[str, Any] = getattr(registry, spec.attribute)
        for item in items:
            key = getattr(item, spec.key)
            owner = registry.owner(spec.attribute, key)
            if owner is not None:
                where = (
                    f"plugins {owner!r} and {info.name!r}"
                    if owner != info.name
                    else f"plugin {owner!r} (twice)"
                )
                raise PluginConflictError(
                    f"{spec.what} {key!r} is registered by {where}; disable one of them "
                    "with SMECREDIT_PLUGINS_DISABLED"
                )
            target[key] = item
            registry._owners[(spec.attribute, key)] = info.name
    if contributions:
        registry.graphql_contributions[info.name] = contributions


def load_plugins(
    settings: Any = None,
    *,
    extra_plugins: Sequence[object] = (),
    entry_points: bool | Iterable[importlib.metadata.EntryPoint] = True,
) -> PluginRegistry:
    """Discover, check and register plugins, and collect what they register.

    Args:
        settings: anything with ``plugins_enabled`` / ``plugins_disabled`` name tuples
            (a :class:`smecredit.settings.Settings`); a name matches the entry-point name
            or the distribution name. An empty allow list allows all. None: no lists.
        extra_plugins: in-process plugins (modules, classes or instances with hookimpls),
            registered after the entry points; handy in tests.
        entry_points: True to discover the installed ``smecredit`` entry points, False for
            none, or the entry points to use instead (tests pass fakes).

    Returns:
        The registry. Failed, disabled and incompatible plugins are listed with their
        status and error; only active plugins' objects are registered.

    Raises:
        PluginConflictError: two plugins register the same name (``PLUGIN_CONFLICT``).
    """
    registry = PluginRegistry()
    manager = registry.manager
    if entry_points is True:
        found: Iterable[importlib.metadata.EntryPoint] = importlib.metadata.entry_points(
            group=hookspecs.PROJECT_NAME
        )
    elif entry_points is False:
        found = ()
    else:
        found = entry_points
    candidates = _entry_point_candidates(found) + _object_candidates(extra_plugins)

    for candidate in candidates:
        info = candidate.info
        registry.plugins.append(info)
        if registry.plugin(info.name) is not info:
            info.status, info.error = "failed", f"another plugin is already named {info.name!r}"
            continue
        if not _allowed(settings, info.name, info.distribution):
            info.status = "disabled"
            continue
        try:
            plugin = candidate.load()
        except Exception as error:  # isolate: a broken install must not stop the platform
            logger.exception("plugin %s failed to import", info.name)
            info.status, info.error = "failed", f"import failed: {_describe(error)}"
            continue
        if info.version is None:
            version = getattr(plugin, "__version__", None)
            info.version = version if isinstance(version, str) else None
        required = getattr(plugin, "SMECREDIT_SDK", None)
        info.sdk = required if isinstance(required, str) else None
        if required is None:
            logger.warning(
                "plugin %s declares no SMECREDIT_SDK; assuming SDK %s",
                info.name,
                hookspecs.SDK_VERSION,
            )
        elif (reason := sdk_incompatibility(info.name, required)) is not None:
            info.status, info.error = "incompatible", reason
            continue
        refused = _register(manager, info, plugin)
        if refused is not None:
            info.status, info.error = "failed", refused
            continue
        try:
            registered, contributions = _collect(manager, info, plugin)
        except _HookFailure as error:
            logger.error("plugin %s failed: %s", info.name, error)
            manager.unregister(plugin)
            info.status, info.error = "failed", str(error)
            continue
        _merge(registry, info, registered, contributions)

    # Every plugin with unknown hooks was refused above; this guards that invariant.
    manager.check_pending()
    return registry


def _plugin_variables(settings: Settings) -> dict[str, str]:
    """What a plugin's settings view is built from: the plugin-option family
    (``SMECREDIT_PLUGIN_<NAME>_<OPTION>``, each plugin's own) and the data directory."""
    variables = {k: v for k, v in settings.extra.items() if k.startswith(PLUGIN_OPTION_PREFIX)}
    if settings.data_dir is not None:
        variables["SMECREDIT_DATA_DIR"] = str(settings.data_dir)
    return variables
