"""The Home page: your numbers, your recent jobs and compounds, and a quick analysis.

Everything shown comes from the public store and jobs APIs, as the calling user: on
PostgreSQL, row-level security decides which compounds and jobs those are (your own, those
shared with your groups; everything for administrators). The page adds no filter of its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from impulator import jobs, store
from impulator._errors import (
    VIEWER_MESSAGE,
    InvalidInput,
    JobNotFound,
    PermissionDenied,
    describe_error,
)
from impulator.store import STRONG_CLASSES, JobState
from impulator.ui import _theme as theme
from impulator.ui._pagekit import guarded, run_guarded

__all__ = [
    "JOB_COLUMNS",
    "RECENT_COMPOUND_COLUMNS",
    "RUNNING_STATUSES",
    "VIEWER_MESSAGE",
    "HomePage",
    "HomeSummary",
    "QuickResult",
    "describe_error",
    "quick_analysis",
    "show_home",
    "summarize_home",
]

#: Job statuses counted as running (waiting for a runner, or being scored).
RUNNING_STATUSES: tuple[JobState, ...] = tuple(state for state in JobState if state.running)
#: Columns of ``HomeSummary.recent_jobs``.
JOB_COLUMNS: tuple[str, ...] = (
    "id",
    "source",
    "status",
    "done",
    "total",
    "progress",
    "current_step",
    "created_at",
)
#: Columns of ``HomeSummary.recent_compounds``.
RECENT_COMPOUND_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "owner",
    "chembl_id",
    "best_score",
    "best_class",
    "n_rows",
    "n_flags",
    "created_at",
)
#: Most running jobs counted one by one (the tile shows this number at most).
_RUNNING_COUNT_LIMIT = 1000


@dataclass(frozen=True, eq=False)
class HomeSummary:
    """The numbers and lists of the Home page, as the calling user sees them.

    Attributes:
        user: who the database says you are (the PostgreSQL role, or the OS user on SQLite).
        compounds: stored compounds you can see (yours, and those shared with your groups).
        strong_or_better: of those, how many have a best class of Strong IMP or better.
        running_jobs: your batches queued or being scored.
        processed_today: compounds stored since midnight UTC.
        recent_jobs: the newest batches (``JOB_COLUMNS``; ``done``/``total`` compounds).
        recent_compounds: the newest compounds (``RECENT_COMPOUND_COLUMNS``).
    """

    user: str
    compounds: int
    strong_or_better: int
    running_jobs: int
    processed_today: int
    recent_jobs: pd.DataFrame = field(repr=False)
    recent_compounds: pd.DataFrame = field(repr=False)


def summarize_home(url: str | None = None, *, limit: int = 10) -> HomeSummary:
    """The Home page's numbers: tiles, the ``limit`` newest jobs and compounds.

    ``url`` is the results database (default: ``IMPULATOR_DATABASE_URL``, else the SQLite
    file in the data directory).

    Raises:
        StoreUnavailable: the database cannot be reached.
        PermissionDenied: this user may not read the results database.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> home = summarize_home(url)
        >>> home.compounds, home.strong_or_better, home.running_jobs, home.processed_today
        (0, 0, 0, 0)
        >>> list(home.recent_compounds.columns[:3]), len(home.recent_jobs)
        (['id', 'name', 'owner'], 0)
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    user = store.whoami(url).user
    numbers = store.analytics(url)
    running = sum(
        len(jobs.list_jobs(status, limit=_RUNNING_COUNT_LIMIT, url=url))
        for status in RUNNING_STATUSES
    )
    compounds = store.list_compounds(sort="-created_at", limit=limit, url=url).items
    return HomeSummary(
        user=user,
        compounds=int(numbers["total_compounds"]),
        strong_or_better=int(numbers["strong_imps_or_better"]),
        running_jobs=min(running, _RUNNING_COUNT_LIMIT),
        processed_today=int(numbers["processed_today"]),
        recent_jobs=_recent_jobs(url, limit),
        recent_compounds=compounds[list(RECENT_COMPOUND_COLUMNS)].reset_index(drop=True),
    )


def _recent_jobs(url: str | None, limit: int) -> pd.DataFrame:
    listed = jobs.list_jobs(limit=limit, url=url)
    records = []
    for job in listed.to_dict("records"):
        done, total = 0, int(job["total"] or 0)
        try:
            state = jobs.Job(int(job["id"]), url).status()
            done = state.stored + state.failed + state.invalid + state.cancelled
            total = state.total
        except JobNotFound:  # deleted between the two reads
            pass
        records.append(
            {
                "id": int(job["id"]),
                "source": job["source"],
                "status": job["status"],
                "done": int(done),
                "total": int(total),
                "progress": int(job["progress"] or 0),
                "current_step": job["current_step"],
                "created_at": job["created_at"],
            }
        )
    frame = pd.DataFrame(records, columns=list(JOB_COLUMNS))
    # SQLite hands back naive timestamps: they are UTC, as ``utc=True`` reads them.
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


