"""The core's policy rules of credit decisions, and how a rule set is checked and applied.

Hard rules stand against approval when they fail; soft rules are warnings to weigh. Each
rule reads :class:`~smecredit.sdk.PolicyFacts` and its parameters (the defaults below,
changed by the risk team in a version of the policy rules) and answers a
:class:`~smecredit.sdk.PolicyOutcome`.

Hard (the limits follow the CBIRC rules on large exposures and related parties, a bank
sets its own):

* ``ENFORCEMENT_OPEN``: at most ``max_cases`` enforcement cases (default 0);
* ``TAX_ARREARS``: tax arrears at most ``max_arrears`` yuan (default 0);
* ``FIRM_TOO_YOUNG``: the firm established at least ``min_months`` ago (default 24);
* ``SINGLE_BORROWER_CONCENTRATION``: the firm's exposure after approval at most
  ``max_share`` of the bank's capital (default 10%);
* ``GROUP_CONCENTRATION``: the group's exposure (the firm and the firms sharing a
  representative or shareholder) after approval at most ``max_share`` of capital (15%);
* ``RELATED_PARTY_EXPOSURE``: the related parties' own outstanding principal at most
  ``max_amount`` yuan (default 10 million, the inclusive small-firm line).

Soft:

* ``DEBT_SERVICE_COVERAGE``: average monthly operating cash flow over the monthly
  instalment at least ``min_dscr`` (default 1.25);
* ``TAXED_SALES_GROWTH``: taxable sales of the last 12 months against the 12 before at
  least ``min_growth`` (default -20%);
* ``BUREAU_INQUIRIES``: at most ``max_inquiries`` bureau inquiries in six months (6);
* ``BUREAU_OVERDUE``: at most ``max_overdue`` overdue accounts at other lenders (0).

A failed rule with an approved exception shows ``exception`` (:func:`with_exception`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Literal

from smecredit.domain.errors import DomainError
from smecredit.sdk.policy import (
    POLICY_RULE_KINDS,
    PolicyFacts,
    PolicyOutcome,
    PolicyOutcomeValue,
    PolicyRule,
    PolicyRuleKind,
)

__all__ = [
    "BUILT_IN_RULES",
    "CheckOutcome",
    "PolicyRuleError",
    "RuleSetting",
    "check_kind",
    "check_params",
    "evaluate_rule",
    "ordered_codes",
    "settings_of",
    "with_exception",
]

#: What a policy check shows: a rule's outcome, or ``exception`` (failed, exception approved).
CheckOutcome = Literal["pass", "fail", "not_applicable", "exception"]
_CENT = Decimal("0.01")


class PolicyRuleError(DomainError):
    """An unknown rule, an unknown parameter, or a parameter of the wrong type or range.

    Attributes:
        code: ``UNKNOWN_POLICY_RULE`` or ``INVALID_POLICY_RULE``.
    """

    code = "INVALID_POLICY_RULE"


@dataclass(frozen=True, slots=True)
class RuleSetting:
    """How the risk team set one rule in a version of the policy rules.

    Attributes:
        code: the rule.
        enabled: whether the rule runs.
        kind: ``hard`` or ``soft``.
        params: the parameters in force (the rule's defaults with the team's values).
    """

    code: str
    enabled: bool
    kind: PolicyRuleKind
    params: Mapping[str, Any]


def _yuan(value: Decimal) -> str:
    return str(value.quantize(_CENT, ROUND_HALF_UP))


def _share(value: Decimal) -> str:
    return f"{float(value) * 100:.2f}%"


def _missing(what_zh: str, what_en: str) -> PolicyOutcome:
    return PolicyOutcome(
        "not_applicable", f"缺少{what_zh}，无法检查", f"no {what_en} is known: not checked"
    )


def _judge(
    failed: bool, evidence: Mapping[str, Any], *, fail: tuple[str, str], ok: tuple[str, str]
) -> PolicyOutcome:
    """``fail`` (zh, en) when ``failed``, else ``ok``, with the evidence either way."""
    zh, en = fail if failed else ok
    return PolicyOutcome("fail" if failed else "pass", zh, en, evidence)


def _number(params: Mapping[str, Any], name: str) -> Decimal:
    return Decimal(str(params[name]))


@dataclass
class _Rule:
    """A built-in rule: its identity and defaults (subclasses implement ``evaluate``).

    Not frozen: the SDK protocol declares plain attributes, which a frozen dataclass
    would not satisfy; nothing assigns to them.
    """

    code: str
    name_zh: str
    name_en: str
    kind: PolicyRuleKind
    default_params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        """The rule's outcome (each built-in rule overrides this)."""
        raise NotImplementedError


