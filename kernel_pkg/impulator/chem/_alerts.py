"""Assay-interference flags (SCIENCE.md section 7), computed once per structure.

Seven flags: five are scored (PAINS, aggregator-like physchem, redox cyclers, fluorophores,
thiol-reactive electrophiles) and two are shown only (Brenk and NIH catalogues). Every flag
carries what matched and the matched atoms, for highlighting. PAINS matches change between
RDKit releases, so :func:`alert_provenance` records the RDKit version and catalogues used.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import rdkit
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from impulator._errors import InvalidInput
from impulator.chem._structure import Structure, as_structure

__all__ = [
    "ALERTS_VERSION",
    "ALERT_PATTERNS",
    "FLAG_NAMES",
    "SCORED_FLAGS",
    "AlertMatch",
    "AlertPattern",
    "InterferenceFlags",
    "alert_provenance",
    "interference_flags",
]

#: The seven flags, in display order.
FLAG_NAMES: tuple[str, ...] = (
    "pains",
    "aggregator",
    "redox",
    "fluorescence",
    "thiol_reactive",
    "brenk",
    "nih",
)
#: The flags that count towards the interference score; Brenk and NIH are shown only.
SCORED_FLAGS: tuple[str, ...] = ("pains", "aggregator", "redox", "fluorescence", "thiol_reactive")

#: Version of impulator's own SMARTS set: bump it whenever a pattern in ALERT_PATTERNS changes.
ALERTS_VERSION = "2026.11"

#: RDKit FilterCatalogs used, by our name, with the flag each one feeds.
_CATALOGUES: tuple[tuple[str, str], ...] = (
    ("PAINS_A", "pains"),
    ("PAINS_B", "pains"),
    ("PAINS_C", "pains"),
    ("BRENK", "brenk"),
    ("NIH", "nih"),
)

_AGGREGATOR_RULE = (
    "aggregator-like: aromatic rings >= 3, exact MW > 300, rotatable bonds <= 2, Crippen logP > 3"
)


class AlertPattern(NamedTuple):
    """One of impulator's own SMARTS alerts, with a positive and a negative control."""

    flag: str
    name: str
    smarts: str
    positive: str  # SMILES that must match
    negative: str  # the chemically closest SMILES that must not match


