"""From rows with activities and descriptors to the full results table (SCIENCE.md 4-6, 9)."""

from __future__ import annotations

from collections import ChainMap
from typing import Any, cast

import pandas as pd

from impulator.science._arrays import Columns, with_columns
from impulator.science._indices import index_columns
from impulator.science._planes import cohort_columns, confidence_column, plane_columns
from impulator.science._scoring import DEFAULT_MODEL, ScoringModel, score_columns

__all__ = ["evaluate_cohort"]


def evaluate_cohort(
    rows: pd.DataFrame, model: str | ScoringModel = DEFAULT_MODEL, use_pdb: bool = True
) -> pd.DataFrame:
    """Indices, planes, cohort statistics, scores and IMP confidence for one analysis.

    ``rows`` has one row per activity to score with ``pactivity``, the descriptors
    (``tpsa``, ``mw``, ``npol``, ``nha``, ``qed``, optionally ``logp``), and optionally the
    five scored flags and ``pdb_score``. The cohort is all of ``rows``.

    Example:
        >>> rows = pd.DataFrame({"pactivity": [6.0, 7.0, 9.5], "tpsa": [80.0, 60.0, 90.0],
        ...                      "mw": [350.0, 320.0, 300.0], "npol": [5, 4, 6],
        ...                      "nha": [25, 23, 21], "qed": [0.7, 0.8, 0.6]})
        >>> table = evaluate_cohort(rows, use_pdb=False)
        >>> table[["classification", "imp_confidence"]].iloc[2].tolist()
        ['Weak IMP', 'Not IMP']
    """
    # Each step reads the columns the earlier ones made; the table is built once at the end.
    new: dict[str, Any] = {}
    read: Columns = ChainMap(new, cast(Any, rows))
    new.update(index_columns(read))
    new.update(plane_columns(read))
    new.update(cohort_columns(read, len(rows)))
    new.update(score_columns(read, len(rows), model=model, use_pdb=use_pdb))
    new["imp_confidence"] = confidence_column(read)
    return with_columns(rows, new)
