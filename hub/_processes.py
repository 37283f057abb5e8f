"""Processes of the local platform, for ``hub/launch.py``: pid files, ports, and finding
(by the ``IMPULATOR_HUB_SESSION`` marker), stopping and checking what a launcher started.

``say`` and ``LaunchError`` live here, the lowest of the launcher's modules, so that its
other modules share them without importing the launcher script itself.

Only the standard library is imported, so ``down`` works in any Python 3.11.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Set in the environment of every process the launcher starts (the hub passes it on to the
#: proxy, services and user servers), so ``down`` can find leftovers after a crash by this
#: marker and never by a process name.
MARKER = "IMPULATOR_HUB_SESSION"


def say(message: str) -> None:
    """One progress line for the person running ``make up``."""
    print(f"impulator: {message}", flush=True)


class LaunchError(RuntimeError):
    """Something the user must fix; the message says what."""


# --------------------------------------------------------------------------- pids and ports


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


# --------------------------------------------------------------------------- our processes


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


# --------------------------------------------------------------------------- checks


def health(port: int) -> bool:
    """Whether the hub answers through the proxy on ``port``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/health", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"
