"""The Batch page without a browser: preview, column mapping, the validation report, the
size limit, submit, live progress, and a viewer (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from impulator import jobs, store
from impulator.ui import show_batch
from impulator.ui._batch import BatchPage
from tests.postgres import PostgresCluster
from tests.ui.widgets import new_database, sql

DATA = Path(__file__).resolve().parents[1] / "data"
BATCH_20 = (DATA / "batch_20.csv").read_bytes()


def test_an_sdf_is_previewed_with_its_titles_and_properties(url: str) -> None:
    page = BatchPage(url)
    assert page.load((DATA / "batch_small.sdf").read_bytes(), "batch_small.sdf") is not None
    assert "SD file" in page.file_status.value and "<th>Title</th>" in page.preview.value
    assert [o[1] for o in page.column.options] == ["", "Name", "chembl_id"]
    assert page.name_column.options[0] == ("record title", "")


def test_upload_shows_preview_mapping_and_the_two_errors(url: str) -> None:
    page = BatchPage(url)
    assert "No batch jobs yet" in page.jobs.value and page.submit_button.disabled
    batch = page.load(BATCH_20, "batch_20.csv")
    assert batch is not None and len(batch.rows) == 18
    assert "DASATINIB" in page.preview.value and page.mapping.layout.display is None
    assert (page.column.value, page.name_column.value) == ("SMILES", "Compound Name")
    assert "20 rows: 18 valid, 2 invalid" in page.report.value
    assert "ring bond 1 is opened but never closed" in page.report.value
    assert "has 6 bonds" in page.report.value
    assert not page.submit_button.disabled
    page.column.value = "Compound Name"  # remapped by hand: the names are read as queries
    assert "impulator-status" in page.report.value and page.batch is not None
    assert page.batch.columns["query"] == "Compound Name"


def test_too_large_and_unreadable_files_are_refused_in_words(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = BatchPage(url)
    monkeypatch.setenv("IMPULATOR_BATCH_MAX_BYTES", "100")
    assert page.load(BATCH_20, "batch_20.csv") is None
    assert "a batch file may be at most 100 bytes" in page.file_status.value
    monkeypatch.delenv("IMPULATOR_BATCH_MAX_BYTES")
    assert page.load(b"activity,value\n1,2\n", "t.csv") is None
    assert "no column holds the compounds" in page.report.value
    assert page.load(b"PK\x03\x04", "book.xlsx") is None  # said before any preview
    assert "save it as CSV (UTF-8) or SDF" in page.file_status.value
    assert page.submit_button.disabled and page.submit() is None


def test_submit_follows_the_job_and_lists_it(url: str) -> None:
    page = BatchPage(url)
    page.load(BATCH_20, "batch_20.csv")
    page.duplicates.value = "keep"
    page.pdb.value = False
    job = page.submit()
    page.poller.stop()
    assert job is not None and "Submitted as job" in page.submit_status.value
    assert "batch_20.csv" in page.jobs.value and "queued" in page.job_status.value
    assert page.progress.max == 20 and page.progress.value == 2  # the 2 invalid rows are done
    sql(url, "UPDATE jobs SET status = 'completed' WHERE parent_job_id IS NOT NULL")
    sql(url, "UPDATE jobs SET status = 'completed', current_step = 'completed'")
    assert page.tick() is False  # nothing runs any more: the live update stops
    assert "18 stored" in page.job_status.value and "Jobs.ipynb" in page.link.value
    assert jobs.list(url=url)["source"].tolist() == ["batch_20.csv"]
    again = BatchPage(url)  # leave and come back: the job is listed
    assert "batch_20.csv" in again.jobs.value
    assert "impulator-page-batch" in show_batch(url)._dom_classes


def test_a_viewer_cannot_submit(postgres: PostgresCluster) -> None:
    admin = new_database(postgres, "impulator_ui_batch")
    viewer = store.provision_user("batch_vera", "viewer", ["batch_team"], url=admin)
    page = BatchPage(viewer)
    assert not page.writable and page.submit_box.layout.display == "none"
    assert page.load(BATCH_20, "batch_20.csv") is not None  # checking a file is fine
    page.submit()
    assert "viewer" in page.submit_status.value or "Not allowed" in page.submit_status.value
