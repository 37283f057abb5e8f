"""The local platform's own PostgreSQL 15 cluster, for ``hub/launch.py``.

Under the project data directory: ``pg/data`` (the cluster), ``pg/run`` (its socket folder,
mode 700), ``pg/port`` (its port, kept across runs) and ``pg/server.log``. When the launcher
runs as root, the cluster belongs to the ``postgres`` user (PostgreSQL refuses to run as
root), and every PostgreSQL command runs through ``runuser``.

Only the standard library is imported at module level (psycopg only when a database is
created), so ``down`` works in any Python 3.11.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
from pathlib import Path

from _processes import LaunchError, free_port, port_busy, say

DATABASE = "impulator"
SUPERUSER = "postgres"


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
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "--no-instructions",
            "-E",
            "UTF8",
        )
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
            self.bindir / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            self.log,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if result.returncode:
            raise LaunchError(
                f"PostgreSQL did not start ({result.stderr.strip() or result.stdout.strip()}); "
                f"see {self.log}"
            )

    def stop(self) -> None:
        """Stop the server if it runs (fast: open sessions are cut)."""
        if self.running():
            self._run(
                self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False
            )
            say("PostgreSQL stopped")

    def admin_url(self, database: str = DATABASE) -> str:
        """The superuser's SQLAlchemy URL, through the socket folder (no password)."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.sockets}&port={self.port}"

    def ensure_database(self) -> None:
        """Create the ``impulator`` database if missing."""
        import psycopg

        with psycopg.connect(
            dbname="postgres",
            host=str(self.sockets),
            port=self.port,
            user=SUPERUSER,
            autocommit=True,
        ) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if found.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
                say(f"created database {DATABASE!r}")
