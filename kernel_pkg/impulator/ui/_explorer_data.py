"""What the Explorer shows, without widgets: pages of compounds with their 2D depictions.

A page is one ``impulator.store.list_compounds`` call (the database filters, sorts and pages: never
everything at once) plus a small inline SVG per row, drawn by RDKit for that page only and
cached by InChIKey, so paging back and forth draws nothing twice.
"""

from __future__ import annotations

import html
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from impulator import store
from impulator._errors import InvalidInput
from impulator.chem import depict_svg
from impulator.store import FILTERS, SORT_KEYS, CompoundPage
from impulator.ui import _theme as theme

__all__ = [
    "DEPICTION_SIZE",
    "HAS_FLAGS_OPTIONS",
    "HEADINGS",
    "PAGE_SIZES",
    "SORT_OPTIONS",
    "ExplorerFilter",
    "ExplorerPageData",
    "compound_link",
    "depiction_svg",
    "header_html",
    "load_page",
    "page_label",
    "row_html",
    "user_groups",
]

#: Width and height (pixels) of a row's depiction.
DEPICTION_SIZE: tuple[int, int] = (140, 90)
#: Page sizes offered.
PAGE_SIZES: tuple[int, ...] = (10, 25, 50, 100)
#: Sort choices: (label, ``store.list_compounds`` sort key); every key is one of ``SORT_KEYS``.
SORT_OPTIONS: tuple[tuple[str, str], ...] = (
    ("Newest first", "-created_at"),
    ("Oldest first", "created_at"),
    ("Best score, high to low", "-best_score"),
    ("Best score, low to high", "best_score"),
    ("Name, A to Z", "name"),
    ("Name, Z to A", "-name"),
    ("MW, low to high", "mw"),
    ("MW, high to low", "-mw"),
    ("Most rows", "-n_rows"),
    ("Fewest rows", "n_rows"),
)
#: The "has flags" choices: (label, value of the ``has_flags`` filter).
HAS_FLAGS_OPTIONS: tuple[tuple[str, bool | None], ...] = (
    ("Any", None),
    ("With flags", True),
    ("Without flags", False),
)
_DEPICTION_CACHE_SIZE = 5000
_depictions: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def depiction_svg(smiles: str | None, key: str | None = None) -> str:
    """A small 2D depiction of ``smiles`` as inline SVG ("" when it cannot be drawn).

    Depictions are cached by ``key`` (the InChIKey; the SMILES when there is none), so a
    page drawn once is not drawn again.

    Example:
        >>> svg = depiction_svg("c1ccccc1O", "ISWSIDIOOBJBQZ-UHFFFAOYSA-N")
        >>> svg.startswith("<svg") and svg.endswith("</svg>")
        True
        >>> depiction_svg(None), depiction_svg("not a smiles")
        ('', '')
    """
    if not smiles:
        return ""
    cache_key = key or smiles
    with _lock:
        if cache_key in _depictions:
            _depictions.move_to_end(cache_key)
            return _depictions[cache_key]
    svg = _draw(smiles)
    with _lock:
        _depictions[cache_key] = svg
        while len(_depictions) > _DEPICTION_CACHE_SIZE:
            _depictions.popitem(last=False)
    return svg


def _draw(smiles: str) -> str:
    return depict_svg(smiles, width=DEPICTION_SIZE[0], height=DEPICTION_SIZE[1], compact=True)


@dataclass
class ExplorerFilter:
    """The Explorer's filters; :meth:`to_store` gives ``store.list_compounds``'s ``filter`` dict.

    Example:
        >>> ExplorerFilter(min_score=0.5, classes=("Strong IMP",), text=" CCO ").to_store()
        {'min_score': 0.5, 'classes': ['Strong IMP'], 'text': 'CCO'}
    """

    min_score: float | None = None
    max_score: float | None = None
    classes: tuple[str, ...] = ()
    has_flags: bool | None = None
    min_mw: float | None = None
    max_mw: float | None = None
    target: str = ""
    text: str = ""

    def to_store(self) -> dict[str, Any]:
        """The non-empty filters, with ``store.list_compounds``'s keys (``FILTERS``)."""
        found: dict[str, Any] = {}
        for key in ("min_score", "max_score"):
            if getattr(self, key) is not None:
                found[key] = float(getattr(self, key))
        if self.classes:
            found["classes"] = list(self.classes)
        if self.has_flags is not None:
            found["has_flags"] = bool(self.has_flags)
        for key in ("min_mw", "max_mw"):
            if getattr(self, key) is not None:
                found[key] = float(getattr(self, key))
        if self.target.strip():
            found["target"] = self.target.strip().upper()
        if self.text.strip():
            found["text"] = self.text.strip()
        assert set(found) <= set(FILTERS)
        return found


@dataclass
class ExplorerPageData:
    """One page of the Explorer: ``store.list_compounds``'s page and one SVG per row (same
    order)."""

    page: CompoundPage
    depictions: list[str] = field(repr=False)