# fmt: off
#: impulator's own alerts. Atoms are written as ``[#6]`` and bonds as ``=,:`` or ``~`` where
#: RDKit's aromaticity model (2-pyranones, 4-pyranones and xanthylium dyes are aromatic) or a
#: tautomer/charge form would otherwise decide whether a pattern matches.
ALERT_PATTERNS: tuple[AlertPattern, ...] = (
    # --- redox cyclers ---------------------------------------------------------------------
    AlertPattern("redox", "para-quinone",
                 "O=[#6]1[#6]=,:[#6][#6](=O)[#6]=,:[#6]1",
                 "O=C1C=CC(=O)C=C1", "O=C1CCC(=O)CC1"),
    AlertPattern("redox", "ortho-quinone",
                 "O=[#6]1[#6](=O)[#6]=,:[#6][#6]=,:[#6]1",
                 "O=C1C=CC=CC1=O", "O=C1CCCCC1=O"),
    # The quinone C=C written as non-aromatic "=" so an anthraquinone is not also a naphtho-.
    AlertPattern("redox", "naphthoquinone (1,4-)",
                 "O=[#6]1[#6]=[#6][#6](=O)c2ccccc21",
                 "O=C1C=CC(=O)c2ccccc21", "O=C1CCC(=O)c2ccccc21"),
    AlertPattern("redox", "naphthoquinone (1,2-)",
                 "O=[#6]1[#6](=O)c2ccccc2[#6]=[#6]1",
                 "O=C1C=Cc2ccccc2C1=O", "O=C1CCc2ccccc2C1=O"),
    AlertPattern("redox", "anthraquinone",
                 "O=[#6]1c2ccccc2[#6](=O)c2ccccc21",
                 "O=C1c2ccccc2C(=O)c2ccccc21", "O=C1c2ccccc2Cc2ccccc21"),
    # Both oxygens must be free OH: aryl ethers (guaiacol, veratrole) do not redox-cycle.
    AlertPattern("redox", "catechol (free OH)",
                 "[OX2H1]c:c[OX2H1]",
                 "Oc1ccccc1O", "COc1ccccc1O"),
    AlertPattern("redox", "hydroquinone (free OH)",
                 "[OX2H1]c1ccc([OX2H1])cc1",
                 "Oc1ccc(O)cc1", "COc1ccc(OC)cc1"),
    # Free N-OH on an sp3 (amine-type) nitrogen, e.g. N-arylhydroxylamines, which oxidise to
    # nitroso compounds. Excluded on purpose: oximes (C=N-OH, N has two neighbours), hydroxamic
    # acids and N-hydroxyimides (N on C=O/S=O/P=O: the N-OH is an acid, not a reductant) and
    # O-alkyl hydroxylamines (no OH).
    AlertPattern("redox", "hydroxylamine (free N-OH)",
                 "[NX3;+0;!$(N[#6,#16,#15]=[O,S,N])][OX2H1]",
                 "ONc1ccccc1", "CC(C)=NO"),
    # C-N=O or N-N=O; nitro N has three neighbours and nitrite esters are O-N=O.
    AlertPattern("redox", "nitroso",
                 "[#6,#7][NX2;+0]=[OX1]",
                 "O=Nc1ccccc1", "CC(C)=NO"),
    AlertPattern("redox", "nitroaromatic",
                 "a[$([NX3+](=O)[O-]),$([NX3](=O)=O)]",
                 "O=[N+]([O-])c1ccccc1", "C[N+](=O)[O-]"),
    # --- fluorophores ----------------------------------------------------------------------
    # C3=C4 must be unsaturated: dihydrocoumarins are not fluorescent.
    AlertPattern("fluorescence", "coumarin",
                 "O=[#6]1[#6]=,:[#6]c2ccccc2[#8]1",
                 "O=c1ccc2ccccc2o1", "O=C1CCc2ccccc2O1"),
    AlertPattern("fluorescence", "7-aminocoumarin",
                 "O=[#6]1[#6]=,:[#6]c2ccc([#7X3;+0])cc2[#8]1",
                 "Nc1ccc2ccc(=O)oc2c1", "Nc1ccc2oc(=O)ccc2c1"),
    # Outer rings must be unsaturated (X3 carbons); C9 may be sp3 (9H-xanthene, spirolactones).
    AlertPattern("fluorescence", "xanthene",
                 "[#6]1~[#6X3]2~[#6X3]~[#6X3]~[#6X3]~[#6X3]~[#6X3]~2~[#8X2]"
                 "~[#6X3]2~[#6X3]~[#6X3]~[#6X3]~[#6X3]~[#6X3]~2~1",
                 "c1ccc2c(c1)Cc1ccccc1O2", "c1ccc2c(c1)Cc1ccccc1S2"),
    # Xanthene with O (fluorescein) or N (rhodamine) at C3 and C6; "~" bonds cover the
    # lactone, quinoid and xanthylium forms.
    AlertPattern("fluorescence", "fluorescein core (3,6-dioxygenated xanthene)",
                 "[#6]1~[#6X3]2~[#6X3]~[#6X3]~[#6X3](~[#8])~[#6X3]~[#6X3]~2~[#8X2]"
                 "~[#6X3]2~[#6X3]~[#6X3](~[#8])~[#6X3]~[#6X3]~[#6X3]~2~1",
                 "O=C1OC2(c3ccccc31)c1ccc(O)cc1Oc1cc(O)ccc12",
                 "O=C1OC(c2ccc(O)cc2)(c2ccc(O)cc2)c2ccccc12"),
    AlertPattern("fluorescence", "rhodamine core (3,6-diaminated xanthene)",
                 "[#6]1~[#6X3]2~[#6X3]~[#6X3]~[#6X3](~[#7])~[#6X3]~[#6X3]~2~[#8X2]"
                 "~[#6X3]2~[#6X3]~[#6X3](~[#7])~[#6X3]~[#6X3]~[#6X3]~2~1",
                 "CCN(CC)c1ccc2c(-c3ccccc3C(=O)O)c3ccc(=[N+](CC)CC)cc-3oc2c1",
                 "O=C1OC2(c3ccccc31)c1ccc(O)cc1Oc1cc(O)ccc12"),
    AlertPattern("fluorescence", "naphthalene",
                 "c1ccc2ccccc2c1",
                 "c1ccc2ccccc2c1", "c1ccc2c(c1)CCCC2"),
    AlertPattern("fluorescence", "anthracene",
                 "c1ccc2cc3ccccc3cc2c1",
                 "c1ccc2cc3ccccc3cc2c1", "c1ccc2c(c1)ccc1ccccc12"),
    AlertPattern("fluorescence", "pyrene",
                 "c1cc2ccc3cccc4ccc(c1)c2c34",
                 "c1cc2ccc3cccc4ccc(c1)c2c34", "c1cc2c3c(c1)CCc1cccc(c1-3)CC2"),
    # Non-aromatic C=C between two aryls (excludes phenanthrene's aromatic 9,10 bond).
    AlertPattern("fluorescence", "stilbene",
                 "c-[CX3]=[CX3]-c",
                 "C(=C/c1ccccc1)\\c1ccccc1", "C=Cc1ccccc1"),
    # C2=C3 must be unsaturated: flavanones are not fluorescent.
    AlertPattern("fluorescence", "flavone",
                 "O=[#6]1[#6]=,:[#6](-c2ccccc2)[#8]c2ccccc21",
                 "O=c1cc(-c2ccccc2)oc2ccccc12", "O=C1CC(c2ccccc2)Oc2ccccc21"),
    # The free 3-OH is what makes flavonols fluoresce (excited-state proton transfer).
    AlertPattern("fluorescence", "flavonol",
                 "O=[#6]1[#6](-[OX2H1])=,:[#6](-c2ccccc2)[#8]c2ccccc21",
                 "O=c1c(O)c(-c2ccccc2)oc2ccccc12", "O=C1C(O)C(c2ccccc2)Oc2ccccc21"),
    AlertPattern("fluorescence", "acridine",
                 "c1ccc2nc3ccccc3cc2c1",
                 "c1ccc2nc3ccccc3cc2c1", "c1ccc2c(c1)Cc1ccccc1N2"),
    # --- thiol-reactive electrophiles --------------------------------------------------------
    # A beta N or O (enaminones, vinylogous esters) donates into the acceptor and deactivates it.
    AlertPattern("thiol_reactive", "enone (Michael acceptor)",
                 "[CX3;!$(C-[NX3,OX2])]=[CX3]-[CX3](=O)[#6]",
                 "C=CC(C)=O", "C=CCC(C)=O"),
    AlertPattern("thiol_reactive", "acrylamide (Michael acceptor)",
                 "[CX3;!$(C-[NX3,OX2])]=[CX3]-[CX3](=O)[NX3]",
                 "C=CC(N)=O", "CCC(N)=O"),
    # Esters only: alpha,beta-unsaturated acids are ionised at assay pH and react poorly.
    AlertPattern("thiol_reactive", "acrylate ester (Michael acceptor)",
                 "[CX3;!$(C-[NX3,OX2])]=[CX3]-[CX3](=O)[OX2][#6]",
                 "C=CC(=O)OC", "CCC(=O)OC"),
    AlertPattern("thiol_reactive", "maleimide",
                 "O=[#6]1[#6]=,:[#6][#6](=O)[#7]1",
                 "O=C1C=CC(=O)N1", "O=C1CCC(=O)N1"),
    AlertPattern("thiol_reactive", "vinyl sulfone (Michael acceptor)",
                 "[CX3]=[CX3]-[SX4](=O)(=O)",
                 "C=CS(C)(=O)=O", "CCS(C)(=O)=O"),
    AlertPattern("thiol_reactive", "acyl halide",
                 "[CX3](=O)[F,Cl,Br,I]",
                 "CC(=O)Cl", "CC(=O)CCl"),
    AlertPattern("thiol_reactive", "anhydride",
                 "[CX3](=O)[OX2][CX3](=O)",
                 "CC(=O)OC(C)=O", "CC(=O)OCC(C)=O"),
    # Esters of N-hydroxy leaving groups (NHS, HOBt) and of o/p-nitro or tetra/pentafluoro
    # phenols. Plain aryl esters (aspirin) are not counted.
    AlertPattern("thiol_reactive", "activated ester",
                 "[CX3](=O)[OX2][$([#7]),$(c1ccc(cc1)[N+](=O)[O-]),$(c1c(cccc1)[N+](=O)[O-]),"
                 "$(c1c(F)c(F)cc(F)c1F)]",
                 "CC(=O)ON1C(=O)CCC1=O", "CC(=O)Oc1ccccc1"),
    AlertPattern("thiol_reactive", "epoxide",
                 "[#6]1[#8][#6]1",
                 "CC1CO1", "C1COC1"),
    AlertPattern("thiol_reactive", "aziridine",
                 "[#6]1[#7][#6]1",
                 "CC1CN1", "C1CNC1"),
    # Formaldehyde or R-CHO with R a carbon: formates, formamides and formic acid have O/N there.
    AlertPattern("thiol_reactive", "aldehyde",
                 "[CX3;$([CH2]),$([CH1][#6])]=[OX1]",
                 "O=Cc1ccccc1", "COC=O"),
    AlertPattern("thiol_reactive", "isocyanate",
                 "[NX2]=[CX2]=[OX1]",
                 "CN=C=O", "CN=C=S"),
    AlertPattern("thiol_reactive", "isothiocyanate",
                 "[NX2]=[CX2]=[SX1]",
                 "CN=C=S", "CSC#N"),
    AlertPattern("thiol_reactive", "sulfonyl fluoride",
                 "[SX4](=O)(=O)F",
                 "CS(=O)(=O)F", "CS(N)(=O)=O"),
)
# fmt: on


