"""Warning scans: evaluate every rule for a batch of firms and reconcile the open warnings.

A warning's identity is firm + rule (+ loan). For each batch, in one transaction:

* a condition with no active warning (open, acknowledged, in progress) opens one;
* a persisting condition updates the active warning's observed value when it changed, and
  raises its severity when the level rose (an *escalation*; a scan never lowers it);
* an active warning whose rule now reads a known value below every threshold is resolved
  automatically with a note (unknown data leaves it alone);
* the firm's composite index is stored for back-tests.

So the same facts never open a second warning, and any sequence of scans over the same
facts ends with the same active warnings. Each batch costs a constant number of queries
(the input reads, one read of the active warnings before and after, executemany writes),
whatever its size. Changes are published to live subscribers after the batch commits.

A red warning concerning a loan still classified ``normal`` creates a
:class:`~smecredit.models.ClassificationReview` (status ``pending``) for the loan
lifecycle to act on; a firm-level red warning does so for each of the firm's normal loans.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.sdk import WarningRule, declared
from smecredit.services.sql_dialect import Sql
from smecredit.services.warnings.broadcast import Broadcaster, get_broadcaster
from smecredit.services.warnings.config import (
    ActiveConfig,
    active_config,
    audit,
    evaluate_rule,
)
from smecredit.services.warnings.index import (
    composite_index_columns,
    index_levels,
    indicator_scores,
)
from smecredit.services.warnings.inputs import Batch, book_outstanding, load_inputs
from smecredit.services.warnings.runs import PORTFOLIO, start_portfolio_run
from smecredit.settings import DEFAULT_WARNING_SCAN_STALE_AFTER

__all__ = [
    "ACTIVE_STATUSES",
    "DUE_AFTER",
    "SEVERITIES",
    "ScanSummary",
    "due_at",
    "escalate_overdue",
    "scan_firms",
    "scan_portfolio",
]

log = logging.getLogger(__name__)

#: Level number -> severity name (0: no warning).
SEVERITIES: tuple[str, ...] = ("", "blue", "yellow", "orange", "red")
_RANK = {name: i for i, name in enumerate(SEVERITIES) if name}
#: Statuses of a warning that still needs work.
ACTIVE_STATUSES: tuple[str, ...] = ("open", "acknowledged", "in_progress")
#: How long an officer has to deal with a warning, by severity.
DUE_AFTER: Mapping[str, dt.timedelta] = {
    "red": dt.timedelta(days=1),
    "orange": dt.timedelta(days=3),
    "yellow": dt.timedelta(days=7),
    "blue": dt.timedelta(days=14),
}
DEFAULT_BATCH = 2000
Progress = Callable[[int, int], None]

_WARNING_COLUMNS = "id, firm_id, loan_id, rule_code, severity, status, observed_value, version"
_INSERT_WARNINGS = (
    "INSERT INTO warning (firm_id, loan_id, rule_code, severity, observed_value, threshold,"
    " message, status, opened_at, updated_at, version, due_at, index_value) VALUES {values}"
    " RETURNING id, firm_id, loan_id, rule_code"
)
_WARNING_VALUES = "(?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 1, ?, ?)"
#: Warnings per INSERT: 11 parameters each stays far below both engines' parameter limits.
_INSERT_CHUNK = 500
_UPDATE_VALUE = (
    "UPDATE warning SET observed_value = ?, message = ?, index_value = ?, updated_at = ?,"
    " version = version + 1 WHERE id = ?"
)
_ESCALATE = (
    "UPDATE warning SET severity = ?, observed_value = ?, threshold = ?, message = ?,"
    " index_value = ?, due_at = ?, updated_at = ?, version = version + 1 WHERE id = ?"
)
_RESOLVE = (
    "UPDATE warning SET status = 'resolved', resolved_at = ?, resolution_note = ?,"
    " updated_at = ?, version = version + 1"
    " WHERE id = ? AND status IN ('open', 'acknowledged', 'in_progress')"
)
_INSERT_EVENT = (
    "INSERT INTO ew_warning_event (warning_id, kind, from_status, to_status, severity,"
    " observed_value, actor, note, scan_run_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_SNAPSHOT = (
    "INSERT INTO ew_index_snapshot (firm_id, scan_run_id, as_of, index_value, level, scores)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_REVIEW = (
    "INSERT INTO ew_classification_review (loan_id, warning_id, current_classification,"
    " status, reason, created_at) VALUES (?, ?, ?, 'pending', ?, ?)"
)


def due_at(severity: str, now: dt.datetime) -> dt.datetime:
    """When a warning of ``severity`` raised at ``now`` must be dealt with."""
    return now + DUE_AFTER.get(severity, DUE_AFTER["blue"])


@dataclass
class ScanSummary:
    """What a scan did.

    Attributes:
        run_id: the :class:`~smecredit.models.WarningScanRun`.
        firms: firms scanned.
        opened: warnings opened.
        updated: active warnings whose observed value changed.
        escalated: active warnings whose severity rose (by the facts or by being overdue).
        resolved: warnings resolved automatically.
        reviews: classification reviews requested.
        seconds: wall time.
        changes: (warning id, kind) of every change, in order.
    """

    run_id: int = 0
    firms: int = 0
    opened: int = 0
    updated: int = 0
    escalated: int = 0
    resolved: int = 0
    reviews: int = 0
    seconds: float = 0.0
    changes: list[tuple[int, str]] = field(default_factory=list)


class _Wanted:
    """A warning the facts call for; its message is only formatted when written."""

    __slots__ = ("index", "level", "messages", "rule", "thresholds", "value")

    def __init__(
        self,
        level: int,
        value: float | None,
        index: float | None,
        rule: Any,
        thresholds: Mapping[str, float],
        messages: dict[tuple[str, float | None, int], str],
    ) -> None:
        self.level = level
        self.value = value
        self.index = index
        self.rule = rule
        self.thresholds = thresholds
        self.messages = messages

    @property
    def threshold(self) -> float:
        return self.thresholds[SEVERITIES[self.level]]

    @property
    def message(self) -> str:
        # A rule's message depends only on its value and level (the thresholds are fixed
        # for the scan): many firms share them (a DPD bucket, a count), and formatting
        # one was a tenth of a first scan.
        key = (self.rule.code, self.value, self.level)
        text = self.messages.get(key)
        if text is None:
            text = self.messages[key] = _message(self.rule, self.value, self.level, self.thresholds)
        return text


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _message(rule: Any, value: float | None, level: int, thresholds: Mapping[str, float]) -> str:
    explain = declared(rule, WarningRule, "explain")
    if callable(explain):
        return str(explain(value, level, thresholds))
    shown = "n/a" if value is None else f"{value:.4g}"
    return f"{rule.name}: value {shown} reached {SEVERITIES[level]}"


class _Scanner:
    def __init__(
        self,
        config: ActiveConfig,
        *,
        as_of: dt.date,
        now: dt.datetime,
        run_id: int,
        broadcaster: Broadcaster | None,
        record_index: bool,
    ) -> None:
        self.config = config
        self.as_of = as_of
        self.now = now
        self.run_id = run_id
        self.broadcaster = broadcaster
        self.record_index = record_index
        self.summary = ScanSummary(run_id=run_id)
        self.windows = config.windows()
        self.book = 0.0
        self.model: tuple[str, str] | None = None
        #: Formatted messages of this scan by (rule, value, level): see ``_Wanted``.
        self.messages: dict[tuple[str, float | None, int], str] = {}

    async def start(self) -> None:
        self.book = await book_outstanding(Sql())
        # Grades are compared within the application champion's own scores only.
        champion = (
            await models.ModelVersion.filter(use="application", status="champion")
            .order_by("-id")
            .first()
        )
        if champion is not None:
            self.model = (champion.name, champion.version)

    def evaluate(
        self, batch: Batch
    ) -> tuple[
        dict[tuple[int, str, int | None], _Wanted],
        dict[str, np.ndarray],
        np.ndarray,
        dict[str, np.ndarray],
    ]:
        """Wanted warnings, per rule a mask of firms known to be clear, the index, scores."""
        cols = batch.columns
        firm_ids = cols["firm_id"]
        scores: dict[str, np.ndarray] = {}
        results: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}
        for code in self.config.enabled:
            setting = self.config.settings[code]
            rule = self.config.rules[code]
            values, levels, loans = evaluate_rule(rule, cols, setting)
            results[code] = (values, levels, loans)
            scores[code] = indicator_scores(values, setting.thresholds, rule.direction)
        index = composite_index_columns(scores, self.config.weights)
        wanted: dict[tuple[int, str, int | None], _Wanted] = {}
        clear: dict[str, np.ndarray] = {}
        fids = firm_ids.tolist()
        idx = [None if v != v else v for v in index.tolist()]  # NaN -> None
        for code, (values, levels, loans) in results.items():
            thresholds = self.config.settings[code].thresholds
            rule = self.config.rules[code]
            hits = np.nonzero(levels > 0)[0].tolist()
            if hits:
                lv = levels[hits].tolist()
                vals = values[hits].tolist()
                lns = loans[hits].tolist() if loans is not None else [-1] * len(hits)
                for i, level, value, loan in zip(hits, lv, vals, lns, strict=True):
                    key = (fids[i], code, None if loan < 0 else loan)
                    wanted[key] = _Wanted(
                        level,
                        None if value != value else value,
                        idx[i],
                        rule,
                        thresholds,
                        self.messages,
                    )
            clear[code] = (levels == 0) & ~np.isnan(values)
        return wanted, clear, index, scores

    async def active(self, sql: Sql, batch: Batch) -> Sequence[Any]:
        cond, params = batch.condition(sql)
        codes = self.config.enabled
        if not codes:
            return []
        marks = ", ".join("?" * len(codes))
        return await sql.rows(
            f"SELECT {_WARNING_COLUMNS} FROM warning WHERE {cond}"
            f" AND {sql.no_index('status')} IN ('open', 'acknowledged', 'in_progress')"
            f" AND {sql.no_index('rule_code')} IN ({marks})"
            " ORDER BY id",
            [*params, *codes],
        )

    async def process(self, batch: Batch) -> None:
        batch = await load_inputs(
            Sql(), batch, as_of=self.as_of, windows=self.windows, book=self.book, model=self.model
        )
        if not batch.firm_ids:
            return
        wanted, clear, index, scores = self.evaluate(batch)
        now = self.now
        changes: list[tuple[int, str]] = []
        async with in_transaction() as conn:
            sql = Sql(conn)
            # Driver values computed once per batch, not once per row.
            stamp = sql.value(now)
            due = {name: sql.value(due_at(name, now)) for name in _RANK}
            existing: dict[tuple[int, str, int | None], Any] = {}
            for found in await self.active(sql, batch):
                key = (int(found[1]), str(found[3]), None if found[2] is None else int(found[2]))
                existing.setdefault(key, found)  # duplicates from elsewhere: the oldest leads
            inserts: list[list[Any]] = []
            updates: list[list[Any]] = []
            escalations: list[list[Any]] = []
            resolves: list[list[Any]] = []
            events: list[list[Any]] = []
            red_keys: list[tuple[int, str, int | None, int | None]] = []
            for key, want in wanted.items():
                row = existing.get(key)
                if row is None:
                    severity = SEVERITIES[want.level]
                    inserts.append(
                        [
                            key[0],
                            key[2],
                            key[1],
                            severity,
                            want.value,
                            want.threshold,
                            want.message,
                            stamp,
                            stamp,
                            due[severity],
                            want.index,
                        ]
                    )
                    if want.level == 4:
                        red_keys.append((key[0], key[1], key[2], None))
                    continue
                wid, status, current = int(row[0]), str(row[5]), _RANK.get(str(row[4]), 0)
                if want.level > current:
                    severity = SEVERITIES[want.level]
                    escalations.append(
                        [
                            severity,
                            want.value,
                            want.threshold,
                            want.message,
                            want.index,
                            due[severity],
                            stamp,
                            wid,
                        ]
                    )
                    events.append(
                        [
                            wid,
                            "escalated",
                            status,
                            status,
                            severity,
                            want.value,
                            "system",
                            f"{row[4]} -> {severity}",
                            self.run_id,
                            stamp,
                        ]
                    )
                    changes.append((wid, "escalated"))
                    if want.level == 4:
                        red_keys.append((key[0], key[1], key[2], wid))
                elif not _same(row[6], want.value):
                    updates.append([want.value, want.message, want.index, stamp, wid])
                    events.append(
                        [
                            wid,
                            "updated",
                            status,
                            status,
                            str(row[4]),
                            want.value,
                            "system",
                            None,
                            self.run_id,
                            stamp,
                        ]
                    )
                    changes.append((wid, "updated"))
            pos = {fid: i for i, fid in enumerate(batch.firm_ids)}
            for key, row in existing.items():
                mask = clear.get(key[1])
                if key in wanted or mask is None or not mask[pos[key[0]]]:
                    continue
                wid, status = int(row[0]), str(row[5])
                note = "auto-resolved by scan: the condition has cleared"
                resolves.append([stamp, note, stamp, wid])
                events.append(
                    [
                        wid,
                        "auto_resolved",
                        status,
                        "resolved",
                        str(row[4]),
                        None,
                        "system",
                        note,
                        self.run_id,
                        stamp,
                    ]
                )
                changes.append((wid, "resolved"))
            new_ids = await _insert_warnings(sql, inserts)
            await sql.many(_UPDATE_VALUE, updates, converted=True)
            await sql.many(_ESCALATE, escalations, converted=True)
            await sql.many(_RESOLVE, resolves, converted=True)
            if inserts:
                for key, wid in new_ids.items():
                    want = wanted[key]
                    events.append(
                        [
                            wid,
                            "opened",
                            None,
                            "open",
                            SEVERITIES[want.level],
                            want.value,
                            "system",
                            None,
                            self.run_id,
                            stamp,
                        ]
                    )
                    changes.append((wid, "opened"))
                red_keys = [
                    (f, c, ln, w if w is not None else new_ids.get((f, c, ln)))
                    for f, c, ln, w in red_keys
                ]
            await sql.many(_INSERT_EVENT, events, converted=True)
            self.summary.reviews += await self._reviews(sql, batch, red_keys, now)
            if self.record_index:
                last = await self._last_index(sql, batch)
                rows = self._snapshots(sql, batch, index, scores, last)
                await sql.many(_INSERT_SNAPSHOT, rows, converted=True)
        self.summary.firms += len(batch.firm_ids)
        self.summary.opened += len(inserts)
        self.summary.updated += len(updates)
        self.summary.escalated += len(escalations)
        self.summary.resolved += len(resolves)
        self.summary.changes.extend(changes)
        await publish(self.broadcaster, changes)

    async def _last_index(self, sql: Sql, batch: Batch) -> dict[int, float]:
        """Each firm's latest stored index value (one query for the batch)."""
        cond, params = batch.condition(sql)
        rows = await sql.rows(
            "SELECT firm_id, index_value FROM ew_index_snapshot WHERE id IN"
            f" (SELECT MAX(id) FROM ew_index_snapshot WHERE {cond} GROUP BY firm_id)",
            params,
        )
        return {int(f): float(v) for f, v in rows}

    def _snapshots(
        self,
        sql: Sql,
        batch: Batch,
        index: np.ndarray,
        scores: Mapping[str, np.ndarray],
        last: Mapping[int, float],
    ) -> list[list[Any]]:
        """Rows for firms whose index changed since their last snapshot.

        The series stays exact for back-tests: an unchanged value keeps the earlier date,
        which is the one a first crossing needs.
        """
        rounded = np.round(index, 4).tolist()
        levels = index_levels(index).tolist()
        # The scores' JSON, written directly: this runs for every firm of a scan. A finite
        # float's repr is exactly what json.dumps writes for it, so a firm whose scores
        # are all finite takes one %-format of a template; the others drop their
        # non-finite scores one by one. Only rows that are written are formatted.
        codes = list(scores)
        keys = [json.dumps(code) + ":" for code in codes]
        template = "{" + ",".join(key.replace("%", "%%") + "%r" for key in keys) + "}"
        finite: list[bool] = []
        table: list[list[float]] = []
        if codes:
            matrix = np.round(np.column_stack([scores[code] for code in codes]), 4)
            finite = np.asarray(np.isfinite(matrix).all(axis=1)).tolist()
            table = matrix.tolist()

        def detail(i: int) -> str:
            if not codes:
                return "{}"
            values = table[i]
            if finite[i]:
                return template % tuple(values)
            parts = [k + repr(v) for k, v in zip(keys, values, strict=True) if math.isfinite(v)]
            return "{" + ",".join(parts) + "}"

        rows: list[list[Any]] = []
        as_of = sql.value(self.as_of)
        for i in np.nonzero(~np.isnan(index))[0].tolist():
            fid = batch.firm_ids[i]
            value = rounded[i]
            previous = last.get(fid)
            if previous is not None and abs(previous - value) < 1e-9:
                continue
            rows.append([fid, self.run_id, as_of, value, levels[i], detail(i)])
        return rows

    async def _reviews(
        self,
        sql: Sql,
        batch: Batch,
        red_keys: Sequence[tuple[int, str, int | None, int | None]],
        now: dt.datetime,
    ) -> int:
        """Ask for a classification review of normal loans hit by a red warning."""
        wanted: dict[int, tuple[int | None, str]] = {}
        for firm_id, code, loan_id, warning_id in red_keys:
            for lid, classification in batch.loans.get(firm_id, []):
                if classification == "normal" and (loan_id is None or lid == loan_id):
                    wanted.setdefault(lid, (warning_id, code))
        if not wanted:
            return 0
        ids = sorted(wanted)
        cond, params = sql.in_list("loan_id", ids)
        pending = {
            int(r[0])
            for r in await sql.rows(
                f"SELECT loan_id FROM ew_classification_review WHERE {cond} AND status = 'pending'",
                params,
            )
        }
        rows = [
            [
                lid,
                wanted[lid][0],
                "normal",
                f"red early warning {wanted[lid][1]}: review the five-category classification",
                now,
            ]
            for lid in ids
            if lid not in pending
        ]
        await sql.many(_INSERT_REVIEW, rows)
        return len(rows)


