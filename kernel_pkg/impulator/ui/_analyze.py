"""The Analyze page: one compound in, its scored neighbourhood out, stored on request.

The query is checked as it is typed (structures are read and drawn; identifiers and names are
only format-checked: they are looked up when the analysis runs). The availability probe says
how many neighbours each similarity threshold would give before anything is scored.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from impulator import pipeline, store
from impulator.chem import depict_svg
from impulator.science import DEFAULT_ACTIVITY_TYPES, DEFAULT_MODEL, MODELS
from impulator.ui import _theme as theme
from impulator.ui._analyze_view import AnalyzeView
from impulator.ui._pagekit import can_write, guarded, run_guarded

__all__ = [
    "DUPLICATE_CHOICES",
    "AnalyzePage",
    "QueryCheck",
    "best_rows",
    "check_query",
    "probe_availability",
    "show_analyze",
]

#: What Save does with a compound stored before with the same settings: (label, value).
DUPLICATE_CHOICES: tuple[tuple[str, str], ...] = (
    ("Skip (keep the stored one)", "skip"),
    ("Replace the stored one", "replace"),
    ("Keep both", "keep"),
)
_KIND_WORDS = {
    "smiles": "SMILES",
    "inchi": "InChI",
    "molfile": "molfile record",
    "inchikey": "InChIKey",
    "chembl_id": "ChEMBL id",
    "name": "compound name or synonym",
}


@dataclass(frozen=True)
class QueryCheck:
    """What a typed query is, whether it can be analysed, and its drawing.

    Attributes:
        kind: ``smiles``, ``inchi``, ``molfile``, ``inchikey``, ``chembl_id`` or ``name``
            (None when empty or unreadable).
        valid: whether the analysis may be run with it.
        message: a sentence for the chemist (the reason when invalid).
        smiles: canonical SMILES of the standardised parent (structures only).
        svg: the 2D depiction of that parent ("" for identifiers and names).
    """

    kind: str | None
    valid: bool
    message: str
    smiles: str | None = None
    svg: str = ""


def check_query(text: str) -> QueryCheck:
    """Check a query as typed: a structure is read and drawn, an identifier or name is only
    checked for its form (it is looked up when the analysis runs).

    Example:
        >>> check_query("C1CC").message
        'Not readable: unreadable SMILES: ring bond 1 is opened but never closed.'
        >>> c = check_query("CCO"); c.valid, c.kind, c.svg.startswith("<svg")
        (True, 'smiles', True)
        >>> check_query("CHEMBL1421").message
        'A ChEMBL id: it is looked up when you run the analysis.'
        >>> check_query("  ").valid
        False
    """
    from impulator.batch import validate
    from impulator.chem import standardize

    if not text.strip():
        return QueryCheck(None, False, "Type a SMILES, InChI, InChIKey, ChEMBL id or name.")
    checked = validate(text, None, "empty")
    if isinstance(checked, str):
        return QueryCheck(None, False, f"Not readable: {checked}.")
    _query, kind, _key = checked
    words = _KIND_WORDS.get(kind, kind)
    if kind in ("inchikey", "chembl_id", "name"):
        article = "An" if words[0] in "AEIOU" else "A"
        return QueryCheck(
            kind, True, f"{article} {words}: it is looked up when you run the analysis."
        )
    structure = standardize(text)
    note = " (standardised parent shown)" if structure.smiles != text.strip() else ""
    if structure.excluded:
        note += "; ChEMBL would exclude it (e.g. inorganic), it is scored anyway"
    return QueryCheck(
        kind,
        True,
        f"A valid {words}: {structure.smiles}{note}.",
        structure.smiles,
        depict_svg(structure.mol, width=320, height=220),
    )


def probe_availability(query: str, similarity: float = 0.90) -> dict[float, int]:
    """How many neighbours the bioactivity source has at ``similarity`` and at lower and
    higher thresholds (0.40 to 1.00 by 0.10), before anything is scored.

    Raises what :func:`impulator.analyze` raises for the query (InvalidStructure,
    UnknownCompound, SourceUnavailable).

    Example:
        >>> probe_availability("  ")
        Traceback (most recent call last):
        impulator._errors.InvalidInput: type a SMILES, ChEMBL id or compound name first
    """
    return pipeline.probe(query, similarity)


#: Columns of :func:`best_rows`.
BEST_COLUMNS: tuple[str, ...] = (
    "molecule_chembl_id",
    "pref_name",
    "standard_type",
    "pactivity",
    "target_pref_name",
    "similarity",
    "sei",
    "bei",
    "final_score",
    "classification",
)


def best_rows(rows: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The ``limit`` best-scored rows of a report (``BEST_COLUMNS``), best first.

    Example:
        >>> frame = pd.DataFrame({"final_score": [0.2, 0.9, None], "molecule_chembl_id": list("abc")})
        >>> best_rows(frame, 2)["molecule_chembl_id"].tolist()
        ['b', 'a']
    """  # noqa: E501
    if rows.empty:
        return pd.DataFrame(columns=list(BEST_COLUMNS))
    ordered = pipeline.best_rows(rows, limit)
    return ordered.reindex(columns=list(BEST_COLUMNS)).reset_index(drop=True)


