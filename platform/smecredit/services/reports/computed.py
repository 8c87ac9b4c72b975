"""Datasets computed in Python: what the platform does not store but computes on demand.

``model_monitoring``: the stability of each champion and candidate model version, computed
as the model monitoring screen computes it
(:func:`~smecredit.services.scoring.monitoring.model_drift`): the PSI of its latest scores
and the CSI of each feature against its training data. The rows are few (models times
features), so they are built in memory; ``where`` and ``order_by`` follow the SDK's
rules, applied here instead of in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from smecredit import models
from smecredit.services.reports.query import ReportWhereInvalid

__all__ = ["computed_rows", "matches", "ordered"]

_STATUSES = ("champion", "candidate")


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _model_monitoring(today: dt.date) -> list[dict[str, Any]]:
    from smecredit.services.scoring.monitoring import model_drift

    rows: list[dict[str, Any]] = []
    versions = await models.ModelVersion.filter(status__in=_STATUSES).order_by("name", "id")
    for version in versions:
        drift = await model_drift(version.id, as_of=today)
        base = {"model_name": version.name, "version": version.version, "as_of": today}
        rows.append({**base, "psi": _number(drift.get("psi")), "feature": None, "csi": None})
        for feature, figures in sorted((drift.get("csi") or {}).items()):
            rows.append(
                {**base, "psi": None, "feature": feature, "csi": _number(figures.get("csi"))}
            )
    return rows


async def computed_rows(name: str, today: dt.date) -> list[dict[str, Any]]:
    """Every row of the computed dataset ``name``."""
    if name == "model_monitoring":
        return await _model_monitoring(today)
    raise ReportWhereInvalid(f"dataset {name!r} is not computed", params={"column": name})


def _holds(value: Any, condition: Any) -> bool:
    if condition is None:
        return value is None
    if isinstance(condition, list | set | frozenset):
        return value in condition
    if isinstance(condition, tuple):
        op, other = condition
        if op == "!=":
            return bool(value != other)
        if value is None or other is None:
            return False
        return bool(
            {"<": value < other, "<=": value <= other, ">": value > other, ">=": value >= other}[op]
        )
    return bool(value == condition)


def matches(row: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """Whether ``row`` meets every condition of ``where`` (as the SQL datasets do)."""
    return all(_holds(row.get(column), condition) for column, condition in (where or {}).items())


def ordered(
    rows: list[dict[str, Any]], order_by: Sequence[tuple[str, bool]]
) -> list[dict[str, Any]]:
    """``rows`` sorted by (column, descending) pairs, empty values last."""
    for column, descending in reversed(order_by):
        present = [r for r in rows if r.get(column) is not None]
        absent = [r for r in rows if r.get(column) is None]
        present.sort(key=lambda r: r[column], reverse=descending)
        rows = present + absent
    return rows
