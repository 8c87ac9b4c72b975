"""The Casbin enforcer behind field-level permissions and row scope.

One process-wide :class:`PolicyStore` holds the enforcer, built from the rules in the
``policy_rule`` table (seeded from ``schema/casbin/policy.csv``). Every change rebuilds the
enforcer and bumps :attr:`PolicyStore.version`, which invalidates every cached decision,
so a change takes effect without a restart.

Decisions are computed per ``(subjects, domain, "Type.field")`` and cached until the next
version: one ``enforce`` costs about 230 µs, a cache hit a dict lookup.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import casbin
from casbin.util.builtin_operators import key_match

from smecredit.errors import InvalidInput

__all__ = [
    "ACTS",
    "ALLOW",
    "ALLOW_AUDITED",
    "AUTHENTICATED",
    "DEFAULT_MODEL_PATH",
    "DEFAULT_POLICY_PATH",
    "DENY",
    "EFFECTS",
    "Decision",
    "PolicyStore",
    "Rule",
    "get_policy_store",
    "parse_policy_text",
    "parse_strategy",
    "set_policy_store",
    "subjects_of",
    "validate_rule",
]

log = logging.getLogger("smecredit.security.policy")

_CASBIN_DIR = Path(__file__).resolve().parents[3] / "schema" / "casbin"
DEFAULT_MODEL_PATH = _CASBIN_DIR / "model.conf"
DEFAULT_POLICY_PATH = _CASBIN_DIR / "policy.csv"

#: The acts a ``p`` rule may name. What a caller may *do* is not a Casbin matter: it is the
#: operations table (:mod:`smecredit.security.operations`).
ACTS = ("read", "mask", "all_branches")
EFFECTS = ("allow", "deny")
#: Object used for row-scope grants (``p, role, *, rows, all_branches, allow,``).
ROWS_OBJECT = "rows"


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one field for one caller.

    Attributes:
        kind: ``allow`` (value as is), ``deny`` (null and a FORBIDDEN error) or ``mask``
            (value through the named masking strategy).
        strategy: masking strategy name (mask only).
        options: the strategy's options (mask only).
        audited: an unmasked read of a sensitive field (one that some rule masks), which
            the platform records in the audit log.
    """

    kind: Literal["allow", "deny", "mask"]
    strategy: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    audited: bool = False


#: Shared instances: the GraphQL fast path compares by identity (``d is ALLOW``).
ALLOW = Decision("allow")
ALLOW_AUDITED = Decision("allow", audited=True)
DENY = Decision("deny")