async def _insert_warnings(
    sql: Sql, rows: Sequence[Sequence[Any]]
) -> dict[tuple[int, str, int | None], int]:
    """Insert new warnings (driver values); their ids by (firm, rule, loan).

    Multi-row INSERT ... RETURNING (SQLite 3.35+, PostgreSQL): the ids come back with the
    insert, so there is no second read of the batch's warnings to find them.
    """
    ids: dict[tuple[int, str, int | None], int] = {}
    for start in range(0, len(rows), _INSERT_CHUNK):
        part = rows[start : start + _INSERT_CHUNK]
        text = _INSERT_WARNINGS.format(values=", ".join([_WARNING_VALUES] * len(part)))
        flat = [value for row in part for value in row]
        for r in await sql.returning(text, flat, converted=True):
            loan = r["loan_id"]
            ids[(int(r["firm_id"]), str(r["rule_code"]), None if loan is None else int(loan))] = (
                int(r["id"])
            )
    return ids


def _same(old: Any, new: float | None) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return math.isclose(float(old), new, rel_tol=1e-9, abs_tol=1e-9)


async def publish(broadcaster: Broadcaster | None, changes: Sequence[tuple[int, str]]) -> None:
    """Tell live subscribers which warnings changed (never fails the caller)."""
    if broadcaster is None or not changes:
        return
    try:
        await broadcaster.publish({"changes": [[wid, kind] for wid, kind in changes]})
    except Exception:  # a broken broadcast channel must not undo committed work
        log.exception("could not publish %d warning changes", len(changes))


