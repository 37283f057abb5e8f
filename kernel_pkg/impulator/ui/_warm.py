"""Warming a kernel for the pages: every page built once, shown nowhere.

A page built for the first time in a process pays for much besides its data: plotly's
lazily imported figure classes and its template, nbformat, psycopg, the database's schema
check, SQLAlchemy's first compilation of each statement, RDKit's drawing code. Measured in a
kernel that had already imported every page module: the first Home 0.28 s and the next
0.03 s, the first Compound 0.9-1.0 s and the next 0.09 s. A warm kernel waiting for a page
(``impulator.hub.WarmKernelManager``) runs :func:`warm_up_pages` so that the page it is
given draws as fast as the second one.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from impulator import store
from impulator.ui import _pagekit
from impulator.ui import _theme as theme

__all__ = ["warm_up_pages"]

_log = logging.getLogger(__name__)


def warm_up_pages(url: str | None = None) -> list[str]:
    """Build every page once for this process's user and throw them away; returns the names
    of the pages built.

    Nothing is shown and nothing is written: each page reads what it shows when opened (the
    Compound page reads the newest compound the user can see, when there is one), no live
    update starts, and every widget is closed afterwards, so a page displayed later sends
    only its own. The database connections are closed again (a kernel waiting for a page
    holds none); the engine keeps its schema check and compiled statements. The objects
    alive afterwards are frozen out of the garbage collector's passes (``gc.freeze``). It never
    raises: a page that cannot be built (no database, no access) is logged and skipped.

    ``url`` is the results database (default: ``IMPULATOR_DATABASE_URL``, else SQLite).

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> warm_up_pages(url)
        ['Home', 'Analyze', 'Batch', 'Jobs', 'Explorer', 'Analytics', 'Compound', 'Structure']
        >>> import gc
        >>> gc.get_freeze_count() > 0
        True
        >>> gc.unfreeze()  # a warm kernel keeps them frozen; this example gives them back
    """
    from impulator import ui

    # Read once for both pages that draw it (a failed read is tried again by the second).
    newest = functools.cache(lambda: _newest_compound(url))
    pages: list[tuple[str, Callable[[], Any]]] = [
        ("Home", lambda: ui.show_home(url)),
        ("Analyze", lambda: ui.show_analyze(url)),
        ("Batch", lambda: ui.show_batch(url)),
        ("Jobs", lambda: ui.show_jobs(url)),
        ("Explorer", lambda: ui.show_explorer(url)),
        ("Analytics", lambda: ui.show_analytics(url)),
        ("Compound", lambda: ui.show_compound(newest(), url)),
        ("Structure", lambda: ui.show_structure(newest(), url)),
    ]
    built = []
    with _pagekit.rehearsal(), _as_on_a_voila_page():
        for name, build in pages:
            if _pagekit.run_guarded(build, None, f"warming the {name} page") is not None:
                built.append(name)
    theme.widgets().Widget.close_all()
    _pagekit.run_guarded(lambda: store.engine_for(url).dispose(), None, "closing connections")
    # The thrown-away pages are collected now, and what is left (the imported stack) is set
    # aside from the collector: the page's own collections skip its 180,000 objects (a full
    # collection over them: 70 ms here).
    gc.collect()
    gc.freeze()
    return built


@contextlib.contextmanager
def _as_on_a_voila_page() -> Iterator[None]:
    """Pages are built as on a Voila page, which sets its address in the kernel's environment
    when it takes the kernel: plots and the 3D view import their served code (and nglview,
    which a page does not use then, is not imported)."""
    if "VOILA_REQUEST_URL" in os.environ:
        yield
        return
    os.environ["VOILA_REQUEST_URL"] = ""
    try:
        yield
    finally:
        os.environ.pop("VOILA_REQUEST_URL", None)


def _newest_compound(url: str | None) -> int | None:
    """The newest compound the user can see (None: none, and the page says so)."""
    page = store.list_compounds(limit=1, url=url)
    return int(page.items["id"].iloc[0]) if len(page.items) else None
