"""``smecredit report``: list the installed report types, run one into a file.

``report run`` goes through the same use case as ``runReport`` (operation ``report.run``
and one of the type's roles, validated parameters, a job, an audited artefact): as the
platform (``system``) by default, or as a named account with ``--as USER``. The written
file is copied to ``--out`` and counted as a download.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import command_registry, settings_or_exit
from smecredit.cli.warnings import run_with_db

__all__ = ["report_group"]


@click.group(name="report", help="List report types; run a report into a file.")
def report_group() -> None:
    """``smecredit report``."""


@report_group.command(name="list", help="The installed report types.")
def list_command() -> None:
    settings = settings_or_exit()
    registry = command_registry(settings)
    types = registry.report_types
    if not types:
        click.echo("no report types installed")
        return
    for name in sorted(types):
        rtype = types[name]
        params = ", ".join(
            f"{p.name}:{p.kind}{'*' if p.required and p.default is None else ''}"
            for p in rtype.params
        )
        click.echo(
            f"{name}\t{rtype.title_en}\t{'/'.join(rtype.formats)}\t"
            f"roles={','.join(rtype.roles)}\tparams={params or '-'}"
        )


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        if name.strip() in out:
            raise click.BadParameter(f"{name.strip()!r} is given twice", param_hint="--param")
        out[name.strip()] = value
    return out


@report_group.command(name="run", help="Run report NAME and write it to --out.")
@click.argument("name")
@click.option("--param", "pairs", multiple=True, metavar="NAME=VALUE", help="A parameter.")
@click.option(
    "--format", "fmt", default="xlsx", show_default=True, type=click.Choice(["csv", "xlsx", "pdf"])
)
@click.option("--language", default="zh", show_default=True, type=click.Choice(["zh", "en"]))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--as",
    "acting_as",
    default=None,
    metavar="USER",
    help="Run as this user account (default: the platform itself).",
)
def run_command(
    name: str,
    pairs: tuple[str, ...],
    fmt: str,
    language: str,
    out: Path,
    acting_as: str | None,
) -> None:
    settings = settings_or_exit()
    registry = command_registry(settings)
    params = _params(pairs)

    async def work() -> Any:
        from smecredit.services.actors import acting_user
        from smecredit.services.jobs import JobSupervisor
        from smecredit.services.lending.cob import business_today
        from smecredit.services.policies import reload_policies
        from smecredit.services.reports.runs import open_download, run_report

        await reload_policies(audit=False)  # the field policy as the server has it
        principal = (
            await acting_user(acting_as, "report.run") if acting_as else as_platform("report.run")
        )
        supervisor = JobSupervisor()
        await supervisor.open()
        run = await run_report(
            principal,
            name,
            params,
            fmt,
            language,
            supervisor=supervisor,
            plugins=registry,
            settings=settings,
            today=business_today(settings),
        )
        await supervisor.outcome(run.job_id or 0)
        done, path = await open_download(principal, run.id, settings)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        return done

    started = dt.datetime.now(dt.UTC)
    done = run_with_db(settings, work)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    click.echo(
        f"report {name} run {done.id}: {done.size} bytes to {out} in {seconds:.1f}s "
        f"(data sha256 {done.content_hash})"
    )
