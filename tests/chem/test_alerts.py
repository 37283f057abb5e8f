"""Assay-interference flags: the SMARTS table, the catalogues, the spec's examples, caching."""

from __future__ import annotations

import doctest
import re

import pytest
from rdkit import Chem

from impulator.chem import _alerts
from impulator.chem._alerts import (
    ALERT_PATTERNS,
    ALERTS_VERSION,
    FLAG_NAMES,
    SCORED_FLAGS,
    AlertMatch,
    AlertPattern,
    InterferenceFlags,
    alert_provenance,
    interference_flags,
)
from impulator.chem._structure import standardize

CATECHOL = "Oc1ccccc1O"
QUERCETIN = "O=c1c(O)c(-c2ccc(O)c(O)c2)oc2cc(O)cc(O)c12"
ACRYLAMIDE = "C=CC(=O)N"
NAPHTHALENE = "c1ccc2ccccc2c1"
ANTHRACENE = "c1ccc2cc3ccccc3cc2c1"
IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
FLUORESCEIN = "O=C1OC2(c3ccccc31)c1ccc(O)cc1Oc1cc(O)ccc12"
RHODAMINE_B = "CCN(CC)c1ccc2c(-c3ccccc3C(=O)O)c3ccc(=[N+](CC)CC)cc-3oc2c1"
DIPHENYLANTHRACENE = "c1ccc(-c2c3ccccc3c(-c3ccccc3)c3ccccc23)cc1"

# A spread of ordinary drugs and alert-bearing compounds for the invariant checks.
ASSORTED = [
    CATECHOL,
    QUERCETIN,
    ACRYLAMIDE,
    IBUPROFEN,
    FLUORESCEIN,
    RHODAMINE_B,
    DIPHENYLANTHRACENE,
    "CC(=O)Oc1ccccc1C(=O)O",  # aspirin
    "CC(=O)Nc1ccc(O)cc1",  # paracetamol
    "CN1CCC[C@H]1c1cccnc1",  # nicotine
    "O=C1C=CC(=O)c2ccccc21",  # 1,4-naphthoquinone
    "C=CC(=O)Nc1cccc(Nc2nc(Nc3ccc(N4CCN(C)CC4)cc3OC)ncc2Cl)c1",  # acrylamide warhead
    "COc1ccc2[nH]cc(CCNC(C)=O)c2c1",  # melatonin
]


def _pattern_id(pattern: AlertPattern) -> str:
    return f"{pattern.flag}:{pattern.name}"


# --- the SMARTS table ------------------------------------------------------------------------


def test_table_is_well_formed() -> None:
    names = [p.name for p in ALERT_PATTERNS]
    assert len(names) == len(set(names)), "pattern names must be unique"
    for pattern in ALERT_PATTERNS:
        assert pattern.flag in SCORED_FLAGS
        assert pattern.flag not in ("pains", "aggregator")  # catalogue and physchem rule
        assert pattern.positive
        assert pattern.negative


@pytest.mark.parametrize(
    "required",
    [
        "para-quinone",
        "ortho-quinone",
        "naphthoquinone",
        "anthraquinone",
        "catechol (free OH)",
        "hydroquinone (free OH)",
        "hydroxylamine",
        "nitroso",
        "nitroaromatic",
        "coumarin",
        "7-aminocoumarin",
        "xanthene",
        "fluorescein",
        "rhodamine",
        "naphthalene",
        "anthracene",
        "pyrene",
        "stilbene",
        "flavone",
        "flavonol",
        "acridine",
        "enone",
        "acrylamide",
        "acrylate",
        "maleimide",
        "vinyl sulfone",
        "acyl halide",
        "anhydride",
        "activated ester",
        "epoxide",
        "aziridine",
        "aldehyde",
        "isocyanate",
        "isothiocyanate",
        "sulfonyl fluoride",
    ],
)
def test_table_covers_the_spec(required: str) -> None:
    assert any(p.name.startswith(required) for p in ALERT_PATTERNS), required


