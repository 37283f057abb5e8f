"""The benchmark script runs end to end on a few molecules and prints what it promises.

Speed is measured in benchmarks/, never asserted here: no wall-clock limit, no ratio check.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "moleculeace_sample.csv"
FEW = ["--limit", "20", "--baseline-limit", "5", "--repeats", "1"]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench_science")


def test_prints_both_rates_and_the_ratio(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main([*FEW, "--data", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    rate = (
        r"\s+[\d.]+ molecules/s \(median of 1, min-max [\d.]+-[\d.]+\); {n} molecules, \d+ invalid"
    )
    assert re.search(r"^impulator:" + rate.format(n=20), out, re.MULTILINE)
    assert re.search(r"^naive:" + rate.format(n=5), out, re.MULTILINE)
    assert re.search(
        r"^speedup: [\d.]+x \(impulator vs naive per-molecule catalogues\)$", out, re.MULTILINE
    )
    assert re.search(r"^impulator [\w.+-]+, RDKit [\w.+-]+$", out, re.MULTILINE)
    assert "reference speedup:" in out


def test_json_output(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main([*FEW, "--data", str(SAMPLE), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["impulator"]["molecules"] == 20
    assert result["naive"]["molecules"] == 5
    assert result["impulator"]["invalid"] == 0  # the sample is all valid ChEMBL structures
    assert result["speedup"] > 0
    assert result["data"]["unique_smiles"] == 299


def test_falls_back_to_the_sample_with_a_note(
    bench: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    molecules = bench.load_molecules(None)
    assert "is not installed" in capsys.readouterr().err
    assert molecules.source.endswith("moleculeace_sample.csv")
    assert len(molecules.smiles) == 299


def test_sample_is_deterministic(bench: ModuleType) -> None:
    smiles = [f"C{'C' * i}O" for i in range(50)]
    assert bench.sample(smiles, 10) == bench.sample(list(reversed(smiles)), 10)
    assert len(bench.sample(smiles, 500)) == 50


def test_sample_csv_shape() -> None:
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert header == "smiles,value_nm,target_chembl_id,activity_type,cliff_mol"
    assert SAMPLE.stat().st_size < 60_000


def test_pipeline_benchmark_runs_on_the_demo_fixture(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pipeline benchmark's lines are printed; its numbers are not judged here."""
    bench_pipeline = _load("bench_pipeline")
    code = bench_pipeline.main(["--compounds", "3", "--queries", "3", "--library-size", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "analyze warm: median" in out and "over 3 compounds" in out
    for baseline in (
        "no cache files (baseline)",
        "filling the CCD key and structure files",
        "CCD key file filled, no structure file",
    ):
        assert f"analyze warm, {baseline}: median" in out
    assert "faster than the baseline (goal: median <= 20 ms)" in out
    assert "similarity (demo," in out and "same hits: True" in out


def test_batch_benchmark_runs_on_the_demo_fixture(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Serial, 1 and 2 Dask workers on a few demo compounds: the lines are printed."""
    bench_batch = _load("bench_batch")
    code = bench_batch.main(["--limit", "3", "--warmup", "1", "--repeats", "1", "--no-pdb"])
    out = capsys.readouterr().out
    assert code == 0
    rate = r"\s+[\d.]+ compounds/s \(median of 1, min-max [\d.]+-[\d.]+\); 3 compounds"
    for name in ("serial analyze", "dask, 1 worker", "dask, 2 workers"):
        assert re.search(rf"^{name}:{rate}", out, re.MULTILINE), name
    assert re.search(r"^speed-up 1 -> 2 workers: [\d.]+x; 1 worker vs serial: ", out, re.MULTILINE)
    assert "reference speed-up 1 -> 2 workers:" in out


def test_jobs_benchmark_runs_on_the_demo_fixture(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real PostgreSQL, the runner on 1 and 2 Dask workers, a serial loop: lines printed."""
    from tests.postgres import find_bindir

    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    bench_jobs = _load("bench_jobs")
    code = bench_jobs.main(["--limit", "6", "--warmup", "2", "--repeats", "1", "--no-pdb"])
    out = capsys.readouterr().out
    assert code == 0
    rate = r"\s+[\d.]+ compounds/s \(median of 1, min-max [\d.]+-[\d.]+\); 6 compounds"
    for name in ("serial analyze", "runner, 1 worker", "runner, 2 workers"):
        assert re.search(rf"^{name}:{rate}", out, re.MULTILINE), name
    assert re.search(
        r"^speed-up 1 -> 2 workers: [\d.]+x \(target 1\.7x or better on 2 cores\); "
        r"1 worker vs serial: [\d.]+x; 2 workers vs serial: [\d.]+x$",
        out,
        re.MULTILINE,
    )
    for label in ("1 worker", "2 workers"):
        assert re.search(
            rf"^time split, {label}: [\d.]+ s in the runner: storing [\d.]+ s \(\d+%, \d+ ms a "
            r"compound\), waiting for the workers and the rest [\d.]+ s \(\d+%\); analysis on "
            r"the workers [\d.]+ worker-s \(\d+ ms a compound\), workers busy \d+% of the time$",
            out,
            re.MULTILINE,
        ), label
        assert re.search(
            rf"^cpu, {label}: workers [\d.]+ s, runner process [\d.]+ s, postgresql "
            r"(?:[\d.]+ s|n/a)(?:, other processes [\d.]+ s)?; of [\d.]+ core-s",
            out,
            re.MULTILINE,
        ), label
    assert "reference speed-up 1 -> 2 workers:" in out


def test_explorer_benchmark_runs_on_a_small_database(capsys: pytest.CaptureFixture[str]) -> None:
    """The Explorer's page change against store.list, on a real PostgreSQL: lines printed."""
    from tests.postgres import find_bindir

    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    code = _load("bench_explorer").main(["--compounds", "130", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"store.list alone: +[\d.]+ ms", out), out
    assert re.search(r"ExplorerPage.go_to \(cold\): +[\d.]+ ms +\([\d.]+x store.list\)", out), out


def test_exports_benchmark_runs_on_a_few_compounds(capsys: pytest.CaptureFixture[str]) -> None:
    """CSV and Excel of a few compounds, one by one and with get_many: the lines are printed."""
    from tests.postgres import find_bindir

    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    code = _load("bench_exports").main(["--compounds", "4", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0
    for label in ("read alone", "CSV export", "Excel export"):
        assert re.search(
            rf"^{label}: +one by one +[\d.]+ s \(20 statements\), get_many +[\d.]+ s "
            r"\(5 statements\); ratio [\d.]+x \(median of 1, 4 compounds\)$",
            out,
            re.MULTILINE,
        ), out


def test_observability_benchmark_prints_both_costs(capsys: pytest.CaptureFixture[str]) -> None:
    """Statement timing and JSON log lines, each next to its plain counterpart."""
    from tests.postgres import find_bindir

    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    code = _load("bench_observability").main(
        ["--statements", "20", "--lines", "50", "--repeats", "1"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(
        r"^statement: plain [\d.]+ us, timed [\d.]+ us; ratio [\d.]+x \(median of 1, 20 "
        r"statements, PostgreSQL on loopback\); plain against plain [\d.]+x$",
        out,
        re.MULTILINE,
    ), out
    assert re.search(
        r"^log line: plain [\d.]+ us, JSON redacted [\d.]+ us; ratio [\d.]+x \(median of 1, "
        r"50 lines\); with a database URL to hide [\d.]+ us$",
        out,
        re.MULTILINE,
    ), out


def test_api_benchmark_runs_with_a_few_clients(capsys: pytest.CaptureFixture[str]) -> None:
    """The API on uvicorn and the library, get and list, a few clients: the lines are printed."""
    from tests.postgres import find_bindir

    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    code = _load("bench_api").main(["--compounds", "3", "--clients", "3", "--requests", "2"])
    out = capsys.readouterr().out
    assert code == 0
    for label in ("get one compound", "list a page of 50"):
        for path in ("api", "library"):
            assert re.search(
                rf"^{label}, {path}: +p50 +[\d.]+ ms, p95 +[\d.]+ ms, +[\d.]+ requests/s "
                r"\(6 requests\)$",
                out,
                re.MULTILINE,
            ), out
        assert re.search(
            rf"^{label}, API overhead: p50 [\d.]+x, p95 [\d.]+x the library; throughput "
            r"[\d.]+x lower$",
            out,
            re.MULTILINE,
        ), out
