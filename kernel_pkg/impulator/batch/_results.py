"""One DataFrame out of many reports: every row of every input compound, and what went wrong."""

from __future__ import annotations

from typing import Any

import pandas as pd

from impulator.batch._chunk import ChunkResult, row_key
from impulator.batch._input import BatchInput, BatchRow
from impulator.batch._validate import display
from impulator.pipeline import RESULT_COLUMNS

__all__ = ["ERROR_COLUMNS", "LEADING_COLUMNS", "assemble", "errors_frame"]

#: The columns ``score`` puts before ``RESULT_COLUMNS``.
LEADING_COLUMNS = ("input_row", "input_query", "input_name")
#: The columns of ``df.attrs["errors"]``.
ERROR_COLUMNS = ("row", "input", "reason", "stage")


def errors_frame(records: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    """Row errors as a table sorted by row: ``row``, ``input``, ``reason``, ``stage``.

    Example:
        >>> errors_frame([(17, "C1CC", "ring bond 1 is ...", "validation")]).columns.tolist()
        ['row', 'input', 'reason', 'stage']
    """
    frame = pd.DataFrame(records, columns=list(ERROR_COLUMNS))
    frame["row"] = frame["row"].astype("int64")
    return frame.sort_values(["row", "stage"], ignore_index=True, kind="stable")


def assemble(
    batch: BatchInput,
    groups: dict[str, list[BatchRow]],
    results: dict[str, ChunkResult],
    run: dict[str, Any],
) -> pd.DataFrame:
    """The rows of every report, in input order, led by the input row they belong to."""
    frames: list[pd.DataFrame] = []
    no_neighbours: list[int] = []
    availability: dict[int, dict[float, int]] = {}
    errors = [(e.row, e.input, e.reason, "validation") for e in batch.errors]
    provenance: dict[str, Any] = {}
    for row in batch.rows:
        result = results.get(row_key(row))
        if result is None or result.report is None:
            reason = result.error if result is not None and result.error else "not scored"
            errors.append((row.row, display(row.query), reason, "scoring"))
            continue
        report = result.report
        provenance = provenance or dict(report.provenance)
        if report.rows.empty:
            no_neighbours.append(row.row)
            availability[row.row] = dict(report.availability)
            continue
        frame = report.rows.reindex(columns=list(RESULT_COLUMNS))
        frame.insert(0, "input_name", row.name)
        frame.insert(0, "input_query", row.query)
        frame.insert(0, "input_row", row.row)
        frames.append(frame)
    columns = [*LEADING_COLUMNS, *RESULT_COLUMNS]
    table = _concat(frames, columns)
    table.attrs["errors"] = errors_frame(errors)
    table.attrs["no_neighbours"] = no_neighbours
    table.attrs["availability"] = availability
    table.attrs["provenance"] = provenance
    table.attrs["summary"] = {
        "source": batch.source,
        "columns": dict(batch.columns),
        "compounds": batch.total,
        "valid": len(batch.rows),
        "unique_structures": len(groups),
        "scored": batch.total - len(errors),
        "errors": len(errors),
        "no_neighbours": len(no_neighbours),
        "rows": len(table),
        **run,
    }
    return table


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    # Columns entirely empty in one report (e.g. no PubMed id) must not decide the dtype.
    frames = [f.dropna(axis=1, how="all") for f in frames]
    table = pd.concat(frames, ignore_index=True)
    return table.reindex(columns=columns)
