"""``smecredit warnings``: scan (now or on a schedule), escalate, back-test, re-weight."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from smecredit.cli.acting import AS_OPTION, as_platform
from smecredit.cli.core import command_registry, settings_or_exit
from smecredit.cli.core import run_with_db as _run_with_db

__all__ = ["warnings_group"]

T = TypeVar("T")


def run_with_db(settings: Any, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with the database open; errors with a ``code`` become one clear line."""
    try:
        return _run_with_db(settings, work)
    except Exception as exc:
        code = getattr(exc, "code", None)
        if isinstance(code, str) and code.isupper():
            raise click.ClickException(f"{code}: {exc}") from None
        raise


def _fmt(v: float | None, pct: bool = True) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if pct else f"{v:g}"


@click.group(
    name="warnings",
    help="Early warnings: scans (now or on a schedule), escalation, back-test, weights.",
)
def warnings_group() -> None:
    """Early-warning commands."""


@warnings_group.command(name="scan", help="Scan the portfolio (or --firm ids) for warnings.")
@click.option("--firm", "firms", multiple=True, type=int, help="Scan only these firm ids.")
@click.option("--batch-size", default=2000, show_default=True, type=int)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Business date (default today).")
@click.option("--no-escalate", is_flag=True, help="Do not escalate overdue warnings afterwards.")
@click.option("--author", default="cli", show_default=True)
def scan_command(
    firms: tuple[int, ...],
    batch_size: int,
    as_of: dt.datetime | None,
    no_escalate: bool,
    author: str,
) -> None:
    from smecredit.services.warnings.scan import scan_firms, scan_portfolio

    as_platform("warning.scan")
    settings = settings_or_exit()
    rules = command_registry(settings).warning_rules
    day = as_of.date() if as_of else None

    async def work() -> Any:
        if firms:
            return await scan_firms(
                list(firms),
                as_of=day,
                author=author,
                settings=settings,
                rules=rules,
                batch_size=batch_size,
            )
        with click.progressbar(length=1, label="scanning firms") as bar:
            state = {"done": 0}

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - state["done"])
                state["done"] = done

            return await scan_portfolio(
                as_of=day,
                author=author,
                settings=settings,
                rules=rules,
                batch_size=batch_size,
                escalate=not no_escalate,
                progress=progress,
            )

    s = run_with_db(settings, work)
    click.echo(
        f"scan run {s.run_id}: {s.firms} firms in {s.seconds:.1f}s, opened {s.opened}, "
        f"updated {s.updated}, escalated {s.escalated}, resolved {s.resolved}, "
        f"classification reviews {s.reviews}"
    )


@warnings_group.command(
    name="schedule",
    short_help="Scan the portfolio on a schedule (a foreground worker).",
    help="Run the portfolio scan on a schedule, in the foreground (for a separate worker "
    "instead of the server's built-in scheduler). The schedule comes from "
    "SMECREDIT_WARNING_SCAN_EVERY or SMECREDIT_WARNING_SCAN_AT unless --every or --at is "
    "given. Due times are read from past scan runs in the database, and only one portfolio "
    "scan runs at a time whatever the number of schedulers and servers.",
)
@click.option("--every", default=None, help="Interval between scans, e.g. 30m, 24h, 1d12h.")
@click.option(
    "--at", "at", default=None, help="Daily at this time, e.g. 02:00 (UTC) or 02:00+08:00."
)
@click.option(
    "--once",
    is_flag=True,
    help="One round and exit: scan if due and nothing is running (for cron); exit status 1 "
    "when the scan failed.",
)
@click.option("--author", default="scheduler", show_default=True)
def schedule_command(every: str | None, at: str | None, once: bool, author: str) -> None:
    from smecredit.services.warnings.schedule import Round, ScanSchedule, run_schedule
    from smecredit.settings import SettingsError, parse_daily_time, parse_duration

    as_platform("warning.scan")
    settings = settings_or_exit()
    if every and at:
        raise click.UsageError("give --every or --at, not both")
    try:
        if every:
            schedule = ScanSchedule(
                every=parse_duration(every, "--every", minimum=dt.timedelta(minutes=1)),
                stale_after=settings.warning_scan_stale_after,
            )
        elif at:
            schedule = ScanSchedule(
                at=parse_daily_time(at, "--at"), stale_after=settings.warning_scan_stale_after
            )
        else:
            found = ScanSchedule.from_settings(settings)
            if found is None:
                raise click.UsageError(
                    "no schedule: set SMECREDIT_WARNING_SCAN_EVERY or SMECREDIT_WARNING_SCAN_AT, "
                    "or pass --every or --at"
                )
            schedule = found
    except SettingsError as exc:
        raise click.BadParameter(str(exc)) from None
    rounds: list[Round] = []

    def report(result: Round) -> None:
        rounds.append(result)
        now = dt.datetime.now(dt.UTC)
        click.echo(f"{now:%Y-%m-%d %H:%M:%S} UTC  {result.detail}")
        if not once:
            click.echo(f"  next look at {result.next_at:%Y-%m-%d %H:%M:%S} UTC")

    click.echo(f"warning scan schedule: {schedule.describe()}")
    try:
        run_with_db(
            settings,
            lambda: run_schedule(
                schedule,
                settings=settings,
                rules=command_registry(settings).warning_rules,
                author=author,
                rounds=1 if once else None,
                on_round=report,
            ),
        )
    except KeyboardInterrupt:
        click.echo("stopped")
        return
    if once and rounds and rounds[-1].outcome in ("failed", "error"):
        raise SystemExit(1)


