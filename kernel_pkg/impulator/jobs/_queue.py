"""The job queue is the ``jobs`` table: submit, claim, heartbeat, finish, re-queue.

A batch is a parent job (``job_type="batch"``) with one child per valid input row
(``job_type="compound"``). One child per compound, rather than per chunk, because a child is
the unit of exactly-once storage: a child's compound and the child's ``completed`` status are
written in one transaction, so after any crash a child is either done (and never redone) or not
started. Chunks are a scheduling choice of the runner, not something stored: the runner writes
a chunk's children in one transaction (locked first, so a child done meanwhile is left alone),
which keeps that guarantee for each of them.

Runners claim parent jobs with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has a
single writer), keep a lease by heartbeating, and take over a job whose runner's heartbeat is
older than ``stale_after`` seconds. All times are written by the runners' clocks (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from impulator.store import Job, JobState

__all__ = [
    "CHANNEL",
    "Lease",
    "claim",
    "finish_child",
    "finish_children",
    "finish_job",
    "heartbeat",
    "insert_batch",
    "lock_pending_child",
    "lock_pending_children",
    "notify",
    "pending_children",
    "queue_depth",
    "release",
    "status_counts",
]

#: The PostgreSQL LISTEN/NOTIFY channel that tells runners a job is waiting.
CHANNEL = "impulator_jobs"
_jobs = cast(sa.Table, Job.__table__)
#: States of a job still to do.
_RUNNING = tuple(state for state in JobState if state.running)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Lease:
    """A parent job a runner holds: its id, owner and the options it was submitted with."""

    job_id: int
    owner: str
    input_data: dict[str, Any]


def insert_batch(
    conn: sa.Connection,
    parent: Mapping[str, Any],
    children: Sequence[Mapping[str, Any]],
    *,
    priority: int = 5,
) -> int:
    """Insert a queued batch (its ``input_data`` and one child per row); returns its id.

    ``parent`` may hold ``input_data`` and ``result_data``; each child is the child's
    ``input_data``. The owner is the current database user on PostgreSQL (column default);
    ``parent["owner"]`` is used where given (SQLite).
    """
    owner = {"owner": parent["owner"]} if parent.get("owner") else {}
    job_id = conn.execute(
        sa.insert(_jobs)
        .values(
            job_type="batch",
            status=JobState.QUEUED,
            priority=priority,
            progress=0,
            current_step="queued",
            input_data=parent.get("input_data", {}),
            result_data=parent.get("result_data", {}),
            **owner,
        )
        .returning(_jobs.c.id)
    ).scalar_one()
    if children:
        conn.execute(
            sa.insert(_jobs),
            [
                {
                    "job_type": "compound",
                    "status": JobState.QUEUED,
                    "priority": priority,
                    "progress": 0,
                    "parent_job_id": job_id,
                    "input_data": dict(child),
                    **owner,
                }
                for child in children
            ],
        )
    notify(conn, job_id)
    return int(job_id)


def notify(conn: sa.Connection, job_id: int) -> None:
    """Wake listening runners (PostgreSQL; delivered when the transaction commits)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(CHANNEL, str(job_id))))


def queue_depth(conn: sa.Connection) -> int:
    """How many batches wait for a runner."""
    query = sa.select(sa.func.count()).where(
        _jobs.c.status == JobState.QUEUED, _jobs.c.parent_job_id.is_(None)
    )
    return int(conn.execute(query).scalar_one())


