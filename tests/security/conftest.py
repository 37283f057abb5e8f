"""The browser fixtures of tests/browser (Voila over the dashboards, one Chromium per module),
for the XSS tests here."""

from tests.browser.conftest import browser, chromium, dashboards

__all__ = ["browser", "chromium", "dashboards"]