@dataclass
class EnforcementOpen(_Rule):
    """Enforcement cases (执行案件) against the firm."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        limit = int(params["max_cases"])
        found = facts.open_enforcement_cases
        evidence = {"open_enforcement_cases": found, "max_cases": limit}
        return _judge(
            found > limit,
            evidence,
            fail=(
                f"企业有 {found} 件执行案件，上限 {limit} 件",
                f"the firm has {found} enforcement case(s); at most {limit} allowed",
            ),
            ok=(
                f"执行案件 {found} 件，未超过 {limit} 件",
                f"{found} enforcement case(s), within {limit}",
            ),
        )


@dataclass
class TaxArrears(_Rule):
    """Tax arrears in the recent filings."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.tax_arrears is None:
            return _missing("纳税记录", "tax filing")
        limit = _number(params, "max_arrears")
        evidence = {"tax_arrears": _yuan(facts.tax_arrears), "max_arrears": _yuan(limit)}
        return _judge(
            facts.tax_arrears > limit,
            evidence,
            fail=(
                f"欠税 {_yuan(facts.tax_arrears)} 元，上限 {_yuan(limit)} 元",
                f"tax arrears of {_yuan(facts.tax_arrears)} yuan; at most {_yuan(limit)}",
            ),
            ok=(
                f"欠税 {_yuan(facts.tax_arrears)} 元，未超过上限",
                f"tax arrears of {_yuan(facts.tax_arrears)} yuan, within the limit",
            ),
        )


@dataclass
class FirmTooYoung(_Rule):
    """The firm must have existed for a while."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.firm_age_months is None:
            return _missing("成立日期", "date of establishment")
        minimum = int(params["min_months"])
        age = facts.firm_age_months
        evidence = {"firm_age_months": age, "min_months": minimum}
        return _judge(
            age < minimum,
            evidence,
            fail=(
                f"企业成立 {age} 个月，不足 {minimum} 个月",
                f"the firm is {age} months old, younger than {minimum} months",
            ),
            ok=(
                f"企业成立 {age} 个月",
                f"the firm is {age} months old (at least {minimum})",
            ),
        )


def _concentration(
    *, exposure_after: Decimal, capital: Decimal | None, max_share: Decimal, what: tuple[str, str]
) -> PolicyOutcome:
    if capital is None or capital <= 0:
        return _missing("银行资本净额（设置 SMECREDIT_BANK_CAPITAL）", "bank capital (setting)")
    share = exposure_after / capital
    evidence = {
        "exposure_after": _yuan(exposure_after),
        "bank_capital": _yuan(capital),
        "share": f"{share:.6f}",
        "max_share": str(max_share),
    }
    zh, en = what
    return _judge(
        share > max_share,
        evidence,
        fail=(
            f"批准后{zh}占资本净额 {_share(share)}，上限 {_share(max_share)}",
            f"after approval the {en} is {_share(share)} of capital; at most {_share(max_share)}",
        ),
        ok=(
            f"批准后{zh}占资本净额 {_share(share)}",
            f"after approval the {en} is {_share(share)} of capital (at most {_share(max_share)})",
        ),
    )


@dataclass
class SingleBorrowerConcentration(_Rule):
    """The firm's exposure against the bank's capital."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        return _concentration(
            exposure_after=facts.direct_after,
            capital=facts.bank_capital,
            max_share=_number(params, "max_share"),
            what=("单一客户授信", "single-borrower exposure"),
        )


@dataclass
class GroupConcentration(_Rule):
    """The group's exposure (firm and related parties) against the bank's capital."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        return _concentration(
            exposure_after=facts.group_after,
            capital=facts.bank_capital,
            max_share=_number(params, "max_share"),
            what=("集团客户授信", "group exposure"),
        )


@dataclass
class RelatedPartyExposure(_Rule):
    """What the firms linked through shared persons already borrow from us."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        limit = _number(params, "max_amount")
        related = sum((p.outstanding for p in facts.related_parties), Decimal("0"))
        evidence = {
            "related_firms": [p.firm_id for p in facts.related_parties],
            "related_outstanding": _yuan(related),
            "max_amount": _yuan(limit),
        }
        count = len(facts.related_parties)
        return _judge(
            related > limit,
            evidence,
            fail=(
                f"{count} 家关联企业在本行余额 {_yuan(related)} 元，上限 {_yuan(limit)} 元",
                f"{count} related firm(s) owe {_yuan(related)} yuan; at most {_yuan(limit)}",
            ),
            ok=(
                f"{count} 家关联企业，在本行余额 {_yuan(related)} 元",
                f"{count} related firm(s) owing {_yuan(related)} yuan (at most {_yuan(limit)})",
            ),
        )


