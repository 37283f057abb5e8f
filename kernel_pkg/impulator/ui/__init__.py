"""Dashboard pages as widgets: what the Voila dashboards in ``dashboards/`` show.

Each page is one function returning an ipywidgets widget, over the same public functions a
notebook user calls (``impulator.store``, ``impulator.jobs``, ``impulator.analyze``), acting as
the calling user: on PostgreSQL the database decides what that user sees. The numbers behind
a page are a function too, for notebooks and tests.

    show_home(url=None)                 -> Home: tiles, recent jobs and compounds, a quick
                                           analysis
    show_analyze(url=None)              -> Analyze: one compound, live preview, progress, save
    show_batch(url=None)                -> Batch: upload, validate, submit, follow
    show_jobs(url=None)                 -> Jobs: status, cancel, retry, per-row errors
    show_explorer(url=None)             -> Explorer: my and shared compounds, paged on the
                                           server; filters, search, share, delete, exports
    show_compound(compound_id=None)     -> Compound: activities, efficiency planes, flags,
                                           PDB evidence, 3D view, exports
    show_structure(compound_id=None)    -> 3D structure of a stored compound (its own page:
                                           the 3D viewer's scripts load only there)
    show_analytics(url=None)            -> Analytics: scores, classes, flags, targets, trend
    export_panel(ids, url=None)         -> CSV / prototype CSV / SDF / Excel / PDF buttons
    summarize_home(url=None, limit=10)  -> HomeSummary (the Home page's numbers and tables)
    warm_up_pages(url=None)             -> every page built once and thrown away: the page
                                           opened next in this kernel draws at once

Each page is a notebook of one cell in ``dashboards/`` (``from impulator.ui import show_x``,
``show_x()``), rendered by Voila at ``/voila/render/dashboards/<Page>.ipynb``.

The widgets need the ``dashboards`` extra: ``pip install 'impulator[dashboards]'``.

Example:
    >>> import os, tempfile
    >>> from impulator import ui
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
    >>> ui.summarize_home(url).compounds
    0
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import typing as _typing

from impulator.ui._home import HomePage, HomeSummary, show_home, summarize_home

# plotly's widget imports nbformat, whose jsonschema compiles an IRI grammar at import when
# rfc3987-syntax is installed (a Jupyter server dependency): about 2 s on every dashboard's
# kernel, for a format check no page makes. jsonschema treats the module as absent.
_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

#: The other pages, each in its own module, imported on first use (a page pulls in plotly,
#: the 3D viewer or the exporters only when shown).
_PAGES = {
    "show_analyze": "impulator.ui._analyze",
    "show_batch": "impulator.ui._batch",
    "show_jobs": "impulator.ui._jobs",
    "show_explorer": "impulator.ui._explorer",
    "show_compound": "impulator.ui._compound",
    "show_analytics": "impulator.ui._analytics",
    "show_structure": "impulator.ui._structure",
    "export_panel": "impulator.ui._exports",
    "warm_up_pages": "impulator.ui._warm",
}

__all__ = [
    "HomePage",
    "HomeSummary",
    "export_panel",
    "show_analytics",
    "show_analyze",
    "show_batch",
    "show_compound",
    "show_explorer",
    "show_home",
    "show_jobs",
    "show_structure",
    "summarize_home",
    "warm_up_pages",
]


def __getattr__(name: str) -> _typing.Any:
    if name in _PAGES:
        return getattr(_importlib.import_module(_PAGES[name]), name)
    raise AttributeError(f"module 'impulator.ui' has no attribute {name!r}")
