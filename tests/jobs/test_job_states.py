"""The state machine of jobs: the domain's table, and the job table's writes that follow it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit import models
from smecredit.domain.errors import InvalidTransition
from smecredit.domain.jobs import FINAL_STATES, TRANSITIONS, JobKind, JobState, can_move, check_move
from smecredit.services.jobs import records

pytestmark = pytest.mark.anyio

STATES = st.sampled_from(list(JobState))


@given(st.lists(STATES, max_size=8))
def test_a_job_moves_only_forward_and_stops_at_a_final_state(moves: list[JobState]) -> None:
    state = JobState.QUEUED
    path = [state]
    for target in moves:
        if can_move(state, target):
            state = target
            path.append(state)
        else:
            with pytest.raises(InvalidTransition) as refused:
                check_move(state, target)
            assert refused.value.code == "INVALID_TRANSITION"
    # queued, at most running, then one final state: never back, never twice
    assert len(path) <= 3 and len(set(path)) == len(path)
    assert all(s not in FINAL_STATES for s in path[:-1])
    if path[-1] in FINAL_STATES:
        assert not TRANSITIONS[path[-1]]


def test_every_state_is_reachable_and_every_final_state_is_an_end() -> None:
    reachable = {JobState.QUEUED} | {t for nxt in TRANSITIONS.values() for t in nxt}
    assert reachable == set(JobState)
    assert {
        JobState.SUCCEEDED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.INTERRUPTED,
    } == FINAL_STATES
    assert not can_move(JobState.QUEUED, JobState.SUCCEEDED)  # work runs before it succeeds


@pytest.mark.parametrize("source", list(JobState))
async def test_the_table_moves_a_job_exactly_where_the_machine_allows(
    db: Any, source: JobState
) -> None:
    for target in JobState:
        row = await records.create(JobKind.COB, started_by="tester")
        await models.Job.filter(id=row.id).update(state=source.value)
        moved = await records.move(row.id, target)
        after = await models.Job.get(id=row.id)
        assert moved == can_move(source, target), (source, target)
        assert after.state == (target if moved else source).value
        assert (after.finished_at is not None) == (moved and target in FINAL_STATES)
