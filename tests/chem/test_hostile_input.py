"""1,000 malformed or hostile strings: no crash, no hang, a clear error each."""

from __future__ import annotations

import subprocess
import sys

import pytest

from impulator import InvalidStructure
from impulator.chem import Structure, standardize
from impulator.cli import main
from tests.hostile_inputs import hostile_strings

STRINGS = hostile_strings()


def test_there_are_a_thousand_distinct_enough_inputs() -> None:
    assert len(STRINGS) == 1000
    assert len(set(STRINGS)) > 900


@pytest.mark.slow
def test_standardize_rejects_or_reads_each() -> None:
    rejected = 0
    for text in STRINGS:
        try:
            result = standardize(text)
        except InvalidStructure as exc:
            rejected += 1
            message = str(exc)
            assert message.startswith("cannot read "), message
            assert exc.reason and exc.reason in message
            assert len(message) < 400 and "\n" not in message
        else:
            # A few random strings are valid SMILES ("C", "CO", ...): they must be real molecules.
            assert isinstance(result, Structure) and result.inchikey
    assert rejected > 900


@pytest.mark.slow
def test_cli_answers_each_with_exit_code_2_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for text in STRINGS:
        if text.startswith("-"):
            continue  # would be read as an option by any command line
        code = main(["descriptors", text])
        out, err = capsys.readouterr()
        if code == 0:
            assert "inchikey" in out
            continue
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("impulator: cannot read "), err


@pytest.mark.parametrize("text", ["C1CC", "[Xx]", "'; DROP TABLE compounds; --", "C" * 10_240])
def test_cli_process_exit_code(text: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "impulator.cli", "flags", text],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("impulator: cannot read ")
