"""score and score_chunk on a real LocalCluster (2 worker processes, 1 thread each) over the
demo ChEMBL fixture: the same numbers as analyze, each structure once, nothing lost."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from impulator.batch import BatchRow, open_client, read_batch, score, score_chunk
from impulator.pipeline import RESULT_COLUMNS, analyze
from tests.conftest import DASATINIB

DATA = Path(__file__).resolve().parents[1] / "data"
BATCH_20 = DATA / "batch_20.csv"
SECRET_URL = "postgresql+psycopg://impulator:s3cret@db.invalid/impulator"
KEY = ["input_row", "molecule_chembl_id", "target_chembl_id", "standard_type"]
# PDB evidence off where numbers are compared: loading the CCD costs each new process ~4 s,
# and score passes options to analyze unchanged (the PDB path is checked once, below).
FAST = {"pdb": False}


@pytest.fixture(scope="module")
def worker_env(demo_dir: Path) -> Iterator[None]:
    """The demo environment, set before the workers start so that they inherit it; plus a
    results-database URL with a password that the workers must not receive."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("IMPULATOR_CHEMBL_URL", "IMPULATOR_CHEMBL_SOURCE", "IMPULATOR_PDB_INDEX_DIR"):
            mp.delenv(name, raising=False)
        mp.setenv("IMPULATOR_DATA_DIR", str(demo_dir))
        mp.setenv("IMPULATOR_PDB_SOURCE", "ccd")
        mp.setenv("IMPULATOR_OFFLINE", "1")
        mp.setenv("IMPULATOR_DATABASE_URL", SECRET_URL)
        yield


@pytest.fixture(scope="module")
def client(worker_env: None) -> Iterator[Client]:
    with open_client("local", workers=2) as client:
        yield client


@pytest.fixture(scope="module")
def scored(client: Client) -> pd.DataFrame:
    return score(BATCH_20, client, progress=False, **FAST)


def scores(frame: pd.DataFrame) -> dict[tuple[object, ...], list[float]]:
    out: dict[tuple[object, ...], list[float]] = {}
    for key, group in frame.groupby(KEY, sort=True):
        out[tuple(key)] = sorted(group["final_score"].round(12).tolist())
    return out


def test_the_20_row_file_scores_18_rows_and_lists_2_errors(scored: pd.DataFrame) -> None:
    assert list(scored.columns) == ["input_row", "input_query", "input_name", *RESULT_COLUMNS]
    valid = [n for n in range(1, 21) if n not in (3, 17)]
    assert sorted(scored["input_row"].unique()) == valid  # every valid row found neighbours
    errors = scored.attrs["errors"]
    assert errors["row"].tolist() == [3, 17]
    assert errors["stage"].tolist() == ["validation", "validation"]
    assert errors["reason"].str.startswith("unreadable SMILES: ").all()
    assert scored.attrs["no_neighbours"] == []
    summary = scored.attrs["summary"]
    assert (summary["compounds"], summary["valid"], summary["scored"]) == (20, 18, 18)
    assert summary["workers"] == 2 and summary["rows"] == len(scored)
    names = scored.drop_duplicates("input_row").set_index("input_row")["input_name"]
    assert names[9] == "DASATINIB HYDROCHLORIDE" and names[16] == "sorafenib (repeat)"
    assert scored.attrs["provenance"]["bioactivity_source"].startswith("demo: MoleculeACE")


def test_same_rows_and_scores_as_analyze_one_by_one(scored: pd.DataFrame) -> None:
    direct = []
    for row in read_batch(BATCH_20).rows:
        rows = analyze(row.query, **FAST).rows
        direct.append(rows.assign(input_row=row.row))
    expected = pd.concat(direct, ignore_index=True)
    assert len(expected) == len(scored)
    assert scores(scored) == scores(expected)


def test_each_unique_structure_is_analysed_once(scored: pd.DataFrame) -> None:
    summary = scored.attrs["summary"]
    assert (summary["unique_structures"], summary["analyses"]) == (16, 16)
    # The salt (row 9) is its parent's analysis (row 1); the repeat (16) is row 4's.
    for first, again in ((1, 9), (4, 16)):
        a = scored[scored["input_row"] == first].drop(
            columns=["input_row", "input_query", "input_name"]
        )
        b = scored[scored["input_row"] == again].drop(
            columns=["input_row", "input_query", "input_name"]
        )
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_score_chunk_analyses_duplicates_in_a_chunk_once(worker_env: None) -> None:
    rows = read_batch([DASATINIB, DASATINIB + ".Cl", "CHEMBL1421", DASATINIB]).rows
    results = score_chunk(rows, {"pdb": False})
    # The ChEMBL id has no InChIKey before it is resolved: a separate analysis.
    assert [r.analyzed for r in results] == [True, False, True, False]
    assert [r.row.row for r in results] == [1, 2, 3, 4]
    assert results[1].report is results[0].report and results[3].report is results[0].report
    assert results[0].seconds > 0 and results[1].seconds == 0