async def _start_run(scope: str, author: str, config: ActiveConfig) -> models.WarningScanRun:
    return await models.WarningScanRun.create(
        scope=scope, author=author, weight_version=config.weight_version
    )


async def _finish_run(run: models.WarningScanRun, summary: ScanSummary, error: str | None) -> None:
    run.status = "failed" if error else "finished"
    run.error = error  # type: ignore[assignment]
    run.firms_scanned = summary.firms
    run.opened, run.updated = summary.opened, summary.updated
    run.escalated, run.resolved = summary.escalated, summary.resolved
    run.finished_at = dt.datetime.now(dt.UTC)
    await run.save()
    await audit(
        run.author,
        "warning_scan.run",
        f"WarningScanRun:{run.id}",
        after={
            "scope": run.scope,
            "status": run.status,
            "firms": summary.firms,
            "opened": summary.opened,
            "updated": summary.updated,
            "escalated": summary.escalated,
            "resolved": summary.resolved,
            "weight_version": run.weight_version,
        },
    )


async def _run(
    scope: str,
    batches: Callable[[], Any],
    *,
    as_of: dt.date | None,
    now: dt.datetime | None,
    author: str,
    rules: Mapping[str, Any] | None,
    settings: Any,
    broadcaster: Broadcaster | None,
    record_index: bool,
    escalate: bool,
    progress: Progress | None,
    total: int,
    run: models.WarningScanRun | None,
) -> ScanSummary:
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    as_of = as_of or now.date()
    config = await active_config(rules)
    if run is None and scope == PORTFOLIO:
        # Never two portfolio scans at once, whoever asks (see runs.py).
        run = await start_portfolio_run(
            author=author,
            stale_after=getattr(
                settings, "warning_scan_stale_after", DEFAULT_WARNING_SCAN_STALE_AFTER
            ),
        )
    if run is None:
        run = await _start_run(scope, author, config)
    else:
        run.weight_version = config.weight_version
    bus = broadcaster if broadcaster is not None else get_broadcaster(settings)
    scanner = _Scanner(
        config, as_of=as_of, now=now, run_id=run.id, broadcaster=bus, record_index=record_index
    )
    error: str | None = None
    try:
        await scanner.start()
        async for batch in batches():
            await scanner.process(batch)
            if progress is not None:
                progress(scanner.summary.firms, total)
        if escalate:
            done = await escalate_overdue(now=now, broadcaster=bus, run_id=run.id)
            scanner.summary.escalated += done
    except BaseException as exc:  # a cancelled scan (server shutdown) is not "finished"
        error = f"{type(exc).__name__}: {str(exc) or 'interrupted'}"
        raise
    finally:
        scanner.summary.seconds = time.perf_counter() - started
        await _finish_run(run, scanner.summary, error)
    return scanner.summary


