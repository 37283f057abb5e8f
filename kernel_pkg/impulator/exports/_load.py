"""Reading the compounds an export covers, and the two tables every format is built from.

The compounds are read through :func:`impulator.store.get_many` (one transaction, the same
few queries for one compound or a thousand), as the calling user: on PostgreSQL, row-level
security decides which ids that user may export (another user's compound, not shared, is
:class:`~impulator.store.CompoundNotFound`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from impulator import store
from impulator._errors import InvalidInput
from impulator.chem import FLAG_NAMES, interference_flags
from impulator.pipeline import best_row as pipeline_best_row
from impulator.science import MODELS
from impulator.store import StoredCompound

__all__ = [
    "ACTIVITY_ID_COLUMNS",
    "COMPOUND_COLUMNS",
    "activities_table",
    "best_row",
    "compound_flags",
    "compounds_table",
    "high_means",
    "iso_time",
    "load_compounds",
    "selected_ids",
    "write",
]

#: Columns put in front of each activity row: which stored compound the row belongs to.
ACTIVITY_ID_COLUMNS: tuple[str, ...] = (
    "compound_id",
    "compound_name",
    "compound_chembl_id",
    "compound_inchikey",
)
#: Columns of the one-row-per-compound table (CSV summary, Excel "Compounds", SDF fields).
COMPOUND_COLUMNS: tuple[str, ...] = (
    "compound_id",
    "name",
    "query",
    "chembl_id",
    "inchikey",
    "smiles",
    "best_score",
    "best_class",
    "scoring_model",
    "high_means",
    "mw",
    "n_rows",
    "n_flags",
    "flags",
    "imp_candidate_rows",
    "owner",
    "stored_at",
    "shared_with",
    "bioactivity_source",
    "similarity_threshold",
    "impulator_version",
)


def selected_ids(ids: Iterable[Any]) -> list[int]:
    """The ids to export, as ints, in the order given, each once.

    Raises:
        ValueError: nothing is selected, or an id is not a whole number.

    Example:
        >>> selected_ids([3, 1, 3])
        [3, 1]
        >>> selected_ids([])
        Traceback (most recent call last):
        impulator._errors.InvalidInput: nothing to export: select at least one compound
    """
    if isinstance(ids, str | bytes):
        raise InvalidInput(f"compound ids must be whole numbers, not the text {ids!r}")
    chosen: list[int] = []
    for value in ids:
        if isinstance(value, bool):
            raise InvalidInput(f"compound ids must be whole numbers, not {value!r}")
        try:
            number = operator.index(value)
        except TypeError:
            raise InvalidInput(f"compound ids must be whole numbers, not {value!r}") from None
        if number not in chosen:
            chosen.append(number)
    if not chosen:
        raise InvalidInput("nothing to export: select at least one compound")
    return chosen


def load_compounds(ids: Iterable[Any], url: str | None = None) -> list[StoredCompound]:
    """The stored compounds ``ids`` (with their rows), as the calling user sees them.

    Raises:
        ValueError: nothing selected.
        CompoundNotFound: an id does not exist or is not visible to you (the first such id
            in the order given).
    """
    chosen = selected_ids(ids)
    found = store.get_many(chosen, url=url)
    if len(found) < len(chosen):
        seen = {c.id for c in found}
        raise store.CompoundNotFound(next(i for i in chosen if i not in seen))
    return found


def iso_time(value: Any) -> str:
    """A timestamp as ISO 8601 in UTC, to the second ("" when missing).

    Example:
        >>> iso_time(pd.Timestamp("2026-03-01 09:30:12.5", tz="UTC"))
        '2026-03-01T09:30:12Z'
    """
    if value is None or (not hasattr(value, "tzinfo") and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def high_means(model_id: str | None) -> str:
    """What a high score means under ``model_id`` ("" for an unknown or missing model).

    Example:
        >>> high_means("imp-4").startswith("High = likely an artifact")
        True
    """
    model = MODELS.get(model_id or "")
    return model.high_means if model is not None else ""


def compound_flags(compound: StoredCompound) -> dict[str, str]:
    """The query structure's own interference flags: flag name -> what matched.

    The record stored with the compound is used when there is one; otherwise the flags are
    computed from the stored structure (no structure: no flags).
    """
    for record in compound.flags:
        if compound.inchikey and record.get("inchikey") == compound.inchikey:
            flags, matches = record.get("flags") or {}, record.get("matches") or {}
            return {f: str(matches.get(f) or "") for f in FLAG_NAMES if flags.get(f)}
    if not compound.parent_smiles:
        return {}
    try:
        found = interference_flags(compound.parent_smiles)
    except ValueError:  # a structure RDKit no longer reads: report no flags
        return {}
    return {f: ", ".join(found.names(f)) for f in FLAG_NAMES if getattr(found, f)}


def best_row(compound: StoredCompound) -> pd.Series | None:
    """The best-scoring activity row (None when no row has a score)."""
    position = pipeline_best_row(compound.rows)
    return None if position is None else compound.rows.iloc[position]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def compounds_table(compounds: Sequence[StoredCompound]) -> pd.DataFrame:
    """One row per compound (``COMPOUND_COLUMNS``)."""
    records = []
    for c in compounds:
        rows = c.rows
        candidates = (
            int(rows["imp_candidate"].fillna(False).astype(bool).sum())
            if ("imp_candidate" in rows.columns)
            else 0
        )
        records.append(
            {
                "compound_id": c.id,
                "name": c.name,
                "query": c.query,
                "chembl_id": c.chembl_id,
                "inchikey": c.inchikey,
                "smiles": c.parent_smiles,
                "best_score": _number(c.best_score),
                "best_class": c.best_class,
                "scoring_model": c.model_id,
                "high_means": high_means(c.model_id),
                "mw": _number(c.mw),
                "n_rows": c.n_rows,
                "n_flags": c.n_flags,
                "flags": ", ".join(compound_flags(c)),
                "imp_candidate_rows": candidates,
                "owner": c.owner,
                "stored_at": iso_time(c.created_at),
                "shared_with": ", ".join(c.shared_with),
                "bioactivity_source": c.provenance.get("bioactivity_source"),
                "similarity_threshold": _number(c.provenance.get("similarity_threshold")),
                "impulator_version": c.provenance.get("impulator"),
            }
        )
    frame = pd.DataFrame(records, columns=list(COMPOUND_COLUMNS))
    return frame.astype({"best_score": "float64", "mw": "float64"})


def activities_table(compounds: Sequence[StoredCompound]) -> pd.DataFrame:
    """Every activity row of ``compounds``, each led by its compound's ids.

    A compound without rows (no neighbour was found) contributes no row.
    """
    frames = []
    for c in compounds:
        rows = c.rows.copy()
        for position, (name, value) in enumerate(
            zip(ACTIVITY_ID_COLUMNS, (c.id, c.name, c.chembl_id, c.inchikey), strict=True)
        ):
            rows.insert(position, name, [value] * len(rows))
        frames.append(rows)
    frames = [f for f in frames if not f.empty] or frames[:1]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for column in table.columns:
        if isinstance(table[column].dtype, pd.DatetimeTZDtype):
            table[column] = table[column].map(iso_time)
    return table


def write(data: bytes, path: str | Path | None) -> bytes:
    """``data``, also written to ``path`` when one is given."""
    if path is not None:
        Path(path).write_bytes(data)
    return data
