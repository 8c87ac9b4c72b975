"""The policy rules of credit decisions in force, their versions, and how the risk team sets them.

The rules are the core's (:data:`smecredit.domain.policy_rules.BUILT_IN_RULES`) and the
plugins' (hook ``register_policy_rules``). Their settings are versioned: each change of one
rule (enabled, kind, parameters) is a :class:`~smecredit.models.PolicyRuleChange` with the
next version number, never edited; the settings at version N are, per rule, its change of
the highest version up to N, else the rule's own defaults. Version 0 is "every rule as it
comes", in force until a first change.

Only a risk analyst or an administrator may change a rule (``policy_rule.set``); the
credit committee, approvers and auditors read them (``policy_rule.view``). Every change is
audited, with the old and the new setting, in its transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from smecredit import models
from smecredit.domain.policy_rules import (
    BUILT_IN_RULES,
    PolicyRuleError,
    RuleSetting,
    check_kind,
    check_params,
    settings_of,
)
from smecredit.errors import Conflict, InvalidInput
from smecredit.sdk import PolicyRule
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.transactions import atomic

__all__ = [
    "CORE_SOURCE",
    "ActiveRule",
    "RuleSet",
    "current_rules",
    "known_rules",
    "rule_changes",
    "set_rule",
]

log = logging.getLogger("smecredit.policy_rules")

#: The ``source`` of the core's own rules.
CORE_SOURCE = "core"


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """A rule with its setting in a version, and where it comes from.

    Attributes:
        rule: the rule.
        setting: enabled, kind and parameters in force.
        source: ``core`` or the plugin that registered it.
    """

    rule: PolicyRule
    setting: RuleSetting
    source: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The policy rules at one version.

    Attributes:
        version: the version (0: no change stored yet).
        rules: each known rule with its setting, core rules first.
    """

    version: int
    rules: tuple[ActiveRule, ...]


def known_rules(registry: Any = None) -> dict[str, tuple[PolicyRule, str]]:
    """Code -> (rule, source): the core's rules, then the plugins' (a clash is ignored).

    Args:
        registry: the plugin registry (default: the application's).
    """
    from smecredit import plugin_host

    out: dict[str, tuple[PolicyRule, str]] = {
        code: (rule, CORE_SOURCE) for code, rule in BUILT_IN_RULES.items()
    }
    of = plugin_host.application_registry() if registry is None else registry
    for code, rule in sorted(plugin_host.policy_rules(of).items()):
        if code in out:
            log.warning("plugin policy rule %s ignored: the core has a rule of that code", code)
            continue
        out[code] = (rule, of.owner("policy_rules", code) or "plugin")
    return out


def _stored(rows: list[models.PolicyRuleChange]) -> dict[str, dict[str, Any]]:
    """Code -> its newest change among ``rows`` (ordered by version)."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        out[row.rule_code] = {"enabled": row.enabled, "kind": row.kind, "params": row.params}
    return out


async def current_rules(
    *, version: int | None = None, registry: Any = None, conn: BaseDBAsyncClient | None = None
) -> RuleSet:
    """The rules in force (or at ``version``), each with its setting and source."""
    query = models.PolicyRuleChange.all()
    if conn is not None:
        query = query.using_db(conn)
    if version is not None:
        query = query.filter(version__lte=version)
    rows = await query.order_by("version")
    rules = known_rules(registry)
    settings = settings_of({c: r for c, (r, _) in rules.items()}, _stored(rows))
    newest = rows[-1].version if rows else 0
    return RuleSet(
        version=newest if version is None else min(version, newest),
        rules=tuple(ActiveRule(rules[s.code][0], s, rules[s.code][1]) for s in settings),
    )


async def rule_changes(limit: int = 100) -> list[models.PolicyRuleChange]:
    """Stored changes, newest first."""
    return await models.PolicyRuleChange.all().order_by("-version").limit(limit)


def _setting_json(setting: RuleSetting) -> dict[str, Any]:
    return {"enabled": setting.enabled, "kind": setting.kind, "params": dict(setting.params)}


async def set_rule(
    code: str,
    *,
    actor: Principal,
    note: str,
    enabled: bool | None = None,
    kind: str | None = None,
    params: Mapping[str, Any] | None = None,
    registry: Any = None,
) -> RuleSet:
    """Change one rule as the next version; what is not given stays as it is.

    Raises:
        PermissionDenied: the actor may not (``policy_rule.set``).
        InvalidInput: ``REASON_REQUIRED`` without a note, ``UNKNOWN_POLICY_RULE`` for a
            code no rule has, ``INVALID_POLICY_RULE`` naming the parameter or kind at fault.
        Conflict: someone stored a version at the same moment (retry).
    """
    authorize(actor, "policy_rule.set")
    if not note.strip():
        raise InvalidInput("say why the policy rule changes (note)", code="REASON_REQUIRED")
    rules = known_rules(registry)
    if code not in rules:
        raise InvalidInput(
            f"no policy rule {code!r}; the rules are {', '.join(rules)}",
            code="UNKNOWN_POLICY_RULE",
            field="code",
        )
    rule, source = rules[code]
    try:
        checked_kind = None if kind is None else check_kind(code, kind)
    except PolicyRuleError as error:
        raise InvalidInput(error.message, code=error.code, field="kind") from None
    try:
        checked_params = None if params is None else check_params(rule, params)
    except PolicyRuleError as error:
        raise InvalidInput(error.message, code=error.code, field="params") from None

    async def work(conn: BaseDBAsyncClient) -> RuleSet:
        before_set = await current_rules(registry=registry, conn=conn)
        before = next(a.setting for a in before_set.rules if a.setting.code == code)
        after = RuleSetting(
            code=code,
            enabled=before.enabled if enabled is None else enabled,
            kind=before.kind if checked_kind is None else checked_kind,
            params=dict(before.params) if checked_params is None else checked_params,
        )
        row = await models.PolicyRuleChange.create(
            version=before_set.version + 1,
            rule_code=code,
            source=source,
            enabled=after.enabled,
            kind=after.kind,
            params=dict(after.params),
            author=actor.username,
            note=note.strip(),
            using_db=conn,
        )
        await audit.record(
            actor,
            "policy_rule.change",
            f"PolicyRule:{code}:{row.version}",
            before={"version": before_set.version, **_setting_json(before)},
            after={"version": row.version, **_setting_json(after)},
            connection=conn,
        )
        return await current_rules(registry=registry, conn=conn)

    try:
        return await atomic(work, what=f"changing policy rule {code}")
    except IntegrityError:
        raise Conflict(
            "the policy rules were changed at the same moment; reload them and retry"
        ) from None
