"""PDB structural evidence as a score (SCIENCE.md section 8)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

__all__ = ["PdbEvidence", "pdb_evidence", "pdb_score", "resolution_bin"]

#: Resolution bins (Å) and their quality multipliers.
HIGH_RESOLUTION_BELOW = 2.0
MEDIUM_RESOLUTION_UP_TO = 3.0
BIN_MULTIPLIERS = {"high": 1.0, "medium": 0.75, "poor": 0.5}
#: Structures with a resolution needed for full credit on count.
FULL_COUNT = 5


def resolution_bin(resolution: float | None) -> str | None:
    """ "high" below 2.0 Å, "medium" from 2.0 to 3.0 Å, "poor" above; None when unknown.

    Example:
        >>> resolution_bin(1.8), resolution_bin(3.0), resolution_bin(None)
        ('high', 'medium', None)
    """
    if resolution is None or not math.isfinite(resolution) or resolution <= 0:
        return None
    if resolution < HIGH_RESOLUTION_BELOW:
        return "high"
    if resolution <= MEDIUM_RESOLUTION_UP_TO:
        return "medium"
    return "poor"


@dataclass(frozen=True)
class PdbEvidence:
    """Counts and score of the PDB structures of one compound.

    Structures without a resolution (NMR, some EM) are counted in ``n_structures`` but not
    scored.
    """

    n_structures: int
    n_high: int
    n_medium: int
    n_poor: int
    count_score: float
    quality_score: float
    score: float

    @property
    def n_resolved(self) -> int:
        """Structures with a resolution: the ones that count."""
        return self.n_high + self.n_medium + self.n_poor

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for tables and JSON."""
        return asdict(self)


def pdb_evidence(resolutions: Iterable[float | None]) -> PdbEvidence:
    """Score the structures of a compound from their resolutions.

    n = structures with a resolution; count score = min(n / 5, 1); quality = mean multiplier
    (high 1.0, medium 0.75, poor 0.5); score = (count + quality) / 2, or 0 when n = 0.

    Example:
        >>> ev = pdb_evidence([1.5, 1.6, 1.7, 1.9, 2.1, 2.5, 2.9, 3.4])
        >>> ev.n_structures, round(ev.score, 3)
        (8, 0.922)
    """
    values = list(resolutions)
    bins = [resolution_bin(r) for r in values]
    counts = {name: bins.count(name) for name in BIN_MULTIPLIERS}
    n = sum(counts.values())
    if n == 0:
        count_score = quality = score = 0.0
    else:
        count_score = min(n / FULL_COUNT, 1.0)
        quality = sum(BIN_MULTIPLIERS[name] * k for name, k in counts.items()) / n
        score = (count_score + quality) / 2.0
    return PdbEvidence(
        n_structures=len(values),
        n_high=counts["high"],
        n_medium=counts["medium"],
        n_poor=counts["poor"],
        count_score=count_score,
        quality_score=quality,
        score=score,
    )


def pdb_score(resolutions: Iterable[float | None]) -> float:
    """The PDB evidence score alone (see ``pdb_evidence``).

    Example:
        >>> round(pdb_score([2.5, 2.5, 1.0]), 3)
        0.717
    """
    return pdb_evidence(resolutions).score
