"""The impulator command line, in process and as a real process."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from rdkit import Chem

from impulator.cli import main

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_descriptors_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "descriptors", ASPIRIN, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["inchikey"] == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert data["nha"] == 13 and data["npol"] == 4
    assert data["mw"] == pytest.approx(180.159, abs=1e-3)


def test_descriptors_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "descriptors", ASPIRIN)
    assert code == 0
    assert "tpsa" in out and "63.6000" in out


def test_flags_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flags", "Oc1ccccc1O", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["pains"] is True and data["redox"] is True and data["thiol_reactive"] is False
    assert any(m["flag"] == "redox" and m["atoms"] for m in data["matches"])
    assert data["rdkit"] == Chem.rdBase.rdkitVersion


def test_flags_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flags", "C=CC(=O)N")
    assert code == 0
    assert "thiol_reactive" in out and "True" in out


def test_indices_reference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "indices", ASPIRIN, "--pactivity", "7.5", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["sei"] == pytest.approx(7.5 / (63.6 / 100), abs=1e-3)
    assert data["nbei"] == pytest.approx(7.5 / 13)
    assert data["angle_sei_bei"] == pytest.approx(
        math.degrees(math.atan(10 * 63.6 / 180.159)), abs=1e-3
    )
    assert data["angle_label"] == "poor (too polar)"  # 74 degrees: aspirin is small and polar


def test_indices_zero_tpsa_is_null_not_nan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "indices", "c1ccc2ccccc2c1", "--pactivity", "6", "--json")
    assert code == 0
    data = json.loads(out)  # strict JSON: NaN would not parse in other tools
    assert data["sei"] is None and data["nsei"] is None
    assert data["angle_sei_bei"] == 0.0


def test_molfile_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "aspirin.mol"
    path.write_text(Chem.MolToMolBlock(Chem.MolFromSmiles(ASPIRIN)))
    code, out, _ = run(capsys, "descriptors", f"@{path}", "--json")
    assert code == 0 and json.loads(out)["nha"] == 13
    code, _, err = run(capsys, "descriptors", f"@{tmp_path / 'missing.mol'}")
    assert code == 2 and "cannot open the file" in err


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["descriptors", "C1CC"], "ring bond 1 is opened but never closed"),
        (["flags", "N(C)(C)(C)(C)C"], "has 5 bonds"),
        (["indices", ASPIRIN, "--pactivity", "nan"], "finite number"),
    ],
)
def test_invalid_input_exit_code_2_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and reason in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["indices", ASPIRIN])  # --pactivity is required
    assert info.value.code == 2
    assert "--pactivity" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    exe = shutil.which("impulator") or str(Path(__file__).parents[1] / ".venv/bin/impulator")
    proc = subprocess.run(
        [exe, "descriptors", ASPIRIN, "--json"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["nha"] == 13
    assert proc.stderr == ""  # RDKit warnings do not leak into the terminal
