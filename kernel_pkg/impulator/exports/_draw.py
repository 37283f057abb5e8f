"""Drawing helpers of the PDF report: a structure as an image, a plain table, wrapped text.

Everything draws on a given matplotlib ``Axes`` (no pyplot, no global state), so reports can
be built from several threads of one dashboard server.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from impulator.science import CLASS_COLOURS  # each class's colour, kept with the bands

__all__ = [
    "CLASS_COLOURS",
    "MUTED",
    "PRIMARY",
    "draw_structure",
    "draw_table",
    "structure_png",
    "text_cell",
    "wrap",
]

PRIMARY, MUTED, TEXT, BORDER, SURFACE = "#1f5f8b", "#5f6b7a", "#1d2733", "#d5dbe3", "#f6f8fa"


def wrap(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` characters; long unbroken words (SMILES) are cut."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) if text else ""


def text_cell(value: Any, digits: int = 3) -> str:
    """A table cell as text: floats rounded, missing values empty.

    Example:
        >>> text_cell(0.12345), text_cell(float("nan")), text_cell(None), text_cell(True)
        ('0.123', '', '', 'yes')
    """
    if value is None or value is np.nan:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "" if math.isnan(float(value)) else f"{float(value):.{digits}f}"
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def structure_png(smiles: str | None, size: tuple[int, int] = (600, 450)) -> bytes | None:
    """A 2D depiction of ``smiles`` as PNG bytes (None when there is no readable structure)."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    drawer = rdMolDraw2D.MolDraw2DCairo(*size)
    options: Any = drawer.drawOptions()
    options.clearBackground = True
    options.padding = 0.06
    options.bondLineWidth = 2
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return bytes(drawer.GetDrawingText())


def draw_structure(ax: Any, smiles: str | None) -> None:
    """The structure of ``smiles`` on ``ax`` (a sentence when it cannot be drawn)."""
    ax.set_axis_off()
    png = structure_png(smiles)
    if png is None:
        ax.text(0.5, 0.5, "No structure stored", ha="center", va="center", color=MUTED)
        return
    from matplotlib import image

    ax.imshow(image.imread(io.BytesIO(png), format="png"), interpolation="lanczos")
    ax.set_aspect("equal")


def draw_table(
    ax: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float] | None = None,
    empty: str = "None.",
    font_size: float = 8,
) -> None:
    """A plain table (header rule, light row rules) filling ``ax`` from the top.

    Text longer than its column is cut with an ellipsis; ``widths`` are column fractions.
    """
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    if not rows:
        ax.text(0, 0.95, empty, va="top", color=MUTED, fontsize=font_size + 1)
        return
    n = len(header)
    fractions = list(widths) if widths is not None else [1 / n] * n
    total = sum(fractions)
    starts = np.concatenate([[0.0], np.cumsum([f / total for f in fractions])])
    # Characters per column at this font size: about 0.55 em per character on 1 unit = ax width.
    width_inches = ax.get_position().width * ax.figure.get_figwidth()
    chars = [
        max(4, int((starts[i + 1] - starts[i]) * width_inches * 72 / (font_size * 0.55)))
        for i in range(n)
    ]
    height_inches = ax.get_position().height * ax.figure.get_figheight()
    line = (font_size * 1.6 / 72) / height_inches
    y = 1.0
    if any(header):  # a key-value table has no header
        for i, title in enumerate(header):
            ax.text(
                starts[i],
                y - line / 2,
                _cut(title, chars[i]),
                va="center",
                fontsize=font_size,
                fontweight="bold",
                color=TEXT,
            )
        y -= line
        ax.plot([0, 1], [y, y], color=BORDER, linewidth=1.2)
    capacity = max(int(y / line), 1)
    shown = list(rows) if len(rows) <= capacity else list(rows)[: capacity - 1]
    for row in shown:
        for i, value in enumerate(row):
            ax.text(
                starts[i],
                y - line / 2,
                _cut(value, chars[i]),
                va="center",
                fontsize=font_size,
                color=TEXT,
            )
        y -= line
        ax.plot([0, 1], [y, y], color=BORDER, linewidth=0.4)
    if len(shown) < len(rows):
        ax.text(
            0,
            y - line / 2,
            f"… and {len(rows) - len(shown)} more",
            va="center",
            fontsize=font_size,
            color=MUTED,
        )


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"