@dataclass(frozen=True)
class AlertMatch:
    """One thing that matched: a catalogue entry, one of our SMARTS, or the aggregator rule.

    Attributes:
        flag: the flag it sets, one of :data:`FLAG_NAMES`.
        name: the pattern or catalogue entry name, e.g. ``"catechol (free OH)"`` or
            ``"catechol_A(92)"``.
        atoms: matched atom indices in ``structure.mol``, sorted and unique.
        catalogue: ``"PAINS_A"``, ``"PAINS_B"``, ``"PAINS_C"``, ``"BRENK"``, ``"NIH"``,
            ``"impulator"`` (our SMARTS) or ``"physchem"`` (the aggregator rule).
    """

    flag: str
    name: str
    atoms: tuple[int, ...]
    catalogue: str


@dataclass(frozen=True)
class InterferenceFlags:
    """The seven interference flags of one structure, with what matched.

    Example:
        >>> flags = interference_flags("Oc1ccccc1O")
        >>> flags.pains, flags.redox, flags.aggregator
        (True, True, False)
        >>> flags.names("redox")
        ['catechol (free OH)']
        >>> sorted(flags.atoms("redox"))
        [0, 1, 6, 7]
    """

    pains: bool
    aggregator: bool
    redox: bool
    fluorescence: bool
    thiol_reactive: bool
    brenk: bool
    nih: bool
    matches: tuple[AlertMatch, ...]

    def scored_count(self) -> int:
        """Number of the five scored flags that are set."""
        return sum(1 for flag in SCORED_FLAGS if getattr(self, flag))

    def names(self, flag: str) -> list[str]:
        """Names of what matched for ``flag``, in match order, without repeats."""
        _check_flag(flag)
        return list(dict.fromkeys(m.name for m in self.matches if m.flag == flag))

    def atoms(self, flag: str) -> set[int]:
        """Union of the matched atom indices for ``flag`` (for highlighting)."""
        _check_flag(flag)
        return {atom for m in self.matches if m.flag == flag for atom in m.atoms}

    def as_dict(self) -> dict[str, object]:
        """The seven booleans, then ``"<flag>_matches"`` ("; "-joined names) per flag."""
        row: dict[str, object] = {flag: bool(getattr(self, flag)) for flag in FLAG_NAMES}
        for flag in FLAG_NAMES:
            row[f"{flag}_matches"] = "; ".join(self.names(flag))
        return row