@dataclass
class DebtServiceCoverage(_Rule):
    """Cash flow against the instalment of the loan asked for."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.avg_monthly_cash_flow is None:
            return _missing("经营现金流", "operating cash flow")
        if facts.monthly_instalment <= 0:
            return PolicyOutcome("not_applicable", "无月供", "no instalment to cover")
        minimum = _number(params, "min_dscr")
        dscr = facts.avg_monthly_cash_flow / facts.monthly_instalment
        evidence = {
            "avg_monthly_cash_flow": _yuan(facts.avg_monthly_cash_flow),
            "monthly_instalment": _yuan(facts.monthly_instalment),
            "dscr": f"{dscr:.4f}",
            "min_dscr": str(minimum),
        }
        return _judge(
            dscr < minimum,
            evidence,
            fail=(
                f"偿债覆盖率 {dscr:.2f}，低于 {minimum}",
                f"debt service coverage {dscr:.2f} is below {minimum}",
            ),
            ok=(
                f"偿债覆盖率 {dscr:.2f}",
                f"debt service coverage {dscr:.2f} (at least {minimum})",
            ),
        )


@dataclass
class TaxedSalesGrowth(_Rule):
    """Taxable sales should not be falling fast."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.taxed_sales_growth is None:
            return _missing("两年纳税销售额", "two years of taxable sales")
        minimum = float(params["min_growth"])
        growth = facts.taxed_sales_growth
        evidence = {"taxed_sales_growth": f"{growth:.4f}", "min_growth": str(minimum)}
        return _judge(
            growth < minimum,
            evidence,
            fail=(
                f"纳税销售额同比 {growth * 100:.1f}%，低于 {minimum * 100:.1f}%",
                f"taxable sales changed {growth * 100:.1f}% year on year, "
                f"below {minimum * 100:.1f}%",
            ),
            ok=(
                f"纳税销售额同比 {growth * 100:.1f}%",
                f"taxable sales changed {growth * 100:.1f}% year on year",
            ),
        )


@dataclass
class BureauInquiries(_Rule):
    """Many recent bureau inquiries mean the firm is shopping for credit."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.bureau_inquiries_6m is None:
            return _missing("征信报告", "credit-bureau report")
        limit = int(params["max_inquiries"])
        found = facts.bureau_inquiries_6m
        evidence = {"inquiries_6m": found, "max_inquiries": limit}
        return _judge(
            found > limit,
            evidence,
            fail=(
                f"近六个月征信查询 {found} 次，上限 {limit} 次",
                f"{found} bureau inquiries in six months; at most {limit}",
            ),
            ok=(
                f"近六个月征信查询 {found} 次",
                f"{found} bureau inquiries in six months",
            ),
        )


@dataclass
class BureauOverdue(_Rule):
    """Overdue accounts at other lenders."""

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.bureau_overdue_count is None:
            return _missing("征信报告", "credit-bureau report")
        limit = int(params["max_overdue"])
        found = facts.bureau_overdue_count
        evidence = {"overdue_count": found, "max_overdue": limit}
        return _judge(
            found > limit,
            evidence,
            fail=(
                f"他行逾期账户 {found} 个，上限 {limit} 个",
                f"{found} overdue account(s) at other lenders; at most {limit}",
            ),
            ok=(
                f"他行逾期账户 {found} 个",
                f"{found} overdue account(s) at other lenders",
            ),
        )


def _defaults(**values: Any) -> Mapping[str, Any]:
    return MappingProxyType(values)


#: The core's rules by code, in the order the checks are shown (hard first).
BUILT_IN_RULES: Mapping[str, PolicyRule] = MappingProxyType(
    {
        r.code: r
        for r in (
            EnforcementOpen(
                "ENFORCEMENT_OPEN",
                "存在执行案件",
                "Open enforcement cases",
                "hard",
                _defaults(max_cases=0),
            ),
            TaxArrears("TAX_ARREARS", "欠税", "Tax arrears", "hard", _defaults(max_arrears=0)),
            FirmTooYoung(
                "FIRM_TOO_YOUNG",
                "成立时间过短",
                "Firm too young",
                "hard",
                _defaults(min_months=24),
            ),
            SingleBorrowerConcentration(
                "SINGLE_BORROWER_CONCENTRATION",
                "单一客户集中度",
                "Single-borrower concentration",
                "hard",
                _defaults(max_share=0.10),
            ),
            GroupConcentration(
                "GROUP_CONCENTRATION",
                "集团客户集中度",
                "Group concentration",
                "hard",
                _defaults(max_share=0.15),
            ),
            RelatedPartyExposure(
                "RELATED_PARTY_EXPOSURE",
                "关联方授信",
                "Related-party exposure",
                "hard",
                _defaults(max_amount=10_000_000),
            ),
            DebtServiceCoverage(
                "DEBT_SERVICE_COVERAGE",
                "偿债覆盖率",
                "Debt service coverage",
                "soft",
                _defaults(min_dscr=1.25),
            ),
            TaxedSalesGrowth(
                "TAXED_SALES_GROWTH",
                "纳税销售额增长",
                "Taxed sales growth",
                "soft",
                _defaults(min_growth=-0.20),
            ),
            BureauInquiries(
                "BUREAU_INQUIRIES",
                "征信查询次数",
                "Bureau inquiries",
                "soft",
                _defaults(max_inquiries=6),
            ),
            BureauOverdue(
                "BUREAU_OVERDUE",
                "他行逾期",
                "Overdue at other lenders",
                "soft",
                _defaults(max_overdue=0),
            ),
        )
    }
)


def check_params(rule: PolicyRule, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` checked against the rule's defaults, merged over them.

    Each name must be a default parameter of the rule and each value of the default's type
    (an int is accepted for a float); numbers must be finite and not negative (limits and
    shares), except a float default that is itself negative (a growth floor).

    Raises:
        PolicyRuleError: naming the rule and the parameter that is wrong.
    """
    merged = dict(rule.default_params)
    for name, value in params.items():
        if name not in rule.default_params:
            known = ", ".join(rule.default_params) or "none"
            raise PolicyRuleError(
                f"policy rule {rule.code} has no parameter {name!r} (it has: {known})"
            )
        default = rule.default_params[name]
        merged[name] = _checked_value(rule.code, name, default, value)
    return merged