async def scan_firms(
    firm_ids: Sequence[int],
    *,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
    author: str = "system",
    rules: Mapping[str, Any] | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    record_index: bool = True,
    batch_size: int = DEFAULT_BATCH,
    run: models.WarningScanRun | None = None,
) -> ScanSummary:
    """Scan some firms (after a data sync or a repayment event).

    Args:
        firm_ids: firm primary keys; unknown ids are ignored.
        as_of: the business date the evidence windows end on (default: today, UTC).
        now: the time written on changes (default: now).
        author: who asked for the scan (for the run and the audit trail).
        rules: rule code -> rule (default: the installed plugins' rules).
        settings: platform settings (chooses the broadcaster).
        broadcaster: where changes are published (default: from ``settings``).
        record_index: store each firm's composite index for back-tests.
        batch_size: firms per transaction.
        run: a scan-run row created beforehand (a background scan returns it at once).
    """
    ids = sorted({int(i) for i in firm_ids})

    async def batches() -> Any:
        for k in range(0, len(ids), batch_size):
            yield Batch(firm_ids=ids[k : k + batch_size])

    return await _run(
        "firms",
        batches,
        as_of=as_of,
        now=now,
        author=author,
        rules=rules,
        settings=settings,
        broadcaster=broadcaster,
        record_index=record_index,
        escalate=False,
        progress=None,
        total=len(ids),
        run=run,
    )