class AnalyzePage(AnalyzeView):
    """The Analyze page: its widgets (see :class:`AnalyzeView`) and what they do.

    ``check``, ``probe``, ``run`` and ``save`` are what the buttons call; tests call them
    directly. None of them raises: errors are shown next to what caused them.
    """

    def __init__(self, url: str | None = None) -> None:
        models = [(f"{m.title} ({m.id})", m.id) for m in MODELS.values()]
        super().__init__(models, DEFAULT_MODEL, DEFAULT_ACTIVITY_TYPES, DUPLICATE_CHOICES)
        self.url = url
        self.report: Any = None
        self.compound_id: int | None = None
        self.writable = can_write(url)
        if not self.writable:
            self.save_box.layout.display = "none"
            self.readonly_note.layout.display = None
        self.query.observe(
            guarded(self._on_typed, self.validation, "checking the query"), names="value"
        )
        self.probe_button.on_click(guarded(self.probe, self.probe_status, "the availability probe"))
        self.run_button.on_click(guarded(self.run, self.run_status, "the analysis"))
        self.save_button.on_click(guarded(self.save, self.save_status, "saving the analysis"))

    # -- actions ---------------------------------------------------------------------------

    def check(self, text: str | None = None) -> QueryCheck:
        """Validate the query box (or ``text``) and show the preview or the reason."""
        typed = self.query.value if text is None else text
        checked = check_query(typed)
        kind = "ok" if checked.valid else ("error" if typed.strip() else "info")
        self.validation.value = theme.status_html(checked.message, kind)
        self.preview.value = checked.svg
        self.preview.layout.display = None if checked.svg else "none"
        self.run_button.disabled = not checked.valid
        self.probe_button.disabled = not checked.valid
        return checked

    def options(self) -> pipeline.AnalyzeOptions:
        """The analysis options chosen on the page (ValueError when one is out of range)."""
        return pipeline.AnalyzeOptions(
            similarity=round(float(self.similarity.value), 2),
            activity_types=list(self.activity_types.value) or None,
            model=str(self.model.value),
            pdb=bool(self.pdb.value),
        )

    def probe(self) -> dict[float, int] | None:
        """Count neighbours per threshold for the query; show them as a small table."""
        if not self.check().valid:
            return None
        self.probe_status.value = theme.status_html("Counting neighbours…", "busy")
        counts = run_guarded(
            lambda: probe_availability(self.query.value, self.similarity.value),
            self.probe_status,
            "the availability probe",
        )
        if counts is None:
            return None
        self.probe_status.value = ""
        self.availability.value = self._availability_html(counts, self.similarity.value)
        return counts

    def run(self) -> Any:
        """Analyse the query with the chosen options, showing each step; returns the Report
        (None when it failed: the reason is under the button)."""
        from impulator.pipeline import analyze

        if not self.check().valid:
            return None
        text = self.query.value.strip()
        self._busy(True)
        self.report, self.compound_id = None, None
        self.result.layout.display = "none"
        self.run_status.value = theme.status_html(f"Analysing {text}…", "busy")

        def step(done: int, total: int, name: str) -> None:
            self.progress.max = max(int(total), 1)
            self.progress.value = min(int(done), self.progress.max)
            self.step.value = theme.status_html(f"step {done + 1} of {total}: {name}", "busy")

        try:
            report = run_guarded(
                lambda: analyze(text, progress=step, options=self.options()),
                self.run_status,
                f"the analysis of {text!r}",
            )
        finally:
            self._busy(False)
        if report is None:
            return None
        self.progress.value = self.progress.max
        self.step.value = ""
        seconds = report.summary.get("seconds")
        took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
        self.run_status.value = theme.status_html(f"Analysed {text}{took}.", "ok")
        self.report = report
        self._show_result(report)
        return report

    def save(self) -> int | None:
        """Store the shown result (duplicate handling as chosen); returns the compound id."""
        if self.report is None:
            self.save_status.value = theme.status_html("Run an analysis first.", "error")
            return None
        self.save_button.disabled = True
        self.save_status.value = theme.status_html("Saving…", "busy")
        name, duplicates = self.name.value.strip() or None, str(self.duplicates.value)
        report = self.report
        try:
            saved = run_guarded(
                lambda: store.save_report(report, name, duplicates, url=self.url),
                self.save_status,
                "saving the analysis",
            )
        finally:
            self.save_button.disabled = False
        if saved is None:
            return None
        said = {
            "inserted": "Saved",
            "replaced": "Replaced the stored compound:",
            "skipped": "Already stored with the same settings:",
        }[saved.action]
        self.compound_id = saved.compound_id
        self.save_status.value = theme.status_html(f"{said} compound {saved.compound_id}.", "ok")
        self.link.value = (
            f'<a class="impulator-analyze-compound-link" href="Compound.ipynb?id='
            f'{saved.compound_id}">Open compound {saved.compound_id} →</a>'
        )
        return saved.compound_id

    # -- rendering -------------------------------------------------------------------------

    def _show_result(self, report: Any) -> None:
        s = report.summary
        model = MODELS.get(report.model)
        self.result.layout.display = None
        self.link.value = ""
        self.save_status.value = ""
        self.name.value = pipeline.default_name(report)
        best = pipeline.best_class(report.rows)
        facts = [
            ("Neighbours", s.get("neighbours", 0)),
            ("Compounds with activities", s.get("compounds_with_activities", 0)),
            ("Scored rows", s.get("rows", 0)),
            ("Activities kept", f"{s.get('activities_kept', 0)} of {s.get('activities_in', 0)}"),
            ("IMP candidates", s.get("imp_candidate_compounds", 0)),
            ("Best score", theme.format_value(s.get("best_score"))),
        ]
        items = "".join(
            f"<li><b>{html.escape(k)}:</b> {html.escape(theme.format_value(v))}</li>"
            for k, v in facts
        )
        means = f"<p>{html.escape(model.high_means)}</p>" if model else ""
        source = html.escape(str(report.provenance.get("bioactivity_source", "")))
        self.summary.value = (
            f"<div>{theme.badge(best)} <b>{html.escape(report.query)}</b> "
            f"<span class='impulator-analyze-muted'>({source}, "
            f"{html.escape(report.model)})</span></div><ul>{items}</ul>{means}"
        )
        if report.rows.empty:
            counts = report.availability
            self.rows.value = theme.status_html(
                "No neighbour reaches this similarity: lower the threshold (counts below).",
                "info",
            ) + (
                self._availability_html(counts, report.summary.get("similarity_threshold", 0))
                if counts
                else ""
            )
            self.save_box.layout.display = "none"
            return
        self.save_box.layout.display = None if self.writable else "none"
        self.rows.value = theme.html_table(
            best_rows(report.rows),
            [
                ("molecule_chembl_id", "ChEMBL id"),
                ("pref_name", "Name"),
                ("standard_type", "Type"),
                ("pactivity", "pActivity"),
                ("target_pref_name", "Target"),
                ("similarity", "Similarity"),
                ("sei", "SEI"),
                ("bei", "BEI"),
                ("final_score", "Score"),
                ("classification", "Class", lambda r: theme.badge(r["classification"])),
            ],
        )

    @staticmethod
    def _availability_html(counts: dict[float, int], chosen: float) -> str:
        frame = pd.DataFrame(
            [
                {
                    "threshold": f"{t:.2f}" + (" (chosen)" if abs(t - chosen) < 1e-6 else ""),
                    "neighbours": n,
                }
                for t, n in counts.items()
            ]
        )
        return theme.html_table(
            frame,
            [("threshold", "Similarity ≥"), ("neighbours", "Neighbours")],
            css="impulator-analyze-availability-table",
        )

    # -- plumbing --------------------------------------------------------------------------

    def _busy(self, on: bool) -> None:
        for control in (self.run_button, self.probe_button, self.query):
            control.disabled = on
        self.progress.layout.display = None if on else "none"
        if on:
            self.progress.value = 0

    def _on_typed(self) -> None:
        self.check()
        self.availability.value = ""


def show_analyze(url: str | None = None) -> Any:
    """The Analyze page as one widget: query with live check and 2D preview, options, the
    availability probe, the analysis with live progress, its result and Save.

    ``url`` is the results database (default: ``IMPULATOR_DATABASE_URL``, else SQLite).
    A viewer sees no Save button.

    Example:
        >>> import os, tempfile
        >>> page = show_analyze("sqlite:///" + os.path.join(tempfile.mkdtemp(), "a.sqlite"))
        >>> "impulator-page-analyze" in page._dom_classes
        True
    """
    return AnalyzePage(url).widget
