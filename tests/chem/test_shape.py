"""``chem.embed_3d`` and ``chem.drug_likeness`` on real drugs."""

from __future__ import annotations

import pytest
from rdkit import Chem

from impulator import chem

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
CICLOSPORIN = (
    "CC[C@H]1C(=O)N(CC(=O)N([C@H](C(=O)N[C@H](C(=O)N([C@H](C(=O)N[C@H](C(=O)N[C@@H](C(=O)"
    "N([C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N1)[C@@H]([C@H](C)C/C=C/C)O)C)"
    "C(C)C)C)CC(C)C)C)CC(C)C)C)C)C)CC(C)C)C)C(C)C)CC(C)C)C)C"
)


def test_embed_3d_gives_one_conformer_with_hydrogens() -> None:
    mol = chem.embed_3d(ASPIRIN)
    assert mol.GetNumConformers() == 1
    assert mol.GetNumAtoms() == Chem.AddHs(Chem.MolFromSmiles(ASPIRIN)).GetNumAtoms()
    again = chem.embed_3d(ASPIRIN)  # the seed makes it reproducible
    assert (mol.GetConformer().GetPositions() == again.GetConformer().GetPositions()).all()
    with pytest.raises(ValueError, match="cannot read"):
        chem.embed_3d("C1CC")


def test_drug_likeness_of_aspirin_and_ciclosporin() -> None:
    aspirin = chem.drug_likeness(ASPIRIN)
    assert aspirin["lipinski"] and aspirin["veber"] and aspirin["lipinski_violations"] == 0
    assert aspirin["qed"] == pytest.approx(chem.descriptors(ASPIRIN)["qed"])
    big = chem.drug_likeness(CICLOSPORIN)  # a macrocycle far outside the rule of five
    assert not big["lipinski"] and not big["veber"] and big["lipinski_violations"] >= 2
    assert [r["rule_set"] for r in big["rules"]].count("Lipinski") == 4