def test_no_neighbours_and_scoring_errors_lose_no_valid_row(client: Client) -> None:
    df = score(  # analyze's defaults, PDB evidence included
        [DASATINIB, "CCO", "CHEMBL99999999", "C1CC", "notadrugatall"], client, progress=False
    )
    assert df["input_row"].unique().tolist() == [1]
    assert df["pdb_structures"].max() >= 1 and df["pdb_evidence_used"].any()
    assert df.attrs["no_neighbours"] == [2]
    assert df.attrs["availability"][2]  # counts at lower thresholds, e.g. {0.8: 0, ...}
    errors = df.attrs["errors"].set_index("row")
    assert errors["stage"].to_dict() == {3: "scoring", 4: "validation", 5: "scoring"}
    assert "CHEMBL99999999" in errors.loc[3, "reason"]
    assert "nor is it a name or synonym known to demo" in errors.loc[5, "reason"]
    assert df.attrs["summary"]["scored"] == 2  # dasatinib, and ethanol without neighbours


def test_workers_inherit_the_environment_but_not_the_database_password(
    client: Client, demo_dir: Path
) -> None:
    seen = client.run(
        lambda: (os.environ.get("IMPULATOR_DATA_DIR"), os.environ.get("IMPULATOR_DATABASE_URL"))
    )
    assert len(seen) == 2
    assert set(seen.values()) == {(str(demo_dir), "")}
    assert os.environ["IMPULATOR_DATABASE_URL"] == SECRET_URL  # the caller keeps its own


def test_transient_failures_are_retried_then_reported(
    worker_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real misconfiguration: a local ChEMBL is asked for, none is registered.
    monkeypatch.setenv("IMPULATOR_CHEMBL_SOURCE", "local")
    [direct] = score_chunk(read_batch(["CCO"]).rows, {})
    assert direct.transient and "no ChEMBL dump is registered" in (direct.error or "")
    # Threads in this process see the setting: a cluster object, retried once with backoff.
    threads = {"processes": False, "n_workers": 1, "threads_per_worker": 1}
    with LocalCluster(dashboard_address=None, **threads) as cluster:
        started = time.perf_counter()
        df = score(["CCO", "C1CC"], cluster, progress=False, retries=1)
        assert time.perf_counter() - started >= 1.0  # the first backoff
    assert df.empty
    errors = df.attrs["errors"]
    assert errors["row"].tolist() == [1, 2]
    assert "no ChEMBL dump is registered" in errors.loc[0, "reason"]
    assert df.attrs["summary"]["analyses"] == 2  # the first try and one retry


def test_open_client_uses_what_it_is_given(client: Client) -> None:
    with open_client(client) as same:
        assert same is client
    assert client.status == "running"
    with open_client(client.scheduler.address) as other:
        assert other is not client and other.submit(sum, [1, 2]).result() == 3
    assert other.status == "closed" and client.status == "running"
    no_gateway = dask.config.set({"gateway.address": None})
    with (
        no_gateway,
        pytest.raises(ValueError, match="DASK_GATEWAY__ADDRESS"),
        open_client("gateway"),
    ):
        pass
    with pytest.raises(TypeError, match="not int"), open_client(42):
        pass


def test_score_refuses_options_workers_cannot_use(client: Client) -> None:
    with pytest.raises(TypeError, match="source cannot be passed"):
        score(["CCO"], client, source=object())
    with pytest.raises(TypeError, match="unknown option"):
        score(["CCO"], client, similarty=0.8)
    with pytest.raises(ValueError, match="similarity must be between"):
        score(["CCO"], client, similarity=0.2)
    rows = [BatchRow(1, "CCO", "smiles")]
    assert score_chunk(rows, {"model": "nope"})[0].error.startswith("unknown")  # type: ignore[union-attr]


def test_a_worker_killed_mid_score_loses_nothing(client: Client, scored: pd.DataFrame) -> None:
    killed: list[str] = []
    done = threading.Event()

    def kill_a_busy_worker() -> None:
        while not done.is_set():
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)  # a worker process this test's cluster started
                killed.append(busy[0])
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        df = score(BATCH_20, client, progress=False, chunk_size=1, **FAST)
    finally:
        done.set()
        killer.join()
    assert killed, "no worker was busy to be killed"
    assert killed[0] not in client.scheduler_info()["workers"]
    assert scores(df) == scores(scored)
    assert df.attrs["errors"]["row"].tolist() == [3, 17]
    # Last in this module: the nanny restarts the killed worker, nobody needs to wait for it.
