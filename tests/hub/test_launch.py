"""`make up` / `make down` with the real processes: PostgreSQL, JupyterHub, its proxy, the
runner service and a user's server.

The launcher (``hub/launch.py``, what ``make up`` calls after installing) runs with a
temporary project data directory, a free hub port and the demo fixture as its data, so no
demo build happens. Timings are printed (``pytest -s``) and recorded as test properties.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hub.platform import (
    LAUNCHER,
    down,
    launcher_environment,
    login,
    requires_platform,
    server_environment,
    spawn_and_wait,
    up,
)

pytestmark = requires_platform


@pytest.fixture
def hub_env(demo_dir: Path) -> Iterator[dict[str, str]]:
    with launcher_environment(demo_dir) as env:
        yield env


def test_up_login_spawn_down_and_up_again(
    hub_env: dict[str, str], record_property: pytest.RecordProperty
) -> None:
    import sqlalchemy as sa

    home = Path(hub_env["IMPULATOR_HUB_HOME"])
    base = f"http://127.0.0.1:{hub_env['IMPULATOR_HUB_PORT']}"
    launcher, first = up(hub_env)

    # A second `up` while it runs only reports it.
    again = subprocess.run(
        [sys.executable, LAUNCHER, "up"], env=hub_env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0 and "already running" in again.stdout

    with httpx.Client(base_url=base, timeout=30) as client:
        login(client, "chemist")
        logged_in = time.monotonic()
        page = spawn_and_wait(client, "chemist")
        ready = time.monotonic() - logged_in

    # The server got its own login: a rotated password that works over loopback TCP, names
    # the user, and appears in no log.
    assert page.url.path == "/user/chemist/lab" and "jupyter-config-data" in page.text
    url = server_environment(home, "chemist")["IMPULATOR_DATABASE_URL"]
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

    assert "stopped" in down(hub_env, launcher)

    launcher, second = up(hub_env)

    # A crash: the launcher and the hub killed outright, leaving the proxy, the runner and
    # PostgreSQL behind. `up` cleans up and starts again.
    hub_pid = int((home / "hub.pid").read_text())
    os.kill(launcher.pid, signal.SIGKILL)
    os.kill(hub_pid, signal.SIGKILL)
    launcher.wait(timeout=10)
    launcher, after_crash = up(hub_env)
    down(hub_env, launcher)
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
