"""What each record kind holds: field types, which fields are required, enum synonyms.

Mirrors ``schema/records/<kind>.schema.json`` (the contract with data sources); a test keeps
the two in step. Kept as plain data so the cleaning code stays free of I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "FIELDS",
    "IMPUTE",
    "IMPUTERS",
    "KEEP",
    "KINDS",
    "MISSING_POLICIES",
    "QUARANTINE",
    "FieldSpec",
    "UnknownKindError",
    "fields_of",
    "missing_policies",
    "missing_policy",
]

#: What happens to a record whose field is empty (or absent). ``quarantine``: the record is
#: refused (keys and the facts a row cannot exist without); ``impute``: a value is filled in
#: by a named method, recorded on the stored row; ``keep``: the value stays missing (stored
#: as NULL) and is counted in the run's missing-value rates. Missing is not bad: most facts
#: are kept missing, never guessed and never a reason to lose the rest of the record.
QUARANTINE = "quarantine"
IMPUTE = "impute"
KEEP = "keep"
MISSING_POLICIES = (QUARANTINE, IMPUTE, KEEP)

#: Imputation methods: name -> the canonical value filled in for the field's type.
IMPUTERS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        # an instalment with nothing recorded as paid was paid nothing (the ledger's own rule)
        "zero": MappingProxyType(
            {"amount": "0.00", "amount_nonneg": "0.00", "count": 0, "rate": "0"}
        ),
    }
)


class UnknownKindError(ValueError):
    """The record kind is not one of :data:`KINDS`."""

    code = "UNKNOWN_KIND"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one field is cleaned.

    Attributes:
        type: converter name: ``uscc``, ``id_number``, ``phone``, ``name``, ``text``,
            ``ref`` (free identifier), ``branch``, ``date``, ``month``, ``datetime``,
            ``amount``, ``amount_nonneg``, ``rate``, ``count``, ``enum``, ``industry``,
            ``region``, ``object`` (nested record) or ``extensions`` (passed through).
        required: the field must hold a value (a ``MISSING_VALUE`` error otherwise).
        nullable: ``None`` is a legitimate value even when required (e.g. ``paid_date``).
        choices: allowed enum values.
        synonyms: other spellings (after NFKC + casefold) mapped to an allowed value.
        bounds: inclusive (low, high) for counts.
        children: specs of a nested object's fields.
        missing: what an empty value leads to (:data:`MISSING_POLICIES`); ``None`` derives
            it: ``quarantine`` for a required, non-nullable field, ``keep`` otherwise.
        impute: the :data:`IMPUTERS` method when ``missing`` is ``impute``.
    """

    type: str
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    bounds: tuple[int, int] | None = None
    children: Mapping[str, FieldSpec] = field(default_factory=dict)
    missing: str | None = None
    impute: str | None = None

    def __post_init__(self) -> None:
        if self.missing is not None and self.missing not in MISSING_POLICIES:
            raise ValueError(f"missing must be one of {', '.join(MISSING_POLICIES)}")
        if (self.missing == IMPUTE) != (self.impute is not None):
            raise ValueError("impute names the method exactly when missing is 'impute'")
        if self.impute is not None and self.type not in IMPUTERS.get(self.impute, {}):
            raise ValueError(f"imputation {self.impute!r} does not apply to type {self.type}")


def missing_policy(spec: FieldSpec) -> str:
    """What an empty value of ``spec`` leads to: ``quarantine``, ``impute`` or ``keep``."""
    if spec.missing is not None:
        return spec.missing
    return QUARANTINE if spec.required and not spec.nullable else KEEP


def _enum(
    choices: tuple[str, ...], synonyms: dict[str, str], *, required: bool = True
) -> FieldSpec:
    return FieldSpec("enum", required=required, choices=choices, synonyms=synonyms)


_COMMON: dict[str, FieldSpec] = {
    "source": FieldSpec("ref"),
    "fetched_at": FieldSpec("datetime"),
    "extensions": FieldSpec("extensions", required=False),
}

