"""The job supervisor: the one owner of background work.

Every kind of background work (close of business, warning scans, weight proposals, syncs
and the rescoring after them, model training) is started through :meth:`JobSupervisor.start`,
which writes one row of the job table (:class:`~smecredit.models.Job`), hands the work to
a :class:`Runner` and records how it ended: ``succeeded`` with its result, ``failed`` with
the error's code and message, ``cancelled`` (:meth:`JobSupervisor.cancel`) or
``interrupted`` (:meth:`JobSupervisor.shutdown`, which the application's lifespan calls).

The work is a coroutine function taking a :class:`JobControl`, through which it reports
progress (``control.progress(done, total)``). The domain run a job drives keeps its own
domain results and resumption rules; the job row is the record of the work.

The runner is the seam for a distributed queue: :class:`InProcessRunner` runs each job as
an asyncio task of this process; a queue-backed runner would submit the job id to workers
that load the same work, and deliver cancellations to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.errors import CodedError, InvalidTransition, PreconditionFailed
from smecredit.domain.jobs import JobKind, JobState, is_final
from smecredit.errors import ApiError, error_code
from smecredit.services import audit
from smecredit.services.jobs import records

__all__ = [
    "InProcessRunner",
    "JobControl",
    "JobHandle",
    "JobStopped",
    "JobSupervisor",
    "Runner",
    "ShuttingDown",
    "Work",
]

log = logging.getLogger(__name__)

#: The work of a job: a coroutine function of its control.
Work = Callable[["JobControl"], Awaitable[Any]]

#: Seconds between two writes of a running job's progress to its row (the supervisor's
#: watchers see every report at once; the row, which other processes read, lags this much).
PROGRESS_EVERY = 0.5


class ShuttingDown(ApiError):
    """The server is stopping: it starts no new background work."""

    code = "SHUTTING_DOWN"


class JobStopped(CodedError):
    """The job a caller waited for was cancelled or interrupted."""

    code = "JOB_STOPPED"


class Runner(Protocol):
    """Runs jobs somewhere: the seam a distributed queue plugs into.

    The supervisor owns the job rows; a runner only runs ``body`` (which records the
    outcome itself) and stops it when asked.
    """

    def submit(self, job_id: int, body: Callable[[], Awaitable[Any]]) -> None:
        """Start running ``body`` for job ``job_id``."""

    def cancel(self, job_id: int) -> bool:
        """Stop job ``job_id``; False when this runner does not run it."""

    def is_running(self, job_id: int) -> bool:
        """Whether this runner runs job ``job_id`` now."""

    async def join(self, job_id: int) -> Any:
        """Wait for job ``job_id`` to end; its body's value (or its exception)."""

    async def stop(self) -> None:
        """Stop every job and wait until each has recorded how it ended."""

    async def idle(self) -> None:
        """Wait until no job runs (tests, tools)."""


class InProcessRunner:
    """Each job is an asyncio task of this process (kept referenced until it ends)."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[Any]] = {}

    def submit(self, job_id: int, body: Callable[[], Awaitable[Any]]) -> None:
        task = asyncio.ensure_future(body())
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    def task(self, job_id: int) -> asyncio.Task[Any] | None:
        """The task of job ``job_id`` while it runs."""
        return self._tasks.get(job_id)

    def cancel(self, job_id: int) -> bool:
        task = self._tasks.get(job_id)
        if task is None:
            return False
        task.cancel()
        return True

    def is_running(self, job_id: int) -> bool:
        return job_id in self._tasks

    async def join(self, job_id: int) -> Any:
        task = self._tasks.get(job_id)
        if task is None:
            return None
        # Shielded: a caller that stops waiting does not stop the job.
        return await asyncio.shield(task)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)


@dataclass(eq=False)
class JobControl:
    """What a job's work holds: its id, and where it reports progress.

    ``progress`` may be called from a worker thread (CPU-bound training does).
    """

    job_id: int
    _supervisor: JobSupervisor
    done: int = 0
    total: int | None = None
    cancelled_by: str | None = None
    _flush: asyncio.Task[None] | None = field(default=None, repr=False)

    def progress(self, done: int, total: int | None = None) -> None:
        """Report ``done`` units of ``total`` (None: keep the total known so far)."""
        self.done = int(done)
        if total is not None:
            self.total = int(total)
        self._supervisor._progressed(self)


@dataclass(frozen=True)
class JobHandle:
    """A started job: its row as created, and a way to wait for its end in this process."""

    row: models.Job
    _supervisor: JobSupervisor

    @property
    def id(self) -> int:
        """The job's id."""
        return self.row.id

    async def outcome(self) -> Any:
        """Wait for the job's end; the work's value, or the exception it raised."""
        return await self._supervisor.outcome(self.row.id)

    async def wait(self) -> None:
        """Wait for the job's end, however it ended (never raises for the job's failure)."""
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self._supervisor.runner.join(self.row.id)


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc or type(exc).__name__)


