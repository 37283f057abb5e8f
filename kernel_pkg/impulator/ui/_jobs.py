"""The Jobs page: all my batches, live progress while any runs, cancel, retry, per-row errors.

``job_states`` is the table behind it (and behind the Batch page's "my recent batches"):
one row per job with its counts, read as the calling user (row-level security decides whose
jobs those are).
"""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from impulator import jobs
from impulator._errors import JobNotFound
from impulator.store import JobState
from impulator.ui import _theme as theme
from impulator.ui._home import RUNNING_STATUSES
from impulator.ui._pagekit import Poller, can_write, guarded, run_guarded, title

__all__ = [
    "JOB_STATE_COLUMNS",
    "JobsPage",
    "job_states",
    "job_table_html",
    "show_jobs",
]


#: Columns of :func:`job_states`.
JOB_STATE_COLUMNS: tuple[str, ...] = (
    "id",
    "source",
    "status",
    "done",
    "total",
    "stored",
    "failed",
    "invalid",
    "cancelled",
    "progress",
    "current_step",
    "created_at",
    "error_message",
)

JOBS_CSS = f"""
.impulator-jobs-actions {{ gap: 8px; align-items: center; flex-wrap: wrap; }}
.impulator-jobs-confirm {{ gap: 8px; align-items: center; border: 1px solid
  {theme.COLOURS["warning"]}; border-radius: 6px; padding: 4px 8px; }}
.impulator-jobs-bar {{ gap: 8px; align-items: center; }}
"""


