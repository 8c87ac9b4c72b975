"""Batch scoring in worker processes.

Reading a firm's evidence, computing its features and predicting with SHAP reasons are all
Python work that holds the GIL, so threads cannot overlap them. For a large book,
:func:`score_in_processes` hands chunks of firm ids to worker processes instead: each
worker opens its own database connection (the same configuration as the caller), reads
the chunk's evidence, computes features and predicts, and sends back plain score tuples.
The calling process only writes the scores, so writing overlaps the workers' reading and
computing, and every core of the machine works.

Workers are started with ``spawn`` (never ``fork``): the caller runs an event loop and
database driver threads, which a forked child must not inherit. They are plain processes
with a task queue rather than a ``ProcessPoolExecutor``, because a worker must close its
database connection before it exits (the driver's thread would otherwise keep it alive)
and a pool gives no hook for that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import queue
import traceback
from collections.abc import Awaitable, Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any

from tortoise import Tortoise, connections

from smecredit.db import APP_LABEL
from smecredit.errors import ApiError

__all__ = ["ScoreTuple", "WorkerFailed", "database_config", "score_in_processes"]

#: (firm id, model name, model version, PD, points, grade, reasons)
ScoreTuple = tuple[int, str, str, float, int, str, list[dict[str, Any]]]

#: Seconds between checks that the workers are still alive while waiting for a result.
_POLL = 1.0
#: Seconds a worker gets to close its connection and exit before it is terminated.
_EXIT_GRACE = 30.0


class WorkerFailed(ApiError):
    """A scoring worker raised or died; nothing of its chunk was written."""

    code = "SCORING_WORKER_FAILED"


def database_config() -> dict[str, Any]:
    """The Tortoise configuration of the caller's open connections, to open them elsewhere."""
    return {
        "connections": dict(connections.db_config),
        "apps": {
            APP_LABEL: {"models": ["smecredit.models"], "default_connection": "default"},
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _worker_main(
    config: dict[str, Any],
    versions: Sequence[Any],
    day: dt.date,
    explain: bool,
    tasks: multiprocessing.Queue[tuple[int, list[int]] | None],
    results: multiprocessing.Queue[tuple[int, int, list[ScoreTuple] | None, str | None]],
) -> None:
    """A worker process: score the chunks it is given until it gets ``None``."""
    # Imported here, in the child: importing scoring at module level would be circular.
    from smecredit.services.scoring.features import load_profiles
    from smecredit.services.scoring.scoring import score_profiles

    # The caller reads every result before it asks the workers to stop, except after a
    # failure, when unread results may be dropped: never block the exit flushing them.
    results.cancel_join_thread()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(Tortoise.init(config=config, _enable_global_fallback=True))
        while (task := tasks.get()) is not None:
            number, firm_ids = task
            try:
                profiles = loop.run_until_complete(load_profiles(firm_ids))
                scores = score_profiles(profiles, day, versions, explain, None)
                results.put((number, len(profiles), scores, None))
            except Exception:  # reported to the caller, which stops everything
                results.put((number, 0, None, traceback.format_exc()))
    except Exception:
        results.put((-1, 0, None, traceback.format_exc()))
    finally:
        loop.run_until_complete(Tortoise.close_connections())
        loop.close()


def _stop(processes: Sequence[BaseProcess], tasks: multiprocessing.Queue[Any]) -> None:
    for _ in processes:
        tasks.put(None)
    for process in processes:
        process.join(_EXIT_GRACE)
        if process.is_alive():
            process.terminate()
            process.join()


async def score_in_processes(
    chunks: Sequence[list[int]],
    day: dt.date,
    versions: Sequence[Any],
    *,
    explain: bool,
    workers: int,
    write: Callable[[list[ScoreTuple]], Awaitable[None]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score ``chunks`` of firm ids in ``workers`` processes; ``write`` each chunk's scores.

    At most ``workers + 1`` chunks are in flight, so memory stays bounded whatever the
    size of the book; chunks are written in the order they finish. Returns firms scored.

    Raises:
        WorkerFailed: a worker raised (its traceback is in the message) or died. Chunks
            written before stay written: each is a complete set of scores.
    """
    context = multiprocessing.get_context("spawn")
    tasks: multiprocessing.Queue[tuple[int, list[int]] | None] = context.Queue()
    # If every worker died, chunks still queued are never read: do not block this
    # process's exit flushing them (while a worker lives, it reads them all).
    tasks.cancel_join_thread()
    results: multiprocessing.Queue[tuple[int, int, list[ScoreTuple] | None, str | None]] = (
        context.Queue()
    )
    args = (database_config(), list(versions), day, explain, tasks, results)
    processes = [
        context.Process(target=_worker_main, args=args, name=f"smecredit-scoring-{n}")
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    loop = asyncio.get_running_loop()
    queued = iter(enumerate(chunks))
    in_flight = done = 0

    def submit() -> None:
        nonlocal in_flight
        item = next(queued, None)
        if item is not None:
            tasks.put(item)
            in_flight += 1

    def next_result() -> tuple[int, int, list[ScoreTuple] | None, str | None]:
        while True:
            try:
                return results.get(timeout=_POLL)
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    codes = [p.exitcode for p in processes]
                    raise WorkerFailed(f"every scoring worker died (exit codes {codes})") from None

    try:
        for _ in range(workers + 1):
            submit()
        while in_flight:
            number, found, scores, error = await loop.run_in_executor(None, next_result)
            if error is not None:
                raise WorkerFailed(f"scoring worker failed on batch {number}:\n{error}")
            assert scores is not None
            in_flight -= 1
            submit()
            await write(scores)
            done += found
            if progress is not None:
                progress(done)
    finally:
        await loop.run_in_executor(None, _stop, processes, tasks)
    return done