_FIRM_STATUS = _enum(
    ("active", "abnormal", "deregistered", "revoked"),
    {
        "存续": "active", "在业": "active", "开业": "active", "在营": "active", "正常": "active",
        "存续(在营、开业、在册)": "active", "经营异常": "abnormal", "异常": "abnormal",
        "列入经营异常名录": "abnormal", "注销": "deregistered", "已注销": "deregistered",
        "吊销": "revoked", "已吊销": "revoked", "吊销,未注销": "revoked", "吊销未注销": "revoked",
    },
)  # fmt: skip

_KIND_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "firm": {
        "uscc": FieldSpec("uscc"),
        "name": FieldSpec("name"),
        "industry_code": FieldSpec("industry"),
        "region_code": FieldSpec("region"),
        # A firm without its founding date, capital or head count is still the firm.
        "established_on": FieldSpec("date", required=False),
        "registered_capital": FieldSpec("amount_nonneg", required=False),
        "employees": FieldSpec("count", required=False),
        "status": _FIRM_STATUS,
        "branch_code": FieldSpec("branch"),
        "representative": FieldSpec(
            "object",
            required=False,
            children={
                "name": FieldSpec("name"),
                "id_number": FieldSpec("id_number"),
                "phone": FieldSpec("phone"),
            },
        ),
    },
    "person": {
        "name": FieldSpec("name"),
        "id_number": FieldSpec("id_number"),
        "phone": FieldSpec("phone"),
        "firm_uscc": FieldSpec("uscc", required=False),
        "role": _enum(
            ("legal_representative", "shareholder", "guarantor"),
            {"法定代表人": "legal_representative", "法人": "legal_representative",
             "法人代表": "legal_representative", "股东": "shareholder",
             "担保人": "guarantor", "保证人": "guarantor"},
        ),
    },
    "financial_statement": {
        "firm_uscc": FieldSpec("uscc"),
        "period_end": FieldSpec("date"),
        "period_type": _enum(
            ("annual", "quarterly"),
            {"年报": "annual", "年度": "annual", "年": "annual", "yearly": "annual",
             "季报": "quarterly", "季度": "quarterly", "季": "quarterly", "quarter": "quarterly"},
        ),
        # Statement lines a filing left out stay missing (ratios over them are then unknown).
        "revenue": FieldSpec("amount_nonneg", required=False),
        "net_profit": FieldSpec("amount", required=False),
        "total_assets": FieldSpec("amount_nonneg", required=False),
        "total_liabilities": FieldSpec("amount_nonneg", required=False),
        "current_assets": FieldSpec("amount_nonneg", required=False),
        "current_liabilities": FieldSpec("amount_nonneg", required=False),
        "operating_cash_flow": FieldSpec("amount", required=False),
    },
    "tax_record": {
        "firm_uscc": FieldSpec("uscc"),
        "month": FieldSpec("month"),
        "taxable_sales": FieldSpec("amount_nonneg", required=False),
        "tax_paid": FieldSpec("amount_nonneg", required=False),
        "arrears": FieldSpec("amount_nonneg", required=False),
    },
    "registry_event": {
        "firm_uscc": FieldSpec("uscc"),
        "event_date": FieldSpec("date"),
        "kind": _enum(
            ("change", "legal_rep_change", "capital_change", "address_change",
             "abnormal_listing", "abnormal_removal", "deregistration"),
            {"变更": "change", "法定代表人变更": "legal_rep_change",
             "注册资本变更": "capital_change", "地址变更": "address_change",
             "住所变更": "address_change", "列入经营异常名录": "abnormal_listing",
             "列入经营异常": "abnormal_listing", "移出经营异常名录": "abnormal_removal",
             "移出经营异常": "abnormal_removal", "注销": "deregistration"},
        ),
        "description": FieldSpec("text"),
    },
    "legal_case": {
        "firm_uscc": FieldSpec("uscc"),
        "case_no": FieldSpec("ref"),
        "kind": _enum(
            ("lawsuit_defendant", "lawsuit_plaintiff", "enforcement", "administrative_penalty"),
            {"被告": "lawsuit_defendant", "被诉": "lawsuit_defendant",
             "原告": "lawsuit_plaintiff", "被执行": "enforcement", "被执行人": "enforcement",
             "执行": "enforcement", "行政处罚": "administrative_penalty",
             "处罚": "administrative_penalty"},
        ),
        "case_date": FieldSpec("date"),
        "amount": FieldSpec("amount_nonneg", required=False),
        "severity": _enum(
            ("low", "medium", "high"),
            {"低": "low", "轻": "low", "轻微": "low", "中": "medium", "一般": "medium",
             "高": "high", "重": "high", "严重": "high"},
        ),
        "description": FieldSpec("text"),
    },
    "bureau_summary": {
        "firm_uscc": FieldSpec("uscc"),
        "report_date": FieldSpec("date"),
        "debt_other_lenders": FieldSpec("amount_nonneg", required=False),
        "overdue_count": FieldSpec("count"),
        "overdue_amount": FieldSpec("amount_nonneg", required=False),
        "inquiries_6m": FieldSpec("count"),
        "open_credit_lines": FieldSpec("count"),
    },
    "loan": {
        "loan_ref": FieldSpec("ref"),
        "firm_uscc": FieldSpec("uscc"),
        "product": FieldSpec("name"),
        "principal": FieldSpec("amount_nonneg"),
        "annual_rate": FieldSpec("rate"),
        "term_months": FieldSpec("count", bounds=(1, 360)),
        "repayment_method": _enum(
            ("equal_instalment", "equal_principal", "interest_only"),
            {"等额本息": "equal_instalment", "equal_installment": "equal_instalment",
             "等额本金": "equal_principal", "先息后本": "interest_only",
             "按月付息到期还本": "interest_only", "按月付息,到期还本": "interest_only"},
        ),
        "purpose": FieldSpec("text"),
        "guarantee_type": _enum(
            ("credit", "guarantee", "mortgage", "pledge"),
            {"信用": "credit", "保证": "guarantee", "担保": "guarantee", "抵押": "mortgage",
             "质押": "pledge"},
        ),
        "disbursed_on": FieldSpec("date"),
        "maturity_on": FieldSpec("date"),
        "status": _enum(
            ("active", "closed", "written_off"),
            {"正常": "active", "在贷": "active", "未结清": "active", "结清": "closed",
             "已结清": "closed", "核销": "written_off", "已核销": "written_off"},
        ),
        "outstanding_principal": FieldSpec("amount_nonneg"),
        "days_past_due": FieldSpec("count"),
        "branch_code": FieldSpec("branch"),
    },
    "repayment_history": {
        "firm_uscc": FieldSpec("uscc"),
        "loan_ref": FieldSpec("ref"),
        "due_date": FieldSpec("date"),
        "paid_date": FieldSpec("date", nullable=True),
        "amount_due": FieldSpec("amount_nonneg"),
        "amount_paid": FieldSpec("amount_nonneg", missing="impute", impute="zero"),
        "days_past_due": FieldSpec("count"),
    },
}  # fmt: skip

