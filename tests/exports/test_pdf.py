"""The PDF report of one compound: a real PDF of three pages that renders to PNG."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from impulator import exports
from impulator.exports import _draw
from impulator.pipeline import Report
from impulator.ui import _theme
from tests.store.reports import reports
from tests.ui.widgets import save_reports

KEYS = ("naltrexone", "dasatinib", "testosterone", "apomorphine", "nothing")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def saved(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    demo: dict[str, Report] = reports(demo_dir)
    url = f"sqlite:///{tmp_path_factory.mktemp('pdf') / 'impulator.sqlite'}"
    ids = save_reports(demo, KEYS, url)
    return url, ids


def _pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@pytest.mark.parametrize("key", KEYS)
def test_every_compound_gets_a_three_page_pdf(saved: tuple[str, dict[str, int]], key: str) -> None:
    url, ids = saved
    data = exports.compound_report_pdf(ids[key], url)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert _pages(data) == 3


def test_the_pdf_is_written_to_a_path_and_says_what_it_is(
    saved: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    url, ids = saved
    target = tmp_path / "report.pdf"
    data = exports.compound_report_pdf(ids["testosterone"], url, path=target)
    assert target.read_bytes() == data
    # TrueType fonts (pdf.fonttype 42) keep the text searchable; the title names the compound.
    assert b"TESTOSTERONE" in data and b"/FontFile2" in data


def test_an_unknown_compound_is_said_in_words(saved: tuple[str, dict[str, int]]) -> None:
    url, _ = saved
    with pytest.raises(exports.CompoundNotFound, match="not shared with you"):
        exports.compound_report_pdf(123456, url)


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None,
    reason="pdftoppm is missing: apt-get install poppler-utils to render the PDF to PNG",
)
@pytest.mark.parametrize("key", ["naltrexone", "apomorphine", "nothing"])
def test_the_pdf_renders_to_png(saved: tuple[str, dict[str, int]], key: str) -> None:
    url, ids = saved
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / f"export-report-{key}.pdf"
    source.write_bytes(exports.compound_report_pdf(ids[key], url))
    for stale in ARTIFACTS.glob(f"export-report-{key}-*.png"):
        stale.unlink()
    done = subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(source), str(ARTIFACTS / f"export-report-{key}")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    pngs = sorted(ARTIFACTS.glob(f"export-report-{key}-*.png"))
    assert len(pngs) == 3
    for png in pngs:
        head = png.read_bytes()
        assert head.startswith(b"\x89PNG") and len(head) > 5_000  # not a blank page


def test_the_class_colours_are_the_dashboards_colours() -> None:
    assert _draw.CLASS_COLOURS == _theme.CLASS_COLOURS
    assert _draw.structure_png(None) is None and _draw.structure_png("not a smiles") is None
    png = _draw.structure_png("c1ccccc1O")
    assert png is not None and png.startswith(b"\x89PNG")
