"""``smecredit cob run`` and ``smecredit ledger verify``.

``cob run`` acts as the platform's own principal (``SYSTEM``). It resumes a date whose
run was interrupted (its process died) or failed, after the last committed batch.
"""

from __future__ import annotations

import datetime as dt

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import run_with_db, settings_or_exit

__all__ = ["cob", "ledger"]


def _date(_: click.Context, __: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


@click.group(help="Close of business: DPD, penalty, classification, IFRS 9 stage.")
def cob() -> None:
    """COB commands."""


@cob.command(
    name="run",
    help="Close one business date (--date) or a range (--from/--to); an interrupted or "
    "failed date is resumed where it stopped.",
)
@click.option("--date", "day", callback=_date, help="The business date (YYYY-MM-DD).")
@click.option("--from", "start", callback=_date, help="First date of a range.")
@click.option("--to", "end", callback=_date, help="Last date of a range (inclusive).")
@click.option("--force", is_flag=True, help="Recompute dates already closed (changes nothing).")
@click.option(
    "--batch-size",
    default=None,
    type=click.IntRange(1),
    help="Loans per batch and transaction (default 10000; whole debtors per batch).",
)
def cob_run(
    day: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    force: bool,
    batch_size: int | None,
) -> None:
    from smecredit.security.operations import SYSTEM
    from smecredit.services.lending.cob import BATCH_SIZE, CobSummary, run_cob_range

    as_platform("cob.run")
    if day is not None and (start or end):
        raise click.UsageError("give either --date or --from/--to, not both")
    if day is not None:
        start = end = day
    if start is None or end is None:
        raise click.UsageError("give --date, or both --from and --to")

    def progress(current: dt.date, done: int) -> None:
        click.echo(f"  {current}: {done} loans", err=True)

    first, last = start, end
    settings = settings_or_exit()

    async def work() -> list[CobSummary]:
        return await run_cob_range(
            first,
            last,
            SYSTEM,
            force=force,
            batch_size=batch_size or BATCH_SIZE,
            progress=progress,
            stale_after=settings.cob_stale_after,
        )

    try:
        summaries = run_with_db(settings, work)
    except Exception as exc:
        code = getattr(exc, "code", None)
        if isinstance(code, str) and code.isupper():  # a refusal: one line, exit 1
            raise click.ClickException(f"{code}: {exc}") from None
        raise
    for s in summaries:
        state = "already closed" if s.skipped else "closed"
        click.echo(
            f"{s.business_date} {state}: loans={s.loans} changed={s.changed} "
            f"penalties={s.penalties} history={s.history_rows}"
        )


@click.group(help="Ledger checks.")
def ledger() -> None:
    """Ledger commands."""


@ledger.command(name="verify", help="Check the lending invariants; exit 1 on any violation.")
def ledger_verify() -> None:
    from smecredit.services.lending.ledger import verify_ledger

    violations = run_with_db(settings_or_exit(), verify_ledger)
    for v in violations:
        click.echo(f"{v.code} {v.resource}: {v.message}")
    if violations:
        click.echo(f"{len(violations)} violation(s)", err=True)
        raise SystemExit(1)
    click.echo("ledger ok")
