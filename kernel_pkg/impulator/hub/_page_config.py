"""Each dashboard loads only the browser extensions it draws with.

Voila's front end loads every installed JupyterLab extension's scripts on every page before
it draws: plotly.js and the NGL viewer alone are about 10 MB, about 1 s of each page here,
although only the Compound and Analytics pages plot and only the Structure page (the 3D view)
shows a molecule in 3D.
``trim_page_extensions`` is Voila's ``page_config_hook``: for impulator's own dashboards it
drops the heavy extensions a page does not use. Other notebooks keep all of them.

``set_page_xsrf_cookie`` is Voila's ``prelaunch_hook``: it gives every page the cookie that
Voila's own "the tab was closed, shut my kernel down" message needs (voila-dashboards/voila
issue 1458): without it the server refuses that message, and each closed page leaves its
kernel running (about 300 MB here) until the server stops.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Any

from impulator.hub._page_assets import NGL_VIEWER_ENV, PLOTLY_WIDGET_ENV

#: Heavy browser extensions -> the dashboards that draw with them.
HEAVY_EXTENSIONS: dict[str, frozenset[str]] = {
    # Analytics' figures are plotly outputs unless plotly's widget code is served (then
    # FigureWidgets, as Compound's planes: anywidget, with plotly's widget code of their own).
    "jupyterlab-plotly": frozenset({"Analytics.ipynb"}),
    # Structure's 3D view is nglview's unless NGL's browser build is served (then an anywidget
    # that imports it once the page is drawn).
    "nglview-js-widgets": frozenset({"Structure.ipynb"}),
    "anywidget": frozenset({"Compound.ipynb", "Analytics.ipynb", "Structure.ipynb"}),
}

#: impulator's dashboards (``dashboards/`` in a user's folder, or standalone Voila over it).
DASHBOARDS = frozenset(
    {
        "Home.ipynb",
        "Analyze.ipynb",
        "Batch.ipynb",
        "Jobs.ipynb",
        "Explorer.ipynb",
        "Compound.ipynb",
        "Structure.ipynb",
        "Analytics.ipynb",
    }
)


def set_page_xsrf_cookie(handler: Any, notebook: Any = None, cwd: str = "") -> None:
    """Voila's ``prelaunch_hook``: set the page's ``_xsrf`` cookie (Tornado sets it when a
    request first reads its token). Voila renders its pages without reading it, yet the page
    sends it back when closed, to shut its kernel down; without the cookie that request fails
    ("'_xsrf' argument missing from POST"). Returns None: the notebook is unchanged.

    Example:
        >>> class Page:
        ...     xsrf_token = b"2|token"
        >>> set_page_xsrf_cookie(Page()) is None
        True
    """
    handler.xsrf_token  # noqa: B018 - reading it sets the cookie


def trim_page_extensions(page_config: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Voila's ``page_config_hook``: ``page_config`` without the heavy extensions the page
    (``notebook_path``) does not use, when it is one of impulator's dashboards.

    Example:
        >>> config = {"federated_extensions": [{"name": "jupyterlab-plotly"}, {"name": "x"}]}
        >>> trim_page_extensions(config, notebook_path="dashboards/Jobs.ipynb")
        {'federated_extensions': [{'name': 'x'}]}
        >>> trimmed = trim_page_extensions(config, notebook_path="Analytics.ipynb")
        >>> len(trimmed["federated_extensions"])
        2
    """
    path = PurePosixPath(str(kwargs.get("notebook_path") or ""))
    if path.name not in DASHBOARDS or path.parent.name not in ("", "dashboards"):
        return page_config

    # A served file replaces the extension on every page: plotly's widget code (Analytics
    # draws FigureWidgets too), NGL's viewer (Structure draws an anywidget).
    served = {
        "jupyterlab-plotly": bool(os.environ.get(PLOTLY_WIDGET_ENV)),
        "nglview-js-widgets": bool(os.environ.get(NGL_VIEWER_ENV)),
    }

    def needed(extension: dict[str, Any]) -> bool:
        name = extension.get("name", "")
        if served.get(name):
            return False
        pages = HEAVY_EXTENSIONS.get(name)
        return pages is None or path.name in pages  # a light extension: every page keeps it

    kept = [e for e in page_config.get("federated_extensions", []) if needed(e)]
    return {**page_config, "federated_extensions": kept}
