"""The sections of the Compound page as HTML, from a :class:`~impulator.store.StoredCompound`.

Pure functions (no widgets): the header and its provenance, the score breakdown of one row,
the outliers, the interference flags with their matched atoms highlighted, the PDB evidence.
Every value is escaped; depictions are RDKit SVG drawn here.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from impulator.chem import FLAG_NAMES, SCORED_FLAGS, depict_svg, interference_flags, standardize
from impulator.pipeline import best_row
from impulator.science import COMPONENTS, MODELS
from impulator.store import StoredCompound
from impulator.ui import _theme as theme
from impulator.ui._structure_view import FLAG_COLOURS, highlight_for

__all__ = [
    "FLAG_LABELS",
    "MAX_FLAGGED_STRUCTURES",
    "best_row",
    "breakdown_frame",
    "breakdown_html",
    "flagged_structures",
    "flags_html",
    "header_html",
    "model_sentence",
    "outlier_frame",
    "outliers_html",
    "pdb_frame",
    "pdb_html",
]

_log = logging.getLogger(__name__)

#: How each interference flag is named on the page.
FLAG_LABELS: dict[str, str] = {
    "pains": "PAINS",
    "aggregator": "Aggregator-like",
    "redox": "Redox cycler",
    "fluorescence": "Fluorophore",
    "thiol_reactive": "Thiol-reactive",
    "brenk": "Brenk alert",
    "nih": "NIH alert",
}
#: Most flagged structures drawn (the rest are counted).
MAX_FLAGGED_STRUCTURES = 12
_METRICS = ("sei", "bei", "nsei", "nbei")


def _text(value: Any, digits: int = 3) -> str:
    return theme.format_value(value, digits)


def _e(value: Any, digits: int = 3) -> str:
    return html.escape(_text(value, digits))


# -- header ----------------------------------------------------------------------------------


def model_sentence(model_id: str | None, best_class: str | None = None) -> str:
    """What a high score means under ``model_id``, and what its best class asks of you.

    Example:
        >>> model_sentence("imp-4", "Strong IMP")
        'IMP score (imp-4): High = likely an artifact (an IMP): doubt this result before building on it. Strong IMP: likely an artifact: counter-screen.'
        >>> model_sentence("no-such-model")
        'Scored with model no-such-model, which this version of impulator does not describe.'
    """  # noqa: E501
    model = MODELS.get(model_id or "")
    if model is None:
        return (
            f"Scored with model {model_id or 'unknown'}, which this version of impulator "
            "does not describe."
        )
    text = f"{model.title} ({model.id}): {model.high_means}"
    advice = model.band_advice.get(best_class or "")
    return f"{text} {best_class}: {advice}." if advice and best_class else text


def header_html(compound: StoredCompound) -> str:
    """Name, identifiers, best score and class, and the provenance of the analysis."""
    p, s = compound.provenance, compound.summary
    name = compound.name or compound.chembl_id or f"Compound {compound.id}"
    types = p.get("activity_types")
    settings = [
        f"similarity ≥ {_text(p.get('similarity_threshold'), 2)}",
        f"top {p['top_k']}" if p.get("top_k") else "",
        f"curation {p.get('curation')}" if p.get("curation") else "",
        "types " + ", ".join(map(str, types)) if isinstance(types, list) else "",
        f"model {compound.model_id or p.get('scoring_model') or ''}",
    ]
    release = p.get("bioactivity_release")
    source = _text(p.get("bioactivity_source")) or "unknown"
    items = [
        ("ChEMBL id", _text(compound.chembl_id or s.get("query_chembl_id")) or "none found"),
        ("InChIKey", _text(compound.inchikey)),
        ("Query", compound.query),
        ("Data", source + (f" (release {release})" if release and release != source else "")),
        ("Settings", "; ".join(x for x in settings if x)),
        ("PDB evidence", _text(p.get("pdb_source")) or "not looked up"),
        (
            "Computed with",
            f"impulator {_text(p.get('impulator'))}, RDKit {_text(p.get('rdkit'))}, "
            f"alerts {_text(p.get('impulator_alerts'))}",
        ),
        (
            "Neighbours",
            f"{_text(s.get('neighbours'))} compounds, {compound.n_rows} rows "
            f"({_text(s.get('invalid_rows')) or 0} invalid)",
        ),
        ("Created", theme.format_time(compound.created_at)),
        (
            "Owner",
            compound.owner
            + (f"; shared with {', '.join(compound.shared_with)}" if compound.shared_with else ""),
        ),
    ]
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items if v
    )
    score = _text(compound.best_score)
    best = (
        f'<div class="impulator-compound-best">Best score <b>{html.escape(score)}</b> '
        f"{theme.badge(compound.best_class)}</div>"
        if score
        else '<div class="impulator-compound-best">No row could be scored.</div>'
    )
    return (
        f"<h1>{html.escape(name)}</h1>{best}"
        f'<p class="impulator-compound-model">'
        f"{html.escape(model_sentence(compound.model_id, compound.best_class))}</p>"
        f'<table class="impulator-compound-facts">{rows}</table>'
    )


# -- score breakdown -------------------------------------------------------------------------


def breakdown_frame(row: Mapping[str, Any]) -> pd.DataFrame:
    """What each score component contributed to one row's final score.

    Columns: ``component``, ``score`` (0-1), ``weight``, ``contribution`` (weight x score x
    QED multiplier: the contributions add up to the final score).

    Example:
        >>> row = {"efficiency_score": 0.5, "weight_efficiency": 0.5,
        ...        "efficiency_contribution": 0.2, "qed_multiplier": 0.8}
        >>> breakdown_frame(row).to_dict("records")
        [{'component': 'efficiency', 'score': 0.5, 'weight': 0.5, 'contribution': 0.2}]
    """
    records = []
    for component in COMPONENTS:
        contribution = row.get(f"{component}_contribution")
        if contribution is None:
            continue
        records.append(
            {
                "component": component,
                "score": row.get(f"{component}_score"),
                "weight": row.get(f"weight_{component}"),
                "contribution": contribution,
            }
        )
    return pd.DataFrame(records, columns=["component", "score", "weight", "contribution"])


def breakdown_html(rows: pd.DataFrame, position: int | None) -> str:
    """The score breakdown of row ``position`` (a bar per component contribution)."""
    if position is None or rows.empty:
        return theme.status_html("No row could be scored: there is no breakdown to show.")
    row = {str(k): v for k, v in rows.iloc[position].items()}
    frame = breakdown_frame(row)
    if frame.empty:
        return theme.status_html("These rows carry no component columns.")
    final = pd.to_numeric(pd.Series([row.get("final_score")]), errors="coerce").iloc[0]
    total = float(final) if pd.notna(final) and final > 0 else 1.0
    lines = []
    for r in frame.to_dict("records"):
        value = pd.to_numeric(pd.Series([r["contribution"]]), errors="coerce").iloc[0]
        share = 0.0 if pd.isna(value) else max(0.0, float(value)) / total * 100
        bar = f'<span class="impulator-compound-bar" style="width:{min(share, 100):.0f}%"></span>'
        lines.append(
            f"<tr><td>{html.escape(str(r['component']))}</td><td class='impulator-number'>"
            f"{_e(r['score'])}</td><td class='impulator-number'>{_e(r['weight'])}</td>"
            f"<td class='impulator-number'>{_e(r['contribution'])}</td>"
            f'<td class="impulator-compound-bar-cell">{bar}</td></tr>'
        )
    name = _text(row.get("pref_name")) or _text(row.get("molecule_chembl_id"))
    what = f"{name} on {_text(row.get('target_pref_name')) or _text(row.get('target_chembl_id'))}"
    what += f" ({_text(row.get('standard_type'))})"
    pdb = "with" if row.get("pdb_evidence_used") else "without"
    return (
        f"<p><b>{html.escape(what)}</b>: score {_e(final)} {theme.badge(row.get('classification'))}"
        f" = base {_e(row.get('base_score'))} × QED multiplier "
        f"{_e(row.get('qed_multiplier'))}; weights {pdb} PDB evidence.</p>"
        '<table class="impulator-table impulator-compound-breakdown-table"><thead><tr>'
        "<th>Component</th><th>Score (0-1)</th><th>Weight</th><th>Contribution</th>"
        f"<th>Share of the score</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


# -- outliers --------------------------------------------------------------------------------


def outlier_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that are outliers of their cohort on at least one index, most first.

    Adds ``outliers`` ("SEI, BEI", ...) to the row columns.

    Example:
        >>> rows = pd.DataFrame({"outlier_sei": [True, False], "outlier_bei": [True, False],
        ...                      "outlier_count": [2, 0]})
        >>> outlier_frame(rows)["outliers"].tolist()
        ['SEI, BEI']
    """
    if rows.empty or "outlier_count" not in rows:
        return rows.iloc[:0].assign(outliers=pd.Series(dtype=str))
    counts = pd.to_numeric(rows["outlier_count"], errors="coerce").fillna(0)
    found = rows[counts > 0].copy()
    found["outliers"] = [
        ", ".join(m.upper() for m in _METRICS if bool(r.get(f"outlier_{m}")))
        for r in found.to_dict("records")
    ]
    return found.sort_values("outlier_count", ascending=False, kind="stable")


