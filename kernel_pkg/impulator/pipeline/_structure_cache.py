"""Standardised structures and their profiles on disk, shared by every process of a data directory.

Standardising a ChEMBL structure and computing its descriptors and assay-interference flags
costs ~15-20 ms; it depends only on the SMILES and on the versions below, never on the
analysis. The first analysis that profiles a SMILES writes the result to an SQLite file in
the data directory's ``cache`` folder; later processes (kernels, batch workers) read it back
in well under a millisecond. The file's name carries a digest of what the results depend on
(RDKit, the ChEMBL structure pipeline, impulator's version and the source of
``impulator.chem``), so an upgrade starts a new file instead of reading stale results.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem

import impulator.chem
from impulator._version import __version__
from impulator.chem import DESCRIPTOR_RULE, Structure, alert_provenance

__all__ = ["StructureCache"]

# Raise when what a row holds (or how it is computed) changes without a version change above.
_REVISION = 1
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS structures (smiles TEXT PRIMARY KEY, mol BLOB NOT NULL,"
    " parent_smiles TEXT NOT NULL, inchi TEXT NOT NULL, inchikey TEXT NOT NULL,"
    " excluded INTEGER NOT NULL, profile TEXT NOT NULL)"
)


def _versions() -> str:
    # impulator.chem's own source too: a changed rule in a development install must not read
    # results computed by the old one under the same version number.
    chem = hashlib.sha256()
    for path in sorted(Path(impulator.chem.__file__).parent.glob("*.py")):
        chem.update(path.read_bytes())
    parts = [
        f"impulator {__version__}",
        f"impulator.chem {chem.hexdigest()[:16]}",
        f"rdkit {version('rdkit')}",
        f"chembl_structure_pipeline {version('chembl_structure_pipeline')}",
        f"alerts {alert_provenance()['impulator_alerts']}",
        f"descriptors {DESCRIPTOR_RULE}",
        f"revision {_REVISION}",
    ]
    return "; ".join(parts)


def _plain(value: Any) -> Any:
    # numpy scalars in a profile become the Python numbers json writes
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a structure profile")


class StructureCache:
    """SMILES -> standardised parent and profile (descriptors and flags), on disk.

    Rows are only ever added (``INSERT OR IGNORE``): concurrent processes may both compute a
    SMILES, the first write wins and both results are the same. The RDKit molecule is kept
    in RDKit's binary form, so the structure read back is the one computed. A folder that
    cannot be written or read (a read-only data directory, a locked file) leaves every
    structure to be computed as without the file; an analysis never fails because of it.

    Example:
        >>> import tempfile
        >>> from impulator.chem import standardize
        >>> cache = StructureCache(tempfile.mkdtemp())
        >>> s = standardize("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
        >>> cache.add(s, {"mw": 180.16})
        >>> again = StructureCache(cache.path.parent).get("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
        >>> again == s, again.smiles, again._cache["profile"]
        (True, 'CC(=O)Oc1ccccc1C(=O)O', {'mw': 180.16})
    """

    def __init__(self, folder: str | Path) -> None:
        digest = hashlib.sha256(_versions().encode()).hexdigest()[:12]
        self.path = Path(folder).expanduser() / f"structures-{digest}.sqlite"
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = -1
        self._broken = False

    def get(self, smiles: str) -> Structure | None:
        """The stored parent of ``smiles`` with its profile in ``_cache["profile"]``, or None."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return None
            try:
                row = connection.execute(
                    "SELECT mol, parent_smiles, inchi, inchikey, excluded, profile"
                    " FROM structures WHERE smiles = ?",
                    (smiles,),
                ).fetchone()
            except sqlite3.Error:
                return None
        if row is None:
            return None
        mol, parent, inchi, inchikey, excluded, profile = row
        structure = Structure(
            input=smiles,
            input_format="smiles",
            mol=Chem.Mol(bytes(mol)),  # type: ignore[call-overload]  # the stubs say str
            smiles=parent,
            inchi=inchi,
            inchikey=inchikey,
            excluded=bool(excluded),
        )
        structure._cache["profile"] = json.loads(profile)
        return structure

    def add(self, structure: Structure, profile: Mapping[str, Any]) -> None:
        """Keep a structure read from a SMILES and its profile (best effort)."""
        if structure.input_format != "smiles":
            return  # the key is the SMILES as given
        row = (
            structure.input,
            structure.mol.ToBinary(),
            structure.smiles,
            structure.inchi,
            structure.inchikey,
            int(structure.excluded),
            json.dumps(dict(profile), default=_plain),
        )
        with self._lock:
            connection = self._connect()
            if connection is None:
                return
            try:
                with connection:
                    connection.execute(
                        "INSERT OR IGNORE INTO structures VALUES (?, ?, ?, ?, ?, ?, ?)", row
                    )
            except sqlite3.Error:
                pass  # busy or read-only: this process keeps the result in memory only

    def _connect(self) -> sqlite3.Connection | None:
        # One connection per process: a forked worker opens its own.
        if self._broken:
            return None
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_SCHEMA)
        except (OSError, sqlite3.Error):
            self._broken = True
            return None
        self._connection, self._pid = connection, os.getpid()
        return connection