def interference_flags(structure_or_smiles: Structure | str | Chem.Mol) -> InterferenceFlags:
    """Assay-interference flags of the standardised parent.

    A Structure keeps its flags: asking twice computes once and returns the same object.

    Example:
        >>> flags = interference_flags("O=c1c(O)c(-c2ccc(O)c(O)c2)oc2cc(O)cc(O)c12")
        >>> flags.redox, flags.fluorescence, flags.thiol_reactive
        (True, True, False)
        >>> flags.names("fluorescence")
        ['flavone', 'flavonol']
        >>> interference_flags("CC(C)Cc1ccc(cc1)C(C)C(=O)O").scored_count()
        0
    """
    structure = as_structure(structure_or_smiles)
    cached = structure._cache.get("flags")
    if isinstance(cached, InterferenceFlags):
        return cached
    flags = compute_flags(structure.mol, structure._cache.get("descriptors"))
    structure._cache["flags"] = flags
    return flags


def compute_flags(
    mol: Chem.Mol, known_descriptors: dict[str, float | int] | None = None
) -> InterferenceFlags:
    """Flags of ``mol`` as it is (no standardisation, no caching).

    ``known_descriptors`` (from :func:`impulator.chem.descriptors`) saves recomputing logP,
    aromatic rings and rotatable bonds when they are already at hand.
    """
    matches: list[AlertMatch] = []
    for catalogue, flag, filter_catalog in _filter_catalogs():
        matches.extend(_catalogue_matches(mol, catalogue, flag, filter_catalog))
    aggregator = _aggregator_match(mol, known_descriptors)
    if aggregator is not None:
        matches.append(aggregator)
    for pattern, query in _compiled_patterns():
        hits = mol.GetSubstructMatches(query, uniquify=True, maxMatches=1000)
        if hits:
            atoms = _sorted_atoms(atom for hit in hits for atom in hit)
            matches.append(AlertMatch(pattern.flag, pattern.name, atoms, "impulator"))
    matches.sort(key=lambda m: FLAG_NAMES.index(m.flag))  # stable: keeps order within a flag
    hit = {m.flag for m in matches}
    return InterferenceFlags(
        pains="pains" in hit,
        aggregator="aggregator" in hit,
        redox="redox" in hit,
        fluorescence="fluorescence" in hit,
        thiol_reactive="thiol_reactive" in hit,
        brenk="brenk" in hit,
        nih="nih" in hit,
        matches=tuple(matches),
    )


