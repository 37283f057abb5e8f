"""Stored XSS: compound names, synonyms (the rows' preferred names), group names, invalid batch
rows and a job's error message carrying script, ``onerror``, ``javascript:`` links and HTML
entities, saved through the library and rendered by the dashboards in Chromium. No dialog
opens, no console message comes from a payload, and the text shows as typed. The exports
(CSV, Excel, SDF, PDF) of the same compound neither run a formula nor fail.

One user of its own ("mallory", group named with a payload) keeps these rows out of the other
browser tests' counts.
"""

from __future__ import annotations

import dataclasses
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from impulator import exports, jobs, store
from impulator.store import _session
from tests.browser.fixtures import CHROMIUM, BrowserSession, DashboardPage, Dashboards
from tests.store.reports import reports
from tests.ui.widgets import sql

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Dialog

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

SCRIPT = "<script>alert('xss-script')</script>"
IMG = "<img src=x onerror=alert('xss-img')>"
LINK = "<a href=\"javascript:alert('xss-link')\">click</a>"
ENTITY = "&lt;b&gt;not bold&lt;/b&gt; &amp; &#60;i&#62;"
NAME = f"{SCRIPT}{IMG}"
SYNONYM = f"{LINK} {ENTITY}"
GROUP = "<img src=x onerror=alert('xss-group')>"
JOB_ERROR = f"{SCRIPT} javascript:alert('xss-job')"
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(1)"]
PAGES = ("Home", "Explorer", "Compound", "Jobs", "Analytics")


@pytest.fixture(scope="module")
def hostile(dashboards: Dashboards, demo_dir: Path) -> dict[str, Any]:
    started = time.monotonic()
    url = store.provision_user("mallory", "chemist", [GROUP], url=dashboards.admin_url)
    dashboards.user_urls["mallory"] = url
    report = reports(demo_dir)["naltrexone"]
    rows = report.rows.copy()
    rows["pref_name"] = [SYNONYM, *FORMULAS, *[SYNONYM] * (len(rows) - 1 - len(FORMULAS))]
    compound = store.save(dataclasses.replace(report, rows=rows), name=NAME, url=url)
    store.share(compound, GROUP, url=url)
    job = jobs.submit(["CCO", SCRIPT, IMG], url=url, pdb=False)
    # The runner finishes the job first, so it cannot overwrite the message written below.
    dashboards.start_runner()
    job.wait(progress=False, timeout=600)
    sql(
        dashboards.admin_url,
        "UPDATE jobs SET status = 'failed', error_message = :m WHERE id = :j",
        m=JOB_ERROR,
        j=job.id,
    )
    _session.dispose()
    print(f"\nXSS rows saved: {time.monotonic() - started:.1f} s")
    return {"url": url, "compound": compound, "job": job.id}


def _watched(browser: BrowserSession) -> tuple[DashboardPage, list[str], list[str]]:
    """A new page recording dialogs (dismissed), console messages and page errors."""
    page = DashboardPage(browser.browser.new_page(viewport={"width": 1280, "height": 800}))
    browser.pages.append(page)
    dialogs: list[str] = []
    messages: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        messages.append(message.text)
        if message.type == "error":
            page.errors.append(message.text)

    page.page.on("dialog", on_dialog)
    page.page.on("console", on_console)
    page.page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))
    return page, dialogs, messages


def _assert_nothing_ran(
    name: str, page: DashboardPage, dialogs: list[str], messages: list[str]
) -> None:
    """No dialog, no payload's console message, none of the elements a payload would make."""
    assert not dialogs, f"{name}: a payload ran: {dialogs}"
    assert not [m for m in messages if "xss" in m], f"{name}: {messages}"
    html = page.page.content()
    assert "alert('xss" not in page.page.evaluate(
        "() => [...document.querySelectorAll('script')].map(s => s.textContent).join()"
    )
    assert page.page.locator("img[src='x']").count() == 0, name
    assert page.page.locator("a[href^='javascript:']").count() == 0, name
    assert "onerror=alert" not in html.replace("onerror=alert('xss", ""), name
    page.assert_clean()