async def scan_portfolio(
    *,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
    author: str = "system",
    rules: Mapping[str, Any] | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    record_index: bool = True,
    batch_size: int = DEFAULT_BATCH,
    escalate: bool = True,
    progress: Progress | None = None,
    run: models.WarningScanRun | None = None,
) -> ScanSummary:
    """Scan every firm in id order, ``batch_size`` firms per transaction.

    Also escalates overdue warnings afterwards when ``escalate`` is set. ``progress`` is
    called with (firms done, firms in total) after each batch. Other arguments as
    :func:`scan_firms`; a ``run`` passed in must have been claimed with
    :func:`~smecredit.services.warnings.runs.claim_portfolio_run`.

    Raises:
        ScanAlreadyRunning: ``SCAN_RUNNING`` when another portfolio scan is running
            (only when no ``run`` is passed: the claim is made here).
    """
    sql = Sql()
    total = int((await sql.rows("SELECT COUNT(*) FROM firm"))[0][0])

    async def batches() -> Any:
        last = 0
        while True:
            rows = await sql.rows(
                "SELECT id FROM firm WHERE id > ? ORDER BY id LIMIT ?", [last, batch_size]
            )
            if not rows:
                return
            ids = [int(r[0]) for r in rows]
            # Every firm with an id in [first, last] is in this page: a range condition.
            yield Batch(firm_ids=ids, span=(ids[0], ids[-1]))
            last = ids[-1]

    return await _run(
        "portfolio",
        batches,
        as_of=as_of,
        now=now,
        author=author,
        rules=rules,
        settings=settings,
        broadcaster=broadcaster,
        record_index=record_index,
        escalate=escalate,
        progress=progress,
        total=total,
        run=run,
    )