# -- the quick analysis ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuickResult:
    """What a quick analysis did: the stored compound (None when nothing was stored)."""

    compound_id: int | None
    action: str
    name: str
    best_class: str | None
    best_score: float | None
    rows: int
    message: str


def quick_analysis(
    query: str,
    *,
    url: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> QuickResult:
    """Analyse ``query`` with the defaults of ``impulator analyze --save`` and store it.

    The same as ``impulator.store.save(impulator.analyze(query))``: similarity 0.90, the
    default activity types, model and curation, PDB evidence on. A compound stored before with
    the same settings is not stored again. Nothing is stored when no neighbour is found.

    Raises:
        InvalidStructure, UnknownCompound, SourceUnavailable: the analysis failed.
        PermissionDenied: this user may not save (checked before analysing on PostgreSQL).
        StoreUnavailable: the results database cannot be reached.

    Example:
        >>> quick_analysis("   ")
        Traceback (most recent call last):
        impulator._errors.InvalidInput: type a SMILES, ChEMBL id or compound name first
    """
    from impulator.pipeline import analyze, best_class, default_name

    text = query.strip()
    if not text:
        raise InvalidInput("type a SMILES, ChEMBL id or compound name first")
    _check_can_save(url)
    report = analyze(text, progress=progress)
    if report.summary.get("neighbours", 0) == 0:
        probe = ", ".join(f"{t:.2f}: {n}" for t, n in report.availability.items())
        similarity = float(report.summary.get("similarity_threshold", 0.9))
        return QuickResult(
            None,
            "nothing",
            text,
            None,
            None,
            0,
            f"Nothing saved: no compound in {report.provenance.get('bioactivity_source')} "
            f"reaches similarity {similarity:.2f} (neighbours at lower thresholds: "
            f"{probe or 'none'}).",
        )
    saved = store.save_report(report, url=url)
    name, best = default_name(report), best_class(report.rows)
    score = report.summary.get("best_score")
    score = None if score is None or pd.isna(score) else float(score)
    said = {
        "inserted": "Saved",
        "replaced": "Replaced",
        "skipped": "Already stored with the same settings:",
    }.get(saved.action, "Saved")
    scored = "" if score is None else f", best score {score:.3f}"
    best_text = best or "none (no scored row)"
    return QuickResult(
        saved.compound_id,
        saved.action,
        name,
        best,
        score,
        len(report.rows),
        f"{said} {name} as compound {saved.compound_id}: best class {best_text}"
        f"{scored} ({len(report.rows)} rows).",
    )


def _check_can_save(url: str | None) -> None:
    """Refuse at once a user who may not store compounds: the database refuses the save
    anyway; this spares a viewer the wait of an analysis."""
    if not store.can_write(url):
        raise PermissionDenied(
            "cannot save: you have read-only access to the results database (viewer); "
            "saving, deleting and sharing need the chemist role. Ask an administrator."
        )


# -- the page --------------------------------------------------------------------------------


def _job_progress(record: Any) -> str:
    if record["status"] in RUNNING_STATUSES:
        return theme.progress_html(int(record["done"]), int(record["total"]))
    return html.escape(f"{record['done']}/{record['total']}")


_JOB_TABLE: list[theme.Column] = [
    ("id", "Job"),
    ("source", "Input"),
    ("status", "Status"),
    ("done", "Progress", _job_progress),
    ("current_step", "Step"),
    ("created_at", "Created"),
]
_COMPOUND_TABLE: list[theme.Column] = [
    ("id", "Id"),
    ("name", "Name"),
    ("chembl_id", "ChEMBL id"),
    ("best_score", "Best score"),
    ("best_class", "Best class", lambda r: theme.badge(r["best_class"])),
    ("n_rows", "Rows"),
    ("n_flags", "Flags"),
    ("owner", "Owner"),
    ("created_at", "Created"),
]


class HomePage:
    """The widgets of the Home page and what they do (``widget`` is the page).

    :func:`show_home` is the way in; the attributes are the page's parts, for tests and
    for notebooks that want to rearrange them.
    """

    def __init__(self, url: str | None = None, *, limit: int = 10) -> None:
        w = theme.widgets()
        self.url = url
        self.limit = limit
        self.summary: HomeSummary | None = None
        self.header = w.HTML()
        self.header.add_class("impulator-header")
        self.error = w.HTML()
        self.error.add_class("impulator-home-error")
        self.tiles = w.HBox()
        self.tiles.add_class("impulator-tiles")
        self.tiles.add_class("impulator-home-tiles")
        self.jobs = w.HTML()
        self.jobs.add_class("impulator-recent-jobs")
        self.compounds = w.HTML()
        self.compounds.add_class("impulator-recent-compounds")
        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", tooltip="Read the numbers again"
        )
        self.refresh_button.add_class("impulator-refresh")
        self.refreshed = w.HTML()
        self.refreshed.add_class("impulator-refreshed")
        self.input = w.Text(
            placeholder="SMILES, ChEMBL id or name",
            description="Compound",
            layout=w.Layout(width="420px"),
        )
        self.input.add_class("impulator-quick-input")
        self.run = w.Button(
            description="Analyze and save",
            button_style="primary",
            tooltip="Score its ChEMBL neighbourhood and store the result",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.run.add_class("impulator-quick-run")
        self.busy = w.HTML('<span class="impulator-busy"></span>', layout=w.Layout(display="none"))
        self.busy.add_class("impulator-quick-busy")
        self.status = w.HTML()
        self.status.add_class("impulator-quick-status")
        self.refresh_button.on_click(guarded(self.refresh, self.error, "refreshing the Home page"))
        self.run.on_click(
            guarded(lambda: self.analyze(self.input.value), self.status, "the quick analysis")
        )

        def title(text: str) -> Any:
            heading = w.HTML(html.escape(text))
            heading.add_class("impulator-section-title")
            return heading

        quick = w.VBox(
            [
                title("Quick analysis"),
                w.HBox([self.input, self.run, self.busy, self.status]),
            ]
        )
        quick.add_class("impulator-quick")
        # The status line wraps under the form instead of squeezing the button.
        self.status.layout = w.Layout(flex="1 1 300px")
        self.widget = theme.page_frame(
            "Home",
            w.HBox([self.header, self.refresh_button, self.refreshed]),
            self.error,
            self.tiles,
            quick,
            title("Recent jobs"),
            self.jobs,
            title("Recent compounds"),
            self.compounds,
        )
        self.widget.add_class("impulator-home")
        self.refresh()

    def refresh(self) -> None:
        """Read the numbers again (errors are shown on the page, never raised)."""
        summary = run_guarded(
            lambda: summarize_home(self.url, limit=self.limit),
            self.error,
            "reading the Home page's numbers",
        )
        if summary is not None:
            self.error.value = ""
        self._show(summary)

    def _show(self, summary: HomeSummary | None) -> None:
        self.summary = summary
        s = summary
        user = f'<span class="impulator-user">{html.escape(s.user)}</span>' if s else ""
        self.header.value = f"<h1>Home</h1>{user}"
        self.tiles.children = [
            theme.tile(
                "Compounds", s and s.compounds, "yours and shared with you", name="compounds"
            ),
            theme.tile(
                "Strong IMP or better",
                s and s.strong_or_better,
                " or ".join(reversed(STRONG_CLASSES)),
                name="strong",
            ),
            theme.tile(
                "Running jobs", s and s.running_jobs, "queued or being scored", name="running"
            ),
            theme.tile(
                "Processed today", s and s.processed_today, "stored since 00:00 UTC", name="today"
            ),
        ]
        empty_jobs = pd.DataFrame(columns=list(JOB_COLUMNS))
        empty_compounds = pd.DataFrame(columns=list(RECENT_COMPOUND_COLUMNS))
        self.jobs.value = theme.html_table(
            s.recent_jobs if s else empty_jobs,
            _JOB_TABLE,
            empty="No batch jobs yet." if s else "Not available.",
        )
        self.compounds.value = theme.html_table(
            s.recent_compounds if s else empty_compounds,
            _COMPOUND_TABLE,
            empty="No compounds stored yet: analyse one above." if s else "Not available.",
        )
        if s:
            self.refreshed.value = theme.status_html(
                f"updated {datetime.now(UTC).strftime('%H:%M:%S')} UTC", "info"
            )

    def analyze(self, query: str) -> QuickResult | None:
        """Run the quick analysis of ``query``, showing progress and the outcome on the page.

        Returns what was done, or None when it failed (the reason is in the status line).
        """
        if not query.strip():
            self.status.value = theme.status_html(
                "Type a SMILES, ChEMBL id or compound name first.", "error"
            )
            return None
        self.run.disabled = True
        self.input.disabled = True
        self.busy.layout.display = None
        self.status.value = theme.status_html(f"Analyzing {query.strip()}…", "busy")

        def step(_done: int, _total: int, name: str) -> None:
            self.status.value = theme.status_html(f"Analyzing {query.strip()}: {name}…", "busy")

        try:
            result = run_guarded(
                lambda: quick_analysis(query, url=self.url, progress=step),
                self.status,
                f"the quick analysis of {query!r}",
            )
        finally:
            self.run.disabled = False
            self.input.disabled = False
            self.busy.layout.display = "none"
        if result is None:
            return None
        kind = "ok" if result.compound_id is not None else "info"
        self.status.value = theme.status_html(result.message, kind)
        if result.compound_id is not None:
            self.refresh()
        return result


def show_home(url: str | None = None) -> Any:
    """The Home page as one widget: tiles, recent jobs and compounds, a quick analysis.

    ``url`` is the results database (default: ``IMPULATOR_DATABASE_URL``, else SQLite). The
    page never raises: a database it cannot read is a sentence on the page.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> page = show_home(url)
        >>> type(page).__name__, "impulator-home" in page._dom_classes
        ('VBox', True)
    """
    return HomePage(url).widget