def test_no_payload_runs_on_any_dashboard_and_the_text_shows_as_typed(
    dashboards: Dashboards, browser: BrowserSession, hostile: dict[str, Any]
) -> None:
    shown: dict[str, str] = {}
    for name in PAGES:
        started = time.monotonic()
        query = f"id={hostile['compound']}" if name == "Compound" else ""
        # Listeners first, then the address: a payload running during the load is caught too.
        page, dialogs, messages = _watched(browser)
        page.page.goto(dashboards.url(name, user="mallory", query=query), timeout=180_000)
        page.page.wait_for_load_state("networkidle", timeout=180_000)
        wait = {
            "Home": ".impulator-home-tiles",
            "Explorer": ".impulator-explorer-page-info",
            "Compound": ".impulator-compound-header",
            "Jobs": ".impulator-jobs-errors-table",
            "Analytics": ".impulator-analytics, .jp-OutputArea-output",
        }[name]
        page.wait(wait)
        page.page.wait_for_timeout(1_500)  # let late widget renders and image loads happen
        text = page.page.inner_text("body")
        shown[name] = text
        print(f"{name}: {time.monotonic() - started:.1f} s")
        _assert_nothing_ran(name, page, dialogs, messages)
    assert SCRIPT in shown["Explorer"] and IMG in shown["Explorer"]
    assert SCRIPT in shown["Compound"] and GROUP in shown["Compound"]
    assert LINK in shown["Compound"] and ENTITY in shown["Compound"]
    assert JOB_ERROR in shown["Jobs"] and IMG in shown["Jobs"]


def test_exports_defuse_formulas_and_carry_the_payloads(hostile: dict[str, Any]) -> None:
    import pandas as pd
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    url, ids = hostile["url"], [hostile["compound"]]
    table = pd.read_csv(io.BytesIO(exports.compounds_csv(ids, url)), encoding="utf-8-sig")
    names = table["pref_name"].tolist()
    assert SYNONYM in names and set(table["compound_name"]) == {NAME}
    for formula in FORMULAS:
        assert "'" + formula in names and formula not in names
    prototype = exports.prototype_csv(ids, url).decode("utf-8-sig")
    assert all(f",{formula}" not in prototype for formula in FORMULAS)

    book = load_workbook(io.BytesIO(exports.compounds_excel(ids, url)))
    cells = [c for row in book["Activities"].iter_rows() for c in row if isinstance(c.value, str)]
    for formula in FORMULAS:
        matching = [c for c in cells if c.value.lstrip("'") == formula]
        assert matching and all(c.data_type == "s" for c in matching), formula
    assert any(c.value == SYNONYM for c in cells)

    sdf = exports.compounds_sdf(ids, url)
    assert NAME.encode() in sdf
    pdf = exports.compound_report_pdf(hostile["compound"], url)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000


def test_payloads_typed_into_analyze_show_as_text(
    dashboards: Dashboards, browser: BrowserSession, hostile: dict[str, Any]
) -> None:
    started = time.monotonic()
    page, dialogs, messages = _watched(browser)
    page.page.goto(dashboards.url("Analyze", user="mallory"), timeout=180_000)
    field = page.wait(".impulator-analyze-query input")
    for payload in (SCRIPT, IMG, LINK, ENTITY, JOB_ERROR):
        field.fill(payload)
        page.wait(".impulator-analyze-validation .impulator-status-error", timeout=60)
        page.page.wait_for_timeout(500)  # a payload's image would load and fire here
        shown = page.page.inner_text(".impulator-analyze-validation")
        assert "SMILES" in shown or "name" in shown, shown  # said why, as text
        assert page.page.input_value(".impulator-analyze-query input") == payload
    print(f"Analyze with payloads: {time.monotonic() - started:.1f} s")
    _assert_nothing_ran("Analyze", page, dialogs, messages)


def test_payloads_in_an_uploaded_csv_show_as_text_on_batch(
    dashboards: Dashboards, browser: BrowserSession, hostile: dict[str, Any], tmp_path: Path
) -> None:
    started = time.monotonic()
    upload = tmp_path / "hostile.csv"
    rows = [(IMG, "valid-ethanol"), ("CCO", SCRIPT), ("CCN", LINK), ("CCC", ENTITY)]
    quoted = [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    upload.write_text("\n".join(["smiles,name", *quoted]) + "\n")
    page, dialogs, messages = _watched(browser)
    page.page.goto(dashboards.url("Batch", user="mallory"), timeout=180_000)
    page.wait(".impulator-batch-upload")
    with page.page.expect_file_chooser() as chooser:
        page.page.click(".impulator-batch-upload")
    chooser.value.set_files(str(upload))
    page.wait(".impulator-batch-errors-table", timeout=60)
    page.page.wait_for_timeout(1_500)
    report = page.page.inner_text(".impulator-batch-report")
    print(f"Batch with a hostile CSV: {time.monotonic() - started:.1f} s")
    assert "4 rows: 3 valid, 1 invalid" in report, report
    assert IMG in report  # the invalid row's query, as typed
    preview = page.page.inner_text(".impulator-batch-preview")
    assert SCRIPT in preview and LINK in preview and ENTITY in preview, preview
    _assert_nothing_ran("Batch", page, dialogs, messages)
