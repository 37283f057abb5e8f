"""Structures on the Compound page: 2D depictions as inline SVG, a 3D view, drug-likeness.

Depictions are drawn by RDKit in the kernel and inlined, so nothing is fetched by the browser.
The 3D view draws an RDKit ETKDG conformer with NGL: on a Voila page whose server serves NGL's
browser build (``IMPULATOR_NGL_VIEWER``), an anywidget that imports it once the page is drawn;
elsewhere (JupyterLab), nglview with its own extension. When any of it fails the page says why.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Iterable
from typing import Any

from impulator.chem import DrugLikenessRule, drug_likeness, embed_3d
from impulator.ui import _theme as theme
from impulator.ui._served import NGL_VIEWER_ENV, after_page_drawn, served_address

__all__ = [
    "FLAG_COLOURS",
    "DrugLikenessRule",
    "drug_likeness",
    "drug_likeness_html",
    "embed_3d",
    "structure_3d_view",
    "structure_link",
]

_log = logging.getLogger(__name__)

#: Highlight colour (RGB, 0-1) of the atoms matched by each interference flag.
FLAG_COLOURS: dict[str, tuple[float, float, float]] = {
    "pains": (0.96, 0.55, 0.55),
    "aggregator": (0.75, 0.75, 0.95),
    "redox": (0.98, 0.75, 0.45),
    "fluorescence": (0.55, 0.85, 0.55),
    "thiol_reactive": (0.95, 0.6, 0.85),
    "brenk": (0.85, 0.85, 0.55),
    "nih": (0.6, 0.85, 0.9),
}


# -- 3D ----------------------------------------------------------------------------------------


def structure_link(compound_id: int) -> str:
    """The HTML link of the 3D page of ``compound_id`` (a new tab; the Compound page stays).

    Example:
        >>> 'href="Structure.ipynb?id=12"' in structure_link(12)
        True
    """
    return (
        f'<a class="impulator-compound-3d-link" href="Structure.ipynb?id={compound_id}" '
        'target="_blank" rel="noopener">Show in 3D</a>'
    )


def structure_3d_view(smiles: str | None, *, height: int = 320) -> Any:
    """A widget showing ``smiles`` in 3D (NGL, ball and stick), or an HTML widget saying
    why it cannot (no structure, no conformer, no viewer).

    Example:
        >>> type(structure_3d_view(None)).__name__
        'HTML'
    """
    w = theme.widgets()
    if not smiles:
        return _fallback("No structure is stored for this compound: nothing to show in 3D.")
    try:
        mol = embed_3d(smiles)
    except ValueError as exc:
        return _fallback(f"No 3D view: {exc}.")
    layout = w.Layout(width="100%", height=f"{height}px")
    try:
        served = served_address(NGL_VIEWER_ENV)
        if served:
            from rdkit import Chem

            view = _served_viewer(served)(molblock=Chem.MolToMolBlock(mol), layout=layout)
        else:
            import nglview  # type: ignore[import-untyped]

            view = nglview.show_rdkit(mol)
            view.clear_representations()
            view.add_representation("ball+stick")
            view.layout = layout
    except Exception as exc:  # the viewer is optional; any failure is a sentence, not a crash
        _log.warning("the 3D viewer failed", exc_info=True)
        return _fallback(
            f"The 3D viewer is unavailable ({type(exc).__name__}: {exc}); "
            "the 2D depiction above shows the structure."
        )
    view.add_class("impulator-compound-3d-viewer")
    return view


#: Draws the model's ``molblock`` with NGL (``globalThis.NGL``), ball and stick, and follows the
#: element's size; the returned function frees the viewer when the view goes.
_NGL_RENDER = """
const NGL = globalThis.NGL;
export default {
  async render({ model, el }) {
    const stage = new NGL.Stage(el, { backgroundColor: "white" });
    const molecule = new Blob([model.get("molblock")], { type: "text/plain" });
    const shown = await stage.loadFile(molecule, { ext: "sdf", defaultRepresentation: false });
    shown.addRepresentation("ball+stick");
    shown.autoView();
    const resized = new ResizeObserver(() => stage.handleResize());
    resized.observe(el);
    return () => {
      resized.disconnect();
      stage.dispose();
    };
  },
};
"""


@functools.cache
def _served_viewer(address: str) -> type:
    """An anywidget class drawing a molfile (``molblock``) with the NGL build served at
    ``address``, imported once the page is drawn. NGL's build is a UMD script: it is run with
    no module system in scope, so it defines ``globalThis.NGL`` whatever the page loaded."""
    import anywidget
    import traitlets

    module = (
        after_page_drawn(address)
        + "if (!globalThis.NGL) {\n"
        + "  const code = await (await fetch(source)).text();\n"
        + '  new Function("define", "module", "exports", code).call(globalThis);\n'
        + "}\n"
        + _NGL_RENDER
    )
    return type(
        "MoleculeViewer",
        (anywidget.AnyWidget,),
        {"_esm": module, "molblock": traitlets.Unicode("").tag(sync=True)},
    )


def _fallback(text: str) -> Any:
    widget = theme.widgets().HTML(theme.status_html(text, "info"))
    widget.add_class("impulator-compound-3d-fallback")
    return widget


def drug_likeness_html(smiles: str | None) -> str:
    """The drug-likeness panel as HTML (a sentence when the structure cannot be read).

    Example:
        >>> "Lipinski" in drug_likeness_html("CCO"), drug_likeness_html(None)[:6]
        (True, '<span ')
    """
    if not smiles:
        return theme.status_html("No structure is stored: drug-likeness cannot be computed.")
    try:
        found = drug_likeness(smiles)
    except Exception as exc:  # an unreadable stored SMILES is a sentence
        return theme.status_html(f"Drug-likeness cannot be computed: {exc}", "error")

    def verdict(ok: bool) -> str:
        kind = "ok" if ok else "error"
        return theme.status_html("passes" if ok else "fails", kind)

    rows = "".join(
        f"<tr><td>{html.escape(r['rule_set'])}</td><td>{html.escape(r['rule'])}</td>"
        f'<td class="impulator-number">{html.escape(_number(r["value"]))}</td>'
        f"<td>{verdict(bool(r['passed']))}</td></tr>"
        for r in found["rules"]
    )
    qed = float(found["qed"])
    summary = (
        f"<p>Lipinski's rule of five: {verdict(bool(found['lipinski']))} "
        f"({found['lipinski_violations']} violation"
        f"{'' if found['lipinski_violations'] == 1 else 's'}; one is allowed). "
        f"Veber: {verdict(bool(found['veber']))}. "
        f"QED {html.escape(theme.format_value(qed, 2))} (0 to 1; higher is more drug-like; "
        "it scales the score as the QED multiplier).</p>"
    )
    return (
        summary + '<table class="impulator-table"><thead><tr><th>Rule set</th><th>Rule</th>'
        f"<th>Value</th><th>Verdict</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def highlight_for(atoms_by_flag: Iterable[tuple[str, Iterable[int]]]) -> dict[int, Any]:
    """Atom -> colour for the matched atoms of each flag (a later flag does not repaint)."""
    colours: dict[int, Any] = {}
    for flag, atoms in atoms_by_flag:
        for atom in atoms:
            colours.setdefault(int(atom), FLAG_COLOURS.get(flag, (0.9, 0.6, 0.6)))
    return colours
