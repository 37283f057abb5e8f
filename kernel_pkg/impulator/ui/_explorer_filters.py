"""The Explorer's filter controls: search text, class, flags, best score, MW, target, mine,
sort; :meth:`FilterControls.current` reads them as an
:class:`~impulator.ui._explorer_data.ExplorerFilter` (exactly ``store.list_compounds``'s
filters)."""

from __future__ import annotations

from typing import Any

from impulator._errors import InvalidInput
from impulator.ui import _theme as theme
from impulator.ui._explorer_data import HAS_FLAGS_OPTIONS, SORT_OPTIONS, ExplorerFilter

__all__ = ["ANY_CLASS", "FilterControls"]

#: The class choice that filters nothing.
ANY_CLASS = "Any class"


def _number(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{what} must be a number, not {text!r}") from None


def _css(widget: Any, name: str) -> Any:
    widget.add_class(f"impulator-explorer-{name}")
    return widget


class FilterControls:
    """The filter widgets (``rows``: three rows of them) and their reading.

    Example:
        >>> controls = FilterControls()
        >>> controls.classes.value = "Strong IMP"; controls.min_mw.value = "200"
        >>> controls.current().to_store()
        {'classes': ['Strong IMP'], 'min_mw': 200.0}
        >>> controls.clear(); controls.current().to_store()
        {}
    """

    def __init__(self) -> None:
        w = theme.widgets()
        self.search = _css(
            w.Text(
                placeholder="Name, ChEMBL id, InChIKey or SMARTS substructure",
                continuous_update=False,
                layout=w.Layout(width="380px"),
            ),
            "search",
        )
        self.search_button = _css(w.Button(description="Search", icon="search"), "search-button")
        self.classes = _css(
            w.Dropdown(
                options=[ANY_CLASS, *theme.CLASS_COLOURS],
                value=ANY_CLASS,
                description="Class",
                layout=w.Layout(width="220px"),
            ),
            "class",
        )
        self.flags = _css(
            w.Dropdown(
                options=[label for label, _ in HAS_FLAGS_OPTIONS],
                value=HAS_FLAGS_OPTIONS[0][0],
                description="Flags",
                layout=w.Layout(width="200px"),
            ),
            "flags",
        )
        self.score = _css(
            w.FloatRangeSlider(
                value=(0.0, 1.0),
                min=0.0,
                max=1.0,
                step=0.05,
                description="Best score",
                continuous_update=False,
                readout_format=".2f",
                layout=w.Layout(width="320px"),
            ),
            "score",
        )
        fit = {"description_width": "initial"}
        self.min_mw = _css(
            w.Text(
                description="MW from",
                placeholder="any",
                continuous_update=False,
                style=fit,
                layout=w.Layout(width="150px"),
            ),
            "min-mw",
        )
        self.max_mw = _css(
            w.Text(
                description="to",
                placeholder="any",
                continuous_update=False,
                style=fit,
                layout=w.Layout(width="100px"),
            ),
            "max-mw",
        )
        self.target = _css(
            w.Text(
                description="Target",
                placeholder="CHEMBL203",
                continuous_update=False,
                layout=w.Layout(width="220px"),
            ),
            "target",
        )
        self.mine = _css(
            w.Checkbox(description="Only mine", indent=False, layout=w.Layout(width="110px")),
            "mine",
        )
        self.sort = _css(
            w.Dropdown(
                options=list(SORT_OPTIONS),
                value=SORT_OPTIONS[0][1],
                description="Sort",
                layout=w.Layout(width="260px"),
            ),
            "sort",
        )
        self.reset_button = _css(w.Button(description="Reset filters", icon="undo"), "reset")
        self.filter_status = _css(w.HTML(), "filter-status")
        #: Every control whose change filters the list again.
        self.controls: tuple[Any, ...] = (
            self.search,
            self.classes,
            self.flags,
            self.score,
            self.min_mw,
            self.max_mw,
            self.target,
            self.mine,
            self.sort,
        )
        bar = w.HBox
        self.rows = [
            _css(bar([self.search, self.search_button, self.sort, self.mine]), "bar"),
            _css(bar([self.classes, self.flags, self.score]), "bar"),
            _css(
                bar([self.min_mw, self.max_mw, self.target, self.reset_button, self.filter_status]),
                "bar",
            ),
        ]

    def current(self) -> ExplorerFilter:
        """The filters as set (ValueError for an MW that is not a number)."""
        low, high = self.score.value
        chosen = self.classes.value
        return ExplorerFilter(
            min_score=None if low <= 0 else float(low),
            max_score=None if high >= 1 else float(high),
            classes=() if chosen == ANY_CLASS else (str(chosen),),
            has_flags=dict(HAS_FLAGS_OPTIONS)[self.flags.value],
            min_mw=_number(self.min_mw.value, "MW from"),
            max_mw=_number(self.max_mw.value, "MW to"),
            target=self.target.value,
            text=self.search.value,
        )

    def clear(self) -> None:
        """Every filter and the search back to nothing (the sort stays)."""
        self.search.value = ""
        self.classes.value = ANY_CLASS
        self.flags.value = HAS_FLAGS_OPTIONS[0][0]
        self.score.value = (0.0, 1.0)
        self.min_mw.value = self.max_mw.value = self.target.value = ""
        self.mine.value = False
