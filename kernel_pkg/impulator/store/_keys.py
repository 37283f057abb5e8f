"""Which stored analyses are "the same": the duplicate key of a compound."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["PROVENANCE_KEY_FIELDS", "provenance_key"]

#: The provenance entries that change an analysis' numbers (versions of impulator and RDKit
#: do not: a re-run with a newer release is still the same question).
PROVENANCE_KEY_FIELDS: tuple[str, ...] = (
    "scoring_model",
    "curation",
    "similarity_threshold",
    "top_k",
    "fingerprint",
    "activity_types",
    "bioactivity_source",
    "bioactivity_release",
    "pdb_source",
)


def provenance_key(provenance: Mapping[str, Any]) -> str:
    """A short, stable digest of the settings and data an analysis was made with.

    Two saves of the same InChIKey by the same owner with the same key are duplicates.

    Example:
        >>> a = provenance_key({"scoring_model": "imp-4", "similarity_threshold": 0.7})
        >>> a == provenance_key({"similarity_threshold": 0.7, "scoring_model": "imp-4",
        ...                      "impulator": "0.2.0"})
        True
        >>> a == provenance_key({"scoring_model": "oqpla-2", "similarity_threshold": 0.7})
        False
        >>> len(a)
        24
    """
    chosen = {k: provenance.get(k) for k in PROVENANCE_KEY_FIELDS}
    text = json.dumps(chosen, sort_keys=True, default=str, separators=(",", ":"))
    return "p1-" + hashlib.sha256(text.encode()).hexdigest()[:21]
