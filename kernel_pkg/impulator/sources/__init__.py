"""Where compounds, activities and PDB structures come from: local ChEMBL dumps, the demo
ChEMBL, the ChEMBL web API, and PDB sources, each behind a small protocol.

Example:
    >>> from impulator import sources
    >>> source = sources.open_source()  # the configured ChEMBL; the demo by default
    ... # doctest: +SKIP
    >>> source.resolve("dasatinib").molecule_chembl_id  # doctest: +SKIP
    'CHEMBL1421'
"""

from impulator.sources._base import (
    ACTIVITY_RECORD_COLUMNS,
    MOLECULE_COLUMNS,
    SIMILARITY_COLUMNS,
    BioactivitySource,
    CompoundRecord,
    PdbEntry,
    PdbLookup,
    PdbSource,
    probe_thresholds,
)
from impulator.sources._chembl_local import ChemblDatabase
from impulator.sources._chembl_web import ChemblWebSource
from impulator.sources._open import (
    default_index_path,
    ensure_demo,
    open_pdb_source,
    open_source,
    uses_demo,
)
from impulator.sources._pdb_ccd import CcdPdbSource
from impulator.sources._pdb_rcsb import RcsbWebSource
from impulator.sources._pdb_wwpdb import WwpdbIndexSource
from impulator.sources._similarity import SimilarityIndex

__all__ = [
    "ACTIVITY_RECORD_COLUMNS",
    "MOLECULE_COLUMNS",
    "SIMILARITY_COLUMNS",
    "BioactivitySource",
    "CcdPdbSource",
    "ChemblDatabase",
    "ChemblWebSource",
    "CompoundRecord",
    "PdbEntry",
    "PdbLookup",
    "PdbSource",
    "RcsbWebSource",
    "SimilarityIndex",
    "WwpdbIndexSource",
    "default_index_path",
    "ensure_demo",
    "open_pdb_source",
    "open_source",
    "probe_thresholds",
    "uses_demo",
]
