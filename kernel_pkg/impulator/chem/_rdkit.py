"""Typed doors to the few RDKit functions that rdkit-stubs leaves untyped or omits."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from rdkit import Chem
from rdkit.Chem import QED, Descriptors

__all__ = ["inchi_to_inchikey", "mol_to_inchi", "mol_wt", "qed"]

# Descriptors.MolWt is generated at import time, so the stubs do not know it.
mol_wt = cast(Callable[[Chem.Mol], float], Descriptors.MolWt)  # type: ignore[attr-defined]
qed = cast(Callable[[Chem.Mol], float], QED.qed)
mol_to_inchi = cast(Callable[[Chem.Mol], str], Chem.MolToInchi)
inchi_to_inchikey = cast(Callable[[str], str], Chem.InchiToInchiKey)
