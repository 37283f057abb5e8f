"""The Explorer page: browse, filter, search, select, share, delete and export compounds.

The compounds are those the database shows you (your own and those shared with your
groups): every page is one ``impulator.store.list_compounds`` call, filtered, sorted and
paged by the database, with depictions drawn for that page only
(:mod:`impulator.ui._explorer_data`).
The rows are a fixed pool of widgets whose values change from page to page: paging creates
no widgets. A viewer sees no share or delete controls (the database would refuse them).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from impulator.ui import _theme as theme
from impulator.ui._explorer_actions import SelectionActions
from impulator.ui._explorer_data import (
    PAGE_SIZES,
    ExplorerFilter,
    ExplorerPageData,
    compound_link,
    header_html,
    load_page,
    page_label,
    row_html,
)
from impulator.ui._explorer_filters import FilterControls
from impulator.ui._pagekit import can_write, guarded, run_guarded, title

__all__ = ["CSS", "ExplorerPage", "show_explorer"]

_log = logging.getLogger(__name__)

#: The Explorer's own styles (everything prefixed ``impulator-explorer-``).
CSS = f"""
.impulator-explorer-cells {{ display: grid; align-items: center; column-gap: 8px;
  grid-template-columns: 144px 230px 72px 128px 60px 48px 44px 84px 150px;
  font-size: 0.9em; }}
.impulator-explorer-head {{ font-weight: 600; border-bottom: 2px solid
  {theme.COLOURS["border"]}; padding: 2px 0; }}
.impulator-explorer-head-row {{ padding-left: 34px; }}
.impulator-explorer-row {{ border-bottom: 1px solid {theme.COLOURS["border"]};
  align-items: center; }}
.impulator-explorer-row .widget-checkbox {{ width: 28px; }}
.impulator-explorer-depiction svg {{ display: block; }}
.impulator-explorer-sub {{ color: {theme.COLOURS["muted"]}; font-size: 0.85em; }}
.impulator-explorer-link, .impulator-explorer-open {{ color: {theme.COLOURS["primary"]};
  font-weight: 600; }}
.impulator-explorer-bar {{ align-items: center; gap: 8px; flex-wrap: wrap; }}
.impulator-explorer-toolbar {{ border: 1px solid {theme.COLOURS["border"]}; border-radius: 8px;
  background: {theme.COLOURS["surface"]}; padding: 6px 10px; gap: 4px; }}
.impulator-explorer-confirm {{ border: 1px solid {theme.COLOURS["error"]}; border-radius: 6px;
  padding: 4px 8px; align-items: center; gap: 8px; }}
