"""Deliberate data-quality faults for exercising the cleaning step (R3).

Each record is dirtied with probability ``dirt_rate`` by exactly one fault, and the fault is
reported alongside the record (see :class:`Dirt`) so the cleaning step can be scored
against ground truth. Faults are of four kinds:

* ``duplicate``: a second firm record with the same USCC and a name varied by blanks or
  full-width spaces (the original stays clean; the extra copy is the dirty one);
* ``missing``: a required value set to ``None``, or an optional field dropped;
* ``outlier``: an amount multiplied by 1,000 (or 100) or total assets made negative;
* ``format``: a date as ``2024/03/05``, ``20240305`` or ``2024年3月5日``, an amount with
  thousands separators or in 万元, a lower-case USCC with blanks, a lower-case industry
  code, a 12-digit statistical region code, a phone with ``+86`` and dashes.

``format`` faults, ``missing`` values set to ``None`` and negative assets all break the
record's JSON Schema; duplicates, dropped optional fields and the scaled outliers do not
(they must be found by cross-record checks).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DIRT_KINDS", "Dirt", "DirtInjector"]

#: The fault kinds in the order they are reported.
DIRT_KINDS: tuple[str, ...] = ("duplicate", "missing", "outlier", "format")

_DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "firm": ("established_on",),
    "financial_statement": ("period_end",),
    "registry_event": ("event_date",),
    "legal_case": ("case_date",),
    "bureau_summary": ("report_date",),
    "loan": ("disbursed_on", "maturity_on"),
    "repayment_history": ("due_date", "paid_date"),
}
_AMOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "firm": ("registered_capital",),
    "financial_statement": ("revenue", "total_assets", "total_liabilities", "net_profit"),
    "tax_record": ("taxable_sales", "tax_paid"),
    "legal_case": ("amount",),
    "bureau_summary": ("debt_other_lenders", "overdue_amount"),
    "loan": ("principal", "outstanding_principal"),
    "repayment_history": ("amount_due", "amount_paid"),
}
# Values a real feed leaves empty; setting them to None breaks the schema.
_NULLABLE_IN_PRACTICE: dict[str, tuple[str, ...]] = {
    "firm": ("employees", "registered_capital", "established_on", "industry_code"),
    "person": ("phone",),
    "financial_statement": ("revenue", "net_profit", "total_assets", "operating_cash_flow"),
    "tax_record": ("taxable_sales", "tax_paid"),
    "registry_event": ("description",),
    "legal_case": ("amount",),
    "bureau_summary": ("overdue_amount", "inquiries_6m"),
    "loan": ("purpose", "annual_rate"),
    "repayment_history": ("amount_paid",),
}
_OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "firm": ("representative",),
    "person": ("firm_uscc",),
}
# (field, factor): a plausible-looking but wrong amount (unit slip, typo).
_OUTLIERS: dict[str, tuple[tuple[str, int], ...]] = {
    "firm": (("registered_capital", 1000), ("employees", 100)),
    "financial_statement": (("revenue", 1000), ("total_assets", -1)),
    "tax_record": (("taxable_sales", 1000),),
    "bureau_summary": (("debt_other_lenders", 1000),),
    "loan": (("principal", 1000),),
    "repayment_history": (("amount_paid", 100),),
}


@dataclass(frozen=True, slots=True)
class Dirt:
    """Ground truth about one dirty record.

    Attributes:
        kind: one of :data:`DIRT_KINDS`.
        field: the field that was changed (``name`` for duplicates).
    """

    kind: str
    field: str


def _scale_amount(value: str, factor: int) -> str:
    negative = value.startswith("-")
    whole, _, cents = value.lstrip("-").partition(".")
    fen = (int(whole) * 100 + int(cents or 0)) * abs(factor)
    sign = "-" if negative != (factor < 0) and fen else ""
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _dirty_date(value: str, rng: random.Random) -> str:
    year, month, day = value.split("-")
    style = rng.randrange(3)
    if style == 0:
        return f"{year}/{month}/{day}"
    if style == 1:
        return f"{year}{month}{day}"
    return f"{year}年{int(month)}月{int(day)}日"


def _dirty_amount(value: str, rng: random.Random) -> str:
    whole, _, cents = value.partition(".")
    digits = whole.lstrip("-")
    if len(digits) > 3 and rng.random() < 0.5:
        grouped = f"{int(digits):,}"
        return f"{'-' if whole.startswith('-') else ''}{grouped}.{cents}"
    wan = (int(whole) * 100 + (int(cents) if not whole.startswith("-") else -int(cents))) / 1e6
    return f"{wan:.2f}万元"


def _spaced(value: str, rng: random.Random) -> str:
    cut = rng.randrange(1, max(2, len(value)))
    gap = rng.choice((" ", "  ", "\u3000"))
    variant = rng.randrange(3)
    if variant == 0:
        return value[:cut] + gap + value[cut:]
    if variant == 1:
        return f" {value}\u3000"
    return value.replace("有限", "有限" + gap, 1) if "有限" in value else value + gap


class DirtInjector:
    """Applies at most one fault to each record with probability ``rate``."""

    def __init__(self, rate: float) -> None:
        """Create an injector.

        Args:
            rate: share of records to dirty, 0..1.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"dirt_rate must be between 0 and 1, got {rate}")
        self.rate = rate

    def process(
        self, kind: str, record: dict[str, Any], rng: random.Random
    ) -> Iterator[tuple[dict[str, Any], Dirt | None]]:
        """Yield the record (possibly changed) and any extra copies, each with its fault."""
        if self.rate == 0.0 or rng.random() >= self.rate:
            yield record, None
            return
        choices = ["missing", "format"]
        if kind in _OUTLIERS:
            choices.append("outlier")
        # Duplicate firms are the commonest fault of merged registries: half of firm faults.
        fault = "duplicate" if kind == "firm" and rng.random() < 0.5 else rng.choice(choices)
        if fault == "duplicate":
            yield record, None
            copy = dict(record)
            copy["name"] = _spaced(record["name"], rng)
            yield copy, Dirt("duplicate", "name")
            return
        changed = dict(record)
        if fault == "missing":
            field = self._make_missing(kind, changed, rng)
        elif fault == "outlier":
            field, factor = rng.choice(_OUTLIERS[kind])
            value = changed[field]
            changed[field] = (
                value * factor if isinstance(value, int) else _scale_amount(value, factor)
            )
        else:
            field = self._make_format_fault(kind, changed, rng)
        yield changed, Dirt(fault, field)

    @staticmethod
    def _make_missing(kind: str, record: dict[str, Any], rng: random.Random) -> str:
        optional = [f for f in _OPTIONAL_FIELDS.get(kind, ()) if f in record]
        if optional and rng.random() < 0.3:
            field = rng.choice(optional)
            del record[field]
            return field
        field = rng.choice(_NULLABLE_IN_PRACTICE[kind])
        record[field] = None
        return field

    @staticmethod
    def _make_format_fault(kind: str, record: dict[str, Any], rng: random.Random) -> str:
        candidates: list[str] = [f for f in _DATE_FIELDS.get(kind, ()) if record.get(f)]
        candidates += _AMOUNT_FIELDS.get(kind, ())
        for field in ("uscc", "firm_uscc", "industry_code", "region_code", "phone", "month"):
            if record.get(field):
                candidates.append(field)
        field = rng.choice(candidates)
        value = record[field]
        if field in _DATE_FIELDS.get(kind, ()):
            record[field] = _dirty_date(value, rng)
        elif field in _AMOUNT_FIELDS.get(kind, ()):
            record[field] = _dirty_amount(value, rng)
        elif field in ("uscc", "firm_uscc"):
            record[field] = " ".join(value[j : j + 4] for j in range(0, 18, 4)).lower()
        elif field == "industry_code":
            record[field] = value.lower()
        elif field == "region_code":
            record[field] = value + "000000"
        elif field == "phone":
            record[field] = f"+86 {value[:3]}-{value[3:7]}-{value[7:]}"
        else:  # month
            year, month = value.split("-")
            record[field] = rng.choice(
                (f"{year}/{month}", f"{year}{month}", f"{year}年{int(month)}月")
            )
        return field
