"""What every source answers, so the pipeline does not care which one does.

Two kinds of source:

- a :class:`BioactivitySource` (local ChEMBL dump, the demo ChEMBL, the ChEMBL web API)
  resolves names, finds similar compounds and returns their molecules and activities as
  DataFrames with the columns below, named as in ChEMBL's own schema;
- a :class:`PdbSource` (the Chemical Component Dictionary in biotite, local wwPDB index files,
  RCSB's web APIs) returns the PDB structures of a compound with their resolutions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pandas as pd

from impulator.chem import Structure
from impulator.science import ACTIVITY_COLUMNS

__all__ = [
    "ACTIVITY_RECORD_COLUMNS",
    "MOLECULE_COLUMNS",
    "SIMILARITY_COLUMNS",
    "BioactivitySource",
    "CompoundRecord",
    "PdbEntry",
    "PdbLookup",
    "PdbSource",
    "probe_thresholds",
]

#: ``BioactivitySource.similar`` returns these columns, best first.
SIMILARITY_COLUMNS = ("molecule_chembl_id", "similarity")

#: ``BioactivitySource.molecules`` returns these columns, one row per molecule.
#: ``full_mwt`` and ``psa`` are ChEMBL's compound_properties (salt included); NaN when unknown.
MOLECULE_COLUMNS = ("molecule_chembl_id", "pref_name", "canonical_smiles", "full_mwt", "psa")

#: ``BioactivitySource.activities`` returns these columns, one row per activity record.
#: ``ACTIVITY_COLUMNS`` are what :func:`impulator.science.curate_activities` reads.
ACTIVITY_RECORD_COLUMNS = (
    "activity_id",
    *ACTIVITY_COLUMNS,
    "assay_chembl_id",
    "assay_type",
    "target_pref_name",
    "target_organism",
    "document_chembl_id",
    "pubmed_id",
)

#: Similarity thresholds of the availability probe run when nothing is found (SCIENCE.md 1.3).
PROBE_FLOOR = 0.40
PROBE_STEP = 0.10


def probe_thresholds(threshold: float) -> list[float]:
    """T - 0.10, T - 0.20, ... down to 0.40: where the availability probe looks.

    Example:
        >>> probe_thresholds(0.9)
        [0.8, 0.7, 0.6, 0.5, 0.4]
        >>> probe_thresholds(0.45)
        [0.4]
    """
    steps = []
    value = round(threshold - PROBE_STEP, 2)
    while value >= PROBE_FLOOR - 1e-9:
        steps.append(value)
        value = round(value - PROBE_STEP, 2)
    if threshold > PROBE_FLOOR and (not steps or steps[-1] > PROBE_FLOOR):
        steps.append(PROBE_FLOOR)
    return steps


@dataclass(frozen=True)
class CompoundRecord:
    """A compound as a source knows it: what a name or identifier resolves to."""

    molecule_chembl_id: str
    canonical_smiles: str
    pref_name: str | None = None
    inchikey: str | None = None


@runtime_checkable
class BioactivitySource(Protocol):
    """A ChEMBL-shaped source of compounds and their activities."""

    #: Short name for reports, e.g. "ChEMBL 35 local", "demo: MoleculeACE 3.0.0".
    name: str

    def provenance(self) -> dict[str, str]:
        """``{"source": ..., "release": ..., "fingerprint": ...}`` for SCIENCE.md section 10."""
        ...

    def resolve(self, query: str) -> CompoundRecord:
        """A ChEMBL id, preferred name, synonym or InChIKey -> the compound.

        Raises :class:`impulator.UnknownCompound` when nothing matches.
        """
        ...

    def similar(
        self, structure: Structure, threshold: float, top_k: int | None = None
    ) -> pd.DataFrame:
        """Compounds whose Morgan fingerprint (radius 2, 2048 bits) has Tanimoto >= threshold
        to ``structure``, best first (``SIMILARITY_COLUMNS``)."""
        ...

    def count_similar(self, structure: Structure, thresholds: Sequence[float]) -> dict[float, int]:
        """How many compounds reach each threshold (the availability probe)."""
        ...

    def molecules(self, chembl_ids: Iterable[str]) -> pd.DataFrame:
        """The molecules with these ids (``MOLECULE_COLUMNS``)."""
        ...

    def activities(
        self, chembl_ids: Iterable[str], activity_types: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Activity records of these molecules (``ACTIVITY_RECORD_COLUMNS``), all types when
        ``activity_types`` is None."""
        ...


@dataclass(frozen=True)
class PdbEntry:
    """One PDB entry holding the compound, with its resolution in Å (None: NMR, some EM)."""

    pdb_id: str
    resolution: float | None
    ligand_code: str | None = None


@dataclass(frozen=True)
class PdbLookup:
    """The PDB structures found for one compound, and who answered."""

    source: str
    ligand_codes: tuple[str, ...] = ()
    entries: tuple[PdbEntry, ...] = ()
    note: str = ""
    details: dict[str, str] = field(default_factory=dict)

    @property
    def resolutions(self) -> list[float | None]:
        """Resolutions of the entries, for :func:`impulator.science.pdb_evidence`."""
        return [entry.resolution for entry in self.entries]


@runtime_checkable
class PdbSource(Protocol):
    """A source of PDB structures for a compound."""

    #: Short name for reports, e.g. "wwPDB CCD (biotite 1.6.0)", "RCSB web".
    name: str

    def lookup(self, structure: Structure) -> PdbLookup:
        """The PDB entries containing ``structure`` (exact match by InChIKey unless the
        source says otherwise in ``PdbLookup.note``)."""
        ...
