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

Environment: ``IMPULATOR_HUB_PORT`` (default 8000), ``IMPULATOR_DEMO_PASSWORD`` and
``IMPULATOR_DEMO_ADMIN_PASSWORD`` (otherwise generated once and kept), ``IMPULATOR_DATA_DIR``
(where the demo ChEMBL lives; default impulator's own data directory).

Only the standard library is imported at module level, so ``down`` works in any Python 3.11.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HUB_DIR = REPO / "hub"
PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent
DATABASE = "impulator"
SUPERUSER = "postgres"
#: The demo accounts: name -> platform role (the JupyterHub group that carries it is in
#: jupyterhub_config.py).
DEMO_USERS = {
    "chemist": "chemist",
    "viewer": "viewer",
    "instructor": "instructor",
    "admin": "admin",
}
DEMO_GROUP = "demo-team"
#: Set in the environment of every process the launcher starts (the hub passes it on to the
#: proxy, services and user servers), so ``down`` can find leftovers after a crash by this
#: marker and never by a process name.
MARKER = "IMPULATOR_HUB_SESSION"


def say(message: str) -> None:
    """One progress line for the person running ``make up``."""
    print(f"impulator: {message}", flush=True)


class LaunchError(RuntimeError):
    """Something the user must fix; the message says what."""


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


def read_pid(path: Path) -> int | None:
    """The pid stored in ``path`` if that process still runs, else None (stale files go)."""
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if alive(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_busy(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:``port``."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# --------------------------------------------------------------------------- PostgreSQL


def find_bindir() -> Path:
    """Where initdb and pg_ctl live (PostgreSQL 15 from Debian packages, or on PATH)."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    if shutil.which("initdb"):
        return Path(str(shutil.which("initdb"))).parent
    raise LaunchError(
        "PostgreSQL server binaries not found: install them (Debian/Ubuntu: "
        "'sudo apt-get install -y postgresql-15', macOS: 'brew install postgresql@15') "
        "and run 'make up' again"
    )


class Postgres:
    """The project's own cluster under ``home/pg``; as root it belongs to ``postgres``."""

    def __init__(self, home: Path) -> None:
        self.root = home / "pg"
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "server.log"
        self.port_file = self.root / "port"
        self.as_postgres = os.geteuid() == 0
        self._bindir: Path | None = None
        self._port: int | None = None

    @property
    def bindir(self) -> Path:
        """The PostgreSQL binaries (looked up once, when first needed)."""
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    def _run(self, *argv: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(a) for a in argv]
        if self.as_postgres:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, cwd=self.root)

    def _own(self, path: Path) -> None:
        if self.as_postgres:
            shutil.chown(path, SUPERUSER, SUPERUSER)

    def initialized(self) -> bool:
        """Whether initdb has run here."""
        return (self.data / "PG_VERSION").is_file()

    def running(self) -> bool:
        """Whether this cluster's server is up (``pg_ctl status``; stale pid files are fine)."""
        if not self.initialized():
            return False
        return (
            self._run(self.bindir / "pg_ctl", "status", "-D", self.data, check=False).returncode
            == 0
        )

    @property
    def port(self) -> int:
        """The port the server uses: from postmaster.pid while it runs, else the stored one."""
        if self._port is None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                if self.running():
                    self._port = int((self.data / "postmaster.pid").read_text().splitlines()[3])
                    return self._port
            return int(self.port_file.read_text())
        return self._port

    def init(self) -> None:
        """initdb (as ``postgres`` when root) and the access rules; once per data directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(mode=0o700, exist_ok=True)
        self._own(self.root)
        self._own(self.sockets)
        if self.as_postgres and self._run("test", "-w", self.root, check=False).returncode:
            raise LaunchError(
                f"the 'postgres' user cannot write {self.root}: make its parent folders "
                "searchable by others (chmod o+x) or set IMPULATOR_HUB_HOME to such a folder"
            )
        if self.initialized():
            return
        say(f"creating the PostgreSQL cluster in {self.data}")
        self._run(
            self.bindir / "initdb", "-D", self.data, "-U", SUPERUSER, "-A", "trust",
            "--no-instructions", "-E", "UTF8",
        )  # fmt: skip
        # The superuser needs no password, but only through the socket folder (mode 700, so
        # only this account and root reach it). Every other role (the per-user logins the hub
        # provisions, the runner) must give its own password, over the socket or loopback.
        hba = self.data / "pg_hba.conf"
        hba.write_text(
            "# Written by hub/launch.py.\n"
            f"local all {SUPERUSER} trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
            "host all all ::1/128 scram-sha-256\n"
        )
        self._own(hba)
        self.port_file.write_text(f"{free_port()}\n")

    def start(self) -> None:
        """Start the server unless it already runs (a previous run's, reused)."""
        if self.running():
            say(f"PostgreSQL already running on port {self.port}: reusing it")
            return
        port = int(self.port_file.read_text()) if self.port_file.is_file() else free_port()
        if port_busy(port):
            port = free_port()
        self.port_file.write_text(f"{port}\n")
        self._port = port
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {self.sockets}"
        say(f"starting PostgreSQL on port {port}")
        result = self._run(
            self.bindir / "pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w",
            "-t", "60", "start", check=False,
        )  # fmt: skip
        if result.returncode:
            raise LaunchError(
                f"PostgreSQL did not start ({result.stderr.strip() or result.stdout.strip()}); "
                f"see {self.log}"
            )

    def stop(self) -> None:
        """Stop the server if it runs (fast: open sessions are cut)."""
        if self.running():
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop",
                      check=False)  # fmt: skip
            say("PostgreSQL stopped")

    def admin_url(self, database: str = DATABASE) -> str:
        """The superuser's SQLAlchemy URL, through the socket folder (no password)."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.sockets}&port={self.port}"

    def ensure_database(self) -> None:
        """Create the ``impulator`` database if missing."""
        import psycopg

        params = {"host": str(self.sockets), "port": self.port, "user": SUPERUSER}
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if found.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
                say(f"created database {DATABASE!r}")


# --------------------------------------------------------------------------- processes


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def leftovers(home: Path) -> list[int]:
    """Processes a launcher for ``home`` started (found by their environment marker)."""
    mine = _ancestors()
    found = []
    for entry in Path("/proc").iterdir():
        pid = int(entry.name) if entry.name.isdigit() else 0
        if pid and pid not in mine and _environ(pid).get(MARKER) == str(home):
            found.append(pid)
    return found


def terminate(pids: list[int], what: str, timeout: float = 20.0) -> None:
    """SIGTERM ``pids``, wait up to ``timeout`` s, then SIGKILL what is left."""
    pids = [p for p in pids if alive(p)]
    if not pids:
        return
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            say(f"{what} (pid {pid}) did not stop in {timeout:.0f} s: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def health(port: int) -> bool:
    """Whether the hub answers through the proxy on ``port``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/health", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# --------------------------------------------------------------------------- steps of `up`


def migrate_and_provision(pg: Postgres) -> None:
    """Schema to head; the demo accounts' database logins (their passwords are rotated again
    by the hub before each spawn, so the ones made here are thrown away)."""
    from impulator.store._migrate import upgrade
    from impulator.store._provision import provision_user

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
        command, cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    log.close()
    (home / "hub.pid").write_text(f"{proc.pid}\n")
    return proc


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
    raise LaunchError(f"JupyterHub did not answer within {timeout:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


def banner(home: Path, port: int, seconds: float | None) -> None:
    """What the user needs: where, who, which password, how to stop."""
    user_password, admin_password = demo_passwords(home)
    ready = f" (ready in {seconds:.1f} s)" if seconds is not None else ""
    print(
        f"""
  impulator is running{ready}:  http://127.0.0.1:{port}/

  accounts   chemist, viewer, instructor   password  {user_password}
             admin                         password  {admin_password}
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
            wait_for_hub(hub, port, home / "hub" / "jupyterhub.log", timeout=90, stop=received)
            if received:
                return 130
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
