"""The Analytics dashboard in Chromium: its four plotly figures and the targets table render
offline, from the user's own compounds."""

from __future__ import annotations

import time
from pathlib import Path

from impulator import store
from tests.browser.fixtures import BrowserSession, Dashboards
from tests.store.reports import reports


def test_analytics_renders_its_figures(
    dashboards: Dashboards, browser: BrowserSession, demo_dir: Path
) -> None:
    demo = reports(demo_dir)
    for key in ("naltrexone", "testosterone"):
        store.save(demo[key], f"analytics-{key}", "keep", url=dashboards.user_urls["chemist"])
    started = time.monotonic()
    page = browser.open(dashboards.url("Analytics"))
    page.wait(".impulator-analytics-trends .js-plotly-plot .main-svg")
    for name in ("scores", "classes", "flags"):
        page.wait(f".impulator-analytics-{name} .js-plotly-plot .main-svg", timeout=60)
    print(f"\nAnalytics: first render {time.monotonic() - started:.1f} s")
    p = page.page
    assert p.locator(".impulator-analytics-figure .js-plotly-plot").count() == 4
    assert p.locator(".impulator-analytics-scores .bars path").count() >= 1
    assert "Kappa opioid receptor" in p.inner_text(".impulator-analytics-targets")
    assert "Androgen Receptor" in p.inner_text(".impulator-analytics-targets")
    tile = p.inner_text(".impulator-tile-compounds")
    assert int(tile.split("\n")[1].replace(",", "")) >= 2
    page.page.wait_for_timeout(500)
    page.screenshot("analytics")
    page.assert_clean()
