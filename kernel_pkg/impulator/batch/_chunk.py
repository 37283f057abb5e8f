"""What a Dask worker runs for a batch: one chunk of rows analysed, failures kept as results.

``score_chunk`` is submitted by ``score`` (the notebook's driver, in ``_score``) and by the
durable job runner (``impulator runner``), so both paths analyse a compound the same way and
classify failures the same way. Nothing here talks to Dask or gathers results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from impulator._errors import (
    InvalidStructure,
    SourceError,
    SourceUnavailable,
    UnknownCompound,
)
from impulator.batch._input import BatchRow
from impulator.pipeline import AnalyzeOptions, Report, analyze

__all__ = ["ChunkResult", "row_key", "score_chunk"]

log = logging.getLogger("impulator.batch")


@dataclass(frozen=True)
class ChunkResult:
    """The outcome of one row's analysis on a worker.

    Attributes:
        row: the row analysed.
        report: its report (empty ``rows`` when it has no neighbours), or None on failure.
        error: why it failed, in words.
        transient: whether trying again later may succeed (source unreachable, timeout).
        analyzed: whether ``analyze`` ran for this row (False when an identical structure
            earlier in the chunk was analysed, or when the task itself failed).
        seconds: how long that analysis took.
    """

    row: BatchRow
    report: Report | None
    error: str | None = None
    transient: bool = False
    analyzed: bool = False
    seconds: float = 0.0


def row_key(row: BatchRow) -> str:
    """What makes two rows the same analysis: the structure's InChIKey, else the query.

    Example:
        >>> row_key(BatchRow(1, "CCO", "smiles", None, "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"))
        'LFQSCWFLJHTTHZ-UHFFFAOYSA-N'
        >>> row_key(BatchRow(2, "CHEMBL25", "chembl_id"))
        'chembl_id:CHEMBL25'
    """
    return row.inchikey or f"{row.kind}:{row.query}"


def score_chunk(
    rows: Sequence[BatchRow], options: AnalyzeOptions | Mapping[str, Any]
) -> list[ChunkResult]:
    """Analyse each row with ``impulator.analyze(row.query, options=options)``; one result
    per row. ``options`` may be a mapping (a stored job's JSON): it is checked row by row.

    Runs on a Dask worker. Identical structures (same InChIKey, or same query) within the
    chunk are analysed once. Failures are results, never exceptions: an invalid structure,
    an unknown identifier or a bad option is permanent; an unreachable source, an OS error or
    a timeout is ``transient`` (worth retrying later). A compound without neighbours is no
    failure: its report has empty rows and says, in ``availability``, what lower thresholds
    would find.

    Example:
        >>> [r] = score_chunk([BatchRow(1, "CCO", "smiles")], {"similarity": 2})
        >>> r.error, r.transient, r.analyzed  # doctest: +ELLIPSIS
        ('similarity must be between 0.40 and 1.00, not 2 (...)', False, True)
    """
    done: dict[str, ChunkResult] = {}
    out: list[ChunkResult] = []
    for row in rows:
        key = row_key(row)
        first = done.get(key)
        if first is None:
            done[key] = first = _analyze(row, options)
            out.append(first)
        else:
            out.append(ChunkResult(row, first.report, first.error, first.transient))
    return out


def _analyze(row: BatchRow, options: AnalyzeOptions | Mapping[str, Any]) -> ChunkResult:
    started = time.perf_counter()

    def failed(reason: str, transient: bool = False) -> ChunkResult:
        seconds = time.perf_counter() - started
        return ChunkResult(row, None, reason, transient, analyzed=True, seconds=seconds)

    try:
        report = analyze(row.query, options=options)
    except InvalidStructure as exc:
        return failed(exc.reason)
    except UnknownCompound as exc:
        return failed(str(exc))
    except SourceUnavailable as exc:
        return failed(str(exc), transient=True)
    except OSError as exc:  # TimeoutError, ConnectionError, a file briefly unreadable
        return failed(f"{type(exc).__name__}: {exc}", transient=True)
    except (ValueError, SourceError) as exc:
        return failed(str(exc))
    except Exception as exc:  # a bug must not cost the other rows of the chunk
        log.exception("analysing row %s (%r) failed", row.row, row.query[:80])
        return failed(f"unexpected {type(exc).__name__}: {exc}")
    return ChunkResult(row, report, analyzed=True, seconds=time.perf_counter() - started)
