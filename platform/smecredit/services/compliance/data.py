"""Checks of the data the platform holds: consent for bureau pulls, fresh data sources."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from smecredit import models
from smecredit.domain.compliance import CheckOutcome, ComplianceCheck
from smecredit.domain.compliance import CheckStatus as S
from smecredit.services.compliance.base import CheckContext, Entry

__all__ = ["BUREAU_SCOPE", "CHECKS", "STALE_GRACE"]

#: The consent scope a bureau pull needs (the scope of the bureau data sources).
BUREAU_SCOPE = "bureau"
#: How late a scheduled sync may be before its source counts as stale.
STALE_GRACE = dt.timedelta(hours=1)

CONSENT = ComplianceCheck(
    "bureau_consent",
    "征信查询均有授权",
    "Consent present for every bureau pull",
    12,
    "Every stored bureau report (bureau_summary) was fetched while the firm had a consent of "
    "scope bureau in force (granted before, not expired, not revoked): any pull without "
    "one fails.",
    "data",
)
STALE = ComplianceCheck(
    "stale_sources",
    "数据源及时更新",
    "Data sources fresh",
    5,
    "Every source of SMECREDIT_SYNC_SCHEDULE succeeded within its period (a day for a daily "
    "time, else its interval) plus an hour: a source never synced or later than that fails; "
    "not applicable without schedules.",
    "data",
)


def _in_force(
    consent: tuple[dt.datetime, dt.datetime | None, dt.datetime | None], at: dt.datetime
) -> bool:
    granted, expires, revoked = consent
    return granted <= at and (expires is None or at < expires) and (revoked is None or at < revoked)


async def bureau_consent(ctx: CheckContext) -> CheckOutcome:
    """Each bureau pull under a consent in force when it was fetched."""
    pulls = (
        await models.BureauSummary.all().order_by("id").values_list("id", "firm_id", "fetched_at")
    )
    if not pulls:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no bureau reports stored")
    consents: dict[int, list[tuple[dt.datetime, dt.datetime | None, dt.datetime | None]]] = (
        defaultdict(list)
    )
    for firm_id, *window in await models.Consent.filter(scope=BUREAU_SCOPE).values_list(
        "firm_id", "granted_at", "expires_at", "revoked_at"
    ):
        consents[firm_id].append(tuple(window))  # type: ignore[arg-type]
    without = [
        f"BureauSummary:{pull_id}"
        for pull_id, firm_id, at in pulls
        if not any(_in_force(c, at) for c in consents.get(firm_id, ()))
    ]
    if without:
        return CheckOutcome.of(
            S.FAIL, f"{len(without)} of {len(pulls)} bureau pulls without consent", without
        )
    return CheckOutcome.of(S.PASS, f"{len(pulls)} bureau pulls, each under consent")


def _period(entry: tuple[str, dt.timedelta | None, dt.time | None]) -> dt.timedelta:
    _, every, _ = entry
    return every if every is not None else dt.timedelta(days=1)


async def stale_sources(ctx: CheckContext) -> CheckOutcome:
    """Each scheduled source synced successfully within its period."""
    schedule = tuple(getattr(ctx.settings, "sync_schedule", ()))
    if not schedule:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no source is synced on a schedule")
    last = dict(await models.SourceState.all().values_list("source", "last_success_at"))
    stale = [
        f"DataSource:{entry[0]}"
        for entry in schedule
        if (at := last.get(entry[0])) is None or ctx.now - at > _period(entry) + STALE_GRACE
    ]
    if stale:
        return CheckOutcome.of(
            S.FAIL, f"{len(stale)} of {len(schedule)} scheduled sources stale", stale
        )
    return CheckOutcome.of(S.PASS, f"{len(schedule)} scheduled sources synced in time")


CHECKS: tuple[Entry, ...] = ((CONSENT, bureau_consent), (STALE, stale_sources))
