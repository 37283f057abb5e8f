"""The look every dashboard page shares: colours, one CSS snippet, tiles, tables, status lines.

Everything here returns HTML text or plain ipywidgets; every value shown is escaped here, so a
compound named ``<script>`` is text on the page. Pages add the CSS once (:func:`style`) and
give their widgets ``impulator-*`` classes, which the browser tests look for.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from impulator.science import CLASS_COLOURS  # each class's colour, kept with the bands

__all__ = [
    "CLASS_COLOURS",
    "COLOURS",
    "CSS",
    "PAGES",
    "Column",
    "badge",
    "format_time",
    "format_value",
    "html_table",
    "nav_html",
    "page_frame",
    "progress_html",
    "status_html",
    "style",
    "tile",
    "widgets",
]

#: The palette (CSS colours) of every page.
COLOURS: dict[str, str] = {
    "primary": "#1f5f8b",
    "accent": "#2a9d8f",
    "text": "#1d2733",
    "muted": "#5f6b7a",
    "border": "#d5dbe3",
    "surface": "#f6f8fa",
    "ok": "#2e7d32",
    "warning": "#b26a00",
    "error": "#b3261e",
}


#: The stylesheet of every page (added once per page by :func:`style`).
CSS = f"""
.impulator-page {{ color: {COLOURS["text"]}; font-family: system-ui, sans-serif; gap: 12px; }}
.impulator-header h1 {{ color: {COLOURS["primary"]}; margin: 0; font-size: 1.6em; }}
.impulator-header .impulator-user {{ color: {COLOURS["muted"]}; }}
.impulator-section-title {{ font-weight: 600; font-size: 1.1em; margin: 8px 0 4px 0; }}
.impulator-tiles {{ gap: 12px; flex-wrap: wrap; }}
.impulator-tile {{ border: 1px solid {COLOURS["border"]}; border-radius: 8px;
  background: {COLOURS["surface"]}; padding: 10px 16px; min-width: 150px; }}
.impulator-tile .impulator-tile-value {{ font-size: 1.8em; font-weight: 600;
  color: {COLOURS["primary"]}; line-height: 1.2; }}
.impulator-tile .impulator-tile-label {{ font-weight: 600; }}
.impulator-tile .impulator-tile-caption {{ color: {COLOURS["muted"]}; font-size: 0.85em; }}
table.impulator-table {{ border-collapse: collapse; font-size: 0.9em; width: 100%; }}
table.impulator-table th {{ text-align: left; border-bottom: 2px solid {COLOURS["border"]};
  padding: 4px 8px; }}
table.impulator-table td {{ border-bottom: 1px solid {COLOURS["border"]}; padding: 4px 8px; }}
table.impulator-table td.impulator-number {{ text-align: right;
  font-variant-numeric: tabular-nums; }}
.impulator-empty {{ color: {COLOURS["muted"]}; font-style: italic; }}
.impulator-badge {{ border-radius: 10px; padding: 1px 8px; color: white; font-size: 0.85em;
  white-space: nowrap; }}
.impulator-status-ok {{ color: {COLOURS["ok"]}; }}
.impulator-status-error {{ color: {COLOURS["error"]}; }}
.impulator-status-busy, .impulator-status-info {{ color: {COLOURS["muted"]}; }}
progress.impulator-progress {{ width: 120px; vertical-align: middle; }}
.impulator-busy {{ display: inline-block; width: 120px; height: 6px; border-radius: 3px;
  background: linear-gradient(90deg, {COLOURS["border"]} 25%, {COLOURS["accent"]} 50%,
  {COLOURS["border"]} 75%); background-size: 200% 100%;
  animation: impulator-busy 1.2s linear infinite; vertical-align: middle; }}
.impulator-nav {{ display: flex; gap: 4px; flex-wrap: wrap; align-items: center;
  border-bottom: 1px solid {COLOURS["border"]}; padding: 0 0 6px 0; }}
.impulator-nav .impulator-brand {{ color: {COLOURS["primary"]}; font-weight: 700;
  font-size: 1.25em; margin-right: 14px; }}
.impulator-nav a {{ color: {COLOURS["text"]}; text-decoration: none; padding: 4px 10px;
  border-radius: 6px; }}
.impulator-nav a:hover {{ background: {COLOURS["surface"]}; }}
.impulator-nav a.impulator-nav-current {{ background: {COLOURS["primary"]}; color: white; }}
@keyframes impulator-busy {{ from {{ background-position: 100% 0; }}
  to {{ background-position: -100% 0; }} }}
