"""Dashboard pages as widgets: what the Voila dashboards in ``dashboards/`` show.

Each page is one function returning an ipywidgets widget, over the same public functions a
notebook user calls (``impulator.store``, ``impulator.jobs``, ``impulator.analyze``), acting as
the calling user: on PostgreSQL the database decides what that user sees. The numbers behind
a page are a function too, for notebooks and tests.

    show_home(url=None)                 -> the Home page (tiles, recent jobs and compounds,
                                           a quick analysis)
    summarize_home(url=None, limit=10)  -> HomeSummary (its numbers and tables)

The widgets need the ``dashboards`` extra: ``pip install 'impulator[dashboards]'``.

Example:
    >>> import os, tempfile
    >>> from impulator import ui
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
    >>> ui.summarize_home(url).compounds
    0
"""

from __future__ import annotations

from impulator.ui._home import HomePage, HomeSummary, show_home, summarize_home

__all__ = ["HomePage", "HomeSummary", "show_home", "summarize_home"]
