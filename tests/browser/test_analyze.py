"""The Analyze dashboard in Chromium: DASATINIB typed, drawn, analysed with live progress,
saved, and linked to its compound page; a viewer gets no Save button."""

from __future__ import annotations

import time

from tests.browser.fixtures import BrowserSession, Dashboards
from tests.conftest import DASATINIB


def test_analyze_dasatinib_end_to_end(dashboards: Dashboards, browser: BrowserSession) -> None:
    started = time.perf_counter()
    page = browser.open(dashboards.url("Analyze"))
    page.wait(".impulator-analyze-query input")
    print(f"Analyze first render: {time.perf_counter() - started:.1f} s")
    p = page.page

    p.fill(".impulator-analyze-query input", "C1CC")
    page.wait(".impulator-analyze-validation .impulator-status-error")
    assert "ring bond 1" in p.inner_text(".impulator-analyze-validation")

    p.fill(".impulator-analyze-query input", DASATINIB)
    page.wait(".impulator-analyze-preview svg")
    assert "valid SMILES" in p.inner_text(".impulator-analyze-validation")

    p.click("button.impulator-analyze-probe")
    page.wait(".impulator-analyze-availability-table")
    assert "0.90 (chosen)" in p.inner_text(".impulator-analyze-availability")

    p.click("button.impulator-analyze-run")
    page.wait(".impulator-analyze-step .impulator-status-busy", timeout=60)  # live progress
    page.wait(".impulator-analyze-run-status .impulator-status-ok", timeout=180)
    assert "CHEMBL1421" in p.inner_text(".impulator-analyze-rows")
    assert "Neighbours" in p.inner_text(".impulator-analyze-summary")
    page.screenshot("analyze-result")

    p.click("button.impulator-analyze-save")
    link = page.wait("a.impulator-analyze-compound-link", timeout=60)
    href = link.get_attribute("href")
    assert href is not None and href.startswith("Compound.ipynb?id=")
    assert "Saved" in p.inner_text(".impulator-analyze-save-status")
    page.screenshot("analyze-saved")
    page.assert_clean()


def test_a_viewer_sees_no_save_button(dashboards: Dashboards, browser: BrowserSession) -> None:
    page = browser.open(dashboards.url("Analyze", user="viewer"))
    page.wait(".impulator-analyze-query input")
    page.wait(".impulator-analyze-readonly", timeout=30)
    assert page.page.is_visible(".impulator-analyze-readonly")
    assert not page.page.is_visible("button.impulator-analyze-save")
    page.screenshot("analyze-viewer")
    page.assert_clean()