def load_page(
    filter: ExplorerFilter | Mapping[str, Any] | None = None,
    sort: str = "-created_at",
    page: int = 1,
    limit: int = 25,
    *,
    mine: bool = False,
    url: str | None = None,
) -> ExplorerPageData:
    """One page of the compounds you can see, with their depictions.

    A page past the last one gives the last page (a filter or a deletion can shrink the list).

    Raises:
        ValueError: an unknown sort key or filter.
        StoreUnavailable, PermissionDenied: the database cannot be read.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> data = load_page(ExplorerFilter(min_score=0.7), sort="-best_score", url=url)
        >>> data.page.total, data.depictions
        (0, [])
    """
    if sort.lstrip("-") not in SORT_KEYS:
        raise InvalidInput(f"cannot sort by {sort!r}: use one of {', '.join(SORT_KEYS)}")
    wanted = filter.to_store() if isinstance(filter, ExplorerFilter) else dict(filter or {})
    found = store.list_compounds(wanted, sort=sort, page=page, limit=limit, mine=mine, url=url)
    if found.pages and page > found.pages:
        found = store.list_compounds(
            wanted, sort=sort, page=found.pages, limit=limit, mine=mine, url=url
        )
    items = found.items
    depictions = [
        depiction_svg(smiles, key if isinstance(key, str) else None)
        for smiles, key in zip(items["parent_smiles"], items["inchikey"], strict=True)
    ]
    return ExplorerPageData(found, depictions)


def page_label(page: CompoundPage) -> str:
    """``page X of Y (N compounds)``.

    Example:
        >>> import pandas as pd
        >>> page_label(CompoundPage(pd.DataFrame(), 51, 2, 25, 3))
        'page 2 of 3 (51 compounds)'
        >>> page_label(CompoundPage(pd.DataFrame(), 1, 1, 25, 1))
        'page 1 of 1 (1 compound)'
    """
    noun = "compound" if page.total == 1 else "compounds"
    return f"page {page.page if page.total else 0} of {page.pages} ({page.total:,} {noun})"


def compound_link(compound_id: int) -> str:
    """The address of a compound's page (relative: a sibling dashboard).

    >>> compound_link(12)
    'Compound.ipynb?id=12'
    """
    return f"Compound.ipynb?id={int(compound_id)}"


def _cell(value: Any, digits: int = 3) -> str:
    return html.escape(theme.format_value(value, digits))


def row_html(record: Mapping[str, Any], depiction: str) -> str:
    """One compound as the cells of an Explorer row (HTML; every value escaped).

    Example:
        >>> cells = row_html({"id": 3, "name": "<b>x</b>", "best_score": 0.5}, "")
        >>> 'href="Compound.ipynb?id=3"' in cells, "&lt;b&gt;x&lt;/b&gt;" in cells
        (True, True)
    """
    compound_id = int(record["id"])
    name = theme.format_value(record.get("name")) or f"compound {compound_id}"
    chembl = _cell(record.get("chembl_id"))
    flags = record.get("n_flags")
    flag_text = "" if flags is None or (isinstance(flags, float) and math.isnan(flags)) else flags
    picture = depiction or '<span class="impulator-empty">no structure</span>'
    return (
        f'<div class="impulator-explorer-cells">'
        f'<div class="impulator-explorer-depiction">{picture}</div>'
        f'<div class="impulator-explorer-name"><a class="impulator-explorer-link" '
        f'href="{compound_link(compound_id)}" target="_blank">{html.escape(name)}</a>'
        f'<div class="impulator-explorer-sub">#{compound_id} {chembl}</div></div>'
        f'<div class="impulator-number">{_cell(record.get("best_score"))}</div>'
        f"<div>{theme.badge(record.get('best_class'))}</div>"
        f'<div class="impulator-number">{_cell(record.get("mw"), 1)}</div>'
        f'<div class="impulator-number">{_cell(record.get("n_rows"))}</div>'
        f'<div class="impulator-number">{_cell(flag_text)}</div>'
        f"<div>{_cell(record.get('owner'))}</div>"
        f"<div>{html.escape(theme.format_time(record.get('created_at')))}</div>"
        f"</div>"
    )


#: Headings of the row cells above (after the selection box).
HEADINGS: tuple[str, ...] = (
    "Structure",
    "Name",
    "Best score",
    "Best class",
    "MW",
    "Rows",
    "Flags",
    "Owner",
    "Stored",
)


def header_html() -> str:
    """The heading row of the grid (same columns as :func:`row_html`)."""
    cells = "".join(f"<div>{html.escape(h)}</div>" for h in HEADINGS)
    return f'<div class="impulator-explorer-cells impulator-explorer-head">{cells}</div>'


def user_groups(url: str | None = None) -> list[str]:
    """The groups you can share compounds with: those you belong to (every group on SQLite,
    which has no users).

    Example:
        >>> import os, tempfile
        >>> user_groups("sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite"))
        []
    """
    return store.groups(url)
