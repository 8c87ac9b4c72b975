"""``smecredit sources``: list data sources, run a sync, show data quality."""

from __future__ import annotations

import json
from typing import Any

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import command_registry, run_with_db, settings_or_exit
from smecredit.cli.sync_output import ProgressLine, echo_summary, exit_status, parse_settings

__all__ = ["SYNC_OPERATION", "sources"]

#: The operation ``smecredit sources sync`` takes (``COMMAND_OPERATIONS["sources sync"]``).
SYNC_OPERATION = "source.sync"


@click.group(name="sources", help="Data sources: list them, sync them, check data quality.")
def sources() -> None:
    """Data-source commands."""


@sources.command(name="list", help="List the installed data sources.")
@click.option("--schema", "show_schema", is_flag=True, help="Also print each settings schema.")
def list_sources(show_schema: bool) -> None:
    from smecredit.services.sync_schedule import schedules_from_settings

    settings = settings_or_exit()
    registry = command_registry(settings)
    schedules = {s.source: s.when.describe() for s in schedules_from_settings(settings)}
    if not registry.data_sources:
        click.echo("no data sources installed")
        return
    for name, source in sorted(registry.data_sources.items()):
        flags = []
        # required members of sdk.DataSource: the loader checked them
        if source.incremental:
            flags.append("incremental")
        if source.needs_consent:
            flags.append("needs consent")
        kinds = ", ".join(source.record_kinds)
        suffix = f" [{'; '.join(flags)}]" if flags else ""
        click.echo(f"{name}: {source.description}{suffix}\n  kinds: {kinds}")
        if name in schedules:
            click.echo(f"  synced {schedules[name]}")
        if show_schema:
            schema = source.settings_schema or {}
            click.echo("  settings schema: " + json.dumps(schema, ensure_ascii=False))


@sources.command(
    name="sync",
    help="Pull a data source into the platform (as the platform itself). Exit status: 0 "
    "every record taken in, 2 finished with records quarantined, 1 failed or interrupted.",
)
@click.argument("name")
@click.option("--since", default=None, help="Only what changed since (ISO date-time or token).")
@click.option(
    "--set", "pairs", multiple=True, metavar="KEY=VALUE", help="A source setting (repeatable)."
)
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Continue an interrupted sync of the same request after its last committed batch.",
)
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1))
@click.option(
    "--full",
    is_flag=True,
    help="Pull everything, not only what changed since the source's last complete run "
    "(incremental sources).",
)
@click.option(
    "--refresh/--no-refresh",
    default=True,
    show_default=True,
    help="Rescore the firms the sync touched and re-evaluate their warnings afterwards "
    "(--no-refresh leaves the job pending for the server).",
)
def sync(
    name: str,
    since: str | None,
    pairs: tuple[str, ...],
    resume: bool,
    batch_size: int,
    full: bool,
    refresh: bool,
) -> None:
    from smecredit.errors import ApiError
    from smecredit.services.ingestion.sync import IngestionError, run_sync

    actor = as_platform("source.sync")
    settings = settings_or_exit()
    options = parse_settings(pairs)
    registry = command_registry(settings)
    progress = ProgressLine(name)

    async def work() -> Any:
        return await run_sync(
            registry,
            name,
            since=since,
            settings=options,
            resume=resume,
            batch_size=batch_size,
            progress=progress,
            actor=actor,
            operation=SYNC_OPERATION,
            stale_after=settings.sync_stale_after,
            full=full,
            refresh=refresh,
            platform_settings=settings,
        )

    try:
        result = run_with_db(settings, work)
    except (IngestionError, ApiError) as error:
        raise click.ClickException(f"{error.code}: {error}") from None
    finally:
        progress.close()
    echo_summary(result, source=name)
    if result.refresh_job_id is not None:
        click.echo(f"refresh job {result.refresh_job_id}: {result.refresh_status}")
    raise SystemExit(exit_status(result))


@sources.command(name="quality", help="Data-quality figures per source and per run.")
@click.argument("name", required=False)
@click.option("--run", "run_id", type=int, default=None, help="Only this sync run.")
@click.option(
    "--quarantine", "show", default=10, show_default=True, help="Quarantined records to list."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def quality(name: str | None, run_id: int | None, show: int, as_json: bool) -> None:
    from smecredit import models
    from smecredit.errors import NotFound
    from smecredit.services.quality import quality_report

    settings = settings_or_exit()

    async def work() -> tuple[Any, list[Any]]:
        report = await quality_report(name, run_id)
        rows: list[Any] = []
        if run_id is not None and show > 0:
            rows = await models.QuarantinedRecord.filter(run_id=run_id).order_by("id").limit(show)
        return report, rows

    try:
        report, rows = run_with_db(settings, work)
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    totals = report.totals
    click.echo(
        f"{report.source or 'all sources'}: read {totals['read']:,}, accepted "
        f"{totals['accepted']:,}, quarantined {totals['quarantined']:,}, merged "
        f"{totals['merged']:,}, duplicates {totals['duplicates']:,}, "
        f"outliers {totals['outliers']:,}"
    )
    for run in report.runs:
        click.echo(
            f"  run {run.run_id} {run.source} {run.status} {run.started_at[:19]}: read {run.read:,}"
            f", accepted {run.accepted:,} ({run.acceptance_rate:.1%}), quarantined "
            f"{run.quarantined:,}, merged {run.merged:,}, outliers {run.outliers:,}"
        )
        for code, count in sorted(run.quarantine_by_code.items(), key=lambda kv: -kv[1]):
            click.echo(f"      {code}: {count:,}")
    for kind, rates in report.latest_missing_rates.items():
        worst = sorted(((r, f) for f, r in rates.items() if r > 0), reverse=True)[:5]
        if worst:
            click.echo(f"  missing in {kind}: " + ", ".join(f"{f} {r:.1%}" for r, f in worst))
    for row in rows:
        click.echo(f"  [{row.code}] {row.kind} {row.locator} {row.field or ''}: {row.reason}")
