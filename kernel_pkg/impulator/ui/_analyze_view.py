"""The widgets of the Analyze page and their layout (what they do is in ``_analyze``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from impulator.pipeline import MAX_SIMILARITY, MIN_SIMILARITY, AnalyzeOptions
from impulator.ui import _theme as theme
from impulator.ui._pagekit import title

__all__ = ["ANALYZE_CSS", "AnalyzeView"]

#: Styles of this page only.
ANALYZE_CSS = f"""
.impulator-analyze-preview {{ border: 1px solid {theme.COLOURS["border"]}; border-radius: 8px;
  background: white; min-width: 320px; min-height: 220px; }}
.impulator-analyze-validation {{ min-height: 1.4em; max-width: 640px; }}
.impulator-analyze-muted {{ color: {theme.COLOURS["muted"]}; }}
.impulator-analyze-box {{ border: 1px solid {theme.COLOURS["border"]}; border-radius: 8px;
  padding: 8px 12px; gap: 6px; }}
.impulator-analyze-compound-link {{ font-weight: 600; color: {theme.COLOURS["primary"]}; }}
.impulator-analyze-summary ul {{ margin: 4px 0; padding-left: 20px; columns: 2; }}
.impulator-analyze-availability table {{ width: auto; }}
.impulator-analyze-top {{ gap: 12px; flex-wrap: wrap; }}
.impulator-analyze-run-box {{ gap: 8px; align-items: center; }}
"""


def _classed(widget: Any, *classes: str) -> Any:
    for css in classes:
        widget.add_class(css)
    return widget


class AnalyzeView:
    """Every widget of the Analyze page (``widget`` is the page); no behaviour."""

    def __init__(
        self,
        models: Sequence[tuple[str, str]],
        default_model: str,
        activity_types: Sequence[str],
        duplicates: Sequence[tuple[str, str]],
    ) -> None:
        w = theme.widgets()
        p = "impulator-analyze-"
        self.query = _classed(
            w.Text(
                placeholder=(
                    "SMILES, InChI, InChIKey, ChEMBL id or name (e.g. CHEMBL1421, dasatinib)"
                ),
                continuous_update=True,
                layout=w.Layout(width="560px"),
            ),
            p + "query",
        )
        self.validation = _classed(w.HTML(), p + "validation")
        self.preview = _classed(w.HTML(layout=w.Layout(display="none")), p + "preview")
        self.similarity = _classed(
            w.FloatSlider(
                value=AnalyzeOptions.similarity,
                min=MIN_SIMILARITY,
                max=MAX_SIMILARITY,
                step=0.05,
                readout_format=".2f",
                description="Similarity ≥",
                style={"description_width": "110px"},
                layout=w.Layout(width="420px"),
            ),
            p + "similarity",
        )
        self.activity_types = _classed(
            w.SelectMultiple(
                options=list(activity_types),
                value=list(activity_types),
                rows=len(activity_types),
                description="Activity types",
                style={"description_width": "110px"},
                tooltip="Ctrl-click or Shift-click to choose several",
                layout=w.Layout(width="320px"),
            ),
            p + "activity-types",
        )
        self.model = _classed(
            w.Dropdown(
                options=list(models),
                value=default_model,
                description="Scoring model",
                style={"description_width": "110px"},
                layout=w.Layout(width="420px"),
            ),
            p + "model",
        )
        self.pdb = _classed(
            w.Checkbox(
                value=True,
                description="Use PDB evidence",
                indent=False,
            ),
            p + "pdb",
        )
        self.probe_button = _classed(
            w.Button(
                description="Check availability",
                icon="search",
                disabled=True,
                tooltip="How many neighbours each similarity threshold gives (nothing is scored)",
            ),
            p + "probe",
        )
        self.probe_status = _classed(w.HTML(), p + "probe-status")
        self.availability = _classed(w.HTML(), p + "availability")
        self.run_button = _classed(
            w.Button(
                description="Analyze",
                button_style="primary",
                icon="play",
                disabled=True,
                tooltip="Score the compound's ChEMBL neighbourhood",
            ),
            p + "run",
        )
        self.progress = _classed(
            w.IntProgress(
                value=0,
                min=0,
                max=6,
                layout=w.Layout(width="240px", display="none"),
            ),
            p + "progress",
        )
        self.step = _classed(w.HTML(), p + "step")
        self.run_status = _classed(w.HTML(), p + "run-status")
        self.summary = _classed(w.HTML(), p + "summary")
        self.rows = _classed(w.HTML(), p + "rows")
        self.name = _classed(w.Text(description="Name", layout=w.Layout(width="360px")), p + "name")
        self.duplicates = _classed(
            w.Dropdown(
                options=list(duplicates),
                value=duplicates[0][1],
                description="If stored before",
                style={"description_width": "110px"},
                layout=w.Layout(width="380px"),
            ),
            p + "duplicates",
        )
        self.save_button = _classed(
            w.Button(
                description="Save",
                button_style="success",
                icon="save",
                tooltip="Store this result in the results database",
            ),
            p + "save",
        )
        self.save_status = _classed(w.HTML(), p + "save-status")
        self.link = _classed(w.HTML(), p + "link")
        self.readonly_note = _classed(
            w.HTML(
                theme.status_html(
                    "Read-only access (viewer): you can analyse but not save.", "info"
                ),
                layout=w.Layout(display="none"),
            ),
            p + "readonly",
        )

        self.save_box = _classed(
            w.VBox(
                [
                    w.HBox([self.name, self.duplicates]),
                    w.HBox([self.save_button, self.save_status, self.link]),
                ]
            ),
            p + "save-box",
        )
        self.result = _classed(
            w.VBox(
                [
                    title("Result"),
                    self.summary,
                    title("Best rows"),
                    self.rows,
                    self.save_box,
                ],
                layout=w.Layout(display="none"),
            ),
            p + "result",
        )
        query_box = _classed(
            w.VBox(
                [
                    title("Compound"),
                    self.query,
                    self.validation,
                    self.preview,
                ]
            ),
            p + "box",
            p + "query-box",
        )
        options_box = _classed(
            w.VBox(
                [
                    title("Options"),
                    self.similarity,
                    self.model,
                    self.activity_types,
                    self.pdb,
                    w.HBox([self.probe_button, self.probe_status]),
                    self.availability,
                ]
            ),
            p + "box",
            p + "options",
        )
        run_box = _classed(
            w.HBox([self.run_button, self.progress, self.step, self.run_status]), p + "run-box"
        )
        self.widget = theme.page_frame(
            "Analyze",
            w.HTML(f"<style>{ANALYZE_CSS}</style>"),
            _classed(w.HBox([query_box, options_box]), p + "top"),
            run_box,
            self.readonly_note,
            self.result,
        )
