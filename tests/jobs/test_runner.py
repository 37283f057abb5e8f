"""Durable batches end to end: real PostgreSQL with row-level security, real Dask, real faults.

A chemist ("chem", a provisioned login) submits; runners (a provisioned runner login) claim,
score on a LocalCluster and store as the chemist. After every fault the job must complete with
each valid compound stored exactly once.
"""

from __future__ import annotations

import csv
import itertools
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from distributed import Client, LocalCluster

from impulator import jobs, store
from impulator.batch import open_client
from impulator.jobs import Runner
from tests.conftest import DEMO_FIXTURE
from tests.postgres import PostgresCluster
from tests.statements import counted

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "moleculeace_sample.csv"
FAST = {"pdb": False}  # loading the PDB dictionary costs every new process seconds
_databases = itertools.count()


def _structures() -> list[str]:
    """Unique real structures: the demo fixture's, MoleculeACE's, then simple alcohols."""
    with sqlite3.connect(DEMO_FIXTURE) as db:
        smiles = [r[0] for r in db.execute("SELECT canonical_smiles FROM compound_structures")]
    with SAMPLE.open() as handle:
        smiles += [row["smiles"] for row in csv.DictReader(handle)]
    smiles += ["C" * n + "O" for n in range(1, 120)]
    return list(dict.fromkeys(smiles))


STRUCTURES = _structures()


def write_batch(path: Path, valid: int, invalid: int = 0) -> Path:
    """A CSV of ``valid`` distinct structures with ``invalid`` broken rows spread through it."""
    rows = [(f"compound {i + 1}", s) for i, s in enumerate(STRUCTURES[:valid])]
    assert len(rows) == valid, "not enough distinct structures"
    step = max(1, (valid + invalid) // max(invalid, 1))
    for k in range(invalid):
        rows.insert(k * step, (f"broken {k + 1}", f"C1CC(=O{k}"))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Compound Name", "SMILES"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def env(demo_dir: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name in (
            "IMPULATOR_CHEMBL_URL",
            "IMPULATOR_CHEMBL_SOURCE",
            "IMPULATOR_PDB_INDEX_DIR",
            "IMPULATOR_DATABASE_URL",
        ):
            mp.delenv(name, raising=False)
        mp.setenv("IMPULATOR_DATA_DIR", str(demo_dir))
        mp.setenv("IMPULATOR_PDB_SOURCE", "ccd")
        mp.setenv("IMPULATOR_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def client(env: None) -> Iterator[Client]:
    with open_client("local", workers=2) as client:
        yield client


class Platform:
    """One database with a chemist and a runner login."""

    def __init__(self, cluster: PostgresCluster) -> None:
        self.cluster = cluster
        self.admin = cluster.create_database(f"impulator_jobs_{next(_databases)}")
        store.upgrade(self.admin)
        self.chem = store.provision_user("chem", "chemist", url=self.admin)
        self.runner = store.provision_runner("runner-a", url=self.admin)

    def submit(self, path: Path, **options: Any) -> jobs.Job:
        # "keep": a compound stored twice would show up as two rows, never be merged away.
        return jobs.submit(path, url=self.chem, on_duplicate="keep", **{**FAST, **options})

    def runner_for(self, **kwargs: Any) -> Runner:
        options: dict[str, Any] = {"heartbeat_every": 0.2, "poll_every": 0.2, **kwargs}
        return Runner(self.runner, **options)

    def per_child(self, job: jobs.Job) -> dict[int, int]:
        """Stored compounds per completed child of ``job`` (seen past row security)."""
        engine = sa.create_engine(self.admin)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT j.id, count(c.id) FROM jobs j "
                        "LEFT JOIN compounds c ON c.job_id = j.id "
                        "WHERE j.parent_job_id = :p AND j.status = 'completed' GROUP BY j.id"
                    ),
                    {"p": job.id},
                )
                return {int(i): int(n) for i, n in rows}
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster, env: None) -> Platform:
    return Platform(postgres)