async def escalate_overdue(
    *,
    now: dt.datetime | None = None,
    actor: str = "system",
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    run_id: int | None = None,
) -> int:
    """Raise the severity of active warnings past their due date by one level.

    Each escalation sets ``escalated_at``, gives a new due date for the new severity and
    is recorded as an ``overdue_escalated`` event; a warning reaching red on a normal loan
    requests a classification review. Returns how many warnings were escalated.
    """
    now = now or dt.datetime.now(dt.UTC)
    bus = broadcaster if broadcaster is not None else get_broadcaster(settings)
    async with in_transaction() as conn:
        sql = Sql(conn)
        rows = await sql.rows(
            "SELECT id, severity, status, loan_id, observed_value FROM warning"
            " WHERE status IN ('open', 'acknowledged', 'in_progress')"
            " AND due_at IS NOT NULL AND due_at < ? ORDER BY id",
            [now],
        )
        updates, events, reviews = [], [], []
        for wid, severity, status, loan_id, value in rows:
            new = SEVERITIES[min(4, _RANK.get(str(severity), 0) + 1)]
            updates.append([new, now, due_at(new, now), now, int(wid)])
            events.append(
                [
                    int(wid),
                    "overdue_escalated",
                    status,
                    status,
                    new,
                    value,
                    actor,
                    f"overdue: {severity} -> {new}",
                    run_id,
                    now,
                ]
            )
            if new == "red" and loan_id is not None:
                reviews.append((int(loan_id), int(wid)))
        await sql.many(
            "UPDATE warning SET severity = ?, escalated_at = ?, due_at = ?, updated_at = ?,"
            " version = version + 1 WHERE id = ?",
            updates,
        )
        await sql.many(_INSERT_EVENT, events)
        if reviews:
            by_loan = dict(sorted(reviews, reverse=True))  # the oldest warning per loan
            cond, params = sql.in_list("id", sorted(by_loan))
            normal = await sql.rows(
                f"SELECT id FROM loan WHERE {cond} AND classification = 'normal'"
                " AND id NOT IN (SELECT loan_id FROM ew_classification_review"
                " WHERE status = 'pending')",
                params,
            )
            await sql.many(
                _INSERT_REVIEW,
                [
                    [
                        int(r[0]),
                        by_loan[int(r[0])],
                        "normal",
                        "overdue warning escalated to red",
                        now,
                    ]
                    for r in normal
                ],
            )
    await publish(bus, [(int(r[0]), "escalated") for r in rows])
    return len(rows)
