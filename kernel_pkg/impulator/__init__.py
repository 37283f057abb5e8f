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

import importlib as _importlib
import typing as _typing

from impulator import chem, science
from impulator._errors import (
    ImpulatorError,
    InvalidStructure,
    SourceError,
    SourceUnavailable,
    UnknownCompound,
)
from impulator._version import __version__

if _typing.TYPE_CHECKING:
    from impulator.pipeline import Report, analyze

__all__ = [
    "ImpulatorError",
    "InvalidStructure",
    "Report",
    "SourceError",
    "SourceUnavailable",
    "UnknownCompound",
    "__version__",
    "analyze",
    "chem",
    "science",
]


#: Packages with I/O, imported on first attribute access.
_SUBPACKAGES = ("batch", "exports", "jobs", "pipeline", "sources", "store", "ui")


def __getattr__(name: str) -> _typing.Any:
    # The pipeline pulls in databases and indexes: import it on first use, so that
    # `import impulator.chem` stays pure and fast.
    if name in ("analyze", "Report"):
        from impulator import pipeline

        return getattr(pipeline, name)
    if name in _SUBPACKAGES:  # `impulator.jobs.submit(...)` after a plain `import impulator`
        return _importlib.import_module(f"impulator.{name}")
    raise AttributeError(f"module 'impulator' has no attribute {name!r}")