"""


#: The dashboards, in the order of the navigation bar: (notebook stem, label).
PAGES: tuple[tuple[str, str], ...] = (
    ("Home", "Home"),
    ("Analyze", "Analyze"),
    ("Batch", "Batch"),
    ("Jobs", "Jobs"),
    ("Explorer", "Explorer"),
    ("Analytics", "Analytics"),
)


def nav_html(current: str) -> str:
    """The navigation bar: links to the sibling dashboards (relative, so they work under a
    user's server on the hub and under standalone Voila alike).

    >>> "impulator-nav-current" in nav_html("Jobs")
    True
    """
    links = "".join(
        f'<a href="{html.escape(stem)}.ipynb" class="impulator-nav-link'
        f'{" impulator-nav-current" if stem == current else ""}">{html.escape(label)}</a>'
        for stem, label in PAGES
    )
    return f'<nav class="impulator-nav"><span class="impulator-brand">impulator</span>{links}</nav>'


def page_frame(current: str, *children: Any) -> Any:
    """A whole dashboard page: the stylesheet, the navigation bar (``current`` highlighted:
    one of :data:`PAGES`, or another name for a page outside the bar), then ``children``."""
    w = widgets()
    nav = w.HTML(nav_html(current))
    nav.add_class("impulator-nav-bar")
    page = w.VBox([style(), nav, *children])
    page.add_class("impulator-page")
    page.add_class(f"impulator-page-{current.lower()}")
    return page


def widgets() -> Any:
    """The ipywidgets module, or an ImportError saying how to install the dashboards extra."""
    try:
        import ipywidgets  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - the dashboards extra is installed in tests
        raise ImportError(
            "impulator's dashboards need ipywidgets: pip install 'impulator[dashboards]'"
        ) from exc
    return ipywidgets


def style() -> Any:
    """An HTML widget holding :data:`CSS` (put it once at the top of a page)."""
    sheet = widgets().HTML(f"<style>{CSS}</style>")
    sheet.add_class("impulator-style")
    return sheet


def format_time(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` UTC ("" when missing).

    Example:
        >>> format_time(pd.Timestamp("2026-03-01 09:30:12", tz="UTC"))
        '2026-03-01 09:30 UTC'
        >>> format_time(None)
        ''
    """
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def format_value(value: Any, digits: int = 3) -> str:
    """A cell as text: floats with ``digits`` decimals, missing values empty.

    Example:
        >>> format_value(0.91234), format_value(float("nan")), format_value(7), format_value(None)
        ('0.912', '', '7', '')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    if isinstance(value, datetime):
        return format_time(value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # lists and other containers
        pass
    return str(value)


def badge(best_class: Any) -> str:
    """A best class as a coloured badge (HTML, escaped); "" when there is none.

    Example:
        >>> badge("Strong IMP")
        '<span class="impulator-badge" style="background:#1565c0">Strong IMP</span>'
    """
    text = format_value(best_class)
    if not text:
        return ""
    colour = CLASS_COLOURS.get(text, COLOURS["muted"])
    return f'<span class="impulator-badge" style="background:{colour}">{html.escape(text)}</span>'


def progress_html(done: int, total: int) -> str:
    """A small progress bar and ``done/total`` (HTML).

    Example:
        >>> progress_html(3, 10)
        '<progress class="impulator-progress" value="3" max="10"></progress> 3/10'
    """
    done, total = max(0, int(done)), max(0, int(total))
    return (
        f'<progress class="impulator-progress" value="{min(done, total)}" max="{max(total, 1)}">'
        f"</progress> {done}/{total}"
    )


#: A table column: key in the frame, heading, and optionally a cell renderer returning HTML
#: (already escaped); without one the value is formatted and escaped.
Column = tuple[str, str] | tuple[str, str, Callable[[Mapping[str, Any]], str]]


def html_table(
    frame: pd.DataFrame, columns: Sequence[Column], *, empty: str = "Nothing yet.", css: str = ""
) -> str:
    """``frame`` as an HTML table of ``columns`` (every value escaped).

    Example:
        >>> frame = pd.DataFrame({"id": [1], "name": ["<b>x</b>"], "score": [0.5]})
        >>> print(html_table(frame, [("id", "Id"), ("name", "Name"), ("score", "Score")]))
        <table class="impulator-table"><thead><tr><th>Id</th><th>Name</th><th>Score</th></tr></thead><tbody><tr><td class="impulator-number">1</td><td>&lt;b&gt;x&lt;/b&gt;</td><td class="impulator-number">0.500</td></tr></tbody></table>
        >>> html_table(frame.iloc[:0], [("id", "Id")])
        '<p class="impulator-empty">Nothing yet.</p>'
    """  # noqa: E501
    if frame.empty:
        return f'<p class="impulator-empty">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(c[1])}</th>" for c in columns)
    body = []
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in frame.to_dict("records")
    ]
    for record in records:
        cells = []
        for column in columns:
            if len(column) == 3:
                cells.append(f"<td>{column[2](record)}</td>")
                continue
            value = record.get(column[0])
            number = isinstance(value, int | float) and not isinstance(value, bool)
            cell_class = ' class="impulator-number"' if number else ""
            cells.append(f"<td{cell_class}>{html.escape(format_value(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    classes = " ".join(["impulator-table", *([css] if css else [])])
    return (
        f'<table class="{html.escape(classes)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def status_html(text: str, kind: str = "info") -> str:
    """One status line (``kind``: ok, error, busy or info), escaped.

    Example:
        >>> status_html("saved <1>", "ok")
        '<span class="impulator-status-ok">saved &lt;1&gt;</span>'
    """
    if kind not in ("ok", "error", "busy", "info"):
        raise ValueError(f"kind must be ok, error, busy or info, not {kind!r}")
    return f'<span class="impulator-status-{kind}">{html.escape(text)}</span>'


def tile(label: str, value: object, caption: str = "", *, name: str = "") -> Any:
    """A number tile (an HTML widget with class ``impulator-tile`` and ``impulator-tile-NAME``).

    Example:
        >>> t = tile("Compounds", 12, "yours and shared with you", name="compounds")
        >>> "impulator-tile-compounds" in t._dom_classes, ">12<" in t.value
        (True, True)
    """
    shown = html.escape(format_value(value)) if value is not None else "–"
    body = (
        f'<div class="impulator-tile-label">{html.escape(label)}</div>'
        f'<div class="impulator-tile-value">{shown}</div>'
        f'<div class="impulator-tile-caption">{html.escape(caption)}</div>'
    )
    widget = widgets().HTML(body)
    widget.add_class("impulator-tile")
    if name:
        widget.add_class(f"impulator-tile-{name}")
    return widget