"""


class ExplorerPage:
    """The widgets of the Explorer and what they do (``widget`` is the page).

    :func:`show_explorer` is the way in; the attributes are the page's parts, for tests and
    notebooks. ``selected`` holds the selected compound ids (across pages).
    """

    def __init__(self, url: str | None = None, *, limit: int = 25) -> None:
        w = theme.widgets()
        self.url = url
        self.page_no = 1
        self.limit = limit if limit in PAGE_SIZES else PAGE_SIZES[1]
        self.data: ExplorerPageData | None = None
        self.selected: set[int] = set()
        self.can_write = can_write(url)
        self._quiet = False
        self._shown_ids: list[int] = []

        def css(widget: Any, name: str) -> Any:
            widget.add_class(f"impulator-explorer-{name}")
            return widget

        # Where the list's problems are said (the callbacks below report there).
        self.list_status = css(w.HTML(), "status")

        # -- filters ---------------------------------------------------------------------
        self.filters = FilterControls()
        f = self.filters
        self.search, self.search_button, self.sort, self.mine = (
            f.search,
            f.search_button,
            f.sort,
            f.mine,
        )
        self.classes, self.flags, self.score = f.classes, f.flags, f.score
        self.min_mw, self.max_mw, self.target = f.min_mw, f.max_mw, f.target
        self.reset_button, self.filter_status = f.reset_button, f.filter_status
        for control in f.controls:
            control.observe(self._on_filter, names="value")
        self.search_button.on_click(self._guard(lambda: self.go_to(1)))
        self.reset_button.on_click(self._guard(self.reset))

        # -- paging ----------------------------------------------------------------------
        self.page_size = css(
            w.Dropdown(
                options=list(PAGE_SIZES),
                value=self.limit,
                description="Per page",
                layout=w.Layout(width="160px"),
            ),
            "page-size",
        )
        self.page_size.observe(self._on_page_size, names="value")
        self.previous = css(w.Button(description="Previous", icon="chevron-left"), "previous")
        self.next = css(w.Button(description="Next", icon="chevron-right"), "next")
        self.page_info = css(w.HTML(), "page-info")
        self.previous.on_click(self._guard(lambda: self.go_to(self.page_no - 1)))
        self.next.on_click(self._guard(lambda: self.go_to(self.page_no + 1)))

        # -- grid ------------------------------------------------------------------------
        head = css(w.HTML(header_html()), "head-row")
        self.rows_box = css(w.VBox(), "rows")
        self._row_pool: list[tuple[Any, Any, Any]] = []
        self.grid = css(w.VBox([head, self.rows_box]), "grid")

        # -- selection and actions -------------------------------------------------------
        self.select_page = css(
            w.Button(description="Select page", icon="check-square"), "select-page"
        )
        self.clear_selection = css(w.Button(description="Clear selection"), "clear-selection")
        self.selection_info = css(w.HTML(), "selection-info")
        self.open_links = css(w.HTML(), "open-links")
        self.select_page.on_click(self._guard(self.select_all_on_page))
        self.clear_selection.on_click(self._guard(lambda: self.set_selection(())))
        self.actions = SelectionActions(
            url, lambda: self.selected, self._deleted, can_write=self.can_write
        )
        self.exports = self._export_panel(w)

        bar = w.HBox
        self.widget = theme.page_frame(
            "Explorer",
            w.HTML(f"<style>{CSS}</style>"),
            title("Compounds", "impulator-explorer-title"),
            *f.rows,
            css(
                w.VBox(
                    [
                        css(
                            bar([self.select_page, self.clear_selection, self.selection_info]),
                            "bar",
                        ),
                        self.open_links,
                        self.actions.widget,
                        self.exports,
                    ]
                ),
                "toolbar",
            ),
            css(
                bar([self.previous, self.page_info, self.next, self.page_size, self.list_status]),
                "bar",
            ),
            self.grid,
        )
        self.widget.add_class("impulator-explorer")
        self.reload()

    # -- construction helpers ---------------------------------------------------------------

    def _export_panel(self, w: Any) -> Any:
        self.export_panel: Any = None
        try:
            from impulator.ui._exports import export_panel

            self.export_panel = panel = export_panel(lambda: sorted(self.selected), self.url)
        except Exception as exc:  # an export module missing or broken must not hide the page
            _log.warning("the export panel could not be built", exc_info=True)
            panel = w.HTML(theme.status_html(f"Exports are unavailable: {exc}", "error"))
        box = w.VBox([panel])
        box.add_class("impulator-explorer-exports")
        return box

    def _guard(self, action: Callable[[], object]) -> Callable[..., None]:
        """A callback that never raises (Voila would show nothing): errors go to the status."""
        return guarded(action, self.list_status, "an Explorer action")

    # -- the list ----------------------------------------------------------------------------

    def current_filter(self) -> ExplorerFilter:
        """The filters as set on the page (ValueError for an MW that is not a number)."""
        return self.filters.current()

    def reload(self) -> None:
        """Read the current page again (errors are shown on the page, never raised)."""
        self.go_to(self.page_no)

    def go_to(self, page: int) -> None:
        """Show page ``page`` (clamped to the pages there are)."""
        wanted = run_guarded(self.current_filter, self.filter_status, "reading the filters")
        if wanted is None:
            return
        self.filter_status.value = ""
        busy = "Searching…" if wanted.text.strip() else "Loading…"
        self.list_status.value = theme.status_html(busy, "busy")
        data = run_guarded(
            lambda: load_page(
                wanted,
                self.sort.value,
                max(1, page),
                self.limit,
                mine=self.mine.value,
                url=self.url,
            ),
            self.list_status,
            "listing compounds",
        )
        if data is None:
            return
        self.list_status.value = ""
        self.show(data)

    def show(self, data: ExplorerPageData) -> None:
        """Put ``data`` in the grid, reusing the row widgets."""
        self.data = data
        found = data.page
        self.page_no = max(1, found.page)
        w = theme.widgets()
        records = [{str(k): v for k, v in r.items()} for r in found.items.to_dict("records")]
        while len(self._row_pool) < len(records):
            box = w.Checkbox(value=False, indent=False, layout=w.Layout(width="28px"))
            box.add_class("impulator-explorer-select")
            cells = w.HTML()
            cells.add_class("impulator-explorer-row-cells")
            row = w.HBox([box, cells])
            row.add_class("impulator-explorer-row")
            index = len(self._row_pool)
            box.observe(lambda change, i=index: self._on_tick(i, change), names="value")
            self._row_pool.append((row, box, cells))
        self._shown_ids = [int(r["id"]) for r in records]
        self._quiet = True
        try:
            for (_row, box, cells), record, svg in zip(
                self._row_pool, records, data.depictions, strict=False
            ):
                cells.value = row_html(record, svg)
                box.value = int(record["id"]) in self.selected
        finally:
            self._quiet = False
        self.rows_box.children = [row for row, _, _ in self._row_pool[: len(records)]]
        if not records:
            empty = w.HTML(
                '<p class="impulator-empty">No compound matches: change the filters '
                "or the search.</p>"
                if found.total == 0 and self._filtering()
                else '<p class="impulator-empty">No compounds stored yet.</p>'
            )
            empty.add_class("impulator-explorer-empty")
            self.rows_box.children = [empty]
        self.page_info.value = html.escape(page_label(found))
        self.previous.disabled = found.page <= 1
        self.next.disabled = found.page >= found.pages
        self._show_selection()

    def _filtering(self) -> bool:
        try:
            return bool(self.current_filter().to_store()) or bool(self.mine.value)
        except ValueError:
            return True

    def reset(self) -> None:
        """Clear every filter and the search, then show the first page."""
        self._quiet = True
        try:
            self.filters.clear()
        finally:
            self._quiet = False
        self.go_to(1)

    def _on_filter(self, _change: Any) -> None:
        if not self._quiet:
            self._guard(lambda: self.go_to(1))()

    def _on_page_size(self, change: Any) -> None:
        self.limit = int(change["new"])
        self._guard(lambda: self.go_to(1))()

    # -- selection ---------------------------------------------------------------------------

    def _on_tick(self, index: int, change: Any) -> None:
        if self._quiet or index >= len(self._shown_ids):
            return
        compound_id = self._shown_ids[index]
        if change["new"]:
            self.selected.add(compound_id)
        else:
            self.selected.discard(compound_id)
        self._show_selection()

    def set_selection(self, ids: Any) -> None:
        """Select exactly ``ids`` (compound ids; ticks the boxes shown)."""
        self.selected = {int(i) for i in ids}
        self._quiet = True
        try:
            for (_row, box, _cells), shown in zip(self._row_pool, self._shown_ids, strict=False):
                box.value = shown in self.selected
        finally:
            self._quiet = False
        self._show_selection()

    def _deleted(self, ids: set[int]) -> None:
        self.selected -= ids
        self.reload()

    def select_all_on_page(self) -> None:
        """Add every compound of the page shown to the selection."""
        self.set_selection(self.selected | set(self._shown_ids))

    def _show_selection(self) -> None:
        n = len(self.selected)
        if getattr(self, "export_panel", None) is not None:
            self.export_panel.refresh()  # the PDF report is offered for one compound
        self.selection_info.value = html.escape(
            f"{n} selected"
            if n
            else "Nothing selected: tick compounds to share, delete, open or export them."
        )
        names: dict[int, str] = {}
        if self.data is not None:
            for record in self.data.page.items[["id", "name"]].to_dict("records"):
                names[int(record["id"])] = theme.format_value(record["name"])
        links = [
            f'<a class="impulator-explorer-open" href="{compound_link(i)}" target="_blank">'
            f"{html.escape(names.get(i) or f'compound {i}')}</a>"
            for i in sorted(self.selected)[:8]
        ]
        more = f" and {n - 8} more" if n > 8 else ""
        self.open_links.value = f"Open: {', '.join(links)}{more}" if links else ""


def show_explorer(url: str | None = None) -> Any:
    """The Explorer page as one widget: your compounds and those shared with you, paged by
    the database, with depictions, filters, search, selection, sharing, deletion and exports.

    ``url`` is the results database (default: ``IMPULATOR_DATABASE_URL``, else SQLite). The
    page never raises: a database it cannot read is a sentence on the page.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> page = show_explorer(url)
        >>> type(page).__name__, "impulator-explorer" in page._dom_classes
        ('VBox', True)
    """
    return ExplorerPage(url).widget
