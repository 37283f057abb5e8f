"""The columns a page of compounds has, and the DataFrame they are read into.

``list_compounds`` (``_query``) and ``search`` (``_search``) both answer with one row per
compound in these columns; this module is their one home, so neither imports the other for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

__all__ = ["LIST_COLUMNS", "aware", "compounds_frame"]

#: Columns of ``list`` and ``search`` results, in order.
LIST_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "owner",
    "inchikey",
    "chembl_id",
    "best_score",
    "best_class",
    "model_id",
    "mw",
    "n_rows",
    "n_flags",
    "created_at",
    "parent_smiles",
)


def aware(value: Any) -> Any:
    """SQLite hands timestamps back without a zone: they are UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def compounds_frame(rows: Sequence[Any], extra: dict[str, list[Any]] | None = None) -> pd.DataFrame:
    """Selected ``LIST_COLUMNS`` rows as a DataFrame (UTC timestamps), plus ``extra`` columns."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(LIST_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"].map(aware), utc=True)
    for name in ("best_score", "mw"):
        frame[name] = frame[name].astype("float64")
    for name, values in (extra or {}).items():
        frame[name] = values
    return frame