_RANK = {"deny": 0, "mask": 1, "allow": 2}


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy rule: ``ptype`` (``p`` or ``g``) and its values."""

    ptype: str
    values: tuple[str, ...]

    def as_line(self) -> str:
        """The rule as a CSV line."""
        return ", ".join((self.ptype, *self.values))


def parse_strategy(text: str) -> tuple[str, dict[str, Any]]:
    """Split ``name?opt=v&opt2=v2`` into the strategy name and typed options.

    Integers become ``int`` and ``true``/``false`` become ``bool``; anything else stays text.

    Args:
        text: the strategy column of a mask rule.

    Returns:
        (name, options).
    """
    name, _, query = text.partition("?")
    options: dict[str, Any] = {}
    for key, raw in urllib.parse.parse_qsl(query, keep_blank_values=True):
        value: Any = raw
        if raw.lstrip("-").isdigit():
            value = int(raw)
        elif raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        options[key] = value
    return name.strip(), options


def validate_rule(ptype: str, values: Sequence[str]) -> Rule:
    """Check a rule's shape and return it normalised.

    Raises:
        InvalidInput: ``POLICY_INVALID`` naming what is wrong.
    """
    vals = tuple(str(v).strip() for v in values)
    if any("," in v or "\n" in v for v in vals):
        raise InvalidInput(
            "policy values must not contain commas or newlines", code="POLICY_INVALID"
        )
    if ptype == "g":
        if len(vals) != 3 or not all(vals):
            raise InvalidInput(
                "a g rule needs member, role and domain (e.g. 'g, credit_committee, approver, *')",
                code="POLICY_INVALID",
            )
        return Rule("g", vals)
    if ptype != "p":
        raise InvalidInput(f"rule type {ptype!r} must be 'p' or 'g'", code="POLICY_INVALID")
    if len(vals) == 5:
        vals = (*vals, "")
    if len(vals) != 6:
        raise InvalidInput(
            "a p rule needs subject, domain, object, act, effect[, strategy]", code="POLICY_INVALID"
        )
    sub, dom, obj, act, eft, strategy = vals
    if not (sub and dom and obj):
        raise InvalidInput("subject, domain and object must not be empty", code="POLICY_INVALID")
    if act not in ACTS:
        raise InvalidInput(f"act {act!r} must be one of {', '.join(ACTS)}", code="POLICY_INVALID")
    if eft not in EFFECTS:
        raise InvalidInput(f"effect {eft!r} must be allow or deny", code="POLICY_INVALID")
    if act == "mask" and eft == "allow" and not parse_strategy(strategy)[0]:
        raise InvalidInput("a mask rule must name a masking strategy", code="POLICY_INVALID")
    if act != "mask" and strategy:
        raise InvalidInput("only mask rules take a strategy", code="POLICY_INVALID")
    return Rule("p", vals)


def parse_policy_text(text: str) -> list[Rule]:
    """Parse policy CSV text (``#`` comments and blank lines ignored)."""
    rules: list[Rule] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ptype, *values = (part.strip() for part in line.split(","))
        try:
            rules.append(validate_rule(ptype, values))
        except InvalidInput as exc:
            raise InvalidInput(
                f"policy line {number}: {exc.message}", code="POLICY_INVALID"
            ) from None
    return rules


#: Casbin subject of a caller without a session.
ANONYMOUS = "anonymous"
#: Casbin subject every signed-in caller holds besides its roles: rules for what any
#: account may read about itself (its sign-in answer, profile, second factor) name it
#: once, so a role added later cannot lack them.
AUTHENTICATED = "authenticated"


def subjects_of(principal: Any) -> tuple[str, ...]:
    """Casbin subjects of a caller: ``user:<name>``, its roles, then ``authenticated``.

    An anonymous caller is the subject ``anonymous``: the policy grants it only
    what signing in returns (``SignInPayload``), nothing else.
    """
    if principal is None:
        return (ANONYMOUS,)
    roles = tuple(getattr(principal, "roles", ()) or ())
    return (f"user:{principal.username}", *roles, AUTHENTICATED)


def _specificity(rule: Rule) -> tuple[int, int, int, int]:
    # Casbin reports the LAST matching rule of a request (deny-overrides effect scans all
    # rules), so the most specific mask rule must come last: exact objects after
    # wildcards, longer prefixes after shorter ones, branch and user rules after "*".
    sub, dom, obj = rule.values[0], rule.values[1], rule.values[2]
    star = obj.find("*")
    return (
        int(star == -1),
        len(obj) if star == -1 else star,
        int(dom != "*"),
        int(sub.startswith("user:")),
    )


class PolicyStore:
    """The enforcer, the rules it was built from, and the decision cache.

    Args:
        model_path: the Casbin model file.
        rules: the initial rules (default: the default policy CSV).
    """

    def __init__(
        self, model_path: Path = DEFAULT_MODEL_PATH, rules: Iterable[Rule] | None = None
    ) -> None:
        self.model_path = model_path
        self.version = 0
        self.loaded_from = "csv"
        self._rules: list[Rule] = []
        self._cache: dict[tuple[tuple[str, ...], str, str], Decision] = {}
        self._branch_cache: dict[tuple[str, ...], bool] = {}
        self._mask_patterns: tuple[str, ...] = ()
        self._enforcer: casbin.Enforcer | None = None
        if rules is None:
            rules = parse_policy_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
        self.replace_rules(rules)

    @property
    def rules(self) -> list[Rule]:
        """The current rules, in the order they were given."""
        return list(self._rules)

    @property
    def enforcer(self) -> casbin.Enforcer:
        """The Casbin enforcer (rebuilt on every change)."""
        assert self._enforcer is not None
        return self._enforcer

    def replace_rules(self, rules: Iterable[Rule]) -> None:
        """Rebuild the enforcer from ``rules`` and invalidate every cached decision."""
        rules = list(dict.fromkeys(rules))  # drop duplicates, keep order
        enforcer = casbin.Enforcer(str(self.model_path))
        enforcer.add_named_domain_matching_func("g", key_match)
        p_rules = sorted((r for r in rules if r.ptype == "p"), key=_specificity)
        g_rules = [r for r in rules if r.ptype == "g"]
        if g_rules:
            enforcer.add_named_grouping_policies("g", [list(r.values) for r in g_rules])
        if p_rules:
            enforcer.add_named_policies("p", [list(r.values) for r in p_rules])
        self._enforcer = enforcer
        self._rules = rules
        self._mask_patterns = tuple(
            r.values[2] for r in p_rules if r.values[3] == "mask" and r.values[4] == "allow"
        )
        self._cache = {}
        self._branch_cache = {}
        self.version += 1

    # --- decisions ---------------------------------------------------------------------

    def allowed(self, subjects: Sequence[str], domain: str, obj: str, act: str) -> bool:
        """Whether any subject may ``act`` on ``obj`` in ``domain`` (no caching)."""
        return any(self.enforcer.enforce(s, domain, obj, act) for s in subjects)

    def is_sensitive(self, obj: str) -> bool:
        """Whether some rule masks ``obj`` for someone (so unmasked reads are audited)."""
        return any(key_match(obj, pattern) for pattern in self._mask_patterns)

    def _decide_one(self, subject: str, domain: str, obj: str) -> Decision:
        enforcer = self.enforcer
        if not enforcer.enforce(subject, domain, obj, "read"):
            return DENY
        masked, rule = enforcer.enforce_ex(subject, domain, obj, "mask")
        if masked and rule:
            name, options = parse_strategy(rule[5])
            return Decision("mask", strategy=name, options=options)
        return ALLOW

    def decide(self, subjects: tuple[str, ...], domain: str, obj: str) -> Decision:
        """The read decision for ``obj`` (``Type.field``), cached until the next change.

        With several subjects (a user and its roles) the most permissive wins: allow, then
        mask (the first subject's strategy), then deny.
        """
        key = (subjects, domain, obj)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        best = DENY
        for subject in subjects:
            decision = self._decide_one(subject, domain, obj)
            if _RANK[decision.kind] > _RANK[best.kind]:
                best = decision
                if best is ALLOW:
                    break
        if best is ALLOW and self.is_sensitive(obj):
            best = ALLOW_AUDITED
        self._cache[key] = best
        return best

    def sees_all_branches(self, principal: Any) -> bool:
        """Head office, or a rule ``p, <role>, *, rows, all_branches, allow``."""
        if principal is None:
            return False
        if getattr(principal, "is_head_office", False):
            return True
        subjects = subjects_of(principal)
        cached = self._branch_cache.get(subjects)
        if cached is None:
            cached = self.allowed(subjects, "*", ROWS_OBJECT, "all_branches")
            self._branch_cache[subjects] = cached
        return cached

    # --- persistence -------------------------------------------------------------------

    async def load_from_db(self, *, seed: bool = True) -> int:
        """Replace the rules by the ``policy_rule`` table (seeding it from the CSV if empty).

        Returns:
            The number of rules loaded.
        """
        from smecredit.models import PolicyRule

        rows = await PolicyRule.all().order_by("id")
        if not rows and seed:
            defaults = parse_policy_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
            await PolicyRule.bulk_create([_row(r, created_by="seed") for r in defaults])
            rows = await PolicyRule.all().order_by("id")
        rules = [Rule(r.ptype, tuple(r.rule_values())) for r in rows]
        # Rules with an act this version no longer knows (the retired "write": operations
        # are authorised by the operations table) are inert; say so rather than apply them.
        legacy = [r for r in rules if r.ptype == "p" and r.values[3] not in ACTS]
        if legacy:
            log.warning(
                "ignoring %d stored policy rules with an unknown act (%s)",
                len(legacy),
                ", ".join(sorted({r.values[3] for r in legacy})),
            )
        self.replace_rules(r for r in rules if r not in legacy)
        self.loaded_from = "database"
        return len(rows)


def _row(rule: Rule, *, created_by: str) -> Any:
    from smecredit.models import PolicyRule

    padded = list(rule.values) + [""] * (6 - len(rule.values))
    return PolicyRule(
        ptype=rule.ptype,
        v0=padded[0],
        v1=padded[1],
        v2=padded[2],
        v3=padded[3],
        v4=padded[4],
        v5=padded[5],
        created_by=created_by,
    )


_store: PolicyStore | None = None


def get_policy_store() -> PolicyStore:
    """The process-wide store (the default CSV policy until the database is loaded)."""
    global _store
    if _store is None:
        _store = PolicyStore()
    return _store


def set_policy_store(store: PolicyStore | None) -> None:
    """Replace the process-wide store (None: back to the default policy on next use)."""
    global _store
    if _store is not None:
        _store.version += 1  # stale: requests holding its decisions refresh them
    _store = store
