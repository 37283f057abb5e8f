"""The Compound page: one stored analysis in full.

Header (structure, identifiers, provenance, best score and what it means for the model), the
exports, the activities table, the two efficiency planes with the structure of the point under
the mouse, the score breakdown, the outliers, the interference flags with their matched atoms,
the PDB evidence with a 3D view, and drug-likeness. The compound is read as the calling user
(``impulator.store.get``): one that is not theirs and not shared with them is "not found".

In Voila the compound id comes from the page address (``Compound.ipynb?id=12``), which Voila
hands the kernel as the ``QUERY_STRING`` environment variable.
"""

from __future__ import annotations

import html
import logging
import os
from typing import Any
from urllib.parse import parse_qs

import pandas as pd

from impulator import store
from impulator._errors import CompoundNotFound, InvalidInput, describe_error
from impulator.chem import depict_svg
from impulator.ui import _theme as theme
from impulator.ui._compound_parts import (
    best_row,
    breakdown_html,
    flags_html,
    header_html,
    outliers_html,
    pdb_html,
)
from impulator.ui._pagekit import guarded, run_guarded
from impulator.ui._structure_view import drug_likeness_html, structure_link

__all__ = [
    "ACTIVITY_SORTS",
    "PAGE_SIZE",
    "CompoundPage",
    "activities_html",
    "compound_id_from_query",
    "show_compound",
    "sort_activities",
]

_log = logging.getLogger(__name__)

#: Activity rows shown per page of the table.
PAGE_SIZE = 25
#: How the activities table can be sorted: label -> (column, ascending).
ACTIVITY_SORTS: dict[str, tuple[str, bool]] = {
    "Score, best first": ("final_score", False),
    "pActivity, highest first": ("pactivity", False),
    "SEI, highest first": ("sei", False),
    "BEI, highest first": ("bei", False),
    "Similarity, highest first": ("similarity", False),
    "Target": ("target_pref_name", True),
    "Molecule": ("pref_name", True),
}

_CSS = """
.impulator-compound-top { gap: 18px; align-items: flex-start; }
.impulator-compound-structure { border: 1px solid #d5dbe3; border-radius: 8px;
  background: white; }
.impulator-compound-header h1 { color: #1f5f8b; margin: 0 0 4px 0; font-size: 1.6em; }
.impulator-compound-best { font-size: 1.1em; margin: 4px 0; }
.impulator-compound-model { margin: 4px 0 8px 0; max-width: 760px; }
table.impulator-compound-facts { border-collapse: collapse; line-height: 1.3; }
table.impulator-compound-facts th { text-align: left; color: #5f6b7a; font-weight: 600;
  padding: 1px 12px 1px 0; vertical-align: top; white-space: nowrap; }
table.impulator-compound-facts td { padding: 1px 0; word-break: break-all; }
.impulator-compound-header p, .impulator-compound-hover p { line-height: 1.35; }
table.impulator-compound-point-values { line-height: 1.3; }
.impulator-compound-hover { border: 1px solid #d5dbe3; border-radius: 8px; padding: 6px;
  background: white; min-height: 380px; }
.impulator-compound-point-name { font-weight: 600; margin: 4px 0; }
table.impulator-compound-point-values th { text-align: left; color: #5f6b7a;
  padding-right: 8px; font-weight: 600; }
.impulator-compound-bar { display: inline-block; height: 10px; background: #2a9d8f;
  border-radius: 3px; }
td.impulator-compound-bar-cell { width: 220px; }
.impulator-compound-flag-cards { display: flex; flex-wrap: wrap; gap: 12px; }
.impulator-compound-flag-card { display: flex; gap: 8px; border: 1px solid #d5dbe3;
  border-radius: 8px; padding: 6px; max-width: 560px; background: white; }
.impulator-compound-flag-card ul { margin: 4px 0; padding-left: 18px; }
.impulator-compound-swatch { display: inline-block; width: 12px; height: 12px;
  border-radius: 2px; vertical-align: middle; margin-right: 3px; }
.impulator-compound-legend { font-size: 0.85em; }
.impulator-compound-message a { text-decoration: underline; font-weight: 600; }
"""


