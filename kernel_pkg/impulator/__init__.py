"""impulator: which bioactivity results deserve trust.

For a compound and its ChEMBL neighbourhood, impulator computes ligand-efficiency indices
(SEI, BEI, NSEI, NBEI) and their planes, flags assay-interference chemotypes, weighs PDB
structural evidence, and scores every activity record so a chemist sees which results look
like real, efficient binding and which look like artifacts ("IMPs").

The pure core lives in :mod:`impulator.chem` (structures, descriptors, alerts) and
:mod:`impulator.science` (indices, planes, cohort statistics, scores).

Example:
    >>> import impulator
    >>> impulator.chem.standardize("CCO").inchikey
    'LFQSCWFLJHTTHZ-UHFFFAOYSA-N'
"""

from impulator import chem, science
from impulator._errors import InvalidStructure, SourceError, SourceUnavailable, UnknownCompound
from impulator._version import __version__

__all__ = [
    "InvalidStructure",
    "SourceError",
    "SourceUnavailable",
    "UnknownCompound",
    "__version__",
    "chem",
    "science",
]
