"""Reading structures: SMILES, InChI and molfile/SDF records, standardised the ChEMBL way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rdkit import Chem, rdBase

from impulator._errors import InvalidStructure, shorten
from impulator.chem._rdkit import inchi_to_inchikey, mol_to_inchi

# Importing the pipeline logs "Initializing Normalizer"; in a Jupyter kernel RDKit sends its
# logs to the cell's stderr, so every notebook and Voila dashboard would show that line.
with rdBase.BlockLogs():
    from chembl_structure_pipeline import standardizer

__all__ = [
    "MAX_HEAVY_ATOMS",
    "MAX_LINE_CHARS",
    "MAX_RECORD_CHARS",
    "Structure",
    "as_structure",
    "standardize",
]

InputFormat = Literal["smiles", "inchi", "molblock", "mol"]

#: Longest SMILES or InChI accepted. Small molecules and peptides stay far below it; longer
#: text is almost always a polymer, a paste accident or an attack.
MAX_LINE_CHARS = 5_000
#: Longest molfile/SDF record accepted (a 500-atom molfile is about 40 kB).
MAX_RECORD_CHARS = 500_000
#: Largest input accepted, counted over all fragments before standardisation.
MAX_HEAVY_ATOMS = 500

_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
_CHEMBL_ID = re.compile(r"^CHEMBL\d+$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
_SDF_DELIMITER = re.compile(r"^\$\$\$\$[ \t]*\r?(?:\n|$)", re.MULTILINE)
_ECHOED_INPUT = re.compile(r"\s*(for input|while parsing):.*$")


@dataclass(frozen=True, eq=False)
class Structure:
    """A standardised structure: the ChEMBL parent of what the user gave, with its identifiers.

    Attributes:
        input: the text as given (or the SMILES of a given RDKit molecule).
        input_format: ``"smiles"``, ``"inchi"``, ``"molblock"`` or ``"mol"``.
        mol: the standardised parent molecule (largest organic fragment, neutralised).
        smiles: canonical SMILES of the parent.
        inchi: standard InChI of the parent.
        inchikey: standard InChIKey of the parent.
        name: the title line of a molfile record, when it had one.
        excluded: the ChEMBL pipeline's exclusion flag (e.g. inorganic or metal-containing),
            kept as information; such structures are still scored.

    Example:
        >>> from impulator.chem import standardize
        >>> s = standardize("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
        >>> s.smiles
        'CC(=O)Oc1ccccc1C(=O)O'
        >>> s.inchikey
        'BSYNRYMUTXBXSQ-UHFFFAOYSA-N'
    """

    input: str
    input_format: InputFormat
    mol: Chem.Mol = field(repr=False)
    smiles: str
    inchi: str = field(repr=False)
    inchikey: str
    name: str | None = None
    excluded: bool = False
    # Per-structure results (descriptors, flags) computed once and kept with the structure.
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Structure):
            return NotImplemented
        return self.smiles == other.smiles and self.inchikey == other.inchikey

    def __hash__(self) -> int:
        return hash((self.smiles, self.inchikey))

    def __getstate__(self) -> dict[str, Any]:
        # Caches are dropped when shipping a structure to a worker: they are cheap to rebuild.
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state


def standardize(text: str | Chem.Mol) -> Structure:
    """Read a SMILES, InChI or molfile/SDF record and return its standardised ChEMBL parent.

    Standardisation is ChEMBL's own structure pipeline: ``standardize_mol`` then
    ``get_parent_mol`` (largest fragment, salts and solvents removed, neutralised).

    Raises:
        InvalidStructure: the text is not a structure RDKit can read, or it is an identifier
            (InChIKey, ChEMBL id) that has to be looked up in a source first. The message
            names the input and the reason.

    Example:
        >>> standardize("OC(=O)c1ccccc1O").inchikey
        'YGSDEFSMJLZEOE-UHFFFAOYSA-N'
        >>> standardize("C1CC")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        impulator._errors.InvalidStructure: cannot read 'C1CC': ring bond 1 is opened but never...
    """
    if isinstance(text, Chem.Mol):
        return _standardize_mol(text, Chem.MolToSmiles(text), "mol", None)
    if not isinstance(text, str):
        raise InvalidStructure(text, "expected a SMILES, InChI or molfile text")
    mol, fmt, name = _read(text)
    return _standardize_mol(mol, text, fmt, name)


def as_structure(structure_or_text: Structure | str | Chem.Mol) -> Structure:
    """Return ``structure_or_text`` unchanged when it is a Structure, else standardise it."""
    if isinstance(structure_or_text, Structure):
        return structure_or_text
    return standardize(structure_or_text)


def _read(text: str) -> tuple[Chem.Mol, InputFormat, str | None]:
    stripped = text.strip()
    if not stripped:
        raise InvalidStructure(text, "the input is empty")
    is_record = "\n" in stripped or "M  END" in stripped
    if len(stripped) > (MAX_RECORD_CHARS if is_record else MAX_LINE_CHARS):
        limit = MAX_RECORD_CHARS if is_record else MAX_LINE_CHARS
        raise InvalidStructure(
            text, f"it is {len(stripped):,} characters long; impulator reads at most {limit:,}"
        )
    if _CONTROL.search(stripped):
        raise InvalidStructure(text, "it contains control characters (binary data?)")
    if is_record:
        mol, name = _read_record(text)
        return mol, "molblock", name
    if stripped.startswith("InChI="):
        return _parse(Chem.MolFromInchi, stripped, text, "InChI"), "inchi", None
    if _INCHIKEY.match(stripped):
        raise InvalidStructure(
            text,
            "this is an InChIKey: it names a structure but does not encode it; give the SMILES, "
            "or look it up in a bioactivity source (impulator.analyze does)",
        )
    if _CHEMBL_ID.match(stripped):
        raise InvalidStructure(
            text,
            "this is a ChEMBL id: look it up in a bioactivity source (impulator.analyze does), "
            "or give the SMILES",
        )
    if any(ch.isspace() for ch in stripped):
        raise InvalidStructure(
            text, "a SMILES has no spaces; give one structure per line, without a name after it"
        )
    return _parse(Chem.MolFromSmiles, stripped, text, "SMILES"), "smiles", None


def _read_record(text: str) -> tuple[Chem.Mol, str | None]:
    # The delimiter consumes its own line break, so each record starts at its (maybe empty)
    # title line: a molfile's first three lines are a header and must not be stripped.
    records = [r for r in _SDF_DELIMITER.split(text) if r.strip()]
    if len(records) != 1:
        raise InvalidStructure(
            text, f"it holds {len(records)} SDF records; give one structure at a time"
        )
    block = records[0]
    if "M  END" not in block:
        raise InvalidStructure(text, "a molfile record must end with 'M  END'")
    block = block[: block.index("M  END") + len("M  END")]
    mol = _parse(Chem.MolFromMolBlock, block, text, "molfile")
    title = block.splitlines()[0].strip() if block.splitlines() else ""
    return mol, title or None


def _parse(reader: Callable[[str], Chem.Mol | None], data: str, text: str, kind: str) -> Chem.Mol:
    # Warnings are silenced (they would flood a notebook); errors are captured for the message.
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as capture:
        try:
            mol = reader(data)
        except Exception as exc:  # RDKit raises from C++ for some malformed records
            raise InvalidStructure(text, f"RDKit cannot read this {kind}: {exc}") from None
    if mol is None:
        raise InvalidStructure(text, explain_rdkit_error(_messages(capture), kind))
    if mol.GetNumAtoms() == 0:
        raise InvalidStructure(text, f"the {kind} has no atoms")
    return mol


def _messages(capture: Any) -> str:
    """RDKit's captured log, or "" when it cannot be read: RDKit echoes the input cut at a
    byte count, which can split a UTF-8 character, and then the log is not valid UTF-8."""
    try:
        return str(capture.messages)
    except UnicodeDecodeError:
        return ""


def explain_rdkit_error(log: str, kind: str = "SMILES") -> str:
    """Turn RDKit's error log for a failed parse into one sentence a chemist can act on.

    Example:
        >>> explain_rdkit_error("[10:00:00] SMILES Parse Error: unclosed ring for input: 'C1CC'")
        'ring bond 1 is opened but never closed'
    """
    lines = [_TIMESTAMP.sub("", line).strip() for line in log.splitlines()]
    lines = [line for line in lines if line and line not in {"ERROR:"}]
    text = "\n".join(lines)
    if m := re.search(r"Explicit valence for atom # ?(\d+) (\w+), (\d+), is greater", text):
        index, element, valence = int(m[1]), m[2], m[3]
        return f"atom {index + 1} ({element}) has {valence} bonds, more than {element} allows"
    if m := re.search(r"Can't kekulize mol\.\s+Unkekulized atoms: ([\d ]+)", text):
        atoms = ", ".join(str(int(i) + 1) for i in m[1].split())
        return (
            f"the aromatic ring through atoms {atoms} cannot be kekulized "
            "(check lowercase atoms and pyrrole-type [nH])"
        )
    if m := re.search(r"unclosed ring for input: '(.*)'", text):
        digits = _unclosed_ring_digits(m[1])
        which = f"ring bond {digits}" if digits else "a ring bond"
        return f"{which} is opened but never closed"
    if "extra open parentheses" in text:
        return "a branch '(' is opened but never closed"
    if "extra close parentheses" in text:
        return "a branch ')' is closed but was never opened"
    if m := re.search(r"check for mistakes around position (\d+)", text):
        return f"{kind} syntax error around character {m[1]}"
    if m := re.search(
        r"ring closure (\d+) duplicates bond between atom (\d+) and atom (\d+)", text
    ):
        first, second = int(m[2]) + 1, int(m[3]) + 1
        return f"ring bond {m[1]} joins atoms {first} and {second}, which are already bonded"
    if "Duplicated ring closure" in text:
        return "a ring closes on the atom that opened it"
    if lines:
        # RDKit repeats the input in its messages: the caller's message already names it.
        first_line = _ECHOED_INPUT.sub("", lines[0]).removeprefix("SMILES Parse Error: ")
        return f"RDKit cannot read this {kind}: {shorten(first_line, 120).strip(chr(39))}"
    return f"RDKit cannot read this {kind}"


def _unclosed_ring_digits(smiles: str) -> str:
    # Count ring-closure labels outside brackets; a label seen an odd number of times is open.
    counts: dict[str, int] = {}
    for label in re.findall(r"%\d\d|%\(\d+\)|\d", re.sub(r"\[[^\]]*\]", "", smiles)):
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(label for label, n in counts.items() if n % 2)


def _standardize_mol(mol: Chem.Mol, text: str, fmt: InputFormat, name: str | None) -> Structure:
    heavy = mol.GetNumHeavyAtoms()
    if heavy > MAX_HEAVY_ATOMS:
        raise InvalidStructure(
            text,
            f"it has {heavy} heavy atoms; impulator scores small molecules "
            f"(at most {MAX_HEAVY_ATOMS})",
        )
    if any(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms()):
        raise InvalidStructure(
            text, "it contains dummy atoms or attachment points (*); give a whole molecule"
        )
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as capture:
        try:
            parent, excluded = standardizer.get_parent_mol(standardizer.standardize_mol(mol))
            Chem.SanitizeMol(parent)
            smiles = Chem.MolToSmiles(parent)
            inchi = mol_to_inchi(parent) or ""
        except Exception as exc:
            raise InvalidStructure(text, f"standardisation failed: {exc}") from None
    if parent.GetNumAtoms() == 0:
        raise InvalidStructure(text, "standardisation left no atoms")
    if not inchi:
        reason = explain_rdkit_error(_messages(capture), "structure")
        raise InvalidStructure(text, f"no InChI can be computed ({reason})")
    return Structure(
        input=text,
        input_format=fmt,
        mol=parent,
        smiles=smiles,
        inchi=inchi,
        inchikey=inchi_to_inchikey(inchi),
        name=name,
        excluded=bool(excluded),
    )
