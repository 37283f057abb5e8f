"""The notebooks in notebooks/: stored without outputs, and each runs top to bottom.

Each is executed with nbclient in a fresh kernel against the demo ChEMBL fixture and a real
PostgreSQL database (one for the module); any cell error fails its test, its time is printed,
and the numbers the prose talks about are checked in the outputs.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from impulator import store
from impulator.store._session import dispose
from tests.postgres import PostgresCluster

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
_databases = itertools.count()


def test_there_are_notebooks() -> None:
    assert {p.name for p in ALL} >= {
        "01_quick_start.ipynb",
        "02_batches_at_scale.ipynb",
        "03_congeneric_series.ipynb",
        "04_course_ligand_efficiency.ipynb",
        "04_course_ligand_efficiency_solutions.ipynb",
    }


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_no_stored_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has stored outputs (strip them)"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.fixture(scope="module")
def database(postgres: PostgresCluster) -> Iterator[str]:
    url = postgres.create_database(f"impulator_notebooks_{next(_databases)}")
    store.upgrade(url)
    yield url
    dispose(url)


def _text(nb: nbformat.NotebookNode) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_runs(
    path: Path,
    demo_env: Path,
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", database)
    for name in ("DASK_GATEWAY__ADDRESS", "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    started = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    with capsys.disabled():
        print(f"\n{path.name}: {time.perf_counter() - started:.1f} s")
    text = _text(nb)
    if path.stem == "01_quick_start":
        assert "scored activity records, best score" in text
        assert "stored compound" in text
    elif path.stem == "02_batches_at_scale":
        assert "1 row(s) not scored" in text
        assert "scoring on a local Dask cluster (no gateway configured)" in text
    elif path.stem == "03_congeneric_series":
        assert "7 compounds, 7 activity records" in text
        assert "7 records scored by both models" in text
    elif path.stem == "04_course_ligand_efficiency_solutions":
        assert text.count("Correct!") == 3
    elif path.stem == "04_course_ligand_efficiency":
        assert "Not yet" in text and "Correct!" not in text
