"""A structure in 3D and its drug-likeness: pure chemistry, no I/O."""

from __future__ import annotations

from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem import rdDistGeom, rdForceFieldHelpers

from impulator._errors import InvalidInput
from impulator.chem._descriptors import descriptors

__all__ = ["DrugLikenessRule", "drug_likeness", "embed_3d"]


def embed_3d(smiles: str, *, seed: int = 42) -> Chem.Mol:
    """``smiles`` with hydrogens and one ETKDG conformer (MMFF-relaxed when MMFF can).

    Raises:
        ValueError: the SMILES cannot be read, or no conformer could be generated.

    Example:
        >>> mol = embed_3d("CCO")
        >>> mol.GetNumConformers(), mol.GetNumAtoms()
        (1, 9)
    """
    with rdBase.BlockLogs():
        read: Chem.Mol | None = Chem.MolFromSmiles(smiles)
    if read is None:
        raise InvalidInput(f"cannot read the SMILES {smiles!r}")
    mol = read
    mol = Chem.AddHs(mol)
    params: Any = rdDistGeom.ETKDGv3()
    params.randomSeed = seed
    if rdDistGeom.EmbedMolecule(mol, params) != 0:
        params.useRandomCoords = True
        if rdDistGeom.EmbedMolecule(mol, params) != 0:
            raise InvalidInput("RDKit could not generate a 3D conformer of this structure")
    try:
        if rdForceFieldHelpers.MMFFHasAllMoleculeParams(mol):
            rdForceFieldHelpers.MMFFOptimizeMolecule(mol, maxIters=500)
    except (RuntimeError, ValueError):  # pragma: no cover - an unrelaxed conformer is fine
        pass
    return mol


# -- drug-likeness -----------------------------------------------------------------------------

#: One rule: (rule set, what it checks, descriptor key, limit, kind) with kind "max" or "min".
DrugLikenessRule = tuple[str, str, str, float, str]

_RULES: tuple[DrugLikenessRule, ...] = (
    ("Lipinski", "Molecular weight <= 500 Da", "mw", 500, "max"),
    ("Lipinski", "Crippen logP <= 5", "logp", 5, "max"),
    ("Lipinski", "H-bond donors <= 5", "hbd", 5, "max"),
    ("Lipinski", "H-bond acceptors <= 10", "hba", 10, "max"),
    ("Veber", "Rotatable bonds <= 10", "rotatable_bonds", 10, "max"),
    ("Veber", "Polar surface area <= 140 Å²", "tpsa", 140, "max"),
)


def drug_likeness(smiles: str) -> dict[str, Any]:
    """Lipinski's and Veber's rules and QED for ``smiles`` (its standardised parent).

    Returns ``descriptors`` (``impulator.chem.descriptors``), ``rules`` (one dict per rule:
    ``rule_set``, ``rule``, ``value``, ``passed``), ``lipinski_violations``, ``lipinski``
    (at most one violation allowed), ``veber`` and ``qed``.

    Example:
        >>> d = drug_likeness("CC(=O)Oc1ccccc1C(=O)O")
        >>> d["lipinski"], d["veber"], d["lipinski_violations"], round(d["qed"], 2)
        (True, True, 0, 0.55)
    """
    values = descriptors(smiles)
    rules = []
    for rule_set, text, key, limit, kind in _RULES:
        value = float(values[key])
        passed = value <= limit if kind == "max" else value >= limit
        rules.append({"rule_set": rule_set, "rule": text, "value": value, "passed": passed})
    lipinski_violations = sum(1 for r in rules if r["rule_set"] == "Lipinski" and not r["passed"])
    return {
        "descriptors": values,
        "rules": rules,
        "lipinski_violations": lipinski_violations,
        "lipinski": lipinski_violations <= 1,
        "veber": all(r["passed"] for r in rules if r["rule_set"] == "Veber"),
        "qed": float(values["qed"]),
    }
