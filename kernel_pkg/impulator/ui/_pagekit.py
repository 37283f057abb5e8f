"""Small parts the pages share: guarded callbacks, may this user write, a background poller
for live progress, and section titles.

A page callback never raises (Voila would show nothing): :func:`run_guarded` runs an action
and turns an exception into a sentence in the page's message area. The poller updates widgets
from a daemon thread (ipykernel sends widget messages from any thread), so a page shows
progress while the chemist goes on using it.
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from impulator import store
from impulator._errors import ImpulatorError, describe_error
from impulator.ui import _theme as theme

__all__ = ["Poller", "can_write", "guarded", "rehearsal", "run_guarded", "title"]

_log = logging.getLogger(__name__)

#: Set while pages are built to be thrown away (:func:`rehearsal`): no live update starts.
_rehearsing = threading.Event()

T = TypeVar("T")


def run_guarded(
    action: Callable[[], T],
    message: Any,
    what: str,
    *,
    describe: Callable[[BaseException], str] = describe_error,
) -> T | None:
    """``action()``, or None when it raised: then the reason is shown in ``message``.

    ``message`` is where the page says it: an HTML widget (its value becomes the error line),
    a function taking the sentence, or None (logged only). The sentence is
    ``describe(error)`` (:func:`impulator._errors.describe_error`: an error raised on purpose
    in its own words, anything else as a bug). Errors raised on purpose are logged in one
    line, bugs with their traceback; ``what`` names the action in the log.

    Example:
        >>> from impulator._errors import InvalidInput
        >>> said = []
        >>> run_guarded(lambda: 6 * 7, said.append, "multiplying")
        42
        >>> def refuse() -> int:
        ...     raise InvalidInput("type a SMILES first")
        >>> run_guarded(refuse, said.append, "reading the query") is None, said
        (True, ['Type a SMILES first.'])
    """
    try:
        return action()
    except Exception as exc:
        if isinstance(exc, ImpulatorError):
            _log.warning("%s failed: %s", what, exc)
        else:
            _log.error("%s failed (a bug)", what, exc_info=exc)
        text = describe(exc)
        if message is None:
            pass
        elif callable(message):
            message(text)
        else:
            message.value = theme.status_html(text, "error")
        return None


def guarded(action: Callable[[], object], message: Any, what: str) -> Callable[..., None]:
    """A widget callback (a button's click, an observed change) that runs ``action`` with
    :func:`run_guarded`: it takes and ignores the widget's arguments and never raises."""

    def callback(*_args: Any) -> None:
        run_guarded(action, message, what)

    return callback


def can_write(url: str | None) -> bool:
    """Whether this user may store compounds and submit batches (False for a viewer).

    The database decides (on SQLite everyone may); any other problem reading that answer is
    left to the action itself, which reports it in words.

    Example:
        >>> import os, tempfile
        >>> can_write("sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite"))
        True
    """
    try:
        return store.can_write(url)
    except Exception:  # the database is down: the page says so when it is used
        _log.warning("could not ask the database for this user's privileges", exc_info=True)
        return True


def title(text: str, css: str = "") -> Any:
    """A section heading widget (class ``impulator-section-title``, plus ``css``)."""
    heading = theme.widgets().HTML(html.escape(text))
    heading.add_class("impulator-section-title")
    if css:
        heading.add_class(css)
    return heading


@contextlib.contextmanager
def rehearsal() -> Iterator[None]:
    """Pages built inside are thrown away: their live updates (:class:`Poller`) never start,
    and their widgets send nothing out of the kernel (they get comms that publish nothing;
    close them before leaving, as :func:`impulator.ui.warm_up_pages` does).

    Example:
        >>> calls = []
        >>> with rehearsal():
        ...     Poller(lambda: calls.append(1) or False, interval=0.01).start()
        >>> calls
        []
    """
    import comm  # ipywidgets' comms: a kernel's, or comm's own that publish nothing

    kernel_comm = comm.create_comm
    comm.create_comm = comm.DummyComm
    _rehearsing.set()
    try:
        yield
    finally:
        _rehearsing.clear()
        comm.create_comm = kernel_comm


class Poller:
    """Calls ``tick`` every ``interval`` seconds on a daemon thread while it returns True
    (the first call one interval after ``start``).

    ``start`` is idempotent (one thread per poller); a tick that raises is logged and ends
    the polling, never the page. Tests call ``tick`` themselves instead.

    Example:
        >>> calls = []
        >>> poller = Poller(lambda: calls.append(1) or len(calls) < 3, interval=0.01)
        >>> poller.start(); poller.join(5); len(calls)
        3
    """

    def __init__(self, tick: Callable[[], bool], interval: float = 1.5) -> None:
        self.tick = tick
        self.interval = interval
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._again = False  # start() was called during a tick: poll on even if it said stop

    @property
    def running(self) -> bool:
        """Whether the polling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling (nothing happens when it already polls, or in a :func:`rehearsal`)."""
        if _rehearsing.is_set():
            return
        with self._lock:
            self._again = True
            if self.running:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True, name="impulator-poll")
            self._thread.start()

    def stop(self) -> None:
        """Stop after the current tick."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (for tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        # The page has just read its state when it starts polling: the first tick waits.
        while not self._stop.wait(self.interval):
            with self._lock:
                self._again = False
            try:
                again = self.tick()
            except Exception:
                _log.exception("a page's live update failed; it stops updating")
                again = False
            if not again:
                with self._lock:
                    if not self._again:
                        self._thread = None
                        return
