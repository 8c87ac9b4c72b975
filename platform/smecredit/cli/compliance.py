"""``smecredit compliance run``: the compliance checks in the foreground, for operators."""

from __future__ import annotations

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import run_with_db, settings_or_exit

__all__ = ["compliance"]


@click.group(help="Compliance checks of the platform itself (docs/compliance.md).")
def compliance() -> None:
    """The ``compliance`` command group."""


@compliance.command("run", help="Run every compliance check; exits 1 when one fails.")
def run_command() -> None:
    from smecredit import models
    from smecredit.services import audit
    from smecredit.services.compliance.runs import run_checks

    settings = settings_or_exit()
    actor = as_platform("compliance.run")

    async def work() -> tuple[models.ComplianceRun, list[models.ComplianceResult]]:
        audit.configure(settings)
        run = await run_checks(actor, settings)
        return run, await models.ComplianceResult.filter(run_id=run.id).order_by("id")

    run, results = run_with_db(settings, work)
    for result in results:
        click.echo(f"{result.status:<15} {result.check_code:<24} {result.message}")
    score = "n/a" if run.overall_score is None else f"{run.overall_score:.1f}"
    click.echo(f"compliance run {run.id}: overall score {score}")
    if any(r.status in ("fail", "error") for r in results):
        raise SystemExit(1)
