"""Where compounds, activities and PDB structures come from: local ChEMBL dumps, the demo
ChEMBL, the ChEMBL web API, and PDB sources, each behind a small protocol."""

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
