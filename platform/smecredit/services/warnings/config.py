"""Versioned rule settings and weights: what a scan uses, and how analysts change it.

Rules come from plugins (``register_warning_rules``). Their thresholds, parameters and on/off
switch, and the indicator weights, are stored as versions: a change adds a row and takes
effect at the next scan; the newest version is in force. Weights are entered directly
(expert percentages) or derived by AHP from pairwise matrices per group and across groups;
matrices with CR >= 0.1 are refused with the domain's explanation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tortoise.transactions import in_transaction

from smecredit import models, plugin_host
from smecredit.domain.ahp import (
    DEFAULT_CR_THRESHOLD,
    AhpError,
    AhpResult,
    ahp_weights,
    compose_weights,
    most_inconsistent_pair,
    require_consistent,
)
from smecredit.domain.warning_index import Thresholds, WarningIndexError, indicator_level
from smecredit.errors import InvalidInput, NotFound
from smecredit.sdk import WarningRule, declared
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services.audit import record
from smecredit.services.warnings.inputs import InputWindows

__all__ = [
    "DEFAULT_GROUP_WEIGHTS",
    "GROUPS",
    "ActiveConfig",
    "ConfigInForce",
    "RuleSetting",
    "active_config",
    "audit",
    "config_in_force",
    "default_rules",
    "evaluate_rule",
    "set_ahp_weights",
    "set_expert_weights",
    "set_indicator_config",
]

log = logging.getLogger(__name__)

GROUPS: tuple[str, ...] = ("fundamentals", "financial", "market", "credit")
#: Expert default of the group weights until an analyst stores a weight set.
DEFAULT_GROUP_WEIGHTS: Mapping[str, float] = {
    "fundamentals": 0.2,
    "financial": 0.3,
    "market": 0.1,
    "credit": 0.4,
}
_LEVELS = ("blue", "yellow", "orange", "red")


async def audit(
    actor: Any, action: str, resource: str, after: Any = None, conn: Any = None
) -> None:
    """Append to the security audit trail (in ``conn``'s transaction when given)."""
    await record(actor, action, resource, after=after, connection=conn)


def default_rules() -> Mapping[str, WarningRule]:
    """The warning rules of the application's plugin registry (:mod:`smecredit.plugin_host`).

    The fallback of callers handed no rules; the web layer, the schedule and the CLI pass
    the rules of their registry.
    """
    return plugin_host.warning_rules()


@dataclass(frozen=True)
class RuleSetting:
    """A rule's settings in force.

    Attributes:
        code: rule code.
        thresholds: blue..red thresholds.
        params: rule parameters.
        enabled: off rules are not evaluated (their open warnings are left alone).
        version: stored version, 0 for the plugin's defaults.
    """

    code: str
    thresholds: dict[str, float]
    params: dict[str, Any]
    enabled: bool
    version: int


@dataclass
class ActiveConfig:
    """Everything a scan needs: rules, their settings and the weights in force."""

    rules: dict[str, Any]
    settings: dict[str, RuleSetting]
    weights: dict[str, float]
    group_weights: dict[str, float]
    weight_version: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> list[str]:
        """Codes of the rules evaluated, sorted."""
        return sorted(c for c, s in self.settings.items() if s.enabled)

    def windows(self) -> InputWindows:
        """Evidence windows taken from the rules' ``window_days``."""

        def days(code: str, default: int) -> int:
            rule = self.rules.get(code)
            return int(declared(rule, WarningRule, "window_days") or default)

        return InputWindows(
            scores=days("SCORE_DOWNGRADE", 180),
            bureau=days("BUREAU_OVERDUE", 180),
            legal=days("LEGAL_ACTION", 90),
            registry=days("LEGAL_REP_CHANGE", 180),
            abnormal=days("ABNORMAL_OPERATION", 3650),
            statements=days("DEBT_TO_ASSET", 540),
        )


def _default_weights(rules: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    local: dict[str, dict[str, float]] = {}
    for code, rule in rules.items():
        local.setdefault(rule.group, {})[code] = float(
            declared(rule, WarningRule, "default_weight")
        )
    groups = {g: DEFAULT_GROUP_WEIGHTS.get(g, 0.1) for g in local}
    return groups, compose_weights(groups, local)


async def active_config(rules: Mapping[str, Any] | None = None) -> ActiveConfig:
    """The settings and weights in force (newest versions), for the given rules."""
    rules = dict(rules if rules is not None else default_rules())
    rows = await models.IndicatorConfig.filter(rule_code__in=list(rules)).order_by("version")
    stored = {r.rule_code: r for r in rows}  # the last one per code wins: the newest
    settings: dict[str, RuleSetting] = {}
    for code, rule in rules.items():
        row = stored.get(code)
        if row is None:
            settings[code] = RuleSetting(
                code,
                {k: float(rule.thresholds[k]) for k in _LEVELS},
                dict(declared(rule, WarningRule, "default_params") or {}),
                True,
                0,
            )
        else:
            settings[code] = RuleSetting(
                code, dict(row.thresholds), dict(row.params or {}), row.enabled, row.version
            )
    weight_set = await models.WeightSet.all().order_by("-version").first()
    if weight_set is None:
        groups, weights = _default_weights(rules)
        version = None
    else:
        groups = {k: float(v) for k, v in weight_set.group_weights.items()}
        weights = {k: float(v) for k, v in weight_set.indicator_weights.items() if k in rules}
        version = weight_set.version
    return ActiveConfig(rules, settings, weights, groups, version)


@dataclass(frozen=True)
class ConfigInForce:
    """The configuration in force with who set each part and when.

    Attributes:
        config: what the next scan uses.
        rule_rows: rule code -> its stored settings version in force (rules still on the
            plugin's defaults are absent).
        weight_set: the stored weight set in force, None while the defaults apply.
    """

    config: ActiveConfig
    rule_rows: dict[str, models.IndicatorConfig]
    weight_set: models.WeightSet | None


async def config_in_force(rules: Mapping[str, Any] | None = None) -> ConfigInForce:
    """:func:`active_config` plus the stored rows behind it (authors, notes, times)."""
    config = await active_config(rules)
    versions = {c: s.version for c, s in config.settings.items() if s.version > 0}
    rows = await models.IndicatorConfig.filter(rule_code__in=list(versions))
    rule_rows = {r.rule_code: r for r in rows if versions.get(r.rule_code) == r.version}
    weight_set = None
    if config.weight_version is not None:
        weight_set = await models.WeightSet.get_or_none(version=config.weight_version)
    return ConfigInForce(config, rule_rows, weight_set)


def _check_thresholds(
    code: str, thresholds: Mapping[str, float], direction: str
) -> dict[str, float]:
    missing = [k for k in _LEVELS if k not in thresholds]
    if missing:
        raise InvalidInput(f"thresholds of {code} lack {missing}", code="INVALID_THRESHOLDS")
    t = {k: float(thresholds[k]) for k in _LEVELS}
    try:  # the domain validates order and finiteness with a clear message
        indicator_level(t["blue"], Thresholds(**t), direction)  # type: ignore[arg-type]
    except WarningIndexError as exc:
        raise InvalidInput(f"{code}: {exc.message}", code=exc.code) from exc
    return t


async def set_indicator_config(
    code: str,
    *,
    thresholds: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    enabled: bool | None = None,
    actor: Principal,
    note: str = "",
    rules: Mapping[str, Any] | None = None,
) -> models.IndicatorConfig:
    """Store a new version of a rule's settings (unchanged parts carry over); audited.

    The actor needs ``warning_rule.configure``.
    """
    authorize(actor, "warning_rule.configure")
    author = actor.username
    rules = dict(rules if rules is not None else default_rules())
    rule = rules.get(code)
    if rule is None:
        raise NotFound(f"no warning rule {code!r}; known: {sorted(rules)}")
    current = (await active_config(rules)).settings[code]
    new_thresholds = _check_thresholds(
        code, thresholds if thresholds is not None else current.thresholds, rule.direction
    )
    async with in_transaction() as conn:
        last = (
            await models.IndicatorConfig.filter(rule_code=code)
            .using_db(conn)
            .order_by("-version")
            .first()
        )
        row = await models.IndicatorConfig.create(
            rule_code=code,
            version=(last.version if last else 0) + 1,
            thresholds=new_thresholds,
            params=dict(params if params is not None else current.params),
            enabled=current.enabled if enabled is None else enabled,
            author=author,
            note=note,
            using_db=conn,
        )
        await audit(
            author,
            "warning_rule.configure",
            f"IndicatorConfig:{code}:v{row.version}",
            after={"thresholds": row.thresholds, "params": row.params, "enabled": row.enabled},
            conn=conn,
        )
    return row


async def _store_weights(
    method: str,
    group_weights: Mapping[str, float],
    weights: Mapping[str, float],
    detail: Mapping[str, Any],
    author: str,
    note: str,
) -> models.WeightSet:
    async with in_transaction() as conn:
        last = await models.WeightSet.all().using_db(conn).order_by("-version").first()
        row = await models.WeightSet.create(
            version=(last.version if last else 0) + 1,
            method=method,
            group_weights=dict(group_weights),
            indicator_weights=dict(weights),
            ahp_detail=dict(detail),
            author=author,
            note=note,
            using_db=conn,
        )
        await audit(
            author,
            "warning_weights.set",
            f"WeightSet:v{row.version}",
            after={"method": method, "weights": row.indicator_weights},
            conn=conn,
        )
    return row


def _check_groups(
    rules: Mapping[str, Any], indicator_weights: Mapping[str, Mapping[str, float]]
) -> None:
    for group, members in indicator_weights.items():
        for code in members:
            rule = rules.get(code)
            if rule is None:
                raise InvalidInput(f"no warning rule {code!r}", code="UNKNOWN_RULE")
            if rule.group != group:
                raise InvalidInput(
                    f"rule {code} belongs to group {rule.group!r}, not {group!r}",
                    code="WRONG_GROUP",
                )


async def set_expert_weights(
    group_weights: Mapping[str, float],
    indicator_weights: Mapping[str, Mapping[str, float]],
    *,
    actor: Principal,
    note: str = "",
    rules: Mapping[str, Any] | None = None,
) -> models.WeightSet:
    """Store expert weights: group -> weight and group -> (rule -> local weight).

    The actor needs ``warning_weights.set``.
    """
    authorize(actor, "warning_weights.set")
    author = actor.username
    rules = dict(rules if rules is not None else default_rules())
    _check_groups(rules, indicator_weights)
    weights = compose_weights(group_weights, indicator_weights)
    total = sum(group_weights.values())
    groups = {g: float(v) / total for g, v in group_weights.items()}
    return await _store_weights("expert", groups, weights, {}, author, note)


async def set_ahp_weights(
    group_labels: Sequence[str],
    group_matrix: Sequence[Sequence[float]],
    indicator_matrices: Mapping[str, tuple[Sequence[str], Sequence[Sequence[float]]]],
    *,
    actor: Principal,
    note: str = "",
    rules: Mapping[str, Any] | None = None,
) -> models.WeightSet:
    """Derive weights by AHP (one matrix across groups, one per group) and store them.

    Raises:
        PermissionDenied: the actor may not set weights (``warning_weights.set``).
        AhpError: ``INCONSISTENT_JUDGEMENTS`` (CR >= 0.1) naming the matrix and the
            judgement to revisit, or ``INVALID_PAIRWISE_MATRIX``.
    """
    authorize(actor, "warning_weights.set")
    author = actor.username
    rules = dict(rules if rules is not None else default_rules())
    top = _consistent(group_matrix, group_labels, "the group matrix", "groups")
    local: dict[str, dict[str, float]] = {}
    detail: dict[str, Any] = {"groups": _detail(top)}
    for group, (labels, matrix) in indicator_matrices.items():
        result = _consistent(matrix, labels, f"the matrix of group {group!r}", group)
        local[group] = result.as_dict()
        detail[group] = _detail(result)
    _check_groups(rules, local)
    weights = compose_weights(top.as_dict(), local)
    return await _store_weights("ahp", top.as_dict(), weights, detail, author, note)


def _consistent(matrix: Any, labels: Sequence[str], what: str, group: str) -> AhpResult:
    result = ahp_weights(matrix, labels=list(labels))
    try:
        return require_consistent(result)
    except AhpError as exc:
        # Name which matrix is at fault: the domain message only knows its cells. The
        # params let the catalogued message say it in the reader's language.
        pair = most_inconsistent_pair(result)
        params: dict[str, object] = {
            "matrix": group,
            "consistencyRatio": f"{result.cr:.3f}",
            "threshold": f"{DEFAULT_CR_THRESHOLD:g}",
            "pair": f"{result.labels[pair.row]} / {result.labels[pair.column]}",
        }
        raise AhpError(f"{what}: {exc.message}", code=exc.code, params=params) from exc


def _detail(result: AhpResult) -> dict[str, Any]:
    return {
        "labels": list(result.labels),
        "matrix": [list(r) for r in result.matrix],
        "weights": list(result.weights),
        "cr": result.cr,
        "lambda_max": result.lambda_max,
    }


def evaluate_rule(
    rule: Any, columns: Mapping[str, np.ndarray], setting: RuleSetting
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(values, levels 0-4, loan ids or None) of a rule over a batch.

    Columnar rules get the columns; a plain :class:`smecredit.sdk.WarningRule` gets one
    mapping per firm (slower, same result).
    """
    if hasattr(rule, "evaluate_columns"):
        out = rule.evaluate_columns(columns, setting.thresholds, setting.params)
        loans = None if out.loan_ids is None else np.asarray(out.loan_ids, dtype=np.int64)
        return np.asarray(out.values, float), np.asarray(out.levels, np.int8), loans
    n = len(columns["firm_id"])
    frame = [
        {"firm_uscc": str(columns["firm_id"][i]), **{k: v[i] for k, v in columns.items()}}
        for i in range(n)
    ]
    results = rule.evaluate(frame)
    names = {None: 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}
    values = np.asarray([np.nan if r.value is None else r.value for r in results], float)
    levels = np.asarray([names[r.level] for r in results], np.int8)
    return values, levels, None
