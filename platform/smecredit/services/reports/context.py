"""The :class:`~smecredit.sdk.reports.ReportContext` the engine hands a report's ``build``.

Every value leaves through the field policy of the user who runs the report, decided as
the same GraphQL field (the column's ``field``): allowed values as they are, masked ones
through the policy's masking strategy (only text can be masked: a mask on another kind
withholds it, as the GraphQL guard does), denied ones as :data:`~smecredit.sdk.WITHHELD`.
An unmasked read of a sensitive field is audited once per run and field, before the first
value is handed over; when the audit row cannot be written the read is refused
(``AUDIT_UNAVAILABLE``), as in GraphQL. Rows outside the user's branches are filtered in
the SQL (:func:`~smecredit.security.row_scope.visible_branches`).

A column the user may not see in clear (masked or denied) cannot be filtered or sorted
on, grouped by or aggregated (a filter or a sum would reveal it), except that a masked
column may be counted: such a request is refused with ``REPORT_COLUMN_FORBIDDEN``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smecredit.domain.errors import DomainError
from smecredit.graphql.permissions import AUDIT_ACTION, AuditUnavailable, mask_value
from smecredit.sdk.reports import WITHHELD, DatasetInfo, ReportCancelled
from smecredit.security.policy import Decision, get_policy_store, subjects_of
from smecredit.security.row_scope import visible_branches
from smecredit.services import audit
from smecredit.services.reports import query
from smecredit.services.reports.catalogue import CATALOGUE, Column, Dataset
from smecredit.services.reports.computed import computed_rows, matches, ordered
from smecredit.services.sql_dialect import Sql

__all__ = ["EngineContext", "ReportColumnForbidden"]


class ReportColumnForbidden(DomainError):
    """A report filtered, sorted, grouped or aggregated a column its user may not see."""

    code = "REPORT_COLUMN_FORBIDDEN"


@dataclass(frozen=True, slots=True)
class _Access:
    kind: str  # allow | mask | deny
    decision: Decision | None


@dataclass(eq=False)
class EngineContext:
    """Data access for one report run (see the module docstring).

    Attributes:
        principal: who runs it (a :class:`~smecredit.security.principal.Principal`).
        plugins: the plugin registry (masking strategies).
        language, today, options: as :class:`~smecredit.sdk.reports.ReportContext` says.
        report: the report's name (in audit rows).
        on_progress: where :meth:`progress` goes (the job's control).
        cancelled: whether the run was asked to stop.
        batch: rows per statement.
    """

    principal: Any
    plugins: Any
    language: str
    today: dt.date
    report: str
    options: Mapping[str, str] = field(default_factory=dict)
    on_progress: Callable[[int, int | None], None] | None = None
    cancelled: Callable[[], bool] = lambda: False
    batch: int = query.BATCH
    _access: dict[str, _Access] = field(default_factory=dict, repr=False)
    _audited: set[str] = field(default_factory=set, repr=False)

    @property
    def username(self) -> str:
        """Who runs the report."""
        return str(self.principal.username)

    @property
    def roles(self) -> tuple[str, ...]:
        """Their roles."""
        return tuple(self.principal.roles)

    @property
    def branch_code(self) -> str:
        """Their branch."""
        return str(self.principal.branch_code)

    # ------------------------------------------------------------------ policy

    def _decide(self, col: Column) -> _Access:
        if col.field is None:
            return _Access("allow", None)
        found = self._access.get(col.field)
        if found is None:
            store = get_policy_store()
            decision = store.decide(subjects_of(self.principal), self.branch_code, col.field)
            kind = decision.kind
            if kind == "mask" and col.kind != "text":
                kind = "deny"  # only text can be masked (the GraphQL guard's rule)
            found = self._access[col.field] = _Access(kind, decision)
        return found

    def _clear(self, data: Dataset, names: Sequence[str], use: str) -> list[Column]:
        """The columns ``names``, each of which the user must see in clear for ``use``."""
        out = []
        for name in names:
            col = query.column(data, name)
            if self._decide(col).kind != "allow":
                raise ReportColumnForbidden(
                    f"{use} {data.name}.{name} is not allowed: its field {col.field} is "
                    "masked or withheld for you",
                    params={"dataset": data.name, "column": name, "field": col.field},
                )
            out.append(col)
        return out

    async def _audit(self, columns: Sequence[Column]) -> None:
        for col in columns:
            access = self._decide(col)
            key = col.field
            if (
                key is None
                or access.kind != "allow"
                or access.decision is None
                or not access.decision.audited
                or key in self._audited
            ):
                continue
            try:
                await audit.record(self.principal, AUDIT_ACTION, key, after={"report": self.report})
            except Exception as exc:
                raise AuditUnavailable(
                    f"the read of {key} cannot be audited now, so it is refused", field=key
                ) from exc
            self._audited.add(key)

    def _present(self, col: Column, value: Any) -> Any:
        access = self._decide(col)
        if access.kind == "allow":
            return value
        if access.kind == "mask" and access.decision is not None:
            return mask_value(value, access.decision, self.plugins)
        return WITHHELD

    # --------------------------------------------------------------- the SDK API

    def datasets(self) -> Mapping[str, DatasetInfo]:
        """Every dataset with its columns."""
        return {name: data.info() for name, data in CATALOGUE.items()}

    def _branches(self) -> list[str] | None:
        return visible_branches(self.principal)

    async def rows(
        self,
        dataset: str,
        columns: Sequence[str],
        *,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] = (),
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream the user's rows of ``dataset`` (see ReportContext.rows)."""
        data = query.dataset(dataset)
        wanted = [query.column(data, name) for name in columns]
        self._clear(data, list(where or {}), "filtering on")
        ordering = [
            (col, spec.startswith("-"))
            for spec, col in zip(
                order_by,
                self._clear(data, [s.lstrip("-") for s in order_by], "sorting by"),
                strict=True,
            )
        ]
        await self._audit(wanted)
        if data.computed:
            query.where_clause(data, where, Sql(), None)  # the same checks of ``where``
            found = [r for r in await computed_rows(data.name, self.today) if matches(r, where)]
            for row in ordered(found, [(c.name, desc) for c, desc in ordering]):
                yield {c.name: self._present(c, row.get(c.name)) for c in wanted}
            await self.checkpoint()
            return
        async for batch in query.stream_rows(
            data,
            wanted,
            where=where,
            order_by=ordering,
            branches=self._branches(),
            batch=self.batch,
        ):
            for row in batch:
                yield {c.name: self._present(c, row[c.name]) for c in wanted}
            await self.checkpoint()

    async def aggregate(
        self,
        dataset: str,
        *,
        group_by: Sequence[str] = (),
        measures: Mapping[str, tuple[str, str]],
        where: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Group the user's rows of ``dataset`` in the database (see ReportContext)."""
        data = query.dataset(dataset)
        if data.computed:
            raise query.ReportWhereInvalid(
                f"dataset {dataset!r} is computed, not stored: read its rows instead",
                params={"column": dataset},
            )
        groups = self._clear(data, list(group_by), "grouping by")
        self._clear(data, list(where or {}), "filtering on")
        resolved: dict[str, tuple[str, Column | None]] = {}
        for out, (function, name) in measures.items():
            if name == "*":
                if function != "count":
                    raise query.ReportWhereInvalid(
                        f"measure {out!r}: only count takes '*'", params={"column": out}
                    )
                resolved[out] = (function, None)
                continue
            col = query.column(data, name)
            kind = self._decide(col).kind
            if kind == "deny" or (kind == "mask" and function != "count"):
                raise ReportColumnForbidden(
                    f"{function} of {data.name}.{name} is not allowed: its field "
                    f"{col.field} is {'withheld' if kind == 'deny' else 'masked'} for you",
                    params={"dataset": data.name, "column": name, "field": col.field},
                )
            resolved[out] = (function, col)
        await self._audit(groups)
        result = await query.aggregate_rows(
            data, groups, resolved, where=where, branches=self._branches()
        )
        await self.checkpoint()
        return result

    def progress(self, done: int, total: int | None = None) -> None:
        """Report progress (to the run's job)."""
        if self.on_progress is not None:
            self.on_progress(done, total)

    async def checkpoint(self) -> None:
        """Yield to the event loop; raise ReportCancelled once the run was cancelled."""
        await asyncio.sleep(0)
        if self.cancelled():
            raise ReportCancelled(f"report {self.report} was cancelled")