def _checked_value(code: str, name: str, default: Any, value: Any) -> Any:
    where = f"policy rule {code}: parameter {name}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise PolicyRuleError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyRuleError(f"{where} must be a number, got {value!r}")
        if isinstance(default, int) and not isinstance(value, int):
            if not float(value).is_integer():
                raise PolicyRuleError(f"{where} must be a whole number, got {value!r}")
            value = int(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise PolicyRuleError(f"{where} must be a finite number, got {value!r}")
        if value < 0 and not (isinstance(default, float) and default < 0):
            raise PolicyRuleError(f"{where} must not be negative, got {value!r}")
        return type(default)(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise PolicyRuleError(f"{where} must be text, got {value!r}")
        return value
    raise PolicyRuleError(f"{where} cannot be set (its default is {default!r})")


def check_kind(code: str, kind: str) -> PolicyRuleKind:
    """``kind`` when it is ``hard`` or ``soft``.

    Raises:
        PolicyRuleError: naming the rule otherwise.
    """
    if kind not in POLICY_RULE_KINDS:
        raise PolicyRuleError(f"policy rule {code}: kind must be hard or soft, got {kind!r}")
    return kind  # type: ignore[return-value]


def evaluate_rule(rule: PolicyRule, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
    """Run ``rule``; a rule that raises or answers nonsense is ``not_applicable``, saying so.

    A plugin's rule must not take the whole view down: its failure is shown as a check that
    could not be made.
    """
    try:
        outcome = rule.evaluate(facts, params)
    except Exception as error:  # a faulty rule is one unusable check, not a broken view
        return PolicyOutcome(
            "not_applicable",
            f"规则执行出错：{type(error).__name__}",
            f"the rule failed: {type(error).__name__}: {error}",
        )
    if not isinstance(outcome, PolicyOutcome) or outcome.outcome not in (
        "pass",
        "fail",
        "not_applicable",
    ):
        return PolicyOutcome(
            "not_applicable", "规则结果无效", f"the rule answered {outcome!r}, not a PolicyOutcome"
        )
    return outcome


def with_exception(outcome: PolicyOutcomeValue, has_exception: bool) -> CheckOutcome:
    """What a check shows: ``exception`` for a failure whose exception was approved."""
    return "exception" if outcome == "fail" and has_exception else outcome


def settings_of(
    rules: Mapping[str, PolicyRule], stored: Mapping[str, Mapping[str, Any]]
) -> list[RuleSetting]:
    """Each rule's setting: the stored one merged over its defaults, else its defaults.

    Args:
        rules: every known rule by code (core first, then plugins).
        stored: code -> ``{"enabled": bool, "kind": str, "params": {...}}`` of a version.
    """
    out: list[RuleSetting] = []
    for code, rule in rules.items():
        row = stored.get(code) or {}
        params = dict(rule.default_params)
        # a stored parameter the rule no longer declares is ignored, not an error
        params.update(
            {k: v for k, v in dict(row.get("params") or {}).items() if k in rule.default_params}
        )
        kind = row.get("kind", rule.kind)
        out.append(
            RuleSetting(
                code=code,
                enabled=bool(row.get("enabled", True)),
                kind=kind if kind in POLICY_RULE_KINDS else rule.kind,
                params=MappingProxyType(params),
            )
        )
    return out


def ordered_codes(codes: Sequence[str]) -> list[str]:
    """Core codes in the built-in order, then the others sorted."""
    core = [c for c in BUILT_IN_RULES if c in codes]
    return core + sorted(c for c in codes if c not in BUILT_IN_RULES)
