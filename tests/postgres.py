"""An ephemeral PostgreSQL cluster for tests: initdb, start on a free loopback port, stop.

A real server, never a mock. initdb refuses to run as root, so as root the cluster belongs to
the ``postgres`` system user (``runuser``). The binaries come from ``pg_config --bindir`` or
``/usr/lib/postgresql/<version>/bin``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["PostgresCluster", "find_bindir", "find_bindir_or_say"]


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl live, or None when PostgreSQL is not installed."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def find_bindir_or_say() -> Path | None:
    """:func:`find_bindir`, saying on stderr what to install when it finds nothing (the
    benchmarks then end with status 1)."""
    bindir = find_bindir()
    if bindir is None:
        print(
            "error: the PostgreSQL server binaries are not installed (apt-get install postgresql)",
            file=sys.stderr,
        )
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """A throw-away cluster; ``url(db)`` gives a SQLAlchemy URL for the superuser."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="impulator-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(a) for a in argv]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, cwd=self.root)

    def start(self) -> PostgresCluster:
        self._run(
            self.bindir / "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "--no-instructions",
            "-E",
            "UTF8",
        )
        # The superuser needs no password; every other role (the per-user logins the store
        # provisions) must give its own, so a wrong or rotated password is really refused.
        hba = self.data / "pg_hba.conf"
        hba.write_text(
            "local all all trust\n"
            f"host all {self.user} 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        if self._as_postgres:
            shutil.chown(hba, "postgres", "postgres")
        # DDL is logged so tests can check that no password reaches the server log.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c log_statement=ddl"
        )
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )
        return self

    def create_database(self, name: str) -> str:
        """Create ``name`` and return its URL."""
        self._run(
            self.bindir / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name
        )
        return self.url(name)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def restart(self) -> None:
        """Stop the server (fast: sessions are cut) and start it again on the same port."""
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    @property
    def log(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
