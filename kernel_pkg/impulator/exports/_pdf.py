"""The PDF report of one compound: three A4 pages drawn with matplotlib's PDF backend.

1. The compound: structure, ids, best score and class with what high means under its
   model, the analysis in numbers, provenance.
2. The SEI-BEI and NSEI-NBEI efficiency planes (points coloured by score, 45° guide) and the
   component breakdown of the best-scoring row.
3. The query's interference flags, the PDB evidence and the best-scoring activities.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impulator._version import __version__
from impulator.chem import FLAG_NAMES, SCORED_FLAGS
from impulator.exports._draw import (
    CLASS_COLOURS,
    MUTED,
    PRIMARY,
    SURFACE,
    draw_structure,
    draw_table,
    text_cell,
    wrap,
)
from impulator.exports._load import (
    best_row,
    compound_flags,
    iso_time,
    load_compounds,
    write,
)
from impulator.science import COMPONENTS, MODELS
from impulator.store import StoredCompound

__all__ = ["compound_report_pdf"]

_A4 = (8.27, 11.69)
_PROVENANCE = (
    ("bioactivity_source", "Bioactivity source"),
    ("bioactivity_release", "Release"),
    ("similarity_threshold", "Similarity threshold"),
    ("fingerprint", "Fingerprint"),
    ("activity_types", "Activity types"),
    ("curation", "Curation"),
    ("scoring_model", "Scoring model"),
    ("pdb_source", "PDB source"),
    ("rdkit", "RDKit"),
    ("impulator", "impulator"),
)
_TOP_ROWS = 12


def compound_report_pdf(
    compound_id: int, url: str | None = None, *, path: str | Path | None = None
) -> bytes:
    """A PDF report (three A4 pages) of the stored compound ``compound_id``.

    Page 1: structure, ids, best score and class and what a high score means for the model,
    counts and provenance. Page 2: the SEI-BEI and NSEI-NBEI planes and the best row's
    component breakdown. Page 3: interference flags, PDB evidence, the best activities.
    Needs ``matplotlib`` (in the ``dashboards`` extra).

    Raises:
        CompoundNotFound: no such compound, or it is not shared with you.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> compound_report_pdf(42, url)
        Traceback (most recent call last):
        impulator._errors.CompoundNotFound: no compound 42 (it does not exist or is not shared with you)
    """  # noqa: E501
    try:
        from matplotlib import rc_context
        from matplotlib.backends.backend_pdf import PdfPages
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - installed with the dashboards extra
        raise ImportError(
            "the PDF report needs matplotlib: pip install 'impulator[dashboards]'"
        ) from exc
    (compound,) = load_compounds([compound_id], url)
    buffer = io.BytesIO()
    title = f"impulator report: {compound.name or compound.query} (compound {compound.id})"
    metadata = {"Title": title, "Author": compound.owner, "Creator": f"impulator {__version__}"}
    settings = rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans", "font.size": 9})
    with settings, PdfPages(buffer, metadata=metadata) as pdf:
        for number, draw in enumerate((_page_compound, _page_planes, _page_evidence), start=1):
            figure = Figure(figsize=_A4)
            draw(figure, compound)
            _footer(figure, compound, number)
            pdf.savefig(figure)
    return write(buffer.getvalue(), path)


# -- page 1 ----------------------------------------------------------------------------------


def _footer(figure: Any, compound: StoredCompound, number: int) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figure.text(
        0.06,
        0.025,
        f"impulator {__version__} · compound {compound.id} · {stamp}",
        fontsize=7,
        color=MUTED,
    )
    figure.text(0.94, 0.025, f"page {number} of 3", fontsize=7, color=MUTED, ha="right")


def _heading(figure: Any, y: float, text: str) -> None:
    figure.text(0.06, y, text, fontsize=12, fontweight="bold", color=PRIMARY)


def _page_compound(figure: Any, c: StoredCompound) -> None:
    figure.text(
        0.06,
        0.955,
        wrap(c.name or c.query, 60),
        fontsize=18,
        fontweight="bold",
        color=PRIMARY,
        va="top",
    )
    figure.text(
        0.06,
        0.915,
        f"impulator compound report · compound {c.id} · owner {c.owner}",
        fontsize=9,
        color=MUTED,
    )
    draw_structure(figure.add_axes((0.05, 0.63, 0.42, 0.27)), c.parent_smiles)
    flags = compound_flags(c)
    facts = [
        ("ChEMBL id", c.chembl_id or "–"),
        ("InChIKey", c.inchikey or "–"),
        ("Query", c.query),
        ("MW", text_cell(c.mw, 2) or "–"),
        ("Activity rows", str(c.n_rows)),
        ("Flags", ", ".join(flags) or "none"),
        ("Stored", iso_time(c.created_at).replace("T", " ").replace("Z", " UTC")),
        ("Shared with", ", ".join(c.shared_with) or "nobody"),
    ]
    y = 0.88
    for label, value in facts:
        figure.text(0.52, y, label, fontsize=8, color=MUTED, va="top")
        shown = wrap(value, 38)
        figure.text(0.66, y, shown, fontsize=8.5, va="top")
        y -= 0.022 * max(1, shown.count("\n") + 1)
    figure.text(0.52, y - 0.005, "SMILES", fontsize=8, color=MUTED, va="top")
    figure.text(0.66, y - 0.005, wrap(c.parent_smiles or "–", 36), fontsize=7.5, va="top")
    _score_box(figure, c)
    _counts_and_provenance(figure, c)


def _score_box(figure: Any, c: StoredCompound) -> None:
    model = MODELS.get(c.model_id or "")
    colour = CLASS_COLOURS.get(c.best_class or "", MUTED)
    box = figure.add_axes((0.06, 0.475, 0.88, 0.14))
    box.set_axis_off()
    box.add_patch(_rounded(colour))
    score = text_cell(c.best_score) or "–"
    box.text(0.03, 0.72, score, fontsize=30, fontweight="bold", color=colour, va="center")
    box.text(0.03, 0.25, "best score", fontsize=8, color=MUTED, va="center")
    box.text(
        0.25,
        0.80,
        c.best_class or "No scored row",
        fontsize=15,
        fontweight="bold",
        color=colour,
        va="center",
    )
    title = f"{model.title} ({model.id})" if model else (c.model_id or "unknown model")
    box.text(0.25, 0.57, f"Scoring model: {title}", fontsize=9, va="center")
    if model is not None:
        box.text(0.25, 0.37, wrap(model.high_means, 95), fontsize=9, va="center", fontweight="bold")
        advice = model.band_advice.get(c.best_class or "", "")
        if advice:
            box.text(0.25, 0.15, f"For {c.best_class}: {advice}.", fontsize=9, va="center")


def _rounded(colour: str) -> Any:
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (0.005, 0.02),
        0.99,
        0.96,
        boxstyle="round,pad=0,rounding_size=0.04",
        facecolor=SURFACE,
        edgecolor=colour,
        linewidth=1.5,
    )


def _counts_and_provenance(figure: Any, c: StoredCompound) -> None:
    s = c.summary
    _heading(figure, 0.44, "The analysis in numbers")
    classes = s.get("classification_counts") or {}
    counts = [
        ("Neighbours found", s.get("neighbours")),
        (
            "Activities read / kept",
            f"{s.get('activities_in', '–')} / {s.get('activities_kept', '–')}",
        ),
        ("Scored rows", s.get("rows", c.n_rows)),
        ("Invalid rows", s.get("invalid_rows")),
        ("IMP-candidate rows", s.get("imp_candidate_rows")),
        ("Classes", ", ".join(f"{k}: {v}" for k, v in classes.items()) or "–"),
    ]
    draw_table(
        figure.add_axes((0.06, 0.29, 0.88, 0.14)),
        ["", ""],
        [(k, text_cell(v) or "–") for k, v in counts],
        widths=(0.3, 0.7),
    )
    _heading(figure, 0.26, "Provenance")
    provenance = []
    for key, label in _PROVENANCE:
        value = c.provenance.get(key)
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        provenance.append((label, text_cell(value, 2) or "–"))
    draw_table(figure.add_axes((0.06, 0.05, 0.88, 0.2)), ["", ""], provenance, widths=(0.3, 0.7))


# -- page 2 ----------------------------------------------------------------------------------


def _numbers(rows: pd.DataFrame, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    if column not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)


def _plane(ax: Any, rows: pd.DataFrame, x: str, y: str, best: Any, label: str) -> Any:
    xs, ys, scores = _numbers(rows, x), _numbers(rows, y), _numbers(rows, "final_score")
    shown = np.isfinite(xs) & np.isfinite(ys)
    ax.set_title(label, fontsize=11, color=PRIMARY, loc="left")
    ax.set_xlabel(x.upper())
    ax.set_ylabel(y.upper())
    ax.grid(color="#e5e9ef", linewidth=0.6)
    if not shown.any():
        ax.text(
            0.5, 0.5, "No row with both indices", transform=ax.transAxes, ha="center", color=MUTED
        )
        return None
    top = float(max(np.nanmax(xs[shown]), np.nanmax(ys[shown]))) * 1.1
    ax.plot([0, top], [0, top], linestyle="--", color=MUTED, linewidth=0.8, label="45°")
    points = ax.scatter(
        xs[shown],
        ys[shown],
        c=scores[shown],
        cmap="viridis",
        vmin=0,
        vmax=1,
        s=40,
        edgecolors="white",
        linewidths=0.5,
    )
    if best is not None:
        bx, by = pd.to_numeric(pd.Series([best.get(x), best.get(y)]), errors="coerce")
        if np.isfinite(bx) and np.isfinite(by):
            ax.scatter(
                [bx],
                [by],
                marker="*",
                s=180,
                facecolors="none",
                edgecolors="#b3261e",
                linewidths=1.3,
                label="best-scoring row",
            )
    ax.set_xlim(0, float(np.nanmax(xs[shown])) * 1.1 or 1)
    ax.set_ylim(0, float(np.nanmax(ys[shown])) * 1.1 or 1)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    return points


def _page_planes(figure: Any, c: StoredCompound) -> None:
    _heading(figure, 0.955, "Efficiency planes")
    figure.text(
        0.06,
        0.935,
        f"{len(c.rows)} activity rows, coloured by score; the dashed "
        "line is the 45° guide; the star marks the best-scoring row.",
        fontsize=8.5,
        color=MUTED,
    )
    best = best_row(c)
    points = None
    for box, (x, y, label) in zip(
        ((0.09, 0.58, 0.36, 0.32), (0.56, 0.58, 0.36, 0.32)),
        (("sei", "bei", "SEI-BEI plane"), ("nsei", "nbei", "NSEI-NBEI plane")),
        strict=True,
    ):
        points = _plane(figure.add_axes(box), c.rows, x, y, best, label) or points
    if points is not None:
        bar = figure.colorbar(
            points, cax=figure.add_axes((0.09, 0.525, 0.83, 0.012)), orientation="horizontal"
        )
        bar.set_label(f"final score ({c.model_id})", fontsize=8)
    _breakdown(figure, c, best)


def _breakdown(figure: Any, c: StoredCompound, best: Any) -> None:
    _heading(figure, 0.455, "Component breakdown of the best-scoring row")
    if best is None:
        figure.text(0.06, 0.42, "No row has a score: nothing to break down.", color=MUTED)
        return
    who = " · ".join(
        text_cell(best.get(k))
        for k in ("pref_name", "molecule_chembl_id", "target_pref_name", "standard_type")
        if text_cell(best.get(k))
    )
    figure.text(0.06, 0.43, wrap(who, 110), fontsize=8.5, color=MUTED, va="top")
    names = list(COMPONENTS)
    contributions = [
        float(pd.to_numeric(best.get(f"{n}_contribution"), errors="coerce")) for n in names
    ]
    ax = figure.add_axes((0.22, 0.25, 0.45, 0.15))
    values = [0.0 if np.isnan(v) else v for v in contributions]
    ax.barh(names[::-1], values[::-1], color=PRIMARY)
    ax.set_xlabel("contribution to the final score")
    ax.grid(axis="x", color="#e5e9ef", linewidth=0.6)
    ax.set_xlim(0, max(max(values) * 1.25, 0.05))
    rows = [
        (
            n,
            text_cell(best.get(f"{n}_score")),
            text_cell(best.get(f"weight_{n}")),
            text_cell(best.get(f"{n}_contribution")),
        )
        for n in names
    ]
    rows += [
        ("base", "", "", text_cell(best.get("base_score"))),
        ("× QED multiplier", "", "", text_cell(best.get("qed_multiplier"))),
        ("final", "", "", text_cell(best.get("final_score"))),
    ]
    draw_table(
        figure.add_axes((0.06, 0.045, 0.88, 0.165)),
        ["component", "score", "weight", "contribution"],
        rows,
        font_size=7.5,
    )
    used = best.get("pdb_evidence_used")
    note = "PDB evidence was used." if used is True else "PDB evidence was not used."
    figure.text(0.70, 0.33, wrap(note, 30), fontsize=8, color=MUTED, va="center")


# -- page 3 ----------------------------------------------------------------------------------


def _page_evidence(figure: Any, c: StoredCompound) -> None:
    _heading(figure, 0.955, "Interference flags of the query")
    flags = compound_flags(c)
    rows = [
        (
            name,
            "yes" if name in flags else "no",
            "scored" if name in SCORED_FLAGS else "shown",
            flags.get(name, ""),
        )
        for name in FLAG_NAMES
    ]
    draw_table(
        figure.add_axes((0.06, 0.78, 0.88, 0.16)),
        ["flag", "raised", "by imp-4", "what matched"],
        rows,
        widths=(0.18, 0.1, 0.12, 0.6),
    )
    neighbours = {f: sum(1 for r in c.flags if (r.get("flags") or {}).get(f)) for f in FLAG_NAMES}
    raised = ", ".join(f"{f} {n}" for f, n in neighbours.items() if n) or "none"
    n = len(c.flags)
    figure.text(
        0.06,
        0.765,
        wrap(
            f"Across the {n} structure{'s' if n != 1 else ''} of the neighbourhood: {raised}.", 120
        ),
        fontsize=8,
        color=MUTED,
        va="top",
    )
    _heading(figure, 0.72, "PDB evidence")
    entries = []
    for record in c.pdb:
        for entry in record.get("entries") or []:
            if isinstance(entry, dict):
                entries.append((record.get("source") or "", entry))
    keys = sorted({k for _, e in entries for k in e}, key=_pdb_key_order)[:6]
    sources = ", ".join(sorted({str(r.get("source")) for r in c.pdb if r.get("source")}))
    figure.text(0.06, 0.70, f"Source: {sources or 'none recorded'}", fontsize=8, color=MUTED)
    draw_table(
        figure.add_axes((0.06, 0.47, 0.88, 0.22)),
        keys,
        [[text_cell(e.get(k)) for k in keys] for _, e in entries],
        empty="PDB evidence was not gathered for this analysis (PDB source off)."
        if c.provenance.get("pdb_source") == "off"
        else "No PDB entry was found for this compound.",
    )
    _heading(figure, 0.43, f"Best-scoring activities (top {_TOP_ROWS})")
    columns = [
        ("pref_name", "molecule"),
        ("target_pref_name", "target"),
        ("standard_type", "type"),
        ("pactivity", "pAct"),
        ("sei", "SEI"),
        ("bei", "BEI"),
        ("final_score", "score"),
        ("classification", "class"),
    ]
    top = c.rows
    if "final_score" in top.columns:
        top = top.assign(_s=pd.to_numeric(top["final_score"], errors="coerce"))
        top = top.sort_values("_s", ascending=False, na_position="last")
    draw_table(
        figure.add_axes((0.06, 0.06, 0.88, 0.36)),
        [h for _, h in columns],
        [
            [text_cell(r.get(k), 2) for k, _ in columns]
            for r in top.head(_TOP_ROWS).to_dict("records")
        ],
        widths=(0.2, 0.26, 0.08, 0.07, 0.07, 0.07, 0.08, 0.17),
        empty="No activity rows: no neighbour was found.",
    )


def _pdb_key_order(key: str) -> tuple[int, str]:
    preferred = (
        "pdb_id",
        "entry",
        "molecule_chembl_id",
        "ligands",
        "ligand",
        "structures",
        "resolution",
        "score",
    )
    return (preferred.index(key) if key in preferred else len(preferred), key)
