"""The Compound dashboard in Chromium: the planes render, hovering a point shows its
structure, the PDF export downloads; another user's compound is "not found" in words."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from impulator import store
from impulator.pipeline import analyze
from tests.browser.fixtures import BrowserSession, Dashboards
from tests.conftest import DASATINIB


@pytest.fixture(scope="module")
def compound_id(dashboards: Dashboards) -> int:
    report = analyze(DASATINIB, similarity=0.4)
    return store.save(report, name="compound-page-test", url=dashboards.user_urls["chemist"])


def test_show_in_3d_opens_the_structure_page(
    dashboards: Dashboards, browser: BrowserSession, compound_id: int
) -> None:
    compound = browser.open(dashboards.url("Compound", query=f"id={compound_id}"))
    link = compound.wait(".impulator-compound-3d-link")
    assert link.get_attribute("href") == f"Structure.ipynb?id={compound_id}"
    page = browser.open(dashboards.url("Structure", query=f"id={compound_id}"))
    page.wait(".impulator-compound-3d-viewer canvas", timeout=120)
    # NGL's build, served as a file, is fetched once, after the page's frame is drawn.
    served = page.page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('labextensions/ngl.js'))"
    )
    assert len(served) == 1, served
    assert "compound-page-test in 3D" in page.page.inner_text(".impulator-structure-title")
    page.screenshot("structure")
    page.assert_clean()


def test_compound_page_hover_and_pdf(
    dashboards: Dashboards, browser: BrowserSession, compound_id: int
) -> None:
    address = dashboards.url("Compound", query=f"id={compound_id}")
    started = time.monotonic()
    page = browser.open(address)
    page.wait(".impulator-compound-plane .scatterlayer .point")
    print(f"\nCompound page: first render {time.monotonic() - started:.1f} s")
    assert "compound-page-test" in page.page.inner_text(".impulator-compound-header")
    assert page.page.locator(".impulator-compound-structure svg").count() == 1
    assert "<svg" not in page.page.inner_html(".impulator-compound-hover")

    point = page.page.locator(".impulator-compound-plane .scatterlayer .point").first
    box = point.bounding_box()
    assert box is not None
    page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait(".impulator-compound-hover svg", timeout=30)
    assert "Target" in page.page.inner_text(".impulator-compound-hover")
    page.page.mouse.move(5, 5)
    page.screenshot("compound")
    # The planes' plotly code is a file the browser caches, not 5 MB sent with each figure.
    bundles = page.page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('widgetbundle.js'))"
    )
    assert len(bundles) == 1, bundles

    pdf = page.page.locator(".impulator-compound-exports button", has_text="PDF")
    assert pdf.count() == 1
    with page.page.expect_download(timeout=120_000) as info:
        pdf.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # It renders: pdftoppm (poppler-utils, installed by make test) draws its first page.
    if shutil.which("pdftoppm"):
        out = Path(str(path)).with_suffix("")
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(out)],
            check=True,
            timeout=120,
        )
        assert list(out.parent.glob(f"{out.name}*.png"))
    page.assert_clean()


def test_another_users_compound_is_not_found(
    dashboards: Dashboards, browser: BrowserSession, compound_id: int
) -> None:
    page = browser.open(dashboards.url("Compound", user="viewer", query=f"id={compound_id}"))
    page.wait(".impulator-compound-message p")
    text = page.page.inner_text(".impulator-compound-message")
    assert f"Compound {compound_id} was not found or not shared with you" in text
    page.screenshot("compound-not-found")
    page.assert_clean()


def test_no_id_links_to_the_explorer(dashboards: Dashboards, browser: BrowserSession) -> None:
    page = browser.open(dashboards.url("Compound"))
    page.wait(".impulator-compound-message a[href='Explorer.ipynb']")
    assert "No compound chosen" in page.page.inner_text(".impulator-compound-message")
    page.assert_clean()
