"""Scoring a batch on Dask from a notebook: ``score`` drives the chunks and gathers them.

This is the driver: it reads the batch, sizes and submits the chunks, retries what failed
transiently and hands the results to ``_results.assemble``. What each worker runs,
``score_chunk``, is in ``_chunk``.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

import pandas as pd
from distributed import Client, Future, as_completed

from impulator._errors import InvalidInput
from impulator.batch._chunk import ChunkResult, row_key, score_chunk
from impulator.batch._executor import open_client
from impulator.batch._input import BatchRow, read_batch
from impulator.batch._results import assemble
from impulator.pipeline import ANALYZE_OPTIONS, AnalyzeOptions

__all__ = [
    "ANALYZE_OPTIONS",
    "SECONDS_PER_COMPOUND",
    "TARGET_CHUNK_SECONDS",
    "chunk_size_for",
    "chunked",
    "score",
]

log = logging.getLogger("impulator.batch")
T = TypeVar("T")

#: Seconds of one compound on a warm worker, demo ChEMBL, structure file warm: ``analyze``
#: median ~0.02-0.04 s, mean ~0.04 s, plus ~3 ms preparing its rows for the store; rounded
#: up (slower sources, cold structures) to keep chunks short enough.
SECONDS_PER_COMPOUND = 0.08
#: Seconds a chunk should take: the progress bar moves, and a cancelled job stops, about
#: this often per worker.
TARGET_CHUNK_SECONDS = 2.0
# Chunks per worker at least, so a slow chunk or a lost worker does not hold the whole batch.
_CHUNKS_PER_WORKER = 4


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter).

    Example:
        >>> list(chunked(range(5), 2))
        [[0, 1], [2, 3], [4]]
    """
    if size < 1:
        raise InvalidInput(f"chunk size must be at least 1, not {size}")
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_size_for(count: int, workers: int) -> int:
    """Compounds per Dask task for ``count`` unique structures on ``workers`` workers.

    A chunk must be large enough to amortise the per-task cost (scheduling, sending the rows
    and the reports back: about 10 ms a task on a LocalCluster, ~9 kB pickled per report,
    more through a gateway's proxy; for the job runner also one transaction per chunk)
    against ~0.08 s per compound, and small enough that the progress bar moves and a
    cancellation is honoured about every ``TARGET_CHUNK_SECONDS`` (2 s) per worker: at most
    ``2 / 0.08 = 25`` compounds. Small batches get smaller chunks, at least four per worker,
    so every worker has work and a lost worker costs little.

    Example:
        >>> chunk_size_for(10_000, 4), chunk_size_for(18, 2), chunk_size_for(1, 8)
        (25, 3, 1)
    """
    most = max(1, round(TARGET_CHUNK_SECONDS / SECONDS_PER_COMPOUND))
    spread = math.ceil(count / (_CHUNKS_PER_WORKER * max(1, workers)))
    return max(1, min(most, spread))


def score(
    input: Any,
    cluster: Any = None,
    *,
    progress: bool = True,
    chunk_size: int | None = None,
    column: str | None = None,
    name_column: str | None = None,
    workers: int | None = None,
    cluster_options: Mapping[str, Any] | None = None,
    retries: int = 2,
    options: AnalyzeOptions | None = None,
    **analyze_options: Any,
) -> pd.DataFrame:
    """Score a batch on Dask and return every row of every report in one DataFrame.

    ``input`` is what :func:`read_batch` reads (a list, a DataFrame, a CSV/SDF path); every
    row is validated first, and each unique structure is analysed once. ``cluster`` is what
    :func:`open_client` accepts (default: the configured Dask Gateway, else a LocalCluster of
    ``workers`` processes); ``analyze_options`` are :func:`impulator.analyze`'s
    (``similarity``, ``top_k``, ``activity_types``, ``model``, ``curation``, ``pdb``), or
    one :class:`impulator.pipeline.AnalyzeOptions` in ``options``.
    Transient failures (source unreachable) are retried ``retries`` times with backoff.

    The result has ``input_row``, ``input_query``, ``input_name``, then ``RESULT_COLUMNS``.
    ``df.attrs`` holds ``errors`` (a DataFrame of ``row``, ``input``, ``reason``, ``stage``:
    invalid rows and failed analyses), ``no_neighbours`` (input rows whose compound has no
    neighbour at this threshold), ``availability`` (their counts at lower thresholds),
    ``provenance`` and ``summary`` (counts, ``analyses`` run, seconds, chunk size).
    Clear ``df.attrs`` before ``pd.concat`` of two results: pandas compares attrs and
    cannot compare DataFrames.

    In a script, call it under ``if __name__ == "__main__":`` (LocalCluster workers are
    new processes that import the script).

    Example:
        >>> df = impulator.batch.score("compounds.csv", similarity=0.8)  # doctest: +SKIP
        >>> df.attrs["errors"]  # doctest: +SKIP
    """
    chosen = _checked_options(options, analyze_options)
    batch = read_batch(input, column=column, name_column=name_column, progress=progress)
    groups: dict[str, list[BatchRow]] = {}
    for row in batch.rows:
        groups.setdefault(row_key(row), []).append(row)
    started = time.perf_counter()
    results: dict[str, ChunkResult] = {}
    size = n_workers = analyses = 0
    if groups:
        with open_client(cluster, workers=workers, cluster_options=cluster_options) as client:
            size = chunk_size or chunk_size_for(len(groups), len(_threads(client)))
            results, analyses, n_workers = _run(client, groups, chosen, size, progress, retries)
    seconds = time.perf_counter() - started
    run = {"analyses": analyses, "chunk_size": size, "workers": n_workers, "seconds": seconds}
    return assemble(batch, groups, results, run)


