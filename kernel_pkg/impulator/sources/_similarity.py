"""The similarity index: FPSim2 (the engine ChEMBL itself uses) over Morgan fingerprints.

Radius 2, 2048 bits, Tanimoto (SCIENCE.md section 1.3). FPSim2's own default Morgan radius is
3, so the parameters are always given explicitly. An index is built once by
``impulator data index`` and loaded once per process (``load_index``), never per query.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from impulator._errors import InvalidInput, SourceUnavailable
from impulator.chem import Structure

__all__ = ["FINGERPRINT", "FP_PARAMS", "FP_TYPE", "SimilarityIndex", "build_index", "load_index"]

FP_TYPE = "Morgan"
FP_PARAMS: dict[str, Any] = {"radius": 2, "fpSize": 2048}
#: How the fingerprint is described in provenance.
FINGERPRINT = "Morgan r2 2048 (FPSim2, Tanimoto)"

Progress = Callable[[int, int, str], None]


class SimilarityIndex:
    """An FPSim2 index held in memory; ids are the source's integer keys (ChEMBL molregno).

    Example:
        >>> import tempfile, pathlib
        >>> from impulator.chem import standardize
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
        >>> build_index([("CCO", 1), ("CCCO", 2), ("c1ccccc1", 3)], path)
        >>> index = SimilarityIndex(path)
        >>> [(i, round(s, 2)) for i, s in index.search(standardize("CCO"), 0.3)]
        [(1, 1.0), (2, 0.56)]
    """

    def __init__(self, path: Path) -> None:
        from FPSim2 import FPSim2Engine  # heavy import (tables, HDF5): only when used

        self.path = Path(path)
        if not self.path.is_file():
            raise SourceUnavailable(
                f"no similarity index at {self.path}: build it with `impulator data index`"
            )
        try:
            self._engine = FPSim2Engine(str(self.path))
        except Exception as exc:  # FPSim2/PyTables raise many types for a damaged file
            raise SourceUnavailable(
                f"the similarity index {self.path} is unreadable ({type(exc).__name__}: {exc}); "
                "rebuild it with `impulator data index`"
            ) from None
        fp_type = getattr(self._engine, "fp_type", FP_TYPE)
        params = dict(getattr(self._engine, "fp_params", {}) or {})
        if fp_type != FP_TYPE or params.get("radius") != 2 or params.get("fpSize") != 2048:
            raise SourceUnavailable(
                f"the similarity index {self.path} holds {fp_type} {params} fingerprints, not "
                "Morgan radius 2, 2048 bits: rebuild it with `impulator data index`"
            )

    def __len__(self) -> int:
        return int(self._engine.fps.shape[0])

    def search(
        self, structure: Structure, threshold: float, top_k: int | None = None
    ) -> list[tuple[int, float]]:
        """(id, similarity) of every fingerprint with Tanimoto >= threshold, best first."""
        if not 0.0 < threshold <= 1.0:
            raise InvalidInput(f"similarity threshold must be in (0, 1], not {threshold}")
        if top_k is not None:
            hits = self._engine.top_k(structure.smiles, k=int(top_k), threshold=threshold)
        else:
            hits = self._engine.similarity(structure.smiles, threshold=threshold)
        ordered = sorted(((int(i), float(c)) for i, c in hits), key=lambda h: (-h[1], h[0]))
        return ordered[:top_k] if top_k is not None else ordered

    def count(self, structure: Structure, thresholds: Sequence[float]) -> dict[float, int]:
        """How many fingerprints reach each threshold: one search at the lowest."""
        if not thresholds:
            return {}
        coefficients = np.array([s for _, s in self.search(structure, min(thresholds))])
        return {t: int(np.sum(coefficients >= t - 1e-9)) for t in thresholds}


def build_index(
    rows: Iterable[tuple[str, int]], path: Path, progress: Progress | None = None
) -> None:
    """Build an FPSim2 index from (SMILES, integer id) rows into ``path`` (atomically).

    Unparseable SMILES are skipped by FPSim2; the index says how many it holds.
    """
    from FPSim2.io import create_db_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    materialised = [[smiles, int(key)] for smiles, key in rows]
    if progress:
        progress(0, len(materialised), "fingerprints")
    fd, tmp_name = tempfile.mkstemp(suffix=".h5", dir=path.parent)
    os.close(fd)
    try:
        create_db_file(
            mols_source=materialised,
            filename=tmp_name,
            mol_format="smiles",
            fp_type=FP_TYPE,
            fp_params=FP_PARAMS,
        )
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    _load.cache_clear()
    if progress:
        progress(len(materialised), len(materialised), "fingerprints")


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> SimilarityIndex:
    return SimilarityIndex(Path(path))


def load_index(path: Path) -> SimilarityIndex:
    """The index at ``path``, loaded once per process (reloaded if the file changes)."""
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _load(str(Path(path).resolve()), mtime)
