"""The Batch and Jobs dashboards in Chromium: a CSV of 20 rows with 2 bad ones shows the two
errors before submitting, the job stores the 18 others, and the Jobs page lists it with its
2 errors; a viewer gets no Submit button."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.browser.fixtures import BrowserSession, Dashboards

BATCH_20 = Path(__file__).resolve().parents[1] / "data" / "batch_20.csv"


def _upload(page: Any, path: Path) -> None:
    """Choose ``path`` in the FileUpload widget (its <input type=file> is not in the DOM:
    the button clicks it, so the file chooser is answered instead)."""
    with page.expect_file_chooser() as chooser:
        page.click(".impulator-batch-upload")
    chooser.value.set_files(str(path))


def test_batch_of_20_with_2_bad_rows(dashboards: Dashboards, browser: BrowserSession) -> None:
    dashboards.start_runner()  # its first start is slow: start it before the page
    started = time.perf_counter()
    page = browser.open(dashboards.url("Batch"))
    page.wait(".impulator-batch-upload")
    print(f"Batch first render: {time.perf_counter() - started:.1f} s")
    p = page.page

    _upload(page.page, BATCH_20)
    page.wait(".impulator-batch-errors-table", timeout=60)
    report = p.inner_text(".impulator-batch-report")
    assert "20 rows: 18 valid, 2 invalid" in report
    assert "ring bond 1 is opened but never closed" in report
    assert "has 6 bonds" in report
    rows = p.locator(".impulator-batch-errors-table tbody tr td:first-child").all_inner_texts()
    assert rows == ["3", "17"]
    assert "Compound Name" in p.inner_text(".impulator-batch-preview")
    page.screenshot("batch-validated")

    p.uncheck(".impulator-batch-pdb input")  # quicker: no PDB evidence
    p.click("button.impulator-batch-submit")
    page.wait(".impulator-batch-submit-status .impulator-status-ok", timeout=60)
    page.wait(".impulator-batch-job-status .impulator-status-ok", timeout=600)  # completed
    status = p.inner_text(".impulator-batch-job-status")
    assert "completed" in status and "18 stored" in status and "2 invalid" in status, status
    assert "batch_20.csv" in p.inner_text(".impulator-batch-jobs")
    page.screenshot("batch-completed")
    page.assert_clean()

    started = time.perf_counter()
    jobs = browser.open(dashboards.url("Jobs"))
    jobs.wait(".impulator-jobs-table")
    print(f"Jobs first render: {time.perf_counter() - started:.1f} s")
    assert "batch_20.csv" in jobs.page.inner_text(".impulator-jobs-list")
    jobs.wait(".impulator-jobs-errors-table", timeout=30)
    errors = jobs.page.inner_text(".impulator-jobs-errors")
    assert "ring bond 1" in errors and "has 6 bonds" in errors
    cells = jobs.page.locator(".impulator-jobs-errors-table tbody tr td:first-child")
    assert cells.all_inner_texts() == ["3", "17"]
    jobs.screenshot("jobs")
    jobs.assert_clean()


def test_a_viewer_cannot_submit(dashboards: Dashboards, browser: BrowserSession) -> None:
    page = browser.open(dashboards.url("Batch", user="viewer"))
    page.wait(".impulator-batch-upload")
    _upload(page.page, BATCH_20)
    page.wait(".impulator-batch-errors-table", timeout=60)  # a viewer may still check a file
    assert not page.page.is_visible("button.impulator-batch-submit")
    assert page.page.is_visible(".impulator-batch-readonly")
    page.screenshot("batch-viewer")
    page.assert_clean()
