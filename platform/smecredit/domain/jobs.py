"""Background jobs, as the domain knows them: their kinds, their states and the moves between.

A job is one piece of background work (a close of business, a warning scan, a sync...)
that the job supervisor (:mod:`smecredit.services.jobs`) runs. Its state moves only
forward, along :data:`TRANSITIONS`::

    queued --> running --> succeeded | failed | cancelled | interrupted
      \\--------------------> failed | cancelled | interrupted

``cancelled`` is what a person asked for (``cancelJob``); ``interrupted`` is what the
server's shutdown (or the death of the process that ran it) did. Both are final: the
domain run a job drives (a COB run, a sync run) knows how to resume, the job does not.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from smecredit.domain.errors import CodedError, InvalidTransition

__all__ = [
    "FINAL_STATES",
    "RUN_TYPES",
    "TRANSITIONS",
    "JobFailed",
    "JobKind",
    "JobState",
    "can_move",
    "check_move",
    "is_final",
]


class JobKind(enum.Enum):
    """What a job does (the GraphQL enum ``JobKind`` has these names)."""

    COB = "cob"
    WARNING_SCAN = "warning_scan"
    WEIGHT_PROPOSAL = "weight_proposal"
    SYNC = "sync"
    REFRESH = "refresh"
    TRAINING = "training"
    BACKUP = "backup"
    COMPLIANCE_CHECK = "compliance_check"
    DECISION_FEEDBACK = "decision_feedback"
    REPORT = "report"


class JobState(enum.Enum):
    """Where a job is in its life (the GraphQL enum ``JobState`` has these names)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


_ENDS = frozenset({JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED})

#: state -> the states a job may move to from it.
TRANSITIONS: Mapping[JobState, frozenset[JobState]] = MappingProxyType(
    {
        JobState.QUEUED: frozenset({JobState.RUNNING, *_ENDS}),
        JobState.RUNNING: frozenset({JobState.SUCCEEDED, *_ENDS}),
        JobState.SUCCEEDED: frozenset(),
        JobState.FAILED: frozenset(),
        JobState.CANCELLED: frozenset(),
        JobState.INTERRUPTED: frozenset(),
    }
)

#: The states a job never leaves.
FINAL_STATES: frozenset[JobState] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

#: Kind -> the GraphQL type of the domain run row a job of that kind drives (its global
#: id names the run); kinds absent here have no run row of their own.
RUN_TYPES: Mapping[JobKind, str] = MappingProxyType(
    {
        JobKind.COB: "CobRun",
        JobKind.WARNING_SCAN: "WarningScanRun",
        JobKind.WEIGHT_PROPOSAL: "WeightProposal",
        JobKind.SYNC: "SyncRun",
        JobKind.REFRESH: "RefreshJob",
        JobKind.COMPLIANCE_CHECK: "ComplianceRun",
        JobKind.REPORT: "ReportRun",
    }
)


def is_final(state: JobState) -> bool:
    """Whether ``state`` is one a job never leaves."""
    return state in FINAL_STATES


def can_move(current: JobState, target: JobState) -> bool:
    """Whether a job in ``current`` may move to ``target``."""
    return target in TRANSITIONS[current]


def check_move(current: JobState, target: JobState) -> None:
    """Refuse a move the state machine does not have.

    Raises:
        InvalidTransition: ``INVALID_TRANSITION`` naming both states.
    """
    if not can_move(current, target):
        raise InvalidTransition(
            f"a {current.value} job cannot become {target.value}",
            params={"state": current.value, "target": target.value},
        )


class JobFailed(CodedError):
    """The work of a job reported a failure it had recorded itself (a proposal, a refresh
    or a training run that ends ``failed`` rather than raising): the job records its code."""

    code = "JOB_FAILED"
