"""Effectiveness of the warnings against later defaults, and weight re-estimation from it.

Defaults: a firm defaults on the first day one of its loans is 90 days past due, known from
the repayment history (``due_date + 90`` of an instalment that reached 90 DPD) and from the
loans' current DPD (``as_of - (dpd - 90)``). Warning dates come from the warnings' history
(opened and escalation events, so a warning that turned red counts as red from then), the
rules from the warnings' opening dates, and the composite index from the scans' snapshots.
The metrics are those of :func:`smecredit.domain.warning_backtest.backtest_rules`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.warning_backtest import (
    RuleBacktest,
    WeightProposal,
    backtest_rules,
    cumulative_by_severity,
    first_index_crossings,
    reestimate_weights,
)
from smecredit.errors import Conflict, InvalidInput, NotFound, error_code
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services.sql_dialect import Sql
from smecredit.services.warnings.config import active_config, audit
from smecredit.settings import DEFAULT_WARNING_SCAN_STALE_AFTER, format_duration

__all__ = [
    "DEFAULT_DPD",
    "BacktestReport",
    "accept_proposal",
    "compute_proposal",
    "default_dates",
    "fail_abandoned_proposals",
    "propose_weights",
    "reject_proposal",
    "run_backtest",
    "start_proposal",
]

log = logging.getLogger(__name__)

#: Days past due at which a loan counts as defaulted.
DEFAULT_DPD = 90
_LEVELS = ("blue", "yellow", "orange", "red")


@dataclass(frozen=True)
class BacktestReport:
    """Back-test results.

    Attributes:
        horizon_days: the horizon used.
        observation_end: the last date of the data.
        by_severity: ``"<level>+"`` -> result (warned at that level or worse).
        by_index: ``"index>=<t>"`` -> result (composite index crossing).
        by_rule: rule code -> result.
    """

    horizon_days: int
    observation_end: dt.date
    by_severity: dict[str, RuleBacktest]
    by_index: dict[str, RuleBacktest]
    by_rule: dict[str, RuleBacktest]


def _day(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def _check_horizon(horizon_days: int) -> None:
    if horizon_days < 1:
        raise InvalidInput("horizonDays must be at least 1", code="INVALID_BACKTEST_INPUT")


async def default_dates(sql: Sql, as_of: dt.date) -> dict[int, dt.date]:
    """Firm id -> first day at :data:`DEFAULT_DPD` days past due (defaulted firms only)."""
    out: dict[int, dt.date] = {}
    for firm_id, due in await sql.rows(
        "SELECT firm_id, MIN(due_date) FROM repayment_history WHERE days_past_due >= ?"
        " GROUP BY firm_id",
        [DEFAULT_DPD],
    ):
        out[int(firm_id)] = _day(due) + dt.timedelta(days=DEFAULT_DPD)
    for firm_id, dpd in await sql.rows(
        "SELECT firm_id, MAX(days_past_due) FROM loan WHERE days_past_due >= ? GROUP BY firm_id",
        [DEFAULT_DPD],
    ):
        day = as_of - dt.timedelta(days=int(dpd) - DEFAULT_DPD)
        fid = int(firm_id)
        out[fid] = min(out.get(fid, day), day)
    return {f: d for f, d in out.items() if d <= as_of}


async def run_backtest(
    horizon_days: int = 365, observation_end: dt.date | None = None
) -> BacktestReport:
    """Precision, recall, false-alarm rate and median lead time per severity, index, rule."""
    _check_horizon(horizon_days)
    end = observation_end or dt.datetime.now(dt.UTC).date()
    sql = Sql()
    firms = [str(r[0]) for r in await sql.rows("SELECT id FROM firm")]
    defaults = {str(f): d for f, d in (await default_dates(sql, end)).items()}

    by_level: dict[str, dict[str, dt.date]] = {}
    for firm_id, severity, at in await sql.rows(
        "SELECT w.firm_id, e.severity, MIN(e.at) FROM ew_warning_event e"
        " JOIN warning w ON w.id = e.warning_id"
        " WHERE e.kind IN ('opened', 'escalated', 'overdue_escalated') AND e.severity IS NOT NULL"
        " GROUP BY w.firm_id, e.severity",
    ):
        if severity in _LEVELS and _day(at) <= end:
            by_level.setdefault(str(firm_id), {})[str(severity)] = _day(at)
    by_rule: dict[str, dict[str, dt.date]] = {}
    for firm_id, code, opened in await sql.rows(
        "SELECT firm_id, rule_code, MIN(opened_at) FROM warning GROUP BY firm_id, rule_code"
    ):
        if _day(opened) <= end:
            by_rule.setdefault(str(code), {})[str(firm_id)] = _day(opened)
    series: dict[str, list[tuple[dt.date, float]]] = {}
    for firm_id, as_of, value in await sql.rows(
        "SELECT firm_id, as_of, index_value FROM ew_index_snapshot WHERE as_of <= ?", [end]
    ):
        series.setdefault(str(firm_id), []).append((_day(as_of), float(value)))

    def run(first: Mapping[str, Mapping[str, dt.date]]) -> dict[str, RuleBacktest]:
        return backtest_rules(firms, first, defaults, horizon_days, observation_end=end)

    return BacktestReport(
        horizon_days=horizon_days,
        observation_end=end,
        by_severity=run(cumulative_by_severity(by_level, _LEVELS)),
        by_index=run(first_index_crossings(series)),
        by_rule=run(dict(sorted(by_rule.items()))),
    )


def _learn(
    snapshots: Sequence[Any],
    defaults: Mapping[int, dt.date],
    current: Mapping[str, float],
    horizon_days: int,
) -> tuple[WeightProposal, int]:
    """The regression behind a proposal (CPU only: run it off the event loop)."""
    first: dict[int, tuple[dt.date, dict[str, float]]] = {}
    for firm_id, as_of, scores in snapshots:
        day = _day(as_of)
        fid = int(firm_id)
        if fid not in first or day < first[fid][0]:
            first[fid] = (day, json.loads(scores or "{}"))
    names = sorted(current)
    if not first or not names:
        raise InvalidInput(
            "no index snapshots to learn from: run a scan first", code="INVALID_BACKTEST_INPUT"
        )
    matrix = np.full((len(first), len(names)), np.nan)
    y = np.zeros(len(first), dtype=int)
    for row, (fid, (day, scores)) in enumerate(sorted(first.items())):
        for col, code in enumerate(names):
            if code in scores:
                matrix[row, col] = scores[code]
        d = defaults.get(fid)
        y[row] = int(d is not None and dt.timedelta(0) < d - day <= dt.timedelta(horizon_days))
    # an indicator nobody has a score for gets 0 everywhere (then it is constant and inert)
    empty = np.isnan(matrix).all(axis=0)
    medians = np.where(empty, 0.0, np.nanmedian(np.where(empty, 0.0, matrix), axis=0))
    matrix = np.where(np.isnan(matrix), medians, matrix)
    return reestimate_weights(matrix, y, names, current_weights=dict(current)), len(first)


async def propose_weights(
    horizon_days: int = 365,
    *,
    actor: Principal,
    observation_end: dt.date | None = None,
    rules: Mapping[str, Any] | None = None,
) -> models.WeightProposalRecord:
    """Re-estimate the weights now and store them as a proposal (``warning_weights.propose``).

    See :func:`_compute_proposal`; the proposal changes nothing until it is accepted.
    """
    authorize(actor, "warning_weights.propose")
    return await _compute_proposal(
        horizon_days, author=actor.username, observation_end=observation_end, rules=rules
    )


async def _compute_proposal(
    horizon_days: int = 365,
    *,
    author: str,
    observation_end: dt.date | None = None,
    rules: Mapping[str, Any] | None = None,
    record: models.WeightProposalRecord | None = None,
) -> models.WeightProposalRecord:
    """Re-estimate the weights from each firm's first index snapshot and later defaults.

    A firm counts as a default when it defaulted within ``horizon_days`` after the
    snapshot; missing indicator scores are filled with the indicator's median. The
    proposal is stored for an analyst to accept or reject; it changes nothing by itself.
    The regression runs in a worker thread, so a server stays responsive meanwhile.

    Args:
        horizon_days: how soon after the snapshot a default counts.
        author: who asked.
        observation_end: the last day of data (default: today).
        rules: rule code -> rule (default: the installed plugins' rules).
        record: a ``computing`` proposal made by :func:`start_proposal` to fill in
            (default: a new proposal is stored).
    """
    _check_horizon(horizon_days)
    end = observation_end or dt.datetime.now(dt.UTC).date()
    config = await active_config(rules)
    sql = Sql()
    defaults = await default_dates(sql, end)
    snapshots = await sql.rows(
        "SELECT firm_id, as_of, scores FROM ew_index_snapshot WHERE as_of <= ? ORDER BY id",
        [end],
    )
    proposal, sample_size = await asyncio.to_thread(
        _learn, snapshots, defaults, config.weights, horizon_days
    )
    values: dict[str, Any] = {
        "based_on_version": config.weight_version,
        "proposed": proposal.proposed,
        "current": proposal.current,
        "coefficients": proposal.coefficients,
        "horizon_days": horizon_days,
        "sample_size": sample_size,
    }
    if record is None:
        record = await models.WeightProposalRecord.create(**values, author=author)
    else:
        done = await models.WeightProposalRecord.filter(id=record.id, status="computing").update(
            status="proposed", **values
        )
        if done == 0:
            raise Conflict(f"weight proposal {record.id} is no longer being computed")
        record = await models.WeightProposalRecord.get(id=record.id)
    await audit(
        author, "warning_weights.propose", f"WeightProposal:{record.id}", after=record.proposed
    )
    return record


async def start_proposal(
    horizon_days: int = 365, *, actor: Principal, rules: Mapping[str, Any] | None = None
) -> models.WeightProposalRecord:
    """Store a proposal in status ``computing``, for :func:`compute_proposal` to fill; audited.

    Raises:
        PermissionDenied: the actor may not propose weights (``warning_weights.propose``).
        InvalidInput: ``INVALID_BACKTEST_INPUT`` for a horizon below one day.
    """
    authorize(actor, "warning_weights.propose")
    author = actor.username
    _check_horizon(horizon_days)
    await fail_abandoned_proposals()
    config = await active_config(rules)
    async with in_transaction() as conn:
        record = await models.WeightProposalRecord.create(
            status="computing",
            based_on_version=config.weight_version,
            proposed={},
            current={},
            horizon_days=horizon_days,
            author=author,
            using_db=conn,
        )
        await audit(
            author,
            "warning_weights.propose_started",
            f"WeightProposal:{record.id}",
            after={"horizon_days": horizon_days},
            conn=conn,
        )
    return record


async def fail_abandoned_proposals(
    stale_after: dt.timedelta = DEFAULT_WARNING_SCAN_STALE_AFTER, *, now: dt.datetime | None = None
) -> int:
    """Mark failed the proposals still ``computing`` after ``stale_after``; how many.

    A proposal is computed by a background job of the process that started it; if that
    process was killed, the row would stay ``computing`` for ever and could be neither
    accepted nor rejected. Called before every new proposal.
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - stale_after
    stuck = await models.WeightProposalRecord.filter(status="computing", created_at__lt=cutoff)
    reason = f"abandoned: still computing after {format_duration(stale_after)}, its process stopped"
    for record in stuck:
        await _fail_proposal(record, reason)
    return len(stuck)


async def _fail_proposal(record: models.WeightProposalRecord, reason: str) -> None:
    # The decision fields say who ended it and why: the system, with the reason.
    async with in_transaction() as conn:
        done = (
            await models.WeightProposalRecord.filter(id=record.id, status="computing")
            .using_db(conn)
            .update(
                status="failed",
                decided_by="system",
                decision_note=reason,
                decided_at=dt.datetime.now(dt.UTC),
            )
        )
        if done:
            await audit(
                "system",
                "warning_weights.propose_failed",
                f"WeightProposal:{record.id}",
                after={"reason": reason},
                conn=conn,
            )


async def compute_proposal(
    proposal_id: int,
    *,
    observation_end: dt.date | None = None,
    rules: Mapping[str, Any] | None = None,
) -> models.WeightProposalRecord:
    """Compute a ``computing`` proposal (the background job of ``proposeWarningWeights``).

    A failure does not raise: the proposal ends ``failed`` and its ``decision_note`` says
    why (the error's code and message, e.g. ``INVALID_BACKTEST_INPUT: no index snapshots
    to learn from``; only "unexpected error" for a bug, whose details go to the log).
    """
    record = await models.WeightProposalRecord.get_or_none(id=proposal_id)
    if record is None:
        raise NotFound(f"weight proposal {proposal_id} not found")
    try:
        return await _compute_proposal(
            record.horizon_days,
            author=record.author,
            observation_end=observation_end,
            rules=rules,
            record=record,
        )
    except asyncio.CancelledError:
        await _fail_proposal(record, "interrupted: the server stopped before it was done")
        raise
    except Exception as exc:
        code = error_code(exc)
        if code is None:
            log.exception("weight proposal %s failed", proposal_id)
            reason = f"unexpected error ({type(exc).__name__}); see the server log"
        else:
            reason = f"{code}: {getattr(exc, 'message', None) or exc}"
        await _fail_proposal(record, reason)
    return await models.WeightProposalRecord.get(id=proposal_id)


async def _decide(proposal_id: int, actor: Principal) -> Any:
    authorize(actor, "warning_weights.decide")
    row = await models.WeightProposalRecord.get_or_none(id=proposal_id)
    if row is None:
        raise NotFound(f"weight proposal {proposal_id} not found")
    if row.status == "computing":
        raise Conflict(f"weight proposal {proposal_id} is still being computed")
    if row.status == "failed":
        raise Conflict(
            f"weight proposal {proposal_id} failed ({row.decision_note}): nothing to decide"
        )
    if row.status != "proposed":
        raise Conflict(f"weight proposal {proposal_id} was already {row.status}")
    return row


async def accept_proposal(
    proposal_id: int,
    *,
    actor: Principal,
    note: str | None = None,
    rules: Mapping[str, Any] | None = None,
) -> models.WeightProposalRecord:
    """Turn a proposal into the next weight set (in force from the next scan); audited."""
    row = await _decide(proposal_id, actor)
    config = await active_config(rules)
    groups: dict[str, float] = {}
    for code, weight in row.proposed.items():
        rule = config.rules.get(code)
        if rule is not None:
            groups[rule.group] = groups.get(rule.group, 0.0) + float(weight)
    async with in_transaction() as conn:
        last = await models.WeightSet.all().using_db(conn).order_by("-version").first()
        version = (last.version if last else 0) + 1
        await models.WeightSet.create(
            version=version,
            method="reestimated",
            group_weights=groups,
            indicator_weights=dict(row.proposed),
            ahp_detail={"proposal": row.id, "coefficients": row.coefficients},
            author=actor.username,
            note=note or f"accepted proposal {row.id}",
            using_db=conn,
        )
        done = (
            await models.WeightProposalRecord.filter(id=row.id, status="proposed")
            .using_db(conn)
            .update(
                status="accepted",
                decided_by=actor.username,
                decision_note=note,
                decided_at=dt.datetime.now(dt.UTC),
                accepted_version=version,
            )
        )
        if done == 0:
            raise Conflict(f"weight proposal {row.id} was decided by someone else")
        await audit(
            actor,
            "warning_weights.accept",
            f"WeightProposal:{row.id}",
            after={"version": version},
            conn=conn,
        )
    return await models.WeightProposalRecord.get(id=row.id)


async def reject_proposal(
    proposal_id: int, *, actor: Principal, note: str | None = None
) -> models.WeightProposalRecord:
    """Reject a proposal (the weights stay as they are); audited."""
    row = await _decide(proposal_id, actor)
    async with in_transaction() as conn:
        done = (
            await models.WeightProposalRecord.filter(id=row.id, status="proposed")
            .using_db(conn)
            .update(
                status="rejected",
                decided_by=actor.username,
                decision_note=note,
                decided_at=dt.datetime.now(dt.UTC),
            )
        )
        if done == 0:
            raise Conflict(f"weight proposal {row.id} was decided by someone else")
        await audit(actor, "warning_weights.reject", f"WeightProposal:{row.id}", conn=conn)
    return await models.WeightProposalRecord.get(id=row.id)