@pytest.mark.parametrize("pattern", ALERT_PATTERNS, ids=_pattern_id)
def test_pattern_compiles(pattern: AlertPattern) -> None:
    assert Chem.MolFromSmarts(pattern.smarts) is not None


@pytest.mark.parametrize("pattern", ALERT_PATTERNS, ids=_pattern_id)
def test_pattern_positive_example(pattern: AlertPattern) -> None:
    flags = interference_flags(pattern.positive)
    assert pattern.name in flags.names(pattern.flag)
    assert getattr(flags, pattern.flag) is True
    match = next(m for m in flags.matches if m.name == pattern.name)
    assert match.catalogue == "impulator"
    assert match.atoms


@pytest.mark.parametrize("pattern", ALERT_PATTERNS, ids=_pattern_id)
def test_pattern_negative_example(pattern: AlertPattern) -> None:
    assert pattern.name not in interference_flags(pattern.negative).names(pattern.flag)


# --- the spec's positive examples ------------------------------------------------------------


def test_catechol_is_pains_and_redox() -> None:
    flags = interference_flags(CATECHOL)
    assert flags.pains
    assert flags.redox
    assert "catechol (free OH)" in flags.names("redox")
    assert any(m.catalogue.startswith("PAINS_") for m in flags.matches if m.flag == "pains")


def test_quercetin_is_redox_and_fluorescent() -> None:
    flags = interference_flags(QUERCETIN)
    assert flags.redox
    assert flags.fluorescence
    assert {"flavone", "flavonol"} <= set(flags.names("fluorescence"))
    # A 4-pyranone is aromatic in RDKit: it must not count as an enone Michael acceptor.
    assert not flags.thiol_reactive


def test_acrylamide_is_thiol_reactive() -> None:
    flags = interference_flags(ACRYLAMIDE)
    assert flags.thiol_reactive
    assert "acrylamide (Michael acceptor)" in flags.names("thiol_reactive")


@pytest.mark.parametrize(
    ("smiles", "name"), [(NAPHTHALENE, "naphthalene"), (ANTHRACENE, "anthracene")]
)
def test_polyaromatics_are_fluorescent(smiles: str, name: str) -> None:
    flags = interference_flags(smiles)
    assert flags.fluorescence
    assert name in flags.names("fluorescence")


def test_ibuprofen_has_no_flag() -> None:
    flags = interference_flags(IBUPROFEN)
    assert all(getattr(flags, flag) is False for flag in FLAG_NAMES)
    assert flags.matches == ()
    assert flags.scored_count() == 0


# --- the prototype's faults ------------------------------------------------------------------


@pytest.mark.parametrize(
    "smiles",
    [
        "COc1ccccc1O",  # guaiacol
        "COc1ccccc1OC",  # veratrole
        "COc1ccc(OC)cc1",  # 1,4-dimethoxybenzene
        "COc1ccc(O)cc1",  # 4-methoxyphenol: one free OH is not a hydroquinone
        "C1Oc2ccccc2O1",  # 1,3-benzodioxole
    ],
)
def test_aryl_ethers_are_not_redox(smiles: str) -> None:
    assert not interference_flags(smiles).redox


@pytest.mark.parametrize(
    "smiles",
    [
        "COC=O",  # methyl formate
        "NC=O",  # formamide
        "OC=O",  # formic acid
        "CN(C)C=O",  # DMF
        "O=CNc1ccccc1",  # formanilide
    ],
)
def test_formyl_groups_are_not_aldehydes(smiles: str) -> None:
    flags = interference_flags(smiles)
    assert "aldehyde" not in flags.names("thiol_reactive")
    assert not flags.thiol_reactive


