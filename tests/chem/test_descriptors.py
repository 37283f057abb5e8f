"""Descriptors (SCIENCE.md section 3)."""

from __future__ import annotations

import math

import pytest
from rdkit import Chem
from rdkit.Chem import QED, Crippen

from impulator.chem import (
    DESCRIPTOR_NAMES,
    _descriptors,
    descriptors,
    neutralize_oxo_ylides,
    standardize,
)


def test_aspirin() -> None:
    d = descriptors("CC(=O)Oc1ccccc1C(=O)O")
    assert tuple(d) == DESCRIPTOR_NAMES
    assert d["mw"] == pytest.approx(180.159, abs=1e-3)
    assert d["tpsa"] == pytest.approx(63.6, abs=1e-2)
    assert d["nha"] == 13
    assert d["npol"] == 4
    assert d["hbd"] == 1 and d["hba"] == 4
    assert d["aromatic_rings"] == 1
    assert d["rotatable_bonds"] == 2  # RDKit's default (strict) definition
    assert d["ro5_violations"] == 0
    mol = standardize("CC(=O)Oc1ccccc1C(=O)O").mol
    assert d["qed"] == pytest.approx(QED.qed(mol))
    assert d["logp"] == pytest.approx(Crippen.MolLogP(mol))


def test_computed_on_the_parent_not_the_salt() -> None:
    salt = descriptors("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
    assert salt["mw"] == pytest.approx(180.159, abs=1e-3)


def test_npol_counts_nitrogen_and_oxygen_only() -> None:
    d = descriptors("O=S(=O)(N)c1ccc(Cl)cc1")  # sulfonamide: 2 O + 1 N, S and Cl excluded
    assert d["npol"] == 3


def test_zero_tpsa() -> None:
    d = descriptors("c1ccc2ccccc2c1")
    assert d["tpsa"] == 0.0 and d["npol"] == 0


def test_ro5_violations() -> None:
    # A large lipophilic molecule: MW > 500 and logP > 5.
    d = descriptors("CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCc1ccc(cc1)C(=O)Nc1ccc(cc1)C(=O)O")
    assert d["mw"] > 500 and d["logp"] > 5
    assert d["ro5_violations"] == 2


def test_computed_once_per_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    s = standardize("CCO")
    calls = []
    original = _descriptors.mol_wt
    monkeypatch.setattr(_descriptors, "mol_wt", lambda m: calls.append(1) or original(m))
    first = descriptors(s)
    second = descriptors(s)
    assert first == second and len(calls) == 1
    first["mw"] = -1.0  # callers get a copy: the cache cannot be corrupted
    assert not math.isclose(descriptors(s)["mw"], -1.0)


# ChEMBL publishes PSA on the neutral S=O form; the pipeline draws [S+][O-].
@pytest.mark.parametrize(
    ("smiles", "tpsa"),
    [
        ("CS(C)=O", 17.07),  # DMSO
        ("CC1=C(CC(O)=O)c2cc(F)ccc2/C1=C\\c1ccc(cc1)S(C)=O", 54.37),  # sulindac
        ("CS(=O)(=O)c1ccccc1", 34.14),  # sulfone
        ("CS(N)(=O)=O", 60.16),  # sulfonamide
        ("CP(C)(C)=O", 17.07),  # phosphine oxide
        ("C[N+](C)(C)[O-]", 23.06),  # N-oxide stays charged, as drawn
    ],
)
def test_tpsa_on_neutral_oxo_form(smiles: str, tpsa: float) -> None:
    assert round(descriptors(standardize(smiles))["tpsa"], 2) == tpsa


def test_neutralize_oxo_ylides_leaves_ordinary_molecules_alone() -> None:
    mol = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    assert neutralize_oxo_ylides(mol) is mol


def test_standardised_sulfoxide_keeps_its_drawing() -> None:
    assert "[S+]" in standardize("CS(C)=O").smiles
