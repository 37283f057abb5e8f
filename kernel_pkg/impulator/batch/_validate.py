"""Checking one batch entry: what it is (SMILES, InChI, molfile, identifier, name) and whether
it can be scored, with the reason in words when it cannot."""

from __future__ import annotations

import re
from typing import Any

from impulator._errors import InvalidInput, InvalidStructure
from impulator.chem import standardize

__all__ = ["ALIASES", "KINDS", "ctab_problem", "display", "role_of", "validate"]

#: What a query can be, as ``BatchRow.kind`` says it.
KINDS = ("smiles", "inchi", "molfile", "inchikey", "chembl_id", "name")

#: Column names recognised for each role, in priority order for the query.
ALIASES: dict[str, tuple[str, ...]] = {
    "smiles": ("smiles", "canonical_smiles", "isomeric_smiles", "structure", "mol_smiles"),
    "inchi": ("inchi", "standard_inchi"),
    "inchikey": ("inchikey", "inchi_key", "standard_inchi_key"),
    "chembl_id": ("chembl_id", "molecule_chembl_id"),
    "name": ("name", "compound_name", "compound", "molecule_name", "title", "id", "pref_name"),
}

_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$", re.IGNORECASE)
_CHEMBL_ID = re.compile(r"^(CHEMBL\d+|IMPDEMO-\d+)$", re.IGNORECASE)
# Names as impulator.analyze accepts them (pipeline/_analyze.py, _NAME): a row valid here is
# read the same way there.
_NAME = re.compile(r"^[\w][\w ,.'()+\-\[\]]{0,199}$")
# Text made only of SMILES tokens: atoms, bonds, ring closures, branches. Such text that RDKit
# cannot read is a broken SMILES rather than a name...
_SMILES_TOKENS = re.compile(
    r"(?:\[[^\[\]\s]*\]|Br|Cl|[BCNOPSFI]|[bcnops]|[-=#$:/\\.+()@*~]|%\d\d|\d)+"
)
# ... unless shaped like a drug code ("ICI-118551", "SB-203580"), which the source may know.
_CODE_NAME = re.compile(r"^[A-Za-z]{1,6}[- ]?\d{3,}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_NORMALISE = re.compile(r"[\s_\-]+")


def role_of(column: str) -> str | None:
    """The role a column name stands for (case, spaces, underscores and hyphens ignored).

    Example:
        >>> role_of("Canonical SMILES"), role_of("Molecule ChEMBL ID"), role_of("Activity")
        ('smiles', 'chembl_id', None)
    """
    key = _NORMALISE.sub("", column.strip().lstrip("\ufeff").lower())
    for role, aliases in ALIASES.items():
        if key in {a.replace("_", "") for a in aliases}:
            return role
    return None


def display(value: Any, limit: int = 80) -> str:
    """An input as shown in an error table: control characters escaped, cut to ``limit``.

    Example:
        >>> display("C" * 100)
        'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC... (100 characters)'
        >>> display("a\\tb"), display(None)
        ('a\\\\tb', '')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = value if isinstance(value, str) else str(value)
    shown = _CONTROL.sub(lambda m: repr(m[0])[1:-1], text.replace("\n", "\\n"))
    if len(shown) <= limit:
        return shown
    return f"{shown[: limit - 11]}... ({len(text):,} characters)"


def validate(
    value: Any, kind: str | None, empty: str = "empty cell"
) -> tuple[str, str, str | None] | str:
    """``(query, kind, inchikey)`` for a valid entry, else the reason it is not.

    ``kind`` is what the column holds (None: recognise this entry on its own).

    Example:
        >>> validate("OC(=O)c1ccccc1O", "smiles")
        ('OC(=O)c1ccccc1O', 'smiles', 'YGSDEFSMJLZEOE-UHFFFAOYSA-N')
        >>> validate("ABC-DEF", "inchikey")
        'not an InChIKey (14-10-1 letters)'
        >>> validate("  ", "smiles")
        'empty cell'
    """
    if value is None or (isinstance(value, float) and value != value):
        return empty
    if not isinstance(value, str):
        if kind in ("chembl_id", "name") or isinstance(value, bool):
            return f"not a text but a {type(value).__name__}"
        return f"not a structure but a {type(value).__name__} ({display(value, 40)})"
    text = value if (kind == "molfile" or _is_record(value)) else value.strip()
    if not text.strip():
        return empty
    if kind is None:
        kind = _recognise(text)
    if kind == "smiles" and text.startswith("InChI="):
        kind = "inchi"
    if kind == "smiles" and (_INCHIKEY.match(text) or _CHEMBL_ID.match(text)):
        kind = _recognise(text)  # an identifier in a structure column: look it up later
    check = _CHECKS.get(kind)
    if check is None:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return check(text)


def _is_record(text: str) -> bool:
    return "\n" in text.strip() or "M  END" in text


def _recognise(text: str) -> str:
    if _is_record(text):
        return "molfile"
    if text.startswith("InChI="):
        return "inchi"
    if _INCHIKEY.match(text):
        return "inchikey"
    if _CHEMBL_ID.match(text):
        return "chembl_id"
    if _SMILES_TOKENS.fullmatch(text) and not _CODE_NAME.match(text):
        return "smiles"
    return "name"  # tried as a structure first, as analyze does


def _structure(text: str, kind: str, label: str) -> tuple[str, str, str | None] | str:
    try:
        structure = standardize(text)
    except InvalidStructure as exc:
        reason = exc.reason.removeprefix(f"RDKit cannot read this {label}: ")
        return f"unreadable {label}: {reason}"
    return text, kind, structure.inchikey


def _smiles(text: str) -> tuple[str, str, str | None] | str:
    return _structure(text, "smiles", "SMILES")


def _inchi(text: str) -> tuple[str, str, str | None] | str:
    if not text.startswith("InChI="):
        return "not an InChI (it must start with 'InChI=')"
    return _structure(text, "inchi", "InChI")


def _molfile(text: str) -> tuple[str, str, str | None] | str:
    try:
        structure = standardize(text)
    except InvalidStructure as exc:
        reason = exc.reason.removeprefix("RDKit cannot read this molfile: ")
        if not any(ch.isalnum() for ch in reason):  # RDKit's invariant banner, "****"
            reason = ctab_problem(text) or "its connection table is inconsistent"
        return f"RDKit could not read this molfile record: {reason}"
    return text, "molfile", structure.inchikey


def ctab_problem(block: str) -> str | None:
    r"""What is wrong with a V2000 connection table, when RDKit only says its check failed.

    Example:
        >>> ctab_problem("t\n\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n" + "C\n" * 2
        ...              + "  1  9  1  0\nM  END")
        'bond 1 joins atoms 1 and 9, but the record has 2 atoms'
    """
    lines = block.splitlines()
    if len(lines) < 4 or "V2000" not in lines[3]:
        return None
    try:
        atoms, bonds = int(lines[3][0:3]), int(lines[3][3:6])
    except ValueError:
        return "its counts line (line 4) does not start with the numbers of atoms and bonds"
    table = lines[4 + atoms : 4 + atoms + bonds]
    if len(table) < bonds or any(line.startswith("M  ") for line in table):
        return f"it announces {atoms} atoms and {bonds} bonds but has fewer lines"
    for number, line in enumerate(table, start=1):
        try:
            first, second = int(line[0:3]), int(line[3:6])
        except ValueError:
            return f"bond {number} (line {4 + atoms + number}) does not start with two atoms"
        if not (1 <= first <= atoms and 1 <= second <= atoms):
            return (
                f"bond {number} joins atoms {first} and {second}, but the record has {atoms} atoms"
            )
    return None


def _inchikey(text: str) -> tuple[str, str, str | None] | str:
    if not _INCHIKEY.match(text):
        return "not an InChIKey (14-10-1 letters)"
    return text.upper(), "inchikey", text.upper()


def _chembl_id(text: str) -> tuple[str, str, str | None] | str:
    if not _CHEMBL_ID.match(text):
        return "not a ChEMBL id (CHEMBL followed by digits, e.g. CHEMBL1421)"
    return text.upper(), "chembl_id", None


def _name(text: str) -> tuple[str, str, str | None] | str:
    # analyze reads a text as a structure when it can, else as a name: the same order here.
    try:
        structure = standardize(text)
    except InvalidStructure:
        pass
    else:
        return text, "smiles" if not text.startswith("InChI=") else "inchi", structure.inchikey
    if _NAME.match(text):
        return text, "name", None
    if _SMILES_TOKENS.fullmatch(text):
        return _smiles(text)
    return (
        "not a SMILES, InChI, InChIKey, ChEMBL id or compound name (names are letters, digits, "
        "spaces and , . ' ( ) + - [ ], at most 200 characters)"
    )


_CHECKS = {
    "smiles": _smiles,
    "inchi": _inchi,
    "molfile": _molfile,
    "inchikey": _inchikey,
    "chembl_id": _chembl_id,
    "name": _name,
}