def outliers_html(rows: pd.DataFrame) -> str:
    """The outliers table with a sentence on the rule."""
    rule = (
        "A value is an outlier when it lies above Q3 + 1.5 × IQR of this analysis' rows "
        "(upper tail only); a row outlying on two or more of SEI, BEI, NSEI and NBEI is an "
        "IMP candidate."
    )
    found = outlier_frame(rows)
    if found.empty:
        return f"<p>{html.escape(rule)}</p>" + theme.status_html("No row is an outlier.")
    columns: list[theme.Column] = [
        ("pref_name", "Molecule", lambda r: _e(r.get("pref_name") or r.get("molecule_chembl_id"))),
        ("target_pref_name", "Target"),
        ("standard_type", "Type"),
        ("pactivity", "pActivity"),
        ("outliers", "Outlier on"),
        ("z_sei", "z SEI"),
        ("z_bei", "z BEI"),
        ("outlier_count", "Count"),
        ("imp_candidate", "IMP candidate", lambda r: "yes" if r.get("imp_candidate") else "no"),
        ("imp_confidence", "Confidence"),
    ]
    return f"<p>{html.escape(rule)}</p>" + theme.html_table(found, columns)


# -- interference flags ----------------------------------------------------------------------


def flagged_structures(compound: StoredCompound) -> list[dict[str, Any]]:
    """The stored structures with at least one flag set, the compound's own first.

    Each: ``inchikey``, ``smiles``, ``name``, ``own``, ``flags`` (set flag -> matched names as
    stored), ``atoms`` (flag -> matched atom indices, recomputed on the standardised parent)
    and ``mol`` (that parent, for the depiction; None when it cannot be read).
    """
    names: dict[str, str] = {}
    if not compound.rows.empty and "inchikey" in compound.rows:
        for r in compound.rows.to_dict("records"):
            key = r.get("inchikey")
            if key and key not in names:
                names[str(key)] = _text(r.get("pref_name")) or _text(r.get("molecule_chembl_id"))
    found = []
    for record in compound.flags:
        flags = {f: bool(v) for f, v in (record.get("flags") or {}).items() if v}
        if not flags:
            continue
        matches = record.get("matches") or {}
        entry: dict[str, Any] = {
            "inchikey": record.get("inchikey"),
            "smiles": record.get("smiles"),
            "name": names.get(str(record.get("inchikey")), ""),
            "own": record.get("inchikey") == compound.inchikey,
            "flags": {f: _text(matches.get(f)) for f in FLAG_NAMES if f in flags},
            "atoms": {},
            "mol": None,
        }
        found.append(entry)
    found.sort(key=lambda e: not e["own"])
    return found


