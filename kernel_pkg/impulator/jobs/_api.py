"""Submitting batches and following them: ``submit``, :class:`Job`, ``list_jobs``.

A batch outlives the notebook or dashboard that submitted it: it is rows in the database,
processed by ``impulator runner`` (a hub service, or a process you start). Every input row is
validated here, before anything is queued; invalid rows are kept with their row number and
reason, and never hold up the valid ones.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from impulator._errors import InvalidInput, JobNotFound
from impulator.batch import BatchInput, read_batch
from impulator.jobs import _queue as queue
from impulator.pipeline import ANALYZE_OPTIONS, AnalyzeOptions
from impulator.store import Compound, JobState, transaction
from impulator.store import Job as JobRecord

__all__ = ["ANALYZE_OPTIONS", "Job", "JobStatus", "get_job", "list_jobs", "submit"]

_ON_DUPLICATE = ("skip", "replace", "keep")
_jobs = cast(sa.Table, JobRecord.__table__)


@dataclass(frozen=True)
class JobStatus:
    """Where a batch stands."""

    id: int
    status: JobState
    progress: int
    current_step: str | None
    total: int
    stored: int
    failed: int
    invalid: int
    waiting: int
    cancelled: int
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    error_message: str | None

    @property
    def done(self) -> bool:
        """Whether the job has reached an end (completed, failed or cancelled)."""
        return self.status.finished

    def to_dict(self) -> dict[str, Any]:
        """Plain values (the status as its text), times as ISO 8601 (for JSON)."""
        return {
            k: v.isoformat() if isinstance(v, datetime) else v.value if k == "status" else v
            for k, v in asdict(self).items()
        }


def submit(
    input: Any,
    *,
    column: str | None = None,
    name_column: str | None = None,
    on_duplicate: str = "skip",
    priority: int = 5,
    url: str | None = None,
    options: AnalyzeOptions | None = None,
    **analyze_options: Any,
) -> Job:
    """Validate ``input`` and queue it as a durable batch; returns its :class:`Job`.

    ``input`` is what :func:`impulator.batch.read_batch` reads: a list of queries, a
    DataFrame, a CSV or SDF path (columns detected, or named with ``column`` /
    ``name_column``). ``analyze_options`` are those of :func:`impulator.analyze`
    (``similarity``, ``top_k``, ``activity_types``, ``model``, ``curation``, ``pdb``), or
    one :class:`impulator.pipeline.AnalyzeOptions` in ``options``; the job stores all of
    them (``AnalyzeOptions.to_dict``).
    ``on_duplicate`` decides what happens to a compound stored before with the same settings:
    ``skip`` (keep the old one), ``replace``, or ``keep`` (both).

    Raises:
        ValueError: the input is unreadable, too large, or has no valid row; an option is
            out of range (the same words as ``impulator.analyze``).
        TypeError: an unknown option name.
        PermissionDenied: a viewer cannot submit.
    """
    if on_duplicate not in _ON_DUPLICATE:
        raise InvalidInput(f"on_duplicate must be one of {', '.join(_ON_DUPLICATE)}")
    chosen = AnalyzeOptions.combine(options, analyze_options).to_dict()
    batch = read_batch(input, column=column, name_column=name_column)
    if not batch.rows:
        raise InvalidInput(
            f"{batch.source}: none of its {batch.total} rows is valid; "
            f"first problem: row {batch.errors[0].row}: {batch.errors[0].reason}"
            if batch.errors
            else f"{batch.source} has no compounds"
        )
    parent = _parent(batch, chosen, on_duplicate)
    children = [
        {"row": r.row, "query": r.query, "kind": r.kind, "name": r.name, "inchikey": r.inchikey}
        for r in batch.rows
    ]
    with transaction(url, "submit a batch", write=True) as tx:
        if not tx.postgres:
            parent["owner"] = tx.owner
        job_id = queue.insert_batch(tx.conn, parent, children, priority=priority)
    return Job(job_id, url)


def _parent(batch: BatchInput, options: dict[str, Any], on_duplicate: str) -> dict[str, Any]:
    return {
        "input_data": {
            "source": batch.source,
            "columns": batch.columns,
            "total": batch.total,
            "options": options,
            "on_duplicate": on_duplicate,
        },
        "result_data": {
            "invalid_rows": [
                {"row": e.row, "input": e.input, "reason": e.reason} for e in batch.errors
            ],
        },
    }


class Job:
    """A submitted batch: follow it, cancel it, retry what failed, read its results."""

    def __init__(self, job_id: int, url: str | None = None) -> None:
        self.id = int(job_id)
        self.url = url

    def __repr__(self) -> str:
        return f"<Job {self.id}>"

    def _row(self, conn: sa.Connection) -> sa.Row[Any]:
        row = conn.execute(
            sa.select(_jobs).where(_jobs.c.id == self.id, _jobs.c.parent_job_id.is_(None))
        ).first()
        if row is None:
            raise JobNotFound(self.id)
        return row

    def status(self) -> JobStatus:
        """Status, progress, current step and counts of stored, failed and invalid rows."""
        with transaction(self.url, "read a job") as tx:
            row = self._row(tx.conn)
            counts = queue.status_counts(tx.conn, self.id)
        invalid = len((row.result_data or {}).get("invalid_rows", []))
        return JobStatus(
            id=self.id,
            status=JobState(row.status),
            progress=row.progress,
            current_step=row.current_step,
            total=sum(counts.values()) + invalid,
            stored=counts.get(JobState.COMPLETED, 0),
            failed=counts.get(JobState.FAILED, 0),
            invalid=invalid,
            waiting=sum(n for state, n in counts.items() if state.running),
            cancelled=counts.get(JobState.CANCELLED, 0),
            created_at=row.created_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            error_message=row.error_message,
        )

    def wait(
        self, progress: bool = True, *, timeout: float | None = None, poll: float = 0.5
    ) -> JobStatus:
        """Block until the job ends (a progress bar in a terminal, a widget in Jupyter).

        Raises TimeoutError after ``timeout`` seconds (the job goes on).
        """
        from tqdm.auto import tqdm

        deadline = None if timeout is None else time.monotonic() + timeout
        state = self.status()
        bar = tqdm(total=state.total, desc=f"job {self.id}", unit="compound", disable=not progress)
        try:
            while True:
                bar.n = state.stored + state.failed + state.invalid + state.cancelled
                bar.set_postfix_str(state.current_step or state.status, refresh=False)
                bar.refresh()
                if state.done:
                    return state
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"job {self.id} is still {state.status} ({state.progress}%)")
                time.sleep(poll)
                state = self.status()
        finally:
            bar.close()

    def cancel(self) -> bool:
        """Stop the job: compounds stored so far are kept, nothing more is written.

        Returns whether this call stopped it (False: it had already ended, nothing changed).
        """
        with transaction(self.url, "cancel a job", write=True) as tx:
            row = self._row(tx.conn)
            if JobState(row.status).finished:
                return False
            queue.finish_job(tx.conn, self.id, JobState.CANCELLED, result=row.result_data)
            return True

    def retry_failed(self) -> int:
        """Queue the failed (and cancelled) compounds again; returns how many.

        A job still queued or running keeps its runner, which picks the compounds up before
        it finishes (nothing is redone); a finished job goes back to the queue.
        """
        with transaction(self.url, "retry a job", write=True) as tx:
            parent = self._row(tx.conn)
            again = tx.conn.execute(
                sa.update(_jobs)
                .where(
                    _jobs.c.parent_job_id == self.id,
                    _jobs.c.status.in_((JobState.FAILED, JobState.CANCELLED)),
                )
                .values(status=JobState.QUEUED, retries=0, error_message=None, completed_at=None)
            ).rowcount
            if again and JobState(parent.status).finished:
                tx.conn.execute(
                    sa.update(_jobs)
                    .where(_jobs.c.id == self.id)
                    .values(
                        status=JobState.QUEUED,
                        completed_at=None,
                        error_message=None,
                        current_step="queued again",
                        runner=None,
                    )
                )
                queue.notify(tx.conn, self.id)
        return int(again)

    def compound_ids(self) -> dict[int, int]:
        """Input row -> stored compound id, for the rows stored so far."""
        with transaction(self.url, "read a job") as tx:
            rows = tx.conn.execute(
                sa.select(_jobs.c.input_data, Compound.id)
                .join(Compound, Compound.job_id == _jobs.c.id)
                .where(_jobs.c.parent_job_id == self.id)
            )
            return {int(data["row"]): int(cid) for data, cid in rows}

    def results(self) -> pd.DataFrame:
        """Every stored row of this batch: ``input_row``, ``compound_id``, then the results.

        One query for the whole batch, however many compounds it stored.
        """
        from impulator.store import job_rows

        stored = sorted(
            (
                (int(data["row"]), compound_id, rows)
                for data, compound_id, rows in job_rows(self.id, url=self.url)
            ),
            key=lambda found: found[:2],
        )
        frames = [
            rows.assign(input_row=row, compound_id=compound_id) for row, compound_id, rows in stored
        ]
        if not frames:
            return pd.DataFrame(columns=["input_row", "compound_id"])
        table = pd.concat(frames, ignore_index=True)
        leading = ["input_row", "compound_id"]
        return table[leading + [c for c in table.columns if c not in leading]]

    def errors(self) -> pd.DataFrame:
        """Rows that were not stored: invalid input (``stage="validation"``) and compounds
        that failed when scored (``stage="scoring"``), with their row number and reason."""
        with transaction(self.url, "read a job") as tx:
            row = self._row(tx.conn)
            failed = tx.conn.execute(
                sa.select(_jobs.c.input_data, _jobs.c.error_message)
                .where(_jobs.c.parent_job_id == self.id, _jobs.c.status == JobState.FAILED)
                .order_by(_jobs.c.id)
            ).all()
        records = [
            {**e, "stage": "validation"} for e in (row.result_data or {}).get("invalid_rows", [])
        ]
        records += [
            {"row": d["row"], "input": d["query"], "reason": msg or "failed", "stage": "scoring"}
            for d, msg in failed
        ]
        table = pd.DataFrame(records, columns=["row", "input", "reason", "stage"])
        return table.sort_values("row", ignore_index=True)


def get_job(job_id: int, url: str | None = None) -> Job:
    """The job ``job_id`` (LookupError if it does not exist or is not yours)."""
    job = Job(job_id, url)
    job.status()
    return job


def list_jobs(
    status: JobState | str | None = None, *, limit: int = 50, url: str | None = None
) -> pd.DataFrame:
    """Your batches, newest first (optionally only those with ``status``, a :class:`JobState`
    or its text)."""
    columns = [
        _jobs.c[c]
        for c in (
            "id",
            "owner",
            "status",
            "progress",
            "current_step",
            "created_at",
            "started_at",
            "completed_at",
            "error_message",
        )
    ]
    query = sa.select(*columns, _jobs.c.input_data).where(_jobs.c.parent_job_id.is_(None))
    if status is not None:
        if status not in set(JobState):
            raise InvalidInput(f"status must be one of {', '.join(JobState)}, not {status!r}")
        query = query.where(_jobs.c.status == JobState(status))
    query = query.order_by(_jobs.c.created_at.desc(), _jobs.c.id.desc()).limit(limit)
    with transaction(url, "list jobs") as tx:
        rows = tx.conn.execute(query).all()
    table = pd.DataFrame(
        [
            {
                **{c.name: r._mapping[c.name] for c in columns},
                "source": (r.input_data or {}).get("source"),
                "total": (r.input_data or {}).get("total"),
            }
            for r in rows
        ],
        columns=[c.name for c in columns] + ["source", "total"],
    )
    return table
