"""Reading and standardising structures."""

from __future__ import annotations

import pickle

import pytest
from rdkit import Chem

from impulator import InvalidStructure
from impulator.chem import Structure, standardize

ASPIRIN_KEY = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
ASPIRIN_INCHI = "InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)"


def test_smiles_salt_is_stripped_and_neutralised() -> None:
    s = standardize("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
    assert s.smiles == "CC(=O)Oc1ccccc1C(=O)O"
    assert s.inchikey == ASPIRIN_KEY
    assert s.inchi == ASPIRIN_INCHI
    assert s.input == "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]"
    assert s.input_format == "smiles"


def test_inchi_input() -> None:
    s = standardize(ASPIRIN_INCHI)
    assert s.input_format == "inchi" and s.inchikey == ASPIRIN_KEY


def test_molblock_and_sdf_record_input() -> None:
    mol = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    mol.SetProp("_Name", "aspirin")
    block = Chem.MolToMolBlock(mol)
    s = standardize(block)
    assert s.input_format == "molblock" and s.inchikey == ASPIRIN_KEY and s.name == "aspirin"
    sdf = block + ">  <CHEMBL_ID>\nCHEMBL25\n\n$$$$\n"
    assert standardize(sdf).inchikey == ASPIRIN_KEY
    untitled = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))  # empty title line
    assert untitled.startswith("\n")
    assert standardize(untitled).smiles == "CCO" and standardize(untitled).name is None


def test_rdkit_mol_input() -> None:
    s = standardize(Chem.MolFromSmiles("OC(=O)c1ccccc1O"))
    assert s.input_format == "mol" and s.inchikey == "YGSDEFSMJLZEOE-UHFFFAOYSA-N"


def test_charged_parent_is_neutralised() -> None:
    assert standardize("C[NH3+].[Cl-]").smiles == "CN"


def test_structure_equality_and_pickle() -> None:
    a, b = standardize("OCC"), standardize("CCO")
    assert a == b and hash(a) == hash(b)
    a._cache["descriptors"] = {"mw": 1.0}
    restored = pickle.loads(pickle.dumps(a))
    assert isinstance(restored, Structure) and restored == a
    assert restored._cache == {}
    assert Chem.MolToSmiles(restored.mol) == "CCO"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("C1CC", "ring bond 1 is opened but never closed"),
        ("C(C", "branch '(' is opened but never closed"),
        ("CC)C", "closed but was never opened"),
        ("N(C)(C)(C)(C)C", "atom 1 (N) has 5 bonds"),
        ("c1cccc1", "cannot be kekulized"),
        ("[Xx]", "syntax error"),
        ("CCO ethanol", "no spaces"),
        ("C\x00C", "control characters"),
        ("BSYNRYMUTXBXSQ-UHFFFAOYSA-N", "InChIKey"),
        ("CHEMBL25", "ChEMBL id"),
        ("InChI=1S/garbage", "InChI"),
        ("C" * 5001, "at most 5,000"),
        ("*CC", "dummy atoms"),
        ("C" * 600, "heavy atoms"),
        ("junk\n\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\nM  END", "molfile"),
        ("a\n$$$$\nb\nM  END\n$$$$\n", "2 SDF records"),
    ],
)
def test_invalid_input_names_the_input_and_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidStructure) as info:
        standardize(text)
    message = str(info.value)
    assert reason in message
    assert message.startswith("cannot read ")
    assert info.value.reason in message
    assert isinstance(info.value, ValueError)
    assert "\n" not in message


def test_non_text_input() -> None:
    with pytest.raises(InvalidStructure, match="a int object"):
        standardize(42)  # type: ignore[arg-type]


def test_long_input_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidStructure) as info:
        standardize("C1" + "C" * 4000)
    assert len(str(info.value)) < 200
    assert "4,002 characters" in str(info.value) or "(4002 characters)" in str(info.value)
