"""Outlier detection within a batch: flag, never drop.

Two kinds of checks:

* **Robust z-score** per numeric field within a peer group (the whole batch unless a
  ``peer_key`` is given, e.g. the industry): ``z = 0.6745 * (x - median) / MAD``, flagged
  when ``|z| > threshold`` (5 by default). Amounts and counts are compared on a signed log
  scale, because money is heavily skewed: on the raw scale every large firm would be an
  "outlier", while a value reported in 元 instead of 万元 stands out clearly on the log
  scale. When more than half of the values are equal (MAD = 0) the mean absolute deviation
  is used instead (scaled by 1.2533); groups smaller than ``min_group`` are not scored.
* **Hard rules** that need no peers: negative total assets; liabilities above 100x assets;
  revenue rising or falling more than 100x against the firm's previous period of the same
  type; more than 100,000 employees for a small or micro enterprise.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from smecredit.domain.cleaning.convert import is_null
from smecredit.domain.cleaning.fields import fields_of
from smecredit.domain.cleaning.issues import OUTLIER, Issue

__all__ = ["MAX_SME_EMPLOYEES", "flag_outliers", "missing_rates", "robust_z_scores"]

#: Above this head count a firm is no small or micro enterprise (MIIT limits are far lower).
MAX_SME_EMPLOYEES = 100_000
_JUMP_FACTOR = Decimal(100)
_LEVERAGE_FACTOR = Decimal(100)
_MAD_SCALE = 0.6745
_MEAN_AD_SCALE = 1.253314
_LOG_SCALED = frozenset({"amount", "amount_nonneg", "count"})
_NUMERIC = _LOG_SCALED | {"rate"}


def _number(value: Any) -> Decimal | None:
    if is_null(value) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def robust_z_scores(values: Sequence[float], *, min_group: int = 5) -> list[float | None]:
    """Robust z-scores ``0.6745 * (x - median) / MAD`` of ``values``.

    Args:
        values: the sample.
        min_group: fewer values than this give no scores.

    Returns:
        One score per value, ``None`` everywhere when the group is too small or has no spread.
    """
    if len(values) < min_group:
        return [None] * len(values)
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return [_MAD_SCALE * (v - median) / mad for v in values]
    mean_ad = statistics.fmean(deviations)
    if mean_ad > 0:
        return [(v - median) / (_MEAN_AD_SCALE * mean_ad) for v in values]
    return [None] * len(values)


def _signed_log(number: Decimal) -> float:
    return math.copysign(math.log1p(abs(float(number))), float(number))


def _z_score_issues(
    kind: str,
    records: Sequence[Mapping[str, Any]],
    peer_key: Callable[[Mapping[str, Any]], Hashable] | None,
    threshold: float,
    min_group: int,
) -> list[Issue]:
    groups: dict[Hashable, list[int]] = {}
    for index, record in enumerate(records):
        groups.setdefault(peer_key(record) if peer_key else None, []).append(index)
    issues: list[Issue] = []
    for name, spec in fields_of(kind).items():
        if spec.type not in _NUMERIC:
            continue
        for members in groups.values():
            present = [(i, n) for i in members if (n := _number(records[i].get(name))) is not None]
            scale = _signed_log if spec.type in _LOG_SCALED else float
            scores = robust_z_scores([scale(n) for _, n in present], min_group=min_group)
            for (index, number), score in zip(present, scores, strict=True):
                if score is not None and abs(score) > threshold:
                    message = (
                        f"{name} {number} is far from its peers "
                        f"(robust z-score {score:.1f}, limit {threshold:g})"
                    )
                    issues.append(Issue(name, OUTLIER, message, "warning", index))
    return issues


def _statement_rules(records: Sequence[Mapping[str, Any]]) -> list[Issue]:
    issues: list[Issue] = []
    history: dict[tuple[Any, Any], list[tuple[str, int, Decimal]]] = {}
    for index, record in enumerate(records):
        assets = _number(record.get("total_assets"))
        liabilities = _number(record.get("total_liabilities"))
        if assets is not None and assets < 0:
            issues.append(
                Issue(
                    "total_assets", OUTLIER, f"total assets {assets} are negative", "error", index
                )
            )
        if (
            assets is not None
            and liabilities is not None
            and assets >= 0
            and liabilities > _LEVERAGE_FACTOR * assets
        ):
            message = (
                f"total liabilities {liabilities} exceed {_LEVERAGE_FACTOR}x total assets {assets}"
            )
            issues.append(Issue("total_liabilities", OUTLIER, message, "warning", index))
        revenue, period_end = _number(record.get("revenue")), record.get("period_end")
        if revenue is not None and isinstance(period_end, str):
            key = (record.get("firm_uscc"), record.get("period_type"))
            history.setdefault(key, []).append((period_end, index, revenue))
    for periods in history.values():
        periods.sort()
        for (prev_end, _, prev), (_, index, current) in itertools.pairwise(periods):
            if (
                prev > 0
                and current > 0
                and not prev / _JUMP_FACTOR <= current <= prev * _JUMP_FACTOR
            ):
                direction = "rose" if current > prev else "fell"
                message = (
                    f"revenue {direction} more than {_JUMP_FACTOR}x from {prev} "
                    f"(period ending {prev_end}) to {current}"
                )
                issues.append(Issue("revenue", OUTLIER, message, "warning", index))
    return issues


def _firm_rules(records: Sequence[Mapping[str, Any]]) -> list[Issue]:
    issues = []
    for index, record in enumerate(records):
        employees = _number(record.get("employees"))
        if employees is not None and employees > MAX_SME_EMPLOYEES:
            message = (
                f"{employees} employees is more than {MAX_SME_EMPLOYEES:,}: "
                "not a small or micro enterprise"
            )
            issues.append(Issue("employees", OUTLIER, message, "warning", index))
    return issues


def flag_outliers(
    kind: str,
    records: Sequence[Mapping[str, Any]],
    *,
    peer_key: Callable[[Mapping[str, Any]], Hashable] | None = None,
    threshold: float = 5.0,
    min_group: int = 5,
) -> list[Issue]:
    """Flag implausible numeric values in a batch of cleaned records of one kind.

    Args:
        kind: the record kind.
        records: cleaned records (amounts as decimal strings, counts as ints).
        peer_key: groups records into peer groups for the z-score (default: one group).
        threshold: absolute robust z-score above which a value is flagged.
        min_group: smallest peer group that gets z-scores.

    Returns:
        ``OUTLIER`` issues, each with ``index`` = the record's position in ``records``.
        Records are never changed or dropped.

    Raises:
        UnknownKindError: when ``kind`` is not a record kind.
    """
    issues = _z_score_issues(kind, records, peer_key, threshold, min_group)
    if kind == "financial_statement":
        issues.extend(_statement_rules(records))
    elif kind == "firm":
        issues.extend(_firm_rules(records))
    return sorted(issues, key=lambda issue: (issue.index or 0, issue.field))


def missing_rates(records: Iterable[Mapping[str, Any]], fields: Iterable[str]) -> dict[str, float]:
    """Share of records in which each field is absent or null (``None``, ``""``, ``NULL``...).

    Args:
        records: the records; consumed once, so a generator is fine.
        fields: field names; dotted paths (``representative.phone``) reach nested objects.

    Returns:
        Field -> rate between 0 and 1; all 0.0 for an empty batch.
    """
    names = list(fields)
    missing = dict.fromkeys(names, 0)
    total = 0
    for record in records:
        total += 1
        for name in names:
            value: Any = record
            for part in name.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            if is_null(value):
                missing[name] += 1
    return {name: (missing[name] / total if total else 0.0) for name in names}