@pytest.mark.parametrize("smiles", ["C=O", "CC=O", "O=Cc1ccccc1", "O=CCCCC=O"])
def test_aldehydes(smiles: str) -> None:
    assert "aldehyde" in interference_flags(smiles).names("thiol_reactive")


# --- choices documented in the table ---------------------------------------------------------


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("CCN(O)CC", True),  # N,N-diethylhydroxylamine
        ("ONc1ccccc1", True),  # N-phenylhydroxylamine
        ("NO", True),  # hydroxylamine itself
        ("CC(C)=NO", False),  # oxime
        ("CC(=O)NO", False),  # hydroxamic acid
        ("NC(=O)NO", False),  # hydroxyurea
        ("O=C1CCC(=O)N1O", False),  # N-hydroxysuccinimide
        ("CON", False),  # O-methylhydroxylamine
        ("CC[N+](C)(C)[O-]", False),  # N-oxide
    ],
)
def test_hydroxylamine(smiles: str, expected: bool) -> None:
    names = interference_flags(smiles).names("redox")
    assert ("hydroxylamine (free N-OH)" in names) is expected


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("O=Nc1ccccc1", True),  # C-nitroso
        ("CN(C)N=O", True),  # N-nitrosodimethylamine
        ("O=[N+]([O-])c1ccccc1", False),  # nitro
        ("C[N+](=O)[O-]", False),  # nitromethane
        ("CC(C)=NO", False),  # oxime
        ("CCON=O", False),  # nitrite ester
    ],
)
def test_nitroso(smiles: str, expected: bool) -> None:
    assert ("nitroso" in interference_flags(smiles).names("redox")) is expected


@pytest.mark.parametrize(
    "smiles",
    [
        "O=C1C=CC(=O)C=C1",  # p-benzoquinone
        "O=C1C=CC=CC1=O",  # o-benzoquinone
        "O=C1C=CC(=O)c2ccccc21",  # 1,4-naphthoquinone
        "O=C1c2ccccc2C(=O)c2ccccc21",  # anthraquinone
        "O=C1C(=O)c2ccccc2-c2ccccc21",  # phenanthrenequinone
        "CC1=CC(=O)c2ccccc2C1=O",  # menadione
    ],
)
def test_quinones_are_redox(smiles: str) -> None:
    flags = interference_flags(smiles)
    assert flags.redox
    assert any("quinone" in name for name in flags.names("redox"))


def test_anthraquinone_is_not_called_a_naphthoquinone() -> None:
    names = interference_flags("O=C1c2ccccc2C(=O)c2ccccc21").names("redox")
    assert "anthraquinone" in names
    assert not any(name.startswith("naphthoquinone") for name in names)


@pytest.mark.parametrize(
    ("smiles", "name"),
    [
        (FLUORESCEIN, "fluorescein core (3,6-dioxygenated xanthene)"),
        # Uranine (disodium fluorescein, quinoid form): neutralised by the standardiser.
        (
            "[O-]C(=O)c1ccccc1-c1c2ccc(=O)cc-2oc2cc([O-])ccc12.[Na+].[Na+]",
            "fluorescein core (3,6-dioxygenated xanthene)",
        ),
        (RHODAMINE_B, "rhodamine core (3,6-diaminated xanthene)"),
        # Rhodamine B chloride, as sold.
        (
            "CCN(CC)c1ccc2c(-c3ccccc3C(=O)O)c3ccc(=[N+](CC)CC)cc-3oc2c1.[Cl-]",
            "rhodamine core (3,6-diaminated xanthene)",
        ),
    ],
)
def test_xanthene_dyes_after_standardisation(smiles: str, name: str) -> None:
    structure = standardize(smiles)
    flags = interference_flags(structure)
    assert flags.fluorescence
    assert name in flags.names("fluorescence")
    assert "xanthene" in flags.names("fluorescence")


