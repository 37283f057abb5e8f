"""The Jobs dashboard in Chromium: my jobs with their status and the rows not stored; a viewer
gets no Cancel or Retry button."""

from __future__ import annotations

import json
import re
import time

import httpx

from impulator import jobs
from tests.browser.fixtures import BrowserSession, Dashboards


def test_jobs_lists_my_job_and_its_errors(dashboards: Dashboards, browser: BrowserSession) -> None:
    job = jobs.submit(["CCO", "C1CC"], url=dashboards.user_urls["bob"], pdb=False)
    started = time.perf_counter()
    page = browser.open(dashboards.url("Jobs", user="bob"))
    page.wait(".impulator-jobs-table")
    print(f"Jobs first render: {time.perf_counter() - started:.1f} s")
    selected = page.page.inner_text(".impulator-jobs-select").replace("\xa0", " ")
    assert f"#{job.id} list" in selected
    page.wait(".impulator-jobs-errors-table", timeout=30)
    assert "ring bond 1" in page.page.inner_text(".impulator-jobs-errors")
    page.screenshot("jobs-bob")
    page.assert_clean()


def test_a_viewer_sees_no_cancel_or_retry(dashboards: Dashboards, browser: BrowserSession) -> None:
    page = browser.open(dashboards.url("Jobs", user="viewer"))
    page.wait(".impulator-jobs-list")
    assert not page.page.is_visible("button.impulator-jobs-cancel")
    assert not page.page.is_visible("button.impulator-jobs-retry")
    page.assert_clean()


def test_each_page_loads_only_the_browser_extensions_it_draws_with(
    dashboards: Dashboards,
) -> None:
    loaded: dict[str, str] = {}  # extension -> its first file, as the page loads it

    def extensions(page: str) -> set[str]:
        html = httpx.get(dashboards.url(page), timeout=180).text
        config = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', html, re.S)
        assert config is not None, html[:500]
        listed = json.loads(config.group(1))["federated_extensions"]
        loaded.update({e["name"]: e["load"] for e in listed})
        return {e["name"] for e in listed}

    jobs, compound = extensions("Jobs"), extensions("Compound")
    analytics, structure = extensions("Analytics"), extensions("Structure")
    assert "@jupyter-widgets/jupyterlab-manager" in jobs & compound & analytics & structure
    assert not {"jupyterlab-plotly", "nglview-js-widgets", "anywidget"} & jobs
    # Compound's planes are FigureWidgets (anywidget); no page loads nglview's extension.
    assert "anywidget" in compound and not {"jupyterlab-plotly", "nglview-js-widgets"} & compound
    # Analytics draws FigureWidgets too where plotly's widget code is served, as here.
    assert "anywidget" in analytics and not {"jupyterlab-plotly", "nglview-js-widgets"} & analytics
    # The 3D view imports the served NGL build once the page is drawn, as here.
    assert "anywidget" in structure and not {"jupyterlab-plotly", "nglview-js-widgets"} & structure
    # Their files are named by their content: browsers keep them without asking again.
    base = dashboards.url("Jobs").split("/voila/")[0]
    for name, load in loaded.items():
        reply = httpx.get(f"{base}/voila/labextensions/{name}/{load}", timeout=30)
        assert reply.status_code == 200 and "immutable" in reply.headers["cache-control"], name


def test_a_closed_page_shuts_its_kernel_down(
    dashboards: Dashboards, browser: BrowserSession
) -> None:
    # A context of its own, as a browser window: a page that owns its context takes the
    # context down with it, and Voila's closing message with them.
    context = browser.browser.new_context()
    try:
        page = context.new_page()
        page.goto(dashboards.url("Home"), timeout=180_000)
        page.wait_for_selector(".impulator-page", timeout=120_000)
        kernel = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        page.close(run_before_unload=True)  # as a tab is closed: Voila's page says so
        log = dashboards.folder / "voila-chemist.log"
        deadline = time.monotonic() + 60
        while f"Kernel shutdown: {kernel}" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        assert "'_xsrf' argument missing" not in log.read_text(errors="replace")
    finally:
        context.close()
