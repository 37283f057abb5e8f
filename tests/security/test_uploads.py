"""Hostile uploads through the public batch readers: file names, archives, huge files, wrong
encodings and NUL bytes. Each is read correctly or refused with a sentence, in bounded memory,
and a refused upload leaves no job behind.

The large inputs are built and read in a subprocess, so its peak RSS (``ru_maxrss``) is the
reader's own; the numbers are printed (``pytest -s``).
"""

from __future__ import annotations

import codecs
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from impulator import jobs, store
from impulator.batch import BatchTooLarge, read_batch
from impulator.store import _session
from impulator.ui._batch import BatchPage

REPO = Path(__file__).resolve().parents[2]
#: A generous bound on a reader's peak RSS (Python, RDKit and pandas alone take ~250 MB).
MAX_RSS_MB = 1_500
TABLE = "SMILES,Name\nCCO,caf\u00e9\nC1CC,broken\nCCN,amine\n"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    found = f"sqlite:///{tmp_path / 'impulator.sqlite'}"
    store.upgrade(found)
    yield found
    _session.dispose()


def _job_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM jobs")).scalar_one())
    finally:
        engine.dispose()


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


# -- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("/etc/passwd.csv", "passwd.csv"),
        ("..\\..\\Windows\\win.ini.csv", "win.ini.csv"),
        ("..", "upload"),
        ("", "upload"),
        ("evil\nname\r.csv", "evil\\nname\\r.csv"),
    ],
)
def test_a_path_in_the_file_name_writes_nothing_outside_and_shows_the_last_part(
    filename: str, shown: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The upload folder and the working directory sit two levels below tmp_path: a name
    # that climbs out of either would land among tmp_path's files.
    uploads = tmp_path / "a" / "uploads"
    work = tmp_path / "b" / "work"
    uploads.mkdir(parents=True)
    work.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    monkeypatch.chdir(work)
    before = _files_under(tmp_path)

    batch = read_batch(TABLE.encode(), filename=filename)
    assert batch.source == shown
    page = BatchPage(url)
    assert page.load(TABLE.encode(), filename) is not None
    job = page.submit()
    assert job is not None, page.submit_status.value
    state = jobs.get(job.id, url=url).status()
    assert (state.total, state.invalid, state.waiting) == (3, 1, 2)
    assert page.batch is not None and page.batch.source == shown

    after = _files_under(tmp_path) - before
    assert {p.name for p in after} <= {"impulator.sqlite", "impulator.sqlite-journal"}, after
    assert not Path("/etc/passwd.csv").exists()


# -- archives --------------------------------------------------------------------------------


def _zip_bomb(size: int) -> bytes:
    """An xlsx-shaped zip whose one sheet inflates to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"\0" * 1_000_000
            for _ in range(size // len(block)):
                sheet.write(block)
    return buffer.getvalue()


def test_an_xlsx_zip_bomb_is_refused_unopened(url: str) -> None:
    bomb = _zip_bomb(200_000_000)
    assert len(bomb) < 1_000_000
    with pytest.raises(ValueError, match="reads CSV/TSV tables and SDF files") as raised:
        read_batch(bomb, filename="results.xlsx")
    assert str(raised.value).startswith("results.xlsx: impulator reads CSV/TSV tables")
    page = BatchPage(url)
    assert page.load(bomb, "results.xlsx") is None
    assert "save it as CSV" in page.file_status.value  # refused as it arrives
    with pytest.raises(ValueError, match="save it as CSV"):
        jobs.submit(bomb, url=url)  # bytes without a name: not a table either
    assert _job_count(url) == 0


# -- huge inputs, in a subprocess --------------------------------------------------------------

_READER = """
import json, resource, sys, time
from impulator.batch import read_batch
data = build()
started = time.monotonic()
try:
    batch = read_batch(data, filename=NAME)
except Exception as exc:
    outcome = {"error": type(exc).__name__, "message": str(exc)}
else:
    outcome = {"rows": len(batch.rows), "errors": [[e.row, e.reason] for e in batch.errors]}
outcome["seconds"] = time.monotonic() - started
outcome["input_mb"] = len(data) / 1e6
outcome["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(outcome))
"""


def _read_in_subprocess(name: str, build: str) -> dict[str, Any]:
    script = textwrap.dedent(build) + f"\nNAME = {name!r}\n" + _READER
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'kernel_pkg'}{os.pathsep}{REPO}"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcome: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"\n{name}: {outcome['input_mb']:.1f} MB in, peak RSS {outcome['peak_rss_mb']:.0f} MB, "
        f"{outcome['seconds']:.1f} s: {outcome.get('error') or outcome.get('errors')}"
    )
    assert outcome["peak_rss_mb"] < MAX_RSS_MB
    return outcome


def test_an_sdf_record_of_a_million_atoms_is_a_named_row_error() -> None:
    outcome = _read_in_subprocess(
        "million_atoms.sdf",
        """
        def build():
            n = 1_000_000
            # 24 MB, under the 50 MB upload limit: a million carbons (bonds would pass it).
            atoms = "".join(f"M  V30 {i} C 0 0 0 0\\n" for i in range(1, n + 1))
            return (
                f"big\\n  impulator\\n\\n  0  0  0     0  0            999 V3000\\n"
                f"M  V30 BEGIN CTAB\\nM  V30 COUNTS {n} 0 0 0 0\\nM  V30 BEGIN ATOM\\n"
                f"{atoms}M  V30 END ATOM\\nM  V30 END CTAB\\nM  END\\n$$$$\\n"
            ).encode()
        """,
    )
    assert outcome["rows"] == 0
    [[row, reason]] = outcome["errors"]
    assert row == 1
    assert "characters long; impulator reads at most 500,000" in reason


def test_an_sdf_of_four_million_tiny_records_stops_at_the_row_limit() -> None:
    outcome = _read_in_subprocess(
        "many_records.sdf",
        """
        def build():
            return (b"x\\nM  END\\n$$$$\\n" * 4_000_000)[:49_000_000]
        """,
    )
    assert outcome["error"] == "BatchTooLarge"
    assert "has more than 10,000 compounds" in str(outcome["message"])


def test_a_csv_of_a_million_distinct_rows_is_refused_before_validation() -> None:
    outcome = _read_in_subprocess(
        "million_rows.csv",
        """
        def build():
            rows = (f"[{i % 300 + 1}CH3][{i // 300 % 300 + 1}CH2]O,r{i}" for i in range(10**6))
            return ("smiles,name\\n" + "\\n".join(rows) + "\\n").encode()
        """,
    )
    assert outcome["error"] == "BatchTooLarge"
    message = str(outcome["message"])
    assert message.startswith("million_rows.csv has more than 10,000 compounds")
    assert "Split it into parts" in message
    # Counted, not validated: 10,000 standardisations would take 10 s or more.


def test_a_csv_of_100_mb_is_refused_by_its_size() -> None:
    outcome = _read_in_subprocess(
        "hundred_mb.csv",
        """
        def build():
            return b"smiles\\n" + b"CCO\\n" * 25_000_000
        """,
    )
    assert outcome["error"] == "BatchTooLarge"
    assert "is 100.0 MB; a batch may be at most 50.0 MB" in str(outcome["message"])


# -- encodings and NUL bytes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        TABLE.encode("utf-16"),  # little-endian with its byte-order mark
        codecs.BOM_UTF16_BE + TABLE.encode("utf-16-be"),
        codecs.BOM_UTF8 + TABLE.encode("latin-1"),  # a UTF-8 mark on latin-1 text
        TABLE.encode("latin-1"),
        TABLE.encode("utf-8-sig"),
    ],
    ids=["utf-16-le-bom", "utf-16-be-bom", "latin-1-with-utf-8-bom", "latin-1", "utf-8-bom"],
)
def test_encodings_with_a_byte_order_mark_are_read_right(data: bytes) -> None:
    batch = read_batch(data, filename="in.csv")
    assert batch.columns == {"query": "SMILES", "name": "Name"}
    assert [(r.row, r.name) for r in batch.rows] == [(1, "caf\u00e9"), (3, "amine")]
    assert [(e.row, e.input) for e in batch.errors] == [(2, "C1CC")]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_mark_is_refused_with_a_sentence(encoding: str, url: str) -> None:
    data = TABLE.encode(encoding)
    with pytest.raises(ValueError, match="NUL bytes") as raised:
        read_batch(data, filename="in.csv")
    assert str(raised.value) == (
        "in.csv: its header line holds NUL bytes, so it is not a text table (a binary file, "
        "or UTF-16 without its byte-order mark); save it as CSV (UTF-8) or SDF"
    )
    page = BatchPage(url)
    assert page.load(data, "in.csv") is None
    assert "header line holds NUL bytes" in page.report.value
    assert _job_count(url) == 0


def test_a_utf16_mark_on_text_that_is_not_utf16_is_refused() -> None:
    with pytest.raises(ValueError, match=r"in\.csv: it starts with a UTF-16 byte-order mark"):
        read_batch(codecs.BOM_UTF16_LE + b"smiles\nCCO\n", filename="in.csv")


def test_nul_bytes_in_cells_are_row_errors_and_never_reach_a_name(url: str) -> None:
    text = "smiles,name\nCCO,eth\x00anol\nC\x00CO,nul in smiles\nCCN,amine\n"
    batch = read_batch(text.encode(), filename="nul.csv")
    assert [(r.row, r.name) for r in batch.rows] == [(1, "ethanol"), (3, "amine")]
    [error] = batch.errors
    assert (error.row, error.input) == (2, "C\\x00CO")
    assert error.reason == "unreadable SMILES: it contains control characters (binary data?)"
    sdf = "t\x00itle\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n"
    sdf += (
        "    0.0000    0.0000    0.0000 C\x00  0  0  0  0  0  0  0  0  0  0  0  0\nM  END\n$$$$\n"
    )
    [problem] = read_batch(sdf.encode(), filename="nul.sdf").errors
    assert problem.row == 1 and "control characters" in problem.reason


def test_refused_uploads_leave_no_job(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = {
        "bomb.xlsx": _zip_bomb(10_000_000),
        "utf16.csv": TABLE.encode("utf-16-le"),
        "bad-mark.csv": codecs.BOM_UTF16_LE + b"smiles\nCCO\n",
        "all-invalid.csv": b"smiles\nC1CC\nC(\n",
        "empty.csv": b"\n\n",
        "no-column.csv": b"weight\n12\n",
    }
    for name, data in refused.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match=r"\w") as raised:
            jobs.submit(path, url=url)
        message = str(raised.value)
        assert message.startswith(name) and "\n" not in message, message
    monkeypatch.setenv("IMPULATOR_BATCH_MAX_ROWS", "2")
    (tmp_path / "three.csv").write_text("smiles\nCCO\nCCN\nCCC\n")
    with pytest.raises(BatchTooLarge, match=r"three\.csv has more than 2 compounds"):
        jobs.submit(tmp_path / "three.csv", url=url)
    assert _job_count(url) == 0