def _with_atoms(entry: dict[str, Any]) -> dict[str, Any]:
    try:
        structure = standardize(str(entry["smiles"]))
        computed = interference_flags(structure)
        entry["mol"] = structure.mol
        entry["atoms"] = {f: sorted(computed.atoms(f)) for f in entry["flags"]}
    except Exception:  # a stored SMILES that no longer reads: draw it plain
        _log.warning("cannot recompute the alerts of %s", entry.get("smiles"), exc_info=True)
    return entry


def _legend(flags: Iterable[str]) -> str:
    def swatch(flag: str) -> str:
        r, g, b = (int(c * 255) for c in FLAG_COLOURS[flag])
        style = f"background:rgb({r},{g},{b})"
        return f'<span class="impulator-compound-swatch" style="{style}"></span>'

    return " ".join(f"{swatch(f)}{html.escape(FLAG_LABELS[f])}" for f in flags if f in FLAG_COLOURS)


def flags_html(compound: StoredCompound) -> str:
    """Each flagged structure drawn with its matched atoms highlighted, and what matched."""
    found = flagged_structures(compound)
    if not found:
        return theme.status_html(
            "No interference flag on the compound or its neighbours (PAINS, aggregator, redox, "
            "fluorescence, thiol-reactive; Brenk and NIH alerts)."
        )
    cards = []
    for entry in found[:MAX_FLAGGED_STRUCTURES]:
        entry = _with_atoms(entry)
        marks = highlight_for((f, entry["atoms"].get(f, ())) for f in entry["flags"])
        svg = depict_svg(entry["mol"] or entry["smiles"], width=240, height=180, highlight=marks)
        items = "".join(
            f"<li><b>{html.escape(FLAG_LABELS.get(f, f))}</b>"
            f"{'' if f in SCORED_FLAGS else ' (shown only, not scored)'}: "
            f"{html.escape(names or 'matched')}</li>"
            for f, names in entry["flags"].items()
        )
        title = "This compound" if entry["own"] else (entry["name"] or entry["inchikey"] or "")
        cards.append(
            f'<div class="impulator-compound-flag-card"><div>{svg}</div><div>'
            f"<b>{html.escape(str(title))}</b><ul>{items}</ul>"
            f'<div class="impulator-compound-legend">{_legend(entry["flags"])}</div></div></div>'
        )
    more = len(found) - MAX_FLAGGED_STRUCTURES
    tail = theme.status_html(f"…and {more} more flagged structures.") if more > 0 else ""
    note = (
        "<p>Highlighted: the atoms each alert matched. PAINS, aggregator-like, redox, "
        "fluorescence and thiol-reactive flags lower trust (imp-4 scores them); Brenk and NIH "
        "alerts are shown only.</p>"
    )
    return note + '<div class="impulator-compound-flag-cards">' + "".join(cards) + "</div>" + tail


