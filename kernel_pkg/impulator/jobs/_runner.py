"""``impulator runner``: claims queued jobs, scores their compounds on Dask, stores the results.

One runner or several: claims never overlap (``FOR UPDATE SKIP LOCKED``), the children of a
chunk are stored and closed in one transaction (so never twice), and a job whose runner stops
heartbeating is taken over after ``stale_after`` seconds. Dask workers compute: the analysis,
and every row the database will hold (descriptors, flags, encoded result rows;
``store.prepare_report``); the runner alone talks to the database, writing each chunk as the
job's owner (``SET LOCAL ROLE``), so results obey the owner's row-level security.

Faults it survives: a Dask worker dying (distributed reschedules the chunk; a chunk lost
anyway is retried), a database restart (every transaction is retried with backoff until the
database answers again), its own death (another runner takes over), and transient source
errors (retried with backoff up to the child's ``max_retries``).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import numbers
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa
from distributed import Client, Future, as_completed

from impulator._errors import StoreUnavailable
from impulator._logs import log_context
from impulator.batch import (
    BatchRow,
    ChunkResult,
    chunk_size_for,
    chunked,
    open_client,
    row_key,
    score_chunk,
)
from impulator.jobs import _queue as queue
from impulator.jobs._metrics import (
    COMPOUNDS_PROCESSED,
    JOB_DURATION,
    JOBS_COMPLETED,
    QUEUE_DEPTH,
    record_stored,
)
from impulator.pipeline import Report, best_class
from impulator.store import (
    Job,
    JobState,
    PreparedReport,
    engine_for,
    prepare_report,
    save,
    save_many,
)

__all__ = ["Runner", "Scored", "score_and_prepare"]

log = logging.getLogger("impulator.runner")
T = TypeVar("T")


@dataclass(frozen=True)
class Scored:
    """One row of a chunk as the runner stores it (a :class:`ChunkResult`, prepared).

    ``prepared`` is what the database will hold (made on the worker), or ``report`` the
    whole report (the per-compound path); both None on failure.
    """

    row: BatchRow
    prepared: PreparedReport | None = None
    report: Report | None = None
    error: str | None = None
    transient: bool = False
    analyzed: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the row was scored (and has something to store)."""
        return self.prepared is not None or self.report is not None

    @property
    def rows(self) -> int:
        """Its number of result rows."""
        if self.prepared is not None:
            return self.prepared.rows
        return 0 if self.report is None else len(self.report.rows)

    def storable(self) -> PreparedReport | Report:
        """What ``store.save_many`` stores (ValueError for a failed row)."""
        found = self.prepared if self.prepared is not None else self.report
        if found is None:
            raise ValueError(f"row {self.row.row} failed: there is nothing to store")
        return found

    @classmethod
    def of(cls, result: ChunkResult) -> Scored:
        """A worker's result as it is (the report, not prepared)."""
        return cls(
            result.row,
            None,
            result.report,
            result.error,
            result.transient,
            result.analyzed,
            result.seconds,
        )


def score_and_prepare(rows: list[BatchRow], options: dict[str, Any]) -> list[Scored]:
    """What a Dask worker runs for the runner: ``score_chunk``, then ``prepare_report`` of
    each report, so the runner only writes. A report that cannot be prepared is a failure of
    its row, never of the chunk."""
    out: list[Scored] = []
    prepared: dict[int, PreparedReport] = {}  # identical structures share one report
    for result in score_chunk(rows, options):
        report = result.report
        if report is None:
            out.append(Scored.of(result))
            continue
        try:
            if id(report) not in prepared:
                prepared[id(report)] = prepare_report(report)
        except Exception as exc:  # a bug must not cost the other rows of the chunk
            log.exception("preparing row %s (%r) failed", result.row.row, result.row.query[:80])
            reason = f"unexpected {type(exc).__name__}: {exc}"
            out.append(Scored(result.row, None, None, reason, False, result.analyzed))
            continue
        out.append(
            Scored(
                result.row,
                prepared[id(report)],
                analyzed=result.analyzed,
                seconds=result.seconds,
            )
        )
    return out