@warnings_group.command(name="escalate", help="Escalate warnings past their due date.")
def escalate_command() -> None:
    from smecredit.services.warnings.scan import escalate_overdue

    as_platform("warning.escalate")
    settings = settings_or_exit()
    count = run_with_db(settings, lambda: escalate_overdue(actor="cli", settings=settings))
    click.echo(f"escalated {count} overdue warnings")


@warnings_group.command(name="backtest", help="Precision, recall, false alarms, lead time.")
@click.option("--horizon", default=365, show_default=True, type=int, help="Horizon in days.")
def backtest_command(horizon: int) -> None:
    from smecredit.services.warnings.backtest import run_backtest

    settings = settings_or_exit()
    report = run_with_db(settings, lambda: run_backtest(horizon))
    click.echo(f"horizon {report.horizon_days} days, data up to {report.observation_end}")
    click.echo(
        f"{'rule':<24}{'warned':>8}{'hits':>6}{'precision':>11}{'recall':>8}"
        f"{'false alarms':>14}{'lead (d)':>10}"
    )
    for group in (report.by_severity, report.by_index, report.by_rule):
        for r in group.values():
            click.echo(
                f"{r.rule:<24}{r.warned:>8}{r.hits:>6}{_fmt(r.precision):>11}"
                f"{_fmt(r.recall):>8}{_fmt(r.false_alarm_rate):>14}"
                f"{_fmt(r.median_lead_days, pct=False):>10}"
            )


@warnings_group.command(name="reweight", help="Propose weights re-estimated from the back-test.")
@click.option("--horizon", default=365, show_default=True, type=int, help="Horizon in days.")
def reweight_command(horizon: int) -> None:
    from smecredit.services.warnings.backtest import propose_weights

    actor = as_platform("warning_weights.propose")
    settings = settings_or_exit()
    row = run_with_db(settings, lambda: propose_weights(horizon, actor=actor))
    click.echo(f"weight proposal {row.id} (from {row.sample_size} firms, horizon {horizon} d)")
    click.echo(f"{'indicator':<24}{'current':>9}{'proposed':>10}{'change':>9}")
    for code in sorted(row.proposed):
        cur, new = float(row.current.get(code, 0.0)), float(row.proposed[code])
        click.echo(f"{code:<24}{cur:>9.3f}{new:>10.3f}{new - cur:>+9.3f}")
    click.echo(f"accept: smecredit warnings proposal accept {row.id} --as USER   (or reject)")


@warnings_group.group(name="proposal", help="Decide on a weight proposal.")
def proposal_group() -> None:
    """Weight proposal decisions."""


@proposal_group.command(name="accept")
@click.argument("proposal_id", type=int)
@AS_OPTION
@click.option("--note", default=None)
def accept_command(proposal_id: int, acting_as: str, note: str | None) -> None:
    """Accept a proposal: its weights are in force from the next scan."""
    from smecredit.services.actors import acting_user
    from smecredit.services.warnings.backtest import accept_proposal

    settings = settings_or_exit()

    async def work() -> Any:
        actor = await acting_user(acting_as, "warning_weights.decide")
        return await accept_proposal(proposal_id, actor=actor, note=note)

    row = run_with_db(settings, work)
    click.echo(f"proposal {row.id} accepted as weight set version {row.accepted_version}")


@proposal_group.command(name="reject")
@click.argument("proposal_id", type=int)
@AS_OPTION
@click.option("--note", default=None)
def reject_command(proposal_id: int, acting_as: str, note: str | None) -> None:
    """Reject a proposal: the weights stay as they are."""
    from smecredit.services.actors import acting_user
    from smecredit.services.warnings.backtest import reject_proposal

    settings = settings_or_exit()

    async def work() -> Any:
        actor = await acting_user(acting_as, "warning_weights.decide")
        return await reject_proposal(proposal_id, actor=actor, note=note)

    row = run_with_db(settings, work)
    click.echo(f"proposal {row.id} rejected")