class JobSupervisor:
    """Starts, follows, cancels and stops background jobs (see the module docstring)."""

    def __init__(self, runner: Runner | None = None, *, progress_every: float = PROGRESS_EVERY):
        self.runner: Runner = runner if runner is not None else InProcessRunner()
        self.progress_every = progress_every
        self._controls: dict[int, JobControl] = {}
        self._watchers: dict[int, set[asyncio.Event]] = {}
        self._outcomes: dict[int, Any] = {}
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._services: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> int:
        """Start serving: mark jobs left by dead processes of this host ``interrupted``."""
        self._closing = False
        return await records.reap_dead()

    def keep(self, loop: Awaitable[Any], *, name: str) -> asyncio.Task[Any]:
        """Run a long-lived loop of the server (a schedule) until shutdown.

        A schedule is not a job (it has no end to record); the jobs it starts are.
        """
        task = asyncio.ensure_future(loop)
        task.set_name(name)
        self._services.add(task)
        task.add_done_callback(self._services.discard)
        return task

    async def shutdown(self) -> None:
        """Stop the schedules, then every running job (each records ``interrupted``);
        start no new ones."""
        self._closing = True
        services = list(self._services)
        for task in services:
            task.cancel()
        await self.runner.stop()
        await asyncio.gather(*services, return_exceptions=True)
        # A job stopped before its work began (cancelled in the same tick) recorded nothing.
        with contextlib.suppress(Exception):
            await records.end_open(
                list(self._controls),
                JobState.INTERRUPTED,
                code="INTERRUPTED",
                message="the server stopped",
            )

    async def idle(self) -> None:
        """Wait until no job runs (tests and tools)."""
        await self.runner.idle()

    @property
    def closing(self) -> bool:
        """Whether the supervisor was shut down (it refuses new jobs)."""
        return self._closing

    # ---------------------------------------------------------------------- start

    async def start(
        self,
        kind: JobKind,
        work: Work,
        *,
        started_by: Any,
        params: Mapping[str, Any] | None = None,
        run_id: int | None = None,
    ) -> JobHandle:
        """Record a job and run ``work`` in the background.

        Args:
            kind: what the job does.
            work: the coroutine function to run, given the job's :class:`JobControl`.
            started_by: who started it (a principal, or a name such as ``system``).
            params: what it was asked to do (stored as JSON, shown to clients).
            run_id: the domain run row it drives, if its kind has one.

        Raises:
            ShuttingDown: ``SHUTTING_DOWN`` once the server is stopping.
        """
        if self._closing:
            raise ShuttingDown("the server is stopping: it starts no background work")
        self._bind_loop()
        who = str(getattr(started_by, "username", None) or started_by or "system")
        row = await records.create(kind, started_by=who, params=params, run_id=run_id)
        control = JobControl(row.id, self)
        self._controls[row.id] = control
        self.runner.submit(row.id, lambda: self._run(row, work, control))
        return JobHandle(row, self)

    async def _run(self, row: models.Job, work: Work, control: JobControl) -> Any:
        job_id = row.id
        try:
            if not await records.move(job_id, JobState.RUNNING):
                return None  # cancelled before it began
            self._notify(job_id)
            value = await work(control)
        except asyncio.CancelledError:
            await self._end_cancelled(control)
            raise
        except Exception as exc:
            code = error_code(exc) or "JOB_FAILED"
            if code == "JOB_FAILED" and not isinstance(exc, CodedError):
                log.exception("job %s (%s) failed", job_id, row.kind)
            self._outcomes[job_id] = exc
            await self._settle(
                control, JobState.FAILED, error_code=code, error_message=_message(exc)
            )
            return None
        else:
            self._outcomes[job_id] = value
            await self._settle(control, JobState.SUCCEEDED, result=value)
            return value
        finally:
            self._forget(job_id)

    async def _end_cancelled(self, control: JobControl) -> None:
        if control.cancelled_by is not None:
            state, code = JobState.CANCELLED, "CANCELLED"
            message = f"cancelled by {control.cancelled_by}"
        else:
            state, code, message = JobState.INTERRUPTED, "INTERRUPTED", "the server stopped"
        self._outcomes[control.job_id] = asyncio.CancelledError(message)
        with contextlib.suppress(Exception):
            await self._settle(control, state, error_code=code, error_message=message)

    async def _settle(self, control: JobControl, state: JobState, **changes: Any) -> None:
        """Record how a job ended, even when a cancellation (a shutdown) arrives while the
        record is being written: the work is over, so its outcome is what the row must say
        (else the row stayed ``running``, the job forgotten by the shutdown's sweep)."""
        record = asyncio.ensure_future(self._finish(control, state, **changes))
        try:
            await asyncio.shield(record)
        except asyncio.CancelledError:
            await record
            raise

    async def _finish(self, control: JobControl, state: JobState, **changes: Any) -> None:
        flush = control._flush
        if flush is not None and not flush.done():
            flush.cancel()
        figures: dict[str, Any] = {"done": control.done, "total": control.total}
        if state is JobState.SUCCEEDED and control.total is not None:
            figures["done"] = max(control.done, control.total)
        try:
            await records.move(control.job_id, state, **figures, **changes)
        except Exception:  # the work's outcome must not be lost to a failed record
            log.exception("job %s: could not record it %s", control.job_id, state.value)
        self._notify(control.job_id)

    def _forget(self, job_id: int) -> None:
        self._controls.pop(job_id, None)
        # Keep a bounded number of outcomes for outcome() callers that come late.
        while len(self._outcomes) > 1000:
            self._outcomes.pop(next(iter(self._outcomes)))

    # ------------------------------------------------------------------- progress

    def _bind_loop(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()

    def _progressed(self, control: JobControl) -> None:
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._progressed, control)
            return
        self._notify(control.job_id)
        if control._flush is None or control._flush.done():
            control._flush = asyncio.ensure_future(self._flush_later(control))

    async def _flush_later(self, control: JobControl) -> None:
        await asyncio.sleep(self.progress_every)
        with contextlib.suppress(Exception):  # progress is advisory; the end is recorded
            await records.set_progress(control.job_id, control.done, control.total)

    def live(self, job_id: int) -> JobControl | None:
        """The control of a job this process runs (its progress before the row has it)."""
        return self._controls.get(job_id)

    def _notify(self, job_id: int) -> None:
        for event in self._watchers.get(job_id, ()):
            event.set()

    @contextlib.asynccontextmanager
    async def watching(self, job_id: int) -> AsyncIterator[asyncio.Event]:
        """An event set whenever job ``job_id`` (run here) reports progress or moves."""
        event = asyncio.Event()
        self._watchers.setdefault(job_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._watchers.get(job_id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    self._watchers.pop(job_id, None)

    # --------------------------------------------------------------------- ending

    async def outcome(self, job_id: int) -> Any:
        """Wait for job ``job_id`` (run here) to end; the work's value or its exception."""
        try:
            await self.runner.join(job_id)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the waiter itself is being stopped
        outcome = self._outcomes.get(job_id)
        if isinstance(outcome, asyncio.CancelledError):
            # The job was stopped, not the waiter: an error it can handle like others.
            raise JobStopped(str(outcome))
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def cancel(self, job_id: int, by: Any, *, wait: float = 10.0) -> models.Job:
        """Cancel a queued or running job on behalf of ``by``; audited (``job.cancel``).

        The request (who, and the audit row) commits in one transaction; the job then
        records ``cancelled`` as its work stops. A job that runs in another process
        cannot be reached by this in-process runner.

        Raises:
            InvalidTransition: ``INVALID_TRANSITION`` for a job that already ended.
            PreconditionFailed: ``PRECONDITION_FAILED`` for a job another process runs.
        """
        who = str(getattr(by, "username", None) or by)
        row = await models.Job.get(id=job_id)
        state = JobState(row.state)
        if is_final(state):
            raise InvalidTransition(
                f"job {job_id} is {state.value} already: only a queued or running job "
                "can be cancelled",
                params={"state": state.value},
            )
        here = self.runner.is_running(job_id)
        # Not running here: ours with its task gone, or its process dead, the row ends
        # now; a live process elsewhere is out of this runner's reach.
        if not here and row.owner != records.owner_id() and not records.process_gone(row.owner):
            raise PreconditionFailed(
                f"job {job_id} runs in another process ({row.owner}): cancel it there"
            )
        async with in_transaction() as conn:
            if here:
                await models.Job.filter(id=job_id).using_db(conn).update(cancelled_by=who[:64])
            else:  # nothing runs it any more: the row ends now
                await records.move(
                    job_id,
                    JobState.CANCELLED,
                    connection=conn,
                    cancelled_by=who[:64],
                    error_code="CANCELLED",
                    error_message=f"cancelled by {who}",
                )
            await audit.record(
                by,
                "job.cancel",
                f"Job:{job_id}",
                before={"state": state.value},
                after={"kind": row.kind, "requested_by": who},
                connection=conn,
            )
        if here:
            control = self._controls.get(job_id)
            if control is not None:
                control.cancelled_by = who
            self.runner.cancel(job_id)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self.runner.join(job_id), wait)
            if not self.runner.is_running(job_id):  # stopped before its work began
                await records.move(
                    job_id,
                    JobState.CANCELLED,
                    error_code="CANCELLED",
                    error_message=f"cancelled by {who}",
                )
        self._notify(job_id)
        return await models.Job.get(id=job_id)