def test_fluorescein_is_not_rhodamine_and_back() -> None:
    assert not any("rhodamine" in n for n in interference_flags(FLUORESCEIN).names("fluorescence"))
    assert not any(
        "fluorescein" in n for n in interference_flags(RHODAMINE_B).names("fluorescence")
    )


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("CC(=O)ON1C(=O)CCC1=O", True),  # NHS ester
        ("CC(=O)Oc1ccc([N+](=O)[O-])cc1", True),  # p-nitrophenyl ester
        ("CC(=O)Oc1c(F)c(F)c(F)c(F)c1F", True),  # pentafluorophenyl ester
        ("CC(=O)Oc1ccccc1C(=O)O", False),  # aspirin: a plain aryl ester
        ("CC(=O)OCC", False),  # ethyl acetate
    ],
)
def test_activated_ester(smiles: str, expected: bool) -> None:
    assert ("activated ester" in interference_flags(smiles).names("thiol_reactive")) is expected


@pytest.mark.parametrize(
    "smiles",
    [
        "CN(C)/C=C/C(C)=O",  # enaminone: a vinylogous amide, not a Michael acceptor
        "O=c1ccc2ccccc2o1",  # coumarin: its 2-pyranone is aromatic in RDKit
        "C=CCC(C)=O",  # beta,gamma-unsaturated
    ],
)
def test_not_michael_acceptors(smiles: str) -> None:
    names = interference_flags(smiles).names("thiol_reactive")
    assert not any("Michael acceptor" in name for name in names)


# --- aggregator rule -------------------------------------------------------------------------


def test_aggregator_positive() -> None:
    structure = standardize(DIPHENYLANTHRACENE)
    flags = interference_flags(structure)
    assert flags.aggregator
    (match,) = [m for m in flags.matches if m.flag == "aggregator"]
    assert match.catalogue == "physchem"
    assert re.fullmatch(
        r"aggregator-like \(5 aromatic rings, MW 330\.1, 2 rotatable bonds, logP \d+\.\d\)",
        match.name,
    ), match.name
    aromatic = {a.GetIdx() for a in structure.mol.GetAtoms() if a.GetIsAromatic()}
    assert set(match.atoms) == aromatic == flags.atoms("aggregator")


@pytest.mark.parametrize(
    "smiles",
    [
        IBUPROFEN,
        ANTHRACENE,  # flat and lipophilic but MW 178
        "c1ccc(CCc2ccc(CCc3ccccc3)cc2)cc1",  # three rings, MW 286, four rotatable bonds
    ],
)
def test_aggregator_negative(smiles: str) -> None:
    assert not interference_flags(smiles).aggregator


def test_aggregator_uses_cached_descriptors() -> None:
    from impulator.chem import descriptors

    structure = standardize(DIPHENYLANTHRACENE)
    descriptors(structure)
    assert interference_flags(structure) == _alerts.compute_flags(structure.mol)


# --- catalogues, provenance, caching ---------------------------------------------------------


def test_pains_catalogue_has_480_entries() -> None:
    pains = [c for name, flag, c in _alerts._filter_catalogs() if flag == "pains"]
    assert sum(c.GetNumEntries() for c in pains) == 480
    assert alert_provenance()["pains_entries"] == 480


def test_provenance() -> None:
    import rdkit

    p = alert_provenance()
    assert p["rdkit"] == rdkit.__version__
    assert p["catalogues"] == ["PAINS_A", "PAINS_B", "PAINS_C", "BRENK", "NIH"]
    assert p["impulator_alerts"] == ALERTS_VERSION
    patterns = p["patterns"]
    assert isinstance(patterns, dict)
    assert set(patterns) == {"aggregator", "redox", "fluorescence", "thiol_reactive"}
    assert sorted(n for names in patterns.values() for n in names if "aggregator" not in n) == (
        sorted(pattern.name for pattern in ALERT_PATTERNS)
    )


