"""The store benchmark runs end to end on a few rows and prints what it promises.

Speed is measured in benchmarks/, never asserted here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.postgres import find_bindir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    spec = importlib.util.spec_from_file_location(
        "bench_store", ROOT / "benchmarks" / "bench_store.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_prints_both_rates_the_ratio_and_the_save(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--rows", "60", "--repeats", "1", "--per-row"]) == 0
    out = capsys.readouterr().out
    rate = r"\s+[\d,]+ rows/s \(median of 1, min-max [\d,]+-[\d,]+\); 60 rows in [\d.]+ s$"
    for name in ("copy", "orm", "orm-per-row"):
        assert re.search(rf"^{name}:{rate}", out, re.MULTILINE), name
    ratio = r"^ratio: [\d.]+x \(COPY path vs ORM add_all; goal: 5x or more\); CPU seconds: [\d.]+x$"
    assert re.search(ratio, out, re.MULTILINE)
    for name in ("copy", "orm"):
        cpu = rf"^{name} cpu:\s+[\d.]+ s this process \+ [\d.]+ s PostgreSQL backend \(medians\)$"
        assert re.search(cpu, out, re.MULTILINE), name
    assert re.search(r"^save: store.save of the 60-row report in [\d.]+ s", out, re.MULTILINE)
    chunk = r"^chunk: 10 reports of 13 rows: 10 store.save \d+ ms, one store.save_many \d+ ms"
    assert re.search(chunk, out, re.MULTILINE)
    assert "reference ratio:" in out


def test_json_output(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--rows", "30", "--repeats", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["settings"] == {"rows": 30, "columns": 96, "repeats": 1}
    assert result["copy"]["rows_per_s_median"] > 0 and result["orm"]["rows_per_s_median"] > 0
    assert result["ratio"] > 0 and len(result["save_seconds"]) == 1
    assert len(result["chunk"]["saves"]) == len(result["chunk"]["save_many"]) == 1
