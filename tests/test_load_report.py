"""The load scenario's pure parts: reading locust's statistics, the peaks of the samples, the
report's lines and the batches it sends (the run itself is ``make load``, not a test)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

LOAD = Path(__file__).resolve().parents[1] / "benchmarks" / "load"
STATS = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,\
90%,95%,98%,99%,99.9%,99.99%,100%
GET,api: poll job,278,0,78,133.8,5,900,300,1.91,0.0,78,110,140,170,250,410,630,700,900,900,900
GET,api: list compounds,866,2,96,258.8,5,3000,900,5.95,0.01,96,140,200,260,520,950,2100,2500,\
3000,3000,3000
POST,hub: log in,100,0,3000,3042.3,100,7600,0,0.69,0.0,3000,3700,5200,5500,6800,7400,7500,7600,\
7600,7600,7600
,Aggregated,1244,2,120,1062.7,5,7600,600,8.55,0.01,120,320,820,1300,2900,4400,13000,N/A,7600,\
7600,7600
"""
FAILURES = """Method,Name,Error,Occurrences
GET,api: list compounds,HTTPError('503: busy'),1
GET,api: list compounds,HTTPError('429: slow down'),2
"""


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"load_{name}", LOAD / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return _load("run")


def test_stats_are_read_in_the_reports_order_with_the_total(run: ModuleType) -> None:
    kinds, total = run.read_stats(STATS)
    assert [k.name for k in kinds] == ["hub: log in", "api: list compounds", "api: poll job"]
    listed = kinds[1]
    assert (listed.count, listed.failures, listed.p50, listed.p95, listed.p99) == (
        866,
        2,
        96,
        950,
        2500,
    )
    assert total is not None and total.count == 1244 and total.p99 == 0.0  # N/A read as 0
    assert run.read_failures(FAILURES)[0] == (
        "api: list compounds",
        "HTTPError('429: slow down')",
        2,
    )


def test_peaks_name_who_held_the_connections(run: ModuleType) -> None:
    samples = [
        run.Sample(0, 5, {"api": 2, "runner": 3}, 270.0, 58.0, 0, 0),
        run.Sample(2, 9, {"api": 4, "runner": 3, "users (load-*)": 2}, 300.0, 60.0, 7, 40),
        run.Sample(4, 6, {"api": 3, "runner": 3}, 290.0, 59.0, 1, 80),
    ]
    peaks = run.peaks(samples)
    assert peaks["connections_peak"] == 9
    assert list(peaks["connections_peak_by_login"]) == ["api", "runner", "users (load-*)"]
    assert (peaks["hub_rss_mb_start"], peaks["hub_rss_mb_peak"], peaks["hub_rss_mb_end"]) == (
        270.0,
        300.0,
        290.0,
    )
    assert peaks["unfinished_jobs_peak"] == 7
    assert run.peaks([]) == {}
    assert run.login_group("load-0042") == "users (load-*)" and run.login_group("api") == "api"


def test_the_report_says_errors_connections_memory_and_the_drain(run: ModuleType) -> None:
    kinds, total = run.read_stats(STATS)
    result = {
        "users": 100,
        "seconds": 180,
        "machine": "2 cores",
        "max_connections": 100,
        "kinds": [vars(k) for k in kinds],
        "total": vars(total),
        "failures": run.read_failures(FAILURES),
        "peaks": run.peaks([run.Sample(0, 9, {"api": 9}, 280.0, 60.0, 3, 10)]),
        "drain": {
            "submitted": 40,
            "unfinished_at_end": 3,
            "drained": False,
            "seconds": 600.0,
            "unfinished": 2,
            "compounds_stored": 300,
            "stored_per_s": 0.4,
        },
    }
    text = run.format_report(result)
    assert "errors: 2 of 1244 requests" in text
    assert "PostgreSQL connections: peak 9 of max_connections 100" in text
    assert "hub RSS: 280.0 MB at start" in text
    assert "NOT drained after 600 s (2 left)" in text
    assert "api: list compounds" in text.splitlines()[3]


def test_batches_have_5_to_20_distinct_rows_of_the_pool() -> None:
    scenario = _load("scenario")
    pool = [f"C{'C' * i}O" for i in range(40)]
    rng = random.Random(1)
    for _ in range(50):
        body, rows = scenario.batch_csv(rng, pool, "load-0001")
        lines = body.splitlines()
        assert lines[0] == "smiles,name" and 5 <= rows <= 20 and len(lines) == rows + 1
        assert len({line.split(",")[0] for line in lines[1:]}) == rows
    assert scenario.account(7) == "load-0007"
