"""plotly's widget code served to the pages as a file, not sent through the kernel per figure.

plotly's ``FigureWidget`` carries its browser code (a 5 MB module) in the widget itself: each
figure sends it from the kernel over the page's connection, and the browser compiles it again
for each figure. The Compound page draws two, which cost about 2 s of its first render here.
:func:`serve_plotly_widget` (Voila's configuration, ``etc/jupyter/voila.py``) lets the server
serve plotly's installed bundle as a static file next to the JupyterLab extensions' files, and
tells the pages' kernels where it is (``IMPULATOR_PLOTLY_WIDGET``); a page's figures then carry a
few lines that import it by address (``impulator.ui._planes.figure_widget``): downloaded once,
cached by the browser, compiled once per page.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path
from typing import Any

__all__ = ["PLOTLY_WIDGET_ENV", "serve_plotly_widget"]

#: Where a page finds plotly's widget bundle, relative to Voila's address (``.../voila/``).
PLOTLY_WIDGET_ENV = "IMPULATOR_PLOTLY_WIDGET"


def serve_plotly_widget(c: Any) -> str | None:
    """Serve plotly's widget bundle to Voila's pages and tell their kernels its address
    (relative to Voila's), which is returned; None (and nothing changed) without plotly, or
    when the server's environment sets ``IMPULATOR_PLOTLY_WIDGET`` empty (off: each figure
    carries plotly's code, as plotly does by itself).

    ``c`` is Voila's configuration: the bundle's folder joins
    ``VoilaConfiguration.extra_labextensions_path`` (Voila serves those folders' files at
    ``voila/labextensions/``; a folder without a ``package.json`` adds no extension).
    """
    if os.environ.get(PLOTLY_WIDGET_ENV) == "":
        return None
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "package_data"
    if not (folder / "widgetbundle.js").is_file():
        return None
    paths = list(c.VoilaConfiguration.get("extra_labextensions_path", []))
    if str(folder) not in paths:
        c.VoilaConfiguration.extra_labextensions_path = [*paths, str(folder)]
    # The version in the address: a browser keeps no stale bundle across upgrades.
    address = f"labextensions/widgetbundle.js?v={importlib.metadata.version('plotly')}"
    os.environ[PLOTLY_WIDGET_ENV] = address  # the server's kernels inherit its environment
    return address
