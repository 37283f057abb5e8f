"""The Analyze page without a browser: the query check, the probe, a run, Save and its
duplicate handling (SQLite), and a viewer on PostgreSQL (no Save button)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impulator import store
from impulator.ui import show_analyze
from impulator.ui._analyze import AnalyzePage, best_rows, check_query, probe_availability
from tests.conftest import DASATINIB
from tests.postgres import PostgresCluster
from tests.ui.widgets import new_database


@pytest.mark.parametrize(
    ("text", "valid", "kind", "words"),
    [
        ("C1CC", False, None, "ring bond 1 is opened but never closed"),
        ("<script>", False, None, "not a SMILES, InChI, InChIKey, ChEMBL id or compound name"),
        (DASATINIB, True, "smiles", "A valid SMILES"),
        ("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", True, "inchi", "A valid InChI"),
        ("BSYNRYMUTXBXSQ-UHFFFAOYSA-N", True, "inchikey", "An InChIKey: it is looked up"),
        ("dasatinib", True, "name", "A compound name or synonym: it is looked up"),
        ("", False, None, "Type a SMILES"),
    ],
)
def test_check_query(text: str, valid: bool, kind: str | None, words: str) -> None:
    checked = check_query(text)
    assert (checked.valid, checked.kind) == (valid, kind)
    assert words in checked.message
    assert bool(checked.svg) == (kind in ("smiles", "inchi"))


def test_typing_validates_and_draws(url: str) -> None:
    page = AnalyzePage(url)
    assert page.run_button.disabled and page.preview.layout.display == "none"
    page.query.value = "C1CC"
    assert "impulator-status-error" in page.validation.value
    assert "ring bond 1" in page.validation.value and page.run_button.disabled
    page.query.value = DASATINIB
    assert "impulator-status-ok" in page.validation.value
    assert page.preview.value.startswith("<svg") and page.preview.layout.display is None
    assert not page.run_button.disabled and not page.probe_button.disabled
    page.query.value = ""
    assert "impulator-status-info" in page.validation.value


def test_probe_counts_neighbours_per_threshold(demo_env: Path, url: str) -> None:
    counts = probe_availability(DASATINIB, 0.85)
    assert list(counts) == sorted(counts, reverse=True)
    assert {1.0, 0.85, 0.4} <= set(counts) and counts[0.4] >= counts[1.0] >= 1
    page = AnalyzePage(url)
    page.query.value = "dasatinib"  # a name: resolved by the probe
    assert page.probe() is not None
    assert "0.90 (chosen)" in page.availability.value
    page.query.value = "CHEMBL999999999"
    assert page.probe() is None and "Unknown compound" in page.probe_status.value


def test_run_shows_progress_result_and_saves(demo_env: Path, url: str) -> None:
    page = AnalyzePage(url)
    steps: list[str] = []
    page.step.observe(lambda c: steps.append(c["new"]), names="value")
    page.query.value = DASATINIB
    page.pdb.value = False
    report = page.run()
    assert report is not None and not report.rows.empty
    assert any("step 6 of 6: scores" in s for s in steps)  # live progress, every step shown
    assert "impulator-status-ok" in page.run_status.value
    assert page.result.layout.display is None and "CHEMBL1421" in page.rows.value
    assert "Neighbours" in page.summary.value
    assert not page.run_button.disabled and page.progress.layout.display == "none"

    page.name.value = "my dasatinib"
    compound_id = page.save()
    assert compound_id is not None
    assert f'href="Compound.ipynb?id={compound_id}"' in page.link.value
    assert store.get(compound_id, url=url).name == "my dasatinib"
    assert page.save() == compound_id and "Already stored" in page.save_status.value
    page.duplicates.value = "keep"
    assert page.save() != compound_id and store.list_compounds(url=url).total == 2
    page.duplicates.value = "replace"
    assert page.save() is not None and "Replaced" in page.save_status.value


def test_bad_input_and_save_before_run_say_why(demo_env: Path, url: str) -> None:
    page = AnalyzePage(url)
    assert page.save() is None and "Run an analysis first" in page.save_status.value
    page.query.value = "notamolecule"
    assert page.run() is None
    assert "nor is it a name or synonym" in page.run_status.value
    assert page.result.layout.display == "none"


def test_best_rows_and_page_classes(url: str) -> None:
    assert best_rows(pd.DataFrame()).empty
    page = show_analyze(url)
    assert "impulator-page-analyze" in page._dom_classes


def test_a_viewer_gets_no_save_button(postgres: PostgresCluster) -> None:
    admin = new_database(postgres, "impulator_ui_analyze")
    viewer = store.provision_user("analyze_vera", "viewer", ["analyze_team"], url=admin)
    chemist = store.provision_user("analyze_cleo", "chemist", ["analyze_team"], url=admin)
    page = AnalyzePage(viewer)
    assert not page.writable and page.save_box.layout.display == "none"
    assert page.readonly_note.layout.display is None
    assert AnalyzePage(chemist).writable