def _checked_options(options: AnalyzeOptions | None, keywords: Mapping[str, Any]) -> AnalyzeOptions:
    local = sorted(set(keywords) & {"source", "pdb_source", "progress"})
    if local:
        raise TypeError(
            f"score runs analyze on Dask workers, which open the configured sources "
            f"themselves (IMPULATOR_* variables): {', '.join(local)} cannot be passed"
        )
    return AnalyzeOptions.combine(options, keywords)


def _threads(client: Client) -> dict[str, int]:
    """Worker address -> threads, as the scheduler knows them now."""
    found: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
    return found


def _run(
    client: Client,
    groups: dict[str, list[BatchRow]],
    options: AnalyzeOptions,
    size: int,
    progress: bool,
    retries: int,
) -> tuple[dict[str, ChunkResult], int, int]:
    """The final result of each group, how many analyses ran (retries included), and the
    most workers seen.

    Two chunks per worker thread are in flight (one running, one queued behind it), counted
    again after each chunk: workers a gateway adds later get work too.
    """
    from tqdm.auto import tqdm

    todo: deque[list[str]] = deque(chunked(groups, size))
    most_workers = 0
    attempts: Counter[str] = Counter()
    analyses = 0
    results: dict[str, ChunkResult] = {}
    waiting: dict[Future[list[ChunkResult]], list[str]] = {}
    futures = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]

    def fill() -> None:
        nonlocal most_workers
        threads = _threads(client)
        most_workers = max(most_workers, len(threads))
        in_flight = max(2, 2 * sum(threads.values()))
        while todo and len(waiting) < in_flight:
            keys = todo.popleft()
            rows = [groups[k][0] for k in keys]
            future = client.submit(score_chunk, rows, options, pure=False)
            waiting[future] = keys
            futures.add(future)  # type: ignore[no-untyped-call]

    total = sum(len(rows) for rows in groups.values())
    bar = tqdm(total=total, desc="scoring", unit="compound", disable=not progress)
    try:
        fill()
        for future in futures:
            keys = waiting.pop(future)
            try:
                chunk: list[ChunkResult] = future.result()
            except Exception as exc:  # e.g. KilledWorker: the chunk's workers kept dying
                chunk = [
                    ChunkResult(groups[k][0], None, f"the Dask task failed: {exc}", True)
                    for k in keys
                ]
            analyses += sum(r.analyzed for r in chunk)
            again = []
            for result in chunk:
                key = row_key(result.row)
                if result.error and result.transient and attempts[key] < retries:
                    attempts[key] += 1
                    again.append(key)
                    continue
                results[key] = result
                bar.update(len(groups[key]))
            if again:
                delay = 2.0 ** (max(attempts[k] for k in again) - 1)
                log.warning("%d compounds failed transiently; again in %.0f s", len(again), delay)
                time.sleep(delay)
                todo.append(again)
            fill()
    finally:
        bar.close()
        if waiting:  # interrupted: stop what is still queued or running
            client.cancel(list(waiting))  # type: ignore[no-untyped-call]
    return results, analyses, most_workers
