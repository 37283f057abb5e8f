"""Heavy browser code served to the pages as files the browser caches and loads after the page.

plotly's ``FigureWidget`` carries its browser code (a 5 MB module) in the widget itself: each
figure sends it from the kernel over the page's connection, and the browser compiles it again
for each figure. The Compound page draws two, which cost about 2 s of its first render here.
:func:`serve_plotly_widget` (Voila's configuration, ``etc/jupyter/voila.py``) lets the server
serve plotly's installed bundle as a static file next to the JupyterLab extensions' files, and
tells the pages' kernels where it is (``IMPULATOR_PLOTLY_WIDGET``); a page's figures then carry a
few lines that import it by address (``impulator.ui._planes.figure_widget``): downloaded once,
cached by the browser, compiled once per page.

The NGL viewer (the Structure page's 3D view) is served the same way
(:func:`serve_ngl_viewer`, ``IMPULATOR_NGL_VIEWER``): impulator ships NGL's self-contained
browser build (``impulator/ui/static/ngl.js``), and the page imports it once its frame is
drawn, instead of loading nglview's extension (4.5 MB) before drawing anything.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path
from typing import Any

__all__ = [
    "EXTENSION_FILES",
    "NGL_VERSION",
    "NGL_VIEWER_ENV",
    "PLOTLY_WIDGET_ENV",
    "serve_ngl_viewer",
    "serve_plotly_widget",
]

#: Where a page finds plotly's widget bundle, relative to Voila's address (``.../voila/``).
PLOTLY_WIDGET_ENV = "IMPULATOR_PLOTLY_WIDGET"
#: Where a page finds NGL's browser build, relative to Voila's address.
NGL_VIEWER_ENV = "IMPULATOR_NGL_VIEWER"
#: Where Voila serves the browser extensions' files (and the files above), under its server's
#: base URL. Every file a page asks for there is named by its content (``remoteEntry.<hash>.js``,
#: ``<chunk>.js?v=<hash>``) or carries a version (``?v=``).
EXTENSION_FILES = "voila/labextensions/"
#: The version of ``impulator/ui/static/ngl.js`` (its address carries it: no stale copy).
NGL_VERSION = "2.5.0"


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
    # The version in the address: a browser keeps no stale bundle across upgrades.
    version = importlib.metadata.version("plotly")
    return _serve(c, folder, f"widgetbundle.js?v={version}", PLOTLY_WIDGET_ENV)


def serve_ngl_viewer(c: Any) -> str | None:
    """Serve impulator's copy of NGL's browser build to Voila's pages and tell their kernels
    its address (relative to Voila's), which is returned; None (and nothing changed) when the
    server's environment sets ``IMPULATOR_NGL_VIEWER`` empty (off: the Structure page draws
    with nglview and its extension).

    ``c`` is Voila's configuration, as for :func:`serve_plotly_widget`.
    """
    if os.environ.get(NGL_VIEWER_ENV) == "":
        return None
    folder = Path(__file__).resolve().parents[1] / "ui" / "static"
    return _serve(c, folder, f"ngl.js?v={NGL_VERSION}", NGL_VIEWER_ENV)


def _serve(c: Any, folder: Path, file: str, variable: str) -> str:
    """Serve ``folder``'s files at ``voila/labextensions/`` and put the address of ``file``
    (with its query) in the environment ``variable``, which the server's kernels inherit."""
    paths = list(c.VoilaConfiguration.get("extra_labextensions_path", []))
    if str(folder) not in paths:
        c.VoilaConfiguration.extra_labextensions_path = [*paths, str(folder)]
    address = f"labextensions/{file}"
    os.environ[variable] = address
    return address


def cache_extension_files(settings: dict[str, Any], base_url: str = "/") -> list[str]:
    """Let browsers keep the files under ``<base_url>voila/labextensions/`` without asking
    again; returns the paths now kept (jupyter_server's ``static_immutable_cache`` setting,
    in the Tornado ``settings`` of standalone Voila or of a user's server).

    Voila serves them with ``Cache-Control: no-cache``, so every page revalidates each of its
    extensions' 15-20 files, in two waves of round trips (about 0.1 s of a page here), although
    a file's name or ``?v=`` changes whenever its content does.

    Example:
        >>> cache_extension_files({}, "/user/ada/")
        ['/user/ada/voila/labextensions/']
    """
    path = base_url.rstrip("/") + "/" + EXTENSION_FILES
    kept = list(settings.get("static_immutable_cache") or [])
    if path not in kept:
        kept.append(path)
    settings["static_immutable_cache"] = kept
    return kept