#: kind -> field name -> spec, including ``source``, ``fetched_at`` and ``extensions``.
FIELDS: Mapping[str, Mapping[str, FieldSpec]] = MappingProxyType(
    {kind: MappingProxyType({**specs, **_COMMON}) for kind, specs in _KIND_FIELDS.items()}
)
#: The record kinds, in a stable order.
KINDS: tuple[str, ...] = tuple(FIELDS)


def missing_policies(kind: str) -> dict[str, str]:
    """Field -> missing-value policy of ``kind`` (nested fields as ``parent.child``).

    Raises:
        UnknownKindError: when the kind does not exist.
    """
    out: dict[str, str] = {}
    for name, spec in fields_of(kind).items():
        if spec.type == "extensions":
            continue
        out[name] = missing_policy(spec)
        for child, child_spec in spec.children.items():
            out[f"{name}.{child}"] = missing_policy(child_spec)
    return out


def fields_of(kind: str) -> Mapping[str, FieldSpec]:
    """Return the field specs of ``kind``.

    Raises:
        UnknownKindError: when the kind does not exist.
    """
    try:
        return FIELDS[kind]
    except KeyError:
        raise UnknownKindError(
            f"unknown record kind {kind!r}; known kinds: {', '.join(KINDS)}"
        ) from None
