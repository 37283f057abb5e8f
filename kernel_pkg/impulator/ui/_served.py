"""Browser code a Voila page imports from a file its server serves, once the page is drawn.

The server (``impulator.hub._page_assets``) serves heavy browser code as files next to the
JupyterLab extensions' and tells the pages' kernels their addresses, relative to Voila's, in
environment variables. A widget's browser module then holds a few lines that wait until the page's
frame is shown and import the file by address: the browser downloads it once and caches it, and
compiling it (about a second for plotly, about 0.2 s for NGL) no longer holds the frame back.
"""

from __future__ import annotations

import json
import os

__all__ = ["NGL_VIEWER_ENV", "PLOTLY_WIDGET_ENV", "after_page_drawn", "served_address"]

#: Set by the server when it serves plotly's widget bundle.
PLOTLY_WIDGET_ENV = "IMPULATOR_PLOTLY_WIDGET"
#: Set by the server when it serves NGL's browser build (``impulator/ui/static/ngl.js``).
NGL_VIEWER_ENV = "IMPULATOR_NGL_VIEWER"


def served_address(variable: str) -> str | None:
    """The address (relative to Voila's) of the file announced in the environment
    ``variable``, or None: not on a Voila page (JupyterLab's have no Voila address), or not
    served (unset or empty).

    Example:
        >>> served_address("IMPULATOR_NO_SUCH_FILE") is None
        True
    """
    if "VOILA_REQUEST_URL" not in os.environ:
        return None
    return os.environ.get(variable) or None


def after_page_drawn(address: str) -> str:
    """Lines of a browser module that set ``source`` to the absolute URL of ``address`` and
    wait until the page's frame is shown (at most 3 s), then for one drawn frame.

    The URL is built in the browser from Voila's ``data-base-url``: the right scheme and host
    behind any proxy. "Shown", not "in the document": Voila keeps a page hidden until its
    theme is in.

    Example:
        >>> "labextensions/ngl.js" in after_page_drawn("labextensions/ngl.js")
        True
    """
    return (
        "const base = document.body.dataset.baseUrl || '/voila/';\n"
        f"const source = new URL(base + {json.dumps(address)}, window.location.href).href;\n"
        "const shown = () => document.querySelector('.impulator-page')?.getClientRects().length;\n"
        "const asked = performance.now();\n"
        "while (!shown() && performance.now() - asked < 3000) {\n"
        "  await new Promise((next) => setTimeout(next, 20));\n"
        "}\n"
        "await new Promise((next) => requestAnimationFrame(() => setTimeout(next, 0)));\n"
    )
