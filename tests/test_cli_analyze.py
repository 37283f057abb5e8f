"""``impulator analyze`` and ``impulator data`` on the demo fixture, in process and as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from impulator.cli import main
from tests.conftest import DASATINIB


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_dasatinib_text(demo_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", DASATINIB)
    assert code == 0
    assert "demo: MoleculeACE 3.0.0" in out
    assert "CHEMBL1421" in out and "DASATINIB" in out
    assert "oqpla-2: High = an efficiency outlier" in out


def test_analyze_json_has_the_abl1_ki(demo_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", "dasatinib", "--json", "--model", "imp-4")
    assert code == 0
    data = json.loads(out)
    assert data["provenance"]["scoring_model"] == "imp-4"
    abl1 = [
        r
        for r in data["rows"]
        if r["molecule_chembl_id"] == "CHEMBL1421" and r["target_chembl_id"] == "CHEMBL1862"
    ]
    assert len(abl1) == 1
    assert abl1[0]["value_nm"] == pytest.approx(0.457, rel=0.01)
    assert abl1[0]["pactivity"] == pytest.approx(9.34, abs=0.005)
    assert abl1[0]["classification"]


def test_analyze_csv(demo_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "rows.csv"
    code, _, err = run(capsys, "analyze", "CHEMBL1421", "--csv", str(out_file))
    assert code == 0 and "rows written" in err
    assert "CHEMBL1421" in set(pd.read_csv(out_file, encoding="utf-8-sig")["molecule_chembl_id"])
    code, _, _ = run(capsys, "analyze", "CHEMBL1421", "--csv", str(out_file), "--prototype-columns")
    assert code == 0 and "OQPLA_Final_Score" in pd.read_csv(out_file, encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("C1CC", 2, "ring bond 1 is opened but never closed"),
        ("notamolecule", 2, "nor is it a name or synonym"),
        ("CHEMBL999999999", 2, "is not a ChEMBL id, InChIKey, name or synonym"),
        ("CCCCCCCCCCCCCCCCCCCC(=O)O", 3, "neighbours at lower thresholds: 0.80:"),
    ],
)
def test_analyze_errors_are_one_line(
    demo_env: Path, capsys: pytest.CaptureFixture[str], query: str, code: int, words: str
) -> None:
    got, out, err = run(capsys, "analyze", query)
    assert got == code
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and words in err


def test_corrupted_index_exit_4(
    demo_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    (data / "demo" / "chembl_demo.h5").write_bytes(b"not an index")
    monkeypatch.setenv("IMPULATOR_DATA_DIR", str(data))
    monkeypatch.setenv("IMPULATOR_PDB_SOURCE", "none")
    code, _, err = run(capsys, "analyze", DASATINIB)
    assert code == 4
    assert "rebuild it with `impulator data index`" in err and "Traceback" not in err


def test_unreachable_web_source_exit_4(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMPULATOR_CHEMBL_SOURCE", "web")  # and IMPULATOR_OFFLINE=1
    code, _, err = run(capsys, "analyze", DASATINIB)
    assert code == 4
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_load_chembl_registers_a_dump(
    demo_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IMPULATOR_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("IMPULATOR_PDB_SOURCE", "none")
    monkeypatch.delenv("IMPULATOR_CHEMBL_URL", raising=False)
    monkeypatch.delenv("IMPULATOR_CHEMBL_SOURCE", raising=False)
    dump = demo_dir / "demo" / "chembl_demo.sqlite"
    code, _, err = run(capsys, "data", "load-chembl", str(dump))
    assert code == 0 and "registered demo: MoleculeACE 3.0.0" in err
    assert "similarity index ready" in err
    registry = json.loads((tmp_path / "user" / "sources.json").read_text())
    assert registry["chembl"]["url"].endswith("chembl_demo.sqlite")
    code, out, _ = run(capsys, "data", "status", "--json")
    assert json.loads(out)["chembl_source"] == "auto"
    code, out, _ = run(capsys, "analyze", DASATINIB, "--json")
    assert code == 0 and json.loads(out)["provenance"]["bioactivity_source"].endswith("local")
    code, _, err = run(capsys, "data", "load-chembl", str(tmp_path / "nothing.db"))
    assert code == 2 and "no file at" in err


def test_analyze_as_a_process(demo_env: Path) -> None:
    env = {**os.environ, "IMPULATOR_DATA_DIR": str(demo_env), "IMPULATOR_PDB_SOURCE": "none"}
    proc = subprocess.run(
        [sys.executable, "-m", "impulator.cli", "analyze", "imatinib-not-here", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("impulator: ") and "Traceback" not in proc.stderr
