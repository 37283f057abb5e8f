"""Structures, descriptors and assay-interference alerts: pure chemistry, no I/O.

Example:
    >>> from impulator import chem
    >>> s = chem.standardize("O=C(O)c1ccccc1O")
    >>> chem.descriptors(s)["npol"]
    3
    >>> chem.interference_flags("Oc1ccccc1O").redox
    True
"""

from impulator.chem._alerts import (
    FLAG_NAMES,
    SCORED_FLAGS,
    AlertMatch,
    InterferenceFlags,
    alert_provenance,
    interference_flags,
)
from impulator.chem._depict import depict_svg
from impulator.chem._descriptors import (
    DESCRIPTOR_NAMES,
    DESCRIPTOR_RULE,
    descriptors,
    neutralize_oxo_ylides,
)
from impulator.chem._rdkit import mol_wt, qed
from impulator.chem._shape import DrugLikenessRule, drug_likeness, embed_3d
from impulator.chem._structure import Structure, as_structure, standardize

__all__ = [
    "DESCRIPTOR_NAMES",
    "DESCRIPTOR_RULE",
    "FLAG_NAMES",
    "SCORED_FLAGS",
    "AlertMatch",
    "DrugLikenessRule",
    "InterferenceFlags",
    "Structure",
    "alert_provenance",
    "as_structure",
    "depict_svg",
    "descriptors",
    "drug_likeness",
    "embed_3d",
    "interference_flags",
    "mol_wt",
    "neutralize_oxo_ylides",
    "qed",
    "standardize",
]
