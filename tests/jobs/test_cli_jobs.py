"""``impulator jobs ...`` end to end, as a user types it: a real PostgreSQL database with a
chemist, a viewer and a runner login (``Platform`` of test_runner.py), the commands through
``impulator.cli.main`` with ``IMPULATOR_DATABASE_URL`` set to the user's URL, and
``impulator runner --once --cluster local`` as a process of its own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from impulator import store
from impulator.cli import main
from tests.jobs.test_runner import Platform, write_batch
from tests.postgres import PostgresCluster

DATA = Path(__file__).resolve().parents[1] / "data"
#: 20 rows: 3 (an unclosed ring) and 17 (a carbon with six bonds) are invalid; the other 18
#: are 16 distinct structures (a salt and a repeat), each row stored as a compound of its own.
BATCH_20 = DATA / "batch_20.csv"


def environment(demo_dir: Path, url: str) -> dict[str, str]:
    """The process environment of a user of ``url`` with the demo ChEMBL, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPULATOR_")}
    env |= {
        "IMPULATOR_DATA_DIR": str(demo_dir),
        "IMPULATOR_PDB_SOURCE": "ccd",
        "IMPULATOR_OFFLINE": "1",
        "IMPULATOR_DATABASE_URL": url,
    }
    return env


def use(mp: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Make ``env``'s IMPULATOR_* variables (and only those) this process's."""
    for name in [k for k in os.environ if k.startswith("IMPULATOR_")]:
        mp.delenv(name)
    for name, value in env.items():
        if name.startswith("IMPULATOR_"):
            mp.setenv(name, value)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> Platform:
    return Platform(postgres)


@pytest.fixture
def chemist(platform: Platform, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, environment(demo_dir, platform.chem))


@pytest.fixture(scope="module")
def batch_job(platform: Platform, demo_dir: Path) -> tuple[int, str]:
    """batch_20.csv submitted by the chemist with ``jobs submit``, then processed by one
    ``impulator runner --once``: the job id and what the submit printed on stdout."""
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()) as out:
        use(mp, environment(demo_dir, platform.chem))
        code = main(["jobs", "submit", str(BATCH_20), "--no-pdb"])
    assert code == 0
    printed = out.getvalue()
    runner = subprocess.run(
        [sys.executable, "-m", "impulator.cli", "runner", "--once", "--cluster", "local"],
        env=environment(demo_dir, platform.runner),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert runner.returncode == 0, runner.stderr[-3000:]
    assert re.search(r"runner \S+: \d+ jobs processed", runner.stderr), runner.stderr[-3000:]
    return int(printed), printed


def test_submit_prints_only_the_job_id_and_cancel_stops_a_queued_job(
    chemist: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_batch(tmp_path / "three.csv", valid=3)
    code, out, _ = run(capsys, "jobs", "submit", str(path), "--no-pdb")
    assert code == 0 and re.fullmatch(r"\d+\n", out), out
    job_id = int(out)
    code, out, _ = run(capsys, "jobs", "status", str(job_id), "--json")
    state = strict_json(out)
    assert code == 0
    assert (state["status"], state["total"], state["waiting"]) == ("queued", 3, 3)

    code, out, _ = run(capsys, "jobs", "cancel", str(job_id))
    assert (code, out) == (0, f"job {job_id}: cancelled (compounds stored so far are kept)\n")
    code, out, _ = run(capsys, "jobs", "cancel", str(job_id))  # again: says so, changes nothing
    assert (code, out) == (0, f"job {job_id}: already cancelled; nothing to cancel\n")
    code, out, _ = run(capsys, "jobs", "status", str(job_id), "--json")
    state = strict_json(out)
    assert state["status"] == "cancelled" and state["completed_at"] is not None
    assert (state["cancelled"], state["stored"], state["waiting"]) == (3, 0, 0)
    code, out, _ = run(capsys, "jobs", "list", "--status", "cancelled", "--json")
    assert code == 0 and job_id in [j["id"] for j in strict_json(out)["jobs"]]


def test_the_runner_stores_every_valid_row(
    batch_job: tuple[int, str], chemist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id, printed = batch_job
    assert printed == f"{job_id}\n"  # only the id: scripts read it with $(...)
    code, out, err = run(capsys, "jobs", "status", str(job_id), "--json")
    assert (code, err) == (0, "")
    state = strict_json(out)
    assert state["id"] == job_id
    assert (state["status"], state["progress"], state["error_message"]) == ("completed", 100, None)
    counts = {k: state[k] for k in ("total", "stored", "failed", "invalid", "waiting", "cancelled")}
    assert counts == {
        "total": 20,
        "stored": 18,
        "failed": 0,
        "invalid": 2,
        "waiting": 0,
        "cancelled": 0,
    }
    started, completed = (datetime.fromisoformat(state[k]) for k in ("started_at", "completed_at"))
    assert datetime.fromisoformat(state["created_at"]) <= started <= completed


def test_errors_lists_the_two_invalid_rows_with_reasons(
    batch_job: tuple[int, str], chemist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id, _ = batch_job
    code, out, _ = run(capsys, "jobs", "errors", str(job_id))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith("row 3 (validation): unreadable SMILES: ring bond")
    assert lines[0].endswith("[CC1CC(=O)N]")
    assert lines[1].startswith("row 17 (validation): unreadable SMILES: atom 2 (C) has 6 bonds")
    assert lines[1].endswith("[CC(=O)(=O)Nc1ccccc1]")

    code, out, _ = run(capsys, "jobs", "errors", str(job_id), "--json")
    errors = strict_json(out)["errors"]
    assert [(e["row"], e["stage"]) for e in errors] == [(3, "validation"), (17, "validation")]
    assert all(e["reason"].startswith("unreadable SMILES") for e in errors)


def test_list_json(
    batch_job: tuple[int, str], chemist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id, _ = batch_job
    code, out, err = run(capsys, "jobs", "list", "--json")
    assert (code, err) == (0, "")
    listed = {j["id"]: j for j in strict_json(out)["jobs"]}
    job = listed[job_id]
    assert (job["status"], job["progress"], job["owner"]) == ("completed", 100, "chem")
    assert (job["source"], job["total"]) == ("batch_20.csv", 20)
    assert datetime.fromisoformat(job["completed_at"]) >= datetime.fromisoformat(job["created_at"])
    code, out, _ = run(capsys, "jobs", "list", "--status", "completed", "--json")
    assert {j["status"] for j in strict_json(out)["jobs"]} == {"completed"}


def test_retry_queues_nothing_when_nothing_failed(
    batch_job: tuple[int, str], chemist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id, _ = batch_job
    code, out, _ = run(capsys, "jobs", "retry", str(job_id))
    assert (code, out) == (0, f"job {job_id}: 0 compounds queued again\n")
    code, out, _ = run(capsys, "jobs", "status", str(job_id), "--json")
    assert strict_json(out)["status"] == "completed"


def test_an_unknown_job_is_one_line_and_exit_2(
    chemist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in ("status", "errors", "cancel", "retry"):
        code, out, err = run(capsys, "jobs", action, "987654")
        assert (code, out) == (2, ""), action
        assert err == "impulator: no job 987654 (it does not exist or is not yours)\n", action


def test_a_viewer_cannot_submit(
    platform: Platform,
    demo_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    viewer = store.provision_user("vera", "viewer", url=platform.admin)
    use(monkeypatch, environment(demo_dir, viewer))
    code, out, err = run(capsys, "jobs", "submit", str(BATCH_20), "--no-pdb")
    assert (code, out) == (5, "")
    assert err.count("\n") == 1 and err.startswith("impulator: cannot submit a batch: vera ")
    assert "read-only" in err
    engine = sa.create_engine(platform.admin)
    try:
        with engine.connect() as conn:
            mine = "SELECT count(*) FROM jobs WHERE owner = 'vera'"
            assert conn.execute(sa.text(mine)).scalar() == 0
    finally:
        engine.dispose()


def test_a_csv_without_a_usable_column_is_exit_2(
    chemist: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "assay.csv"
    path.write_text("weight,colour\n12,red\n13,blue\n")
    code, out, err = run(capsys, "jobs", "submit", str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("impulator: assay.csv: no column holds")
    assert "'weight', 'colour'" in err