# -- PDB -------------------------------------------------------------------------------------


def pdb_frame(compound: StoredCompound) -> tuple[pd.DataFrame, list[str], str]:
    """PDB entries (one per molecule), the notes of failed lookups, and the source.

    Example:
        >>> from datetime import datetime, UTC
        >>> c = StoredCompound(1, "me", "x", "x", None, None, None, None, None, None, None, 0,
        ...     0, datetime.now(UTC), None, None, {}, {}, pd.DataFrame(),
        ...     pdb=[{"source": "CCD", "score": 0.5, "entries": [
        ...         {"molecule_chembl_id": "CHEMBL1", "structures": 2, "ligands": "ABC",
        ...          "score": 0.5}, {"note": "timeout"}]}])
        >>> frame, notes, source = pdb_frame(c)
        >>> len(frame), notes, source
        (1, ['timeout'], 'CCD')
    """
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    sources: list[str] = []
    for record in compound.pdb:
        if record.get("source"):
            sources.append(str(record["source"]))
        for entry in record.get("entries") or []:
            if "note" in entry and len(entry) == 1:
                notes.append(str(entry["note"]))
            else:
                entries.append(dict(entry))
    return pd.DataFrame(entries), notes, ", ".join(dict.fromkeys(sources))


def pdb_html(compound: StoredCompound) -> str:
    """The PDB evidence table (structures and ligand codes per molecule, and their score)."""
    frame, notes, source = pdb_frame(compound)
    if not compound.pdb:
        return theme.status_html("PDB evidence was not looked up for this analysis.")
    names: dict[str, str] = {}
    for r in compound.rows.to_dict("records") if not compound.rows.empty else []:
        names.setdefault(str(r.get("molecule_chembl_id")), _text(r.get("pref_name")))
    if not frame.empty and "molecule_chembl_id" in frame:
        frame = frame.assign(name=frame["molecule_chembl_id"].map(lambda m: names.get(str(m), "")))
    columns: list[theme.Column] = [
        ("molecule_chembl_id", "Molecule"),
        ("name", "Name"),
        ("structures", "PDB structures"),
        ("ligands", "Ligand codes"),
        ("score", "PDB score"),
    ]
    extra = [c for c in frame.columns if c not in {c[0] for c in columns} | {"inchikey"}]
    columns += [(c, c.replace("_", " ").capitalize()) for c in extra]
    table = theme.html_table(frame, columns, empty="No PDB entry for these molecules.")
    said = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (
        f"<p>Source: {html.escape(source or 'unknown')}. The PDB score (0-1) rewards more "
        "structures and better resolution.</p>"
        + table
        + (f"<p>Lookups that failed:</p><ul>{said}</ul>" if said else "")
    )
