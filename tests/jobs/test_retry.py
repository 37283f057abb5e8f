"""Retrying a job's failed compounds while a runner still works on it: the runner keeps the
job and picks them up (nothing redone); a finished job goes back to the queue."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from impulator import jobs
from impulator.jobs import _queue as queue
from impulator.jobs._runner import _Progress
from tests.jobs.test_runner import Platform, env  # noqa: F401 - env is a fixture
from tests.postgres import PostgresCluster

QUERIES = ["CCO", "CCN", "CCC"]


@pytest.fixture(scope="module")
def jobs_platform(postgres: PostgresCluster, request: pytest.FixtureRequest) -> Platform:
    request.getfixturevalue("env")
    return Platform(postgres)


def _parent(platform: Platform, job_id: int) -> sa.Row[tuple[str, str | None]]:
    engine = sa.create_engine(platform.admin)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT status, runner FROM jobs WHERE id = :id"), {"id": job_id}
            ).one()
    finally:
        engine.dispose()


def test_retry_during_a_run_keeps_the_runner_and_requeues_at_its_end(
    jobs_platform: Platform,
) -> None:
    platform = jobs_platform
    job = jobs.submit(QUERIES, url=platform.chem, pdb=False)
    runner = platform.runner_for(name="runner-retry")
    engine = sa.create_engine(platform.runner)
    try:
        with engine.begin() as conn:
            lease = queue.claim(conn, "runner-retry")
            assert lease is not None and lease.job_id == job.id
            children = queue.pending_children(conn, job.id)
            queue.finish_child(conn, children[0].id, "failed", error="scoring failed")
            for child in children[1:]:
                queue.finish_child(conn, child.id, "completed", result={})
    finally:
        engine.dispose()

    assert job.retry_failed() == 1
    assert tuple(_parent(platform, job.id)) == ("processing", "runner-retry")

    # The runner reaches its end with the retried compound queued: the job is not done.
    progress = _Progress(total=3, halt=threading.Event(), done=3)
    assert runner._close(lease, progress) == "queued"
    assert tuple(_parent(platform, job.id)) == ("queued", None)


def test_retry_after_the_end_puts_the_job_back_in_the_queue(jobs_platform: Platform) -> None:
    platform = jobs_platform
    job = jobs.submit(QUERIES[:1], url=platform.chem, pdb=False)
    engine = sa.create_engine(platform.runner)
    try:
        with engine.begin() as conn:
            lease = queue.claim(conn, "runner-end")
            assert lease is not None
            [child] = queue.pending_children(conn, job.id)
            queue.finish_child(conn, child.id, "failed", error="scoring failed")
            queue.finish_job(conn, job.id, "failed", result={})
    finally:
        engine.dispose()
    assert job.cancel() is False  # finished: nothing to cancel, status unchanged
    assert job.retry_failed() == 1
    assert tuple(_parent(platform, job.id)) == ("queued", None)