def claim(conn: sa.Connection, runner: str, *, stale_after: float = 30.0) -> Lease | None:
    """Take the next queued parent job (or one whose runner went silent); None if none waits.

    Call inside a transaction as the runner; the claim is committed with it.
    """
    cutoff = _now() - timedelta(seconds=stale_after)
    waiting = sa.or_(
        _jobs.c.status == JobState.QUEUED,
        sa.and_(_jobs.c.status == JobState.PROCESSING, _jobs.c.heartbeat_at < cutoff),
    )
    candidate = (
        sa.select(_jobs.c.id)
        .where(_jobs.c.parent_job_id.is_(None), waiting)
        .order_by(_jobs.c.priority, _jobs.c.created_at, _jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job_id = conn.execute(candidate).scalar()
    if job_id is None:
        return None
    now = _now()
    row = conn.execute(
        sa.update(_jobs)
        .where(_jobs.c.id == job_id)
        .values(
            status=JobState.PROCESSING,
            runner=runner,
            heartbeat_at=now,
            current_step="starting",
            started_at=sa.func.coalesce(_jobs.c.started_at, now),
        )
        .returning(_jobs.c.owner, _jobs.c.input_data)
    ).one()
    return Lease(int(job_id), str(row.owner), dict(row.input_data or {}))


def heartbeat(
    conn: sa.Connection, lease: Lease, runner: str, *, progress: int, step: str
) -> JobState | None:
    """Renew the lease and report progress; returns the job's status (``CANCELLED`` tells
    the runner to stop), or None when another runner has taken the job over."""
    status = conn.execute(
        sa.update(_jobs)
        .where(_jobs.c.id == lease.job_id, _jobs.c.runner == runner)
        .values(heartbeat_at=_now(), progress=max(0, min(100, progress)), current_step=step)
        .returning(_jobs.c.status)
    ).scalar()
    return None if status is None else JobState(status)


def release(conn: sa.Connection, lease: Lease, runner: str) -> None:
    """Give a job back to the queue (a runner stopping mid-job); finished children stay."""
    conn.execute(
        sa.update(_jobs)
        .where(
            _jobs.c.id == lease.job_id,
            _jobs.c.runner == runner,
            _jobs.c.status == JobState.PROCESSING,
        )
        .values(status=JobState.QUEUED, runner=None, current_step="waiting for a runner")
    )
    notify(conn, lease.job_id)


def pending_children(conn: sa.Connection, job_id: int) -> list[sa.Row[Any]]:
    """The children still to do (queued, or processing under a runner that went away)."""
    return list(
        conn.execute(
            sa.select(_jobs.c.id, _jobs.c.input_data, _jobs.c.retries, _jobs.c.max_retries)
            .where(_jobs.c.parent_job_id == job_id, _jobs.c.status.in_(_RUNNING))
            .order_by(_jobs.c.id)
        )
    )


def status_counts(conn: sa.Connection, job_id: int) -> dict[JobState, int]:
    """How many children are in each status."""
    rows = conn.execute(
        sa.select(_jobs.c.status, sa.func.count())
        .where(_jobs.c.parent_job_id == job_id)
        .group_by(_jobs.c.status)
    )
    return {JobState(status): int(n) for status, n in rows}


def lock_pending_child(conn: sa.Connection, child_id: int) -> bool:
    """Lock a child row for this transaction; whether it still waits to be done."""
    status = conn.execute(
        sa.select(_jobs.c.status).where(_jobs.c.id == child_id).with_for_update()
    ).scalar()
    return status is not None and JobState(status).running


def finish_child(
    conn: sa.Connection,
    child_id: int,
    status: JobState,
    *,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
    retries: int | None = None,
) -> bool:
    """Close (or re-queue, with ``JobState.QUEUED``) one child unless it is already final.

    Locks the child row first, so two runners can never both complete it. Returns whether
    this call changed it.
    """
    if not lock_pending_child(conn, child_id):
        return False
    values: dict[str, Any] = {"status": status, "error_message": error}
    if status != JobState.QUEUED:
        values |= {"completed_at": _now(), "progress": 100}
    if result is not None:
        values["result_data"] = dict(result)
    if retries is not None:
        values["retries"] = retries
    conn.execute(sa.update(_jobs).where(_jobs.c.id == child_id).values(**values))
    return True


def lock_pending_children(conn: sa.Connection, child_ids: Sequence[int]) -> set[int]:
    """Lock several child rows for this transaction (in id order); those still to be done."""
    if not child_ids:
        return set()
    rows = conn.execute(
        sa.select(_jobs.c.id, _jobs.c.status)
        .where(_jobs.c.id.in_(sorted(child_ids)))
        .order_by(_jobs.c.id)
        .with_for_update()
    )
    return {int(i) for i, status in rows if JobState(status).running}


def finish_children(
    conn: sa.Connection,
    status: JobState,
    children: Sequence[Mapping[str, Any]],
) -> None:
    """Close several children, locked by :func:`lock_pending_children`, in one statement.

    Each of ``children`` has ``id``, ``retries``, and ``error`` (a failure) or ``result``
    (its ``result_data``).
    """
    if not children:
        return
    values: dict[str, Any] = {
        "status": status,
        "completed_at": _now(),
        "progress": 100,
        "retries": sa.bindparam("child_retries"),
        "error_message": sa.bindparam("child_error"),
    }
    with_result = "result" in children[0]
    if with_result:
        values["result_data"] = sa.bindparam("child_result", type_=_jobs.c.result_data.type)
    conn.execute(
        sa.update(_jobs).where(_jobs.c.id == sa.bindparam("child_id")).values(**values),
        [
            {
                "child_id": child["id"],
                "child_retries": child["retries"],
                "child_error": child.get("error"),
                **({"child_result": dict(child["result"])} if with_result else {}),
            }
            for child in children
        ],
    )


def finish_job(
    conn: sa.Connection,
    job_id: int,
    status: JobState,
    *,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Close a parent job (completed, failed or cancelled) and its unfinished children."""
    now = _now()
    values: dict[str, Any] = {
        "status": status,
        "completed_at": now,
        "error_message": error,
        "current_step": status,
    }
    if status == JobState.COMPLETED:
        values["progress"] = 100
    if result is not None:
        values["result_data"] = dict(result)
    conn.execute(sa.update(_jobs).where(_jobs.c.id == job_id).values(**values))
    if status in (JobState.CANCELLED, JobState.FAILED):
        conn.execute(
            sa.update(_jobs)
            .where(_jobs.c.parent_job_id == job_id, _jobs.c.status.in_(_RUNNING))
            .values(status=status, completed_at=now)
        )