def compound_id_from_query(query_string: str | None) -> int | None:
    """The compound id of a page address's query string (``id=12``), or None.

    Raises:
        ValueError: an ``id`` is given but is not a positive whole number.

    Example:
        >>> compound_id_from_query("id=12&tab=planes"), compound_id_from_query("")
        (12, None)
        >>> compound_id_from_query("id=abc")
        Traceback (most recent call last):
        impulator._errors.InvalidInput: 'abc' is not a compound id (ids are whole numbers, like 12)
    """
    values = parse_qs(query_string or "").get("id") or []
    if not values or not values[0].strip():
        return None
    text = values[0].strip()
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(f"{text!r} is not a compound id (ids are whole numbers, like 12)")
    return int(text)


def sort_activities(rows: pd.DataFrame, label: str) -> pd.DataFrame:
    """``rows`` sorted as ``ACTIVITY_SORTS[label]`` says (missing values last).

    Example:
        >>> rows = pd.DataFrame({"final_score": [0.1, None, 0.7]})
        >>> sort_activities(rows, "Score, best first")["final_score"].tolist()[:2]
        [0.7, 0.1]
    """
    column, ascending = ACTIVITY_SORTS[label]
    if column not in rows:
        return rows
    return rows.sort_values(column, ascending=ascending, na_position="last", kind="stable")


_ACTIVITY_COLUMNS: list[theme.Column] = [
    (
        "pref_name",
        "Molecule",
        lambda r: html.escape(
            theme.format_value(r.get("pref_name"))
            or theme.format_value(r.get("molecule_chembl_id"))
        ),
    ),
    (
        "target_pref_name",
        "Target",
        lambda r: html.escape(
            f"{theme.format_value(r.get('target_pref_name'))} "
            f"({theme.format_value(r.get('target_chembl_id'))})"
        ),
    ),
    ("standard_type", "Type"),
    ("value_nm", "Value (nM)", lambda r: html.escape(theme.format_value(r.get("value_nm"), 2))),
    ("pactivity", "pActivity", lambda r: html.escape(theme.format_value(r.get("pactivity"), 2))),
    ("sei", "SEI", lambda r: html.escape(theme.format_value(r.get("sei"), 2))),
    ("bei", "BEI", lambda r: html.escape(theme.format_value(r.get("bei"), 2))),
    ("nsei", "NSEI", lambda r: html.escape(theme.format_value(r.get("nsei"), 3))),
    ("nbei", "NBEI", lambda r: html.escape(theme.format_value(r.get("nbei"), 3))),
    ("final_score", "Score"),
    (
        "classification",
        "Class",
        lambda r: (
            theme.badge(r.get("classification"))
            + (html.escape(f" {r['invalid_reason']}") if r.get("invalid_reason") else "")
        ),
    ),
]


def activities_html(rows: pd.DataFrame, page: int = 1, *, size: int = PAGE_SIZE) -> str:
    """One page of the activities table (HTML), with "rows a-b of n".

    Example:
        >>> rows = pd.DataFrame({"pref_name": ["A", "B", "C"], "final_score": [0.1, 0.2, 0.3]})
        >>> "rows 3-3 of 3" in activities_html(rows, 2, size=2)
        True
    """
    if rows.empty:
        return theme.status_html("No activity rows are stored for this compound.")
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, page), pages)
    start = (page - 1) * size
    shown = rows.iloc[start : start + size]
    count = f"rows {start + 1}-{start + len(shown)} of {len(rows)}"
    return f'<p class="impulator-compound-count">Showing {count}.</p>' + theme.html_table(
        shown, _ACTIVITY_COLUMNS, css="impulator-compound-activities-table"
    )


