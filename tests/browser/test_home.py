"""The Home dashboard in Chromium: drawn without console errors; tiles follow the database."""

from __future__ import annotations

from impulator import store
from impulator.pipeline import analyze
from tests.browser.fixtures import BrowserSession, Dashboards
from tests.conftest import DASATINIB


def test_home_renders_with_the_users_own_numbers(
    dashboards: Dashboards, browser: BrowserSession
) -> None:
    store.save(analyze(DASATINIB, pdb=False), name="home-test", url=dashboards.user_urls["bob"])
    page = browser.open(dashboards.url("Home", user="bob"))
    page.wait(".impulator-recent-compounds")
    page.screenshot("home-bob")
    assert "home-test" in page.page.inner_text(".impulator-recent-compounds")
    page.assert_clean()