def wait_until(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def assert_exactly_once(platform: Platform, job: jobs.Job, valid: int) -> None:
    state = job.status()
    assert state.status == "completed", state
    assert (state.stored, state.failed, state.waiting) == (valid, 0, 0)
    per_child = platform.per_child(job)
    assert len(per_child) == valid and set(per_child.values()) == {1}


def in_thread(runner: Runner, client: Any) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=lambda: runner.run(stop=stop), daemon=True)
    runner.cluster = client
    thread.start()
    return thread, stop


def test_500_rows_25_invalid(platform: Platform, client: Client, tmp_path: Path) -> None:
    job = platform.submit(write_batch(tmp_path / "b.csv", valid=475, invalid=25))
    assert job.status().status == "queued"
    assert platform.runner_for(cluster=client).run(once=True) == 1
    assert_exactly_once(platform, job, 475)
    errors = job.errors()
    assert len(errors) == 25 and set(errors["stage"]) == {"validation"}
    assert errors["reason"].str.contains("SMILES").all()
    assert errors["input"].str.startswith("C1CC(=O").all()
    results = job.results()
    assert results["compound_id"].nunique() <= 475 and len(results) > 0
    assert set(results["input_row"]) <= set(job.compound_ids())


def test_cancel_mid_job_keeps_what_is_stored_and_writes_nothing_more(
    platform: Platform, client: Client, tmp_path: Path
) -> None:
    job = platform.submit(write_batch(tmp_path / "b.csv", valid=120))
    thread, stop = in_thread(platform.runner_for(chunk_size=2), client)
    try:
        wait_until(lambda: job.status().stored >= 6)
        job.cancel()
        stored_at_cancel = len(platform.per_child(job))
        wait_until(lambda: job.status().status == "cancelled" and job.status().waiting == 0)
        time.sleep(1.0)  # chunks in flight come back and must be discarded
    finally:
        stop.set()
        thread.join(60)
    state = job.status()
    assert state.status == "cancelled" and state.stored == stored_at_cancel < 120
    assert state.cancelled == 120 - stored_at_cancel
    assert len(platform.per_child(job)) == stored_at_cancel


def test_a_dask_worker_killed_mid_job(platform: Platform, env: None, tmp_path: Path) -> None:
    job = platform.submit(write_batch(tmp_path / "b.csv", valid=80))
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    with cluster, Client(cluster) as client:
        pids = client.run(os.getpid)
        thread, stop = in_thread(platform.runner_for(chunk_size=2), client)
        try:
            wait_until(lambda: job.status().stored >= 4)
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            wait_until(lambda: job.status().status == "completed")
        finally:
            stop.set()
            thread.join(60)
    assert_exactly_once(platform, job, 80)


def test_postgres_restarts_mid_job(
    platform: Platform, client: Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="impulator.runner")
    job = platform.submit(write_batch(tmp_path / "b.csv", valid=80))
    thread, stop = in_thread(platform.runner_for(chunk_size=2), client)
    try:
        wait_until(lambda: job.status().stored >= 4)
        platform.cluster.restart()
        wait_until(lambda: _status_or_none(job) == "completed")
        # The runner listens for new jobs again on a new connection, and takes the next one.
        wait_until(lambda: "listening for new jobs again" in caplog.text)
        after = platform.submit(write_batch(tmp_path / "after.csv", valid=2))
        wait_until(lambda: after.status().status == "completed")
    finally:
        stop.set()
        thread.join(60)
    assert_exactly_once(platform, job, 80)


def _status_or_none(job: jobs.Job) -> str | None:
    try:
        return job.status().status
    except store.StoreUnavailable:
        return None


