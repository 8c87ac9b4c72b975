"""``smecredit import PATH --kind KIND``: batch import of a partner file (the files source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import command_registry, run_with_db, settings_or_exit
from smecredit.cli.sync_output import ProgressLine, echo_summary, exit_status
from smecredit.domain.cleaning import KINDS

__all__ = ["OPERATION", "count_data_lines", "import_command"]

#: The operation ``smecredit import`` takes (``COMMAND_OPERATIONS["import"]``).
OPERATION = "data.import"
_CHUNK = 1 << 20


def count_data_lines(path: Path) -> int | None:
    """Rows in a CSV file (lines minus the header), for the progress total; None for xlsx.

    A quoted cell spanning lines makes this an over-estimate, which only affects display.
    """
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return None
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


@click.command(
    name="import",
    help="Import a partner CSV/xlsx file through the files source (as the platform itself). "
    "Exit status: 0 every record taken in, 2 finished with records quarantined, "
    "1 failed or interrupted.",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(KINDS), help="What the file holds.")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML header mapping extending the default one.",
)
@click.option("--encoding", default=None, help="CSV encoding (default: detect UTF-8 / GBK).")
@click.option("--sheet", default=None, help="xlsx sheet (default: the first).")
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Continue an interrupted import of the same file after its last committed batch "
    "(also one whose process died).",
)
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1))
def import_command(
    path: Path,
    kind: str,
    mapping: Path | None,
    encoding: str | None,
    sheet: str | None,
    resume: bool,
    batch_size: int,
) -> None:
    from smecredit.errors import ApiError
    from smecredit.services.ingestion.sync import IngestionError, run_sync

    actor = as_platform("data.import")
    settings = settings_or_exit()
    registry = command_registry(settings)
    options: dict[str, Any] = {}
    if mapping is not None:
        options["mapping"] = str(mapping.resolve())
    if encoding:
        options["encoding"] = encoding
    if sheet:
        options["sheet"] = sheet
    total = count_data_lines(path) if path.is_file() else None
    progress = ProgressLine(path.name)

    async def work() -> Any:
        return await run_sync(
            registry,
            "files",
            settings=options,
            path=path,
            kind=kind,
            resume=resume,
            batch_size=batch_size,
            progress=progress,
            total=total,
            actor=actor,
            operation=OPERATION,
            stale_after=settings.sync_stale_after,
            platform_settings=settings,
        )

    try:
        result = run_with_db(settings, work)
    except (IngestionError, ApiError) as error:
        raise click.ClickException(f"{error.code}: {error}") from None
    finally:
        progress.close()
    echo_summary(result, source="files")
    if result.refresh_job_id is not None:
        click.echo(f"refresh job {result.refresh_job_id}: {result.refresh_status}")
    raise SystemExit(exit_status(result))
