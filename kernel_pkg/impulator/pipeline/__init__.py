"""One analysis: a query compound in, its scored ChEMBL neighbourhood out."""

from impulator.pipeline._analyze import (
    analyze,
    probe,
    read_query,
    structure_profile,
    use_structure_cache,
)
from impulator.pipeline._options import (
    ANALYZE_OPTIONS,
    MAX_SIMILARITY,
    MIN_SIMILARITY,
    AnalyzeOptions,
)
from impulator.pipeline._report import (
    PROTOTYPE_COLUMNS,
    RESULT_COLUMNS,
    Report,
    best_class,
    best_row,
    best_rows,
    default_name,
    json_ready,
)
from impulator.pipeline._structure_cache import StructureCache

__all__ = [
    "ANALYZE_OPTIONS",
    "MAX_SIMILARITY",
    "MIN_SIMILARITY",
    "PROTOTYPE_COLUMNS",
    "RESULT_COLUMNS",
    "AnalyzeOptions",
    "Report",
    "StructureCache",
    "analyze",
    "best_class",
    "best_row",
    "best_rows",
    "default_name",
    "json_ready",
    "probe",
    "read_query",
    "structure_profile",
    "use_structure_cache",
]