@dataclass
class _Progress:
    """What the heartbeat reports and what it learned (cancelled, lease lost)."""

    total: int
    halt: threading.Event
    done: int = 0
    cancelled: bool = False
    lost: bool = False
    finished: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stopping(self) -> bool:
        return self.cancelled or self.lost or self.halt.is_set()

    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.done / self.total)


class Runner:
    """Process durable jobs from the database at ``url`` on a Dask cluster.

    Args:
        url: the database (default ``IMPULATOR_DATABASE_URL``); on PostgreSQL a runner login
            made by ``impulator db provision-runner``.
        name: this runner's name in ``jobs.runner`` (default host:pid).
        cluster: where chunks run (see ``impulator.batch.open_client``; default a LocalCluster,
            or the configured Dask Gateway).
        chunk_size: compounds per Dask task (default ``impulator.batch.chunk_size_for``).
        heartbeat_every: seconds between progress reports (and lease renewals).
        stale_after: seconds of silence after which another runner takes a job over.
        poll_every: seconds between looks at the queue when no notification arrives.
        retry_delay: first backoff for transient failures (doubles each time).
        db_patience: seconds a transaction is retried while the database is unreachable.
        per_compound: the earlier way, kept to compare with: workers return whole reports
            and each compound is stored in a transaction of its own, its descriptors and
            rows computed by the runner. By default workers prepare the rows and each chunk
            is stored in one transaction.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        name: str | None = None,
        cluster: Any = None,
        chunk_size: int | None = None,
        heartbeat_every: float = 2.0,
        stale_after: float = 30.0,
        poll_every: float = 5.0,
        retry_delay: float = 1.0,
        db_patience: float = 120.0,
        per_compound: bool = False,
    ) -> None:
        self.engine = engine_for(url)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.cluster = cluster
        self.chunk_size = chunk_size
        self.heartbeat_every = heartbeat_every
        self.stale_after = stale_after
        self.poll_every = poll_every
        self.retry_delay = retry_delay
        self.db_patience = db_patience
        self.per_compound = per_compound
        self._postgres = self.engine.dialect.name == "postgresql"
        self._halt = threading.Event()

    # The database, with patience: a restart is waited out, not fatal.

    def _db(self, work: Callable[[sa.Connection], T]) -> T:
        deadline = time.monotonic() + self.db_patience
        delay = 0.25
        while True:
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except (sa.exc.DBAPIError, StoreUnavailable) as exc:
                lost = isinstance(exc, StoreUnavailable | sa.exc.OperationalError)
                if not (lost or getattr(exc, "connection_invalidated", False)):
                    raise
                if time.monotonic() > deadline:
                    raise
                log.warning("database unavailable (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _as_owner(self, conn: sa.Connection, owner: str) -> None:
        if self._postgres:
            quoted = conn.dialect.identifier_preparer.quote_identifier(owner)
            conn.exec_driver_sql(f"SET LOCAL ROLE {quoted}")

    # The loop.

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> int:
        """Process jobs until ``stop`` is set (or, with ``once``, until none is queued).

        Returns the number of jobs processed.
        """
        stop = self._halt = stop or threading.Event()
        processed = 0
        with open_client(self.cluster) as client, self._listener() as wait:
            while not stop.is_set():
                lease = self._db(lambda c: queue.claim(c, self.name, stale_after=self.stale_after))
                QUEUE_DEPTH.set(self._db(queue.queue_depth))
                if lease is None:
                    if once:
                        break
                    wait(self.poll_every)
                    continue
                with log_context(job_id=lease.job_id, user=lease.owner):
                    log.info("job %s of %s: claimed", lease.job_id, lease.owner)
                    self.process(lease, client)
                processed += 1
        return processed

    @contextlib.contextmanager
    def _listener(self) -> Iterator[Callable[[float], None]]:
        """A function that waits for a NOTIFY on the jobs channel (or the timeout).

        A dropped connection (the database restarted) is replaced at the next wait; until
        then the runner polls.
        """
        if not self._postgres:
            yield time.sleep
            return
        current: list[Any] = []  # the LISTENing pool connection, when there is one

        def connect() -> Any:
            raw = self.engine.raw_connection()
            driver: Any = raw.driver_connection
            # Never back into the pool: an autocommit, LISTENing connection there would make
            # a later transaction's SET LOCAL ROLE a no-op (the runner writing as itself).
            raw.detach()
            try:
                driver.autocommit = True
                driver.execute(f"LISTEN {queue.CHANNEL}")
            except Exception:
                raw.close()
                raise
            return driver

        def drop() -> None:
            while current:
                with contextlib.suppress(Exception):
                    current.pop().close()

        def wait(timeout: float) -> None:
            if not current:
                try:
                    current.append(connect())
                    log.info("listening for new jobs again")
                except Exception:
                    time.sleep(timeout)
                    return
            driver = current[0]
            try:
                for _ in driver.notifies(timeout=timeout, stop_after=1):
                    pass
                # psycopg may end the wait quietly on a connection the server closed.
                dropped = driver.closed or driver.broken
            except Exception:
                dropped = True
            if dropped:  # poll now, listen again at the next wait
                log.warning("lost the job notifications; listening again at the next wait")
                drop()
                time.sleep(timeout)

        try:
            current.append(connect())
        except Exception as exc:
            log.warning("cannot listen for new jobs yet (%s); polling until it can", exc)
        try:
            yield wait
        finally:
            drop()

    def process(self, lease: queue.Lease, client: Client) -> str:
        """Run one claimed job to its end; returns its final status."""
        started = time.monotonic()
        status = self._process(lease, client)
        if status in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED):
            JOBS_COMPLETED.labels(status).inc()
            JOB_DURATION.observe(time.monotonic() - started)
        return status

    def _process(self, lease: queue.Lease, client: Client) -> str:
        # As submit stored them (AnalyzeOptions.to_dict); score_chunk reads them back with
        # AnalyzeOptions.from_mapping, so options a newer version refuses fail row by row.
        options = dict(lease.input_data.get("options", {}))
        on_duplicate = str(lease.input_data.get("on_duplicate", "skip"))
        pending = self._db(lambda c: queue.pending_children(c, lease.job_id))
        counts = self._db(lambda c: queue.status_counts(c, lease.job_id))
        progress = _Progress(total=sum(counts.values()), halt=self._halt)
        progress.done = progress.total - len(pending)
        # Children with the same structure are scored once and stored for each.
        groups: dict[str, list[Any]] = defaultdict(list)
        rows: dict[str, BatchRow] = {}
        for child in pending:
            data = child.input_data
            row = _batch_row(data)
            groups[row_key(row)].append(child)
            rows.setdefault(row_key(row), row)
        # In a copy of this context, so the heartbeat's log lines name the job and its owner.
        beat = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._heartbeat, lease, progress),
            daemon=True,
        )
        beat.start()
        try:
            self._score(lease, client, options, on_duplicate, groups, rows, progress)
        finally:
            progress.finished.set()  # wakes and stops the heartbeat
            beat.join()
        return self._close(lease, progress)

    def _heartbeat(self, lease: queue.Lease, progress: _Progress) -> None:
        while True:
            with progress.lock:
                if progress.finished.is_set():
                    return
                percent, step = progress.percent(), f"scoring {progress.done}/{progress.total}"
            try:
                status = self._db(
                    partial(
                        queue.heartbeat, lease=lease, runner=self.name, progress=percent, step=step
                    )
                )
            except (sa.exc.DBAPIError, StoreUnavailable):
                status = JobState.PROCESSING  # still unreachable after our patience: try again
            if status is None:
                progress.lost = True
            elif status == JobState.CANCELLED:
                progress.cancelled = True
            progress.finished.wait(self.heartbeat_every)

    def _score(
        self,
        lease: queue.Lease,
        client: Client,
        options: dict[str, Any],
        on_duplicate: str,
        groups: dict[str, list[Any]],
        rows: dict[str, BatchRow],
        progress: _Progress,
    ) -> None:
        keys = list(rows)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        in_flight = 2 * workers
        size = self.chunk_size or chunk_size_for(len(keys), workers)
        todo = [list(chunk) for chunk in chunked(keys, size)]
        attempts: dict[str, int] = defaultdict(int)
        futures = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]
        waiting: dict[Future[Any], list[str]] = {}

        work = score_chunk if self.per_compound else score_and_prepare

        def submit(chunk: list[str]) -> None:
            future = client.submit(work, [rows[k] for k in chunk], options, pure=False)
            waiting[future] = chunk
            futures.add(future)  # type: ignore[no-untyped-call]

        while todo and len(waiting) < in_flight:
            submit(todo.pop(0))
        for future in futures:
            chunk = waiting.pop(future)
            if progress.stopping():
                future.cancel()
                continue
            try:
                results = [r if isinstance(r, Scored) else Scored.of(r) for r in future.result()]
            except Exception as exc:  # a lost worker, a killed task: the whole chunk again
                reason = f"the task failed: {exc}"
                results = [Scored(rows[k], error=reason, transient=True) for k in chunk]
            retry: list[str] = []
            final: list[Scored] = []
            for result in results:
                key = row_key(result.row)
                if result.error and result.transient:
                    attempts[key] += 1
                    if attempts[key] <= max(c.max_retries for c in groups[key]):
                        retry.append(key)
                        continue
                final.append(result)
            if self.per_compound:
                for result in final:
                    key = row_key(result.row)
                    self._store(lease, on_duplicate, result, groups[key], attempts[key])
                    self._count(progress, [result], groups)
                    if progress.stopping():
                        break
            elif final:
                stored = [(r, groups[row_key(r.row)], attempts[row_key(r.row)]) for r in final]
                self._store_chunk(lease, on_duplicate, stored)
                self._count(progress, final, groups)
            if retry and not progress.stopping():
                time.sleep(self.retry_delay * 2 ** (max(attempts[k] for k in retry) - 1))
                todo.append(retry)
            while todo and len(waiting) < in_flight and not progress.stopping():
                submit(todo.pop(0))

    @staticmethod
    def _count(progress: _Progress, results: list[Scored], groups: dict[str, list[Any]]) -> None:
        for result in results:
            children = len(groups[row_key(result.row)])
            COMPOUNDS_PROCESSED.labels("stored" if result.ok else "failed").inc(children)
            with progress.lock:
                progress.done += children

    def _store_chunk(
        self,
        lease: queue.Lease,
        on_duplicate: str,
        scored: list[tuple[Scored, list[Any], int]],
    ) -> None:
        """Store a chunk's scored structures for every child that asked for them, as the
        owner, in one transaction: each child is closed with its compound, or not at all."""

        def work(conn: sa.Connection) -> list[Scored]:
            self._as_owner(conn, lease.owner)
            # FOR SHARE: a cancel committed by the owner waits for this transaction, and
            # once committed, it is seen here: nothing is written after a cancel.
            parent = conn.execute(
                sa.select(Job.status).where(Job.id == lease.job_id).with_for_update(read=True)
            ).scalar()
            if parent == JobState.CANCELLED:
                return []
            wanted = [child.id for _, children, _ in scored for child in children]
            # Stored before a crash, or by another runner: left as they are.
            pending = queue.lock_pending_children(conn, wanted)
            failed: list[dict[str, Any]] = []
            saving: list[tuple[Any, Scored, int]] = []
            for result, children, retries in scored:
                for child in children:
                    if child.id not in pending:
                        continue
                    if result.ok:
                        saving.append((child, result, retries))
                    else:
                        failed.append({"id": child.id, "retries": retries, "error": result.error})
            queue.finish_children(conn, JobState.FAILED, failed)
            if not saving:
                return []
            saved = save_many(
                [r.storable() for _, r, _ in saving],
                [child.input_data.get("name") for child, _, _ in saving],
                on_duplicate,
                job_ids=[child.id for child, _, _ in saving],
                connection=conn,
            )
            queue.finish_children(
                conn,
                JobState.COMPLETED,
                [
                    {
                        "id": child.id,
                        "retries": retries,
                        "result": {"compound_id": done.compound_id, "rows": result.rows},
                    }
                    for (child, result, retries), done in zip(saving, saved, strict=True)
                ],
            )
            return [result for _, result, _ in saving]

        for result in self._db(work):
            _count_stored(result, 1)

    def _store(
        self,
        lease: queue.Lease,
        on_duplicate: str,
        result: Scored,
        children: list[Any],
        retries: int,
    ) -> None:
        """Store one scored structure for each child that asked for it, as the owner, one
        transaction per child (the per-compound path)."""
        stored = 0
        for child in children:

            def work(conn: sa.Connection, child: Any = child) -> bool:
                self._as_owner(conn, lease.owner)
                # FOR SHARE: a cancel committed by the owner waits for this transaction, and
                # once committed, it is seen here: nothing is written after a cancel.
                parent = conn.execute(
                    sa.select(Job.status).where(Job.id == lease.job_id).with_for_update(read=True)
                ).scalar()
                if parent == JobState.CANCELLED:
                    return False
                if result.report is None:
                    queue.finish_child(
                        conn, child.id, JobState.FAILED, error=result.error, retries=retries
                    )
                    return False
                if not queue.lock_pending_child(conn, child.id):
                    return False  # stored before a crash, or by another runner
                name = child.input_data.get("name")
                compound_id = save(
                    result.report,
                    name=name,
                    on_duplicate=on_duplicate,
                    job_id=child.id,
                    connection=conn,
                )
                queue.finish_child(
                    conn,
                    child.id,
                    JobState.COMPLETED,
                    retries=retries,
                    result={"compound_id": compound_id, "rows": len(result.report.rows)},
                )
                return True

            stored += self._db(work)
        _count_stored(result, stored)

    def _close(self, lease: queue.Lease, progress: _Progress) -> str:
        if progress.lost:
            log.warning("job %s: taken over by another runner", lease.job_id)
            return "lost"
        if self._halt.is_set() and not progress.cancelled and progress.done < progress.total:
            self._db(lambda c: queue.release(c, lease, self.name))
            log.info("job %s: given back to the queue (runner stopping)", lease.job_id)
            return JobState.QUEUED

        def work(conn: sa.Connection) -> str:
            counts = queue.status_counts(conn, lease.job_id)
            current = conn.execute(
                sa.select(Job.status, Job.result_data).where(Job.id == lease.job_id)
            ).one()
            summary = {**(current.result_data or {}), "children": counts}
            if current.status == JobState.CANCELLED or progress.cancelled:
                queue.finish_job(conn, lease.job_id, JobState.CANCELLED, result=summary)
                return JobState.CANCELLED
            if counts.get(JobState.QUEUED):  # retried while this runner worked: not done yet
                queue.release(conn, lease, self.name)
                return JobState.QUEUED
            stored = counts.get(JobState.COMPLETED, 0)
            failed = counts.get(JobState.FAILED, 0)
            status = JobState.FAILED if failed and not stored else JobState.COMPLETED
            error = f"{failed} of {stored + failed} compounds failed" if failed else None
            queue.finish_job(conn, lease.job_id, status, result=summary, error=error)
            return status

        status = self._db(work)
        log.info("job %s: %s", lease.job_id, status)
        return status


def _batch_row(data: dict[str, Any]) -> BatchRow:
    return BatchRow(
        row=int(data["row"]),
        query=str(data["query"]),
        kind=str(data.get("kind", "smiles")),
        name=data.get("name"),
        inchikey=data.get("inchikey"),
    )


def _count_stored(result: Scored, count: int) -> None:
    """The science metrics of ``count`` compounds stored from ``result``."""
    if result.prepared is not None:
        found, score = (
            result.prepared.values.get("best_class"),
            result.prepared.values.get("best_score"),
        )
    elif result.report is not None:
        found, score = best_class(result.report.rows), result.report.summary.get("best_score")
    else:
        return
    record_stored(found, float(score) if isinstance(score, numbers.Real) else None, count)
