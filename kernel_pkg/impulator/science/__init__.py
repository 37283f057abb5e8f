"""The numbers a medicinal chemist acts on: activities, efficiency indices, planes, cohort
statistics, PDB evidence and scores. Pure functions over numbers, arrays and DataFrames.

Example:
    >>> from impulator import science
    >>> ix = science.efficiency_indices(7.5, tpsa=85.2, mw=342.1, npol=5, nha=24)
    >>> round(ix["sei"], 4)
    8.8028
"""

from impulator.science._activities import (
    ACTIVITY_COLUMNS,
    CURATION_MODES,
    DEFAULT_ACTIVITY_TYPES,
    UNIT_FACTORS,
    Curation,
    CurationMode,
    curate_activities,
    pactivity,
    to_nanomolar,
)
from impulator.science._cohort import evaluate_cohort
from impulator.science._indices import INDEX_NAMES, add_efficiency_indices, efficiency_indices
from impulator.science._pdb import PdbEvidence, pdb_evidence, pdb_score, resolution_bin
from impulator.science._planes import (
    COHORT_METRICS,
    add_cohort_statistics,
    add_imp_confidence,
    add_planes,
    angle_label,
    imp_confidence,
    iqr_outliers,
    plane_geometry,
    zscores,
)
from impulator.science._scoring import (
    BANDS,
    CLASS_COLOURS,
    COMPONENTS,
    DEFAULT_MODEL,
    MODELS,
    STRONG_CLASSES,
    ScoringModel,
    angle_score,
    classify,
    distance_score,
    get_model,
    interference_score,
    normalised_efficiency,
    score_cohort,
    score_components,
)

__all__ = [
    "ACTIVITY_COLUMNS",
    "BANDS",
    "CLASS_COLOURS",
    "COHORT_METRICS",
    "COMPONENTS",
    "CURATION_MODES",
    "DEFAULT_ACTIVITY_TYPES",
    "DEFAULT_MODEL",
    "INDEX_NAMES",
    "MODELS",
    "STRONG_CLASSES",
    "UNIT_FACTORS",
    "Curation",
    "CurationMode",
    "PdbEvidence",
    "ScoringModel",
    "add_cohort_statistics",
    "add_efficiency_indices",
    "add_imp_confidence",
    "add_planes",
    "angle_label",
    "angle_score",
    "classify",
    "curate_activities",
    "distance_score",
    "efficiency_indices",
    "evaluate_cohort",
    "get_model",
    "imp_confidence",
    "interference_score",
    "iqr_outliers",
    "normalised_efficiency",
    "pactivity",
    "pdb_evidence",
    "pdb_score",
    "plane_geometry",
    "resolution_bin",
    "score_cohort",
    "score_components",
    "to_nanomolar",
    "zscores",
]
