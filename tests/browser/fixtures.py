"""Dashboards in real Chromium (fixtures registered for the whole suite in
tests/conftest.py): standalone Voila servers over ``dashboards/``, one per user
(each with that user's own database login on the test PostgreSQL), a job runner when a test
needs one, and Playwright pages that record console errors and failed requests.

    def test_home(dashboards: Dashboards, browser: BrowserSession) -> None:
        page = browser.open(dashboards.url("Home"))
        page.wait(".impulator-home-tiles")
        page.screenshot("home")
        page.assert_clean()

Screenshots go to ``IMPULATOR_TEST_ARTIFACTS`` (default ``<repo>/test-artifacts``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from impulator import store
from tests.postgres import PostgresCluster

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--enable-unsafe-swiftshader",
]
ARTIFACTS = Path(os.environ.get("IMPULATOR_TEST_ARTIFACTS") or REPO / "test-artifacts")
#: Users of the dashboards' database and their platform roles.
USERS = {"chemist": "chemist", "bob": "chemist", "viewer": "viewer"}
SHARING_GROUP = "med-chem"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None or not Path(CHROMIUM).exists(),
    reason="browser tests need Debian's chromium and playwright (make test installs both)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dashboards:
    """Voila over ``dashboards/`` for each user, on one database."""

    admin_url: str
    user_urls: dict[str, str]
    environment: dict[str, str]
    folder: Path
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = field(default_factory=dict)
    runner_process: subprocess.Popen[bytes] | None = None

    def url(self, page: str, user: str = "chemist", query: str = "") -> str:
        """The address of ``dashboards/<page>.ipynb`` rendered for ``user``."""
        port = self._server(user)
        suffix = f"?{query}" if query else ""
        return f"http://127.0.0.1:{port}/voila/render/{page}.ipynb{suffix}"

    def _server(self, user: str) -> int:
        if user not in self.servers:
            port = _free_port()
            env = {**self.environment, "IMPULATOR_DATABASE_URL": self.user_urls[user]}
            log = open(self.folder / f"voila-{user}.log", "wb")  # noqa: SIM115
            command = [
                str(BIN / "voila"),
                str(REPO / "dashboards"),
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
            ]
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            self.servers[user] = (process, port)
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"voila exited: {(self.folder / f'voila-{user}.log').read_text()}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code < 500:
                        break
                assert time.monotonic() < deadline, "voila did not start"
                time.sleep(0.2)
        return self.servers[user][1]

    def start_runner(self) -> None:
        """The job runner (its own login), for pages that submit batches."""
        if self.runner_process is not None:
            return
        env = {**self.environment, "IMPULATOR_DATABASE_URL": self.user_urls["runner"]}
        log = open(self.folder / "runner.log", "wb")  # noqa: SIM115
        self.runner_process = subprocess.Popen(
            [str(BIN / "impulator"), "runner", "--cluster", "local"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        processes = [p for p, _ in self.servers.values()]
        if self.runner_process is not None:
            processes.append(self.runner_process)
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def dashboards(
    postgres: PostgresCluster, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboards]:
    admin = postgres.create_database("impulator_dashboards")
    store.upgrade(admin)
    urls = {
        name: store.provision_user(name, role, [SHARING_GROUP], url=admin)
        for name, role in USERS.items()
    }
    urls["runner"] = store.provision_runner("dashboards-runner", url=admin)
    # PYTHONPATH: the servers and the runner run the impulator under test, not an installed one.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    environment = {k: v for k, v in os.environ.items() if k in keep}
    environment.update(
        IMPULATOR_DATA_DIR=str(demo_dir),
        IMPULATOR_PDB_SOURCE="ccd",
        IMPULATOR_OFFLINE="1",
    )
    found = Dashboards(admin, urls, environment, tmp_path_factory.mktemp("dashboards"))
    try:
        yield found
    finally:
        found.stop()


@dataclass
class DashboardPage:
    """A Playwright page that remembers console errors and failed requests."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def wait(self, selector: str, timeout: float = 120) -> Any:
        return self.page.wait_for_selector(selector, timeout=timeout * 1000)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        """No console error and no failed request (a CDN link fails here: nothing may leave
        the machine)."""
        assert not self.errors, "\n".join(self.errors)


class BrowserSession:
    """One Chromium for the session; a fresh page per ``open``."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.pages: list[DashboardPage] = []

    def open(self, url: str, *, width: int = 1280, height: int = 800) -> DashboardPage:
        page = self.browser.new_page(viewport={"width": width, "height": height})
        found = DashboardPage(page)
        page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: found.errors.append(f"request failed: {r.url}"))
        page.on("pageerror", lambda e: found.errors.append(f"page error: {e}"))
        page.goto(url, timeout=180_000)
        self.pages.append(found)
        return found

    def close_pages(self) -> None:
        for found in self.pages:
            with contextlib.suppress(Exception):
                found.page.close()
        self.pages.clear()


# Per module: Playwright's sync API keeps an event loop of its own, which must not outlive
# the browser tests (other tests run asyncio themselves).
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser(chromium: Browser) -> Iterator[BrowserSession]:
    session = BrowserSession(chromium)
    try:
        yield session
    finally:
        session.close_pages()
