"""The queue in the jobs table: claims never overlap, leases expire, children close once."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store
from impulator.jobs import _queue as queue
from tests.postgres import PostgresCluster

_names = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'impulator.sqlite'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.create_database(f"impulator_queue_{next(_names)}")
    store.upgrade(url)
    return sa.create_engine(url, poolclass=NullPool)


def _batch(engine: sa.Engine, n: int = 3, priority: int = 5) -> int:
    with engine.begin() as conn:
        return queue.insert_batch(
            conn,
            {"owner": "ana", "input_data": {"options": {"similarity": 0.9}}},
            [{"row": i + 1, "query": f"CHEMBL{i}"} for i in range(n)],
            priority=priority,
        )


def test_claim_takes_the_oldest_most_urgent_parent_once(engine: sa.Engine) -> None:
    first, urgent = _batch(engine), _batch(engine, priority=1)
    with engine.begin() as conn:
        lease = queue.claim(conn, "r1")
    assert lease is not None and lease.job_id == urgent and lease.owner == "ana"
    with engine.begin() as conn:
        second = queue.claim(conn, "r2")
        assert second is not None and second.job_id == first
        assert queue.claim(conn, "r3") is None  # children are never claimed on their own
        assert queue.status_counts(conn, first) == {"queued": 3}
        assert [r.input_data["row"] for r in queue.pending_children(conn, first)] == [1, 2, 3]


def test_a_silent_runner_loses_its_job_and_learns_it(engine: sa.Engine) -> None:
    job = _batch(engine)
    with engine.begin() as conn:
        lease = queue.claim(conn, "r1")
    assert lease is not None
    with engine.begin() as conn:
        assert queue.claim(conn, "r2", stale_after=30) is None  # r1's heartbeat is fresh
    time.sleep(0.3)
    with engine.begin() as conn:
        taken = queue.claim(conn, "r2", stale_after=0.2)
    assert taken is not None and taken.job_id == job
    with engine.begin() as conn:
        assert queue.heartbeat(conn, lease, "r1", progress=50, step="x") is None
        assert queue.heartbeat(conn, taken, "r2", progress=50, step="y") == "processing"


def test_a_child_is_completed_once(engine: sa.Engine) -> None:
    job = _batch(engine, n=1)
    with engine.begin() as conn:
        child = queue.pending_children(conn, job)[0].id
        assert queue.finish_child(conn, child, "completed", result={"compound_id": 7})
        assert not queue.finish_child(conn, child, "completed", result={"compound_id": 8})
        assert queue.pending_children(conn, job) == []
        result = conn.execute(
            sa.select(store.Job.result_data).where(store.Job.id == child)
        ).scalar()
    assert result == {"compound_id": 7}


def test_cancelling_closes_unfinished_children(engine: sa.Engine) -> None:
    job = _batch(engine, n=3)
    with engine.begin() as conn:
        child = queue.pending_children(conn, job)[0].id
        queue.finish_child(conn, child, "completed")
        queue.finish_job(conn, job, "cancelled")
        assert queue.status_counts(conn, job) == {"completed": 1, "cancelled": 2}


def test_concurrent_claims_skip_locked_rows(postgres: PostgresCluster) -> None:
    url = postgres.create_database(f"impulator_queue_{next(_names)}")
    store.upgrade(url)
    engine = sa.create_engine(url, pool_size=10)
    jobs = {_batch(engine, n=1) for _ in range(20)}
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while True:
            with engine.begin() as conn:
                lease = queue.claim(conn, name)
                if lease is None:
                    return
                time.sleep(0.01)  # hold the row lock while the other runners look
            with lock:
                claimed.append(lease.job_id)

    threads = [threading.Thread(target=work, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sorted(claimed) == sorted(jobs)
