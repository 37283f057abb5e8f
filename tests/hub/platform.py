"""Driving the real local platform from tests: the launcher, the login form, spawns, tokens,
kernels on a user's server, and the platform's own PostgreSQL.

Everything goes through the public doors a user has (the hub's login form and API, the
user's server API, the gateway behind the hub); the test reads the platform's database as
its superuser only to watch what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.fixtures import CHROMIUM, CHROMIUM_FLAGS
from tests.postgres import find_bindir

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "hub" / "launch.py"
PROXY = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
USER_PASSWORD = "demo-password-for-tests"
ADMIN_PASSWORD = "admin-password-for-tests-0123456789abcdef"
VOILA_HOME = "voila/render/dashboards/Home.ipynb"

requires_platform = [
    pytest.mark.skipif(
        importlib.util.find_spec("jupyterhub") is None,
        reason="the hub extra is not installed (make up installs it: pip install -e '.[hub]')",
    ),
    pytest.mark.skipif(not PROXY.exists(), reason="configurable-http-proxy missing: run make up"),
    pytest.mark.skipif(find_bindir() is None, reason="PostgreSQL server binaries missing"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def launcher_environment(demo_dir: Path, **extra: str) -> Iterator[dict[str, str]]:
    """The launcher's environment: a fresh data directory the ``postgres`` user can reach,
    a free hub port, the demo fixture as data; ``down`` and cleanup afterwards."""
    home = Path(tempfile.mkdtemp(prefix="impulator-hub-"))
    home.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMPULATOR_", "DASK_"))}
    env.update(
        IMPULATOR_HUB_HOME=str(home),
        IMPULATOR_HUB_PORT=str(free_port()),
        IMPULATOR_DATA_DIR=str(demo_dir),
        IMPULATOR_PDB_SOURCE="ccd",
        IMPULATOR_OFFLINE="1",
        IMPULATOR_DEMO_PASSWORD=USER_PASSWORD,
        IMPULATOR_DEMO_ADMIN_PASSWORD=ADMIN_PASSWORD,
        **extra,
    )
    try:
        yield env
    finally:
        subprocess.run([sys.executable, LAUNCHER, "down"], env=env, check=False, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def up(env: dict[str, str]) -> tuple[subprocess.Popen[str], float]:
    """Start the launcher; return it and the seconds until the hub answered through the proxy."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, LAUNCHER, "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{env['IMPULATOR_HUB_PORT']}/hub/health"
    while time.monotonic() - started < 360:  # the launcher gives the hub 300 s
        if proc.poll() is not None:
            pytest.fail(f"the launcher exited ({proc.returncode}):\n{proc.stdout.read()}")  # type: ignore[union-attr]
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, time.monotonic() - started
        time.sleep(0.25)
    proc.kill()
    pytest.fail("the hub did not answer within 360 s")


