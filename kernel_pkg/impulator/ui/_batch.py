"""The Batch page: upload a CSV or SDF, map its columns, read the validation report, submit a
durable job and follow it (it goes on when the page is closed: my recent batches are listed
with their progress when the page is opened again).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from impulator import jobs
from impulator.batch import BatchInput, Upload, read_batch, read_upload
from impulator.config import get_settings
from impulator.pipeline import AnalyzeOptions
from impulator.science import DEFAULT_MODEL, MODELS
from impulator.store import JobState
from impulator.ui import _theme as theme
from impulator.ui._batch_view import NO_NAME, BatchView
from impulator.ui._home import RUNNING_STATUSES
from impulator.ui._jobs import job_states, job_table_html
from impulator.ui._pagekit import Poller, can_write, guarded, run_guarded

__all__ = ["BatchPage", "show_batch", "size_words"]


def size_words(count: int) -> str:
    """A number of bytes in words.

    Example:
        >>> size_words(2_000), size_words(50_000_000)
        ('2,000 bytes', '50.0 MB')
    """
    return f"{count:,} bytes" if count < 100_000 else f"{count / 1e6:,.1f} MB"


class BatchPage(BatchView):
    """The Batch page: its widgets (see :class:`BatchView`) and what they do.

    ``load`` takes a file's bytes (the upload widget calls it), ``validate`` reads it with
    the chosen columns, ``submit`` queues the job and ``tick`` is one live update. Tests call
    them directly; none of them raises.
    """

    def __init__(self, url: str | None = None, *, interval: float = 1.5) -> None:
        models = [(f"{m.title} ({m.id})", m.id) for m in MODELS.values()]
        super().__init__(models, DEFAULT_MODEL)
        self.url = url
        self.data: bytes | None = None
        self.filename = ""
        self.batch: BatchInput | None = None
        self.job: jobs.Job | None = None
        self.poller = Poller(self.tick, interval)
        self.writable = can_write(url)
        if not self.writable:
            self.submit_box.layout.display = "none"
            self.readonly_note.layout.display = None
        self._mapping = False  # the dropdowns are being filled: no validation meanwhile
        self.upload.observe(
            guarded(self._on_upload, self.file_status, "reading an upload"), names="value"
        )
        self.column.observe(guarded(self._on_mapping, self.report, "validating"), names="value")
        self.name_column.observe(
            guarded(self._on_mapping, self.report, "validating"), names="value"
        )
        self.submit_button.on_click(guarded(self.submit, self.submit_status, "submitting a batch"))
        self.refresh_button.on_click(guarded(self.refresh_jobs, self.jobs, "reading the jobs"))
        self.refresh_jobs()

    # -- reading the file ------------------------------------------------------------------

    def load(self, data: bytes, filename: str) -> BatchInput | None:
        """Take an uploaded file: check its size, preview it, detect its columns, validate."""
        self.data, self.filename, self.batch = None, filename, None
        self.submit_button.disabled = True
        self.report.value = ""
        limit = get_settings().batch_max_bytes
        if len(data) > limit:
            self.file_status.value = theme.status_html(
                f"{filename} is {size_words(len(data))}; a batch file may be at most "
                f"{size_words(limit)}. Split it into smaller files and submit each.",
                "error",
            )
            return None
        upload = run_guarded(
            lambda: read_upload(filename, data), self.file_status, f"reading {filename}"
        )
        if upload is None:
            return None
        self.data = data
        self.file_status.value = theme.status_html(
            f"{filename}: {size_words(len(data))}, {'SD file' if upload.sdf else 'table'}.",
            "ok",
        )
        preview = upload.preview()
        self.preview.value = theme.html_table(
            preview, [(c, c) for c in preview.columns], empty="No rows."
        )
        self._fill_mapping(upload)
        return self.validate()

    def validate(self) -> BatchInput | None:
        """Read the file with the chosen columns; show which rows are invalid and why."""
        if self.data is None:
            return None
        self.batch = None
        self.submit_button.disabled = True
        self.report.value = theme.status_html("Validating every row…", "busy")
        data, (column, name_column) = self.data, self._columns()
        batch = run_guarded(
            lambda: read_batch(
                data, filename=self.filename, column=column, name_column=name_column
            ),
            self.report,
            f"validating {self.filename}",
        )
        if batch is None:
            return None
        self.batch = batch
        self._set_mapping(batch.columns)
        valid, invalid = len(batch.rows), len(batch.errors)
        kind = "ok" if not invalid else "info"
        counts = theme.status_html(
            f"{batch.total} rows: {valid} valid, {invalid} invalid"
            + (" (they will not be scored; the valid rows will)." if invalid and valid else "."),
            kind if valid else "error",
        )
        errors = pd.DataFrame(
            [{"row": e.row, "input": e.input, "reason": e.reason} for e in batch.errors],
            columns=["row", "input", "reason"],
        )
        table = theme.html_table(
            errors,
            [("row", "Row"), ("input", "Input"), ("reason", "Why it is invalid")],
            empty="Every row is valid.",
            css="impulator-batch-errors-table",
        )
        self.report.value = f"<div class='impulator-batch-counts'>{counts}</div>{table}"
        self.submit_button.disabled = not valid
        return batch

    # -- submitting and following ------------------------------------------------------------

    def submit(self) -> jobs.Job | None:
        """Queue the validated file as a durable job with the chosen options; follow it."""
        if self.data is None or self.batch is None or not self.batch.rows:
            self.submit_status.value = theme.status_html(
                "Upload a file with valid rows first.", "error"
            )
            return None
        self.submit_button.disabled = True
        self.submit_status.value = theme.status_html(
            f"Submitting {len(self.batch.rows)} compounds…", "busy"
        )
        data, source = self.data, self.batch.source

        def queue() -> jobs.Job:
            with tempfile.TemporaryDirectory(prefix="impulator-upload-") as folder:
                # The job keeps the file's name: its last part only (read_batch's source).
                path = Path(folder) / source
                path.write_bytes(data)
                column, name_column = self._columns()
                return jobs.submit(
                    path,
                    column=column,
                    name_column=name_column,
                    on_duplicate=str(self.duplicates.value),
                    url=self.url,
                    options=AnalyzeOptions(
                        similarity=round(float(self.similarity.value), 2),
                        model=str(self.model.value),
                        pdb=bool(self.pdb.value),
                    ),
                )

        job = run_guarded(queue, self.submit_status, f"submitting {self.filename}")
        if job is None:
            self.submit_button.disabled = False
            return None
        self.job = job
        self.submit_status.value = theme.status_html(
            f"Submitted as job {job.id}: it runs on the server, you may leave this page and "
            "come back (or follow it on the Jobs page).",
            "ok",
        )
        self.tick()
        self.poller.start()
        return job

    def tick(self) -> bool:
        """One live update: the followed job's progress and my recent batches; returns
        whether to go on (a job is still queued or processing)."""
        running = self.refresh_jobs()
        if self.job is not None:
            state = run_guarded(self.job.status, self.job_status, f"following job {self.job.id}")
            if state is None:
                return running
            done = state.stored + state.failed + state.invalid + state.cancelled
            self.progress.max = max(state.total, 1)
            self.progress.value = min(done, self.progress.max)
            self.progress.layout.visibility = "visible"
            step = state.current_step or state.status
            kind = {JobState.COMPLETED: "ok", JobState.FAILED: "error"}.get(state.status, "busy")
            self.job_status.value = theme.status_html(
                f"Job {state.id} {state.status}: {done}/{state.total} rows done ({step}); "
                f"{state.stored} stored, {state.failed} failed, {state.invalid} invalid.",
                kind,
            )
            if state.done:
                self.link.value = '<a href="Jobs.ipynb">See it on the Jobs page →</a>'
            running = running or not state.done
        return running

    def refresh_jobs(self) -> bool:
        """Show my recent batches; returns whether any is still queued or processing (and
        keeps the live update going while so)."""
        states = run_guarded(lambda: job_states(self.url, limit=10), self.jobs, "reading the jobs")
        if states is None:
            return False
        self.jobs.value = job_table_html(states, empty="No batch jobs yet.")
        running = bool(states["status"].isin(RUNNING_STATUSES).any())
        if running:
            self.poller.start()
        return running

    # -- plumbing ----------------------------------------------------------------------------

    def _on_upload(self) -> None:
        files = list(self.upload.value or ())
        if not files:
            return
        chosen = files[-1]
        name, size = str(chosen.get("name", "upload")), int(chosen.get("size", 0) or 0)
        limit = get_settings().batch_max_bytes
        if size > limit:  # said before the content is touched
            self.file_status.value = theme.status_html(
                f"{name} is {size_words(size)}; a batch file may be at most "
                f"{size_words(limit)}. Split it into smaller files and submit each.",
                "error",
            )
            return
        self.load(bytes(chosen["content"]), name)

    def _fill_mapping(self, upload: Upload) -> None:
        self._mapping = True
        try:
            if upload.sdf:
                self.column.options = [("the structures (molfile records)", "")] + [
                    (c, c) for c in upload.columns
                ]
                self.name_column.options = [("record title", NO_NAME)] + [
                    (c, c) for c in upload.columns
                ]
            else:
                self.column.options = [("detect automatically", "")] + [
                    (c, c) for c in upload.columns
                ]
                self.name_column.options = [("none", NO_NAME)] + [(c, c) for c in upload.columns]
            self.column.value, self.name_column.value = "", NO_NAME
            self.mapping.layout.display = None
        finally:
            self._mapping = False

    def _set_mapping(self, roles: dict[str, str]) -> None:
        """Show the columns read_batch used (the auto-detected ones included)."""
        self._mapping = True
        try:
            query, name = roles.get("query", ""), roles.get("name", NO_NAME)
            if query in [o[1] for o in self.column.options]:
                self.column.value = query
            if name in [o[1] for o in self.name_column.options]:
                self.name_column.value = name
            detected = ", ".join(f"{role} from {col}" for role, col in roles.items())
            self.detected.value = theme.status_html(f"Reading {detected}.", "info")
        finally:
            self._mapping = False

    def _columns(self) -> tuple[str | None, str | None]:
        """``column`` and ``name_column`` for read_batch ("" in a dropdown: its default)."""
        return str(self.column.value or "") or None, str(self.name_column.value or "") or None

    def _on_mapping(self) -> None:
        if not self._mapping:
            self.validate()


def show_batch(url: str | None = None) -> Any:
    """The Batch page as one widget: upload, column mapping with a preview, the validation
    report, options and duplicate handling, submit as a durable job, live progress, and my
    recent batches. A viewer sees no Submit button.

    Example:
        >>> import os, tempfile
        >>> page = show_batch("sqlite:///" + os.path.join(tempfile.mkdtemp(), "b.sqlite"))
        >>> "impulator-page-batch" in page._dom_classes
        True
    """
    return BatchPage(url).widget