def job_states(url: str | None = None, limit: int = 50) -> pd.DataFrame:
    """My batch jobs, newest first, with how many rows are done, stored, failed, invalid.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> from impulator import jobs
        >>> job = jobs.submit(["CCO", "C1CC"], url=url)
        >>> job_states(url)[["status", "done", "total", "invalid"]].values.tolist()
        [['queued', 1, 2, 1]]
    """
    listed = jobs.list_jobs(limit=limit, url=url)
    records = []
    for job in listed.to_dict("records"):
        record = {c: job.get(c) for c in JOB_STATE_COLUMNS}
        record.update(
            done=0, total=int(job["total"] or 0), stored=0, failed=0, invalid=0, cancelled=0
        )
        try:
            s = jobs.Job(int(job["id"]), url).status()
        except JobNotFound:  # deleted between the two reads
            pass
        else:
            record.update(
                status=s.status.value,
                progress=s.progress,
                current_step=s.current_step,
                done=s.stored + s.failed + s.invalid + s.cancelled,
                total=s.total,
                stored=s.stored,
                failed=s.failed,
                invalid=s.invalid,
                cancelled=s.cancelled,
            )
        records.append(record)
    frame = pd.DataFrame(records, columns=list(JOB_STATE_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _progress(record: Any) -> str:
    if record["status"] in RUNNING_STATUSES:
        return theme.progress_html(int(record["done"]), int(record["total"]))
    return html.escape(f"{record['done']}/{record['total']}")


#: How each ended state is shown (a running one as busy).
_KINDS: dict[str, str] = {
    JobState.COMPLETED: "ok",
    JobState.FAILED: "error",
    JobState.CANCELLED: "info",
}


def _status(record: Any) -> str:
    kind = _KINDS.get(str(record["status"]), "busy")
    return theme.status_html(str(record["status"]), kind)


def job_table_html(frame: pd.DataFrame, empty: str = "No batch jobs yet.") -> str:
    """The jobs of :func:`job_states` as an HTML table (escaped)."""
    return theme.html_table(
        frame,
        [
            ("id", "Job"),
            ("source", "Input"),
            ("status", "Status", _status),
            ("done", "Progress", _progress),
            ("current_step", "Step"),
            ("stored", "Stored"),
            ("failed", "Failed"),
            ("invalid", "Invalid"),
            ("created_at", "Created"),
        ],
        empty=empty,
        css="impulator-jobs-table",
    )


class JobsPage:
    """The widgets of the Jobs page and what they do (``widget`` is the page).

    ``refresh``, ``cancel``, ``retry`` and ``show_errors`` are what the controls call; tests
    call them (and ``tick``, one step of the live update) directly. None of them raises.
    """

    def __init__(self, url: str | None = None, *, limit: int = 50, interval: float = 1.5) -> None:
        w = theme.widgets()
        self.url = url
        self.limit = limit
        self.states = pd.DataFrame(columns=list(JOB_STATE_COLUMNS))
        self.poller = Poller(self.tick, interval)
        # The live update and a button may refresh at once: one at a time, so an older read
        # never replaces a newer one.
        self._refreshing = threading.Lock()
        self.writable = can_write(url)

        def classed(widget: Any, css: str) -> Any:
            widget.add_class(f"impulator-jobs-{css}")
            return widget

        self.table = classed(w.HTML(), "list")
        self.error = classed(w.HTML(), "error")
        self.updated = classed(w.HTML(), "updated")
        self.refresh_button = classed(w.Button(description="Refresh", icon="refresh"), "refresh")
        self.select = classed(
            w.Dropdown(description="Job", options=[], layout=w.Layout(width="460px")), "select"
        )
        self.cancel_button = classed(
            w.Button(description="Cancel job…", icon="stop", button_style="warning"), "cancel"
        )
        self.confirm_yes = classed(
            w.Button(description="Yes, cancel it", button_style="danger"), "confirm-yes"
        )
        self.confirm_no = classed(w.Button(description="No, keep it"), "confirm-no")
        self.confirm_text = w.HTML()
        self.confirm = classed(
            w.HBox(
                [self.confirm_text, self.confirm_yes, self.confirm_no],
                layout=w.Layout(display="none"),
            ),
            "confirm",
        )
        self.retry_button = classed(w.Button(description="Retry failed", icon="redo"), "retry")
        self.action_status = classed(w.HTML(), "action-status")
        self.detail = classed(w.HTML(), "detail")
        self.errors = classed(w.HTML(), "errors")
        if not self.writable:
            self.cancel_button.layout.display = "none"
            self.retry_button.layout.display = "none"

        self.refresh_button.on_click(guarded(self.refresh, self.error, "reading the jobs"))
        self.select.observe(
            guarded(self.show_errors, self.errors, "reading a job's errors"), names="value"
        )
        self.cancel_button.on_click(guarded(self.ask_cancel, self.action_status, "cancelling"))
        self.confirm_yes.on_click(guarded(self.cancel, self.action_status, "cancelling a job"))
        self.confirm_no.on_click(guarded(self._hide_confirm, self.action_status, "cancelling"))
        self.retry_button.on_click(guarded(self.retry, self.action_status, "retrying a job"))
        actions = classed(
            w.HBox([self.select, self.cancel_button, self.retry_button, self.action_status]),
            "actions",
        )
        self.widget = theme.page_frame(
            "Jobs",
            w.HTML(f"<style>{JOBS_CSS}</style>"),
            classed(w.HBox([title("My batch jobs"), self.refresh_button, self.updated]), "bar"),
            self.error,
            self.table,
            title("Selected job"),
            actions,
            self.confirm,
            self.detail,
            title("Rows not stored"),
            self.errors,
        )
        self.refresh()

    # -- reading ---------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Read the jobs again; returns whether any is still queued or processing (and keeps
        the live update going while so)."""
        with self._refreshing:
            running = self._refresh()
        if running:
            self.poller.start()
        return running

    def _refresh(self) -> bool:
        states = run_guarded(
            lambda: job_states(self.url, self.limit), self.error, "reading the jobs"
        )
        if states is None:
            return False
        self.error.value = ""
        self.states = states
        self.table.value = job_table_html(states)
        self.updated.value = theme.status_html(
            f"updated {datetime.now(UTC).strftime('%H:%M:%S')} UTC", "info"
        )
        options = [(self._label(r), int(r["id"])) for r in states.to_dict("records")]
        chosen = self.select.value
        if options != [tuple(o) for o in self.select.options]:
            self.select.options = options
            self.select.value = (
                chosen
                if chosen in [o[1] for o in options]
                else (options[0][1] if options else None)
            )
        self._show_detail()
        return bool(states["status"].isin(RUNNING_STATUSES).any())

    def tick(self) -> bool:
        """One live update (the poller calls it): refresh, and go on while a job runs."""
        running = self.refresh()
        if not running:  # the errors table may have changed with the last rows
            self.show_errors()
        return running

    def show_errors(self) -> pd.DataFrame | None:
        """The rows of the selected job that were not stored, with row numbers and reasons."""
        job_id = self.select.value
        self._hide_confirm()
        self._show_detail()
        if job_id is None:
            self.errors.value = theme.status_html("No job selected.", "info")
            return None
        errors = run_guarded(
            jobs.Job(int(job_id), self.url).errors,
            self.errors,
            f"reading the errors of job {job_id}",
        )
        if errors is None:
            return None
        self.errors.value = theme.html_table(
            errors,
            [("row", "Row"), ("input", "Input"), ("reason", "Why"), ("stage", "Stage")],
            empty="Every row was stored (or is still being scored).",
            css="impulator-jobs-errors-table",
        )
        return errors

    # -- actions ---------------------------------------------------------------------------

    def ask_cancel(self) -> None:
        """Ask for confirmation before cancelling the selected job."""
        if self.select.value is None:
            return
        self.confirm_text.value = html.escape(
            f"Cancel job {self.select.value}? Compounds stored so far are kept."
        )
        self.confirm.layout.display = None

    def cancel(self) -> bool:
        """Cancel the selected job (after confirmation); returns whether it was done."""
        job_id = self.select.value
        self._hide_confirm()
        if job_id is None:
            return False
        job = jobs.Job(int(job_id), self.url)
        if run_guarded(job.cancel, self.action_status, "cancelling a job") is None:
            return False
        self.action_status.value = theme.status_html(f"Job {job_id} cancelled.", "ok")
        self.refresh()
        return True

    def retry(self) -> int:
        """Queue the failed and cancelled rows of the selected job again; returns how many."""
        job_id = self.select.value
        if job_id is None:
            return 0
        again = run_guarded(
            jobs.Job(int(job_id), self.url).retry_failed, self.action_status, "retrying a job"
        )
        if again is None:
            return 0
        said = (
            f"{again} row(s) of job {job_id} queued again."
            if again
            else (f"Job {job_id} has no failed or cancelled row to retry.")
        )
        self.action_status.value = theme.status_html(said, "ok" if again else "info")
        self.refresh()
        return again

    # -- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _label(record: dict[Any, Any]) -> str:
        return f"#{record['id']} {record['source'] or ''} ({record['status']})"

    def _selected(self) -> dict[str, Any] | None:
        found = self.states[self.states["id"] == self.select.value]
        return None if found.empty else dict(found.iloc[0])

    def _show_detail(self) -> None:
        record = self._selected()
        if record is None:
            self.detail.value = ""
            return
        running = record["status"] in RUNNING_STATUSES
        step = html.escape(str(record["current_step"] or ""))
        problem = (
            theme.status_html(str(record["error_message"]), "error")
            if (record["error_message"])
            else ""
        )
        self.detail.value = (
            f"{_status(record)} {theme.progress_html(int(record['done']), int(record['total']))}"
            f" {step} · {record['stored']} stored, {record['failed']} failed, "
            f"{record['invalid']} invalid {problem}"
        )
        if self.writable:
            self.cancel_button.disabled = not running
            self.retry_button.disabled = running or not (record["failed"] or record["cancelled"])

    def _hide_confirm(self) -> None:
        self.confirm.layout.display = "none"


def show_jobs(url: str | None = None) -> Any:
    """The Jobs page as one widget: my batches with live progress, cancel (confirmed), retry
    failed rows, and the rows of a job that were not stored, with their reasons.

    Example:
        >>> import os, tempfile
        >>> page = show_jobs("sqlite:///" + os.path.join(tempfile.mkdtemp(), "j.sqlite"))
        >>> "impulator-page-jobs" in page._dom_classes
        True
    """
    return JobsPage(url).widget