def test_catalogue_matches_carry_atoms_and_source() -> None:
    structure = standardize(CATECHOL)
    flags = interference_flags(structure)
    by_catalogue = {m.catalogue: m for m in flags.matches}
    assert by_catalogue["PAINS_B"].name == "catechol_A(92)"
    assert by_catalogue["BRENK"].flag == "brenk"
    assert by_catalogue["NIH"].flag == "nih"
    assert set(by_catalogue["PAINS_B"].atoms) == set(range(structure.mol.GetNumAtoms()))


def test_flags_are_cached_on_the_structure() -> None:
    structure = standardize(QUERCETIN)
    first = interference_flags(structure)
    assert interference_flags(structure) is first
    assert structure._cache["flags"] is first


def test_catalogues_and_smarts_are_built_once() -> None:
    interference_flags(CATECHOL)
    catalogues = _alerts._filter_catalogs()
    patterns = _alerts._compiled_patterns()
    misses = (
        _alerts._filter_catalogs.cache_info().misses,
        _alerts._compiled_patterns.cache_info().misses,
    )
    for smiles in ASSORTED:
        interference_flags(smiles)
    assert _alerts._filter_catalogs() is catalogues
    assert _alerts._compiled_patterns() is patterns
    assert misses == (1, 1)
    assert _alerts._filter_catalogs.cache_info().misses == 1
    assert _alerts._compiled_patterns.cache_info().misses == 1


@pytest.mark.parametrize(
    "given", [CATECHOL, Chem.MolFromSmiles(CATECHOL), standardize(CATECHOL)], ids=type
)
def test_accepts_smiles_mol_or_structure(given: object) -> None:
    flags = interference_flags(given)  # type: ignore[arg-type]
    assert flags.redox
    assert flags.pains


# --- the result object -----------------------------------------------------------------------


def test_as_dict_shape() -> None:
    row = interference_flags(CATECHOL).as_dict()
    assert list(row) == [*FLAG_NAMES, *(f"{flag}_matches" for flag in FLAG_NAMES)]
    assert all(isinstance(row[flag], bool) for flag in FLAG_NAMES)
    assert all(isinstance(row[f"{flag}_matches"], str) for flag in FLAG_NAMES)
    assert row["redox"] is True
    assert row["redox_matches"] == "catechol (free OH)"
    assert row["aggregator_matches"] == ""
    assert row["pains_matches"] == "catechol_A(92)"


def test_names_atoms_and_scored_count() -> None:
    flags = interference_flags(QUERCETIN)
    assert flags.scored_count() == 3  # pains, redox, fluorescence
    assert flags.names("aggregator") == []
    assert flags.atoms("aggregator") == set()
    assert flags.atoms("redox")
    with pytest.raises(ValueError, match="unknown flag"):
        flags.names("toxic")
    assert interference_flags(CATECHOL).atoms("redox") == {0, 1, 6, 7}


@pytest.mark.parametrize("smiles", ASSORTED)
def test_invariants(smiles: str) -> None:
    structure = standardize(smiles)
    flags = interference_flags(structure)
    assert isinstance(flags, InterferenceFlags)
    n_atoms = structure.mol.GetNumAtoms()
    for match in flags.matches:
        assert isinstance(match, AlertMatch)
        assert match.flag in FLAG_NAMES
        assert match.catalogue in {
            "PAINS_A",
            "PAINS_B",
            "PAINS_C",
            "BRENK",
            "NIH",
            "impulator",
            "physchem",
        }
        assert list(match.atoms) == sorted(set(match.atoms))
        assert all(0 <= atom < n_atoms for atom in match.atoms)
    for flag in FLAG_NAMES:
        assert getattr(flags, flag) is any(m.flag == flag for m in flags.matches)
    assert flags.scored_count() == sum(bool(getattr(flags, f)) for f in SCORED_FLAGS)
    order = [FLAG_NAMES.index(m.flag) for m in flags.matches]
    assert order == sorted(order)


def test_docstring_examples() -> None:
    result = doctest.testmod(_alerts, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
