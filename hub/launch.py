"""The local platform in one command: PostgreSQL, the schema, the demo data and JupyterHub.

    python hub/launch.py up      # start in the foreground; Ctrl-C stops everything cleanly
    python hub/launch.py down    # stop whatever `up` started; safe when nothing runs

``make up`` / ``make down`` call these after preparing the environment. Everything lives under
one project data directory (``IMPULATOR_HUB_HOME``, default ``<repo>/.impulator``):

| path | what |
|---|---|
| ``pg/data``, ``pg/run``, ``pg/port`` | the PostgreSQL 15 cluster, its socket folder, its port |
| ``hub/`` | JupyterHub's state (SQLite, cookie secret, proxy pid) and ``jupyterhub.log`` |
| ``users/<name>`` | each demo user's notebook folder |
| ``demo-password``, ``demo-admin-password`` | the generated passwords (mode 600) |
| ``launcher.pid``, ``hub.pid`` | what ``down`` stops |

Environment: ``IMPULATOR_HUB_PORT`` (default 8000), ``IMPULATOR_HUB_START_TIMEOUT`` (seconds the
hub may take to answer, default 300), ``IMPULATOR_DEMO_PASSWORD`` and
``IMPULATOR_DEMO_ADMIN_PASSWORD`` (otherwise generated once and kept), ``IMPULATOR_DATA_DIR``
(where the demo ChEMBL lives; default impulator's own data directory).

The processes (pid files, ports, finding and stopping what a launcher started) are in
``_processes.py``, the PostgreSQL cluster in ``_local_postgres.py``, next to this file.

Only the standard library is imported at module level, so ``down`` works in any Python 3.11.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HUB_DIR = REPO / "hub"
if str(HUB_DIR) not in sys.path:
    sys.path.insert(0, str(HUB_DIR))  # this file's sibling modules, also when not run by path

from _local_postgres import Postgres  # noqa: E402
from _processes import (  # noqa: E402
    MARKER,
    LaunchError,
    free_port,
    health,
    leftovers,
    port_busy,
    read_pid,
    say,
    tail,
    terminate,
)

PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent
#: The demo accounts: name -> platform role (the JupyterHub group that carries it is in
#: jupyterhub_config.py).
DEMO_USERS = {
    "chemist": "chemist",
    "viewer": "viewer",
    "instructor": "instructor",
    "admin": "admin",
}
DEMO_GROUP = "demo-team"


# --------------------------------------------------------------------------- paths and files


def hub_home() -> Path:
    """The project data directory (``IMPULATOR_HUB_HOME``, default ``<repo>/.impulator``)."""
    home = Path(os.environ.get("IMPULATOR_HUB_HOME") or REPO / ".impulator").resolve()
    home.mkdir(parents=True, exist_ok=True)
    ignore = home / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Local platform state written by hub/launch.py: never commit.\n*\n")
    return home


def hub_port() -> int:
    """The public port of the hub (``IMPULATOR_HUB_PORT``, default 8000)."""
    return int(os.environ.get("IMPULATOR_HUB_PORT", "8000"))


def secret_file(path: Path, length: int) -> str:
    """The secret kept in ``path`` (mode 600), generated the first time."""
    if path.is_file():
        value = path.read_text().strip()
        if len(value) >= length:
            return value
    value = secrets.token_urlsafe(length)[:length]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    os.chmod(path, 0o600)
    return value


def demo_passwords(home: Path) -> tuple[str, str]:
    """(users' password, admin's password): from the environment, else kept in ``home``.

    JupyterHub's SharedPasswordAuthenticator requires a separate admin password of at least
    32 characters, so the admin account has its own.
    """
    user = os.environ.get("IMPULATOR_DEMO_PASSWORD") or secret_file(home / "demo-password", 16)
    admin = os.environ.get("IMPULATOR_DEMO_ADMIN_PASSWORD") or secret_file(
        home / "demo-admin-password", 32
    )
    if len(user) < 8:
        raise LaunchError("IMPULATOR_DEMO_PASSWORD must have at least 8 characters")
    if len(admin) < 32 or admin == user:
        raise LaunchError(
            "IMPULATOR_DEMO_ADMIN_PASSWORD must have at least 32 characters and differ from "
            "IMPULATOR_DEMO_PASSWORD (JupyterHub's rule for admin logins)"
        )
    return user, admin


# --------------------------------------------------------------------------- steps of `up`


def migrate_and_provision(pg: Postgres) -> None:
    """Schema to head; the demo accounts' database logins (their passwords are rotated again
    by the hub before each spawn, so the ones made here are thrown away)."""
    from impulator.store import provision_user, upgrade

    revision = upgrade(pg.admin_url())
    say(f"database schema at revision {revision}")
    for name, role in DEMO_USERS.items():
        provision_user(name, role, [DEMO_GROUP], url=pg.admin_url())
    say(f"database logins ready: {', '.join(DEMO_USERS)} (group {DEMO_GROUP})")


def ensure_demo_data(env: dict[str, str]) -> None:
    """Build the demo ChEMBL and its index unless present (about 5 minutes the first time)."""
    from impulator.config import get_settings

    settings = get_settings(env)
    if settings.demo_database.is_file() and settings.demo_index.is_file():
        say(f"demo ChEMBL found in {settings.data_dir}")
        return
    say(f"building the demo ChEMBL in {settings.data_dir} (about 5 minutes, once)")
    result = subprocess.run([str(BIN / "impulator"), "data", "build-demo"], env=env, check=False)
    if result.returncode:
        raise LaunchError(
            "building the demo ChEMBL failed (see above); fix the cause and run 'make up' again"
        )


def hub_environment(home: Path, pg: Postgres) -> dict[str, str]:
    """The hub's environment: what jupyterhub_config.py reads, and the cleanup marker."""
    from impulator.config import get_settings

    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env.update(
        {
            MARKER: str(home),
            "IMPULATOR_HUB_HOME": str(home),
            "IMPULATOR_HUB_MODE": "local",
            "IMPULATOR_HUB_PORT": str(hub_port()),
            # Internal ports are chosen afresh, so a second hub (a test) never collides.
            "IMPULATOR_HUB_API_PORT": str(free_port()),
            "IMPULATOR_PROXY_API_PORT": str(free_port()),
            # The Dask Gateway service's internal port (a hub-managed service locally).
            "IMPULATOR_GATEWAY_PORT": str(free_port()),
            # The REST API service's internal port (/services/impulator-api).
            "IMPULATOR_API_PORT": str(free_port()),
            # The job runner's Prometheus metrics (127.0.0.1 only).
            "IMPULATOR_RUNNER_METRICS_PORT": env.get("IMPULATOR_RUNNER_METRICS_PORT")
            or str(free_port()),
            "IMPULATOR_HUB_ADMIN_DATABASE_URL": pg.admin_url(),
            # User servers and the runner log in over loopback TCP with their own password.
            "IMPULATOR_HUB_DB_HOST": "127.0.0.1",
            "IMPULATOR_HUB_DB_PORT": str(pg.port),
            "IMPULATOR_DATA_DIR": str(get_settings(env).data_dir),
            "IMPULATOR_PROXY_COMMAND": str(PROXY),
        }
    )
    return env


