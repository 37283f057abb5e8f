"""JobState: the one list of job states, as the database stores them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from impulator import jobs, store
from impulator.cli import build_parser
from impulator.store import JOB_STATUSES, JobState
from impulator.ui._home import RUNNING_STATUSES

VALUES = ("queued", "processing", "completed", "failed", "cancelled")


def test_the_values_are_the_stored_strings() -> None:
    assert tuple(state.value for state in JobState) == VALUES
    assert JOB_STATUSES == VALUES and all(type(s) is str for s in JOB_STATUSES)
    for state in JobState:
        assert state == state.value and isinstance(state, str)
        assert f"{state}" == str(state) == state.value
        assert json.dumps({state: state}) == f'{{"{state.value}": "{state.value}"}}'
        assert {state.value: 1}[state] == 1  # hashes as its text


def test_the_database_check_allows_exactly_the_states() -> None:
    checks = [c for c in store.Job.__table__.constraints if isinstance(c, sa.CheckConstraint)]
    [status] = [c for c in checks if "status" in str(c.sqltext)]
    for value in VALUES:
        assert f"'{value}'" in str(status.sqltext)
    path = Path(store.__file__).parent / "migrations" / "versions" / "0001_initial.py"
    spec = importlib.util.spec_from_file_location("initial", path)
    assert spec and spec.loader
    initial = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(initial)
    assert "status IN (" + ", ".join(f"'{v}'" for v in VALUES) + ")" == initial.STATUSES


def test_running_and_finished_split_the_states() -> None:
    assert [s for s in JobState if s.running] == [JobState.QUEUED, JobState.PROCESSING]
    assert [s for s in JobState if s.finished] == [
        JobState.COMPLETED,
        JobState.FAILED,
        JobState.CANCELLED,
    ]
    assert RUNNING_STATUSES == ("queued", "processing")
    assert jobs.JobState is JobState


def test_a_job_reports_its_state(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    job = jobs.submit(["CCO"], url=url)
    state = job.status()
    assert state.status is JobState.QUEUED and not state.done
    assert type(state.to_dict()["status"]) is str and state.to_dict()["status"] == "queued"
    assert job.cancel() and job.status().status is JobState.CANCELLED and job.status().done
    assert list(jobs.list_jobs(JobState.CANCELLED, url=url)["id"]) == [job.id]
    assert list(jobs.list_jobs("cancelled", url=url)["id"]) == [job.id]
    assert jobs.list_jobs(JobState.QUEUED, url=url).empty
    with pytest.raises(ValueError, match="status must be one of queued, processing, completed"):
        jobs.list_jobs("done", url=url)


def test_the_command_line_offers_the_states(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["jobs", "list", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--status STATE only the jobs in this state: queued, processing, completed," in shown
    with pytest.raises(SystemExit):
        build_parser().parse_args(["jobs", "list", "--status", "done"])
    assert "invalid choice: 'done'" in capsys.readouterr().err
    assert build_parser().parse_args(["jobs", "list", "--status", "failed"]).status == "failed"