def _runner_process(platform: Platform, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IMPULATOR_DATABASE_URL": platform.runner}
    command = [
        sys.executable,
        "-m",
        "impulator.cli",
        "runner",
        "--cluster",
        "local",
        "--stale-after",
        "2",
        *extra,
    ]
    return subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def test_the_runner_killed_mid_job_and_another_takes_over(
    platform: Platform, tmp_path: Path
) -> None:
    job = platform.submit(write_batch(tmp_path / "b.csv", valid=100))
    first = _runner_process(platform, "--name", "first")
    try:
        wait_until(lambda: job.status().stored >= 4, timeout=180)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the runner and its Dask workers, no goodbye
        first.wait()
    assert job.status().status == "processing"
    time.sleep(2.5)  # its heartbeat goes stale
    second = _runner_process(platform, "--name", "second", "--once")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err.decode()[-2000:]
    assert_exactly_once(platform, job, 100)


def test_two_runners_on_twenty_jobs_do_nothing_twice(
    platform: Platform, client: Client, tmp_path: Path
) -> None:
    structures = iter(STRUCTURES[300:])
    submitted = []
    for i in range(20):
        path = tmp_path / f"b{i}.csv"
        path.write_text("SMILES\n" + "\n".join(next(structures) for _ in range(3)) + "\n")
        submitted.append(platform.submit(path))
    runners = [platform.runner_for(cluster=client, name=f"twin-{n}") for n in (1, 2)]
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda r=r: counts.append(r.run(once=True))) for r in runners
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sum(counts) == 20
    for job in submitted:
        assert_exactly_once(platform, job, 3)


def test_the_listening_connection_never_goes_back_to_the_pool(platform: Platform) -> None:
    """It is in autocommit mode: pooled again, the next transaction's SET LOCAL ROLE would do
    nothing and the runner would write as itself, one statement at a time."""
    runner = Runner(platform.runner + "?application_name=listener-check")  # an engine of its own
    for _ in range(2):
        with runner._listener():
            pass
    with runner.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL ROLE chem")
        assert conn.exec_driver_sql("SELECT current_user").scalar() == "chem"


def test_chunks_store_what_one_transaction_per_compound_stored(
    platform: Platform, client: Client, tmp_path: Path
) -> None:
    """The same input through the earlier path (whole reports back, one transaction per
    compound) and the chunk path (rows prepared on the workers, one transaction per chunk):
    the same compounds and rows come back, and ``results`` reads them in one query."""
    path = write_batch(tmp_path / "b.csv", valid=24, invalid=2)
    before = platform.submit(path)
    assert platform.runner_for(cluster=client, per_compound=True).run(once=True) == 1
    after = platform.submit(path)
    assert platform.runner_for(cluster=client, chunk_size=5).run(once=True) == 1
    for job in (before, after):
        assert_exactly_once(platform, job, 24)
    old_ids, new_ids = before.compound_ids(), after.compound_ids()
    assert sorted(old_ids) == sorted(new_ids) and len(new_ids) == 24
    old_compounds = store.get_many([old_ids[r] for r in sorted(old_ids)], url=platform.chem)
    new_compounds = store.get_many([new_ids[r] for r in sorted(new_ids)], url=platform.chem)
    for old, new in zip(old_compounds, new_compounds, strict=True):
        for name in old.__dataclass_fields__:
            if name not in {"id", "created_at", "job_id", "rows", "summary"}:
                assert getattr(old, name) == getattr(new, name), name
        # The summary says how long each analysis took; everything else is the same.
        assert {**old.summary, "seconds": 0} == {**new.summary, "seconds": 0}
        pd.testing.assert_frame_equal(old.rows, new.rows)

    with counted(platform.chem) as statements:
        results = after.results()
    assert sum("result_rows" in s for s in statements) == 1
    pd.testing.assert_frame_equal(
        before.results().drop(columns="compound_id"), results.drop(columns="compound_id")
    )
    # What results() read one compound at a time before.
    one_by_one = pd.concat(
        [
            store.get(cid, url=platform.chem).rows.assign(input_row=row, compound_id=cid)
            for row, cid in sorted(new_ids.items())
        ],
        ignore_index=True,
    )
    leading = ["input_row", "compound_id"]
    one_by_one = one_by_one[leading + [c for c in one_by_one.columns if c not in leading]]
    pd.testing.assert_frame_equal(results, one_by_one)