def down(env: dict[str, str], launcher: subprocess.Popen[str]) -> str:
    """``down``; the launcher must exit cleanly and nothing of ours may be left."""
    out = subprocess.run(
        [sys.executable, LAUNCHER, "down"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    if launcher.wait(timeout=60) != 0:
        said = launcher.stdout.read() if launcher.stdout else ""
        pytest.fail(f"the launcher exited with {launcher.returncode}:\n{said[-4000:]}")
    home = Path(env["IMPULATOR_HUB_HOME"])
    assert ours(home) == []
    assert not (home / "pg" / "data" / "postmaster.pid").exists()
    return out.stdout


def ours(home: Path) -> list[int]:
    """Processes carrying the launcher's marker for ``home`` (PostgreSQL's by its data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            environ = (entry / "environ").read_bytes()
            if f"IMPULATOR_HUB_SESSION={home}".encode() in environ.split(b"\0"):
                found.append(int(entry.name))
    return found


def hub_xsrf(client: httpx.Client) -> str:
    """The hub's XSRF token (user servers set their own ``_xsrf`` cookie on their path)."""
    for cookie in client.cookies.jar:
        if cookie.name == "_xsrf" and cookie.path.startswith("/hub"):
            return str(cookie.value)
    pytest.fail("no _xsrf cookie from the hub")


def login(client: httpx.Client, user: str, password: str = USER_PASSWORD) -> None:
    """The login form: GET for the _xsrf cookie, POST the credentials."""
    client.get("/hub/login").raise_for_status()
    form = {"username": user, "password": password, "_xsrf": hub_xsrf(client)}
    response = client.post("/hub/login", data=form)
    assert response.status_code == 302, response.text[:500]


def spawn_and_wait(client: httpx.Client, user: str, timeout: float = 180) -> httpx.Response:
    """Ask for the user's server, follow the hub until the server answers, and return the
    landing page the server sent (JupyterLab or the Voila home)."""
    response = client.get(f"/hub/spawn/{user}")
    assert response.status_code in (200, 302), response.text[:500]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/hub/spawn-pending/{user}")
        location = response.headers.get("location", "")
        if response.status_code == 302 and f"/user/{user}/" in location:
            break
        assert "Spawn failed" not in response.text, response.text[:2000]
        time.sleep(0.25)
    else:
        pytest.fail(f"{user}'s server was not ready within {timeout} s")
    # Through the single-user server's OAuth handshake with the hub, to the landing page.
    page = client.get(location, follow_redirects=True, timeout=180)
    assert page.status_code == 200, page.text[:500]
    return page


def token_for(client: httpx.Client, user: str) -> str:
    """A new API token of the logged-in ``user`` (the hub's token page does the same)."""
    response = client.post(
        f"/hub/api/users/{user}/tokens",
        json={"note": "impulator tests", "expires_in": 3600},
        headers={"X-XSRFToken": hub_xsrf(client)},
    )
    assert response.status_code in (200, 201), response.text[:500]
    return str(response.json()["token"])


def server_environment(home: Path, user: str) -> dict[str, str]:
    """The environment of ``user``'s running server process."""
    for pid in ours(home):
        with contextlib.suppress(OSError):
            pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            env = dict(p.decode().split("=", 1) for p in pairs if b"=" in p)
            if env.get("JUPYTERHUB_USER") == user and "JUPYTERHUB_SERVICE_PREFIX" in env:
                return env
    pytest.fail(f"no running server of {user}")


def admin_database_url(home: Path) -> str:
    """The platform's database as its superuser (over the socket), to watch from outside."""
    port = (home / "pg" / "port").read_text().strip()
    return f"postgresql+psycopg://postgres@/impulator?host={home / 'pg' / 'run'}&port={port}"


@dataclass
class Kernel:
    """A kernel on a user's server, driven over the Jupyter server's REST and websocket API
    with the user's token (what JupyterLab does)."""

    base: str
    user: str
    token: str
    kernel_id: str = ""

    @property
    def _api(self) -> str:
        return f"{self.base}/user/{self.user}/api/kernels"

    def start(self) -> Kernel:
        headers = {"Authorization": f"token {self.token}"}
        response = httpx.post(self._api, headers=headers, json={"name": "python3"}, timeout=60)
        assert response.status_code == 201, response.text[:500]
        self.kernel_id = response.json()["id"]
        return self

    def run(self, code: str, timeout: float = 300) -> str:
        """Execute ``code``; return its stdout; fail the test with the traceback on error."""
        return asyncio.run(self._run(code, timeout))

    async def _run(self, code: str, timeout: float) -> str:
        import websockets

        url = self._api.replace("http://", "ws://") + f"/{self.kernel_id}/channels"
        msg_id = uuid.uuid4().hex
        request = {
            "header": {
                "msg_id": msg_id,
                "username": self.user,
                "session": uuid.uuid4().hex,
                "msg_type": "execute_request",
                "version": "5.3",
                "date": "",
            },
            "parent_header": {},
            "metadata": {},
            "channel": "shell",
            "buffers": [],
            "content": {
                "code": code,
                "silent": False,
                "store_history": False,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        }
        headers = {"Authorization": f"token {self.token}"}
        out: list[str] = []
        async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
            await ws.send(json.dumps(request))
            async with asyncio.timeout(timeout):
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind, content = msg["msg_type"], msg["content"]
                    if kind == "stream":
                        out.append(content["text"])
                    elif kind == "error":
                        pytest.fail(f"{self.user}'s kernel: " + "\n".join(content["traceback"]))
                    elif kind == "status" and content["execution_state"] == "idle":
                        return "".join(out)

    def shutdown(self) -> None:
        headers = {"Authorization": f"token {self.token}"}
        with contextlib.suppress(httpx.HTTPError):
            httpx.delete(f"{self._api}/{self.kernel_id}", headers=headers, timeout=30)


@contextlib.contextmanager
def browser_page() -> Iterator[Page]:
    """A page of Debian's Chromium driven by Playwright (1280x800); skips when either is
    missing (``make test`` installs both)."""
    if importlib.util.find_spec("playwright") is None or not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium and playwright are needed (make test installs both)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 800})
        finally:
            browser.close()


def browser_login(page: Page, base: str, user: str, password: str = USER_PASSWORD) -> None:
    """Log in through the hub's form and wait until the hub has sent the user to their
    server (spawning it if needed)."""
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/**", timeout=180_000)
