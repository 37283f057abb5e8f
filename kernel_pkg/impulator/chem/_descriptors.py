"""Molecular descriptors (SCIENCE.md section 3), computed once per structure."""

from __future__ import annotations

import math

from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from impulator.chem._rdkit import mol_wt, qed
from impulator.chem._structure import Structure, as_structure

__all__ = ["DESCRIPTOR_NAMES", "descriptors"]

#: The descriptor keys, in display order.
DESCRIPTOR_NAMES = (
    "mw",
    "tpsa",
    "nha",
    "npol",
    "qed",
    "hbd",
    "hba",
    "logp",
    "aromatic_rings",
    "rotatable_bonds",
    "ro5_violations",
)


def descriptors(structure_or_smiles: Structure | str | Chem.Mol) -> dict[str, float | int]:
    """Descriptors of the standardised parent: the inputs of every efficiency index.

    Keys: ``mw`` (average molecular weight, Da), ``tpsa`` (topological polar surface area,
    Å²), ``nha`` (heavy atoms), ``npol`` (N plus O atoms), ``qed``, ``hbd`` and ``hba``
    (Lipinski's NH+OH and N+O counts), ``logp`` (Crippen), ``aromatic_rings``,
    ``rotatable_bonds`` and ``ro5_violations`` (mw > 500, logp > 5, hbd > 5, hba > 10).
    A Structure keeps its descriptors: asking twice computes once.

    Example:
        >>> d = descriptors("CC(=O)Oc1ccccc1C(=O)O")
        >>> round(d["mw"], 2), round(d["tpsa"], 2), d["nha"], d["npol"]
        (180.16, 63.6, 13, 4)
    """
    structure = as_structure(structure_or_smiles)
    cached = structure._cache.get("descriptors")
    if cached is None:
        cached = compute_descriptors(structure.mol)
        structure._cache["descriptors"] = cached
    return dict(cached)


DESCRIPTOR_RULE = "descriptors on neutral S=O/P=O (ChEMBL's drawing); N-oxides as [N+][O-]"


def neutralize_oxo_ylides(mol: Chem.Mol) -> Chem.Mol:
    """A copy of ``mol`` with [S+]-[O-] and [P+]-[O-] drawn neutral as S=O and P=O.

    The ChEMBL pipeline writes sulfoxides as [S+][O-]; RDKit's TPSA counts that oxygen as
    23.06 Å² instead of 17.07, while ChEMBL publishes PSA on the S=O form. N-oxides stay
    [N+][O-] (that is how they are drawn). Other molecules come back unchanged.

    Example:
        >>> from rdkit import Chem
        >>> Chem.MolToSmiles(neutralize_oxo_ylides(Chem.MolFromSmiles("C[S+](C)[O-]")))
        'CS(C)=O'
    """
    out = Chem.RWMol(mol)
    changed = False
    for bond in out.GetBonds():
        if bond.GetBondType() != Chem.BondType.SINGLE:
            continue
        a, b = bond.GetBeginAtom(), bond.GetEndAtom()
        if a.GetAtomicNum() == 8:
            a, b = b, a
        if (
            a.GetAtomicNum() in (15, 16)
            and a.GetFormalCharge() == 1
            and b.GetAtomicNum() == 8
            and b.GetFormalCharge() == -1
            and b.GetDegree() == 1
        ):
            bond.SetBondType(Chem.BondType.DOUBLE)
            a.SetFormalCharge(0)
            b.SetFormalCharge(0)
            b.SetNumExplicitHs(0)
            changed = True
    if not changed:
        return mol
    result = out.GetMol()
    Chem.SanitizeMol(result)
    return result


def compute_descriptors(mol: Chem.Mol) -> dict[str, float | int]:
    """Descriptors of ``mol`` on its neutral S=O/P=O form (no standardisation, no caching)."""
    mol = neutralize_oxo_ylides(mol)
    mw = mol_wt(mol)
    logp = rdMolDescriptors.CalcCrippenDescriptors(mol)[0]  # = Crippen.MolLogP
    hbd = rdMolDescriptors.CalcNumLipinskiHBD(mol)
    hba = rdMolDescriptors.CalcNumLipinskiHBA(mol)
    try:
        drug_likeness = qed(mol)
    except (ValueError, RuntimeError):  # QED's property calculation fails on a few exotic parents
        drug_likeness = math.nan
    return {
        "mw": mw,
        "tpsa": rdMolDescriptors.CalcTPSA(mol),
        "nha": mol.GetNumHeavyAtoms(),
        "npol": sum(1 for atom in mol.GetAtoms() if atom.GetAtomicNum() in (7, 8)),
        "qed": drug_likeness,
        "hbd": hbd,
        "hba": hba,
        "logp": logp,
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(mol),
        "rotatable_bonds": rdMolDescriptors.CalcNumRotatableBonds(mol),
        "ro5_violations": int(mw > 500) + int(logp > 5) + int(hbd > 5) + int(hba > 10),
    }
