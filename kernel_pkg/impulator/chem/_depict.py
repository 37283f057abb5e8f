"""2D depictions as inline SVG text: one drawing routine for every page and notebook.

RDKit draws in the kernel; the SVG is inlined in HTML, so a browser fetches nothing.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem.Draw import rdMolDraw2D

__all__ = ["depict_svg"]

_log = logging.getLogger(__name__)
_XML_HEADER = re.compile(r"^<\?xml[^>]*\?>\s*")
#: RDKit's verbose SVG attributes and their short equivalents: a grid of many small pictures
#: carries a third of the bytes for the same drawing.
_SHORTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r" class='[^']*'"), ""),
    (re.compile(r"<!-- END OF HEADER -->| xmlns:(rdkit|xlink)='[^']*'"), ""),
    (
        re.compile(
            r"style='fill:none;fill-rule:evenodd;stroke:(#[0-9A-Fa-f]{6});stroke-width:"
            r"([\d.]+)px;stroke-linecap:butt;stroke-linejoin:miter;stroke-opacity:1'"
        ),
        r"fill='none' stroke='\1' stroke-width='\2'",
    ),
    (
        re.compile(
            r"style='font-size:(\d+)px;font-style:normal;font-weight:normal;fill-opacity:1;"
            r"stroke:none;font-family:sans-serif;text-anchor:start;fill:(#[0-9A-Fa-f]{6})'"
        ),
        r"font-size='\1' font-family='sans-serif' fill='\2'",
    ),
)
_Marks = tuple[tuple[int, tuple[float, ...]], ...]


def depict_svg(
    structure: str | Chem.Mol | None,
    *,
    width: int = 260,
    height: int = 200,
    highlight: Mapping[int, tuple[float, float, float]] | None = None,
    compact: bool = False,
) -> str:
    """A 2D depiction of a SMILES or an RDKit molecule as inline SVG (no XML header), or ""
    when it cannot be read or drawn.

    ``highlight`` maps atom indices (of the SMILES as written) to RGB colours in 0-1; bonds
    between two atoms of the same colour take it too. ``compact`` draws text as text and
    short attributes: for grids of small pictures.

    Example:
        >>> from impulator.chem import depict_svg
        >>> svg = depict_svg("c1ccccc1O", highlight={6: (1.0, 0.5, 0.5)})
        >>> svg.startswith("<svg"), svg.rstrip().endswith("</svg>")
        (True, True)
        >>> depict_svg("not a smiles"), depict_svg(None)
        ('', '')
    """
    if structure is None or (isinstance(structure, str) and not structure.strip()):
        return ""
    marks = tuple(sorted((int(a), tuple(c)) for a, c in (highlight or {}).items()))
    if isinstance(structure, str):
        return _depict_smiles(structure, width, height, marks, compact)
    return _draw(structure, width, height, marks, compact)


@functools.lru_cache(maxsize=1024)
def _depict_smiles(smiles: str, width: int, height: int, marks: _Marks, compact: bool) -> str:
    with rdBase.BlockLogs():  # a bad SMILES gives "", not a line in the server log
        mol: Chem.Mol | None = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    return _draw(mol, width, height, marks, compact)


def _draw(mol: Chem.Mol, width: int, height: int, marks: _Marks, compact: bool) -> str:
    # Text as <text>, not glyph outlines (noFreetype), when compact: smaller and faster.
    drawer = (
        rdMolDraw2D.MolDraw2DSVG(width, height, -1, -1, True)
        if compact
        else rdMolDraw2D.MolDraw2DSVG(width, height)
    )
    options: Any = drawer.drawOptions()
    options.clearBackground = False
    if compact:
        options.bondLineWidth = 1
        options.minFontSize = 8
    colours = {a: tuple(c) for a, c in marks if a < mol.GetNumAtoms()}
    bond_colours = {
        b.GetIdx(): colours[b.GetBeginAtomIdx()]
        for b in mol.GetBonds()
        if b.GetBeginAtomIdx() in colours
        and colours[b.GetBeginAtomIdx()] == colours.get(b.GetEndAtomIdx())
    }
    try:
        with rdBase.BlockLogs():
            rdMolDraw2D.PrepareAndDrawMolecule(
                drawer,
                Chem.Mol(mol),
                highlightAtoms=list(colours),
                highlightAtomColors=colours,
                highlightBonds=list(bond_colours),
                highlightBondColors=bond_colours,
            )
    except (RuntimeError, ValueError):  # a structure RDKit reads but cannot lay out
        _log.warning("cannot depict %s", Chem.MolToSmiles(mol), exc_info=True)
        return ""
    drawer.FinishDrawing()
    svg = _XML_HEADER.sub("", drawer.GetDrawingText())
    if compact:
        for pattern, replacement in _SHORTER:
            svg = pattern.sub(replacement, svg)
        svg = " ".join(svg.split())
    return svg