class CompoundPage:
    """The widgets of the Compound page (``widget`` is the page)."""

    def __init__(self, compound_id: int | None, url: str | None = None) -> None:
        w = theme.widgets()
        self.url = url
        self.compound_id = compound_id
        self.compound: store.StoredCompound | None = None
        self.message = w.HTML()
        self.message.add_class("impulator-compound-message")
        self.body = w.VBox()
        self.body.add_class("impulator-compound-body")
        self.rows = pd.DataFrame()
        self.sorted_rows = pd.DataFrame()
        self.page = 1
        self.planes: Any = None
        self.breakdown = w.HTML()
        self.breakdown.add_class("impulator-compound-breakdown")
        css = w.HTML(f"<style>{_CSS}</style>")
        self.widget = theme.page_frame("Compound", css, self.message, self.body)
        self.widget.add_class("impulator-compound")
        self.load()

    def load(self) -> None:
        """Read the compound and draw the page (errors are shown in words, never raised)."""
        if self.compound_id is None:
            self._say(
                "No compound chosen. Open one from the "
                '<a href="Explorer.ipynb">Explorer</a> (or add <code>?id=12</code> to the '
                "address).",
                raw=True,
            )
            return
        compound_id = self.compound_id
        compound = run_guarded(
            lambda: self._read(compound_id), self._say, f"reading compound {compound_id}"
        )
        if compound is None:
            return
        self.compound = compound
        # A drawing bug must not leave a blank page: it is said as one.
        run_guarded(lambda: self._draw(compound), self._say, f"drawing compound {compound_id}")

    def _read(self, compound_id: int) -> store.StoredCompound | None:
        """The compound, or None when it is not found (the page then says where to look)."""
        try:
            return store.get(compound_id, self.url)
        except CompoundNotFound:
            self._say(
                f"Compound {compound_id} was not found or not shared with you. Its owner "
                'can share it with your group; your own compounds are in the <a href="'
                'Explorer.ipynb">Explorer</a>.',
                raw=True,
            )
            return None

    def _say(self, text: str, *, raw: bool = False) -> None:
        body = text if raw else html.escape(text)
        self.message.value = f'<p class="impulator-status-error">{body}</p>'

    def _section(self, title: str, *children: Any, name: str) -> Any:
        w = theme.widgets()
        heading = w.HTML(html.escape(title))
        heading.add_class("impulator-section-title")
        box = w.VBox([heading, *children])
        box.add_class(f"impulator-compound-{name}-section")
        return box

    def _draw(self, c: store.StoredCompound) -> None:
        from impulator.ui._planes import PlanesPanel

        w = theme.widgets()
        self.rows = c.rows.reset_index(drop=True)
        structure = w.HTML(depict_svg(c.parent_smiles, width=300, height=230))
        structure.add_class("impulator-compound-structure")
        header = w.HTML(header_html(c))
        header.add_class("impulator-compound-header")
        top = w.HBox([structure, header])
        top.add_class("impulator-compound-top")

        self.sort = w.Dropdown(
            options=list(ACTIVITY_SORTS), description="Sort by", layout=w.Layout(width="300px")
        )
        self.sort.add_class("impulator-compound-sort")
        self.previous = w.Button(
            description="Previous", icon="arrow-left", layout=w.Layout(width="110px")
        )
        self.next = w.Button(description="Next", icon="arrow-right", layout=w.Layout(width="110px"))
        self.previous.add_class("impulator-compound-previous")
        self.next.add_class("impulator-compound-next")
        self.activities = w.HTML()
        self.activities.add_class("impulator-compound-activities")
        self.sort.observe(
            guarded(self._sort, self.activities, "sorting the activities"), names="value"
        )
        self.previous.on_click(guarded(lambda: self._turn(-1), self.activities, "paging"))
        self.next.on_click(guarded(lambda: self._turn(1), self.activities, "paging"))
        run_guarded(self._sort, self.activities, "sorting the activities")

        self.planes = PlanesPanel(self.rows, query_inchikey=c.inchikey, on_select=self.select)
        self.select(best_row(self.rows))
        outliers = w.HTML(outliers_html(self.rows))
        outliers.add_class("impulator-compound-outliers")
        flags = w.HTML(flags_html(c))
        flags.add_class("impulator-compound-flags")
        pdb = w.HTML(pdb_html(c))
        pdb.add_class("impulator-compound-pdb")
        drug = w.HTML(drug_likeness_html(c.parent_smiles))
        drug.add_class("impulator-compound-druglikeness")
        # The 3D viewer has a page of its own: its scripts are the heaviest of any page.
        view_3d = w.HTML(structure_link(c.id))
        view_3d.add_class("impulator-compound-3d")
        self.body.children = [
            top,
            self._exports(c.id),
            self._section("Efficiency planes", self.planes.widget, name="planes"),
            self._section(
                "Activities",
                w.HBox([self.sort, self.previous, self.next]),
                self.activities,
                name="activities",
            ),
            self._section("Score breakdown", self.breakdown, name="breakdown"),
            self._section("Outliers", outliers, name="outliers"),
            self._section("Interference flags", flags, name="flags"),
            self._section("PDB evidence", pdb, name="pdb"),
            self._section("3D structure (RDKit ETKDG conformer)", view_3d, name="view3d"),
            self._section("Drug-likeness", drug, name="druglikeness"),
        ]

    def _exports(self, compound_id: int) -> Any:
        w = theme.widgets()
        try:
            from impulator.ui._exports import export_panel
        except ImportError:
            note = w.HTML(theme.status_html("Exports are not available in this installation."))
            note.add_class("impulator-compound-exports")
            return note
        try:
            panel = export_panel(lambda: [compound_id], self.url, single=True)
        except Exception as exc:
            _log.warning("the export panel failed", exc_info=True)
            panel = w.HTML(
                theme.status_html(f"Exports unavailable: {describe_error(exc)}", "error")
            )
        box = w.VBox([panel])
        box.add_class("impulator-compound-exports")
        return box

    def select(self, row: int | None) -> None:
        """Show the score breakdown of row ``row`` (position in the stored rows)."""
        self.breakdown.value = breakdown_html(self.rows, row)

    def _sort(self) -> None:
        self.sorted_rows = sort_activities(self.rows, str(self.sort.value))
        self.page = 1
        self._show_page()

    def _turn(self, step: int) -> None:
        self.page += step
        self._show_page()

    def _show_page(self) -> None:
        pages = max(1, -(-len(self.sorted_rows) // PAGE_SIZE))
        self.page = min(max(1, self.page), pages)
        self.activities.value = activities_html(self.sorted_rows, self.page)
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= pages
        hidden = "none" if pages == 1 else ""
        self.previous.layout.display = self.next.layout.display = hidden


def show_compound(compound_id: int | None = None, url: str | None = None) -> Any:
    """The Compound page of stored compound ``compound_id`` as one widget.

    Without ``compound_id`` it is read from the page address (``?id=12``: Voila passes the
    query string as ``QUERY_STRING``). ``url`` is the results database. The page never
    raises: a missing, invalid or invisible id is a sentence with a link to the Explorer.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> page = show_compound(7, url)
        >>> "not found or not shared with you" in _find_message(page)
        True
    """
    if compound_id is None:
        try:
            compound_id = compound_id_from_query(os.environ.get("QUERY_STRING"))
        except ValueError as exc:
            page = CompoundPage(None, url)
            page._say(
                f"{html.escape(describe_error(exc))} Open a compound from the "
                '<a href="Explorer.ipynb">Explorer</a>.',
                raw=True,
            )
            return page.widget
    return CompoundPage(compound_id, url).widget


def _find_message(widget: Any) -> str:
    """The text of the page's message line (for examples and tests)."""
    if "impulator-compound-message" in getattr(widget, "_dom_classes", ()):
        return str(widget.value)
    return "".join(_find_message(child) for child in getattr(widget, "children", ()))