def start_hub(home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start JupyterHub (its own session: the launcher decides when it stops)."""
    state = home / "hub"
    state.mkdir(exist_ok=True)
    log = open(state / "jupyterhub.log", "ab")  # noqa: SIM115 - the hub writes to it
    command = [str(BIN / "jupyterhub"), "-f", str(HUB_DIR / "jupyterhub_config.py")]
    proc = subprocess.Popen(
        command,
        cwd=state,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    (home / "hub.pid").write_text(f"{proc.pid}\n")
    return proc


def start_timeout() -> float:
    """How long the hub may take to answer (``IMPULATOR_HUB_START_TIMEOUT``, default 300 s):
    a busy machine starts it slowly, which is no reason to give up on it."""
    return float(os.environ.get("IMPULATOR_HUB_START_TIMEOUT", "300"))


def wait_for_hub(
    proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float, stop: list[int]
) -> None:
    """Return when the hub answers (or a stop is asked); raise if it exits or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop:
        if proc.poll() is not None:
            raise LaunchError(f"JupyterHub exited ({proc.returncode}):\n{tail(log)}")
        if health(port):
            return
        time.sleep(0.25)
    if not stop:
        raise LaunchError(f"JupyterHub did not answer within {timeout:.0f} s:\n{tail(log)}")


def banner(home: Path, port: int, seconds: float | None) -> None:
    """What the user needs: where, who, which password, how to stop."""
    user_password, admin_password = demo_passwords(home)
    ready = f" (ready in {seconds:.1f} s)" if seconds is not None else ""
    print(
        f"""
  impulator is running{ready}:  http://127.0.0.1:{port}/

  accounts   chemist, viewer, instructor   password  {user_password}
             admin                         password  {admin_password}
  landing    chemist, instructor, admin: JupyterLab (dashboards/ in the file browser)
             viewer: the Voila home, /user/<name>/voila/render/dashboards/Home.ipynb
  services   job runner, REST API (/services/impulator-api/v1/docs),
             Dask Gateway (/services/dask-gateway), idle-server culler
  passwords  kept in {home}/demo-password and demo-admin-password
             (or set IMPULATOR_DEMO_PASSWORD / IMPULATOR_DEMO_ADMIN_PASSWORD)
  logs       {home}/hub/jupyterhub.log, {home}/pg/server.log
  stop       Ctrl-C here, or 'make down' from another terminal
""",
        flush=True,
    )


@contextlib.contextmanager
def stop_signals() -> Iterator[list[int]]:
    """SIGINT/SIGTERM become a recorded request to stop (the stop itself is orderly)."""
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def up(home: Path) -> int:
    """Start everything and wait; Ctrl-C (or ``down``) stops the hub, then PostgreSQL."""
    started = time.monotonic()
    port = hub_port()
    running = read_pid(home / "launcher.pid")
    if running is not None:
        if health(port):
            say(f"already running (launcher pid {running})")
            banner(home, port, None)
            return 0
        raise LaunchError(
            f"another launcher (pid {running}) is starting or stuck: wait, or run 'make down'"
        )
    stale = leftovers(home)
    if stale:
        say(f"stopping {len(stale)} processes left by a previous run")
        terminate(stale, "leftover process")
    if not PROXY.exists():
        raise LaunchError(
            f"configurable-http-proxy is missing ({PROXY}): run 'make up', which installs it "
            "with 'npm install --prefix hub'"
        )
    if port_busy(port):
        raise LaunchError(
            f"port {port} is taken by another program: stop it or set IMPULATOR_HUB_PORT"
        )
    (home / "launcher.pid").write_text(f"{os.getpid()}\n")
    pg = Postgres(home)
    hub: subprocess.Popen[bytes] | None = None
    with stop_signals() as received:
        try:
            demo_passwords(home)
            pg.init()
            pg.start()
            pg.ensure_database()
            migrate_and_provision(pg)
            env = hub_environment(home, pg)
            ensure_demo_data(env)
            if received:
                return 130
            say(f"starting JupyterHub on http://127.0.0.1:{port}/")
            hub = start_hub(home, env)
            wait_for_hub(
                hub, port, home / "hub" / "jupyterhub.log", timeout=start_timeout(), stop=received
            )
            if received:  # stopped while starting: cleanly, once the hub had answered
                say("stopping")
                return 0 if health(port) else 130
            banner(home, port, time.monotonic() - started)
            while not received and hub.poll() is None:
                time.sleep(0.2)
            if hub.poll() is not None:
                say(f"JupyterHub exited ({hub.returncode}); its log ends with:")
                print(tail(home / "hub" / "jupyterhub.log"), flush=True)
                return 1
            say("stopping (Ctrl-C again is ignored until everything has stopped)")
            return 0
        finally:
            shutdown(home, pg, hub)


def shutdown(home: Path, pg: Postgres, hub: subprocess.Popen[bytes] | None) -> None:
    """Stop the hub (it stops the proxy, services and user servers), leftovers, PostgreSQL."""
    if hub is not None and hub.poll() is None:
        terminate([hub.pid], "JupyterHub", timeout=30)
        with contextlib.suppress(subprocess.TimeoutExpired):
            hub.wait(timeout=5)
        say("JupyterHub stopped")
    rest = leftovers(home)
    if rest:
        terminate(rest, "leftover process", timeout=10)
    pg.stop()
    for name in ("hub.pid", "launcher.pid"):
        path = home / name
        with contextlib.suppress(OSError, ValueError):
            if int(path.read_text().split()[0]) in (os.getpid(), hub.pid if hub else -1):
                path.unlink()


def down(home: Path) -> int:
    """Stop what ``up`` started for ``home``; does nothing (successfully) when nothing runs."""
    stopped = False
    launcher = read_pid(home / "launcher.pid")
    if launcher is not None:
        say(f"asking the launcher (pid {launcher}) to stop everything")
        terminate([launcher], "launcher", timeout=60)
        stopped = True
    hub = read_pid(home / "hub.pid")
    if hub is not None:
        terminate([hub], "JupyterHub", timeout=30)
        stopped = True
    rest = leftovers(home)
    if rest:
        terminate(rest, "leftover process", timeout=10)
        stopped = True
    pg = Postgres(home)
    if pg.initialized() and pg.running():
        pg.stop()
        stopped = True
    for name in ("hub.pid", "launcher.pid"):
        (home / name).unlink(missing_ok=True)
    say("stopped" if stopped else "nothing was running")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``up`` or ``down``; problems the user must fix end with one message and status 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args(argv)
    home = hub_home()
    try:
        return up(home) if args.action == "up" else down(home)
    except LaunchError as exc:
        say(str(exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
