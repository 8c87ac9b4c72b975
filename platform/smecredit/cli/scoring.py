"""``smecredit model ...`` (train, list, promote, rollback, backtest, features doc) and
``smecredit score --all``.

Promotion and rollback change what scores every firm, so they act as a named user account
(``--as USERNAME``): the account must exist, be active and hold a role that may promote
models (the same check as the GraphQL mutations), and the audit trail names it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import command_registry, run_with_db, settings_or_exit

__all__ = ["model", "score"]


def _family(name: str) -> Any:
    models = command_registry(settings_or_exit()).scoring_models
    if name not in models:
        known = ", ".join(sorted(models)) or "none (install a scoring-model plugin)"
        raise click.UsageError(f"unknown model {name!r}; installed models: {known}")
    return models[name]


@click.group(help="Train, list and document scoring models.")
def model() -> None:
    """Scoring-model commands."""


@model.command("train")
@click.option(
    "--model",
    "model_name",
    default="catboost",
    show_default=True,
    help="Model family: catboost or scorecard (any installed scoring model).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Train on a labelled CSV instead of the platform's own book.",
)
@click.option("--target", help="Label column of the CSV (1/0, yes/no).")
@click.option("--date-column", help="Observation-date column of the CSV (time-based CV).")
@click.option("--id-column", help="Identifier column of the CSV (not a feature).")
@click.option(
    "--as-of",
    "as_of",
    multiple=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Observation date(s) for book training: features as of each date only (default: "
    "the latest date whose performance window the book has observed).",
)
@click.option(
    "--horizon",
    default=12,
    show_default=True,
    help="Performance window in months: a 90+ DPD default in it is the label.",
)
@click.option(
    "--out-of-time",
    "out_of_time",
    type=click.DateTime(["%Y-%m-%d"]),
    help="A later observation date held out of book training (default: the last --as-of "
    "plus the window, when the book has observed it).",
)
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option(
    "--use",
    default="application",
    show_default=True,
    type=click.Choice(["application", "behaviour"]),
)
@click.option("--created-by", default="cli", show_default=True)
def train(
    model_name: str,
    csv_path: Path | None,
    target: str | None,
    date_column: str | None,
    id_column: str | None,
    as_of: tuple[dt.datetime, ...],
    horizon: int,
    out_of_time: dt.datetime | None,
    folds: int,
    use: str,
    created_by: str,
) -> None:
    """Train, validate and register a candidate model version."""
    from smecredit.services.scoring import registry
    from smecredit.services.scoring.features import book_training_set
    from smecredit.services.scoring.training import (
        TrainingError,
        read_labelled_csv,
        train_and_validate,
    )

    as_platform("model.train")
    family = _family(model_name)
    if csv_path is not None and not target:
        raise click.UsageError("--csv needs --target (the label column)")
    settings = settings_or_exit()

    async def work() -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if csv_path is not None:
            assert target is not None
            data = read_labelled_csv(csv_path, target, date_column=date_column, id_column=id_column)
        else:
            book = await book_training_set(
                [d.date() for d in as_of] or None,
                performance_months=horizon,
                out_of_time_date=out_of_time.date() if out_of_time else None,
            )
            data = book.data
            extra = {
                "out_of_time": book.out_of_time,
                "design": {**book.window(), "out_of_time_note": book.out_of_time_note},
            }
        click.echo(f"training {model_name} on {len(data.y)} rows ({sum(data.y)} defaults)...")
        result = train_and_validate(family, data, folds=folds, use=use, **extra)
        version = await registry.register_version(
            model_name, result, use=use, created_by=created_by
        )
        return {
            "id": version.id,
            "version": version.version,
            **result.metrics["overall"],
            "out_of_time": result.metrics.get("out_of_time"),
            "leakage_flags": [f["message"] for f in version.leakage_flags],
        }

    try:
        summary = run_with_db(settings, work)
    except TrainingError as error:
        click.echo(f"{error.code}: {error.message}", err=True)
        sys.exit(1)
    click.echo(json.dumps(summary, indent=2))


@model.command("list")
def list_models() -> None:
    """List registered model versions."""
    from smecredit import models

    async def work() -> list[dict[str, Any]]:
        return (
            await models.ModelVersion.all()
            .order_by("id")
            .values("id", "name", "version", "use", "status", "created_by")
        )

    for row in run_with_db(settings_or_exit(), work):
        click.echo(
            f"{row['id']:>4}  {row['name']:<12} {row['version']:<6} {row['use']:<12} "
            f"{row['status']:<10} {row['created_by']}"
        )


def _fail(error: Exception) -> NoReturn:
    """Print a domain error as ``CODE: message`` and stop with status 1."""
    code = getattr(error, "code", None) or "ERROR"
    message = getattr(error, "message", None) or str(error)
    click.echo(f"{code}: {message}", err=True)
    sys.exit(1)


_AS_OPTION = click.option(
    "--as",
    "acting_as",
    required=True,
    metavar="USERNAME",
    help="The user account acting (must be an active risk analyst or administrator).",
)
_REASON_OPTION = click.option("--reason", default="", help="Why (kept with the change).")


@model.command("promote")
@click.argument("version_id", type=int)
@click.option(
    "--to",
    "to_status",
    default="champion",
    show_default=True,
    type=click.Choice(["champion", "challenger", "retired"]),
)
@_REASON_OPTION
@click.option(
    "--acknowledge-leakage",
    is_flag=True,
    help="Promote a version the leakage guard flagged (needs --reason).",
)
@_AS_OPTION
def promote(
    version_id: int, to_status: str, reason: str, acknowledge_leakage: bool, acting_as: str
) -> None:
    """Make a version champion (retiring the old one), challenger, or retire it.

    Champion and challenger need ``--reason`` and an account other than the trainer's; a
    version the leakage guard flagged also needs ``--acknowledge-leakage``.
    """
    from smecredit.domain.errors import DomainError
    from smecredit.errors import ApiError
    from smecredit.services import audit
    from smecredit.services.actors import acting_user
    from smecredit.services.scoring import registry

    settings = settings_or_exit()

    async def work() -> dict[str, Any]:
        audit.configure(settings)
        actor = await acting_user(acting_as, "model.promote")
        version = await registry.promote(
            version_id,
            to=to_status,
            actor=actor,
            reason=reason,
            acknowledge_leakage=acknowledge_leakage,
        )
        return {"id": version.id, "name": version.name, "version": version.version}

    try:
        done = run_with_db(settings, work)
    except (ApiError, DomainError) as error:  # FOUR_EYES, REASON_REQUIRED
        _fail(error)
    click.echo(f"{done['name']} {done['version']} (id {done['id']}) is now {to_status}")


@model.command("rollback")
@click.option(
    "--use",
    default="application",
    show_default=True,
    type=click.Choice(["application", "behaviour"]),
)
@_REASON_OPTION
@_AS_OPTION
def rollback(use: str, reason: str, acting_as: str) -> None:
    """Retire the champion and restore the one it replaced."""
    from smecredit.errors import ApiError
    from smecredit.services import audit
    from smecredit.services.actors import acting_user
    from smecredit.services.scoring import registry

    settings = settings_or_exit()

    async def work() -> dict[str, Any]:
        audit.configure(settings)
        actor = await acting_user(acting_as, "model.rollback")
        version = await registry.rollback(use, actor=actor, reason=reason)
        return {"id": version.id, "name": version.name, "version": version.version}

    try:
        done = run_with_db(settings, work)
    except ApiError as error:
        _fail(error)
    click.echo(f"{use} champion is {done['name']} {done['version']} (id {done['id']}) again")


@model.command("backtest")
@click.argument("version_id", type=int)
@click.option(
    "--as-of",
    "as_of",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Test the latest score of each firm made on or before this day (or, when the "
    "version stored none by then, its scores of the book as of the day).",
)
@click.option("--horizon", default=12, show_default=True, help="Outcome window in months.")
@click.option("--dpd", default=90, show_default=True, help="Days past due that make a default.")
def backtest(version_id: int, as_of: dt.datetime, horizon: int, dpd: int) -> None:
    """Predicted PD against realised defaults, grade by grade (binomial test per grade)."""
    from smecredit.errors import ApiError
    from smecredit.services.scoring.monitoring import BacktestReport, backtest_report

    async def work() -> BacktestReport:
        return await backtest_report(
            version_id, as_of.date(), horizon_months=horizon, dpd_threshold=dpd
        )

    try:
        report = run_with_db(settings_or_exit(), work)
    except ApiError as error:
        _fail(error)
    state = "complete" if report.complete else "NOT complete: later defaults are missing"
    click.echo(
        f"model version {report.model_version_id}, "
        + (
            f"scores on or before {report.as_of}, "
            if report.basis == "stored"
            else f"rescored as of {report.as_of} (no score stored by then), "
        )
        + f"defaults ({report.dpd_threshold}+ DPD or write-off) up to {report.window_end} "
        f"({state})"
    )
    click.echo(
        f"{'grade':<6}{'firms':>8}{'defaults':>10}{'predicted':>11}{'observed':>10}"
        f"{'p-value':>9}{'p(too low)':>12}"
    )
    for g in report.grades:
        click.echo(
            f"{g.grade:<6}{g.count:>8}{g.defaults:>10}{g.predicted_pd:>11.4%}"
            f"{g.observed_rate:>10.4%}{g.p_value:>9.3f}{g.p_value_underestimated:>12.3f}"
        )
    click.echo(
        f"{'all':<6}{report.count:>8}{report.defaults:>10}  expected defaults "
        f"{report.expected_defaults:.1f}"
    )


@model.command("features-doc")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
def features_doc(output: Path | None) -> None:
    """Write the feature catalogue as Markdown (docs/features.md)."""
    from smecredit.domain.features import features_markdown

    text = features_markdown()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@click.command("score", help="Score firms with the champion model (challengers in shadow).")
@click.option("--all", "score_everyone", is_flag=True, required=True, help="Score every firm.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@click.option(
    "--use",
    default="application",
    show_default=True,
    type=click.Choice(["application", "behaviour"]),
)
@click.option("--batch-size", default=2000, show_default=True)
@click.option("--no-shadow", is_flag=True, help="Do not score challengers.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes that read and score while this one writes "
    "(0: all in this process; default: one per core for a large book).",
)
def score(
    score_everyone: bool,
    as_of: dt.datetime | None,
    use: str,
    batch_size: int,
    no_shadow: bool,
    workers: int | None,
) -> None:
    """Batch scoring."""
    from smecredit.services.scoring.scoring import score_all

    as_platform("portfolio.score")

    def progress(done: int, total: int) -> None:
        click.echo(f"\rscored {done}/{total}", nl=done == total, err=True)

    settings = settings_or_exit()
    available = command_registry(settings).scoring_models

    async def work() -> int:
        return await score_all(
            as_of.date() if as_of else None,
            available=available,
            use=use,
            batch_size=batch_size,
            shadow=not no_shadow,
            progress=progress,
            workers=workers,
        )

    click.echo(f"{run_with_db(settings, work)} firms scored")