def alert_provenance() -> dict[str, object]:
    """What the flags were computed with, for the report (PAINS matches vary by RDKit release).

    Example:
        >>> p = alert_provenance()
        >>> p["catalogues"], p["pains_entries"]
        (['PAINS_A', 'PAINS_B', 'PAINS_C', 'BRENK', 'NIH'], 480)
        >>> "catechol (free OH)" in p["patterns"]["redox"]
        True
    """
    patterns: dict[str, list[str]] = {"aggregator": [_AGGREGATOR_RULE]}
    for pattern in ALERT_PATTERNS:
        patterns.setdefault(pattern.flag, []).append(pattern.name)
    pains_entries = sum(
        filter_catalog.GetNumEntries()
        for _, flag, filter_catalog in _filter_catalogs()
        if flag == "pains"
    )
    return {
        "rdkit": rdkit.__version__,
        "catalogues": [name for name, _ in _CATALOGUES],
        "pains_entries": int(pains_entries),
        "impulator_alerts": ALERTS_VERSION,
        "patterns": patterns,
    }


@functools.cache
def _filter_catalogs() -> tuple[tuple[str, str, FilterCatalog], ...]:
    # Building a FilterCatalog parses hundreds of SMARTS: once per process, never per molecule.
    # One catalogue each, so a match's source is known without relying on entry properties
    # (whose "FilterSet" spelling differs, e.g. "Brenk").
    built = []
    for name, flag in _CATALOGUES:
        params = FilterCatalogParams()
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, name))
        built.append((name, flag, FilterCatalog(params)))
    return tuple(built)


@functools.cache
def _compiled_patterns() -> tuple[tuple[AlertPattern, Chem.Mol], ...]:
    compiled = []
    for pattern in ALERT_PATTERNS:
        query = Chem.MolFromSmarts(pattern.smarts)
        if query is None:  # a typo in the table must fail loudly, not silently never match
            raise ValueError(f"invalid SMARTS for {pattern.name!r}: {pattern.smarts}")
        compiled.append((pattern, query))
    return tuple(compiled)


def _catalogue_matches(
    mol: Chem.Mol, catalogue: str, flag: str, filter_catalog: FilterCatalog
) -> list[AlertMatch]:
    found = []
    for entry in filter_catalog.GetMatches(mol):
        atoms = _sorted_atoms(
            int(pair[1]) for match in entry.GetFilterMatches(mol) for pair in match.atomPairs
        )
        found.append(AlertMatch(flag, str(entry.GetDescription()), atoms, catalogue))
    return found


def _aggregator_match(mol: Chem.Mol, known: dict[str, float | int] | None) -> AlertMatch | None:
    # Same definitions as impulator.chem.descriptors, except MW: the rule uses exact mass.
    if known is not None:
        rings, rotatable, logp = known["aromatic_rings"], known["rotatable_bonds"], known["logp"]
    else:
        rings = rdMolDescriptors.CalcNumAromaticRings(mol)
        rotatable = rdMolDescriptors.CalcNumRotatableBonds(mol)
        logp = rdMolDescriptors.CalcCrippenDescriptors(mol)[0]  # = Crippen.MolLogP
    if rings < 3 or rotatable > 2 or logp <= 3:
        return None
    mw = float(rdMolDescriptors.CalcExactMolWt(mol))  # = Descriptors.ExactMolWt
    if mw <= 300:
        return None
    name = (
        f"aggregator-like ({rings} aromatic rings, MW {mw:.1f}, "
        f"{rotatable} rotatable bond{'' if rotatable == 1 else 's'}, logP {logp:.1f})"
    )
    atoms = _sorted_atoms(atom.GetIdx() for atom in mol.GetAtoms() if atom.GetIsAromatic())
    return AlertMatch("aggregator", name, atoms, "physchem")


def _sorted_atoms(atoms: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(atom) for atom in atoms}))


def _check_flag(flag: str) -> None:
    if flag not in FLAG_NAMES:
        raise InvalidInput(f"unknown flag {flag!r}; expected one of {', '.join(FLAG_NAMES)}")
