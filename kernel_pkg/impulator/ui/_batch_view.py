"""The widgets of the Batch page and their layout (what they do is in ``_batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from impulator.pipeline import MAX_SIMILARITY, MIN_SIMILARITY, AnalyzeOptions
from impulator.ui import _theme as theme
from impulator.ui._pagekit import title

__all__ = ["BATCH_CSS", "NO_NAME", "BatchView"]

#: The name-column dropdown's "no column" (and the query dropdown's "detect") value.
NO_NAME = ""

#: Styles of this page only.
BATCH_CSS = f"""
.impulator-batch-box {{ border: 1px solid {theme.COLOURS["border"]}; border-radius: 8px;
  padding: 8px 12px; gap: 6px; }}
.impulator-batch-row {{ gap: 8px; align-items: center; flex-wrap: wrap; }}
.impulator-batch-preview {{ max-width: 1200px; overflow-x: auto; }}
.impulator-batch-report {{ max-height: 320px; overflow-y: auto; }}
.impulator-batch-counts {{ font-weight: 600; margin: 4px 0; }}
"""


def _classed(widget: Any, *classes: str) -> Any:
    for css in classes:
        widget.add_class(css)
    return widget


class BatchView:
    """Every widget of the Batch page (``widget`` is the page); no behaviour."""

    def __init__(self, models: Sequence[tuple[str, str]], default_model: str) -> None:
        w = theme.widgets()
        p = "impulator-batch-"
        wide = {"description_width": "130px"}
        self.upload = _classed(
            w.FileUpload(
                accept=".csv,.tsv,.txt,.sdf,.sd,.mol",
                multiple=False,
                description="Upload CSV or SDF",
            ),
            p + "upload",
        )
        self.upload.layout.width = "220px"
        self.file_status = _classed(w.HTML(), p + "file-status")
        self.column = _classed(
            w.Dropdown(
                description="Compounds in",
                options=[("detect automatically", NO_NAME)],
                style=wide,
                layout=w.Layout(width="420px"),
            ),
            p + "column",
        )
        self.name_column = _classed(
            w.Dropdown(
                description="Names in",
                options=[("none", NO_NAME)],
                style=wide,
                layout=w.Layout(width="420px"),
            ),
            p + "name-column",
        )
        self.detected = _classed(w.HTML(), p + "detected")
        self.preview = _classed(w.HTML(), p + "preview")
        self.report = _classed(w.HTML(), p + "report")
        self.similarity = _classed(
            w.FloatSlider(
                value=AnalyzeOptions.similarity,
                min=MIN_SIMILARITY,
                max=MAX_SIMILARITY,
                step=0.05,
                readout_format=".2f",
                description="Similarity ≥",
                style=wide,
                layout=w.Layout(width="420px"),
            ),
            p + "similarity",
        )
        self.model = _classed(
            w.Dropdown(
                options=list(models),
                value=default_model,
                description="Scoring model",
                style=wide,
                layout=w.Layout(width="420px"),
            ),
            p + "model",
        )
        self.pdb = _classed(
            w.Checkbox(value=True, description="Use PDB evidence", indent=False), p + "pdb"
        )
        self.duplicates = _classed(
            w.RadioButtons(
                options=[
                    ("skip: keep the stored compound", "skip"),
                    ("replace the stored compound", "replace"),
                    ("keep both", "keep"),
                ],
                value="skip",
                description="Stored before",
                style=wide,
            ),
            p + "duplicates",
        )
        self.submit_button = _classed(
            w.Button(
                description="Submit batch",
                button_style="primary",
                icon="upload",
                disabled=True,
                tooltip="Queue the valid rows as a job that runs on the server",
            ),
            p + "submit",
        )
        self.submit_status = _classed(w.HTML(), p + "submit-status")
        self.progress = _classed(
            w.IntProgress(
                value=0,
                min=0,
                max=1,
                layout=w.Layout(width="320px", visibility="hidden"),
            ),
            p + "progress",
        )
        self.job_status = _classed(w.HTML(), p + "job-status")
        self.link = _classed(w.HTML(), p + "link")
        self.jobs = _classed(w.HTML(), p + "jobs")
        self.refresh_button = _classed(
            w.Button(description="Refresh", icon="refresh"), p + "refresh"
        )
        self.readonly_note = _classed(
            w.HTML(
                theme.status_html(
                    "Read-only access (viewer): you can check a file but not submit it.", "info"
                ),
                layout=w.Layout(display="none"),
            ),
            p + "readonly",
        )

        self.mapping = _classed(
            w.VBox(
                [
                    title("Columns"),
                    w.HBox([self.column, self.name_column]),
                    self.detected,
                    title("First rows"),
                    self.preview,
                ],
                layout=w.Layout(display="none"),
            ),
            p + "box",
            p + "mapping",
        )
        self.submit_box = _classed(
            w.VBox(
                [
                    title("Options"),
                    w.HBox([w.VBox([self.similarity, self.model, self.pdb]), self.duplicates]),
                    _classed(w.HBox([self.submit_button, self.submit_status]), p + "row"),
                ]
            ),
            p + "box",
            p + "submit-box",
        )
        self.widget = theme.page_frame(
            "Batch",
            w.HTML(f"<style>{BATCH_CSS}</style>"),
            _classed(w.HBox([self.upload, self.file_status]), p + "row"),
            self.mapping,
            title("Validation report"),
            self.report,
            self.submit_box,
            self.readonly_note,
            _classed(w.HBox([self.progress, self.job_status, self.link]), p + "row"),
            _classed(w.HBox([title("My recent batches"), self.refresh_button]), p + "row"),
            self.jobs,
        )
