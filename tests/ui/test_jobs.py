"""The Jobs page without a browser: the job table, selection with per-row errors, cancel
(confirmed), retry of failed rows, the live update, and a viewer (PostgreSQL)."""

from __future__ import annotations

from impulator import jobs, store
from impulator.ui import show_jobs
from impulator.ui._jobs import JOB_STATE_COLUMNS, JobsPage, job_states
from impulator.ui._pagekit import Poller
from tests.postgres import PostgresCluster
from tests.ui.widgets import new_database, sql


def test_job_states(url: str) -> None:
    assert job_states(url).empty and list(job_states(url).columns) == list(JOB_STATE_COLUMNS)
    first = jobs.submit(["CCO", "C1CC"], url=url)
    second = jobs.submit(["CCN"], url=url)
    states = job_states(url).set_index("id")
    assert states.index.tolist() == [second.id, first.id]
    assert states.loc[first.id, ["status", "done", "total", "invalid"]].tolist() == [
        "queued",
        1,
        2,
        1,
    ]


def test_the_page_lists_jobs_and_shows_the_errors_of_the_selected_one(url: str) -> None:
    page = JobsPage(url)
    assert "No batch jobs yet" in page.table.value and page.select.value is None
    job = jobs.submit(["CCO", "<b>", "C1CC"], url=url)
    page.poller.interval = 3600  # tests tick by hand
    assert page.refresh() is True  # queued: the live update goes on
    page.poller.stop()
    assert page.select.value == job.id and "<progress" in page.table.value
    errors = page.show_errors()
    assert errors is not None and errors["row"].tolist() == [2, 3]
    assert "&lt;b&gt;" in page.errors.value and "<b>" not in page.errors.value
    assert "ring bond 1" in page.errors.value
    assert "impulator-page-jobs" in show_jobs(url)._dom_classes


def test_cancel_needs_confirmation_and_retry_requeues_failed_rows(url: str) -> None:
    job = jobs.submit(["CCO", "CCN"], url=url)
    page = JobsPage(url, interval=3600)
    page.poller.stop()
    page.ask_cancel()
    assert page.confirm.layout.display is None and f"Cancel job {job.id}?" in (
        page.confirm_text.value
    )
    assert job.status().status == "queued"  # nothing happens before the confirmation
    page.confirm_no.click()
    assert page.confirm.layout.display == "none" and job.status().status == "queued"
    page.ask_cancel()
    page.confirm_yes.click()
    assert job.status().status == "cancelled" and "cancelled" in page.action_status.value
    assert not page.retry_button.disabled and page.cancel_button.disabled
    assert page.retry() == 2 and "2 row(s)" in page.action_status.value
    assert job.status().status == "queued"
    sql(url, "UPDATE jobs SET status = 'completed'")
    assert page.tick() is False
    assert page.retry() == 0 and "no failed or cancelled row" in page.action_status.value


def test_an_unreachable_database_is_a_sentence() -> None:
    page = JobsPage("postgresql+psycopg://nobody@127.0.0.1:1/impulator")
    assert "The results database is unavailable" in page.error.value


def test_the_poller_polls_until_told_to_stop() -> None:
    ticks: list[int] = []
    poller = Poller(lambda: ticks.append(1) is None and len(ticks) < 2, interval=0.01)
    poller.start()
    poller.join(5)
    assert len(ticks) == 2 and not poller.running
    failing = Poller(lambda: 1 / 0 > 0, interval=0.01)  # a failing tick ends the polling
    failing.start()
    failing.join(5)
    assert not failing.running


def test_a_viewer_gets_no_cancel_or_retry(postgres: PostgresCluster) -> None:
    admin = new_database(postgres, "impulator_ui_jobs")
    viewer = store.provision_user("jobs_vera", "viewer", ["jobs_team"], url=admin)
    page = JobsPage(viewer)
    assert page.error.value == "" and not page.writable
    assert page.cancel_button.layout.display == "none"
    assert page.retry_button.layout.display == "none"
