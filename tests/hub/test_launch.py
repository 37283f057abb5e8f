"""`make up` / `make down` with the real processes: PostgreSQL, JupyterHub, its proxy, the
runner service and a user's server.

The launcher (``hub/launch.py``, what ``make up`` calls after installing) runs with a
temporary project data directory, a free hub port and the demo fixture as its data, so no
demo build happens. Timings are printed (``pytest -s``) and recorded as test properties.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.postgres import find_bindir

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "hub" / "launch.py"
PROXY = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
USER_PASSWORD = "demo-password-for-tests"
ADMIN_PASSWORD = "admin-password-for-tests-0123456789abcdef"

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("jupyterhub") is None,
        reason="the hub extra is not installed (make up installs it: pip install -e '.[hub]')",
    ),
    pytest.mark.skipif(not PROXY.exists(), reason="configurable-http-proxy missing: run make up"),
    pytest.mark.skipif(find_bindir() is None, reason="PostgreSQL server binaries missing"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hub_env(demo_dir: Path) -> Iterator[dict[str, str]]:
    """The launcher's environment: a fresh data directory the ``postgres`` user can reach."""
    home = Path(tempfile.mkdtemp(prefix="impulator-hub-"))
    home.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMPULATOR_", "DASK_"))}
    env.update(
        IMPULATOR_HUB_HOME=str(home),
        IMPULATOR_HUB_PORT=str(_free_port()),
        IMPULATOR_DATA_DIR=str(demo_dir),
        IMPULATOR_PDB_SOURCE="ccd",
        IMPULATOR_OFFLINE="1",
        IMPULATOR_DEMO_PASSWORD=USER_PASSWORD,
        IMPULATOR_DEMO_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    try:
        yield env
    finally:
        subprocess.run([sys.executable, LAUNCHER, "down"], env=env, check=False, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def _up(env: dict[str, str]) -> tuple[subprocess.Popen[str], float]:
    """Start the launcher; return it and the seconds until the hub answered through the proxy."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, LAUNCHER, "up"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{env['IMPULATOR_HUB_PORT']}/hub/health"
    while time.monotonic() - started < 180:
        if proc.poll() is not None:
            pytest.fail(f"the launcher exited ({proc.returncode}):\n{proc.stdout.read()}")  # type: ignore[union-attr]
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, time.monotonic() - started
        time.sleep(0.25)
    proc.kill()
    pytest.fail("the hub did not answer within 180 s")


def _down(env: dict[str, str], launcher: subprocess.Popen[str]) -> str:
    """``down``; the launcher must exit cleanly and nothing of ours may be left."""
    out = subprocess.run(
        [sys.executable, LAUNCHER, "down"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert launcher.wait(timeout=60) == 0
    home = Path(env["IMPULATOR_HUB_HOME"])
    assert _ours(home) == []
    assert not (home / "pg" / "data" / "postmaster.pid").exists()
    return out.stdout


def _ours(home: Path) -> list[int]:
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


def _login(client: httpx.Client, user: str, password: str) -> None:
    """The login form: GET for the _xsrf cookie, POST the credentials."""
    client.get("/hub/login").raise_for_status()
    form = {"username": user, "password": password, "_xsrf": client.cookies["_xsrf"]}
    response = client.post("/hub/login", data=form)
    assert response.status_code == 302, response.text[:500]


def _spawn_and_wait(client: httpx.Client, user: str, timeout: float = 180) -> None:
    """Ask for the user's server and follow the hub until the server itself answers."""
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
    # Through the single-user server's OAuth handshake with the hub, to JupyterLab itself.
    page = client.get(location, follow_redirects=True)
    assert page.status_code == 200, page.text[:500]
    assert page.url.path == f"/user/{user}/lab", page.url
    assert "jupyter-config-data" in page.text


def _server_database_url(home: Path, user: str) -> str:
    """IMPULATOR_DATABASE_URL from the environment of ``user``'s running server."""
    for pid in _ours(home):
        with contextlib.suppress(OSError):
            pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            env = dict(p.decode().split("=", 1) for p in pairs if b"=" in p)
            if env.get("JUPYTERHUB_USER") == user and "IMPULATOR_DATABASE_URL" in env:
                return env["IMPULATOR_DATABASE_URL"]
    pytest.fail(f"no server of {user} with IMPULATOR_DATABASE_URL")


def test_up_login_spawn_down_and_up_again(
    hub_env: dict[str, str], record_property: pytest.RecordProperty
) -> None:
    import sqlalchemy as sa

    home = Path(hub_env["IMPULATOR_HUB_HOME"])
    base = f"http://127.0.0.1:{hub_env['IMPULATOR_HUB_PORT']}"
    launcher, first = _up(hub_env)

    # A second `up` while it runs only reports it.
    again = subprocess.run(
        [sys.executable, LAUNCHER, "up"], env=hub_env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0 and "already running" in again.stdout

    with httpx.Client(base_url=base, timeout=30) as client:
        _login(client, "chemist", USER_PASSWORD)
        logged_in = time.monotonic()
        _spawn_and_wait(client, "chemist")
        ready = time.monotonic() - logged_in

    # The server got its own login: a rotated password that works over loopback TCP, names
    # the user, and appears in no log.
    url = _server_database_url(home, "chemist")
    parsed = sa.make_url(url)
    assert parsed.username == "chemist" and parsed.host == "127.0.0.1"
    engine = sa.create_engine(parsed)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar() == "chemist"
    engine.dispose()
    logs = [home / "hub" / "jupyterhub.log", home / "pg" / "server.log"]
    assert all(parsed.password not in log.read_text(errors="replace") for log in logs)

    # A wrong password is refused by the login form.
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/hub/login")
        form = {
            "username": "viewer",
            "password": "wrong-password",
            "_xsrf": client.cookies["_xsrf"],
        }
        assert client.post("/hub/login", data=form).status_code != 302

    assert "stopped" in _down(hub_env, launcher)

    launcher, second = _up(hub_env)
    assert second < 30, f"second start took {second:.1f} s"

    # A crash: the launcher and the hub killed outright, leaving the proxy, the runner and
    # PostgreSQL behind. `up` cleans up and starts again.
    hub_pid = int((home / "hub.pid").read_text())
    os.kill(launcher.pid, signal.SIGKILL)
    os.kill(hub_pid, signal.SIGKILL)
    launcher.wait(timeout=10)
    launcher, after_crash = _up(hub_env)
    _down(hub_env, launcher)
    output = launcher.stdout.read()  # type: ignore[union-attr]
    assert "left by a previous run" in output and "reusing it" in output, output
    nothing = subprocess.run(
        [sys.executable, LAUNCHER, "down"], env=hub_env, capture_output=True, text=True, timeout=60
    )
    assert nothing.returncode == 0 and "nothing was running" in nothing.stdout

    for name, seconds in (
        ("first_start_s", first),
        ("login_to_ready_s", ready),
        ("second_start_s", second),
        ("start_after_crash_s", after_crash),
    ):
        record_property(name, round(seconds, 1))
    print(
        f"\nhub timings: first start {first:.1f} s, login to ready {ready:.1f} s, "
        f"second start {second:.1f} s, start after a crash {after_crash:.1f} s"
    )
