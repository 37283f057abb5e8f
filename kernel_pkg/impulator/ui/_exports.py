"""The export panel: a row of buttons (CSV, prototype CSV, SDF, Excel, PDF report) that pages
embed next to a selection of compounds.

A click builds the file with :func:`impulator.exports.export_file` (as the calling user: the
database decides which ids may be exported) and offers it as a download link holding the file
as a ``data:`` URL, which the browser follows by itself (a data-URL image's ``onload`` clicks
it once; the link stays for a second try). Nothing is stored on the server.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
from collections.abc import Callable, Sequence
from typing import Any

from impulator._errors import CompoundNotFound, InvalidInput, describe_error
from impulator.ui import _theme as theme
from impulator.ui._pagekit import guarded, run_guarded

__all__ = ["MAX_DOWNLOAD_BYTES", "ExportPanel", "download_html", "export_panel"]

_log = logging.getLogger(__name__)

#: Larger files are not offered through the browser (a data URL that big stalls the page).
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
#: A transparent 1x1 GIF: its ``onload`` clicks the link next to it, once per link.
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
_AUTO_CLICK = (
    "var a=this.previousElementSibling,d=window.impulatorDownloads=window.impulatorDownloads"
    "||{};if(a&&!d[a.dataset.token]){d[a.dataset.token]=1;a.click();}"
)
_CSS = """
.impulator-export-panel { align-items: center; gap: 6px; flex-wrap: wrap; }
.impulator-export-panel .impulator-export-title { font-weight: 600; margin-right: 4px; }
.impulator-export-link a { font-weight: 600; }
.impulator-export-link .impulator-export-size { color: #5f6b7a; margin-left: 6px; }
"""
_ICONS = {
    "csv": "table",
    "prototype": "table",
    "sdf": "flask",
    "excel": "file-excel-o",
    "pdf": "file-pdf-o",
}


def download_html(name: str, mime: str, data: bytes, *, token: str = "", auto: bool = True) -> str:
    """A download link holding ``data`` (HTML): ``<a download=name href="data:...">``.

    With ``auto``, a 1x1 data-URL image follows it, whose ``onload`` clicks the link once
    (``token`` tells one download from another).

    Example:
        >>> print(download_html("a.csv", "text/csv", b"x,y\\n", auto=False))
        <a class="impulator-export-download" download="a.csv" href="data:text/csv;base64,eCx5Cg==" data-token="">Download a.csv</a><span class="impulator-export-size">4 bytes</span>
    """  # noqa: E501
    payload = base64.b64encode(data).decode("ascii")
    link = (
        f'<a class="impulator-export-download" download="{html.escape(name)}" '
        f'href="data:{html.escape(mime)};base64,{payload}" data-token="{html.escape(token)}">'
        f"Download {html.escape(name)}</a>"
    )
    if auto:
        link += (
            f'<img alt="" width="1" height="1" src="{_PIXEL}" onload="{html.escape(_AUTO_CLICK)}">'
        )
    return link + f'<span class="impulator-export-size">{_size(len(data))}</span>'


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


class ExportPanel:
    """The widgets of the export panel and what they do (``widget`` is the panel).

    ``compound_ids`` is called at each click (and by :meth:`refresh`) for the current
    selection. Without ``single``, the PDF button shows only while exactly one compound is
    selected: a page calls :meth:`refresh` (also ``widget.refresh()``) when its selection
    changes.
    """

    def __init__(
        self,
        compound_ids: Callable[[], Sequence[int]],
        url: str | None = None,
        *,
        single: bool = False,
    ) -> None:
        from impulator.exports import FORMATS

        w = theme.widgets()
        self.compound_ids = compound_ids
        self.url = url
        self.single = single
        self.downloads = 0
        self.status = w.HTML()
        self.status.add_class("impulator-export-status")
        self.buttons: dict[str, Any] = {}
        for kind, fmt in FORMATS.items():
            button = w.Button(
                description=fmt.label,
                icon=_ICONS.get(kind, "download"),
                tooltip=f"Download the {'compound' if fmt.single else 'selection'} as "
                f"{fmt.label} (.{fmt.extension})",
                layout=w.Layout(width="auto"),
            )
            button.add_class("impulator-export-button")
            button.add_class(f"impulator-export-{kind}")
            button.on_click(
                guarded(functools.partial(self._on_click, kind), self.status, f"the {kind} export")
            )
            self.buttons[kind] = button
        self.busy = w.HTML('<span class="impulator-busy"></span>', layout=w.Layout(display="none"))
        self.busy.add_class("impulator-export-busy")
        self.link = w.HTML()
        self.link.add_class("impulator-export-link")
        title = w.HTML('<span class="impulator-export-title">Export</span>')
        sheet = w.HTML(f"<style>{_CSS}</style>", layout=w.Layout(display="none"))
        self.widget = _PanelBox(
            [sheet, title, *self.buttons.values(), self.busy, self.status, self.link]
        )
        self.widget.panel = self
        self.widget.add_class("impulator-export-panel")
        self.refresh()

    def _ids(self) -> list[int]:
        return [int(i) for i in self.compound_ids()]

    def refresh(self) -> None:
        """Show the PDF button when it applies (``single``, or exactly one id selected)."""
        try:
            one = self.single or len(self._ids()) == 1
        except Exception:  # the host's selection could not be read: hide, say it at a click
            _log.warning("the export panel could not read the selection", exc_info=True)
            one = self.single
        self.buttons["pdf"].layout.display = None if one else "none"

    def export(self, kind: str) -> Any:
        """Build the ``kind`` export of the current selection and offer it as a download.

        Returns the :class:`~impulator.exports.ExportFile`, or None when it failed (the
        reason is shown next to the buttons). Never raises.
        """
        from impulator.exports import FORMATS, export_file

        label = FORMATS[kind].label if kind in FORMATS else kind
        for button in self.buttons.values():
            button.disabled = True
        self.busy.layout.display = None
        self.link.value = ""

        def build() -> Any:
            ids = self._ids()
            many = f"{len(ids)} compound{'s' if len(ids) != 1 else ''}"
            self.status.value = theme.status_html(f"Building the {label} of {many}…", "busy")
            built = export_file(kind, ids, self.url)
            if len(built.data) > MAX_DOWNLOAD_BYTES:
                raise InvalidInput(
                    f"the {label} is {_size(len(built.data))}, too large to download from "
                    "the page: select fewer compounds, or call impulator.exports with path= "
                    "in a notebook"
                )
            return built

        try:
            built = run_guarded(build, self.status, f"the {kind} export", describe=_describe)
        finally:
            for button in self.buttons.values():
                button.disabled = False
            self.busy.layout.display = "none"
        if built is None:
            return None
        self.downloads += 1
        token = f"{id(self)}-{self.downloads}"
        self.link.value = download_html(built.name, built.mime, built.data, token=token)
        self.status.value = theme.status_html(f"{label} ready:", "ok")
        return built

    def _on_click(self, kind: str) -> None:
        self.export(kind)
        self.refresh()


def _describe(error: BaseException) -> str:
    if isinstance(error, CompoundNotFound):
        return f"Cannot export: {error}."
    return describe_error(error)


class _PanelBox(theme.widgets().HBox):  # type: ignore[misc]
    """The panel's row of widgets; ``refresh()`` re-reads the selection."""

    panel: ExportPanel

    def refresh(self) -> None:
        """Show or hide the PDF button for the current selection."""
        self.panel.refresh()


def export_panel(
    compound_ids: Callable[[], Sequence[int]], url: str | None = None, *, single: bool = False
) -> Any:
    """A row of export buttons over the compounds ``compound_ids()`` returns at each click.

    Buttons: CSV, Prototype CSV, SDF, Excel, and PDF report (shown when ``single`` is true or
    exactly one compound is selected; call ``panel.refresh()`` when the selection changes).
    A click builds the file (busy indicator; errors in words next to the buttons) and offers
    it as a download link (class ``impulator-export-link``), followed automatically.

    Example:
        >>> panel = export_panel(lambda: [1, 2], "sqlite:///:memory:")
        >>> "impulator-export-panel" in panel._dom_classes
        True
        >>> panel.panel.buttons["pdf"].layout.display
        'none'
    """
    return ExportPanel(compound_ids, url, single=single).widget
